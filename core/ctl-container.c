/* ctl-container.c - the controller's containers (see ctl-container.h):
 * the bridge between the container model, the image store and the
 * runtime.  Job thread, except the lookups, which also serve the loop
 * under the read lock. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/ctl-endpoint.h"
#include "core/ctl-volume.h"
#include "core/dns-server.h"
#include "core/log.h"
#include "core/store.h"
#include "core/util.h"
#include "drivers/driver.h"
#include "runtime/image.h"
#include "runtime/runtime.h"

#define CTL_KIND_CONTAINERS "containers"

char *ctl_container_state_dir(struct ctl *ctl, const struct container *c)
{
	return xasprintf("%s/containers/%s", ctl->exec_root, c->id);
}

char *ctl_container_bundle(struct ctl *ctl, const struct container *c)
{
	return xasprintf("%s/containers/%s", ctl->root, c->id);
}

char *ctl_container_log_path(struct ctl *ctl, const struct container *c)
{
	return xasprintf("%s/containers/%s/%s-json.log", ctl->root, c->id, c->id);
}

int ctl_container_find(struct ctl *ctl, const char *ref, struct container **ret, struct berr **err)
{
	const char *name = ref[0] == '/' ? ref + 1 : ref;
	struct container *found = NULL;
	size_t len = strlen(ref), n = 0;

	for (size_t i = 0; i < ctl->n_ctrs; i++)
		if (streq(ctl->ctrs[i]->id, ref) || streq(ctl->ctrs[i]->name, name)) {
			*ret = ctl->ctrs[i];
			return 0;
		}
	for (size_t i = 0; len && i < ctl->n_ctrs; i++)
		if (strncmp(ctl->ctrs[i]->id, ref, len) == 0) {
			found = ctl->ctrs[i];
			n++;
		}
	if (n == 1) {
		*ret = found;
		return 0;
	}
	if (n > 1)
		return berr_set(err, EINVAL, "multiple IDs found with provided prefix: %s", ref);
	return berr_set(err, ENOENT, "No such container: %s", ref);
}

int ctl_container_save(struct ctl *ctl, struct container *c, struct berr **err)
{
	json_t *obj = ctr_to_store_json(c);
	int r = store_put(ctl->store, CTL_KIND_CONTAINERS, c->id, obj, err);

	json_decref(obj);
	return r;
}

static void ctl_ctr_insert(struct ctl *ctl, struct container *c)
{
	pthread_rwlock_wrlock(&ctl->lock);
	xgrow(&ctl->ctrs, &ctl->cap_ctrs, ctl->n_ctrs + 1, sizeof(*ctl->ctrs));
	ctl->ctrs[ctl->n_ctrs++] = c;
	pthread_rwlock_unlock(&ctl->lock);
}

static void ctl_ctr_unlink(struct ctl *ctl, struct container *c)
{
	pthread_rwlock_wrlock(&ctl->lock);
	for (size_t i = 0; i < ctl->n_ctrs; i++)
		if (ctl->ctrs[i] == c) {
			memmove(&ctl->ctrs[i], &ctl->ctrs[i + 1],
				(ctl->n_ctrs - i - 1) * sizeof(*ctl->ctrs));
			ctl->n_ctrs--;
			break;
		}
	pthread_rwlock_unlock(&ctl->lock);
}

void ctl_containers_free(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_ctrs; i++)
		ctr_free(ctl->ctrs[i]);
	free(ctl->ctrs);
	ctl->ctrs = NULL;
	ctl->n_ctrs = 0;
}

/* A free generated name: a plain one while those are easy to find, then
 * with more and more digits appended (there are only 256 plain names). */
static char *ctl_ctr_new_name(struct ctl *ctl)
{
	unsigned seed = (unsigned)util_now_ns();

	for (unsigned tries = 0;; tries++, seed = seed * 1103515245u + 12345u) {
		char *name = ctr_name_generate(seed, tries / 8);
		struct container *other;

		if (ctl_container_find(ctl, name, &other, NULL) < 0)
			return name;
		free(name);
	}
}

