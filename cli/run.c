/* run.c - `berth run` and `berth create` (and their `container` forms):
 * the flags, the POST /containers/create body as the docker CLI encodes
 * it (§5.1 of the API subset), and docker's run sequence: create, then
 * for an attached run attach -> wait -> start -> stream -> exit with the
 * container's code (§9); -d prints the ID.  The -p/--expose values are read
 * by ports.c, the networking flags by netopts.c.  Errors before the container
 * runs exit 125 (126/127 for a command that cannot be run), like docker. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "cli/netopts.h"
#include "cli/ports.h"
#include "core/util.h"

#define RO(f) offsetof(struct run_opts, f)

const struct opts_def run_defs[] = {
	{"add-host", 0, OPTS_LIST, RO(add_host), "list",
	 "Add a custom host-to-IP mapping (host:ip)"},
	{"cap-add", 0, OPTS_LIST, RO(cap_add), "list", "Add Linux capabilities"},
	{"cap-drop", 0, OPTS_LIST, RO(cap_drop), "list", "Drop Linux capabilities"},
	{"cpu-shares", 'c', OPTS_STRING, RO(cpu_shares), "int", "CPU shares (relative weight)"},
	{"cpus", 0, OPTS_STRING, RO(cpus), "decimal", "Number of CPUs"},
	{"detach", 'd', OPTS_BOOL, RO(detach), NULL,
	 "Run container in background and print container ID"},
	{"dns", 0, OPTS_LIST, RO(dns), "list", "Set custom DNS servers"},
	{"dns-option", 0, OPTS_LIST, RO(dns_option), "list", "Set DNS options"},
	{"dns-search", 0, OPTS_LIST, RO(dns_search), "list", "Set custom DNS search domains"},
	{"domainname", 0, OPTS_STRING, RO(domainname), "string", "Container NIS domain name"},
	{"entrypoint", 0, OPTS_STRING, RO(entrypoint), "string",
	 "Overwrite the default ENTRYPOINT of the image"},
	{"env", 'e', OPTS_LIST, RO(env), "list", "Set environment variables"},
	{"env-file", 0, OPTS_LIST, RO(env_file), "list", "Read in a file of environment variables"},
	{"expose", 0, OPTS_LIST, RO(expose), "list", "Expose a port or a range of ports"},
	{"hostname", 'h', OPTS_STRING, RO(hostname), "string", "Container host name"},
	{"init", 0, OPTS_BOOL, RO(init), NULL,
	 "Run an init inside the container that forwards signals and reaps processes"},
	{"interactive", 'i', OPTS_BOOL, RO(interactive), NULL,
	 "Keep STDIN open even if not attached"},
	{"ip", 0, OPTS_STRING, RO(net.ip), "string", "IPv4 address (e.g., 172.30.100.104)"},
	{"ip6", 0, OPTS_STRING, RO(net.ip6), "string", "IPv6 address (e.g., 2001:db8::33)"},
	{"label", 'l', OPTS_LIST, RO(labels), "list", "Set meta data on a container"},
	{"link", 0, OPTS_LIST, RO(net.links), "list", "Add link to another container"},
	{"link-local-ip", 0, OPTS_LIST, RO(net.link_local_ips), "list",
	 "Container IPv4/IPv6 link-local addresses"},
	{"mac-address", 0, OPTS_STRING, RO(net.mac_address), "string",
	 "Container MAC address (e.g., 92:d0:c6:0a:29:33)"},
	{"memory", 'm', OPTS_STRING, RO(memory), "bytes", "Memory limit"},
	{"mount", 0, OPTS_LIST, RO(mounts), "mount", "Attach a filesystem mount to the container"},
	{"name", 0, OPTS_STRING, RO(name), "string", "Assign a name to the container"},
	{"network", 0, OPTS_LIST, RO(net.networks), "network", "Connect a container to a network"},
	{"network-alias", 0, OPTS_LIST, RO(net.aliases), "list",
	 "Add network-scoped alias for the container"},
	{"pids-limit", 0, OPTS_STRING, RO(pids_limit), "int",
	 "Tune container pids limit (set -1 for unlimited)"},
	{"platform", 0, OPTS_STRING, RO(platform), "string",
	 "Set platform if server is multi-platform capable"},
	{"privileged", 0, OPTS_BOOL, RO(privileged), NULL,
	 "Give extended privileges to this container"},
	{"publish", 'p', OPTS_LIST, RO(publish), "list",
	 "Publish a container's port(s) to the host"},
	{"publish-all", 'P', OPTS_BOOL, RO(publish_all), NULL,
	 "Publish all exposed ports to random ports"},
	{"pull", 0, OPTS_STRING, RO(pull), "string",
	 "Pull image before running (\"always\", \"missing\", \"never\")"},
	{"read-only", 0, OPTS_BOOL, RO(read_only), NULL,
	 "Mount the container's root filesystem as read only"},
	{"restart", 0, OPTS_STRING, RO(restart), "string",
	 "Restart policy to apply when a container exits (default \"no\")"},
	{"rm", 0, OPTS_BOOL, RO(rm), NULL,
	 "Automatically remove the container and its associated anonymous volumes when it exits"},
	{"sig-proxy", 0, OPTS_OPTBOOL, RO(sig_proxy), NULL,
	 "Proxy received signals to the process (default true)"},
	{"stop-signal", 0, OPTS_STRING, RO(stop_signal), "string", "Signal to stop the container"},
	{"stop-timeout", 0, OPTS_STRING, RO(stop_timeout), "int",
	 "Timeout (in seconds) to stop a container"},
	{"tty", 't', OPTS_BOOL, RO(tty), NULL, "Allocate a pseudo-TTY"},
	{"user", 'u', OPTS_STRING, RO(user), "string",
	 "Username or UID (format: <name|uid>[:<group|gid>])"},
	{"volume", 'v', OPTS_LIST, RO(volumes), "list", "Bind mount a volume"},
	{"volumes-from", 0, OPTS_LIST, RO(volumes_from), "list",
	 "Mount volumes from the specified container(s)"},
	{"workdir", 'w', OPTS_STRING, RO(workdir), "string",
	 "Working directory inside the container"},
	OPTS_END,
};

/* --- flag values --- */

