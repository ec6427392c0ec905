/* config.c - berthd's options (see config.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/nl.h"
#include "core/util.h"
#include "ipam/cidr.h"

const char config_usage[] =
	"Usage: berthd [OPTIONS]\n"
	"\n"
	"The berth daemon: networks, endpoints and containers behind a Docker-compatible API.\n"
	"\n"
	"Options:\n"
	"  --root DIR                       state directory (default /var/lib/berth)\n"
	"  --exec-root DIR                  runtime directory: socket, pid file, netns mounts\n"
	"                                   (default /run/berth)\n"
	"  -H, --host unix://PATH           API socket (default <exec-root>/berth.sock)\n"
	"  --log-level LEVEL                error, warn, info or debug (default info)\n"
	"  --default-address-pool base=CIDR,size=N\n"
	"                                   a pool for automatic subnets (repeatable; replaces\n"
	"                                   the defaults 172.17-31.0.0/16 and 192.168.0.0/16 as "
	"/20)\n"
	"  --bip CIDR                       address and prefix of the default bridge\n"
	"                                   (e.g. 172.17.0.1/16)\n"
	"  --bridge-name NAME               Linux bridge of the default network (default berth0)\n"
	"  --api-idle-timeout SECONDS       close API connections idle this long (default 120)\n"
	"  --cgroup-parent PATH             cgroup of the containers (default berth)\n"
	"  --resolv-conf FILE               the resolv.conf containers' DNS settings come from\n"
	"                                   (default /etc/resolv.conf)\n"
	"  --dns IP                         nameserver for containers and the embedded DNS's\n"
	"                                   upstream (repeatable; replaces the resolv.conf ones)\n"
	"  --cluster-store etcd://HOST:PORT[,HOST:PORT...]\n"
	"                                   the etcd cluster that global (overlay) networks live "
	"in\n"
	"  --cluster-advertise ADDR[:PORT]  this host's address on the underlay (with\n"
	"                                   --cluster-store)\n"
	"  --plugin-dir DIR                 where network and IPAM plugins are looked for\n"
	"                                   (repeatable; replaces /run/docker/plugins,\n"
	"                                   /etc/docker/plugins and /usr/lib/docker/plugins)\n"
	"  --plugin-timeout SECONDS         the longest a plugin may take to answer (default 60)\n"
	"  --config-dir DIR                 berthd's configuration; registry certificates in\n"
	"                                   DIR/certs.d/HOST:PORT/ (default /etc/berth)\n"
	"  --insecure-registry HOST[:PORT]|CIDR\n"
	"                                   a registry reached over plain HTTP or unverified TLS\n"
	"                                   (repeatable; 127.0.0.0/8 always is)\n"
	"  --registry-mirror URL            a mirror tried before Docker Hub (repeatable)\n"
	"  -h, --help                       this text\n"
	"  -v, --version                    print the version\n";

enum {
	OPT_ROOT = 0x100,
	OPT_EXEC_ROOT,
	OPT_LOG_LEVEL,
	OPT_POOL,
	OPT_BIP,
	OPT_BRIDGE_NAME,
	OPT_IDLE_TIMEOUT,
	OPT_CGROUP_PARENT,
	OPT_RESOLV_CONF,
	OPT_DNS,
	OPT_CLUSTER_STORE,
	OPT_CLUSTER_ADVERTISE,
	OPT_PLUGIN_DIR,
	OPT_PLUGIN_TIMEOUT,
	OPT_CONFIG_DIR,
	OPT_INSECURE_REGISTRY,
	OPT_REGISTRY_MIRROR,
};

static const struct option config_options[] = {
	{"root", required_argument, NULL, OPT_ROOT},
	{"exec-root", required_argument, NULL, OPT_EXEC_ROOT},
	{"host", required_argument, NULL, 'H'},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"default-address-pool", required_argument, NULL, OPT_POOL},
	{"bip", required_argument, NULL, OPT_BIP},
	{"bridge-name", required_argument, NULL, OPT_BRIDGE_NAME},
	{"api-idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
	{"resolv-conf", required_argument, NULL, OPT_RESOLV_CONF},
	{"dns", required_argument, NULL, OPT_DNS},
	{"cluster-store", required_argument, NULL, OPT_CLUSTER_STORE},
	{"cluster-advertise", required_argument, NULL, OPT_CLUSTER_ADVERTISE},
	{"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
	{"plugin-timeout", required_argument, NULL, OPT_PLUGIN_TIMEOUT},
	{"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
	{"insecure-registry", required_argument, NULL, OPT_INSECURE_REGISTRY},
	{"registry-mirror", required_argument, NULL, OPT_REGISTRY_MIRROR},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'v'},
	{0},
};

static void config_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Append to a NULL-terminated list. */
static void config_push(char ***list, size_t *n, const char *v)
{
	*list = xrealloc(*list, (*n + 2) * sizeof(char *));
	(*list)[(*n)++] = xstrdup(v);
	(*list)[*n] = NULL;
}