static int ctl_ctr_name(struct ctl *ctl, const char *name, char **ret, struct berr **err)
{
	struct container *other;
	int r;

	if (!name || !*name) {
		*ret = ctl_ctr_new_name(ctl);
		return 0;
	}
	if (name[0] == '/')
		name++;
	if ((r = ctr_name_validate(name, err)) < 0)
		return r;
	for (size_t i = 0; i < ctl->n_ctrs; i++) {
		other = ctl->ctrs[i];
		if (streq(other->name, name))
			return berr_set(err, EEXIST,
					"Conflict. The container name \"/%s\" is already in use by "
					"container \"%s\". You have to remove (or rename) that "
					"container to be able to reuse that name.",
					name, other->id);
	}
	*ret = xstrdup(name);
	return 0;
}

static int ctl_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* rm -rf, staying on this file system (a mount left inside stays put). */
static void ctl_rmtree(const char *path)
{
	nftw(path, ctl_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* <bundle>/{upper,work,rootfs}. */
static int ctl_ctr_make_bundle(struct ctl *ctl, struct container *c, struct berr **err)
{
	_cleanup_free_ char *top = xasprintf("%s/containers", ctl->root);
	_cleanup_free_ char *bundle = ctl_container_bundle(ctl, c);
	static const char *const subdirs[] = {"upper", "work", "rootfs"};

	if ((mkdir(top, 0700) < 0 && errno != EEXIST) || mkdir(bundle, 0700) < 0)
		return berr_set(err, errno, "cannot create %s: %m", bundle);
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		_cleanup_free_ char *d = xasprintf("%s/%s", bundle, subdirs[i]);

		if (mkdir(d, 0755) < 0) {
			int r = berr_set(err, errno, "cannot create %s: %m", d);

			ctl_rmtree(bundle);
			return r;
		}
	}
	return 0;
}

int ctl_container_create(struct ctl *ctl, json_t *body, const char *name, struct container **ret,
			 struct berr **err)
{
	const char *ref = json_string_value(json_object_get(body, "Image"));
	struct container *c = NULL;
	struct image *img;
	char *cname = NULL;
	int r;

	if (!ref || !*ref)
		return berr_set(err, EINVAL, "config error: Image is required");
	if ((r = img_find(ctl->images, ref, &img, err)) < 0)
		return r;
	if ((r = ctl_ctr_name(ctl, name, &cname, err)) < 0)
		return r;
	if ((r = ctr_from_create_json(body, img, &c, err)) < 0) {
		free(cname);
		return r;
	}
	c->name = cname;
	util_random_id(c->id);
	clock_gettime(CLOCK_REALTIME, &c->created);
	if ((r = ctl_container_links_check(ctl, c, false, err)) < 0 ||
	    (r = ctl_endpoints_create(ctl, c, json_object_get(body, "NetworkingConfig"), err)) < 0)
		goto fail;
	if ((r = ctl_volumes_attach(ctl, c, img, err)) < 0)
		goto fail_endpoints;
	if ((r = ctl_ctr_make_bundle(ctl, c, err)) < 0)
		goto fail_volumes;
	if ((r = ctl_container_save(ctl, c, err)) < 0) {
		_cleanup_free_ char *bundle = ctl_container_bundle(ctl, c);

		ctl_rmtree(bundle);
		goto fail_volumes;
	}
	ctl_ctr_insert(ctl, c);
	log_info("container %s (%.12s) created from %s", c->name, c->id, c->image_ref);
	*ret = c;
	return 0;
fail_volumes:
	ctl_volumes_detach(ctl, c);
fail_endpoints:
	ctl_endpoints_remove(ctl, c);
fail:
	ctr_free(c);
	return r;
}

/* The first of the image's layers (top first) holding path, opened. */
static FILE *ctl_layer_open(char **layers, const char *path)
{
	for (size_t i = 0; layers && layers[i]; i++) {
		_cleanup_free_ char *p = xasprintf("%s%s", layers[i], path);
		FILE *f = fopen(p, "re");

		if (f)
			return f;
	}
	return NULL;
}

/* A passwd or group entry by name or number: fields[0] name, [2] id, [3]. */
static bool ctl_db_lookup(char **layers, const char *file, const char *key, unsigned long *ret_id,
			  unsigned long *ret_gid)
{
	FILE *f = ctl_layer_open(layers, file);
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	while (f && !found && getline(&line, &cap, f) > 0) {
		char *fields[4] = {0}, *save = NULL, *tok = strtok_r(line, ":\n", &save);

		for (int i = 0; tok && i < 4; i++, tok = strtok_r(NULL, ":\n", &save))
			fields[i] = tok;
		if (!fields[0] || !fields[2] || !streq(fields[0], key))
			continue;
		*ret_id = strtoul(fields[2], NULL, 10);
		if (ret_gid)
			*ret_gid = fields[3] ? strtoul(fields[3], NULL, 10) : 0;
		found = true;
	}
	free(line);
	if (f)
		fclose(f);
	return found;
}

static bool ctl_is_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* User: "", "uid", "uid:gid", "name", "name:group", as Docker resolves them
 * in the image's /etc/passwd and /etc/group. */
static int ctl_resolve_user(char **layers, const char *user, struct rt_spec *spec,
			    struct berr **err)
{
	_cleanup_free_ char *u = xstrdup(user ? user : "");
	char *group = strchr(u, ':');
	unsigned long uid = 0, gid = 0, pgid = 0;

	if (group)
		*group++ = '\0';
	if (!*u) {
		uid = 0;
	} else if (ctl_is_number(u)) {
		uid = strtoul(u, NULL, 10);
		ctl_db_lookup(layers, "/etc/passwd", u, &uid, &pgid);
		gid = pgid;
	} else if (!ctl_db_lookup(layers, "/etc/passwd", u, &uid, &gid)) {
		return berr_set(err, EINVAL,
				"unable to find user %s: no matching entries in passwd file", u);
	}
	if (group && ctl_is_number(group))
		gid = strtoul(group, NULL, 10);
	else if (group && !ctl_db_lookup(layers, "/etc/group", group, &gid, NULL))
		return berr_set(err, EINVAL,
				"unable to find group %s: no matching entries in group file",
				group);
	spec->uid = (uid_t)uid;
	spec->gid = (gid_t)gid;
	return 0;
}

/* An exec's user, looked up in the container's files: its writable layer
 * above the image's. */
int ctl_container_exec_user(struct ctl *ctl, const struct container *c, const char *user,
			    uid_t *ret_uid, gid_t *ret_gid, struct berr **err)
{
	_cleanup_free_ char *bundle = ctl_container_bundle(ctl, c);
	struct rt_spec spec = {0};
	struct image *img;
	char **lower;
	size_t n = 0;
	int r;

	if ((r = img_find(ctl->images, c->image_id, &img, err)) < 0)
		return r;
	lower = img_layer_dirs(ctl->images, img);
	while (lower && lower[n])
		n++;
	/* rt_spec_done() frees them */
	spec.lower_dirs = xcalloc(n + 2, sizeof(char *));
	spec.lower_dirs[0] = xasprintf("%s/upper", bundle);
	memcpy(spec.lower_dirs + 1, lower, n * sizeof(char *));
	free(lower);
	r = ctl_resolve_user(spec.lower_dirs, user, &spec, err);
	if (r == 0) {
		*ret_uid = spec.uid;
		*ret_gid = spec.gid;
	}
	rt_spec_done(&spec);
	return r;
}

static int ctl_write_file(const char *path, const char *data, struct berr **err)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(data, f) < 0 || fclose(f) != 0)
		return berr_set(err, errno ? errno : EIO, "cannot write %s: %m", path);
	return 0;
}