/* The flags docker checks (and normalises) value by value. */
static const struct {
	const char *flag;
	size_t offset;
	opts_check_fn check;
} run_checks[] = {
	{"--add-host", RO(add_host), netopts_check_extra_host},
	{"--dns", RO(dns), netopts_check_ip},
	{"--dns-search", RO(dns_search), netopts_check_dns_search},
	{"--link", RO(net.links), netopts_check_link},
	{"--network", RO(net.networks), netopts_check_network},
};

int run_check_flags(void *opts, struct berr **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_checks); i++) {
		struct strv *sv = (struct strv *)((char *)opts + run_checks[i].offset);
		int r = opts_check_list(sv, run_checks[i].flag, run_checks[i].check, err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The multiplier of a size suffix ("k", "MB", "g"...), binary as docker's
 * RAMInBytes; 0 if unknown. */
static double run_unit(const char *u)
{
	static const char units[] = "bkmgtp";
	const char *p;

	if (!*u)
		return 1;
	p = strchr(units, tolower((unsigned char)u[0]));
	if (!p || (u[1] && (tolower((unsigned char)u[1]) != 'b' || u[2] || p == units)))
		return 0;
	double mul = 1;

	for (const char *q = units; q < p; q++)
		mul *= 1024;
	return mul;
}

int run_parse_bytes(const char *s, int64_t *ret, struct berr **err)
{
	char *end;
	double v, mul;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v) || !isdigit((unsigned char)*s))
		return berr_set(err, EINVAL, "invalid size: '%s'", s);
	mul = run_unit(end);
	if (mul == 0)
		return berr_set(err, EINVAL, "invalid suffix: '%s'", end);
	*ret = (int64_t)(v * mul);
	return 0;
}

int run_parse_cpus(const char *s, int64_t *ret, struct berr **err)
{
	char *end;
	double v, nano;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0 || v > 1e9)
		return berr_set(err, EINVAL, "failed to parse %s as a rational number", s);
	nano = v * 1e9 + 0.5;
	*ret = (int64_t)nano;
	return 0;
}

/* A decimal integer flag value. */
static int run_parse_int(const char *s, const char *flag, int64_t *ret, struct berr **err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return berr_set(err, EINVAL,
				"invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
				"parsing \"%s\": invalid syntax",
				s, flag, s);
	*ret = v;
	return 0;
}

