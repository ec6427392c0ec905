/* default.c - the "default" IPAM driver (see ipam.h): local address pools
 * carved out of the default-address-pools or given explicitly, and the
 * addresses inside them (ipam/pool.c).  With a store, every pool is one
 * JSON file under ipam/, rewritten after each change and loaded at start;
 * a change whose write fails is undone in memory, so memory and store
 * always agree.  The controller is the only caller.
 *
 * Address offsets are 64 bits: of an IPv6 subnet shorter than /64 only the
 * first 2^64 addresses are handed out (see pool.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/store.h"
#include "core/util.h"
#include "ipam/ipam.h"
#include "ipam/pool.h"

#define IPAM_STORE_KIND "ipam"

/* A.B.0.0/LEN carved into /SIZE networks. */
#define IPAM_V4_SPEC(A, B, LEN, SIZE)                                                              \
	{                                                                                          \
		.base = {.addr = {.family = AF_INET, .b = {A, B}}, .len = LEN}, .size = SIZE       \
	}

const struct ipam_pool_spec ipam_default_pools[] = {
	IPAM_V4_SPEC(172, 17, 16, 16), IPAM_V4_SPEC(172, 18, 16, 16),
	IPAM_V4_SPEC(172, 19, 16, 16), IPAM_V4_SPEC(172, 20, 16, 16),
	IPAM_V4_SPEC(172, 21, 16, 16), IPAM_V4_SPEC(172, 22, 16, 16),
	IPAM_V4_SPEC(172, 23, 16, 16), IPAM_V4_SPEC(172, 24, 16, 16),
	IPAM_V4_SPEC(172, 25, 16, 16), IPAM_V4_SPEC(172, 26, 16, 16),
	IPAM_V4_SPEC(172, 27, 16, 16), IPAM_V4_SPEC(172, 28, 16, 16),
	IPAM_V4_SPEC(172, 29, 16, 16), IPAM_V4_SPEC(172, 30, 16, 16),
	IPAM_V4_SPEC(172, 31, 16, 16), IPAM_V4_SPEC(192, 168, 16, 20),
};
const size_t ipam_n_default_pools = ARRAY_SIZE(ipam_default_pools);

struct ipam_default {
	struct ipam_pool_spec *specs;
	size_t n_specs;
	struct ipam_pool **pools;
	size_t n_pools, cap_pools;
	struct store *store; /* borrowed; NULL: memory only */
};

static struct ipam_default *ipam_default(struct ipam *ipam)
{
	return ipam->priv;
}

static struct ipam_pool *ipam_default_find(struct ipam_default *d, const char *id, size_t *ret_i)
{
	for (size_t i = 0; i < d->n_pools; i++)
		if (streq(d->pools[i]->id, id)) {
			if (ret_i)
				*ret_i = i;
			return d->pools[i];
		}
	return NULL;
}

static void ipam_default_add(struct ipam_default *d, struct ipam_pool *pool)
{
	xgrow(&d->pools, &d->cap_pools, d->n_pools + 1, sizeof(*d->pools));
	d->pools[d->n_pools++] = pool;
}

/* Write the pool's file (nothing without a store). */
static int ipam_default_save(struct ipam_default *d, const struct ipam_pool *pool,
			     struct berr **err)
{
	json_t *obj;
	int r;

	if (!d->store)
		return 0;
	obj = ipam_pool_to_json(pool);
	r = store_put(d->store, IPAM_STORE_KIND, pool->id, obj, err);
	json_decref(obj);
	return r;
}

/* The existing pool overlapping p, or NULL. */
static const struct ipam_pool *ipam_default_overlap(const struct ipam_default *d,
						    const struct prefix *p)
{
	for (size_t i = 0; i < d->n_pools; i++)
		if (cidr_overlaps(&d->pools[i]->subnet, p))
			return d->pools[i];
	return NULL;
}