/* Docker's nameservers when none of the daemon's is left. */
static const char ctl_default_dns[] = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

static char *ctl_append_line(char *out, const char *line)
{
	char *n = xasprintf("%s%s", out, line);

	free(out);
	return n;
}

/* "prefix a b c\n" from a JSON array of strings, appended to out. */
static char *ctl_append_words(char *out, const char *prefix, json_t *arr)
{
	json_t *v;
	size_t i;

	out = ctl_append_line(out, prefix);
	json_array_foreach (arr, i, v) {
		out = ctl_append_line(out, " ");
		out = ctl_append_line(out, json_string_value(v) ? json_string_value(v) : "");
	}
	return ctl_append_line(out, "\n");
}

/* A nameserver on the loopback (127.0.0.0/8, ::1): it means nothing in a
 * container's namespace. */
static bool ctl_is_loopback(const char *addr)
{
	struct ipaddr a;
	static const uint8_t v6_lo[16] = {[15] = 1};

	if (cidr_parse_addr(addr, &a, NULL) < 0)
		return false;
	return a.family == AF_INET ? a.b[0] == 127 : memcmp(a.b, v6_lo, 16) == 0;
}

/* The nameservers of the daemon's resolv.conf (--resolv-conf), loopback
 * ones with them when keep_loopback. */