int run_restart_policy(const char *s, json_t **ret, struct berr **err)
{
	static const char *const names[] = {"no", "always", "unless-stopped", "on-failure"};
	_cleanup_free_ char *name = xstrndup(s, strcspn(s, ":"));
	const char *colon = strchr(s, ':');
	int64_t n = 0;
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		known |= streq(name, names[i]);
	if (!known)
		return berr_set(err, EINVAL, "invalid restart policy '%s'", name);
	if (colon && !streq(name, "on-failure"))
		return berr_set(err, EINVAL,
				"invalid restart policy format: maximum retry count "
				"can only be used with 'on-failure'");
	if (colon && run_parse_int(colon + 1, "--restart", &n, err) < 0)
		return berr_set(err, EINVAL,
				"invalid restart policy format: maximum retry count "
				"must be an integer");
	*ret = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)n);
	return 0;
}

/* --- the body --- */

/* "FOO=bar" as is, "FOO" from our environment ("FOO" when unset, as
 * docker 28 sends it). */
static void run_env_add(json_t *env, const char *kv)
{
	const char *v = strchr(kv, '=') ? NULL : getenv(kv);

	if (v)
		json_array_append_new(env, json_sprintf("%s=%s", kv, v));
	else
		json_array_append_new(env, json_string(kv));
}

/* --env-file: one variable a line, blank lines and '#' comments skipped. */
static int run_env_file(json_t *env, const char *path, struct berr **err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return berr_set(err, errno, "open %s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *l = line + strspn(line, " \t");

		l[strcspn(l, "\r\n")] = '\0';
		if (*l && *l != '#')
			run_env_add(env, l);
	}
	free(line);
	fclose(f);
	return 0;
}

static int run_env(const struct run_opts *o, json_t **ret, struct berr **err)
{
	json_t *env = json_array();

	for (size_t i = 0; i < o->env_file.n; i++) {
		if (run_env_file(env, o->env_file.v[i], err) < 0) {
			json_decref(env);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < o->env.n; i++)
		run_env_add(env, o->env.v[i]);
	if (!json_array_size(env)) {
		json_decref(env);
		env = json_null();
	}
	*ret = env;
	return 0;
}

static json_t *run_labels(const struct strv *labels)
{
	json_t *l = json_object();

	for (size_t i = 0; i < labels->n; i++) {
		_cleanup_free_ char *k = NULL, *v = NULL;

		opts_split_kv(labels->v[i], &k, &v);
		json_object_set_new(l, k, json_string(v));
	}
	return l;
}

/* A list flag as a JSON array, or null when not given. */
static json_t *run_list(const struct strv *sv, const char *prefix)
{
	json_t *a;

	if (!sv->n)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < sv->n; i++) {
		const char *s = sv->v[i];
		bool add = prefix && !strprefix(s, prefix) && strcasecmp(s, "ALL");

		json_array_append_new(a, json_sprintf("%s%s", add ? prefix : "", s));
	}
	return a;
}

/* A list flag as a JSON array, empty when not given. */
static json_t *run_array(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* -v: "SRC:DST[:OPTS]" is a bind (or named volume), a lone path an
 * anonymous volume (Config.Volumes). */
static void run_volumes(const struct strv *vols, json_t *binds, json_t *volumes)
{
	for (size_t i = 0; i < vols->n; i++) {
		if (strchr(vols->v[i], ':'))
			json_array_append_new(binds, json_string(vols->v[i]));
		else
			json_object_set_new(volumes, vols->v[i], json_object());
	}
}

/* One --mount "type=bind,src=/a,dst=/b,readonly" field into m. */
static int run_mount_field(json_t *m, const char *k, const char *v, struct berr **err)
{
	static const char *const src[] = {"source", "src"}, *const dst[] = {"target", "dst",
									    "destination"};

	for (size_t i = 0; i < ARRAY_SIZE(src); i++)
		if (streq(k, src[i]))
			return json_object_set_new(m, "Source", json_string(v));
	for (size_t i = 0; i < ARRAY_SIZE(dst); i++)
		if (streq(k, dst[i]))
			return json_object_set_new(m, "Target", json_string(v));
	if (streq(k, "type"))
		return json_object_set_new(m, "Type", json_string(v));
	if (streq(k, "readonly") || streq(k, "ro"))
		return json_object_set_new(m, "ReadOnly",
					   json_boolean(!*v || streq(v, "1") || streq(v, "true")));
	return berr_set(err, EINVAL, "invalid field '%s' must be a key=value pair", k);
}

static int run_mount(json_t *mounts, const char *spec, struct berr **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	json_t *m = json_object();
	char *save = NULL;

	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		_cleanup_free_ char *k = NULL, *v = NULL;

		opts_split_kv(f, &k, &v);
		if (run_mount_field(m, k, v, err) < 0) {
			json_decref(m);
			return berr_wrap(err, "invalid argument \"%s\" for \"--mount\" flag", spec);
		}
	}
	if (!json_object_get(m, "Type"))
		json_object_set_new(m, "Type", json_string("volume"));
	if (!json_object_get(m, "Target")) {
		json_decref(m);
		return berr_set(err, EINVAL,
				"invalid argument \"%s\" for \"--mount\" flag: "
				"target is required",
				spec);
	}
	json_array_append_new(mounts, m);
	return 0;
}