/* The shortest prefix (existing pool or avoided) overlapping cand, or NULL. */
static const struct prefix *ipam_default_conflict(const struct ipam_default *d,
						  const struct ipam_pool_req *req,
						  const struct prefix *cand)
{
	const struct prefix *best = NULL;

	for (size_t i = 0; i < d->n_pools; i++)
		if (cidr_overlaps(&d->pools[i]->subnet, cand) &&
		    (!best || d->pools[i]->subnet.len < best->len))
			best = &d->pools[i]->subnet;
	for (size_t i = 0; i < req->n_avoid; i++)
		if (cidr_overlaps(&req->avoid[i], cand) && (!best || req->avoid[i].len < best->len))
			best = &req->avoid[i];
	return best;
}

/* The prefix of the same length right after p; false past the end of the
 * address space. */
static bool ipam_prefix_next(const struct prefix *p, struct prefix *ret)
{
	struct prefix n = *p;
	unsigned carry;
	int i;

	if (p->len == 0)
		return false;
	cidr_prefix_mask(&n); /* avoid prefixes may carry host bits */
	i = (int)((p->len - 1) / 8);
	carry = 1u << (7 - (p->len - 1) % 8);
	for (; i >= 0 && carry; i--) {
		carry += n.addr.b[i];
		n.addr.b[i] = (uint8_t)carry;
		carry >>= 8;
	}
	if (carry)
		return false;
	*ret = n;
	return true;
}

/* The first subnet of spec that conflicts with nothing.  Each conflict is
 * stepped over whole, so this costs O(conflicts), not O(subnets). */
static bool ipam_default_pick_in(const struct ipam_default *d, const struct ipam_pool_spec *spec,
				 const struct ipam_pool_req *req, struct prefix *ret)
{
	struct prefix cand = {.addr = spec->base.addr, .len = spec->size};

	while (cidr_prefix_within(&spec->base, &cand)) {
		const struct prefix *c = ipam_default_conflict(d, req, &cand);
		struct prefix after;

		if (!c) {
			*ret = cand;
			return true;
		}
		if (!ipam_prefix_next(c->len < cand.len ? c : &cand, &after))
			return false;
		cand.addr = after.addr;
	}
	return false;
}

/* The first free subnet of the default pools, in order. */
static int ipam_default_pick(const struct ipam_default *d, const struct ipam_pool_req *req,
			     struct prefix *ret, struct berr **err)
{
	for (size_t i = 0; i < d->n_specs; i++)
		if (d->specs[i].base.addr.family == req->family &&
		    ipam_default_pick_in(d, &d->specs[i], req, ret))
			return 0;
	return berr_set(err, EINVAL,
			"could not find an available, non-overlapping IPv%d address pool among "
			"the defaults to assign to the network",
			req->family == AF_INET ? 4 : 6);
}

/* The subnet a request gets: its own (if free) or a picked one. */
static int ipam_default_subnet(const struct ipam_default *d, const struct ipam_pool_req *req,
			       struct prefix *ret, struct berr **err)
{
	char buf[CIDR_STRLEN];
	struct prefix masked;

	if (req->family != AF_INET && req->family != AF_INET6)
		return berr_set(err, EINVAL, "unsupported address family %d", req->family);
	if (!req->subnet)
		return ipam_default_pick(d, req, ret, err);
	masked = *req->subnet;
	cidr_prefix_mask(&masked);
	if (req->subnet->addr.family != req->family ||
	    req->subnet->len > cidr_family_bits(req->family) ||
	    !cidr_addr_eq(&masked.addr, &req->subnet->addr))
		return berr_set(err, EINVAL, "invalid subnet %s for this address family",
				cidr_prefix_str(req->subnet, buf));
	if (ipam_default_overlap(d, req->subnet))
		return berr_set(err, EPERM, "Pool overlaps with other one on this address space");
	*ret = *req->subnet;
	return 0;
}

static int ipam_default_pool_request(struct ipam *ipam, const struct ipam_pool_req *req,
				     struct ipam_pool_reply *ret, struct berr **err)
{
	struct ipam_default *d = ipam_default(ipam);
	struct ipam_pool *pool;
	struct prefix subnet;
	int r;

