/* pool.c - one address pool of the default IPAM (see pool.h): which offsets
 * of the subnet may be handed out, a round-robin next-free hint as Docker
 * keeps (a released address is not reused at once), and the JSON form that
 * default.c writes to the store after every change. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/util.h"
#include "ipam/ipam.h"
#include "ipam/pool.h"

/* A state file may not make us take more than this many addresses in one
 * pool: far more than one host can use, far less than a /64 holds. */
#define IPAM_POOL_MAX_LOADED (UINT64_C(1) << 24)

char *ipam_pool_id(const struct prefix *subnet)
{
	char buf[CIDR_STRLEN];

	cidr_addr_str(&subnet->addr, buf);
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '_';
	return xasprintf("default-%s-%u", buf, subnet->len);
}

/* IPv4 network and broadcast (except in /31 and /32, RFC 3021) and the IPv6
 * subnet-router anycast address are never handed out. */
static const char *ipam_pool_reserved(const struct ipam_pool *pool, uint64_t off)
{
	if (pool->subnet.addr.family == AF_INET6)
		return off == 0 ? "subnet-router anycast" : NULL;
	if (pool->subnet.len >= 31)
		return NULL;
	if (off == 0)
		return "network";
	return off == cidr_last_offset(&pool->subnet) ? "broadcast" : NULL;
}

/* Offset of a in the pool's subnet; false when a is outside it or beyond
 * the first 2^64 addresses. */
static bool ipam_pool_offset(const struct ipam_pool *pool, const struct ipaddr *a, uint64_t *ret)
{
	struct ipaddr back;
	uint64_t off;

	if (!cidr_contains(&pool->subnet, a))
		return false;
	off = cidr_offset(&pool->subnet, a);
	if (cidr_at(&pool->subnet, off, &back) < 0 || !cidr_addr_eq(&back, a))
		return false;
	*ret = off;
	return true;
}

/* Work out rlo/rhi and the automatic window lo/hi. */
static int ipam_pool_set_range(struct ipam_pool *pool, const struct prefix *range,
			       struct berr **err)
{
	char sbuf[CIDR_STRLEN], rbuf[CIDR_STRLEN];
	uint64_t size;

	pool->range = range ? *range : pool->subnet;
	pool->has_range = range != NULL;
	if (!cidr_prefix_within(&pool->subnet, &pool->range) ||
	    !ipam_pool_offset(pool, &pool->range.addr, &pool->rlo))
		return berr_set(err, EINVAL, "ip-range %s is not usable in subnet %s",
				cidr_prefix_str(&pool->range, rbuf),
				cidr_prefix_str(&pool->subnet, sbuf));
	size = cidr_last_offset(&pool->range);
	pool->rhi = size > UINT64_MAX - pool->rlo ? UINT64_MAX : pool->rlo + size;
	pool->lo = pool->rlo;
	pool->hi = pool->rhi;
	if (ipam_pool_reserved(pool, pool->lo))
		pool->lo++;
	if (pool->hi > 0 && ipam_pool_reserved(pool, pool->hi))
		pool->hi--;
	pool->next = pool->lo;
	return 0;
}

int ipam_pool_new(const struct prefix *subnet, const struct prefix *range, const char *owner,
		  struct ipam_pool **ret, struct berr **err)
{
	struct ipam_pool *pool = xcalloc(1, sizeof(*pool));
	int r;

	pool->subnet = *subnet;
	r = ipam_pool_set_range(pool, range, err);
	if (r < 0) {
		free(pool);
		return r;
	}
	pool->id = ipam_pool_id(subnet);
	pool->owner = xstrdup(owner ? owner : "");
	pool->used = bitmap_new(cidr_last_offset(subnet));
	*ret = pool;
	return 0;
}

void ipam_pool_free(struct ipam_pool *pool)
{
	if (!pool)
		return;
	bitmap_free(pool->used);
	free(pool->id);
	free(pool->owner);
	free(pool);
}

static bool ipam_pool_in_window(const struct ipam_pool *pool, uint64_t off)
{
	return off >= pool->lo && off <= pool->hi;
}

/* Mark off taken; false when it was taken already. */
static bool ipam_pool_take(struct ipam_pool *pool, uint64_t off)
{
	if (!bitmap_set(pool->used, off))
		return false;
	if (ipam_pool_in_window(pool, off))
		pool->n_window++;
	return true;
}

static int ipam_pool_version(const struct ipam_pool *pool)
{
	return pool->subnet.addr.family == AF_INET ? 4 : 6;
}

