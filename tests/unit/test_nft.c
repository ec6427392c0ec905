/* test_nft.c - nftables batches built by core/nft.c, applied by the kernel
 * inside a network namespace this test makes (as root; skipped otherwise),
 * and read back with nft(8) -j. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/nft.h"
#include "core/util.h"

#define T "berthtest"
/* nftables' type id of ipv4_addr (datatype.h) */
#define TYPE_IPADDR 7

static int setup_netns(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	/* a namespace of our own: the machine's rules are never touched */
	return unshare(CLONE_NEWNET) == 0 ? 0 : -1;
}

/* nft -j list table inet T, as one string ("" when it fails). */
static char *nft_list(void)
{
	FILE *p = popen("nft -j list table inet " T " 2>/dev/null", "r");
	char *out = xstrdup(""), buf[4096];
	size_t n;

	while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *x = xasprintf("%s%.*s", out, (int)n, buf);

		free(out);
		out = x;
	}
	if (p)
		pclose(p);
	return out;
}

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

static void test_table_chain_set_rule(void **state)
{
	struct nft_batch *b;
	struct berr *err = NULL;
	struct in_addr a, a2;
	uint32_t iif_lo = 1;
	char *out;

	(void)state;
	skip_unless_root();
	assert_int_equal(nft_table_exists(NFPROTO_INET, T, NULL), 0);
	inet_pton(AF_INET, "10.1.2.3", &a);
	inet_pton(AF_INET, "10.1.2.4", &a2);
	b = nft_batch_new();
	nft_table_add(b, NFPROTO_INET, T);
	nft_chain_add(b, NFPROTO_INET, T, "fwd", "filter", NF_INET_FORWARD, 0, NF_ACCEPT);
	nft_chain_add(b, NFPROTO_INET, T, "post", "nat", NF_INET_POST_ROUTING, 100, NF_ACCEPT);
	nft_chain_add(b, NFPROTO_INET, T, "isolate", NULL, 0, 0, 0);
	nft_set_add(b, NFPROTO_INET, T, "blocked", TYPE_IPADDR, 4, 0, 0, 0);
	nft_elem_add(b, NFPROTO_INET, T, "blocked", &a, 4, NULL, 0);
	nft_elem_add(b, NFPROTO_INET, T, "blocked", &a2, 4, NULL, 0);
	{
		struct nft_rule *r = nft_rule_new(NFPROTO_INET, T, "fwd");

		/* ip saddr @blocked counter drop */
		nft_rule_meta(r, NFT_META_NFPROTO, NFT_REG_1);
		nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &(uint8_t){NFPROTO_IPV4}, 1);
		nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
		nft_rule_lookup(r, "blocked", NFT_REG_1, -1);
		nft_rule_counter(r);
		nft_rule_verdict(r, NF_DROP, NULL);
		nft_rule_add(b, r, "drop blocked sources");
	}
	{
		struct nft_rule *r = nft_rule_new(NFPROTO_INET, T, "post");

		/* oif != lo masquerade */
		nft_rule_meta(r, NFT_META_OIF, NFT_REG_1);
		nft_rule_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &iif_lo, 4);
		nft_rule_masq(r);
		nft_rule_add(b, r, "masquerade");
	}
	assert_int_equal(nft_batch_commit(b, &err), 0);
	nft_batch_free(b);
	assert_int_equal(nft_table_exists(NFPROTO_INET, T, NULL), 1);
	out = nft_list();
	assert_non_null(strstr(out, "\"name\": \"blocked\""));
	assert_non_null(strstr(out, "10.1.2.3"));
	assert_non_null(strstr(out, "10.1.2.4"));
	assert_non_null(strstr(out, "\"masquerade\""));
	assert_non_null(strstr(out, "\"drop\""));
	free(out);
	/* removing an element */
	b = nft_batch_new();
	nft_elem_del(b, NFPROTO_INET, T, "blocked", &a, 4);
	assert_int_equal(nft_batch_commit(b, &err), 0);
	nft_batch_free(b);
	out = nft_list();
	assert_null(strstr(out, "10.1.2.3"));
	assert_non_null(strstr(out, "10.1.2.4"));
	free(out);
}

/* A refused message: nothing of the batch is applied, and the error names it. */
static void test_atomic_and_named_errors(void **state)
{
	struct nft_batch *b;
	struct berr *err = NULL;
	struct in_addr a;
	char *out;

	(void)state;
	skip_unless_root();
	inet_pton(AF_INET, "10.9.9.9", &a);
	b = nft_batch_new();
	nft_set_add(b, NFPROTO_INET, T, "fresh", TYPE_IPADDR, 4, 0, 0, 0);
	nft_elem_add(b, NFPROTO_INET, T, "nosuchset", &a, 4, NULL, 0);
	assert_int_equal(nft_batch_commit(b, &err), -ENOENT);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "add element in " T "/nosuchset"));
	berr_freep(&err);
	nft_batch_free(b);
	out = nft_list();
	assert_null(strstr(out, "\"fresh\""));
	free(out);
	/* a verdict map with a jump */
	b = nft_batch_new();
	nft_set_add(b, NFPROTO_INET, T, "vm", TYPE_IPADDR, 4, NFT_SET_MAP, NFT_DATA_VERDICT, 0);
	nft_elem_add_verdict(b, NFPROTO_INET, T, "vm", &a, 4, NFT_JUMP, "isolate");
	assert_int_equal(nft_batch_commit(b, &err), 0);
	nft_batch_free(b);
	out = nft_list();
	assert_non_null(strstr(out, "\"isolate\""));
	free(out);
	/* delete the table: all of it goes */
	b = nft_batch_new();
	nft_table_del(b, NFPROTO_INET, T);
	assert_int_equal(nft_batch_commit(b, &err), 0);
	nft_batch_free(b);
	assert_int_equal(nft_table_exists(NFPROTO_INET, T, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_chain_set_rule),
		cmocka_unit_test(test_atomic_and_named_errors),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