/* --registry-mirror URL: http(s)://HOST[:PORT][/], kept without the
 * trailing slash. */
static int config_mirror(struct config *cfg, const char *v, struct berr **err)
{
	_cleanup_free_ char *u = xstrdup(v);
	const char *host;
	size_t n = strlen(u);

	while (n && u[n - 1] == '/')
		u[--n] = 0;
	host = strprefix(u, "https://") ? u + 8 : strprefix(u, "http://") ? u + 7 : NULL;
	if (!host || !*host || strchr(host, '/') || strpbrk(host, "?#@ "))
		return berr_set(err, EINVAL,
				"--registry-mirror %s: must be a URL such as https://mirror:5000 "
				"(http or https, no path)",
				v);
	config_push(&cfg->registry_mirrors, &cfg->n_registry_mirrors, u);
	return 0;
}

/* --insecure-registry HOST[:PORT] or a CIDR (no scheme). */
static int config_insecure(struct config *cfg, const char *v, struct berr **err)
{
	if (!*v || strstr(v, "://") || strpbrk(v, " ?#@"))
		return berr_set(err, EINVAL,
				"--insecure-registry %s: must be HOST[:PORT] or a CIDR, without a "
				"scheme",
				v);
	if (strchr(v, '/')) {
		struct prefix c;

		if (cidr_parse_prefix(v, &c, NULL) < 0)
			return berr_set(err, EINVAL, "--insecure-registry %s: not a valid CIDR", v);
	}
	config_push(&cfg->insecure_registries, &cfg->n_insecure_registries, v);
	return 0;
}

/* --dns IP: kept in normal form ("0:0::1" -> "::1"). */
static int config_dns(struct config *cfg, const char *v, struct berr **err)
{
	struct ipaddr a;
	char buf[CIDR_STRLEN];

	if (cidr_parse_addr(v, &a, NULL) < 0)
		return berr_set(err, EINVAL, "--dns %s: not an IP address", v);
	cfg->dns = xrealloc(cfg->dns, (cfg->n_dns + 2) * sizeof(*cfg->dns));
	cfg->dns[cfg->n_dns++] = xstrdup(cidr_addr_str(&a, buf));
	cfg->dns[cfg->n_dns] = NULL;
	return 0;
}

/* "HOST:PORT" with a numeric port (HOST an IP or a name, "[v6]" too). */
static bool config_host_port(const char *s, size_t len)
{
	const char *colon = memrchr(s, ':', len);
	char *end;
	long port;

	if (!colon || colon == s || colon[1] == 0)
		return false;
	port = strtol(colon + 1, &end, 10);
	return end == s + len && port > 0 && port < 65536;
}

/* --cluster-store etcd://HOST:PORT[,HOST:PORT...] */
static int config_cluster_store(struct config *cfg, const char *v, struct berr **err)
{
	const char *p = v + strlen("etcd://");

	if (!strprefix(v, "etcd://") || !*p)
		return berr_set(err, EINVAL,
				"--cluster-store %s: must be etcd://HOST:PORT[,HOST:PORT...] "
				"(etcd is the store berth supports)",
				v);
	while (*p) {
		size_t len = strcspn(p, ",");

		if (!config_host_port(p, len))
			return berr_set(err, EINVAL,
					"--cluster-store %s: \"%.*s\" is not HOST:PORT", v,
					(int)len, p);
		p += len + (p[len] == ',');
	}
	config_set(&cfg->cluster_store, v);
	return 0;
}

/* --cluster-advertise ADDR[:PORT], ADDR an IP address ([v6] with a port) */
static int config_cluster_advertise(struct config *cfg, const char *v, struct berr **err)
{
	_cleanup_free_ char *host = xstrdup(v);
	char *port = NULL, *end;
	struct ipaddr a;
	char buf[CIDR_STRLEN];
	long n = 0;

	if (host[0] == '[') {
		char *close = strchr(host, ']');

		if (close && (close[1] == 0 || close[1] == ':')) {
			port = close[1] ? close + 2 : NULL;
			*close = 0;
			memmove(host, host + 1, strlen(host));
		}
	} else if (strchr(host, ':') == strrchr(host, ':') && strchr(host, ':')) {
		port = strchr(host, ':');
		*port++ = 0;
	}
	if (port) {
		n = strtol(port, &end, 10);
		if (*end || n <= 0 || n > 65535)
			return berr_set(err, EINVAL, "--cluster-advertise %s: bad port", v);
	}
	if (cidr_parse_addr(host, &a, NULL) < 0)
		return berr_set(err, EINVAL,
				"--cluster-advertise %s: must be this host's IP address on the "
				"underlay, with an optional :PORT",
				v);
	config_set(&cfg->cluster_advertise, cidr_addr_str(&a, buf));
	cfg->advertise_port = (unsigned)n;
	return 0;
}

