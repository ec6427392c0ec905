/* container.c - the container object: validation of a create request
 * against Docker's rules, merging with the image's defaults, the state
 * machine's names, and the JSON shapes of inspect, list and the store.
 * Pure model code (see container.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <unistd.h>

#include "core/container.h"
#include "core/util.h"
#include "ipam/cidr.h"
#include "core/volume.h"
#include "runtime/image.h"

static const char *const ctr_status_names[] = {
	[CTR_CREATED] = "created",   [CTR_RUNNING] = "running", [CTR_EXITED] = "exited",
	[CTR_REMOVING] = "removing", [CTR_DEAD] = "dead",
};

const char *ctr_status_to_string(enum ctr_status s)
{
	return ctr_status_names[s];
}

static int ctr_status_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctr_status_names); i++)
		if (s && streq(s, ctr_status_names[i]))
			return (int)i;
	return -EINVAL;
}

static void ctr_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void ctr_free(struct container *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->image_ref);
	json_decref(c->config);
	json_decref(c->host_config);
	ctr_strv_free(c->argv);
	json_decref(c->mounts);
	ep_ports_free(c->ports, c->n_ports);
	free(c->error);
	free(c);
}

int ctr_name_validate(const char *name, struct berr **err)
{
	size_t len = strlen(name);

	if (len < 2)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			goto bad;
	}
	return 0;
bad:
	return berr_set(err, EINVAL,
			"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
			"are allowed",
			name);
}

char *ctr_name_generate(unsigned seed, unsigned digits)
{
	static const char *const left[] = {
		"brave",  "calm",  "eager",  "fond",  "keen",	  "lucid",   "merry", "nifty",
		"quirky", "sharp", "tender", "vivid", "wizardly", "zealous", "bold",  "jolly",
	};
	static const char *const right[] = {
		"babbage",  "curie",   "dijkstra", "euler",   "hopper",	 "knuth",
		"lovelace", "noether", "pike",	   "ritchie", "shannon", "thompson",
		"turing",   "wozniak", "kare",	   "allen",
	};

	const char *l = left[seed % ARRAY_SIZE(left)];
	const char *r = right[(seed / ARRAY_SIZE(left)) % ARRAY_SIZE(right)];
	unsigned long mod = 1;

	if (!digits)
		return xasprintf("%s_%s", l, r);
	for (unsigned i = 0; i < digits && i < 9; i++)
		mod *= 10;
	/* the name space grows tenfold with each digit */
	return xasprintf("%s_%s%lu", l, r, (unsigned long)(seed >> 8) % mod);
}

/* A string list field: an array of strings, a single string (split by
 * the shell form rule: ["/bin/sh", "-c", s]), or null. */
static int ctr_strv_field(json_t *obj, const char *key, bool shell_form, json_t **ret,
			  struct berr **err)
{
	json_t *v = json_object_get(obj, key), *item;
	size_t i;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v) && shell_form) {
		*ret = json_pack("[s, s, O]", "/bin/sh", "-c", v);
		return 0;
	}
	if (!json_is_array(v))
		return berr_set(err, EINVAL, "%s must be a list of strings", key);
	json_array_foreach (v, i, item)
		if (!json_is_string(item))
			return berr_set(err, EINVAL, "%s must be a list of strings", key);
	*ret = json_incref(v);
	return 0;
}

/* Two "K=V" strings with the same K. */
static bool ctr_env_same_key(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");

	return la == lb && strncmp(a, b, la) == 0;
}

/* Env: the image's, overridden key by key by the container's. */
static json_t *ctr_merge_env(json_t *image_env, json_t *env)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j;

	json_array_foreach (image_env, i, v) {
		bool overridden = false;

		json_array_foreach (env, j, w)
			overridden = overridden ||
				     ctr_env_same_key(json_string_value(v), json_string_value(w));
		if (!overridden)
			json_array_append(out, v);
	}
	json_array_foreach (env, i, v)
		json_array_append(out, v);
	return out;
}

static const char *ctr_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static int ctr_int_field(json_t *obj, const char *key, int64_t *ret, struct berr **err)
{
	json_t *v = json_object_get(obj, key);

	*ret = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berr_set(err, EINVAL, "%s must be an integer", key);
	*ret = json_integer_value(v);
	return 0;
}

/* Config: the container's fields over the image's defaults (Docker's
 * rule: a user Entrypoint clears the image's Cmd). */
