/* cidr.h - IPv4/IPv6 addresses and prefixes: parsing, printing, overlap and
 * offset arithmetic.  Pure functions; no allocation.  Used by IPAM, the
 * controller (validation), drivers (addresses on links) and the CLI. */
#ifndef BERTH_CIDR_H
#define BERTH_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"

/* An address.  family is AF_INET or AF_INET6; for AF_INET only the first 4
 * bytes of b are used and the rest are zero, so memcmp compares correctly. */
struct ipaddr {
	int family;
	uint8_t b[16];
};

/* A prefix: a network address and a length.  cidr_parse_prefix only accepts
 * prefixes whose host bits are zero. */
struct prefix {
	struct ipaddr addr;
	unsigned len;
};

/* INET6_ADDRSTRLEN + "/128" */
#define CIDR_STRLEN 52

/* Address byte count of a family (4 or 16). */
unsigned cidr_family_bytes(int family);
unsigned cidr_family_bits(int family);

/* "10.0.0.1" or "fd00::1".  Errors (EINVAL) name the input. */
int cidr_parse_addr(const char *s, struct ipaddr *ret, struct berr **err);
/* "10.0.0.0/16"; a prefix with host bits set is refused with Docker's hint
 * ("invalid subnet 10.0.0.1/16: it should be 10.0.0.0/16"). */
int cidr_parse_prefix(const char *s, struct prefix *ret, struct berr **err);
/* "10.0.0.1/16": an address with a prefix length, host bits allowed (as in
 * --bip).  ret_addr gets the address, ret_prefix the masked network. */
int cidr_parse_addr_prefix(const char *s, struct ipaddr *ret_addr, struct prefix *ret_prefix,
			   struct berr **err);

/* Print into buf (at least CIDR_STRLEN bytes); return buf. */
const char *cidr_addr_str(const struct ipaddr *a, char *buf);
const char *cidr_prefix_str(const struct prefix *p, char *buf);

bool cidr_addr_eq(const struct ipaddr *a, const struct ipaddr *b);
/* Clear the host bits of p->addr. */
void cidr_prefix_mask(struct prefix *p);
bool cidr_contains(const struct prefix *p, const struct ipaddr *a);
/* inner lies entirely inside outer. */
bool cidr_prefix_within(const struct prefix *outer, const struct prefix *inner);
bool cidr_overlaps(const struct prefix *a, const struct prefix *b);

/* Host offset of a inside p (a - network address); a must be in p. Offsets
 * beyond 64 bits (IPv6 prefixes shorter than /64) are clamped to UINT64_MAX. */
uint64_t cidr_offset(const struct prefix *p, const struct ipaddr *a);
/* The address at offset off inside p; -ERANGE when off is outside p. */
int cidr_at(const struct prefix *p, uint64_t off, struct ipaddr *ret);
/* Number of addresses in p minus one (the last offset), clamped to UINT64_MAX. */
uint64_t cidr_last_offset(const struct prefix *p);

#endif
