/* test_cidr.c - unit tests of ipam/cidr.c: parsing and printing of IPv4
 * and IPv6 addresses and prefixes, the error messages, overlap/within/
 * contains at the /0, /32 and /128 edges, offset arithmetic. */
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

#include "core/berr.h"
#include "ipam/cidr.h"

static struct prefix *parse_prefix(const char *s, struct prefix *p)
{
	assert_int_equal(cidr_parse_prefix(s, p, NULL), 0);
	return p;
}

static struct ipaddr *parse_addr(const char *s, struct ipaddr *a)
{
	assert_int_equal(cidr_parse_addr(s, a, NULL), 0);
	return a;
}

/* Pointers to parsed literals, alive until the end of the enclosing block. */
#define P(s) parse_prefix(s, &(struct prefix){.len = 0})
#define A(s) parse_addr(s, &(struct ipaddr){.family = 0})

/* Parse s as a prefix and print it back. */
static void check_prefix_round_trip(const char *s, const char *want)
{
	char buf[CIDR_STRLEN];
	struct prefix p = *P(s);

	assert_string_equal(cidr_prefix_str(&p, buf), want);
}

static void check_prefix_error(const char *s, int code, const char *msg)
{
	struct berr *err = NULL;
	struct prefix p = {.len = 77};

	assert_int_equal(cidr_parse_prefix(s, &p, &err), -code);
	assert_non_null(err);
	assert_int_equal(err->code, code);
	if (msg)
		assert_string_equal(err->msg, msg);
	assert_int_equal(p.len, 77); /* ret_ untouched on failure */
	berr_free(err);
}

static void check_addr_error(const char *s)
{
	struct berr *err = NULL;
	struct ipaddr a;
	char want[128];

	assert_int_equal(cidr_parse_addr(s, &a, &err), -EINVAL);
	snprintf(want, sizeof(want), "invalid IP address: %s", s);
	assert_string_equal(err->msg, want);
	berr_free(err);
}

static void test_parse_v4(void **state)
{
	struct ipaddr a;
	struct prefix p;
	char buf[CIDR_STRLEN];

	(void)state;
	check_prefix_round_trip("10.0.0.0/8", "10.0.0.0/8");
	check_prefix_round_trip("0.0.0.0/0", "0.0.0.0/0");
	check_prefix_round_trip("172.17.0.0/16", "172.17.0.0/16");
	check_prefix_round_trip("192.168.1.7/32", "192.168.1.7/32");
	a = *A("10.1.2.3");
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.b, ((uint8_t[16]){10, 1, 2, 3}), 16);
	assert_string_equal(cidr_addr_str(&a, buf), "10.1.2.3");
	assert_string_equal(cidr_addr_str(A("255.255.255.255"), buf), "255.255.255.255");
	p = *P("10.0.0.0/16");
	assert_int_equal(p.len, 16);
	assert_int_equal(cidr_family_bytes(AF_INET), 4);
	assert_int_equal(cidr_family_bits(AF_INET), 32);
}