/* Health checks are not run by berth: a container that asks for one is
 * refused (a compose file's depends_on: service_healthy would otherwise
 * wait forever); "NONE" (no check) is fine. */
static int ctr_check_healthcheck(json_t *body, struct berr **err)
{
	json_t *test = json_object_get(json_object_get(body, "Healthcheck"), "Test");
	const char *first = json_string_value(json_array_get(test, 0));

	if (!json_array_size(test) || (first && streq(first, "NONE")))
		return 0;
	return berr_set(err, EINVAL,
			"health checks are not supported by berth yet: remove the healthcheck "
			"(Healthcheck.Test %s) or set it to NONE",
			first ? first : "?");
}

static int ctr_merge_config(json_t *body, json_t *image_cfg, json_t **ret, struct berr **err)
{
	json_t *cmd, *ep, *env, *cfg;
	const char *wd = ctr_str(body, "WorkingDir");
	bool ep_given;
	int r;

	if ((r = ctr_check_healthcheck(body, err)) < 0)
		return r;
	if ((r = ctr_strv_field(body, "Cmd", true, &cmd, err)) < 0)
		return r;
	if ((r = ctr_strv_field(body, "Entrypoint", true, &ep, err)) < 0 ||
	    (r = ctr_strv_field(body, "Env", false, &env, err)) < 0) {
		json_decref(cmd);
		json_decref(ep);
		return r;
	}
	if (*wd && wd[0] != '/') {
		json_decref(cmd);
		json_decref(ep);
		json_decref(env);
		return berr_set(err, EINVAL,
				"the working directory '%s' is invalid, it needs to be an absolute "
				"path",
				wd);
	}
	cfg = json_deep_copy(body);
	json_object_del(cfg, "HostConfig");
	json_object_del(cfg, "NetworkingConfig");
	ep_given = ep != NULL;
	if (!ep && json_array_size(json_object_get(image_cfg, "Entrypoint")))
		ep = json_incref(json_object_get(image_cfg, "Entrypoint"));
	/* a user Entrypoint clears the image's Cmd; null counts as not given */
	if (!cmd && !ep_given)
		cmd = json_incref(json_object_get(image_cfg, "Cmd"));
	json_object_set_new(cfg, "Cmd", cmd ? cmd : json_null());
	json_object_set_new(cfg, "Entrypoint", ep ? ep : json_null());
	json_object_set_new(cfg, "Env", ctr_merge_env(json_object_get(image_cfg, "Env"), env));
	json_decref(env);
	if (!*wd)
		json_object_set_new(cfg, "WorkingDir",
				    json_string(ctr_str(image_cfg, "WorkingDir")));
	if (!*ctr_str(body, "User"))
		json_object_set_new(cfg, "User", json_string(ctr_str(image_cfg, "User")));
	/* the image's exposed ports and labels too, as Docker merges them
	 * (the container's own win) */
	for (size_t i = 0; i < 2; i++) {
		const char *key = i ? "Labels" : "ExposedPorts";
		json_t *from = json_object_get(image_cfg, key), *into;

		if (!json_object_size(from))
			continue;
		into = json_object_get(cfg, key);
		if (!json_is_object(into)) {
			into = json_object();
			json_object_set_new(cfg, key, into);
		}
		json_object_update_missing(into, from);
	}
	if (!*ctr_str(body, "StopSignal") && *ctr_str(image_cfg, "StopSignal"))
		json_object_set_new(cfg, "StopSignal",
				    json_string(ctr_str(image_cfg, "StopSignal")));
	*ret = cfg;
	return 0;
}

/* Entrypoint + Cmd as a NULL-terminated argv; EINVAL when empty. */
static int ctr_argv(json_t *cfg, char ***ret, struct berr **err)
{
	json_t *parts[2] = {json_object_get(cfg, "Entrypoint"), json_object_get(cfg, "Cmd")};
	size_t n = json_array_size(parts[0]) + json_array_size(parts[1]), k = 0;
	char **argv;

	if (n == 0)
		return berr_set(err, EINVAL, "No command specified");
	argv = xcalloc(n + 1, sizeof(*argv));
	for (size_t p = 0; p < 2; p++) {
		json_t *v;
		size_t i;

		json_array_foreach (parts[p], i, v)
			argv[k++] = xstrdup(json_string_value(v));
	}
	*ret = argv;
	return 0;
}

