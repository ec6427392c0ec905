/* ports.c - container ports in the docker CLI's words (see ports.h): the
 * -p and --expose parsers follow go-connections' nat package step by step
 * (same order of checks, same messages), the ps column follows the CLI's
 * DisplayablePorts and `port` its runPort.  Called by run.c and
 * cmd-container.c; no daemon involved. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/format.h"
#include "cli/ports.h"
#include "core/util.h"

#define PORTS_MAX 65535

/* --- numbers and addresses --- */

/* Go's strconv.ParseUint(s[:len], 10, 16) with its error text. */
static int ports_parse_u16(const char *s, size_t len, unsigned *ret, struct berr **err)
{
	unsigned long n = 0;

	if (len == 0)
		return berr_set(err, EINVAL, "strconv.ParseUint: parsing \"\": invalid syntax");
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return berr_set(err, EINVAL,
					"strconv.ParseUint: parsing \"%.*s\": invalid syntax",
					(int)len, s);
		n = n * 10 + (unsigned long)(s[i] - '0');
		if (n > PORTS_MAX)
			return berr_set(err, ERANGE,
					"strconv.ParseUint: parsing \"%.*s\": value out of range",
					(int)len, s);
	}
	*ret = (unsigned)n;
	return 0;
}

/* nat.ParsePortRange: "80" or "8000-8010" (what follows a second '-' is
 * ignored, as there). */
static int ports_parse_range(const char *s, unsigned *ret_start, unsigned *ret_end,
			     struct berr **err)
{
	const char *dash = strchr(s, '-');
	unsigned start, end;
	int r;

	if (!*s)
		return berr_set(err, EINVAL, "empty string specified for ports");
	if (!dash)
		r = ports_parse_u16(s, strlen(s), &start, err), end = start;
	else if ((r = ports_parse_u16(s, (size_t)(dash - s), &start, err)) == 0)
		r = ports_parse_u16(dash + 1, strcspn(dash + 1, "-"), &end, err);
	if (r < 0)
		return r;
	if (end < start)
		return berr_set(err, EINVAL, "invalid range specified for port: %s", s);
	*ret_start = start;
	*ret_end = end;
	return 0;
}

static bool ports_ip_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Go's net.JoinHostPort: "[::1]:80" or "1.2.3.4:80".  Caller frees. */
static char *ports_join_host(const char *host, const char *port)
{
	return xasprintf(strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* --- -p and --expose --- */

/* A -p value cut up as nat.ParsePortSpec does; all strings owned. */
struct ports_spec {
	char *ip, *host, *ctr, *proto;
};

static void ports_spec_done(struct ports_spec *sp)
{
	free(sp->ip);
	free(sp->host);
	free(sp->ctr);
	free(sp->proto);
}

/* nat.SplitProtoPort: "80/udp" -> udp, 80; "80" and "80/" -> tcp, 80;
 * "" and "/udp" -> "", "". */
static void ports_split_proto(const char *raw, char **ret_proto, char **ret_port)
{
	const char *slash = strchr(raw, '/');
	size_t plen = slash ? strcspn(slash + 1, "/") : 0;

	if (!*raw || slash == raw) {
		*ret_proto = xstrdup("");
		*ret_port = xstrdup("");
	} else {
		*ret_proto = plen ? xstrndup(slash + 1, plen) : xstrdup("tcp");
		*ret_port = slash ? xstrndup(raw, (size_t)(slash - raw)) : xstrdup(raw);
	}
}

/* nat's splitParts: the last field is the container port, the one before
 * the host port, everything before that (colons and all) the IP. */
static void ports_split_parts(const char *raw, struct ports_spec *sp, char **ret_ctr)
{
	const char *last = strrchr(raw, ':'), *prev = NULL;

	for (const char *p = raw; last && p < last; p++)
		if (*p == ':')
			prev = p;
	*ret_ctr = xstrdup(last ? last + 1 : raw);
	sp->host = last ? xstrndup(prev ? prev + 1 : raw, (size_t)(last - (prev ? prev + 1 : raw)))
			: xstrdup("");
	sp->ip = prev ? xstrndup(raw, (size_t)(prev - raw)) : xstrdup("");
}

/* "[::1]" -> "::1" as Go's net.SplitHostPort(ip + ":") sees it, with its
 * complaints about the brackets. */
static int ports_unbracket(char **ip, struct berr **err)
{
	_cleanup_free_ char *hp = xasprintf("%s:", *ip);
	const char *close = strchr(hp, ']'), *why = NULL;

	if (!close)
		why = "missing ']' in address";
	else if (close[1] != ':' || close[2])
		why = close[1] == ':' ? "too many colons in address" : "missing port in address";
	else if (strchr(hp + 1, '['))
		why = "unexpected '[' in address";
	if (why)
		return berr_set(err, EINVAL, "invalid IP address %s: address %s: %s", *ip, hp, why);
	free(*ip);
	*ip = xstrndup(hp + 1, (size_t)(close - hp - 1));
	return 0;
}

/* Split raw into sp and check the address (ParsePortSpec's first half). */
static int ports_spec_split(const char *raw, struct ports_spec *sp, struct berr **err)
{
	_cleanup_free_ char *ctr = NULL;

	ports_split_parts(raw, sp, &ctr);
	ports_split_proto(ctr, &sp->proto, &sp->ctr);
	if (sp->ip[0] == '[' && ports_unbracket(&sp->ip, err) < 0)
		return -EINVAL;
	if (*sp->ip && !ports_ip_valid(sp->ip))
		return berr_set(err, EINVAL, "invalid IP address: %s", sp->ip);
	if (!*sp->ctr)
		return berr_set(err, EINVAL, "no port specified: %s<empty>", raw);
	return 0;
}

/* One binding: exposed[key] = {}, bindings[key] += {HostIp, HostPort}. */
static void ports_bind(json_t *exposed, json_t *bindings, const char *key, const char *ip,
		       const char *host_port)
{
	json_t *list = json_object_get(bindings, key);

	json_object_set_new(exposed, key, json_object());
	if (!list)
		json_object_set_new(bindings, key, list = json_array());
	json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host_port));
}