static void test_parse_v6(void **state)
{
	struct ipaddr a;
	char buf[CIDR_STRLEN];

	(void)state;
	check_prefix_round_trip("fd00::/64", "fd00::/64");
	check_prefix_round_trip("FD00:0:0:1::/64", "fd00:0:0:1::/64");
	check_prefix_round_trip("::/0", "::/0");
	check_prefix_round_trip("::1/128", "::1/128");
	check_prefix_round_trip("2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2:3:4:5:6/128");
	a = *A("fe80::1");
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(cidr_addr_str(&a, buf), "fe80::1");
	a = *A("::ffff:10.0.0.1");
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(cidr_family_bytes(AF_INET6), 16);
	assert_int_equal(cidr_family_bits(AF_INET6), 128);
	/* the longest address text fits in CIDR_STRLEN */
	check_prefix_round_trip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
				"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void test_parse_errors(void **state)
{
	(void)state;
	check_prefix_error("10.0.0.0/33", EINVAL, "invalid CIDR address: 10.0.0.0/33");
	check_prefix_error("10.0.0/8", EINVAL, "invalid CIDR address: 10.0.0/8");
	check_prefix_error("::1/129", EINVAL, "invalid CIDR address: ::1/129");
	check_prefix_error("abc", EINVAL, "invalid CIDR address: abc");
	check_prefix_error("", EINVAL, "invalid CIDR address: ");
	check_prefix_error("10.0.0.0/16x", EINVAL, "invalid CIDR address: 10.0.0.0/16x");
	check_prefix_error("10.0.0.0/+16", EINVAL, NULL);
	check_prefix_error("10.0.0.0/016", EINVAL, NULL);
	check_prefix_error("10.0.0.0/", EINVAL, NULL);
	check_prefix_error("10.0.0.0/-1", EINVAL, NULL);
	check_prefix_error("10.0.0.0/1 6", EINVAL, NULL);
	check_prefix_error("10.0.0.0/16/16", EINVAL, NULL);
	check_prefix_error(" 10.0.0.0/16", EINVAL, NULL);
	check_prefix_error("10.0.0.0 /16", EINVAL, NULL);
	check_prefix_error("+10.0.0.0/16", EINVAL, NULL);
	check_prefix_error("010.0.0.0/16", EINVAL, NULL);
	check_prefix_error("10.0.0.0.0/16", EINVAL, NULL);
	check_prefix_error("fd00::/1000", EINVAL, NULL);
	check_prefix_error("fd00::%eth0/64", EINVAL, NULL);
	check_prefix_error("10.0.0.1/16", EINVAL,
			   "invalid subnet 10.0.0.1/16: it should be 10.0.0.0/16");
	check_prefix_error("fd00::1/64", EINVAL,
			   "invalid subnet fd00::1/64: it should be fd00::/64");
	check_prefix_error("1.0.0.0/0", EINVAL, "invalid subnet 1.0.0.0/0: it should be 0.0.0.0/0");
	check_addr_error("10.0.0.300");
	check_addr_error("10.0.0");
	check_addr_error("abc");
	check_addr_error("");
	check_addr_error("10.0.0.1/32");
	check_addr_error("10.0.0.1 ");
	check_addr_error("+1.2.3.4");
	check_addr_error("::1::2");
	check_addr_error("fd00::g");
	check_addr_error("1111:2222:3333:4444:5555:6666:7777:8888:9999");
	check_addr_error(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void test_parse_addr_prefix(void **state)
{
	struct berr *err = NULL;
	struct ipaddr a;
	struct prefix p;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(cidr_parse_addr_prefix("10.0.0.1/16", &a, &p, NULL), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "10.0.0.1");
	assert_string_equal(cidr_prefix_str(&p, buf), "10.0.0.0/16");
	assert_int_equal(cidr_parse_addr_prefix("fd00::5/120", &a, &p, NULL), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "fd00::5");
	assert_string_equal(cidr_prefix_str(&p, buf), "fd00::/120");
	assert_int_equal(cidr_parse_addr_prefix("10.0.0.1", &a, &p, &err), -EINVAL);
	assert_string_equal(err->msg, "invalid CIDR address: 10.0.0.1");
	berr_free(err);
}

static void test_mask(void **state)
{
	struct prefix p = {.addr = *A("10.255.255.255"), .len = 9};
	char buf[CIDR_STRLEN];

	(void)state;
	cidr_prefix_mask(&p);
	assert_string_equal(cidr_prefix_str(&p, buf), "10.128.0.0/9");
	p = (struct prefix){.addr = *A("ffff:ffff::ffff"), .len = 17};
	cidr_prefix_mask(&p);
	assert_string_equal(cidr_prefix_str(&p, buf), "ffff:8000::/17");
	p.len = 0;
	cidr_prefix_mask(&p);
	assert_string_equal(cidr_prefix_str(&p, buf), "::/0");
}

static void test_contains(void **state)
{
	struct prefix p = *P("10.0.0.0/16");

	(void)state;
	assert_true(cidr_contains(&p, A("10.0.0.0")));
	assert_true(cidr_contains(&p, A("10.0.255.255")));
	assert_false(cidr_contains(&p, A("10.1.0.0")));
	assert_false(cidr_contains(&p, A("9.255.255.255")));
	assert_false(cidr_contains(&p, A("::a00:0"))); /* other family */
	assert_true(cidr_contains(P("0.0.0.0/0"), A("255.1.2.3")));
	assert_false(cidr_contains(P("0.0.0.0/0"), A("::1")));
	assert_true(cidr_contains(P("10.0.0.7/32"), A("10.0.0.7")));
	assert_false(cidr_contains(P("10.0.0.7/32"), A("10.0.0.6")));
	assert_true(cidr_contains(P("::/0"), A("ffff::1")));
	assert_true(cidr_contains(P("fd00::1/128"), A("fd00::1")));
	assert_false(cidr_contains(P("fd00::1/128"), A("fd00::2")));
	assert_true(cidr_contains(P("fd00::/63"), A("fd00::1:ffff:ffff:ffff:ffff")));
	assert_false(cidr_contains(P("fd00::/63"), A("fd00::2:0:0:0:0")));
	assert_true(cidr_addr_eq(A("10.0.0.1"), A("10.0.0.1")));
	assert_false(cidr_addr_eq(A("10.0.0.1"), A("10.0.0.2")));
	assert_false(cidr_addr_eq(A("0.0.0.0"), A("::")));
}

static void test_within_overlap(void **state)
{
	struct prefix a16 = *P("10.0.0.0/16"), a24 = *P("10.0.3.0/24"), b = *P("10.1.0.0/16");
	struct prefix all4 = *P("0.0.0.0/0"), all6 = *P("::/0");

	(void)state;
	assert_true(cidr_prefix_within(&a16, &a24));
	assert_false(cidr_prefix_within(&a24, &a16));
	assert_true(cidr_prefix_within(&a16, &a16));
	assert_false(cidr_prefix_within(&a16, &b));
	assert_true(cidr_prefix_within(&all4, &a16));
	assert_true(cidr_prefix_within(&all4, &all4));
	assert_false(cidr_prefix_within(&all6, &a16));
	assert_true(cidr_prefix_within(&a24, P("10.0.3.255/32")));
	assert_false(cidr_prefix_within(&a24, P("10.0.4.0/32")));
	assert_true(cidr_prefix_within(P("fd00::/64"), P("fd00::ffff/128")));
	assert_true(cidr_prefix_within(&all6, P("fd00::/8")));

	assert_true(cidr_overlaps(&a16, &a24));
	assert_true(cidr_overlaps(&a24, &a16));
	assert_false(cidr_overlaps(&a16, &b));
	assert_true(cidr_overlaps(&all4, &b));
	assert_true(cidr_overlaps(&b, &all4));
	assert_false(cidr_overlaps(&all4, &all6));
	assert_true(cidr_overlaps(P("10.0.0.1/32"), P("10.0.0.1/32")));
	assert_false(cidr_overlaps(P("10.0.0.1/32"), P("10.0.0.2/32")));
	assert_true(cidr_overlaps(P("172.16.0.0/12"), P("172.31.0.0/16")));
	assert_false(cidr_overlaps(P("172.16.0.0/12"), P("172.32.0.0/16")));
	assert_true(cidr_overlaps(P("fd00::1/128"), P("fd00::/64")));
	assert_false(cidr_overlaps(P("fd00::1/128"), P("fd00::2/128")));
	assert_false(cidr_overlaps(P("fd00::/64"), P("fd00:0:0:1::/64")));
	assert_true(cidr_overlaps(&all6, P("fd00::/64")));
}

static void test_offsets_v4(void **state)
{
	struct prefix p = *P("10.0.0.0/16");
	struct ipaddr a;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(cidr_last_offset(&p), 65535);
	assert_int_equal(cidr_offset(&p, A("10.0.0.0")), 0);
	assert_int_equal(cidr_offset(&p, A("10.0.1.2")), 258);
	assert_int_equal(cidr_offset(&p, A("10.0.255.255")), 65535);
	assert_int_equal(cidr_at(&p, 258, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "10.0.1.2");
	assert_int_equal(cidr_at(&p, 65535, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "10.0.255.255");
	assert_int_equal(cidr_at(&p, 65536, &a), -ERANGE);
	for (uint64_t off = 0; off <= 65535; off += 97) {
		assert_int_equal(cidr_at(&p, off, &a), 0);
		assert_true(cidr_contains(&p, &a));
		assert_int_equal(cidr_offset(&p, &a), off);
	}
	p = *P("10.0.0.5/32");
	assert_int_equal(cidr_last_offset(&p), 0);
	assert_int_equal(cidr_at(&p, 0, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "10.0.0.5");
	assert_int_equal(cidr_at(&p, 1, &a), -ERANGE);
	p = *P("0.0.0.0/0");
	assert_int_equal(cidr_last_offset(&p), UINT32_MAX);
	assert_int_equal(cidr_offset(&p, A("255.255.255.255")), UINT32_MAX);
	assert_int_equal(cidr_at(&p, UINT32_MAX, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "255.255.255.255");
	assert_int_equal(cidr_at(&p, (uint64_t)UINT32_MAX + 1, &a), -ERANGE);
}

static void test_offsets_v6(void **state)
{
	struct prefix p = *P("fd00:1::/64");
	struct ipaddr a;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_true(cidr_last_offset(&p) == UINT64_MAX);
	assert_int_equal(cidr_offset(&p, A("fd00:1::1:0")), 65536);
	assert_true(cidr_offset(&p, A("fd00:1::ffff:ffff:ffff:ffff")) == UINT64_MAX);
	assert_int_equal(cidr_at(&p, UINT64_MAX, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "fd00:1::ffff:ffff:ffff:ffff");
	assert_int_equal(cidr_at(&p, 0x123456789aULL, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "fd00:1::12:3456:789a");
	assert_int_equal(cidr_offset(&p, &a), 0x123456789aULL);
	/* shorter than /64: offsets clamp to 64 bits */
	p = *P("fd00::/48");
	assert_true(cidr_last_offset(&p) == UINT64_MAX);
	assert_true(cidr_offset(&p, A("fd00:0:0:1::")) == UINT64_MAX);
	assert_int_equal(cidr_offset(&p, A("fd00::7")), 7);
	p = *P("fd00::/120");
	assert_int_equal(cidr_last_offset(&p), 255);
	assert_int_equal(cidr_at(&p, 256, &a), -ERANGE);
	p = *P("fd00::9/128");
	assert_int_equal(cidr_last_offset(&p), 0);
	assert_int_equal(cidr_offset(&p, A("fd00::9")), 0);
	assert_true(cidr_last_offset(P("::/0")) == UINT64_MAX);
	assert_int_equal(cidr_at(P("::/0"), 5, &a), 0);
	assert_string_equal(cidr_addr_str(&a, buf), "::5");
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_addr_prefix),
	};
	const struct CMUnitTest math[] = {
		cmocka_unit_test(test_mask),	       cmocka_unit_test(test_contains),
		cmocka_unit_test(test_within_overlap), cmocka_unit_test(test_offsets_v4),
		cmocka_unit_test(test_offsets_v6),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("cidr parse", parse, NULL, NULL);
	failed += cmocka_run_group_tests_name("cidr math", math, NULL, NULL);
	return failed ? 1 : 0;
}