static json_t *ctl_host_nameservers(struct ctl *ctl, bool keep_loopback)
{
	FILE *f = fopen(ctl->resolv_conf, "re");
	char *line = NULL, addr[64];
	size_t cap = 0;
	json_t *out = json_array();

	while (f && getline(&line, &cap, f) > 0)
		if (sscanf(line, "nameserver %63s", addr) == 1 &&
		    (keep_loopback || !ctl_is_loopback(addr)))
			json_array_append_new(out, json_string(addr));
	free(line);
	if (f)
		fclose(f);
	return out;
}

/* The nameservers a container's DNS goes to: HostConfig.Dns, else
 * berthd --dns, else the daemon's resolv.conf (loopback ones included
 * when the embedded DNS asks them from the daemon's namespace). */
static json_t *ctl_nameservers(struct ctl *ctl, const struct container *c, bool keep_loopback)
{
	json_t *dns = json_object_get(c->host_config, "Dns"), *out;

	if (json_array_size(dns))
		return json_deep_copy(dns);
	if (ctl->dns[0]) {
		out = json_array();
		for (size_t i = 0; ctl->dns[i]; i++)
			json_array_append_new(out, json_string(ctl->dns[i]));
		return out;
	}
	return ctl_host_nameservers(ctl, keep_loopback);
}

json_t *ctl_dns_upstreams(struct ctl *ctl, const struct container *c)
{
	json_t *out = ctl_nameservers(ctl, c, true);

	/* none at all: Docker's defaults, as in resolv.conf files */
	if (!json_array_size(out)) {
		json_array_append_new(out, json_string("8.8.8.8"));
		json_array_append_new(out, json_string("8.8.4.4"));
	}
	return out;
}

/* Containers of a user-defined network ask the embedded DNS. */
static bool ctl_uses_embedded_dns(struct ctl *ctl, const struct container *c)
{
	struct network *net;

	return ctl_network_find(ctl, ctr_network_mode(c), &net, NULL) == 0 && !net->predefined;
}

/* The container's resolv.conf as Docker writes it.  Its search and
 * options lines are the daemon's (--resolv-conf), or HostConfig.DnsSearch
 * and DnsOptions when given.  Its nameservers: 127.0.0.11, the embedded
 * DNS, on a user-defined network (with "options ndots:0" unless an ndots
 * is given); elsewhere ctl_nameservers without loopback ones, which mean
 * nothing inside the container (Docker's public defaults when none is
 * left; kept as they are with --network host).  Other lines are kept. */
static char *ctl_resolv_conf(struct ctl *ctl, const struct container *c)
{
	json_t *hc = c->host_config, *search = json_object_get(hc, "DnsSearch");
	bool host = streq(ctr_network_mode(c), "host"), embedded = ctl_uses_embedded_dns(ctl, c);
	_cleanup_json_ json_t *servers = embedded ? NULL : ctl_nameservers(ctl, c, host);
	_cleanup_json_ json_t *opts = json_deep_copy(json_object_get(hc, "DnsOptions"));
	bool host_opts = !json_array_size(opts), ndots = false;
	FILE *f = fopen(ctl->resolv_conf, "re");
	char *line = NULL, *out = xstrdup("");
	size_t cap = 0, i;
	json_t *v;

	if (embedded)
		out = ctl_append_line(out, "nameserver " DNS_ADDR "\n");
	json_array_foreach (servers, i, v) {
		_cleanup_free_ char *l = xasprintf("nameserver %s\n", json_string_value(v));

		out = ctl_append_line(out, l);
	}
	if (!embedded && !json_array_size(servers))
		out = ctl_append_line(out, ctl_default_dns);
	if (!opts)
		opts = json_array();
	while (f && getline(&line, &cap, f) > 0) {
		if (strprefix(line, "options")) {
			char *save = NULL;

			/* the daemon's options, as words: ndots may be added */
			for (char *w = strtok_r(line + 7, " \t\n", &save); w && host_opts;
			     w = strtok_r(NULL, " \t\n", &save))
				json_array_append_new(opts, json_string(w));
			continue;
		}
		if (strprefix(line, "nameserver") ||
		    ((strprefix(line, "search") || strprefix(line, "domain")) &&
		     json_array_size(search)))
			continue;
		out = ctl_append_line(out, line);
		if (!*line || line[strlen(line) - 1] != '\n')
			out = ctl_append_line(out, "\n");
	}
	free(line);
	if (f)
		fclose(f);
	if (json_array_size(search))
		out = ctl_append_words(out, "search", search);
	json_array_foreach (opts, i, v)
		ndots |= strprefix(json_string_value(v), "ndots:");
	if (embedded && !ndots)
		json_array_append_new(opts, json_string("ndots:0"));
	if (json_array_size(opts))
		out = ctl_append_words(out, "options", opts);
	return out;
}

