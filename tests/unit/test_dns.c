/* test_dns.c - unit tests of the embedded resolver's pure parts:
 * core/dns-table.c (visibility through shared networks, aliases, short
 * ids, name.network, round robin, families, replacement and removal, PTR,
 * case, the NXDOMAIN zone, a table of 1,000 containers) and core/dns-msg.c
 * (queries and replies built and parsed back with ldns, EDNS0, truncation,
 * name compression, the 255-octet limits, every class of malformed query,
 * the forwarder's helpers, and random inputs, which run under ASan). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "core/dns-msg.h"
#include "core/dns-table.h"
#include "core/util.h"
#include "ipam/cidr.h"

/* ---- the table ---- */

static const char *const NONE[] = {NULL};
static const char *const FRONT[] = {"net1", NULL};
static const char *const BACK[] = {"net2", NULL};
static const char *const BOTH[] = {"net1", "net2", NULL};

static struct ipaddr addr(const char *s)
{
	struct ipaddr a;

	assert_int_equal(cidr_parse_addr(s, &a, NULL), 0);
	return a;
}

/* Publish endpoint id on one network; a4/a6 may be NULL. */
static void set_ep(struct dns_table *t, const char *id, const char *net_id, const char *net_name,
		   const char *name, const char *const *aliases, const char *a4, const char *a6)
{
	struct ipaddr v4 = a4 ? addr(a4) : (struct ipaddr){.family = 0};
	struct ipaddr v6 = a6 ? addr(a6) : (struct ipaddr){.family = 0};
	struct dns_endpoint ep = {
		.id = id,
		.net_id = net_id,
		.net_name = net_name,
		.name = name,
		.aliases = aliases,
		.addr4 = a4 ? &v4 : NULL,
		.addr6 = a6 ? &v6 : NULL,
	};

	dns_table_set_endpoint(t, &ep);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The answer as sorted text ("10.0.0.2,10.0.0.3"), "" for no data,
 * "ENOENT" for an unknown name.  Caller frees. */
static char *lookup(const struct dns_table *t, const char *const *visible, const char *name,
		    int family)
{
	_cleanup_free_ struct ipaddr *a = NULL;
	char bufs[64][CIDR_STRLEN], *strs[64], *out;
	size_t n = 77, len = 0;
	int r = dns_table_lookup(t, visible, name, family, &a, &n);

	if (r == -ENOENT) {
		assert_int_equal(n, 77); /* ret_ untouched */
		return xstrdup("ENOENT");
	}
	assert_int_equal(r, 0);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		strs[i] = (char *)cidr_addr_str(&a[i], bufs[i]);
	qsort(strs, n, sizeof(*strs), cmp_str);
	out = xcalloc(1, n * (CIDR_STRLEN + 1) + 1);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s%s", i ? "," : "", strs[i]);
	return out;
}

static void assert_lookup(const struct dns_table *t, const char *const *visible, const char *name,
			  int family, const char *want)
{
	char *got = lookup(t, visible, name, family);

	assert_string_equal(got, want);
	free(got);
}

static char *ptr(const struct dns_table *t, const char *const *visible, const char *a)
{
	struct ipaddr ip = addr(a);
	char *name = NULL;

	if (dns_table_lookup_ptr(t, visible, &ip, &name) == -ENOENT) {
		assert_null(name);
		return xstrdup("ENOENT");
	}
	return name;
}

static void assert_ptr(const struct dns_table *t, const char *const *visible, const char *a,
		       const char *want)
{
	char *got = ptr(t, visible, a);

	assert_string_equal(got, want);
	free(got);
}

/* front (net1): c1, c2; back (net2): c2, c3. */
static struct dns_table *lab(void)
{
	struct dns_table *t = dns_table_new();

	set_ep(t, "e1", "net1", "front", "c1", NULL, "10.0.1.2", NULL);
	set_ep(t, "e2a", "net1", "front", "c2", NULL, "10.0.1.3", NULL);
	set_ep(t, "e2b", "net2", "back", "c2", NULL, "10.0.2.3", NULL);
	set_ep(t, "e3", "net2", "back", "c3", NULL, "10.0.2.4", "fd00:2::4");
	return t;
}

static void test_table_visibility(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	assert_int_equal(dns_table_count(t), 4);
	assert_lookup(t, FRONT, "c1", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "c2", AF_INET, "10.0.1.3");
	assert_lookup(t, FRONT, "c3", AF_INET, "ENOENT");
	assert_lookup(t, BACK, "c1", AF_INET, "ENOENT");
	assert_lookup(t, BACK, "c2", AF_INET, "10.0.2.3");
	assert_lookup(t, BACK, "c3", AF_INET, "10.0.2.4");
	assert_lookup(t, BOTH, "c2", AF_INET, "10.0.1.3,10.0.2.3");
	assert_lookup(t, NONE, "c1", AF_INET, "ENOENT");
	assert_lookup(t, (const char *const[]){"nosuchnet", NULL}, "c1", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, "", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, ".", AF_INET, "ENOENT");
	dns_table_free(t);
}

static void test_table_families(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	assert_lookup(t, BACK, "c3", AF_INET6, "fd00:2::4");
	assert_lookup(t, BACK, "c3", AF_UNSPEC, "10.0.2.4,fd00:2::4");
	/* the name exists, without an IPv6 address: no data, not ENOENT */
	assert_lookup(t, BACK, "c2", AF_INET6, "");
	set_ep(t, "e6", "net2", "back", "only6", NULL, NULL, "fd00:2::6");
	assert_lookup(t, BACK, "only6", AF_INET, "");
	assert_lookup(t, BACK, "only6", AF_INET6, "fd00:2::6");
	assert_ptr(t, BACK, "fd00:2::6", "only6.back");
	dns_table_free(t);
}

static void test_table_aliases(void **state)
{
	struct dns_table *t = dns_table_new();

	(void)state;
	set_ep(t, "e1", "net1", "front", "web1",
	       (const char *const[]){"0123456789ab", "web", "www", "web", "", NULL}, "10.0.1.2",
	       NULL);
	assert_lookup(t, FRONT, "web1", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "0123456789ab", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "web", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "www", AF_INET, "10.0.1.2");
	assert_lookup(t, BACK, "web", AF_INET, "ENOENT");
	/* an alias given on one network only */
	set_ep(t, "e1b", "net2", "back", "web1", (const char *const[]){"api", NULL}, "10.0.2.2",
	       NULL);
	assert_lookup(t, FRONT, "api", AF_INET, "ENOENT");
	assert_lookup(t, BACK, "api", AF_INET, "10.0.2.2");
	assert_lookup(t, BOTH, "web1", AF_INET, "10.0.1.2,10.0.2.2");
	/* aliases answer PTR with the container name */
	assert_ptr(t, BACK, "10.0.2.2", "web1.back");
	dns_table_free(t);
}

static void test_table_name_network(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	set_ep(t, "e4", "net1", "front", "c4", (const char *const[]){"cache", NULL}, "10.0.1.4",
	       NULL);
	assert_lookup(t, FRONT, "c1.front", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "cache.front", AF_INET, "10.0.1.4");
	assert_lookup(t, BOTH, "c2.front", AF_INET, "10.0.1.3");
	assert_lookup(t, BOTH, "c2.back", AF_INET, "10.0.2.3");
	assert_lookup(t, FRONT, "c1.back", AF_INET, "ENOENT");
	/* back is not the asker's: its names stay hidden */
	assert_lookup(t, FRONT, "c3.back", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, "C1.Front.", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, ".front", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, "front", AF_INET, "ENOENT");
	/* names and network names with dots; the name itself wins */
	set_ep(t, "e5", "net5", "lab.example", "a.b", NULL, "10.0.5.2", NULL);
	set_ep(t, "e6", "net5", "lab.example", "a.b.lab", NULL, "10.0.5.3", NULL);
	assert_lookup(t, (const char *const[]){"net5", NULL}, "a.b.lab.example", AF_INET,
		      "10.0.5.2");
	assert_lookup(t, (const char *const[]){"net5", NULL}, "a.b.lab", AF_INET, "10.0.5.3");
	set_ep(t, "e7", "net5", "lab.example", "a.b.lab.example", NULL, "10.0.5.4", NULL);
	assert_lookup(t, (const char *const[]){"net5", NULL}, "a.b.lab.example", AF_INET,
		      "10.0.5.4");
	dns_table_free(t);
}

static void test_table_round_robin(void **state)
{
	struct dns_table *t = dns_table_new();
	const char *const alias[] = {"db", NULL};
	unsigned first[3] = {0}, orders = 0;

	(void)state;
	set_ep(t, "e1", "net1", "front", "db1", alias, "10.0.1.11", NULL);
	set_ep(t, "e2", "net1", "front", "db2", alias, "10.0.1.12", NULL);
	set_ep(t, "e3", "net2", "back", "db3", alias, "10.0.2.13", NULL);
	assert_lookup(t, FRONT, "db", AF_INET, "10.0.1.11,10.0.1.12");
	assert_lookup(t, BOTH, "db", AF_INET, "10.0.1.11,10.0.1.12,10.0.2.13");
	for (int i = 0; i < 300; i++) {
		struct ipaddr *a;
		size_t n;

		assert_int_equal(dns_table_lookup(t, BOTH, "DB.", AF_INET, &a, &n), 0);
		assert_int_equal(n, 3);
		first[a[0].b[3] - 11]++;
		orders |= 1u << ((a[0].b[3] - 11) * 3 + (a[1].b[3] - 11));
		free(a);
	}
	/* each holder came first, and several orders were seen */
	assert_true(first[0] && first[1] && first[2]);
	assert_true(__builtin_popcount(orders) >= 4);
	dns_table_free(t);
}

static void test_table_dedup(void **state)
{
	struct dns_table *t = dns_table_new();
	const char *const alias[] = {"svc", NULL};

	(void)state;
	/* two networks with overlapping subnets: the same address twice */
	set_ep(t, "e1", "net1", "front", "s1", alias, "10.9.0.2", NULL);
	set_ep(t, "e2", "net2", "back", "s2", alias, "10.9.0.2", NULL);
	assert_lookup(t, BOTH, "svc", AF_INET, "10.9.0.2");
	/* the same network listed twice by the asker */
	assert_lookup(t, (const char *const[]){"net1", "net1", NULL}, "svc", AF_INET, "10.9.0.2");
	dns_table_free(t);
}

static void test_table_replace_remove(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	/* rename c1, swap its alias and address: one call */
	set_ep(t, "e1", "net1", "front", "c1", (const char *const[]){"old", NULL}, "10.0.1.2",
	       NULL);
	assert_lookup(t, FRONT, "old", AF_INET, "10.0.1.2");
	set_ep(t, "e1", "net1", "front", "renamed", (const char *const[]){"new", NULL}, "10.0.1.20",
	       NULL);
	assert_int_equal(dns_table_count(t), 4);
	assert_lookup(t, FRONT, "c1", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, "old", AF_INET, "ENOENT");
	assert_lookup(t, FRONT, "renamed", AF_INET, "10.0.1.20");
	assert_lookup(t, FRONT, "new", AF_INET, "10.0.1.20");
	assert_ptr(t, FRONT, "10.0.1.2", "ENOENT");
	assert_ptr(t, FRONT, "10.0.1.20", "renamed.front");
	/* disconnect c2 from front: it stays on back */
	dns_table_remove_endpoint(t, "e2a");
	assert_lookup(t, FRONT, "c2", AF_INET, "ENOENT");
	assert_lookup(t, BOTH, "c2", AF_INET, "10.0.2.3");
	dns_table_remove_endpoint(t, "e2a"); /* again: nothing */
	dns_table_remove_endpoint(t, "nosuch");
	dns_table_remove_endpoint(t, "e1");
	assert_lookup(t, FRONT, "renamed", AF_INET, "ENOENT");
	assert_false(dns_table_in_zone(t, FRONT, "x.front")); /* front has no endpoint left */
	assert_int_equal(dns_table_count(t), 2);
	dns_table_remove_endpoint(t, "e2b");
	dns_table_remove_endpoint(t, "e3");
	assert_int_equal(dns_table_count(t), 0);
	assert_lookup(t, BOTH, "c3", AF_UNSPEC, "ENOENT");
	/* and it fills again */
	set_ep(t, "e3", "net2", "back", "c3", NULL, "10.0.2.4", NULL);
	assert_lookup(t, BACK, "c3.back", AF_INET, "10.0.2.4");
	dns_table_free(t);
	dns_table_free(NULL);
}

static void test_table_ptr(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	assert_ptr(t, FRONT, "10.0.1.2", "c1.front");
	assert_ptr(t, BACK, "10.0.1.2", "ENOENT");
	assert_ptr(t, BOTH, "10.0.2.3", "c2.back");
	assert_ptr(t, BACK, "fd00:2::4", "c3.back");
	assert_ptr(t, BACK, "10.0.2.99", "ENOENT");
	assert_ptr(t, NONE, "10.0.1.2", "ENOENT");
	dns_table_free(t);
}

static void test_table_case(void **state)
{
	struct dns_table *t = dns_table_new();

	(void)state;
	set_ep(t, "e1", "net1", "Front", "MyApp", (const char *const[]){"Web.", NULL}, "10.0.1.2",
	       NULL);
	assert_lookup(t, FRONT, "myapp", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "MYAPP.", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "web", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "WEB.FRONT.", AF_INET, "10.0.1.2");
	assert_lookup(t, FRONT, "myapp.front", AF_INET, "10.0.1.2");
	/* PTR keeps the names as given */
	assert_ptr(t, FRONT, "10.0.1.2", "MyApp.Front");
	assert_true(dns_table_in_zone(t, FRONT, "nope.FRONT."));
	dns_table_free(t);
}

static void test_table_in_zone(void **state)
{
	struct dns_table *t = lab();

	(void)state;
	assert_true(dns_table_in_zone(t, FRONT, "nope.front"));
	assert_true(dns_table_in_zone(t, FRONT, "nope.front."));
	assert_true(dns_table_in_zone(t, FRONT, "a.b.front"));
	assert_true(dns_table_in_zone(t, FRONT, "c1.front"));
	assert_false(dns_table_in_zone(t, FRONT, "front"));
	assert_false(dns_table_in_zone(t, FRONT, "front."));
	assert_false(dns_table_in_zone(t, FRONT, ".front"));
	assert_false(dns_table_in_zone(t, FRONT, "xfront"));
	assert_false(dns_table_in_zone(t, FRONT, "nope.back"));
	assert_true(dns_table_in_zone(t, BOTH, "nope.back"));
	assert_false(dns_table_in_zone(t, BOTH, "example.com"));
	assert_false(dns_table_in_zone(t, BOTH, "nope"));
	assert_false(dns_table_in_zone(t, BOTH, ""));
	assert_false(dns_table_in_zone(t, NONE, "nope.front"));
	dns_table_free(t);
}

/* 1,000 containers on 10 networks with 5 names each. */
static void test_table_scale(void **state)
{
	struct dns_table *t = dns_table_new();
	const char *const visible[] = {"net3", "net7", NULL};
	char id[32], name[32], sid[32], a1[32], a2[32], a3[32], ip[32], net[16], netname[16];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "ep%d", i);
		snprintf(name, sizeof(name), "ctr%d", i);
		snprintf(sid, sizeof(sid), "%012x", 0xabc000 + i);
		snprintf(a1, sizeof(a1), "alias%d", i);
		snprintf(a2, sizeof(a2), "svc%d", i % 10);
		snprintf(a3, sizeof(a3), "all");
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i % 10, i / 250, i % 250 + 2);
		snprintf(net, sizeof(net), "net%d", i % 10);
		snprintf(netname, sizeof(netname), "n%d", i % 10);
		set_ep(t, id, net, netname, name, (const char *const[]){sid, a1, a2, a3, NULL}, ip,
		       NULL);
	}
	assert_int_equal(dns_table_count(t), 1000);
	for (int i = 0; i < 1000; i++) {
		bool seen = i % 10 == 3 || i % 10 == 7;
		struct ipaddr *a = NULL;
		size_t n = 0;

		snprintf(name, sizeof(name), "CTR%d.", i);
		assert_int_equal(dns_table_lookup(t, visible, name, AF_INET, &a, &n),
				 seen ? 0 : -ENOENT);
		assert_int_equal(n, seen ? 1 : 0);
		free(a);
		snprintf(sid, sizeof(sid), "%012x", 0xabc000 + i);
		assert_int_equal(dns_table_lookup(t, visible, sid, AF_INET, &a, &n),
				 seen ? 0 : -ENOENT);
		free(a);
	}
	assert_lookup(t, (const char *const[]){"net3", NULL}, "alias13.n3", AF_INET, "10.3.0.15");
	{
		struct ipaddr *a;
		size_t n;

		assert_int_equal(dns_table_lookup(t, visible, "svc3", AF_INET, &a, &n), 0);
		assert_int_equal(n, 100);
		free(a);
		assert_int_equal(dns_table_lookup(t, visible, "all", AF_INET, &a, &n), 0);
		assert_int_equal(n, 200);
		free(a);
	}
	for (int i = 0; i < 1000; i += 2) {
		snprintf(id, sizeof(id), "ep%d", i);
		dns_table_remove_endpoint(t, id);
	}
	assert_int_equal(dns_table_count(t), 500);
	assert_lookup(t, visible, "ctr13", AF_INET, "10.3.0.15");
	assert_lookup(t, visible, "ctr12", AF_INET, "ENOENT");
	dns_table_free(t);
}