	r = ipam_default_subnet(d, req, &subnet, err);
	if (r < 0)
		return r;
	if (req->range && req->range->addr.family != req->family)
		return berr_set(err, EINVAL, "ip-range is not of the subnet's address family");
	r = ipam_pool_new(&subnet, req->range, req->owner, &pool, err);
	if (r < 0)
		return r;
	r = ipam_default_save(d, pool, err);
	if (r < 0) {
		ipam_pool_free(pool);
		return r;
	}
	ipam_default_add(d, pool);
	ret->pool_id = xstrdup(pool->id);
	ret->subnet = subnet;
	return 0;
}

static int ipam_default_pool_release(struct ipam *ipam, const char *pool_id, struct berr **err)
{
	struct ipam_default *d = ipam_default(ipam);
	struct ipam_pool *pool;
	size_t i;
	int r;

	pool = ipam_default_find(d, pool_id, &i);
	if (!pool)
		return 0;
	if (d->store && (r = store_del(d->store, IPAM_STORE_KIND, pool->id, err)) < 0)
		return r;
	ipam_pool_free(pool);
	memmove(&d->pools[i], &d->pools[i + 1], (d->n_pools - i - 1) * sizeof(*d->pools));
	d->n_pools--;
	return 0;
}

static int ipam_default_address_request(struct ipam *ipam, const char *pool_id,
					const struct ipaddr *want, unsigned flags,
					const uint8_t *mac, struct ipaddr *ret, struct berr **err)
{
	(void)mac;
	struct ipam_pool *pool = ipam_default_find(ipam_default(ipam), pool_id, NULL);
	struct ipaddr got;
	uint64_t hint;
	int r;

	if (!pool)
		return berr_set(err, ENOENT, "address pool %s not found", pool_id);
	hint = pool->next;
	r = ipam_pool_acquire(pool, want, flags, &got, err);
	if (r < 0)
		return r;
	r = ipam_default_save(ipam_default(ipam), pool, err);
	if (r < 0) {
		ipam_pool_release(pool, &got, NULL, NULL);
		pool->next = hint;
		return r;
	}
	*ret = got;
	return 0;
}

static int ipam_default_address_release(struct ipam *ipam, const char *pool_id,
					const struct ipaddr *addr, struct berr **err)
{
	struct ipam_pool *pool = ipam_default_find(ipam_default(ipam), pool_id, NULL);
	struct ipaddr back;
	bool was;
	int r;

	if (!pool)
		return 0; /* the pool went, and its addresses with it */
	r = ipam_pool_release(pool, addr, &was, err);
	if (r < 0 || !was)
		return r;
	r = ipam_default_save(ipam_default(ipam), pool, err);
	if (r < 0)
		ipam_pool_acquire(pool, addr, IPAM_ADDR_AUX, &back, NULL);
	return r;
}

static const struct ipam_driver ipam_default_driver = {
	.name = "default",
	.pool_request = ipam_default_pool_request,
	.pool_release = ipam_default_pool_release,
	.address_request = ipam_default_address_request,
	.address_release = ipam_default_address_release,
};

/* A spec is usable: a network base and a size between its length and the
 * family's width. */
static int ipam_default_spec_check(const struct ipam_pool_spec *spec, struct berr **err)
{
	char buf[CIDR_STRLEN];
	struct prefix masked = spec->base;
	int family = spec->base.addr.family;

	if (family != AF_INET && family != AF_INET6)
		return berr_set(err, EINVAL, "invalid address pool: unknown address family");
	cidr_prefix_mask(&masked);
	if (spec->base.len > cidr_family_bits(family) ||
	    !cidr_addr_eq(&masked.addr, &spec->base.addr) || spec->size < spec->base.len ||
	    spec->size > cidr_family_bits(family))
		return berr_set(err, EINVAL, "invalid address pool: base %s, size %u",
				cidr_prefix_str(&spec->base, buf), spec->size);
	return 0;
}