/* Each capability name must be one libcap knows ("NET_ADMIN", "CAP_NET_ADMIN", "ALL"). */
static int ctr_check_caps(json_t *hc, const char *key, struct berr **err)
{
	json_t *list = json_object_get(hc, key), *v;
	size_t i;

	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return berr_set(err, EINVAL, "%s must be a list of strings", key);
	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v);
		_cleanup_free_ char *name = NULL;
		cap_value_t cap;

		if (!s)
			return berr_set(err, EINVAL, "%s must be a list of strings", key);
		if (strcasecmp(s, "ALL") == 0)
			continue;
		name = strncasecmp(s, "CAP_", 4) == 0 ? xstrdup(s) : xasprintf("CAP_%s", s);
		if (cap_from_name(name, &cap) < 0)
			return berr_set(err, EINVAL, "unknown capability: \"%s\"", s);
	}
	return 0;
}

static void ctr_bind_zero(struct ctr_bind *b)
{
	*b = (struct ctr_bind){0};
}

void ctr_bind_done(struct ctr_bind *b)
{
	free(b->source);
	free(b->target);
	free(b->mode);
	ctr_bind_zero(b);
}

/* The comma-separated options of a -v entry. */
static int ctr_bind_opts(struct ctr_bind *b, struct berr **err)
{
	static const char *const known[] = {"rw",     "z",	 "Z",	  "private", "rprivate",
					    "shared", "rshared", "slave", "rslave",  NULL};
	_cleanup_free_ char *copy = xstrdup(b->mode);
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		bool ok = streq(o, "ro") || streq(o, "nocopy");

		for (size_t i = 0; !ok && known[i]; i++)
			ok = streq(o, known[i]);
		if (!ok)
			return berr_set(err, EINVAL, "invalid mode: %s", b->mode);
		b->readonly = b->readonly || streq(o, "ro");
		b->nocopy = b->nocopy || streq(o, "nocopy");
	}
	return 0;
}

/* Split "a:b:c" into source, target and mode ("/ctr" alone: target). */
static int ctr_bind_split(const char *spec, struct ctr_bind *b, struct berr **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *parts[3] = {copy, NULL, NULL};
	size_t n = 1;

	for (char *p = copy; *p && n < 3; p++)
		if (*p == ':') {
			*p = '\0';
			parts[n++] = p + 1;
		}
	if (strchr(parts[n - 1], ':') || !*parts[0] || (n > 1 && !*parts[1]))
		return berr_set(err, EINVAL, "invalid volume specification: '%s'", spec);
	b->source = n > 1 ? xstrdup(parts[0]) : NULL;
	b->target = xstrdup(n > 1 ? parts[1] : parts[0]);
	b->mode = xstrdup(n > 2 ? parts[2] : "");
	return 0;
}

