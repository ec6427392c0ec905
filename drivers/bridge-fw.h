/* bridge-fw.h - the firewall of bridge networks: one nftables table of
 * berth's own (family inet "berth", plus a bridge-family table for what
 * only the bridge hook sees), whose rules are fixed at creation and never
 * grow: networks, subnets and published ports are elements of sets and
 * maps.  Every call is one atomic nftables batch (core/nft).  Called by the
 * bridge driver on the job thread, in the daemon's network namespace. */
#ifndef BERTH_BRIDGE_FW_H
#define BERTH_BRIDGE_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"
#include "ipam/cidr.h"

/* What the firewall needs to know of one bridge network. */
struct fw_net {
	const char *bridge; /* the Linux bridge's name */
	const struct prefix *subnets;
	size_t n_subnets;
	bool internal;	 /* no traffic in or out of the bridge */
	bool icc;	 /* containers of the bridge may talk to each other */
	bool masquerade; /* traffic leaving by another interface is masqueraded */
};

/* One published port: host_ip:host_port/proto -> ctr_ip:ctr_port.
 * host_ip.family 0 means every address of the host (Docker's 0.0.0.0 and
 * ::); otherwise its family matches ctr_ip's. */
struct fw_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	struct ipaddr host_ip;
	uint16_t host_port;
	struct ipaddr ctr_ip;
	uint16_t ctr_port;
};

/* Make the tables, chains, sets and rules if they are missing (keeping
 * whatever elements are there), turn on IPv4 forwarding (and IPv6
 * forwarding when ipv6 is true), logging what it changed. */
int fw_init(bool ipv6, struct berr **err);

/* Add or remove a network's elements (bridge name, subnets, flags).
 * Adding twice or removing what is absent is not an error.  Adding needs
 * the bridge to exist: it lets 127.0.0.0/8 out of it (route_localnet) so
 * that the host reaches published ports through 127.0.0.1. */
int fw_network_add(const struct fw_net *net, struct berr **err);
int fw_network_del(const struct fw_net *net, struct berr **err);

/* Add or remove published ports, all in one batch.  Adding a port whose
 * (host address, protocol, host port) is published already fails with
 * -EEXIST, and nothing of the batch is applied.  Removing leaves alone a
 * port that is absent or that leads to another container. */
int fw_ports_add(const struct fw_port *ports, size_t n, struct berr **err);
int fw_ports_del(const struct fw_port *ports, size_t n, struct berr **err);

/* After a daemon restart: make the table hold exactly these networks and
 * ports: missing elements added, stale ones removed, rules re-created only
 * if they differ from what berth would write.  Established flows are not
 * interrupted (no flush of the table). */
int fw_reconcile(const struct fw_net *nets, size_t n_nets, const struct fw_port *ports,
		 size_t n_ports, struct berr **err);

/* Remove berth's tables altogether (tests, `berthd --fw-cleanup`). */
int fw_cleanup(struct berr **err);

#endif