/* The numeric resources: -m, --cpus, -c, --pids-limit. */
static int run_resources(const struct run_opts *o, json_t *hc, struct berr **err)
{
	int64_t mem = 0, cpus = 0, shares = 0, pids = 0;

	if (o->memory && run_parse_bytes(o->memory, &mem, err) < 0)
		return berr_wrap(err, "invalid argument \"%s\" for \"-m, --memory\" flag",
				 o->memory);
	if (o->cpus && run_parse_cpus(o->cpus, &cpus, err) < 0)
		return berr_wrap(err, "invalid argument \"%s\" for \"--cpus\" flag", o->cpus);
	if (o->cpu_shares && run_parse_int(o->cpu_shares, "-c, --cpu-shares", &shares, err) < 0)
		return -EINVAL;
	if (o->pids_limit && run_parse_int(o->pids_limit, "--pids-limit", &pids, err) < 0)
		return -EINVAL;
	json_object_set_new(hc, "CpuShares", json_integer(shares));
	json_object_set_new(hc, "Memory", json_integer(mem));
	json_object_set_new(hc, "NanoCpus", json_integer(cpus));
	json_object_set_new(hc, "PidsLimit", json_integer(pids));
	return 0;
}

/* Binds, Mounts, VolumesFrom; the anonymous volumes go to volumes. */
static int run_storage(const struct run_opts *o, json_t *hc, json_t *volumes, struct berr **err)
{
	json_t *binds = json_array(), *mounts = json_array();

	run_volumes(&o->volumes, binds, volumes);
	for (size_t i = 0; i < o->mounts.n; i++) {
		if (run_mount(mounts, o->mounts.v[i], err) < 0) {
			json_decref(binds);
			json_decref(mounts);
			return -EINVAL;
		}
	}
	json_object_set_new(hc, "Binds", json_array_size(binds) ? binds : json_null());
	if (json_array_size(binds) == 0)
		json_decref(binds);
	if (json_array_size(mounts))
		json_object_set_new(hc, "Mounts", mounts);
	else
		json_decref(mounts);
	json_object_set_new(hc, "VolumesFrom", run_list(&o->volumes_from, NULL));
	return 0;
}

/* PortBindings and PublishAllPorts; the ports of -p and --expose go to
 * exposed. */
static int run_ports(const struct run_opts *o, json_t *hc, json_t *exposed, struct berr **err)
{
	json_t *bindings = json_object();

	if (ports_publish(&o->publish, exposed, bindings, err) < 0 ||
	    ports_expose(&o->expose, exposed, err) < 0) {
		json_decref(bindings);
		return -EINVAL;
	}
	json_object_set_new(hc, "PortBindings", bindings);
	json_object_set_new(hc, "PublishAllPorts", json_boolean(o->publish_all));
	return 0;
}

/* NetworkMode, Links and the DNS settings into hc; NetworkingConfig into
 * *ret (caller decrefs). */
static int run_network(const struct run_opts *o, json_t *hc, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *mode = NULL;
	json_t *eps;

	if (netopts_endpoints(&o->net, &mode, &eps, err) < 0)
		return -EINVAL;
	json_object_set_new(hc, "NetworkMode", json_string(mode));
	json_object_set_new(hc, "Links", run_list(&o->net.links, NULL));
	json_object_set_new(hc, "Dns", run_array(&o->dns));
	json_object_set_new(hc, "DnsOptions", run_array(&o->dns_option));
	json_object_set_new(hc, "DnsSearch", run_array(&o->dns_search));
	json_object_set_new(hc, "ExtraHosts", run_list(&o->add_host, NULL));
	*ret = json_pack("{s:o}", "EndpointsConfig", eps);
	return 0;
}

/* The HostConfig object (*ret_hc) and NetworkingConfig (*ret_nc); the
 * ports exposed by -p and --expose go to exposed, anonymous volumes to
 * volumes. */
