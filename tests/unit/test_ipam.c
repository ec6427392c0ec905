/* test_ipam.c - unit tests of the default IPAM driver (ipam/default.c,
 * ipam/pool.c, ipam/bitmap.c): pool choice from the default pools, explicit
 * and custom pools, address allocation with gateway, aux, range, reuse and
 * exhaustion, sparse IPv6 pools, persistence through the store and rollback
 * when the store fails. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/berr.h"
#include "core/store.h"
#include "core/util.h"
#include "ipam/bitmap.h"
#include "ipam/ipam.h"
#include "ipam/pool.h"

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

/* An IPAM over the given "base=..,size=.." specs (none: Docker's). */
static struct ipam *new_ipam(const char *const *specs, size_t n, struct store *st)
{
	struct ipam_pool_spec pools[8];
	struct ipam *ipam = NULL;

	assert_true(n <= ARRAY_SIZE(pools));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ipam_pool_spec_parse(specs[i], &pools[i], NULL), 0);
	assert_int_equal(ipam_default_new(n ? pools : NULL, n, st, &ipam, NULL), 0);
	return ipam;
}

/* Request a pool; return its id (caller frees) and print its subnet. */
static char *pool_get(struct ipam *ipam, const struct ipam_pool_req *req, char *subnet)
{
	struct ipam_pool_reply reply;
	struct berr *err = NULL;
	int r = ipam->driver->pool_request(ipam, req, &reply, &err);

	if (r < 0)
		fail_msg("pool_request: %s", berr_msg(err));
	cidr_prefix_str(&reply.subnet, subnet);
	return reply.pool_id;
}

/* Request an automatic IPv4 pool and check its subnet. */
static char *pool_auto(struct ipam *ipam, const struct prefix *avoid, size_t n_avoid,
		       const char *want)
{
	struct ipam_pool_req req = {
		.family = AF_INET, .avoid = avoid, .n_avoid = n_avoid, .owner = "net"};
	char buf[CIDR_STRLEN];
	char *id = pool_get(ipam, &req, buf);

	assert_string_equal(buf, want);
	return id;
}

/* Request an explicit pool. */
static char *pool_explicit(struct ipam *ipam, const char *subnet, const char *range)
{
	struct ipam_pool_req req = {
		.family = strchr(subnet, ':') ? AF_INET6 : AF_INET,
		.subnet = P(subnet),
		.range = range ? P(range) : NULL,
		.owner = "0123456789abcdef",
	};
	char buf[CIDR_STRLEN];
	char *id = pool_get(ipam, &req, buf);

	assert_string_equal(buf, subnet);
	return id;
}

/* A pool request that must fail with code and message. */
static void pool_fail(struct ipam *ipam, const struct ipam_pool_req *req, int code, const char *msg)
{
	struct ipam_pool_reply reply = {.pool_id = NULL};
	struct berr *err = NULL;

	assert_int_equal(ipam->driver->pool_request(ipam, req, &reply, &err), -code);
	assert_null(reply.pool_id);
	assert_non_null(err);
	assert_string_equal(err->msg, msg);
	berr_free(err);
}

/* Request an address (want may be NULL) and check what came back. */
static void addr_get(struct ipam *ipam, const char *id, const char *want, unsigned flags,
		     const char *expect)
{
	struct berr *err = NULL;
	struct ipaddr got;
	char buf[CIDR_STRLEN];
	int r = ipam->driver->address_request(ipam, id, want ? A(want) : NULL, flags, NULL, &got,
					      &err);

	if (r < 0)
		fail_msg("address_request %s: %s", want ? want : "(next)", berr_msg(err));
	assert_string_equal(cidr_addr_str(&got, buf), expect);
}

/* An address request that must fail with code (and msg, if not NULL). */
static void addr_fail(struct ipam *ipam, const char *id, const char *want, unsigned flags, int code,
		      const char *msg)
{
	struct berr *err = NULL;
	struct ipaddr got = {.family = 99};

	assert_int_equal(ipam->driver->address_request(ipam, id, want ? A(want) : NULL, flags, NULL,
						       &got, &err),
			 -code);
	assert_int_equal(got.family, 99);
	assert_non_null(err);
	if (msg)
		assert_string_equal(err->msg, msg);
	berr_free(err);
}