/* ---- messages ---- */

/* A query built by ldns, in wire format; caller frees.  edns 0: none. */
static uint8_t *query_wire(const char *name, ldns_rr_type type, uint16_t id, uint16_t edns,
			   bool edns_do, size_t *ret_len)
{
	ldns_pkt *pkt =
		ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire;

	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, id);
	if (edns) {
		ldns_pkt_set_edns_udp_size(pkt, edns);
		ldns_pkt_set_edns_do(pkt, edns_do);
	}
	assert_int_equal(ldns_pkt2wire(&wire, pkt, ret_len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return wire;
}

static struct dns_query parse_ok(const char *name, ldns_rr_type type, uint16_t edns,
				 enum dns_transport tr)
{
	struct dns_query q;
	size_t len;
	uint8_t *wire = query_wire(name, type, 0x1234, edns, false, &len);

	assert_int_equal(dns_msg_parse_query(wire, len, tr, &q, NULL), 0);
	free(wire);
	return q;
}

/* Parse a reply we built; it must be well-formed. */
static ldns_pkt *reply_pkt(const uint8_t *buf, size_t len)
{
	ldns_pkt *pkt = NULL;

	assert_int_equal(ldns_wire2pkt(&pkt, buf, len), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(pkt));
	return pkt;
}

static char *rdf_str(const ldns_rdf *rdf)
{
	char *s = ldns_rdf2str(rdf);

	assert_non_null(s);
	return s;
}

#define assert_rdf_str(rdf, want)                                                                  \
	do {                                                                                       \
		char *_s = rdf_str(rdf);                                                           \
		assert_string_equal(_s, want);                                                     \
		free(_s);                                                                          \
	} while (0)

static void test_msg_parse(void **state)
{
	ldns_rdf *rdf = ldns_dname_new_frm_str("Web.MyNet.");
	struct dns_query q;
	uint8_t *wire;
	size_t len;

	(void)state;
	q = parse_ok("Web.MyNet.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_true(q.rd);
	assert_false(q.cd);
	assert_false(q.edns);
	assert_int_equal(q.max_reply, DNS_UDP_MIN);
	assert_string_equal(q.name, "Web.MyNet.");
	assert_int_equal(q.qname_len, ldns_rdf_size(rdf));
	assert_memory_equal(q.qname, ldns_rdf_data(rdf), q.qname_len);
	ldns_rdf_deep_free(rdf);

	assert_int_equal(parse_ok("a.", LDNS_RR_TYPE_AAAA, 0, DNS_TCP).max_reply, DNS_TCP_MAX);
	assert_int_equal(parse_ok("a.", LDNS_RR_TYPE_AAAA, 4096, DNS_TCP).max_reply, DNS_TCP_MAX);
	assert_int_equal(parse_ok("a.", LDNS_RR_TYPE_AAAA, 4096, DNS_UDP).max_reply, 4096);
	assert_int_equal(parse_ok("a.", LDNS_RR_TYPE_AAAA, 100, DNS_UDP).max_reply, DNS_UDP_MIN);
	assert_int_equal(parse_ok("a.", LDNS_RR_TYPE_AAAA, 65535, DNS_UDP).max_reply, DNS_UDP_MAX);
	assert_string_equal(parse_ok(".", LDNS_RR_TYPE_NS, 0, DNS_UDP).name, ".");
	assert_int_equal(parse_ok("x.", LDNS_RR_TYPE_MX, 0, DNS_UDP).qtype, DNS_TYPE_MX);

	wire = query_wire("a.", LDNS_RR_TYPE_A, 7, 1232, true, &len);
	assert_int_equal(dns_msg_parse_query(wire, len, DNS_UDP, &q, NULL), 0);
	assert_true(q.edns);
	assert_true(q.edns_do);
	assert_int_equal(q.max_reply, 1232);
	free(wire);
}

/* The fixed parts of every reply we build for q. */
static void check_reply(const ldns_pkt *p, const struct dns_query *q, ldns_pkt_rcode rcode)
{
	const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);

	assert_int_equal(ldns_pkt_id(p), q->id);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
	assert_int_equal(ldns_pkt_get_rcode(p), rcode);
	assert_int_equal(ldns_pkt_rd(p), q->rd);
	assert_true(ldns_pkt_ra(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	/* the question as asked, case and all */
	assert_int_equal(ldns_rdf_size(ldns_rr_owner(qr)), q->qname_len);
	assert_memory_equal(ldns_rdf_data(ldns_rr_owner(qr)), q->qname, q->qname_len);
	assert_int_equal(ldns_rr_get_type(qr), q->qtype);
	assert_int_equal(ldns_rr_get_class(qr), q->qclass);
	assert_int_equal(ldns_pkt_edns(p), q->edns);
}

static void test_msg_answer_addrs(void **state)
{
	struct dns_query q = parse_ok("C1.Front.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	struct ipaddr a[2] = {addr("10.0.1.2"), addr("10.0.1.3")};
	uint8_t *buf;
	size_t len;
	ldns_pkt *p;

	(void)state;
	assert_int_equal(dns_msg_answer_addrs(&q, a, 2, &buf, &len, NULL), 0);
	/* header, question, and two answers whose owner is a 2-byte pointer */
	assert_int_equal(len, DNS_HEADER_LEN + q.qname_len + 4 + 2 * (2 + 10 + 4));
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	for (int i = 0; i < 2; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), (size_t)i);

		assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
		assert_int_equal(ldns_rr_ttl(rr), DNS_TTL);
		assert_rdf_str(ldns_rr_owner(rr), "C1.Front.");
		assert_memory_equal(ldns_rdf_data(ldns_rr_rdf(rr, 0)), a[i].b, 4);
	}
	ldns_pkt_free(p);
	free(buf);

	/* AAAA */
	q = parse_ok("c3.", LDNS_RR_TYPE_AAAA, 0, DNS_UDP);
	a[0] = addr("fd00:2::4");
	assert_int_equal(dns_msg_answer_addrs(&q, a, 1, &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
			 LDNS_RR_TYPE_AAAA);
	assert_rdf_str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0), "fd00:2::4");
	ldns_pkt_free(p);
	free(buf);

	/* no data: NOERROR, nothing */
	assert_int_equal(dns_msg_answer_addrs(&q, NULL, 0, &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	free(buf);
}

static void test_msg_answer_ptr(void **state)
{
	struct dns_query q = parse_ok("2.1.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR, 0, DNS_UDP);
	char label64[80];
	uint8_t *buf = NULL;
	size_t len;
	ldns_pkt *p;
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(dns_msg_answer_ptr(&q, "c1.front", &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
			 LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), DNS_TTL);
	assert_rdf_str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0), "c1.front.");
	ldns_pkt_free(p);
	free(buf);
	assert_int_equal(dns_msg_answer_ptr(&q, "c1.front.", &buf, &len, NULL), 0);
	free(buf);

	memset(label64, 'x', 64);
	strcpy(label64 + 64, ".front");
	buf = NULL;
	assert_int_equal(dns_msg_answer_ptr(&q, label64, &buf, &len, &err), -EINVAL);
	assert_null(buf);
	assert_non_null(err);
	berr_free(err);
	assert_int_equal(dns_msg_answer_ptr(&q, "", &buf, &len, NULL), -EINVAL);
	assert_int_equal(dns_msg_answer_ptr(&q, "a..b", &buf, &len, NULL), -EINVAL);
}

static void test_msg_answer_rcodes(void **state)
{
	static const enum dns_rcode codes[] = {DNS_RCODE_NXDOMAIN, DNS_RCODE_NOERROR,
					       DNS_RCODE_SERVFAIL, DNS_RCODE_REFUSED,
					       DNS_RCODE_NOTIMP};
	struct dns_query q = parse_ok("nope.front.", LDNS_RR_TYPE_A, 0, DNS_UDP);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		uint8_t *buf;
		size_t len;
		ldns_pkt *p;

		assert_int_equal(dns_msg_answer_rcode(&q, codes[i], &buf, &len, NULL), 0);
		p = reply_pkt(buf, len);
		check_reply(p, &q, (ldns_pkt_rcode)codes[i]);
		assert_int_equal(ldns_pkt_aa(p),
				 codes[i] == DNS_RCODE_NXDOMAIN || codes[i] == DNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_ancount(p) + ldns_pkt_nscount(p) + ldns_pkt_arcount(p),
				 0);
		ldns_pkt_free(p);
		free(buf);
	}
}

static void test_msg_edns(void **state)
{
	struct dns_query q;
	uint8_t *wire, *buf;
	size_t wlen, len;
	ldns_pkt *p;
	struct ipaddr a = addr("10.0.1.2");

	(void)state;
	wire = query_wire("c1.", LDNS_RR_TYPE_A, 99, 4096, true, &wlen);
	assert_int_equal(dns_msg_parse_query(wire, wlen, DNS_UDP, &q, NULL), 0);
	free(wire);
	assert_int_equal(dns_msg_answer_addrs(&q, &a, 1, &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), DNS_EDNS_SIZE);
	assert_int_equal(ldns_pkt_edns_version(p), 0);
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(LDNS_ARCOUNT(buf), 1); /* the OPT on the wire */
	ldns_pkt_free(p);
	free(buf);

	/* without DO: the OPT without it; without EDNS: no OPT */
	wire = query_wire("c1.", LDNS_RR_TYPE_A, 99, 1400, false, &wlen);
	assert_int_equal(dns_msg_parse_query(wire, wlen, DNS_UDP, &q, NULL), 0);
	free(wire);
	assert_int_equal(dns_msg_answer_rcode(&q, DNS_RCODE_NXDOMAIN, &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	assert_true(ldns_pkt_edns(p));
	assert_false(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);
	free(buf);
	q = parse_ok("c1.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	assert_int_equal(dns_msg_answer_addrs(&q, &a, 1, &buf, &len, NULL), 0);
	assert_int_equal(LDNS_ARCOUNT(buf), 0);
	free(buf);
}

/* n IPv4 answers to q; checks the reply and returns whether it was cut. */
static bool answer_many(const struct dns_query *q, size_t n, size_t *ret_len)
{
	struct ipaddr *a = xcalloc(n, sizeof(*a));
	uint8_t *buf;
	size_t len;
	ldns_pkt *p;
	bool tc;

	for (size_t i = 0; i < n; i++) {
		a[i] = addr("10.0.0.0");
		a[i].b[2] = (uint8_t)(i >> 8);
		a[i].b[3] = (uint8_t)i;
	}
	assert_int_equal(dns_msg_answer_addrs(q, a, n, &buf, &len, NULL), 0);
	assert_true(len <= q->max_reply);
	p = reply_pkt(buf, len);
	check_reply(p, q, LDNS_RCODE_NOERROR);
	tc = ldns_pkt_tc(p);
	assert_int_equal(ldns_pkt_ancount(p), tc ? 0 : n);
	assert_int_equal(dns_msg_truncated(buf, len), tc);
	ldns_pkt_free(p);
	free(buf);
	free(a);
	*ret_len = len;
	return tc;
}

static void test_msg_truncation(void **state)
{
	struct dns_query q;
	size_t len;

	(void)state;
	/* 100 A records: 1,600+ bytes */
	q = parse_ok("big.front.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	assert_false(answer_many(&q, 29, &len)); /* 12 + 15 + 29 * 16 = 491 */
	assert_true(answer_many(&q, 100, &len));
	q = parse_ok("big.front.", LDNS_RR_TYPE_A, 4096, DNS_UDP);
	assert_false(answer_many(&q, 100, &len));
	assert_true(len > DNS_UDP_MIN);
	assert_true(answer_many(&q, 300, &len)); /* 4,800+ bytes */
	q = parse_ok("big.front.", LDNS_RR_TYPE_A, 0, DNS_TCP);
	assert_false(answer_many(&q, 300, &len));
	/* over 64 KiB even on TCP: still a valid, truncated reply */
	assert_true(answer_many(&q, 5000, &len));
}

/* ---- hand-made wire messages, for what ldns would not build ---- */

struct wire {
	uint8_t b[1024];
	size_t n;
};

static void put8(struct wire *w, unsigned v)
{
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void put16(struct wire *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void put_header(struct wire *w, unsigned id, unsigned flags, unsigned qd, unsigned an,
		       unsigned ns, unsigned ar)
{
	w->n = 0;
	put16(w, id);
	put16(w, flags);
	put16(w, qd);
	put16(w, an);
	put16(w, ns);
	put16(w, ar);
}

/* nlabels labels of len bytes each, then the root. */
static void put_name(struct wire *w, unsigned nlabels, unsigned len)
{
	for (unsigned i = 0; i < nlabels; i++) {
		put8(w, len);
		for (unsigned j = 0; j < len; j++)
			put8(w, 'a' + (i + j) % 26);
	}
	put8(w, 0);
}

static void put_question(struct wire *w, unsigned type)
{
	put16(w, type);
	put16(w, LDNS_RR_CLASS_IN);
}

/* An OPT record: udp size, extended rcode, version. */
static void put_opt(struct wire *w, unsigned size, unsigned version)
{
	put8(w, 0);
	put16(w, LDNS_RR_TYPE_OPT);
	put16(w, size);
	put8(w, 0);
	put8(w, version);
	put16(w, 0);
	put16(w, 0);
}

/* A query of one question for a name of nlabels labels of len bytes. */
static void put_query(struct wire *w, unsigned nlabels, unsigned len)
{
	put_header(w, 0xbeef, 0x0100, 1, 0, 0, 0);
	put_name(w, nlabels, len);
	put_question(w, LDNS_RR_TYPE_A);
}

/* A query for labels of 63, 63, 63 and last bytes: 193 + last + 1 octets. */
static void put_long_query(struct wire *w, unsigned last)
{
	put_header(w, 1, 0x0100, 1, 0, 0, 0);
	for (unsigned l = 0; l < 4; l++) {
		unsigned len = l < 3 ? 63 : last;

		put8(w, len);
		for (unsigned j = 0; j < len; j++)
			put8(w, 'a');
	}
	put8(w, 0);
	put_question(w, LDNS_RR_TYPE_A);
}

/* w is refused with code; the refusal is the reply with rcode (or none). */
static void check_refused(const struct wire *w, int code, int rcode)
{
	struct dns_query q = {.id = 4242};
	struct berr *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(dns_msg_parse_query(w->b, w->n, DNS_UDP, &q, &err), code);
	assert_int_equal(q.id, 4242); /* ret_ untouched */
	assert_non_null(err);
	assert_int_equal(err->code, -code);
	berr_free(err);
	if (rcode < 0) {
		assert_int_equal(dns_msg_refusal(w->b, w->n, code, &buf, &len), -ENODATA);
		assert_null(buf);
		return;
	}
	assert_int_equal(dns_msg_refusal(w->b, w->n, code, &buf, &len), 0);
	{
		ldns_pkt *p = reply_pkt(buf, len);

		assert_int_equal(ldns_pkt_id(p), LDNS_ID_WIRE(w->b));
		assert_int_equal(ldns_pkt_get_opcode(p), LDNS_OPCODE_WIRE(w->b));
		assert_int_equal(ldns_pkt_get_rcode(p), rcode & 0xf);
		assert_int_equal(ldns_pkt_rd(p), !!LDNS_RD_WIRE(w->b));
		assert_int_equal(ldns_pkt_ancount(p), 0);
		if (rcode > 0xf) {
			assert_true(ldns_pkt_edns(p));
			assert_int_equal(ldns_pkt_edns_extended_rcode(p), rcode >> 4);
			assert_int_equal(ldns_pkt_edns_version(p), 0);
			assert_int_equal(ldns_pkt_qdcount(p), 1);
		} else {
			assert_int_equal(len, DNS_HEADER_LEN);
		}
		ldns_pkt_free(p);
	}
	free(buf);
}

static void test_msg_names_limits(void **state)
{
	struct wire w;
	struct dns_query q;
	uint8_t *buf;
	size_t len;
	ldns_pkt *p;
	struct ipaddr a = addr("10.0.0.1");

	(void)state;
	/* 255 octets: labels of 63, 63, 63 and 61, their lengths, the root */
	put_long_query(&w, 61);
	assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
	assert_int_equal(q.qname_len, 255);
	assert_int_equal(strlen(q.name), 253 + 1);
	assert_int_equal(dns_msg_answer_addrs(&q, &a, 1, &buf, &len, NULL), 0);
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	free(buf);
	/* 127 one-letter labels: 255 octets too; 128: over */
	put_query(&w, 127, 1);
	assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
	put_query(&w, 128, 1);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* 256 octets */
	put_long_query(&w, 62);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* a 64-byte label (0x40 is no length DNS allows) */
	put_query(&w, 1, 64);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_query(&w, 1, 63);
	assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
	/* escapes in the presentation form */
	put_header(&w, 1, 0x0100, 1, 0, 0, 0);
	put8(&w, 3);
	put8(&w, 'a');
	put8(&w, '.');
	put8(&w, 0xff);
	put8(&w, 0);
	put_question(&w, LDNS_RR_TYPE_A);
	assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
	assert_string_equal(q.name, "a\\.\\255.");
}

static void test_msg_malformed(void **state)
{
	struct wire w;

	(void)state;
	/* nothing, or not even a header: dropped */
	w.n = 0;
	check_refused(&w, -EPROTO, -1);
	put_query(&w, 1, 3);
	w.n = DNS_HEADER_LEN - 1;
	check_refused(&w, -EPROTO, -1);
	/* a response (QR): dropped, answering it could loop */
	put_header(&w, 1, 0x8180, 1, 0, 0, 0);
	put_name(&w, 1, 3);
	put_question(&w, LDNS_RR_TYPE_A);
	check_refused(&w, -EPROTO, -1);
	/* opcodes STATUS, NOTIFY, UPDATE: NOTIMP */
	for (unsigned op = 2; op <= 5; op += op == 2 ? 2 : 1) {
		put_header(&w, 0x4711, op << 11 | 0x0100, 1, 0, 0, 0);
		put_name(&w, 1, 3);
		put_question(&w, LDNS_RR_TYPE_A);
		check_refused(&w, -EOPNOTSUPP, LDNS_RCODE_NOTIMPL);
	}
	/* no question, two questions: FORMERR */
	put_header(&w, 7, 0x0100, 0, 0, 0, 0);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_header(&w, 7, 0x0000, 2, 0, 0, 0);
	put_name(&w, 1, 3);
	put_question(&w, LDNS_RR_TYPE_A);
	put_name(&w, 1, 4);
	put_question(&w, LDNS_RR_TYPE_A);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* the header promises more than there is */
	put_header(&w, 8, 0x0100, 1, 0, 0, 0);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_query(&w, 2, 10);
	w.n -= 8;
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_query(&w, 2, 10);
	w.n -= 2; /* no class */
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_query(&w, 1, 3);
	w.b[11] = 1; /* ARCOUNT 1, no record */
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* too many records for a query */
	put_query(&w, 1, 3);
	w.b[7] = 2;
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_query(&w, 1, 3);
	w.b[11] = 3;
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* compression pointers: to itself, past the end, to offset 0 */
	put_header(&w, 9, 0x0100, 1, 0, 0, 0);
	put16(&w, 0xc000 | DNS_HEADER_LEN);
	put_question(&w, LDNS_RR_TYPE_A);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_header(&w, 9, 0x0100, 1, 0, 0, 0);
	put16(&w, 0xc000 | 0x3fff);
	put_question(&w, LDNS_RR_TYPE_A);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	put_header(&w, 9, 0x0100, 1, 0, 0, 0);
	put16(&w, 0xc000);
	put_question(&w, LDNS_RR_TYPE_A);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* two OPT records: FORMERR (RFC 6891 6.1.1) */
	put_header(&w, 10, 0x0100, 1, 0, 0, 2);
	put_name(&w, 1, 3);
	put_question(&w, LDNS_RR_TYPE_A);
	put_opt(&w, 4096, 0);
	put_opt(&w, 4096, 0);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	/* EDNS version 1: BADVERS (16), with the question and an OPT */
	put_header(&w, 11, 0x0100, 1, 0, 0, 1);
	put_name(&w, 1, 3);
	put_question(&w, LDNS_RR_TYPE_A);
	put_opt(&w, 4096, 1);
	check_refused(&w, -EPROTONOSUPPORT, 16);
	/* a well-formed OPT of version 0 passes */
	w.b[w.n - 5] = 0;
	{
		struct dns_query q;

		assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
		assert_true(q.edns);
		assert_int_equal(q.max_reply, 4096);
	}
	/* an option (cookie, 8 bytes) that says it has 100: FORMERR; right: passes */
	put_header(&w, 12, 0x0100, 1, 0, 0, 1);
	put_name(&w, 1, 3);
	put_question(&w, LDNS_RR_TYPE_A);
	put_opt(&w, 4096, 0);
	w.b[w.n - 1] = 12; /* rdlength */
	put16(&w, 10);
	put16(&w, 100);
	for (int i = 0; i < 8; i++)
		put8(&w, (uint8_t)i);
	check_refused(&w, -EBADMSG, LDNS_RCODE_FORMERR);
	w.b[w.n - 9] = 8;
	{
		struct dns_query q;

		assert_int_equal(dns_msg_parse_query(w.b, w.n, DNS_UDP, &q, NULL), 0);
	}
}

static void test_msg_refusal_codes(void **state)
{
	struct wire w;
	uint8_t *buf = NULL;
	size_t len;

	(void)state;
	put_query(&w, 1, 3);
	assert_int_equal(dns_msg_refusal(w.b, w.n, -EPROTO, &buf, &len), -ENODATA);
	assert_int_equal(dns_msg_refusal(w.b, w.n, 0, &buf, &len), -ENODATA);
	assert_int_equal(dns_msg_refusal(w.b, w.n, -ENOMEM, &buf, &len), -ENODATA);
	assert_null(buf);
}

static void check_ptr_addr(const char *name, const char *want)
{
	struct ipaddr a = {.family = 77};
	char buf[CIDR_STRLEN];

	if (!want) {
		assert_int_equal(dns_msg_ptr_addr(name, &a), -EINVAL);
		assert_int_equal(a.family, 77);
		return;
	}
	assert_int_equal(dns_msg_ptr_addr(name, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), want);
}

static void test_msg_ptr_addr(void **state)
{
	static const char *const addrs[] = {
		"10.0.1.2", "0.0.0.0", "255.255.255.255", "fd00:2::4", "2001:db8::abcd:ef01", "::"};
	const char *v6 = "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.0.d.f";
	char name[128];

	(void)state;
	check_ptr_addr("4.3.2.1.in-addr.arpa.", "1.2.3.4");
	check_ptr_addr("4.3.2.1.IN-ADDR.ARPA", "1.2.3.4");
	check_ptr_addr("255.0.0.10.in-addr.arpa", "10.0.0.255");
	check_ptr_addr("3.2.1.in-addr.arpa", NULL);
	check_ptr_addr("5.4.3.2.1.in-addr.arpa", NULL);
	check_ptr_addr("256.3.2.1.in-addr.arpa", NULL);
	check_ptr_addr("a.3.2.1.in-addr.arpa", NULL);
	check_ptr_addr("4..2.1.in-addr.arpa", NULL);
	check_ptr_addr(".in-addr.arpa", NULL);
	check_ptr_addr("in-addr.arpa", NULL);
	check_ptr_addr("1234.3.2.1.in-addr.arpa", NULL);
	snprintf(name, sizeof(name), "%s.ip6.arpa.", v6);
	check_ptr_addr(name, "fd00:2::4");
	snprintf(name, sizeof(name), "%s.IP6.ARPA", v6);
	check_ptr_addr(name, "fd00:2::4");
	snprintf(name, sizeof(name), "%s.ip6.arpa", v6 + 2); /* 31 nibbles */
	check_ptr_addr(name, NULL);
	snprintf(name, sizeof(name), "%s.ip6.arpa", v6);
	name[0] = 'g';
	check_ptr_addr(name, NULL);
	check_ptr_addr("example.com.", NULL);
	check_ptr_addr("", NULL);
	/* what ldns writes for an address, read back */
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct ipaddr a = addr(addrs[i]);
		ldns_rdf *rd = ldns_rdf_new_frm_data(a.family == AF_INET ? LDNS_RDF_TYPE_A
									 : LDNS_RDF_TYPE_AAAA,
						     cidr_family_bytes(a.family), a.b);
		ldns_rdf *rev = ldns_rdf_address_reverse(rd);
		char *s = rdf_str(rev);

		check_ptr_addr(s, addrs[i]);
		free(s);
		ldns_rdf_deep_free(rev);
		ldns_rdf_deep_free(rd);
	}
}

/* An upstream's answer to "name" with n A records, id id; caller frees. */
static uint8_t *upstream_answer(const char *name, uint16_t id, size_t n, size_t *ret_len)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		char line[128];

		snprintf(line, sizeof(line), "%s 300 IN A 192.0.%zu.%zu", name, i / 256, i % 256);
		assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	assert_int_equal(ldns_pkt2wire(&wire, p, ret_len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static void test_msg_forwarder(void **state)
{
	struct dns_query q = parse_ok("example.com.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	uint8_t *query, *up, *buf = NULL;
	size_t qlen, uplen, len;
	uint16_t id = 0;
	struct berr *err = NULL;
	ldns_pkt *p;

	(void)state;
	/* the forwarder sends the query on under an id of its own */
	query = query_wire("example.com.", LDNS_RR_TYPE_A, 0x1234, 0, false, &qlen);
	assert_int_equal(dns_msg_id(query, qlen, &id), 0);
	assert_int_equal(id, 0x1234);
	assert_int_equal(dns_msg_set_id(query, qlen, 0xabcd), 0);
	assert_int_equal(dns_msg_id(query, qlen, &id), 0);
	assert_int_equal(id, 0xabcd);
	assert_int_equal(dns_msg_id(query, 11, &id), -EBADMSG);
	assert_int_equal(dns_msg_set_id(query, 1, 1), -EBADMSG);
	assert_int_equal(dns_msg_set_id(NULL, 0, 1), -EBADMSG);
	assert_false(dns_msg_truncated(query, qlen));
	assert_false(dns_msg_truncated(query, 3));

	/* the answer goes back under the client's id, otherwise untouched */
	up = upstream_answer("EXAMPLE.com.", 0xabcd, 2, &uplen);
	assert_int_equal(dns_msg_relay(&q, up, uplen, &buf, &len, NULL), 0);
	assert_int_equal(len, uplen);
	assert_int_equal(LDNS_ID_WIRE(buf), 0x1234);
	assert_memory_equal(buf + 2, up + 2, len - 2);
	free(buf);
	free(up);

	/* too large for the client: an empty truncated reply */
	up = upstream_answer("example.com.", 0xabcd, 100, &uplen);
	assert_true(uplen > DNS_UDP_MIN);
	assert_int_equal(dns_msg_relay(&q, up, uplen, &buf, &len, NULL), 0);
	assert_true(len <= DNS_UDP_MIN);
	assert_true(dns_msg_truncated(buf, len));
	p = reply_pkt(buf, len);
	check_reply(p, &q, LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	free(buf);
	/* the same over TCP: whole */
	q = parse_ok("example.com.", LDNS_RR_TYPE_A, 0, DNS_TCP);
	assert_int_equal(dns_msg_relay(&q, up, uplen, &buf, &len, NULL), 0);
	assert_int_equal(len, uplen);
	assert_false(dns_msg_truncated(buf, len));
	free(buf);
	free(up);

	/* not an answer to our question, not an answer, not a message */
	up = upstream_answer("example.org.", 0xabcd, 1, &uplen);
	assert_int_equal(dns_msg_relay(&q, up, uplen, &buf, &len, &err), -EBADMSG);
	assert_non_null(err);
	berr_free(err);
	free(up);
	assert_int_equal(dns_msg_relay(&q, query, qlen, &buf, &len, NULL), -EBADMSG);
	assert_int_equal(dns_msg_relay(&q, query, 5, &buf, &len, NULL), -EBADMSG);
	q.qtype = DNS_TYPE_AAAA;
	up = upstream_answer("example.com.", 0xabcd, 1, &uplen);
	assert_int_equal(dns_msg_relay(&q, up, uplen, &buf, &len, NULL), -EBADMSG);
	free(up);
	free(query);
}

/* Whatever the bytes, parsing never crashes, and every reply we make from
 * them is a message ldns reads.  Returns what the parser said. */
static int fuzz_one(const uint8_t *b, size_t n, const struct dns_query *fwd)
{
	struct dns_query q;
	struct ipaddr a[2] = {addr("10.0.0.1"), addr("fd00::1")};
	uint8_t *buf = NULL;
	size_t len;
	uint16_t id;
	int r = dns_msg_parse_query(b, n, n % 2 ? DNS_TCP : DNS_UDP, &q, NULL);

	if (r == 0) {
		assert_int_equal(dns_msg_answer_addrs(&q, a, 2, &buf, &len, NULL), 0);
		ldns_pkt_free(reply_pkt(buf, len));
		free(buf);
		assert_int_equal(dns_msg_answer_rcode(&q, DNS_RCODE_NXDOMAIN, &buf, &len, NULL), 0);
		ldns_pkt_free(reply_pkt(buf, len));
		free(buf);
	} else if (dns_msg_refusal(b, n, r, &buf, &len) == 0) {
		ldns_pkt_free(reply_pkt(buf, len));
		free(buf);
	}
	if (dns_msg_relay(fwd, b, n, &buf, &len, NULL) == 0)
		free(buf);
	(void)dns_msg_truncated(b, n);
	(void)dns_msg_id(b, n, &id);
	return r;
}

/* Tally of parse results: accepted, dropped, FORMERR, NOTIMP, BADVERS. */
static void fuzz_count(unsigned seen[5], int r)
{
	static const int codes[5] = {0, -EPROTO, -EBADMSG, -EOPNOTSUPP, -EPROTONOSUPPORT};

	for (size_t i = 0; i < 5; i++) {
		if (codes[i] == r)
			seen[i]++;
	}
}

static void test_msg_fuzz(void **state)
{
	struct dns_query fwd = parse_ok("example.com.", LDNS_RR_TYPE_A, 0, DNS_UDP);
	uint8_t b[600], *seed;
	size_t seed_len, up_len;
	uint8_t *up = upstream_answer("example.com.", 1, 3, &up_len);
	unsigned rnd = 12345, seen[5] = {0};

	(void)state;
	seed = query_wire("abc.example.com.", LDNS_RR_TYPE_A, 1, 4096, true, &seed_len);
	for (int i = 0; i < 4000; i++) {
		size_t n = (size_t)rand_r(&rnd) % sizeof(b);

		for (size_t j = 0; j < n; j++)
			b[j] = (uint8_t)rand_r(&rnd);
		/* half of them look like queries: QR clear, opcode 0, QDCOUNT 1 */
		if (i % 2 && n >= DNS_HEADER_LEN) {
			b[2] &= 0x07;
			b[4] = 0;
			b[5] = 1;
			b[6] = b[8] = b[10] = 0;
		}
		fuzz_count(seen, fuzz_one(b, n, &fwd));
	}
	/* mutations of a real query and a real answer: a few bytes flipped,
	 * or cut short */
	for (int i = 0; i < 4000; i++) {
		const uint8_t *base = i % 2 ? up : seed;
		size_t n = i % 2 ? up_len : seed_len;

		memcpy(b, base, n);
		for (int k = 0; k < 1 + i % 4; k++)
			b[(size_t)rand_r(&rnd) % n] = (uint8_t)rand_r(&rnd);
		if (i % 5 == 0)
			n = (size_t)rand_r(&rnd) % n;
		fuzz_count(seen, fuzz_one(b, n, &fwd));
	}
	/* every outcome was reached */
	for (size_t i = 0; i < 5; i++)
		assert_true(seen[i] > 0);
	free(seed);
	free(up);
}

int main(void)
{
	const struct CMUnitTest table[] = {
		cmocka_unit_test(test_table_visibility),
		cmocka_unit_test(test_table_families),
		cmocka_unit_test(test_table_aliases),
		cmocka_unit_test(test_table_name_network),
		cmocka_unit_test(test_table_round_robin),
		cmocka_unit_test(test_table_dedup),
		cmocka_unit_test(test_table_replace_remove),
		cmocka_unit_test(test_table_ptr),
		cmocka_unit_test(test_table_case),
		cmocka_unit_test(test_table_in_zone),
		cmocka_unit_test(test_table_scale),
	};
	const struct CMUnitTest msg[] = {
		cmocka_unit_test(test_msg_parse),	  cmocka_unit_test(test_msg_answer_addrs),
		cmocka_unit_test(test_msg_answer_ptr),	  cmocka_unit_test(test_msg_answer_rcodes),
		cmocka_unit_test(test_msg_edns),	  cmocka_unit_test(test_msg_truncation),
		cmocka_unit_test(test_msg_names_limits),  cmocka_unit_test(test_msg_malformed),
		cmocka_unit_test(test_msg_refusal_codes), cmocka_unit_test(test_msg_ptr_addr),
		cmocka_unit_test(test_msg_forwarder),	  cmocka_unit_test(test_msg_fuzz),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("dns table", table, NULL, NULL);
	failed += cmocka_run_group_tests_name("dns messages", msg, NULL, NULL);
	return failed ? 1 : 0;
}