/* Take one given address. */
static int ipam_pool_acquire_want(struct ipam_pool *pool, const struct ipaddr *want, unsigned flags,
				  struct berr **err)
{
	bool anywhere = flags & (IPAM_ADDR_GATEWAY | IPAM_ADDR_AUX);
	char abuf[CIDR_STRLEN], sbuf[CIDR_STRLEN];
	const char *what;
	uint64_t off;

	if (!ipam_pool_offset(pool, want, &off) ||
	    (!anywhere && (off < pool->rlo || off > pool->rhi)))
		return berr_set(err, EINVAL, "requested address is out of range");
	what = ipam_pool_reserved(pool, off);
	if (what)
		return berr_set(err, EINVAL, "requested address %s is the %s address of %s",
				cidr_addr_str(want, abuf), what,
				cidr_prefix_str(&pool->subnet, sbuf));
	if (!ipam_pool_take(pool, off))
		return berr_set(err, EPERM, "Address already in use");
	return 0;
}

/* Take the next free address of the window, starting at the hint. */
static int ipam_pool_acquire_next(struct ipam_pool *pool, struct ipaddr *ret, struct berr **err)
{
	char sbuf[CIDR_STRLEN];
	uint64_t off;

	if (pool->lo > pool->hi ||
	    (pool->n_window > 0 && pool->n_window - 1 == pool->hi - pool->lo) ||
	    bitmap_find_clear(pool->used, pool->lo, pool->hi, pool->next, &off) < 0)
		return berr_set(err, ENOSPC,
				"no available IPv%d addresses on this network's address pools (%s)",
				ipam_pool_version(pool), cidr_prefix_str(&pool->subnet, sbuf));
	ipam_pool_take(pool, off);
	pool->next = off == pool->hi ? pool->lo : off + 1;
	cidr_at(&pool->subnet, off, ret);
	return 0;
}

int ipam_pool_acquire(struct ipam_pool *pool, const struct ipaddr *want, unsigned flags,
		      struct ipaddr *ret, struct berr **err)
{
	int r;

	if (!want)
		return ipam_pool_acquire_next(pool, ret, err);
	r = ipam_pool_acquire_want(pool, want, flags, err);
	if (r < 0)
		return r;
	*ret = *want;
	return 0;
}

int ipam_pool_release(struct ipam_pool *pool, const struct ipaddr *addr, bool *ret_was_taken,
		      struct berr **err)
{
	char abuf[CIDR_STRLEN], sbuf[CIDR_STRLEN];
	uint64_t off;
	bool was;

	if (!ipam_pool_offset(pool, addr, &off))
		return berr_set(err, EINVAL, "address %s is not in pool %s",
				cidr_addr_str(addr, abuf), cidr_prefix_str(&pool->subnet, sbuf));
	was = bitmap_clear(pool->used, off);
	if (was && ipam_pool_in_window(pool, off))
		pool->n_window--;
	if (ret_was_taken)
		*ret_was_taken = was;
	return 0;
}

/* "a" for a run of one address, "a-b" otherwise. */
static json_t *ipam_pool_run_to_json(const struct ipam_pool *pool, uint64_t first, uint64_t last)
{
	char a[CIDR_STRLEN], b[CIDR_STRLEN];
	struct ipaddr fa, la;
	_cleanup_free_ char *s = NULL;

	cidr_at(&pool->subnet, first, &fa);
	cidr_at(&pool->subnet, last, &la);
	if (first == last)
		return json_string(cidr_addr_str(&fa, a));
	s = xasprintf("%s-%s", cidr_addr_str(&fa, a), cidr_addr_str(&la, b));
	return json_string(s);
}

json_t *ipam_pool_to_json(const struct ipam_pool *pool)
{
	json_t *obj = json_object(), *runs = json_array();
	char buf[CIDR_STRLEN];
	uint64_t first, last;
	struct ipaddr next;

	json_object_set_new(obj, "id", json_string(pool->id));
	json_object_set_new(obj, "owner", json_string(pool->owner));
	json_object_set_new(obj, "subnet", json_string(cidr_prefix_str(&pool->subnet, buf)));
	if (pool->has_range)
		json_object_set_new(obj, "range", json_string(cidr_prefix_str(&pool->range, buf)));
	if (pool->lo <= pool->hi && cidr_at(&pool->subnet, pool->next, &next) == 0)
		json_object_set_new(obj, "next", json_string(cidr_addr_str(&next, buf)));
	for (uint64_t from = 0; bitmap_next_run(pool->used, from, &first, &last) == 0;
	     from = last + 1) {
		json_array_append_new(runs, ipam_pool_run_to_json(pool, first, last));
		if (last == bitmap_last(pool->used))
			break;
	}
	json_object_set_new(obj, "allocated", runs);
	return obj;
}