static void addr_put(struct ipam *ipam, const char *id, const char *addr)
{
	assert_int_equal(ipam->driver->address_release(ipam, id, A(addr), NULL), 0);
}

static void test_default_pools_table(void **state)
{
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(ipam_n_default_pools, 16);
	assert_string_equal(cidr_prefix_str(&ipam_default_pools[0].base, buf), "172.17.0.0/16");
	assert_int_equal(ipam_default_pools[0].size, 16);
	assert_string_equal(cidr_prefix_str(&ipam_default_pools[14].base, buf), "172.31.0.0/16");
	assert_string_equal(cidr_prefix_str(&ipam_default_pools[15].base, buf), "192.168.0.0/16");
	assert_int_equal(ipam_default_pools[15].size, 20);
}

static void test_auto_order(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *a = pool_auto(ipam, NULL, 0, "172.17.0.0/16");
	char *b = pool_auto(ipam, NULL, 0, "172.18.0.0/16");
	char *c;

	(void)state;
	assert_string_equal(a, "default-172.17.0.0-16");
	/* a released pool is the first one again */
	assert_int_equal(ipam->driver->pool_release(ipam, a, NULL), 0);
	c = pool_auto(ipam, NULL, 0, "172.17.0.0/16");
	free(a);
	free(b);
	free(c);
	ipam_free(ipam);
}

static void test_auto_skips(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	const struct prefix avoid[] = {*P("172.17.5.0/24"), *P("172.18.0.0/15"), *P("fd00::/8")};
	char *e = pool_explicit(ipam, "172.20.0.0/24", NULL);
	char *a = pool_auto(ipam, avoid, ARRAY_SIZE(avoid), "172.21.0.0/16");
	char *b = pool_auto(ipam, NULL, 0, "172.17.0.0/16");
	char *c = pool_auto(ipam, NULL, 0, "172.18.0.0/16");

	(void)state;
	/* an avoided /8 covering every default /16 falls through to 192.168 */
	free(c);
	c = pool_auto(ipam, P("172.0.0.0/8"), 1, "192.168.0.0/20");
	free(a);
	a = pool_auto(ipam, (const struct prefix[]){*P("172.0.0.0/8"), *P("192.168.16.0/21")}, 2,
		      "192.168.32.0/20");
	free(a);
	free(b);
	free(c);
	free(e);
	ipam_free(ipam);
}

static void test_auto_exhausted(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	struct ipam_pool_req req = {.family = AF_INET};
	struct ipam_pool_req req6 = {.family = AF_INET6};
	char *ids[31];

	(void)state;
	for (int i = 0; i < 15; i++) {
		char want[32];

		snprintf(want, sizeof(want), "172.%d.0.0/16", 17 + i);
		ids[i] = pool_auto(ipam, NULL, 0, want);
	}
	for (int i = 0; i < 16; i++) {
		char want[32];

		snprintf(want, sizeof(want), "192.168.%d.0/20", 16 * i);
		ids[15 + i] = pool_auto(ipam, NULL, 0, want);
	}
	pool_fail(ipam, &req, EINVAL,
		  "could not find an available, non-overlapping IPv4 address pool among the "
		  "defaults to assign to the network");
	pool_fail(ipam, &req6, EINVAL,
		  "could not find an available, non-overlapping IPv6 address pool among the "
		  "defaults to assign to the network");
	for (int i = 0; i < 31; i++)
		free(ids[i]);
	ipam_free(ipam);
}