int ctr_bind_parse(const char *spec, struct ctr_bind *ret, struct berr **err)
{
	struct ctr_bind b;
	int r;

	ctr_bind_zero(&b);
	if ((r = ctr_bind_split(spec, &b, err)) < 0)
		goto fail;
	if (b.target[0] != '/') {
		r = berr_set(err, EINVAL,
			     "invalid volume specification: '%s': mount path must be absolute",
			     spec);
		goto fail;
	}
	if ((r = ctr_bind_opts(&b, err)) < 0)
		goto fail;
	if (b.source && b.source[0] != '/' && (r = vol_name_validate(b.source, err)) < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	ctr_bind_done(&b);
	return r;
}

/* -v "src:dst[:opts]": an absolute host path, a volume name, or only a
 * container path (an anonymous volume). */
static int ctr_check_binds(json_t *hc, struct berr **err)
{
	json_t *binds = json_object_get(hc, "Binds"), *v;
	size_t i;

	if (binds && !json_is_null(binds) && !json_is_array(binds))
		return berr_set(err, EINVAL, "Binds must be a list of strings");
	json_array_foreach (binds, i, v) {
		struct ctr_bind b;
		int r;

		if (!json_is_string(v))
			return berr_set(err, EINVAL, "Binds must be a list of strings");
		if ((r = ctr_bind_parse(json_string_value(v), &b, err)) < 0)
			return r;
		ctr_bind_done(&b);
	}
	return 0;
}

/* One --mount of type volume: Source is a volume name or empty. */
static int ctr_check_volume_mount(json_t *m, struct berr **err)
{
	const char *src = ctr_str(m, "Source");

	if (*src && src[0] == '/')
		return berr_set(err, EINVAL,
				"invalid mount config for type \"volume\": invalid mount source, "
				"must not be an absolute path: %s",
				src);
	return *src ? vol_name_validate(src, err) : 0;
}

/* --mount type=bind|volume|tmpfs: a bind source must exist (Docker's rule). */
static int ctr_check_mounts(json_t *hc, struct berr **err)
{
	json_t *mounts = json_object_get(hc, "Mounts"), *m;
	size_t i;
	int r;

	json_array_foreach (mounts, i, m) {
		const char *type = ctr_str(m, "Type"), *src = ctr_str(m, "Source");
		const char *dst = ctr_str(m, "Target");

		if (dst[0] != '/')
			return berr_set(err, EINVAL,
					"invalid mount config: mount path must be "
					"absolute");
		if (streq(type, "bind")) {
			if (access(src, F_OK) < 0)
				return berr_set(
					err, EINVAL,
					"invalid mount config for type \"bind\": bind source "
					"path does not exist: %s",
					src);
		} else if (streq(type, "volume")) {
			if ((r = ctr_check_volume_mount(m, err)) < 0)
				return r;
		} else if (!streq(type, "tmpfs")) {
			return berr_set(err, EINVAL,
					"invalid mount config: mount type \"%s\" is not supported",
					type);
		}
	}
	return 0;
}

/* VolumesFrom: ["c1", "c1:ro", "c1:rw"]; the containers are looked up by
 * the controller. */
static int ctr_check_volumes_from(json_t *hc, struct berr **err)
{
	json_t *list = json_object_get(hc, "VolumesFrom"), *v;
	size_t i;

	if (list && !json_is_null(list) && !json_is_array(list))
		return berr_set(err, EINVAL, "VolumesFrom must be a list of strings");
	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v), *mode;

		if (!s || !*s)
			return berr_set(err, EINVAL, "VolumesFrom must be a list of strings");
		mode = strchr(s, ':');
		if (mode && !streq(mode, ":ro") && !streq(mode, ":rw"))
			return berr_set(err, EINVAL, "invalid mode for volumes-from: %s", mode + 1);
	}
	return 0;
}

static int ctr_check_restart(json_t *hc, struct berr **err)
{
	json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *name = ctr_str(rp, "Name");
	int64_t max = 0;
	int r;

	if ((r = ctr_int_field(rp, "MaximumRetryCount", &max, err)) < 0)
		return r;
	if (*name && !streq(name, "no") && !streq(name, "always") && !streq(name, "on-failure") &&
	    !streq(name, "unless-stopped"))
		return berr_set(err, EINVAL, "invalid restart policy: unknown policy '%s'", name);
	if (max < 0)
		return berr_set(err, EINVAL,
				"invalid restart policy: maximum retry count cannot be "
				"negative");
	if (max && !streq(name, "on-failure"))
		return berr_set(err, EINVAL,
				"invalid restart policy: maximum retry count can only "
				"be used with 'on-failure'");
	if (*name && !streq(name, "no") && json_is_true(json_object_get(hc, "AutoRemove")))
		return berr_set(err, EINVAL,
				"can't create 'AutoRemove' container with restart "
				"policy");
	if (!*name && json_is_object(hc)) /* (stored as "no", as Docker 25+ does) */
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	return 0;
}

/* Memory, CPU and pids limits as Docker bounds them. */
static int ctr_check_limits(json_t *hc, struct berr **err)
{
	int64_t mem, ncpu, shares, pids;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	if ((r = ctr_int_field(hc, "Memory", &mem, err)) < 0 ||
	    (r = ctr_int_field(hc, "NanoCpus", &ncpu, err)) < 0 ||
	    (r = ctr_int_field(hc, "CpuShares", &shares, err)) < 0 ||
	    (r = ctr_int_field(hc, "PidsLimit", &pids, err)) < 0)
		return r;
	if (mem < 0 || (mem > 0 && mem < 6 * 1024 * 1024))
		return berr_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
	if (ncpu < 0 || (ncpu > 0 && ncpu < 10000000) || ncpu > (int64_t)cpus * 1000000000)
		return berr_set(err, EINVAL,
				"Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs "
				"available",
				cpus, cpus);
	if (shares < 0)
		return berr_set(err, EINVAL, "invalid CPU shares: %lld", (long long)shares);
	return 0;
}