/* A string member; NULL when missing and optional. */
static int ipam_pool_json_str(json_t *obj, const char *key, bool required, const char **ret,
			      struct berr **err)
{
	json_t *v = json_object_get(obj, key);

	if (!v && !required) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return berr_set(err, EINVAL, "%s must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

/* An address of the pool, as its offset. */
static int ipam_pool_parse_offset(const struct ipam_pool *pool, const char *s, uint64_t *ret,
				  struct berr **err)
{
	struct ipaddr a;
	int r;

	r = cidr_parse_addr(s, &a, err);
	if (r < 0)
		return r;
	if (!ipam_pool_offset(pool, &a, ret))
		return berr_set(err, EINVAL, "address %s is not in the pool", s);
	return 0;
}

/* One entry of "allocated": "a" or "a-b". */
static int ipam_pool_load_run(struct ipam_pool *pool, const char *s, struct berr **err)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *a = xstrndup(s, dash ? (size_t)(dash - s) : strlen(s));
	uint64_t first = 0, last = 0;
	int r;

	if ((r = ipam_pool_parse_offset(pool, a, &first, err)) < 0)
		return r;
	last = first;
	if (dash && (r = ipam_pool_parse_offset(pool, dash + 1, &last, err)) < 0)
		return r;
	if (last < first || last - first >= IPAM_POOL_MAX_LOADED - bitmap_count(pool->used))
		return berr_set(err, EINVAL, "bad allocated run %s", s);
	for (uint64_t off = first;; off++) {
		if (ipam_pool_reserved(pool, off) || !ipam_pool_take(pool, off))
			return berr_set(err, EINVAL, "bad allocated run %s", s);
		if (off == last)
			return 0;
	}
}

static int ipam_pool_load_runs(struct ipam_pool *pool, json_t *runs, struct berr **err)
{
	json_t *v;
	size_t i;
	int r;

	if (!json_is_array(runs))
		return berr_set(err, EINVAL, "allocated must be an array");
	json_array_foreach (runs, i, v) {
		if (!json_is_string(v))
			return berr_set(err, EINVAL, "allocated must hold strings");
		r = ipam_pool_load_run(pool, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The hint: must lie in the window. */
static int ipam_pool_load_next(struct ipam_pool *pool, const char *s, struct berr **err)
{
	uint64_t off = 0;
	int r;

	if (!s)
		return 0;
	r = ipam_pool_parse_offset(pool, s, &off, err);
	if (r < 0)
		return r;
	if (!ipam_pool_in_window(pool, off))
		return berr_set(err, EINVAL, "next address %s is outside the pool's range", s);
	pool->next = off;
	return 0;
}

/* Build the pool from the fields that define it. */
static int ipam_pool_new_from_json(json_t *obj, struct ipam_pool **ret, struct berr **err)
{
	const char *id = NULL, *owner = NULL, *subnet = NULL, *range = NULL;
	struct prefix sp, rp;
	_cleanup_free_ char *want_id = NULL;
	int r;

	if (!json_is_object(obj))
		return berr_set(err, EINVAL, "pool must be an object");
	if ((r = ipam_pool_json_str(obj, "id", true, &id, err)) < 0 ||
	    (r = ipam_pool_json_str(obj, "owner", true, &owner, err)) < 0 ||
	    (r = ipam_pool_json_str(obj, "subnet", true, &subnet, err)) < 0 ||
	    (r = ipam_pool_json_str(obj, "range", false, &range, err)) < 0)
		return r;
	if ((r = cidr_parse_prefix(subnet, &sp, err)) < 0 ||
	    (range && (r = cidr_parse_prefix(range, &rp, err)) < 0))
		return r;
	want_id = ipam_pool_id(&sp);
	if (!streq(id, want_id))
		return berr_set(err, EINVAL, "pool id %s does not match subnet %s", id, subnet);
	return ipam_pool_new(&sp, range ? &rp : NULL, owner, ret, err);
}

int ipam_pool_from_json(json_t *obj, struct ipam_pool **ret, struct berr **err)
{
	struct ipam_pool *pool;
	const char *next = NULL;
	int r;

	r = ipam_pool_new_from_json(obj, &pool, err);
	if (r < 0)
		return r;
	if ((r = ipam_pool_load_runs(pool, json_object_get(obj, "allocated"), err)) < 0 ||
	    (r = ipam_pool_json_str(obj, "next", false, &next, err)) < 0 ||
	    (r = ipam_pool_load_next(pool, next, err)) < 0) {
		ipam_pool_free(pool);
		return r;
	}
	*ret = pool;
	return 0;
}