static void test_explicit(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *a = pool_explicit(ipam, "10.0.0.0/16", NULL);
	struct ipam_pool_req req = {.family = AF_INET, .subnet = P("10.0.128.0/24")};
	char *b, *c;

	(void)state;
	pool_fail(ipam, &req, EPERM, "Pool overlaps with other one on this address space");
	req.subnet = P("8.0.0.0/5");
	pool_fail(ipam, &req, EPERM, "Pool overlaps with other one on this address space");
	req.subnet = P("10.0.0.0/16");
	pool_fail(ipam, &req, EPERM, "Pool overlaps with other one on this address space");
	/* explicit subnets are not checked against avoid: the controller does it */
	req.subnet = P("10.1.0.0/16");
	req.avoid = P("10.0.0.0/8");
	req.n_avoid = 1;
	b = pool_get(ipam, &req, (char[CIDR_STRLEN]){0});
	/* a range outside the subnet, a family mismatch */
	req = (struct ipam_pool_req){
		.family = AF_INET, .subnet = P("10.2.0.0/16"), .range = P("10.3.0.0/24")};
	pool_fail(ipam, &req, EINVAL, "ip-range 10.3.0.0/24 is not usable in subnet 10.2.0.0/16");
	req = (struct ipam_pool_req){.family = AF_INET6, .subnet = P("10.2.0.0/16")};
	pool_fail(ipam, &req, EINVAL, "invalid subnet 10.2.0.0/16 for this address family");
	/* IPv6 of the same bytes does not overlap IPv4 */
	c = pool_explicit(ipam, "a00::/16", NULL);
	assert_string_equal(c, "default-a00__-16");
	free(a);
	free(b);
	free(c);
	ipam_free(ipam);
}

static void test_custom_specs(void **state)
{
	static const char *const specs[] = {"base=10.0.0.0/8,size=24", "size=64,base=fd00::/48"};
	struct ipam *ipam = new_ipam(specs, ARRAY_SIZE(specs), NULL);
	struct ipam_pool_req req6 = {.family = AF_INET6};
	char buf[CIDR_STRLEN];
	char *a = pool_auto(ipam, NULL, 0, "10.0.0.0/24");
	char *b = pool_auto(ipam, NULL, 0, "10.0.1.0/24");
	char *c = pool_auto(ipam, P("10.0.2.0/23"), 1, "10.0.4.0/24");
	char *d = pool_get(ipam, &req6, buf);
	char *e;

	(void)state;
	assert_string_equal(buf, "fd00::/64");
	/* an avoid prefix with host bits set is stepped over as its network */
	free(c);
	c = pool_auto(
		ipam,
		(const struct prefix[]){*P("10.0.2.0/23"), {.addr = *A("10.0.5.9"), .len = 23}}, 2,
		"10.0.6.0/24");
	e = pool_get(ipam, &req6, buf);
	assert_string_equal(buf, "fd00:0:0:1::/64");
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	ipam_free(ipam);
}

static void check_spec_error(const char *s, const char *msg)
{
	struct ipam_pool_spec spec = {.size = 99};
	struct berr *err = NULL;

	assert_int_equal(ipam_pool_spec_parse(s, &spec, &err), -EINVAL);
	assert_int_equal(spec.size, 99);
	if (msg)
		assert_string_equal(err->msg, msg);
	berr_free(err);
}

static void test_spec_parse(void **state)
{
	struct ipam_pool_spec spec;
	struct ipam_pool_spec bad = {.base = *P("10.0.0.0/16"), .size = 8};
	struct ipam *ipam = NULL;
	struct berr *err = NULL;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(ipam_pool_spec_parse("base=172.30.0.0/16,size=24", &spec, NULL), 0);
	assert_string_equal(cidr_prefix_str(&spec.base, buf), "172.30.0.0/16");
	assert_int_equal(spec.size, 24);
	check_spec_error("base=10.0.0.0/8",
			 "invalid address pool base=10.0.0.0/8: needs base and size");
	check_spec_error("", NULL);
	check_spec_error("base=10.0.0.0/8,size=4", "invalid address pool: base 10.0.0.0/8, size 4");
	check_spec_error("base=10.0.0.0/8,size=33", NULL);
	check_spec_error("base=10.0.0.0/8,size=+24", NULL);
	check_spec_error("base=10.0.0.0/8,size=024", NULL);
	check_spec_error("base=10.0.0.0/8,,size=24", NULL);
	check_spec_error("base=10.0.0.0/8,size=24,", NULL);
	check_spec_error("base=10.0.0.0/8,size=24,size=24", NULL);
	check_spec_error("base=10.0.0.0/8,size=24,foo=1",
			 "invalid address pool base=10.0.0.0/8,size=24,foo=1: unknown field foo");
	check_spec_error("base=10.0.0.1/8,size=24",
			 "invalid address pool base=10.0.0.1/8,size=24: invalid subnet 10.0.0.1/8: "
			 "it should be 10.0.0.0/8");
	check_spec_error("base 10.0.0.0/8", NULL);
	assert_int_equal(ipam_default_new(&bad, 1, NULL, &ipam, &err), -EINVAL);
	assert_null(ipam);
	berr_free(err);
}