/* --add-host entries ("name:ip", "name=ip"; "host-gateway" is the default
 * bridge's gateway) as /etc/hosts lines. */
static char *ctl_extra_hosts(struct ctl *ctl, const struct container *c)
{
	json_t *v;
	char *out = xstrdup("");
	size_t i;

	json_array_foreach (json_object_get(c->host_config, "ExtraHosts"), i, v) {
		const char *e = json_string_value(v), *sep = e ? strpbrk(e, ":=") : NULL;
		_cleanup_free_ char *name = sep ? xstrndup(e, (size_t)(sep - e)) : NULL, *l = NULL;
		const char *ip = sep ? sep + 1 : NULL;
		char gw[CIDR_STRLEN];

		if (!name)
			continue;
		if (streq(ip, "host-gateway")) {
			struct network *br;

			if (ctl_network_find(ctl, "bridge", &br, NULL) < 0 || !br->n_ipam)
				continue;
			ip = cidr_addr_str(&br->ipam[0].gateway, gw);
		}
		l = xasprintf("%s\t%s\n", ip, name);
		out = ctl_append_line(out, l);
	}
	return out;
}

/* /etc/hosts, /etc/resolv.conf and /etc/hostname for the container, kept
 * in its bundle. */
static int ctl_ctr_etc_files(struct ctl *ctl, struct container *c, struct rt_spec *spec,
			     struct berr **err)
{
	_cleanup_free_ char *bundle = ctl_container_bundle(ctl, c);
	_cleanup_free_ char *resolv = ctl_resolv_conf(ctl, c), *hosts = NULL, *hn = NULL;
	_cleanup_free_ char *mine = ctl_container_hosts_lines(ctl, c, spec->hostname);
	_cleanup_free_ char *extra = ctl_extra_hosts(ctl, c);
	int r;

	/* 127.0.1.1 names the container only when it has no address of its own */
	hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
			  "ff02::2\tip6-allrouters\n%s%s%s%s",
			  *mine ? "" : "127.0.1.1\t", *mine ? mine : spec->hostname,
			  *mine ? "" : "\n", extra);
	hn = xasprintf("%s\n", spec->hostname);
	spec->hosts_path = xasprintf("%s/hosts", bundle);
	spec->resolv_path = xasprintf("%s/resolv.conf", bundle);
	spec->hostname_path = xasprintf("%s/hostname", bundle);
	if ((r = ctl_write_file(spec->hosts_path, hosts, err)) < 0 ||
	    (r = ctl_write_file(spec->resolv_path, resolv, err)) < 0 ||
	    (r = ctl_write_file(spec->hostname_path, hn, err)) < 0)
		return r;
	return 0;
}

/* A NULL-terminated copy of a JSON array of strings. */
static char **ctl_strv(json_t *arr)
{
	char **v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
	json_t *s;
	size_t i;

	json_array_foreach (arr, i, s)
		v[i] = xstrdup(json_string_value(s) ? json_string_value(s) : "");
	return v;
}

static void ctl_spec_add_mount(struct rt_spec *spec, enum rt_mount_type type, const char *src,
			       const char *dst, bool ro, const char *opts)
{
	struct rt_mount m = {
		.type = type,
		.source = src ? xstrdup(src) : NULL,
		.target = xstrdup(dst),
		.readonly = ro,
		.options = opts ? xstrdup(opts) : NULL,
	};

	spec->mounts = xrealloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*spec->mounts));
	spec->mounts[spec->n_mounts++] = m;
}

/* The container's mount points (resolved at create, see ctl-volume.c):
 * binds (a missing host directory is made, as Docker does for -v),
 * volumes (a bind of their _data) and tmpfs. */
