/* config.h - berthd's command line.  Parsed into a struct config by
 * config_parse (unit-tested); main.c acts on it. */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/berr.h"
#include "core/log.h"
#include "ipam/ipam.h"

struct config {
	char *root;	   /* --root */
	char *exec_root;   /* --exec-root */
	char *socket_path; /* -H unix://PATH; default <exec-root>/berth.sock */
	enum log_level log_level;
	struct ipam_pool_spec *pools; /* --default-address-pool, in order */
	size_t n_pools;
	char *bip;		 /* --bip */
	char *bridge_name;	 /* --bridge-name: the default bridge's Linux bridge */
	unsigned idle_timeout_s; /* --api-idle-timeout */
	char *cgroup_parent;	 /* --cgroup-parent */
	char *resolv_conf;	 /* --resolv-conf */
	char **dns;		 /* --dns, NULL-terminated (NULL: none) */
	size_t n_dns;
	char *cluster_store;	 /* --cluster-store etcd://HOST:PORT[,...], or NULL */
	char *cluster_advertise; /* --cluster-advertise: this host's underlay address */
	unsigned advertise_port; /* its :PORT, 0 when not given */
	char **plugin_dirs;	 /* --plugin-dir, NULL-terminated (NULL: Docker's) */
	size_t n_plugin_dirs;
	unsigned plugin_timeout_s;  /* --plugin-timeout; 0: the default (60) */
	char *config_dir;	    /* --config-dir (default /etc/berth): certs.d/ */
	char **insecure_registries; /* --insecure-registry, NULL-terminated */
	size_t n_insecure_registries;
	char **registry_mirrors; /* --registry-mirror URLs, no trailing '/' */
	size_t n_registry_mirrors;
	bool help;
	bool version;
};

/* Parse argv.  Errors name the option ("--default-address-pool: ..."). */
int config_parse(int argc, char **argv, struct config *ret, struct berr **err);
void config_done(struct config *cfg);
/* The usage text. */
extern const char config_usage[];

#endif