static void test_address_sequence(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_auto(ipam, NULL, 0, "172.17.0.0/16");

	(void)state;
	addr_get(ipam, id, "172.17.0.1", IPAM_ADDR_GATEWAY, "172.17.0.1");
	addr_get(ipam, id, NULL, 0, "172.17.0.2");
	addr_get(ipam, id, NULL, 0, "172.17.0.3");
	addr_get(ipam, id, "172.17.0.5", 0, "172.17.0.5");
	addr_get(ipam, id, NULL, 0, "172.17.0.4");
	addr_get(ipam, id, NULL, 0, "172.17.0.6");
	addr_fail(ipam, id, "172.17.0.5", 0, EPERM, "Address already in use");
	addr_fail(ipam, id, "172.17.0.1", IPAM_ADDR_AUX, EPERM, "Address already in use");
	addr_fail(ipam, id, "172.18.0.1", 0, EINVAL, "requested address is out of range");
	addr_fail(ipam, id, "fd00::1", 0, EINVAL, "requested address is out of range");
	addr_fail(ipam, id, "172.17.0.0", IPAM_ADDR_GATEWAY, EINVAL,
		  "requested address 172.17.0.0 is the network address of 172.17.0.0/16");
	addr_fail(ipam, id, "172.17.255.255", IPAM_ADDR_AUX, EINVAL,
		  "requested address 172.17.255.255 is the broadcast address of 172.17.0.0/16");
	addr_fail(ipam, "default-1.2.3.0-24", NULL, 0, ENOENT,
		  "address pool default-1.2.3.0-24 not found");
	/* releasing a free address, or in an unknown pool, is success */
	addr_put(ipam, id, "172.17.0.9");
	addr_put(ipam, "default-1.2.3.0-24", "1.2.3.4");
	assert_int_equal(ipam->driver->address_release(ipam, id, A("10.0.0.1"), NULL), -EINVAL);
	assert_int_equal(ipam->driver->pool_release(ipam, "nope", NULL), 0);
	assert_int_equal(ipam->driver->pool_release(ipam, id, NULL), 0);
	assert_int_equal(ipam->driver->pool_release(ipam, id, NULL), 0);
	free(id);
	ipam_free(ipam);
}

static void test_range_gateway_aux(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_explicit(ipam, "10.1.0.0/16", "10.1.5.0/30");

	(void)state;
	addr_get(ipam, id, "10.1.0.1", IPAM_ADDR_GATEWAY, "10.1.0.1");
	addr_get(ipam, id, "10.1.200.7", IPAM_ADDR_AUX, "10.1.200.7");
	addr_get(ipam, id, "10.1.5.2", IPAM_ADDR_AUX, "10.1.5.2");
	addr_fail(ipam, id, "10.1.0.9", 0, EINVAL, "requested address is out of range");
	addr_get(ipam, id, NULL, 0, "10.1.5.0");
	addr_get(ipam, id, NULL, 0, "10.1.5.1");
	addr_get(ipam, id, NULL, 0, "10.1.5.3");
	addr_fail(ipam, id, NULL, 0, ENOSPC,
		  "no available IPv4 addresses on this network's address pools (10.1.0.0/16)");
	/* freeing an address outside the range does not give room in it */
	addr_put(ipam, id, "10.1.200.7");
	addr_fail(ipam, id, NULL, 0, ENOSPC, NULL);
	addr_put(ipam, id, "10.1.5.2");
	addr_get(ipam, id, NULL, 0, "10.1.5.2");
	free(id);
	ipam_free(ipam);
}