static int run_host_config(const struct run_opts *o, json_t *exposed, json_t *volumes,
			   json_t **ret_hc, json_t **ret_nc, struct berr **err)
{
	json_t *hc = json_object(), *restart = NULL;

	if (run_restart_policy(o->restart ? o->restart : "no", &restart, err) < 0 ||
	    run_storage(o, hc, volumes, err) < 0 || run_resources(o, hc, err) < 0 ||
	    run_ports(o, hc, exposed, err) < 0 || run_network(o, hc, ret_nc, err) < 0) {
		json_decref(restart);
		json_decref(hc);
		return -EINVAL;
	}
	json_object_set_new(hc, "LogConfig", json_pack("{s:s, s:{}}", "Type", "", "Config"));
	json_object_set_new(hc, "RestartPolicy", restart);
	json_object_set_new(hc, "AutoRemove", json_boolean(o->rm));
	json_object_set_new(hc, "ConsoleSize", json_pack("[i, i]", 0, 0));
	json_object_set_new(hc, "CapAdd", run_list(&o->cap_add, "CAP_"));
	json_object_set_new(hc, "CapDrop", run_list(&o->cap_drop, "CAP_"));
	json_object_set_new(hc, "Privileged", json_boolean(o->privileged));
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(o->read_only));
	if (o->init)
		json_object_set_new(hc, "Init", json_true());
	*ret_hc = hc;
	return 0;
}

/* Cmd, Entrypoint: --entrypoint "" clears it (docker sends [""]). */
static void run_command(json_t *body, const struct run_opts *o, int argc, char **argv)
{
	json_t *cmd = json_array();

	for (int i = 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_object_set_new(body, "Cmd", argc > 1 ? cmd : json_null());
	if (argc <= 1)
		json_decref(cmd);
	json_object_set_new(body, "Entrypoint",
			    o->entrypoint ? json_pack("[s]", o->entrypoint) : json_null());
}

/* Tty, OpenStdin, StdinOnce and the Attach flags. */
static void run_stdio(json_t *body, const struct run_opts *o, bool attach)
{
	bool stdin_on = attach && o->interactive;

	json_object_set_new(body, "AttachStdin", json_boolean(stdin_on));
	json_object_set_new(body, "AttachStdout", json_boolean(attach));
	json_object_set_new(body, "AttachStderr", json_boolean(attach));
	json_object_set_new(body, "Tty", json_boolean(o->tty));
	json_object_set_new(body, "OpenStdin", json_boolean(o->interactive));
	json_object_set_new(body, "StdinOnce", json_boolean(stdin_on));
}

int run_create_body(const struct run_opts *o, int argc, char **argv, json_t **ret,
		    struct berr **err)
{
	json_t *body = json_object(), *exposed = json_object(), *volumes = json_object();
	json_t *env = NULL, *hc = NULL, *nc = NULL;
	int64_t stop_timeout = 0;
	int r = 0;

	if (o->rm && o->restart && !streq(o->restart, "no"))
		r = berr_set(err, EINVAL,
			     "conflicting options: cannot specify both --restart and --rm");
	else if (o->stop_timeout)
		r = run_parse_int(o->stop_timeout, "--stop-timeout", &stop_timeout, err);
	if (r < 0 || run_env(o, &env, err) < 0 ||
	    run_host_config(o, exposed, volumes, &hc, &nc, err) < 0) {
		json_decref(env);
		json_decref(body);
		json_decref(exposed);
		json_decref(volumes);
		return -EINVAL;
	}
	json_object_set_new(body, "Hostname", json_string(o->hostname ? o->hostname : ""));
	json_object_set_new(body, "Domainname", json_string(o->domainname ? o->domainname : ""));
	json_object_set_new(body, "User", json_string(o->user ? o->user : ""));
	run_stdio(body, o, !o->detach);
	if (json_object_size(exposed))
		json_object_set(body, "ExposedPorts", exposed);
	json_decref(exposed);
	json_object_set_new(body, "Env", env);
	run_command(body, o, argc, argv);
	json_object_set_new(body, "Image", json_string(argv[0]));
	json_object_set_new(body, "Volumes", volumes);
	json_object_set_new(body, "WorkingDir", json_string(o->workdir ? o->workdir : ""));
	json_object_set_new(body, "Labels", run_labels(&o->labels));
	if (o->stop_signal)
		json_object_set_new(body, "StopSignal", json_string(o->stop_signal));
	if (o->stop_timeout)
		json_object_set_new(body, "StopTimeout", json_integer(stop_timeout));
	json_object_set_new(body, "HostConfig", hc);
	json_object_set_new(body, "NetworkingConfig", nc);
	*ret = body;
	return 0;
}

int run_error_status(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory"))
		return 127;
	if (strcasestr(msg, "permission denied") || strcasestr(msg, "is a directory"))
		return 126;
	return 125;
}

/* --- run and create --- */

/* POST /containers/create?name=...; the new ID in *ret_id (caller frees).
 * Warnings go to stderr. */
static int run_create(struct client *c, const struct run_opts *o, json_t *body, char **ret_id,
		      struct berr **err)
{
	_cleanup_free_ char *path = xstrdup("/containers/create");
	json_t *reply = NULL, *w;
	const char *id;
	size_t i;
	int r;

	if (o->name)
		client_query_add(&path, "name", o->name);
	if (o->platform)
		client_query_add(&path, "platform", o->platform);
	r = client_post(c, path, body, &reply, err);
	if (r < 0)
		return r;
	json_array_foreach (json_object_get(reply, "Warnings"), i, w)
		fprintf(stderr, "WARNING: %s\n", json_string_value(w) ?: "");
	id = json_string_value(json_object_get(reply, "Id"));
	if (!id)
		r = berr_set(err, EPROTO, "invalid reply to POST /containers/create: no Id");
	else
		*ret_id = xstrdup(id);
	json_decref(reply);
	return r;
}

/* Build the body and create; errors printed as docker's status errors. */
static int run_create_print(struct cli *cli, const struct run_opts *o, int argc, char **argv,
			    const char *cmd, struct client **ret_c, char **ret_id)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct client *c = NULL;
	json_t *body = NULL;
	const char *dns;
	int r;

	if (run_create_body(o, argc, argv, &body, &err) < 0)
		return ctr_status_error(cmd, berr_msg(err), 125);
	dns = netopts_localhost_dns(&o->dns);
	if (dns)
		fprintf(stderr, "WARNING: Localhost DNS (%s) may fail in containers.\n", dns);
	r = client_new(cli->host, &c, &err);
	if (r == 0)
		r = run_create(c, o, body, ret_id, &err);
	json_decref(body);
	if (r < 0) {
		client_free(c);
		return ctr_status_error(cmd, berr_msg(err), 125);
	}
	*ret_c = c;
	return 0;
}