/* NetworkMode: none, host, bridge (also "default" and ""), container:<ref>
 * or a network's name or id (which the controller looks up). */
static int ctr_check_network(json_t *hc, struct berr **err)
{
	const char *mode = ctr_str(hc, "NetworkMode");

	if (!*mode || streq(mode, "default"))
		json_object_set_new(hc, "NetworkMode", json_string("bridge"));
	else if (streq(mode, "container:"))
		return berr_set(err, EINVAL, "invalid network mode: container: needs a container");
	return 0;
}

/* Dns: addresses; ExtraHosts: "name:ip" / "name=ip" (ip may be
 * host-gateway); DnsSearch, DnsOptions: strings. */
static int ctr_check_dns(json_t *hc, struct berr **err)
{
	static const char *const lists[] = {"Dns", "DnsSearch", "DnsOptions", "ExtraHosts"};
	struct ipaddr a;
	json_t *v;
	size_t i;

	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		json_t *arr = json_object_get(hc, lists[k]);

		if (arr && !json_is_null(arr) && !json_is_array(arr))
			return berr_set(err, EINVAL, "HostConfig.%s must be an array of strings",
					lists[k]);
		json_array_foreach (arr, i, v)
			if (!json_is_string(v))
				return berr_set(err, EINVAL,
						"HostConfig.%s must be an array of strings",
						lists[k]);
	}
	json_array_foreach (json_object_get(hc, "Dns"), i, v)
		if (cidr_parse_addr(json_string_value(v), &a, NULL) < 0)
			return berr_set(err, EINVAL, "%s is not an ip address",
					json_string_value(v));
	json_array_foreach (json_object_get(hc, "ExtraHosts"), i, v) {
		const char *e = json_string_value(v), *sep = strpbrk(e, ":=");

		if (!sep || sep == e ||
		    (!streq(sep + 1, "host-gateway") && cidr_parse_addr(sep + 1, &a, NULL) < 0))
			return berr_set(err, EINVAL, "invalid IP address in add-host: \"%s\"", e);
	}
	return 0;
}