static int config_host(struct config *cfg, const char *v, struct berr **err)
{
	if (!strprefix(v, "unix://") || !v[strlen("unix://")])
		return berr_set(err, EINVAL,
				"-H %s: only unix://PATH is supported (TCP needs TLS, which berth "
				"does not offer yet)",
				v);
	config_set(&cfg->socket_path, v + strlen("unix://"));
	return 0;
}

static int config_pool(struct config *cfg, const char *v, struct berr **err)
{
	struct ipam_pool_spec spec;
	int r = ipam_pool_spec_parse(v, &spec, err);

	if (r < 0)
		return berr_wrap(err, "--default-address-pool");
	cfg->pools = xrealloc(cfg->pools, (cfg->n_pools + 1) * sizeof(*cfg->pools));
	cfg->pools[cfg->n_pools++] = spec;
	return 0;
}

static int config_bip(struct config *cfg, const char *v, struct berr **err)
{
	struct ipaddr a;
	struct prefix p;
	int r = cidr_parse_addr_prefix(v, &a, &p, err);

	if (r < 0)
		return berr_wrap(err, "--bip");
	if (a.family != AF_INET)
		return berr_set(err, EINVAL, "--bip %s: must be an IPv4 address with a prefix", v);
	config_set(&cfg->bip, v);
	return 0;
}

static int config_idle_timeout(struct config *cfg, const char *v, struct berr **err)
{
	char *end;
	unsigned long secs = strtoul(v, &end, 10);

	if (end == v || *end || *v == '-' || secs == 0 || secs > 86400)
		return berr_set(err, EINVAL,
				"--api-idle-timeout %s: must be a number of seconds (1 to 86400)",
				v);
	cfg->idle_timeout_s = (unsigned)secs;
	return 0;
}

/* A cgroup path below each hierarchy's root: no "..", no empty parts. */
static int config_cgroup_parent(struct config *cfg, const char *v, struct berr **err)
{
	const char *p = v[0] == '/' ? v + 1 : v;

	if (!*p || strstr(p, "..") || strstr(p, "//") || p[strlen(p) - 1] == '/')
		return berr_set(err, EINVAL,
				"--cgroup-parent %s: must be a cgroup path like "
				"berth or system.slice/berth",
				v);
	config_set(&cfg->cgroup_parent, p);
	return 0;
}

