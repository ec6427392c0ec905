/* endpoint.h - endpoints and sandboxes of the model (CNM).  An endpoint is
 * one container's interface on one network: its addresses and MAC are
 * allocated when the container is created or connected, kept while it is
 * stopped, and released when it is removed or disconnected.  A sandbox is
 * the network namespace of a running container; endpoints join it at start
 * and leave it at stop.  Pure model code and its JSON codecs. */
#ifndef BERTH_ENDPOINT_H
#define BERTH_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"
#include "ipam/cidr.h"

struct network;

/* One published port of a container, as HostConfig.PortBindings asks
 * (host_ip family 0: every address; host_port 0: a random one; a range
 * host_port..host_port_end: the first free one in it), and what it got. */
struct ep_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t ctr_port;
	struct ipaddr host_ip;
	uint16_t host_port, host_port_end;
	uint16_t bound; /* the host port in use while running; 0 when not */
	int fd;		/* the socket that holds the host port; -1 when none */
};

struct endpoint {
	char id[65];
	char ctr_id[65];
	char net_id[65];
	char *ctr_name;	 /* for the network's Containers map and errors */
	unsigned seq;	 /* connect order inside the container */
	json_t *config;	 /* EndpointConfig as given: IPAMConfig, Aliases, Links, ... */
	int64_t gw_prio; /* GwPriority */
	bool has4, has6; /* addresses held */
	struct ipaddr addr4, addr6;
	unsigned plen4, plen6;
	uint8_t mac[6];
	/* on docker_gwbridge for an overlay container's way out: made and
	 * removed with the sandbox, not one of the container's networks */
	bool gwbridge;
	/* while the container runs (not stored) */
	bool joined;
	bool is_gw; /* gives the sandbox its default route */
	/* from a driver whose gateways come with the join (gw_from_join) */
	bool join_gw4, join_gw6;
	struct ipaddr gw4, gw6;
	bool no_gw_service;    /* the driver gives no way out, and wants none added */
	bool join_info;	       /* the above and host_ifname came from the join: stored */
	char ifname[16];       /* "eth0" inside the sandbox */
	char host_ifname[16];  /* the host end of the veth pair ("" after a restart) */
	struct ep_port *ports; /* published on this endpoint (borrowed from the container) */
	size_t n_ports;
	void *driver_priv;
};

/* What a driver's join needs of the sandbox. */
struct sandbox {
	const char *netns; /* the bind-mounted namespace file */
	const char *ctr_id;
	bool going; /* about to be removed: its links go with it */
};

/* The embedded DNS's record of ep (see dns-server.h): its names in net
 * (the container's name, short id and aliases) and addresses. */
json_t *ep_dns_record(const struct endpoint *ep, const struct network *net, const char *ctr_name);

/* Give ep the address a (its family's slot) with prefix length plen. */
void ep_set_addr(struct endpoint *ep, const struct ipaddr *a, unsigned plen);

struct endpoint *ep_new(void);
void ep_free(struct endpoint *ep);

/* "02:42:..." style: a random locally administered unicast MAC. */
void ep_mac_random(uint8_t mac[6]);
int ep_mac_parse(const char *s, uint8_t mac[6], struct berr **err);
/* "aa:bb:cc:dd:ee:ff" into buf[18]. */
const char *ep_mac_str(const uint8_t mac[6], char buf[static 18]);

/* Check an EndpointConfig (from create's EndpointsConfig or connect):
 * types, IPAMConfig addresses, MacAddress, Aliases.  NULL is valid. */
int ep_config_check(json_t *config, struct berr **err);
/* A requested address of the config: IPAMConfig.IPv4Address (family
 * AF_INET) or IPv6Address.  0 absent, 1 present. */
int ep_config_addr(json_t *config, int family, struct ipaddr *ret);

/* The value of NetworkSettings.Networks.<name> (Docker's endpoint
 * settings); gw4/gw6 NULL when the network gives none. */
json_t *ep_to_settings_json(const struct endpoint *ep, const struct network *net,
			    const char *ctr_name);
/* The value of the network's Containers.<ctr id>. */
json_t *ep_to_network_json(const struct endpoint *ep);

json_t *ep_to_store_json(const struct endpoint *ep);
int ep_from_store_json(json_t *obj, struct endpoint **ret, struct berr **err);

/* Ports: parse HostConfig.PortBindings (+ PublishAllPorts over
 * Config.ExposedPorts); checks Docker's syntax.  *ret is NULL when none. */
int ep_ports_parse(json_t *config, json_t *host_config, struct ep_port **ret, size_t *ret_n,
		   struct berr **err);
void ep_ports_free(struct ep_port *ports, size_t n);
/* NetworkSettings.Ports: {"80/tcp": [{"HostIp","HostPort"}] or null}. */
json_t *ep_ports_json(json_t *config, const struct ep_port *ports, size_t n);
/* The list's "Ports": [{"IP","PrivatePort","PublicPort","Type"}]. */
json_t *ep_ports_summary_json(json_t *config, const struct ep_port *ports, size_t n);
const char *ep_proto_name(uint8_t proto);

#endif