static int ctr_check_host_config(json_t *hc, struct berr **err)
{
	const char *log = ctr_str(json_object_get(hc, "LogConfig"), "Type");
	int r;

	if ((r = ctr_check_network(hc, err)) < 0 || (r = ctr_check_dns(hc, err)) < 0 ||
	    (r = ctr_check_limits(hc, err)) < 0 || (r = ctr_check_restart(hc, err)) < 0 ||
	    (r = ctr_check_binds(hc, err)) < 0 || (r = ctr_check_mounts(hc, err)) < 0 ||
	    (r = ctr_check_volumes_from(hc, err)) < 0 ||
	    (r = ctr_check_caps(hc, "CapAdd", err)) < 0 ||
	    (r = ctr_check_caps(hc, "CapDrop", err)) < 0)
		return r;
	if (*log && !streq(log, "json-file"))
		return berr_set(err, EINVAL,
				"logging driver \"%s\" is not supported (only "
				"json-file)",
				log);
	json_object_set_new(hc, "LogConfig",
			    json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
	return 0;
}

int ctr_from_create_json(json_t *body, const struct image *img, struct container **ret,
			 struct berr **err)
{
	struct container *c;
	json_t *hc = json_object_get(body, "HostConfig");
	int r;

	if (hc && !json_is_null(hc) && !json_is_object(hc))
		return berr_set(err, EINVAL, "HostConfig must be an object");
	c = xcalloc(1, sizeof(*c));
	c->host_config = hc && json_is_object(hc) ? json_deep_copy(hc) : json_object();
	r = ctr_check_host_config(c->host_config, err);
	if (r == 0)
		r = ctr_merge_config(body, img->config, &c->config, err);
	if (r == 0)
		r = ctr_argv(c->config, &c->argv, err);
	if (r == 0)
		r = ep_ports_parse(c->config, c->host_config, &c->ports, &c->n_ports, err);
	if (r < 0) {
		ctr_free(c);
		return r;
	}
	if (!json_is_object(json_object_get(c->config, "Labels")))
		json_object_set_new(c->config, "Labels", json_object());
	c->image_ref = xstrdup(ctr_str(body, "Image"));
	snprintf(c->image_id, sizeof(c->image_id), "%s", img->id);
	c->status = CTR_CREATED;
	*ret = c;
	return 0;
}

bool ctr_tty(const struct container *c)
{
	return json_is_true(json_object_get(c->config, "Tty"));
}

const char *ctr_network_mode(const struct container *c)
{
	return ctr_str(c->host_config, "NetworkMode");
}

bool ctr_auto_remove(const struct container *c)
{
	return json_is_true(json_object_get(c->host_config, "AutoRemove"));
}

static json_t *ctr_time_json(const struct timespec *ts)
{
	char buf[48];

	if (ts->tv_sec == 0)
		return json_string("0001-01-01T00:00:00Z");
	util_time_rfc3339(ts, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *ctr_state_json(const struct container *c)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status",
			 ctr_status_to_string(c->status), "Running", c->status == CTR_RUNNING,
			 "Paused", false, "Restarting", false, "OOMKilled", c->oom_killed, "Dead",
			 c->status == CTR_DEAD, "Removing", c->status == CTR_REMOVING, "Pid",
			 c->status == CTR_RUNNING ? (int)c->pid : 0, "ExitCode", c->exit_code,
			 "Error", c->error ? c->error : "", "StartedAt", ctr_time_json(&c->started),
			 "FinishedAt", ctr_time_json(&c->finished));
}

static json_t *ctr_args_json(const struct container *c)
{
	json_t *args = json_array();

	for (size_t i = 1; c->argv[i]; i++)
		json_array_append_new(args, json_string(c->argv[i]));
	return args;
}

json_t *ctr_to_inspect_json(const struct container *c, json_t *net_settings)
{
	json_t *o = json_pack(
		"{s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:i, s:s, s:s, s:O, s:O,"
		" s:o, s:o}",
		"Id", c->id, "Created", ctr_time_json(&c->created), "Path", c->argv[0], "Args",
		ctr_args_json(c), "State", ctr_state_json(c), "Image", c->image_id, "Name", "",
		"RestartCount", c->restart_count, "Driver", "overlayfs", "Platform", "linux",
		"HostConfig", c->host_config, "Config", c->config, "NetworkSettings",
		net_settings ? net_settings : json_object(), "Mounts", ctr_mounts_json(c));
	char *name = xasprintf("/%s", c->name);

	json_object_set_new(o, "Name", json_string(name));
	free(name);
	json_object_set_new(json_object_get(o, "Config"), "Image", json_string(c->image_ref));
	return o;
}

json_t *ctr_mounts_json(const struct container *c)
{
	return json_is_array(c->mounts) ? json_incref(c->mounts) : json_array();
}

/* The command as `docker ps` shows it: argv joined by spaces. */
static char *ctr_command_line(const struct container *c)
{
	char *s = xstrdup("");

	for (size_t i = 0; c->argv[i]; i++) {
		char *n = xasprintf("%s%s%s", s, i ? " " : "", c->argv[i]);

		free(s);
		s = n;
	}
	return s;
}

json_t *ctr_to_summary_json(const struct container *c, json_t *net_settings, json_t *ports)
{
	_cleanup_free_ char *cmd = ctr_command_line(c), *status = ctr_status_text(c);
	_cleanup_free_ char *name = xasprintf("/%s", c->name);

	return json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:O, s:s, s:s, s:{s:s}, s:o,"
			 " s:o}",
			 "Id", c->id, "Names", name, "Image", c->image_ref, "ImageID", c->image_id,
			 "Command", cmd, "Created", (json_int_t)c->created.tv_sec, "Ports",
			 ports ? ports : json_array(), "Labels",
			 json_object_get(c->config, "Labels"), "State",
			 ctr_status_to_string(c->status), "Status", status, "HostConfig",
			 "NetworkMode", ctr_network_mode(c), "NetworkSettings",
			 net_settings ? net_settings : json_pack("{s:{}}", "Networks"), "Mounts",
			 ctr_mounts_json(c));
}

/* "3 seconds", "5 minutes", "2 hours", "4 days" as Docker's units.HumanDuration. */
static char *ctr_human_duration(time_t secs)
{
	if (secs < 1)
		return xstrdup("Less than a second");
	if (secs == 1)
		return xstrdup("1 second");
	if (secs < 60)
		return xasprintf("%ld seconds", (long)secs);
	if (secs / 60 == 1)
		return xstrdup("About a minute");
	if (secs < 3600)
		return xasprintf("%ld minutes", (long)secs / 60);
	if (secs / 3600 == 1)
		return xstrdup("About an hour");
	if (secs < 48 * 3600)
		return xasprintf("%ld hours", (long)secs / 3600);
	return xasprintf("%ld days", (long)secs / 86400);
}