static int ctl_spec_mounts(const struct container *c, struct rt_spec *spec, struct berr **err)
{
	json_t *m;
	size_t i;

	json_array_foreach (c->mounts, i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *src = json_string_value(json_object_get(m, "Source"));
		const char *dst = json_string_value(json_object_get(m, "Destination"));
		bool ro = !json_is_true(json_object_get(m, "RW"));

		if (!type || !src || !dst)
			return berr_set(err, EINVAL, "malformed mount point in container record");
		if (streq(type, "tmpfs")) {
			ctl_spec_add_mount(spec, RT_MOUNT_TMPFS, NULL, dst, ro, NULL);
			continue;
		}
		if (streq(type, "bind") && mkdir(src, 0755) < 0 && errno != EEXIST)
			return berr_set(err, errno, "cannot create bind source %s: %m", src);
		ctl_spec_add_mount(spec, RT_MOUNT_BIND, src, dst, ro, NULL);
	}
	return 0;
}

static char **ctl_strv_dup(char **v)
{
	size_t n = 0;
	char **out;

	while (v[n])
		n++;
	out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* The hostname: as given, the daemon's with --network host, else the
 * short id (Docker's rules). */
static char *ctl_ctr_hostname(const struct container *c, const char *given, enum rt_net_mode mode)
{
	char host[256] = "";

	if (given && *given)
		return xstrdup(given);
	if (mode == RT_NET_HOST && gethostname(host, sizeof(host) - 1) == 0)
		return xstrdup(host);
	return xstrndup(c->id, 12);
}

static int64_t ctl_int(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* What the runtime needs to run c. */
static int ctl_ctr_spec(struct ctl *ctl, struct container *c, struct rt_spec *spec,
			struct berr **err)
{
	json_t *cfg = c->config, *hc = c->host_config;
	const char *hostname = json_string_value(json_object_get(cfg, "Hostname"));
	const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
	struct image *img;
	int r;

	if ((r = img_find(ctl->images, c->image_id, &img, err)) < 0)
		return r;
	memcpy(spec->id, c->id, sizeof(spec->id));
	spec->args = ctl_strv_dup(c->argv);
	{
		/* the link variables first: the container's own Env wins */
		json_t *env = ctl_container_link_env(ctl, c);

		json_array_extend(env, json_object_get(cfg, "Env"));
		spec->env = ctl_strv(env);
		json_decref(env);
	}
	spec->cwd = xstrdup(wd && *wd ? wd : "/");
	spec->lower_dirs = img_layer_dirs(ctl->images, img);
	if ((r = ctl_resolve_user(spec->lower_dirs, json_string_value(json_object_get(cfg, "User")),
				  spec, err)) < 0)
		return r;
	if (streq(ctr_network_mode(c), "host"))
		spec->net_mode = RT_NET_HOST;
	else
		spec->net_mode = spec->net_path ? RT_NET_PATH : RT_NET_NONE;
	spec->hostname = ctl_ctr_hostname(c, hostname, spec->net_mode);
	spec->tty = ctr_tty(c);
	spec->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	spec->bundle = ctl_container_bundle(ctl, c);
	spec->readonly_rootfs = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
	spec->cap_add = ctl_strv(json_object_get(hc, "CapAdd"));
	spec->cap_drop = ctl_strv(json_object_get(hc, "CapDrop"));
	spec->privileged = json_is_true(json_object_get(hc, "Privileged"));
	spec->cgroup_parent = xstrdup(ctl->cgroup_parent);
	spec->memory = ctl_int(hc, "Memory");
	spec->nano_cpus = ctl_int(hc, "NanoCpus");
	spec->cpu_shares = ctl_int(hc, "CpuShares");
	spec->pids_limit = ctl_int(hc, "PidsLimit");
	spec->log_path = ctl_container_log_path(ctl, c);
	spec->init = json_is_true(json_object_get(hc, "Init"));
	if ((r = ctl_spec_mounts(c, spec, err)) < 0)
		return r;
	return ctl_ctr_etc_files(ctl, c, spec, err);
}

int ctl_container_rename(struct ctl *ctl, struct container *c, const char *name, struct berr **err)
{
	char *newname, *old;
	int r;

	if (!name || !*name)
		return berr_set(err, EINVAL, "Neither old nor new names may be empty");
	if (streq(c->name, name[0] == '/' ? name + 1 : name))
		return berr_set(err, EINVAL,
				"Renaming a container with the same name as its "
				"current name");
	if ((r = ctl_ctr_name(ctl, name, &newname, err)) < 0)
		return r;
	pthread_rwlock_wrlock(&ctl->lock);
	old = c->name;
	c->name = newname;
	ctl_endpoints_rename(ctl, c);
	pthread_rwlock_unlock(&ctl->lock);
	r = ctl_container_save(ctl, c, err);
	pthread_rwlock_wrlock(&ctl->lock);
	if (r < 0) {
		c->name = old;
		old = newname;
		ctl_endpoints_rename(ctl, c);
	}
	pthread_rwlock_unlock(&ctl->lock);
	free(old);
	if (r == 0)
		ctl_sandbox_dns_update(ctl, c);
	return r;
}

int ctl_container_start(struct ctl *ctl, struct container *c, struct berr **err)
{
	_cleanup_free_ char *state = ctl_container_state_dir(ctl, c);
	_cleanup_free_ char *top = xasprintf("%s/containers", ctl->exec_root);
	struct rt_spec spec = {0};
	pid_t pid;
	int r;

	if (c->status == CTR_RUNNING)
		return -EALREADY;
	if (mkdir(top, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", top);
	rt_delete(state, NULL);
	r = ctl_container_links_check(ctl, c, true, err);
	if (r == 0)
		r = ctl_sandbox_up(ctl, c, &spec.net_path, err);
	if (r == 0)
		r = ctl_ctr_spec(ctl, c, &spec, err);
	if (r == 0)
		r = rt_start(getenv("BERTH_SHIM"), state, &spec, &pid, err);
	rt_spec_done(&spec);
	/* a start that failed leaves no runtime state and no sandbox behind */
	if (r < 0) {
		rt_delete(state, NULL);
		ctl_sandbox_down(ctl, c);
	}
	pthread_rwlock_wrlock(&ctl->lock);
	if (r == 0) {
		c->status = CTR_RUNNING;
		c->pid = pid;
		clock_gettime(CLOCK_REALTIME, &c->started);
		c->finished = (struct timespec){0};
		c->exit_code = 0;
		c->oom_killed = false;
		c->stop_requested = false;
		free(c->error);
		c->error = NULL;
	} else {
		free(c->error);
		c->error = xstrdup(berr_msg(err ? *err : NULL));
		c->exit_code = strstr(c->error, "not found") ? 127 : 126;
	}
	pthread_rwlock_unlock(&ctl->lock);
	ctl_container_save(ctl, c, NULL);
	if (r == 0)
		log_info("container %s (%.12s) started, pid %d", c->name, c->id, (int)pid);
	return r;
}

int ctl_container_kill(struct ctl *ctl, struct container *c, int sig, struct berr **err)
{
	_cleanup_free_ char *state = ctl_container_state_dir(ctl, c);
	int r;

	if (c->status != CTR_RUNNING)
		return berr_set(err, EBUSY,
				"Cannot kill container: %s: container %s is not running", c->name,
				c->id);
	r = rt_kill(state, sig, err);
	if (r == -ESRCH)
		return berr_set(err, EBUSY,
				"Cannot kill container: %s: container %s is not running", c->name,
				c->id);
	return r;
}

bool ctl_container_reap(struct ctl *ctl, struct container *c)
{
	_cleanup_free_ char *state = ctl_container_state_dir(ctl, c);
	struct rt_exit ex = {0};

	if (c->status != CTR_RUNNING)
		return false;
	if (rt_exit_read(state, &ex, NULL) < 0) {
		pid_t pid;

		if (rt_alive(state, &pid))
			return false;
		/* the shim is gone without a word: killed with the machine */
		ex.exit_code = 137;
		clock_gettime(CLOCK_REALTIME, &ex.finished);
	}
	pthread_rwlock_wrlock(&ctl->lock);
	c->status = CTR_EXITED;
	c->pid = 0;
	c->exit_code = ex.exit_code;
	c->oom_killed = ex.oom_killed;
	c->finished = ex.finished;
	pthread_rwlock_unlock(&ctl->lock);
	rt_delete(state, NULL);
	ctl_sandbox_down(ctl, c);
	ctl_container_save(ctl, c, NULL);
	log_info("container %s (%.12s) exited with %d", c->name, c->id, c->exit_code);
	return true;
}

/* Kill and wait for the exit record, at most a few seconds. */
static int ctl_ctr_kill_wait(struct ctl *ctl, struct container *c, struct berr **err)
{
	_cleanup_free_ char *state = ctl_container_state_dir(ctl, c);
	struct rt_exit ex;

	rt_kill(state, SIGKILL, NULL);
	for (int i = 0; i < 200; i++) {
		if (rt_exit_read(state, &ex, NULL) == 0 || !rt_alive(state, NULL))
			break;
		usleep(25 * 1000);
	}
	if (!ctl_container_reap(ctl, c) && c->status == CTR_RUNNING)
		return berr_set(err, EIO, "container %s did not stop after SIGKILL", c->name);
	return 0;
}

/* Remove c; its anonymous volumes too with volumes (rm -v) or when it
 * was started with --rm (Docker's AutoRemove does the same). */
static int ctl_ctr_remove(struct ctl *ctl, struct container *c, bool force, bool volumes,
			  struct berr **err)
{
	_cleanup_free_ char *state = ctl_container_state_dir(ctl, c);
	_cleanup_free_ char *bundle = ctl_container_bundle(ctl, c);
	int r;

	if (c->status == CTR_RUNNING && !force)
		return berr_set(err, EBUSY,
				"cannot remove container \"/%s\": container is running: stop the "
				"container before removing or force remove",
				c->name);
	if (c->status == CTR_RUNNING && (r = ctl_ctr_kill_wait(ctl, c, err)) < 0)
		return r;
	if ((r = rt_delete(state, err)) < 0)
		return r;
	if ((r = store_del(ctl->store, CTL_KIND_CONTAINERS, c->id, err)) < 0)
		return r;
	ctl_rmtree(bundle);
	ctl_endpoints_remove(ctl, c);
	ctl_ctr_unlink(ctl, c);
	if (volumes || ctr_auto_remove(c))
		ctl_volumes_detach(ctl, c);
	log_info("container %s (%.12s) removed", c->name, c->id);
	return 0;
}

int ctl_container_remove(struct ctl *ctl, struct container *c, bool force, struct berr **err)
{
	return ctl_ctr_remove(ctl, c, force, false, err);
}

int ctl_container_remove_volumes(struct ctl *ctl, struct container *c, bool force,
				 struct berr **err)
{
	return ctl_ctr_remove(ctl, c, force, true, err);
}

static int ctl_load_container(const char *key, json_t *obj, void *data, struct berr **err)
{
	struct ctl *ctl = data;
	struct container *c;
	struct berr *e = NULL;

	(void)err;
	if (ctr_from_store_json(obj, &c, &e) < 0) {
		log_error("store: container %s: %s; skipped", key, berr_msg(e));
		berr_free(e);
		return 0;
	}
	ctl_ctr_insert(ctl, c);
	return 0;
}

/* Containers, then their endpoints; then the running ones either reaped
 * (they exited while berthd was down) or given their sandbox again. */
int ctl_containers_restore(struct ctl *ctl, struct berr **err)
{
	struct berr *e = NULL;
	int r;

	if ((r = store_load(ctl->store, CTL_KIND_CONTAINERS, ctl_load_container, ctl, err)) < 0 ||
	    (r = ctl_endpoints_restore(ctl, err)) < 0)
		return r;
	for (size_t i = 0; i < ctl->n_ctrs; i++) {
		struct container *c = ctl->ctrs[i];

		if (c->status != CTR_RUNNING)
			continue;
		if (ctl_container_reap(ctl, c))
			log_info("container %s exited while berthd was down (%d)", c->name,
				 c->exit_code);
		else
			ctl_sandbox_restore(ctl, c);
	}
	driver_restore_done();
	if ((r = ctl_dns_restore(ctl, &e)) < 0)
		log_warn("embedded DNS: %s", berr_msg(e));
	berr_free(e);
	return 0;
}

int ctl_signal_parse(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{"HUP", SIGHUP},       {"INT", SIGINT},	  {"QUIT", SIGQUIT},   {"ILL", SIGILL},
		{"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
		{"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
		{"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
		{"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
		{"TTOU", SIGTTOU},     {"URG", SIGURG},	  {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
		{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
		{"PWR", SIGPWR},       {"SYS", SIGSYS},
	};
	const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;

	if (ctl_is_number(s)) {
		long n = strtol(s, NULL, 10);

		return n > 0 && n < 65 ? (int)n : -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (strcasecmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	return -EINVAL;
}