/* store_load callback: adopt one pool file. */
static int ipam_default_load_one(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct ipam_default *d = data;
	struct ipam_pool *pool;
	int r;

	r = ipam_pool_from_json(obj, &pool, err);
	if (r < 0)
		return berr_wrap(err, "ipam state %s", key);
	if (!streq(key, pool->id) || ipam_default_overlap(d, &pool->subnet)) {
		ipam_pool_free(pool);
		return berr_set(err, EINVAL,
				"ipam state %s: pool does not match its key or "
				"overlaps another pool",
				key);
	}
	ipam_default_add(d, pool);
	return 0;
}

static void ipam_default_free(struct ipam_default *d)
{
	for (size_t i = 0; i < d->n_pools; i++)
		ipam_pool_free(d->pools[i]);
	free(d->pools);
	free(d->specs);
	free(d);
}

int ipam_default_new(const struct ipam_pool_spec *pools, size_t n_pools, struct store *store,
		     struct ipam **ret, struct berr **err)
{
	struct ipam_default *d;
	struct ipam *ipam;
	int r;

	if (!pools || n_pools == 0) {
		pools = ipam_default_pools;
		n_pools = ipam_n_default_pools;
	}
	for (size_t i = 0; i < n_pools; i++)
		if ((r = ipam_default_spec_check(&pools[i], err)) < 0)
			return r;
	d = xcalloc(1, sizeof(*d));
	d->specs = xmalloc(n_pools * sizeof(*d->specs));
	memcpy(d->specs, pools, n_pools * sizeof(*d->specs));
	d->n_specs = n_pools;
	d->store = store;
	if (store && (r = store_load(store, IPAM_STORE_KIND, ipam_default_load_one, d, err)) < 0) {
		ipam_default_free(d);
		return r;
	}
	ipam = xcalloc(1, sizeof(*ipam));
	ipam->driver = &ipam_default_driver;
	ipam->priv = d;
	*ret = ipam;
	return 0;
}

/* Only the default driver exists so far; a second one needs a free slot in
 * struct ipam_driver. */
void ipam_free(struct ipam *ipam)
{
	if (!ipam)
		return;
	ipam_default_free(ipam->priv);
	free(ipam);
}

/* Strict decimal for size=: digits only, no sign, no leading zero. */
static int ipam_spec_parse_size(const char *s, unsigned *ret)
{
	unsigned v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 3)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* One "key=value" field of a pool spec into *spec; *seen records which. */
static int ipam_spec_parse_field(const char *whole, char *field, struct ipam_pool_spec *spec,
				 unsigned *seen, struct berr **err)
{
	char *eq = strchr(field, '=');
	unsigned bit;
	int r;

	if (!eq)
		return berr_set(err, EINVAL, "invalid address pool %s: expected key=value", whole);
	*eq = '\0';
	if (streq(field, "base")) {
		bit = 1;
		r = cidr_parse_prefix(eq + 1, &spec->base, err);
		if (r < 0)
			return berr_wrap(err, "invalid address pool %s", whole);
	} else if (streq(field, "size")) {
		bit = 2;
		if (ipam_spec_parse_size(eq + 1, &spec->size) < 0)
			return berr_set(err, EINVAL, "invalid address pool %s: bad size %s", whole,
					eq + 1);
	} else {
		return berr_set(err, EINVAL, "invalid address pool %s: unknown field %s", whole,
				field);
	}
	if (*seen & bit)
		return berr_set(err, EINVAL, "invalid address pool %s: %s given twice", whole,
				field);
	*seen |= bit;
	return 0;
}

int ipam_pool_spec_parse(const char *s, struct ipam_pool_spec *ret, struct berr **err)
{
	_cleanup_free_ char *copy = xstrdup(s);
	struct ipam_pool_spec spec = {0};
	unsigned seen = 0;
	char *rest = copy, *field;
	int r;

	while ((field = strsep(&rest, ",")))
		if ((r = ipam_spec_parse_field(s, field, &spec, &seen, err)) < 0)
			return r;
	if (seen != 3)
		return berr_set(err, EINVAL, "invalid address pool %s: needs base and size", s);
	r = ipam_default_spec_check(&spec, err);
	if (r < 0)
		return r;
	*ret = spec;
	return 0;
}