static int run_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	struct run_opts *o = opts;
	_cleanup_berr_ struct berr *err = NULL;
	_cleanup_free_ char *id = NULL;
	struct client *c = NULL;
	int rc;

	rc = run_create_print(cli, o, argc, argv, "run", &c, &id);
	if (rc)
		return rc;
	if (!o->detach) {
		rc = ctr_attach_start(cli, c, id, o->tty, o->interactive,
				      o->rm ? "removed" : "next-exit", true, "run");
	} else if (ctr_start(cli, id, &err) < 0) {
		rc = ctr_status_error("run", berr_msg(err), run_error_status(berr_msg(err)));
	} else {
		printf("%s\n", id);
	}
	client_free(c);
	return rc;
}

static int run_create_exec(struct cli *cli, void *opts, int argc, char **argv)
{
	_cleanup_free_ char *id = NULL;
	struct client *c = NULL;
	int rc = run_create_print(cli, opts, argc, argv, "create", &c, &id);

	if (rc)
		return rc;
	printf("%s\n", id);
	client_free(c);
	return 0;
}

#define RUN_ENTRY(grp, nm, sum, fn)                                                                \
	{                                                                                          \
		.group = grp, .name = nm, .args_usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",      \
		.summary = sum, .min_args = 1, .max_args = -1, .opts = run_defs,                   \
		.opts_size = sizeof(struct run_opts), .exec = fn, .no_interspersed = true,         \
		.flag_status = 125, .check = run_check_flags,                                      \
	}

const struct cmd_entry cmd_run_entry =
	RUN_ENTRY(NULL, "run", "Create and run a new container from an image", run_exec);
const struct cmd_entry cmd_container_run_entry =
	RUN_ENTRY("container", "run", "Create and run a new container from an image", run_exec);
const struct cmd_entry cmd_create_entry =
	RUN_ENTRY(NULL, "create", "Create a new container", run_create_exec);
const struct cmd_entry cmd_container_create_entry =
	RUN_ENTRY("container", "create", "Create a new container", run_create_exec);