static void test_exhaust_and_reuse(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_explicit(ipam, "10.0.0.0/29", NULL);

	(void)state;
	for (int i = 1; i <= 6; i++) {
		char want[32];

		snprintf(want, sizeof(want), "10.0.0.%d", i);
		addr_get(ipam, id, NULL, 0, want);
	}
	addr_fail(ipam, id, NULL, 0, ENOSPC,
		  "no available IPv4 addresses on this network's address pools (10.0.0.0/29)");
	addr_put(ipam, id, "10.0.0.3");
	addr_get(ipam, id, NULL, 0, "10.0.0.3");
	addr_fail(ipam, id, NULL, 0, ENOSPC, NULL);
	addr_put(ipam, id, "10.0.0.5");
	addr_put(ipam, id, "10.0.0.2");
	addr_get(ipam, id, NULL, 0, "10.0.0.5");
	addr_get(ipam, id, NULL, 0, "10.0.0.2");
	addr_fail(ipam, id, NULL, 0, ENOSPC, NULL);
	free(id);
	ipam_free(ipam);
}

static void test_hint_wraps(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_explicit(ipam, "10.0.0.0/29", NULL);

	(void)state;
	addr_get(ipam, id, NULL, 0, "10.0.0.1");
	addr_get(ipam, id, NULL, 0, "10.0.0.2");
	addr_get(ipam, id, NULL, 0, "10.0.0.3");
	addr_put(ipam, id, "10.0.0.1");
	/* round robin: a released address is not handed out again at once */
	addr_get(ipam, id, NULL, 0, "10.0.0.4");
	addr_get(ipam, id, NULL, 0, "10.0.0.5");
	addr_get(ipam, id, NULL, 0, "10.0.0.6");
	addr_get(ipam, id, NULL, 0, "10.0.0.1");
	free(id);
	ipam_free(ipam);
}

static void test_small_subnets(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *a = pool_explicit(ipam, "10.0.0.0/31", NULL);
	char *b = pool_explicit(ipam, "10.0.0.9/32", NULL);
	char *c = pool_explicit(ipam, "10.0.1.0/30", "10.0.1.0/31");

	(void)state;
	addr_get(ipam, a, NULL, 0, "10.0.0.0");
	addr_get(ipam, a, NULL, 0, "10.0.0.1");
	addr_fail(ipam, a, NULL, 0, ENOSPC, NULL);
	addr_get(ipam, b, NULL, 0, "10.0.0.9");
	addr_fail(ipam, b, NULL, 0, ENOSPC, NULL);
	/* a range made of the network address and one host */
	addr_get(ipam, c, NULL, 0, "10.0.1.1");
	addr_fail(ipam, c, NULL, 0, ENOSPC, NULL);
	free(a);
	free(b);
	free(c);
	ipam_free(ipam);
}

static void test_ipv6(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_explicit(ipam, "fd00:1::/64", NULL);
	char *big = pool_explicit(ipam, "fd00:2::/48", NULL);

	(void)state;
	addr_fail(ipam, id, "fd00:1::", IPAM_ADDR_GATEWAY, EINVAL,
		  "requested address fd00:1:: is the subnet-router anycast address of "
		  "fd00:1::/64");
	addr_get(ipam, id, "fd00:1::1", IPAM_ADDR_GATEWAY, "fd00:1::1");
	addr_get(ipam, id, NULL, 0, "fd00:1::2");
	addr_get(ipam, id, "fd00:1::ffff:ffff:ffff:ffff", 0, "fd00:1::ffff:ffff:ffff:ffff");
	addr_get(ipam, id, NULL, 0, "fd00:1::3");
	addr_fail(ipam, id, "fd00:1::2", 0, EPERM, "Address already in use");
	/* only the first 2^64 addresses of a prefix shorter than /64 are used */
	addr_get(ipam, big, "fd00:2::ffff:ffff:ffff:ffff", 0, "fd00:2::ffff:ffff:ffff:ffff");
	addr_fail(ipam, big, "fd00:2:0:1::1", 0, EINVAL, "requested address is out of range");
	addr_get(ipam, big, NULL, 0, "fd00:2::1");
	free(id);
	free(big);
	ipam_free(ipam);
}