char *ctr_status_text(const struct container *c)
{
	time_t now = time(NULL);
	_cleanup_free_ char *d = NULL;

	switch (c->status) {
	case CTR_RUNNING:
		d = ctr_human_duration(now - c->started.tv_sec);
		return xasprintf("Up %s", d);
	case CTR_EXITED:
		d = ctr_human_duration(now - c->finished.tv_sec);
		return xasprintf("Exited (%d) %s ago", c->exit_code, d);
	case CTR_REMOVING:
		return xstrdup("Removal In Progress");
	case CTR_DEAD:
		return xstrdup("Dead");
	default:
		return xstrdup("Created");
	}
}

json_t *ctr_to_store_json(const struct container *c)
{
	json_t *o = ctr_to_inspect_json(c, NULL), *argv = json_array(), *bound = json_array();

	for (size_t i = 0; c->argv[i]; i++)
		json_array_append_new(argv, json_string(c->argv[i]));
	for (size_t i = 0; i < c->n_ports; i++)
		json_array_append_new(bound, json_integer(c->ports[i].bound));
	json_object_set_new(o, "BoundPorts", bound);
	json_object_set_new(o, "Argv", argv);
	json_object_set_new(o, "ImageRef", json_string(c->image_ref));
	json_object_set_new(o, "StopRequested", json_boolean(c->stop_requested));
	return o;
}

static int ctr_state_from_json(json_t *st, struct container *c, struct berr **err)
{
	int status = ctr_status_from_string(ctr_str(st, "Status"));

	if (status < 0)
		return berr_set(err, EINVAL, "bad State.Status");
	c->status = (enum ctr_status)status;
	c->pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
	c->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	c->oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
	util_time_parse(ctr_str(st, "StartedAt"), &c->started);
	util_time_parse(ctr_str(st, "FinishedAt"), &c->finished);
	if (c->started.tv_sec < 0)
		c->started = (struct timespec){0};
	if (c->finished.tv_sec < 0)
		c->finished = (struct timespec){0};
	if (*ctr_str(st, "Error"))
		c->error = xstrdup(ctr_str(st, "Error"));
	return 0;
}

int ctr_from_store_json(json_t *obj, struct container **ret, struct berr **err)
{
	struct container *c = xcalloc(1, sizeof(*c));
	json_t *argv = json_object_get(obj, "Argv"), *v;
	const char *id = ctr_str(obj, "Id"), *name = ctr_str(obj, "Name");
	size_t i;
	int r;

	if (strlen(id) != 64 || name[0] != '/' || !json_array_size(argv) ||
	    !json_is_object(json_object_get(obj, "Config")) ||
	    !json_is_object(json_object_get(obj, "HostConfig"))) {
		ctr_free(c);
		return berr_set(err, EINVAL, "malformed container record");
	}
	memcpy(c->id, id, sizeof(c->id));
	c->name = xstrdup(name + 1);
	util_time_parse(ctr_str(obj, "Created"), &c->created);
	c->image_ref = xstrdup(ctr_str(obj, "ImageRef"));
	snprintf(c->image_id, sizeof(c->image_id), "%s", ctr_str(obj, "Image"));
	c->config = json_deep_copy(json_object_get(obj, "Config"));
	c->host_config = json_deep_copy(json_object_get(obj, "HostConfig"));
	if (json_is_array(json_object_get(obj, "Mounts")))
		c->mounts = json_deep_copy(json_object_get(obj, "Mounts"));
	c->argv = xcalloc(json_array_size(argv) + 1, sizeof(*c->argv));
	json_array_foreach (argv, i, v)
		c->argv[i] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
	c->restart_count = (int)json_integer_value(json_object_get(obj, "RestartCount"));
	c->stop_requested = json_is_true(json_object_get(obj, "StopRequested"));
	r = ctr_state_from_json(json_object_get(obj, "State"), c, err);
	if (r == 0)
		r = ep_ports_parse(c->config, c->host_config, &c->ports, &c->n_ports, err);
	if (r < 0) {
		ctr_free(c);
		return r;
	}
	json_array_foreach (json_object_get(obj, "BoundPorts"), i, v)
		if (i < c->n_ports)
			c->ports[i].bound = (uint16_t)json_integer_value(v);
	*ret = c;
	return 0;
}
