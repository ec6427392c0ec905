/* dns-table.h - the names the embedded resolver answers from: for every
 * endpoint on a network with DNS, its container name, short id and aliases
 * in that network, and its addresses.  A name is visible to a sandbox only
 * through a network both share.  Lookups are hash lookups (one per network
 * of the asker), read on every query.
 *
 * The table has no lock of its own.  Its owner (whoever serves DNS)
 * serialises writers against readers; lookups never modify the table, so
 * readers may run in parallel (the shuffle of an answer uses per-thread
 * state). */
#ifndef BERTH_DNS_TABLE_H
#define BERTH_DNS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "ipam/cidr.h"

struct dns_table;

/* One endpoint as the resolver sees it.  Every string is borrowed for the
 * call; the table keeps copies. */
struct dns_endpoint {
	const char *id;	      /* endpoint id: the key of set and remove */
	const char *net_id;   /* the network it is on */
	const char *net_name; /* that network's name: "name.net_name" resolves too */
	/* Container name, without Docker's leading '/'; also the target of
	 * PTR answers ("name.net_name"). */
	const char *name;
	/* NULL-terminated, may be NULL: short id, --network-alias, connect --alias. */
	const char *const *aliases;
	const struct ipaddr *addr4; /* AF_INET, or NULL */
	const struct ipaddr *addr6; /* AF_INET6, or NULL */
};

struct dns_table *dns_table_new(void);
/* Accepts NULL. */
void dns_table_free(struct dns_table *t);

/* Publish ep, replacing whatever the table had under ep->id (so a rename,
 * a new alias or a new address is one call).  Names are compared without
 * case and without a trailing dot; empty names are skipped. */
void dns_table_set_endpoint(struct dns_table *t, const struct dns_endpoint *ep);
/* Withdraw the endpoint; removing an unknown id does nothing. */
void dns_table_remove_endpoint(struct dns_table *t, const char *endpoint_id);

/* Number of endpoints in the table. */
size_t dns_table_count(const struct dns_table *t);

/* Resolve name for a sandbox on the networks visible_net_ids (NULL-
 * terminated).  First the name itself in every visible network; only when
 * no network has it, "prefix.N" as prefix in the visible network named N.
 * family: AF_INET, AF_INET6 or AF_UNSPEC (both).  On success *ret_addrs
 * (caller frees) gets every address of the holders, without duplicates, in
 * a fresh random order on each call, and *ret_n their number, which is 0
 * when the name exists but has no address of that family (NODATA).
 * -ENOENT when no visible network has the name. */
int dns_table_lookup(const struct dns_table *t, const char *const *visible_net_ids,
		     const char *name, int family, struct ipaddr **ret_addrs, size_t *ret_n);

/* The name of address a for a sandbox on visible_net_ids: "name.network"
 * of the endpoint that has a in the first visible network where one does
 * (caller frees), as Docker answers PTR queries.  -ENOENT when none. */
int dns_table_lookup_ptr(const struct dns_table *t, const char *const *visible_net_ids,
			 const struct ipaddr *a, char **ret_name);

/* name lies strictly under the name of a visible network ("x.net" or
 * "a.b.net" for network "net"): the resolver owns that zone and answers
 * NXDOMAIN for names it does not know there instead of forwarding them. */
bool dns_table_in_zone(const struct dns_table *t, const char *const *visible_net_ids,
		       const char *name);

#endif