/* Memory of a /64 pool grows with what is taken, not with its size. */
static void test_ipv6_memory(void **state)
{
	struct ipam_pool *pool;
	struct ipaddr got;
	json_t *obj;

	(void)state;
	assert_int_equal(ipam_pool_new(P("fd00:9::/64"), NULL, "x", &pool, NULL), 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(ipam_pool_acquire(pool, NULL, 0, &got, NULL), 0);
	assert_int_equal(
		ipam_pool_acquire(pool, A("fd00:9::8000:0:0:0"), IPAM_ADDR_AUX, &got, NULL), 0);
	assert_int_equal(ipam_pool_acquire(pool, A("fd00:9::ffff:ffff:ffff:fffe"), 0, &got, NULL),
			 0);
	assert_int_equal(bitmap_count(pool->used), 10002);
	/* offsets 1..10000 fill three 4096-bit chunks; each far address one more */
	assert_int_equal(bitmap_n_chunks(pool->used), 5);
	obj = ipam_pool_to_json(pool);
	assert_int_equal(json_array_size(json_object_get(obj, "allocated")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(obj, "allocated"), 0)),
			    "fd00:9::1-fd00:9::2710");
	json_decref(obj);
	ipam_pool_free(pool);
}

static void test_bitmap(void **state)
{
	struct bitmap *b = bitmap_new(UINT64_MAX);
	uint64_t first, last, off;

	(void)state;
	assert_true(bitmap_set(b, 5));
	assert_false(bitmap_set(b, 5));
	assert_true(bitmap_set(b, UINT64_MAX));
	assert_true(bitmap_test(b, UINT64_MAX));
	assert_int_equal(bitmap_n_chunks(b), 2);
	assert_int_equal(bitmap_find_clear(b, 5, 5, 5, &off), -ENOSPC);
	assert_int_equal(bitmap_find_clear(b, 5, 6, 5, &off), 0);
	assert_int_equal(off, 6);
	assert_int_equal(bitmap_next_run(b, 0, &first, &last), 0);
	assert_int_equal(first, 5);
	assert_int_equal(last, 5);
	assert_int_equal(bitmap_next_run(b, 6, &first, &last), 0);
	assert_true(first == UINT64_MAX && last == UINT64_MAX);
	assert_true(bitmap_clear(b, 5));
	assert_false(bitmap_clear(b, 5));
	assert_int_equal(bitmap_n_chunks(b), 1);
	/* a full chunk followed by a gap, and a wrap-around search */
	for (uint64_t i = 4096; i < 3 * 4096; i++)
		bitmap_set(b, i);
	assert_int_equal(bitmap_find_clear(b, 4096, 20000, 4096, &off), 0);
	assert_int_equal(off, 3 * 4096);
	assert_int_equal(bitmap_find_clear(b, 100, 3 * 4096 - 1, 4096, &off), 0);
	assert_int_equal(off, 100);
	assert_int_equal(bitmap_find_clear(b, 4096, 3 * 4096 - 1, 5000, &off), -ENOSPC);
	assert_int_equal(bitmap_next_run(b, 0, &first, &last), 0);
	assert_int_equal(first, 4096);
	assert_int_equal(last, 3 * 4096 - 1);
	bitmap_free(b);
}

static void test_full_slash16_fast(void **state)
{
	struct ipam *ipam = new_ipam(NULL, 0, NULL);
	char *id = pool_explicit(ipam, "10.8.0.0/16", NULL);
	uint64_t t0 = util_now_ns(), dt;
	struct ipaddr got;

	(void)state;
	for (int i = 0; i < 65534; i++)
		assert_int_equal(ipam->driver->address_request(ipam, id, NULL, 0, NULL, &got, NULL),
				 0);
	addr_fail(ipam, id, NULL, 0, ENOSPC, NULL);
	addr_put(ipam, id, "10.8.128.77");
	addr_get(ipam, id, NULL, 0, "10.8.128.77");
	dt = util_now_ns() - t0;
	/* about 10 ms without sanitizers; the bound only catches a quadratic walk */
	assert_true(dt < 3000000000ULL);
	free(id);
	ipam_free(ipam);
}

/* A fresh store in a temp dir. */
static struct store *tmp_store(char *dir)
{
	struct store *st = NULL;