/* nat's validateProto (any case), then the proto lower-cased for the key. */
static int ports_check_proto(char *proto, struct berr **err)
{
	if (strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") && strcasecmp(proto, "sctp"))
		return berr_set(err, EINVAL, "invalid proto: %s", proto);
	for (char *p = proto; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* The HostPort of the i-th port of a spec: "" (any), one port, or, for a
 * single container port, the whole host range for the daemon to pick from. */
static char *ports_host_port(const char *host, bool single, unsigned hstart, unsigned hend,
			     unsigned i)
{
	if (!*host)
		return xstrdup("");
	if (single && hstart != hend)
		return xasprintf("%u-%u", hstart, hend);
	return xasprintf("%u", hstart + i);
}

/* nat.ParsePortSpec for one standard-notation value, into the maps. */
static int ports_spec_add(const char *raw, json_t *exposed, json_t *bindings, struct berr **err)
{
	struct ports_spec sp __attribute__((cleanup(ports_spec_done))) = {0};
	unsigned start, end, hstart = 0, hend = 0;

	if (ports_spec_split(raw, &sp, err) < 0)
		return -EINVAL;
	if (ports_parse_range(sp.ctr, &start, &end, NULL) < 0)
		return berr_set(err, EINVAL, "invalid containerPort: %s", sp.ctr);
	if (*sp.host && ports_parse_range(sp.host, &hstart, &hend, NULL) < 0)
		return berr_set(err, EINVAL, "invalid hostPort: %s", sp.host);
	if (*sp.host && end - start != hend - hstart && end != start)
		return berr_set(err, EINVAL,
				"invalid ranges specified for container and host Ports: %s and %s",
				sp.ctr, sp.host);
	if (ports_check_proto(sp.proto, err) < 0)
		return -EINVAL;
	for (unsigned i = 0; i <= end - start; i++) {
		_cleanup_free_ char *key = xasprintf("%u/%s", start + i, sp.proto);
		_cleanup_free_ char *hp = ports_host_port(sp.host, start == end, hstart, hend, i);

		ports_bind(exposed, bindings, key, sp.ip, hp);
	}
	return 0;
}

/* The CLI's convertToStandardNotation for "target=80,published=8080,
 * protocol=udp": "8080:80/udp" (other keys are accepted and ignored). */
static int ports_long_form(const char *spec, char **ret, struct berr **err)
{
	_cleanup_free_ char *copy = xstrdup(spec), *target = xstrdup(""), *published = xstrdup("");
	_cleanup_free_ char *proto = xstrdup("tcp");
	char *p = copy;

	for (char *f = strsep(&p, ","); f; f = strsep(&p, ",")) {
		char *eq = strchr(f, '=');
		char **slot;

		if (!eq || eq == f)
			return berr_set(err, EINVAL,
					"invalid publish opts format (should be name=value but got "
					"'%s')",
					f);
		*eq = '\0';
		slot = streq(f, "target")      ? &target
		       : streq(f, "published") ? &published
		       : streq(f, "protocol")  ? &proto
					       : NULL;
		if (slot) {
			free(*slot);
			*slot = xstrdup(eq + 1);
		}
	}
	*ret = xasprintf("%s:%s/%s", published, target, proto);
	return 0;
}

int ports_publish(const struct strv *specs, json_t *exposed, json_t *bindings, struct berr **err)
{
	for (size_t i = 0; i < specs->n; i++) {
		_cleanup_free_ char *std = NULL;
		const char *spec = specs->v[i];

		if (strchr(spec, '=')) {
			if (ports_long_form(spec, &std, err) < 0)
				return -EINVAL;
			spec = std;
		}
		if (ports_spec_add(spec, exposed, bindings, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/* One --expose value: "80", "80-90/udp" (the proto is taken as it is). */
static int ports_expose_one(const char *spec, json_t *exposed, struct berr **err)
{
	_cleanup_berr_ struct berr *why = NULL;
	_cleanup_free_ char *proto = NULL, *port = NULL;
	unsigned start, end;

	if (strchr(spec, ':'))
		return berr_set(err, EINVAL, "invalid port format for --expose: %s", spec);
	ports_split_proto(spec, &proto, &port);
	if (ports_parse_range(port, &start, &end, &why) < 0)
		return berr_set(err, EINVAL, "invalid range format for --expose: %s, error: %s",
				spec, berr_msg(why));
	for (unsigned p = start; p <= end; p++) {
		_cleanup_free_ char *key = xasprintf("%u/%s", p, proto);

		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

int ports_expose(const struct strv *specs, json_t *exposed, struct berr **err)
{
	for (size_t i = 0; i < specs->n; i++)
		if (ports_expose_one(specs->v[i], exposed, err) < 0)
			return -EINVAL;
	return 0;
}

/* --- the ps column --- */

/* One entry of a list's Ports array (strings borrowed from it). */
struct ports_entry {
	const char *ip, *type;
	unsigned priv, pub;
};

/* Consecutive ports of one address and proto, public = private. */
struct ports_group {
	const char *ip, *type;
	unsigned first, last;
};

/* The CLI's comparePorts: private port, IP, public port, type. */
static int ports_entry_cmp(const void *a, const void *b)
{
	const struct ports_entry *x = a, *y = b;
	int c;

	if (x->priv != y->priv)
		return x->priv < y->priv ? -1 : 1;
	if ((c = strcmp(x->ip, y->ip)))
		return c;
	if (x->pub != y->pub)
		return x->pub < y->pub ? -1 : 1;
	return strcmp(x->type, y->type);
}

/* The entries of ports, sorted.  Caller frees. */
static struct ports_entry *ports_entries(json_t *ports, size_t *ret_n)
{
	size_t n = json_array_size(ports), i;
	struct ports_entry *e = xcalloc(n + 1, sizeof(*e));
	json_t *p;

	json_array_foreach (ports, i, p) {
		e[i].ip = json_string_value(json_object_get(p, "IP")) ?: "";
		e[i].type = json_string_value(json_object_get(p, "Type")) ?: "";
		e[i].priv = (unsigned)json_integer_value(json_object_get(p, "PrivatePort"));
		e[i].pub = (unsigned)json_integer_value(json_object_get(p, "PublicPort"));
	}
	qsort(e, n, sizeof(*e), ports_entry_cmp);
	*ret_n = n;
	return e;
}

/* The CLI's formGroup: "9000-9001/tcp", "0.0.0.0:80-81->80-81/tcp". */
static char *ports_group_str(const struct ports_group *g)
{
	_cleanup_free_ char *range = g->first == g->last ? xasprintf("%u", g->first)
							 : xasprintf("%u-%u", g->first, g->last);
	_cleanup_free_ char *host = NULL;

	if (!*g->ip)
		return xasprintf("%s/%s", range, g->type);
	host = ports_join_host(g->ip, range);
	return xasprintf("%s->%s/%s", host, range, g->type);
}

static void ports_push(struct strv *sv, char *s)
{
	strv_push(sv, s);
	free(s);
}

/* Extend e's group or start one; a group that cannot grow goes to out. */
static void ports_group_add(struct ports_group *groups, size_t *n, const struct ports_entry *e,
			    struct strv *out)
{
	struct ports_group *g = NULL;

	for (size_t i = 0; i < *n && !g; i++)
		if (streq(groups[i].ip, e->ip) && streq(groups[i].type, e->type))
			g = &groups[i];
	if (!g) {
		groups[(*n)++] = (struct ports_group){e->ip, e->type, e->priv, e->priv};
	} else if (e->priv == g->last + 1) {
		g->last = e->priv;
	} else {
		ports_push(out, ports_group_str(g));
		g->first = g->last = e->priv;
	}
}

/* "a, b, c" of sv.  Caller frees. */
static char *ports_join(const struct strv *sv, const char *sep)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; i < sv->n; i++)
		fprintf(f, "%s%s", i ? sep : "", sv->v[i]);
	fclose(f);
	return out;
}

char *ports_display(json_t *ports)
{
	size_t n, ng = 0;
	_cleanup_free_ struct ports_entry *e = ports_entries(ports, &n);
	_cleanup_free_ struct ports_group *groups = xcalloc(n + 1, sizeof(*groups));
	struct strv out = {0}, maps = {0};
	char *s;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *pub = xasprintf("%u", e[i].pub), *host = NULL;

		if (!*e[i].ip || e[i].pub == e[i].priv) {
			ports_group_add(groups, &ng, &e[i], &out);
			continue;
		}
		host = ports_join_host(e[i].ip, pub);
		ports_push(&maps, xasprintf("%s->%u/%s", host, e[i].priv, e[i].type));
	}
	for (size_t i = 0; i < ng; i++)
		ports_push(&out, ports_group_str(&groups[i]));
	for (size_t i = 0; i < maps.n; i++)
		strv_push(&out, maps.v[i]);
	s = ports_join(&out, ", ");
	strv_done(&out);
	strv_done(&maps);
	return s;
}

/* --- port --- */

static int ports_natural_cmp(const void *a, const void *b)
{
	return format_natural_cmp(*(char *const *)a, *(char *const *)b);
}

/* "port/proto" for the PRIVATE_PORT[/PROTO] argument (tcp by default). */
static int ports_want_key(const char *want, char **ret, struct berr **err)
{
	_cleanup_berr_ struct berr *why = NULL;
	size_t plen = strcspn(want, "/");
	const char *proto = want[plen] ? want + plen + 1 : "";
	unsigned port;

	if (ports_parse_u16(want, plen, &port, &why) < 0)
		return berr_set(err, EINVAL, "Error: invalid port (%.*s): %s", (int)plen, want,
				berr_msg(why));
	*ret = xasprintf("%.*s/%s", (int)plen, want, *proto ? proto : "tcp");
	return 0;
}

/* "host:port" of each binding in list (with from: "from -> host:port"). */
static void ports_frontends(json_t *list, const char *from, struct strv *lines)
{
	json_t *b;
	size_t i;

	json_array_foreach (list, i, b) {
		_cleanup_free_ char *hp =
			ports_join_host(json_string_value(json_object_get(b, "HostIp")) ?: "",
					json_string_value(json_object_get(b, "HostPort")) ?: "");

		if (from)
			ports_push(lines, xasprintf("%s -> %s", from, hp));
		else
			strv_push(lines, hp);
	}
}

int ports_lookup(json_t *ports, const char *ctr, const char *want, struct strv *ret_lines,
		 struct berr **err)
{
	_cleanup_free_ char *key = NULL;
	struct strv lines = {0};
	const char *from;
	json_t *list;

	if (want && ports_want_key(want, &key, err) < 0)
		return -EINVAL;
	if (want && !json_array_size(json_object_get(ports, key)))
		return berr_set(err, ENOENT, "Error: No public port '%s' published for %s", want,
				ctr);
	if (want)
		ports_frontends(json_object_get(ports, key), NULL, &lines);
	else
		json_object_foreach (ports, from, list)
			ports_frontends(list, from, &lines);
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), ports_natural_cmp);
	for (size_t i = 0; i < lines.n; i++)
		strv_push(ret_lines, lines.v[i]);
	strv_done(&lines);
	return 0;
}
