/* pool.h - one address pool of the default IPAM driver: a subnet, its
 * allocatable window and a sparse bitmap of the addresses taken, plus its
 * JSON form for the store.  Internal to ipam/ (default.c is the caller).
 *
 * Offsets are 64 bits: of an IPv6 prefix shorter than /64 only the first
 * 2^64 addresses are used; addresses beyond them are refused as out of
 * range. */
#ifndef BERTH_IPAM_POOL_H
#define BERTH_IPAM_POOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"
#include "ipam/bitmap.h"
#include "ipam/cidr.h"

/* lo..hi is the range without the addresses never handed out (IPv4
 * network and broadcast, IPv6 subnet-router anycast); lo > hi: none left. */
struct ipam_pool {
	char *id;    /* "default-172.18.0.0-16"; also the store key */
	char *owner; /* network id ("" when none) */
	struct prefix subnet;
	struct prefix range; /* --ip-range, or the whole subnet */
	bool has_range;
	uint64_t rlo, rhi;   /* offsets of the range */
	uint64_t lo, hi;     /* offsets handed out when no address is asked for */
	uint64_t next;	     /* next-free hint, in [lo, hi] */
	uint64_t n_window;   /* addresses taken inside [lo, hi] */
	struct bitmap *used; /* every address taken, gateway and aux included */
};

/* The pool id (and store key) of subnet.  Caller frees. */
char *ipam_pool_id(const struct prefix *subnet);

/* A pool with nothing taken.  range may be NULL (the whole subnet); owner
 * may be NULL.  EINVAL when range is not inside subnet or starts beyond the
 * first 2^64 addresses.  Caller frees with ipam_pool_free. */
int ipam_pool_new(const struct prefix *subnet, const struct prefix *range, const char *owner,
		  struct ipam_pool **ret, struct berr **err);
void ipam_pool_free(struct ipam_pool *pool);

/* Take want (with IPAM_ADDR_* flags), or the next free address of the
 * window when want is NULL.  EINVAL: out of range or reserved; EPERM: taken;
 * ENOSPC: nothing left. */
int ipam_pool_acquire(struct ipam_pool *pool, const struct ipaddr *want, unsigned flags,
		      struct ipaddr *ret, struct berr **err);
/* Give addr back.  *ret_was_taken (may be NULL) tells whether it was taken.
 * EINVAL when addr is not in the subnet. */
int ipam_pool_release(struct ipam_pool *pool, const struct ipaddr *addr, bool *ret_was_taken,
		      struct berr **err);

/* The pool as stored: taken addresses as runs ("a" or "a-b").  New ref. */
json_t *ipam_pool_to_json(const struct ipam_pool *pool);
/* The inverse; every field is validated (EINVAL). */
int ipam_pool_from_json(json_t *obj, struct ipam_pool **ret, struct berr **err);

#endif