	strcpy(dir, "/tmp/berth-ipam-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, &st, NULL), 0);
	store_set_sync(st, false);
	return st;
}

static void rm_store(struct store *st, const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	store_free(st);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static char *read_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/ipam/%s.json", dir, name);
	json_t *obj = json_load_file(path, 0, NULL);
	char *s = obj ? json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	json_decref(obj);
	free(path);
	return s;
}

static void test_persistence(void **state)
{
	char dir[64];
	struct store *st = tmp_store(dir);
	struct ipam *ipam = new_ipam(NULL, 0, st);
	char *a = pool_auto(ipam, NULL, 0, "172.17.0.0/16");
	char *b = pool_explicit(ipam, "10.1.0.0/16", "10.1.5.0/24");
	char *c = pool_explicit(ipam, "fd00:1::/64", NULL);
	char *d = pool_explicit(ipam, "10.9.0.0/24", NULL);
	char *before, *after;

	(void)state;
	addr_get(ipam, a, "172.17.0.1", IPAM_ADDR_GATEWAY, "172.17.0.1");
	for (int i = 2; i <= 9; i++) {
		char want[32];

		snprintf(want, sizeof(want), "172.17.0.%d", i);
		addr_get(ipam, a, NULL, 0, want);
	}
	addr_put(ipam, a, "172.17.0.4");
	addr_put(ipam, a, "172.17.0.5");
	addr_get(ipam, b, "10.1.0.1", IPAM_ADDR_GATEWAY, "10.1.0.1");
	addr_get(ipam, b, "10.1.99.1", IPAM_ADDR_AUX, "10.1.99.1");
	addr_get(ipam, b, NULL, 0, "10.1.5.0");
	addr_get(ipam, c, NULL, 0, "fd00:1::1");
	addr_get(ipam, c, "fd00:1::ffff:0:0:1", 0, "fd00:1::ffff:0:0:1");
	assert_int_equal(ipam->driver->pool_release(ipam, d, NULL), 0);
	before = read_file(dir, a);
	assert_string_equal(before,
			    "{\"allocated\":[\"172.17.0.1-172.17.0.3\",\"172.17.0.6-172.17.0.9\"],"
			    "\"id\":\"default-172.17.0.0-16\",\"next\":\"172.17.0.10\","
			    "\"owner\":\"net\",\"subnet\":\"172.17.0.0/16\"}");
	assert_null(read_file(dir, d));
	ipam_free(ipam);

	ipam = new_ipam(NULL, 0, st);
	/* the same addresses are taken and the hint goes on where it was */
	addr_fail(ipam, a, "172.17.0.3", 0, EPERM, "Address already in use");
	addr_get(ipam, a, "172.17.0.4", 0, "172.17.0.4");
	addr_put(ipam, a, "172.17.0.4");
	after = read_file(dir, a);
	assert_string_equal(before, after);
	addr_get(ipam, a, NULL, 0, "172.17.0.10");
	addr_fail(ipam, b, "10.1.99.1", IPAM_ADDR_AUX, EPERM, NULL);
	addr_fail(ipam, b, "10.1.0.77", 0, EINVAL, NULL); /* the range came back too */
	addr_get(ipam, b, NULL, 0, "10.1.5.1");
	addr_fail(ipam, c, "fd00:1::ffff:0:0:1", 0, EPERM, NULL);
	addr_get(ipam, c, NULL, 0, "fd00:1::2");
	/* loaded pools are in use; the released one is free again */
	free(d);
	d = pool_auto(ipam, NULL, 0, "172.18.0.0/16");
	free(d);
	d = pool_explicit(ipam, "10.9.0.0/24", NULL);
	ipam_free(ipam);
	free(a);
	free(b);
	free(c);
	free(d);
	free(before);
	free(after);
	rm_store(st, dir);
}

/* Write a pool file by hand. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/ipam/%s.json", dir, name);
	char *sub = xasprintf("%s/ipam", dir);
	FILE *f;

	mkdir(sub, 0700);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
	free(sub);
}

static void check_bad_state(const char *text)
{
	char dir[64];
	struct store *st = tmp_store(dir);
	struct ipam *ipam = NULL;
	struct berr *err = NULL;

	put_file(dir, "default-10.0.0.0-24", text);
	assert_int_equal(ipam_default_new(NULL, 0, st, &ipam, &err), -EINVAL);
	assert_null(ipam);
	assert_non_null(err);
	berr_free(err);
	rm_store(st, dir);
}

static void test_bad_state(void **state)
{
	(void)state;
	check_bad_state("[]");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\"}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-25\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.1/24\","
		"\"allocated\":[]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[\"10.0.0.1-10.0.0.5\",\"10.0.0.5\"]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[\"10.0.0.0\"]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[\"10.0.0.9-10.0.0.5\"]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[\"10.0.1.1\"]}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"allocated\":[],\"next\":\"10.0.0.255\"}");
	check_bad_state(
		"{\"id\":\"default-10.0.0.0-24\",\"owner\":\"x\",\"subnet\":\"10.0.0.0/24\","
		"\"range\":\"10.0.1.0/25\",\"allocated\":[]}");
}

/* Swap the store's ipam/ directory for a plain file, so writes fail. */
static void break_store(const char *dir, bool broken)
{
	char *sub = xasprintf("%s/ipam", dir), *aside = xasprintf("%s/ipam.aside", dir);

	if (broken) {
		mkdir(sub, 0700);
		assert_int_equal(rename(sub, aside), 0);
		close(open(sub, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	} else {
		assert_int_equal(unlink(sub), 0);
		assert_int_equal(rename(aside, sub), 0);
	}
	free(sub);
	free(aside);
}

/* A failed store write leaves memory as it was. */
static void test_store_failure(void **state)
{
	char dir[64];
	struct store *st = tmp_store(dir);
	struct ipam *ipam = new_ipam(NULL, 0, st);
	struct ipam_pool_req req = {.family = AF_INET};
	struct ipam_pool_reply reply;
	struct berr *err = NULL;
	char *a = pool_auto(ipam, NULL, 0, "172.17.0.0/16");
	char *b, *before;

	(void)state;
	addr_get(ipam, a, NULL, 0, "172.17.0.1");
	addr_get(ipam, a, NULL, 0, "172.17.0.2");
	before = read_file(dir, a);
	break_store(dir, true);
	assert_true(ipam->driver->pool_request(ipam, &req, &reply, &err) < 0);
	berr_free(err);
	err = NULL;
	addr_fail(ipam, a, NULL, 0, ENOTDIR, NULL);
	addr_fail(ipam, a, "172.17.0.9", 0, ENOTDIR, NULL);
	assert_true(ipam->driver->address_release(ipam, a, A("172.17.0.1"), &err) < 0);
	berr_free(err);
	err = NULL;
	assert_true(ipam->driver->pool_release(ipam, a, &err) < 0);
	berr_free(err);
	break_store(dir, false);
	/* nothing changed: same next address, same pools */
	addr_fail(ipam, a, "172.17.0.1", 0, EPERM, NULL);
	addr_get(ipam, a, "172.17.0.9", 0, "172.17.0.9");
	addr_put(ipam, a, "172.17.0.9");
	addr_get(ipam, a, NULL, 0, "172.17.0.3");
	addr_put(ipam, a, "172.17.0.3");
	b = pool_auto(ipam, NULL, 0, "172.18.0.0/16");
	free(b);
	ipam_free(ipam);
	free(a);
	free(before);
	rm_store(st, dir);
}

int main(void)
{
	const struct CMUnitTest pools[] = {
		cmocka_unit_test(test_default_pools_table),
		cmocka_unit_test(test_auto_order),
		cmocka_unit_test(test_auto_skips),
		cmocka_unit_test(test_auto_exhausted),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_custom_specs),
		cmocka_unit_test(test_spec_parse),
	};
	const struct CMUnitTest addresses[] = {
		cmocka_unit_test(test_address_sequence),  cmocka_unit_test(test_range_gateway_aux),
		cmocka_unit_test(test_exhaust_and_reuse), cmocka_unit_test(test_hint_wraps),
		cmocka_unit_test(test_small_subnets),	  cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv6_memory),	  cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_full_slash16_fast),
	};
	const struct CMUnitTest persistence[] = {
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_bad_state),
		cmocka_unit_test(test_store_failure),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("ipam pools", pools, NULL, NULL);
	failed += cmocka_run_group_tests_name("ipam addresses", addresses, NULL, NULL);
	failed += cmocka_run_group_tests_name("ipam persistence", persistence, NULL, NULL);
	return failed ? 1 : 0;
}