/* One option; 1 when it was the last to look at (help, version). */
static int config_one(struct config *cfg, int c, const char *arg, struct berr **err)
{
	int level;

	switch (c) {
	case OPT_ROOT:
		config_set(&cfg->root, arg);
		return 0;
	case OPT_EXEC_ROOT:
		config_set(&cfg->exec_root, arg);
		return 0;
	case 'H':
		return config_host(cfg, arg, err);
	case OPT_LOG_LEVEL:
		level = log_level_from_string(arg);
		if (level < 0)
			return berr_set(err, EINVAL,
					"--log-level %s: must be error, warn, info or debug", arg);
		cfg->log_level = (enum log_level)level;
		return 0;
	case OPT_POOL:
		return config_pool(cfg, arg, err);
	case OPT_BIP:
		return config_bip(cfg, arg, err);
	case OPT_BRIDGE_NAME:
		if (nl_ifname_validate(arg, err) < 0)
			return berr_wrap(err, "--bridge-name");
		config_set(&cfg->bridge_name, arg);
		return 0;
	case OPT_IDLE_TIMEOUT:
		return config_idle_timeout(cfg, arg, err);
	case OPT_CGROUP_PARENT:
		return config_cgroup_parent(cfg, arg, err);
	case OPT_RESOLV_CONF:
		if (arg[0] != '/')
			return berr_set(err, EINVAL, "--resolv-conf %s: must be an absolute path",
					arg);
		config_set(&cfg->resolv_conf, arg);
		return 0;
	case OPT_DNS:
		return config_dns(cfg, arg, err);
	case OPT_CLUSTER_STORE:
		return config_cluster_store(cfg, arg, err);
	case OPT_CLUSTER_ADVERTISE:
		return config_cluster_advertise(cfg, arg, err);
	case OPT_PLUGIN_DIR:
		if (arg[0] != '/')
			return berr_set(err, EINVAL, "--plugin-dir %s: must be an absolute path",
					arg);
		cfg->plugin_dirs =
			xrealloc(cfg->plugin_dirs, (cfg->n_plugin_dirs + 2) * sizeof(char *));
		cfg->plugin_dirs[cfg->n_plugin_dirs++] = xstrdup(arg);
		cfg->plugin_dirs[cfg->n_plugin_dirs] = NULL;
		return 0;
	case OPT_PLUGIN_TIMEOUT: {
		char *end;
		unsigned long n = strtoul(arg, &end, 10);

		if (!*arg || *end || n < 1 || n > 3600)
			return berr_set(err, EINVAL,
					"--plugin-timeout %s: a number of seconds from 1 to 3600",
					arg);
		cfg->plugin_timeout_s = (unsigned)n;
		return 0;
	}
	case OPT_CONFIG_DIR:
		if (arg[0] != '/')
			return berr_set(err, EINVAL, "--config-dir %s: must be an absolute path",
					arg);
		config_set(&cfg->config_dir, arg);
		return 0;
	case OPT_INSECURE_REGISTRY:
		return config_insecure(cfg, arg, err);
	case OPT_REGISTRY_MIRROR:
		return config_mirror(cfg, arg, err);
	case 'h':
		cfg->help = true;
		return 1;
	case 'v':
		cfg->version = true;
		return 1;
	default:
		return berr_set(err, EINVAL, "unknown option (see berthd --help)");
	}
}

int config_parse(int argc, char **argv, struct config *ret, struct berr **err)
{
	struct config cfg = {.log_level = LOG_INFO, .idle_timeout_s = 120};
	int c, r = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "H:hv", config_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			r = berr_set(err, EINVAL,
				     "unknown option or missing value: %s (see berthd "
				     "--help)",
				     argv[optind - 1]);
			break;
		}
		r = config_one(&cfg, c, optarg, err);
		if (r != 0)
			break;
	}
	if (r == 0 && optind < argc)
		r = berr_set(err, EINVAL, "unexpected argument: %s", argv[optind]);
	if (r == 0 && !cfg.cluster_store != !cfg.cluster_advertise)
		r = berr_set(err, EINVAL,
			     cfg.cluster_store ? "--cluster-store needs --cluster-advertise ADDR "
						 "(this host's address on the underlay)"
					       : "--cluster-advertise needs --cluster-store");
	if (r < 0) {
		config_done(&cfg);
		return r;
	}
	if (!cfg.root)
		cfg.root = xstrdup("/var/lib/berth");
	if (!cfg.exec_root)
		cfg.exec_root = xstrdup("/run/berth");
	if (!cfg.config_dir)
		cfg.config_dir = xstrdup("/etc/berth");
	if (!cfg.socket_path)
		cfg.socket_path = xasprintf("%s/berth.sock", cfg.exec_root);
	if (!cfg.bridge_name)
		cfg.bridge_name = xstrdup("berth0");
	if (!cfg.cgroup_parent)
		cfg.cgroup_parent = xstrdup("berth");
	if (!cfg.resolv_conf)
		cfg.resolv_conf = xstrdup("/etc/resolv.conf");
	*ret = cfg;
	return 0;
}

void config_done(struct config *cfg)
{
	free(cfg->root);
	free(cfg->exec_root);
	free(cfg->socket_path);
	free(cfg->pools);
	free(cfg->bip);
	free(cfg->bridge_name);
	free(cfg->cgroup_parent);
	free(cfg->resolv_conf);
	free(cfg->cluster_store);
	free(cfg->cluster_advertise);
	for (size_t i = 0; i < cfg->n_dns; i++)
		free(cfg->dns[i]);
	free(cfg->dns);
	for (size_t i = 0; i < cfg->n_plugin_dirs; i++)
		free(cfg->plugin_dirs[i]);
	free(cfg->plugin_dirs);
	for (size_t i = 0; i < cfg->n_insecure_registries; i++)
		free(cfg->insecure_registries[i]);
	free(cfg->insecure_registries);
	for (size_t i = 0; i < cfg->n_registry_mirrors; i++)
		free(cfg->registry_mirrors[i]);
	free(cfg->registry_mirrors);
	free(cfg->config_dir);
	memset(cfg, 0, sizeof(*cfg));
}
