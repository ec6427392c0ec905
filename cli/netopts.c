/* netopts.c - networking flags into requests (see netopts.h).  The steps
 * and refusals follow the docker CLI 28: NetworkOpt.Set for the long form
 * of --network, applyContainerOptions and parseNetworkAttachmentOpt for
 * the endpoint of each network, runConnect for the connect body, and the
 * validators of opts/ for the flags that have one.  Called by run.c and
 * cmd-network.c; no daemon involved. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "cli/netopts.h"
#include "core/util.h"

#define NETOPTS_MAX_DOMAIN 255

/* --- strings --- */

/* Go's strings.TrimSpace, in place. */
static char *netopts_trim(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

static char *netopts_trimmed(const char *s)
{
	_cleanup_free_ char *copy = xstrdup(s);

	return xstrdup(netopts_trim(copy));
}

static bool netopts_set(const char *s)
{
	return s && *s;
}

/* A list as a JSON array; null when empty and null_empty. */
static json_t *netopts_array(const struct strv *sv, bool null_empty)
{
	json_t *a;

	if (!sv->n && null_empty)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* *dst = a copy of src, when src is set. */
static void netopts_replace(char **dst, const char *src)
{
	if (!netopts_set(src))
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static void netopts_strv_copy(struct strv *dst, const struct strv *src)
{
	strv_done(dst);
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->v[i]);
}

/* --- one network attachment (docker's NetworkAttachmentOpts) --- */

struct netopts_attach {
	char *target, *ipv4, *ipv6, *mac;
	struct strv aliases, links, link_local_ips;
	json_t *driver_opts; /* NULL: none */
	long long gw_priority;
};

static void netopts_attach_done(struct netopts_attach *a)
{
	free(a->target);
	free(a->ipv4);
	free(a->ipv6);
	free(a->mac);
	strv_done(&a->aliases);
	strv_done(&a->links);
	strv_done(&a->link_local_ips);
	json_decref(a->driver_opts);
}

#define _cleanup_attach_ __attribute__((cleanup(netopts_attach_done)))

/* Fields of the long form; each sets one member. */
enum netopts_field_kind {
	NETOPTS_STRING,
	NETOPTS_LIST,
	NETOPTS_DRIVER_OPT,
	NETOPTS_GW_PRIORITY
};

#define NA(f) offsetof(struct netopts_attach, f)

static const struct {
	const char *key;
	enum netopts_field_kind kind;
	size_t offset;
} netopts_fields[] = {
	{"name", NETOPTS_STRING, NA(target)},
	{"alias", NETOPTS_LIST, NA(aliases)},
	{"ip", NETOPTS_STRING, NA(ipv4)},
	{"ip6", NETOPTS_STRING, NA(ipv6)},
	{"mac-address", NETOPTS_STRING, NA(mac)},
	{"link-local-ip", NETOPTS_LIST, NA(link_local_ips)},
	{"driver-opt", NETOPTS_DRIVER_OPT, 0},
	{"gw-priority", NETOPTS_GW_PRIORITY, 0},
};

/* driver-opt=k=v of the long form (already lower-cased and trimmed). */
static int netopts_driver_opt(struct netopts_attach *a, char *kv, struct berr **err)
{
	char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return berr_set(err, EINVAL, "invalid key value pair format in driver options");
	*eq = '\0';
	if (!a->driver_opts)
		a->driver_opts = json_object();
	json_object_set_new(a->driver_opts, netopts_trim(kv), json_string(netopts_trim(eq + 1)));
	return 0;
}

/* gw-priority=N of the long form: Go's strconv.Atoi. */
static int netopts_gw_priority(struct netopts_attach *a, const char *s, struct berr **err)
{
	char *end;

	errno = 0;
	a->gw_priority = strtoll(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end)
		return berr_set(err, EINVAL, "invalid gw-priority (%s): invalid syntax", s);
	if (errno == ERANGE)
		return berr_set(err, ERANGE, "invalid gw-priority (%s): value out of range", s);
	return 0;
}

static int netopts_field_store(struct netopts_attach *a, size_t idx, char *val, struct berr **err)
{
	char *field = (char *)a + netopts_fields[idx].offset;

	switch (netopts_fields[idx].kind) {
	case NETOPTS_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(val);
		return 0;
	case NETOPTS_LIST:
		strv_push((struct strv *)field, val);
		return 0;
	case NETOPTS_DRIVER_OPT:
		return netopts_driver_opt(a, val, err);
	case NETOPTS_GW_PRIORITY:
		return netopts_gw_priority(a, val, err);
	}
	return -EINVAL;
}

/* One "key=value" of the long form.  docker lower-cases the whole field
 * (names, addresses, options) before it looks at it. */
static int netopts_field(struct netopts_attach *a, const char *field, struct berr **err)
{
	_cleanup_free_ char *low = xstrdup(field);
	char *eq, *key;

	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	eq = strchr(low, '=');
	if (!eq || eq == low)
		return berr_set(err, EINVAL, "invalid field %s", field);
	*eq = '\0';
	key = netopts_trim(low);
	for (size_t i = 0; i < ARRAY_SIZE(netopts_fields); i++)
		if (streq(key, netopts_fields[i].key))
			return netopts_field_store(a, i, netopts_trim(eq + 1), err);
	return berr_set(err, EINVAL, "invalid field key %s", key);
}

/* docker takes a value for the long form when it matches \w+=\w+ anywhere. */
static bool netopts_long_form(const char *v)
{
	for (const char *eq = strchr(v, '='); eq; eq = strchr(eq + 1, '=')) {
		if (eq > v && (isalnum((unsigned char)eq[-1]) || eq[-1] == '_') &&
		    (isalnum((unsigned char)eq[1]) || eq[1] == '_'))
			return true;
	}
	return false;
}

/* A --network value into a (NetworkOpt.Set). */
static int netopts_attach_parse(const char *value, struct netopts_attach *a, struct berr **err)
{
	struct strv fields = {0};
	int r;

	if (!netopts_long_form(value)) {
		a->target = xstrdup(value);
		return 0;
	}
	r = opts_split_csv(value, &fields, err);
	for (size_t i = 0; r == 0 && i < fields.n; i++)
		r = netopts_field(a, fields.v[i], err);
	strv_done(&fields);
	if (r == 0 && !netopts_set(a->target))
		r = berr_set(err, EINVAL, "network name/id is not specified");
	return r;
}

/* --- endpoints --- */

/* NetworkMode.IsUserDefined: not default, bridge, host, none, container:. */
static bool netopts_user_defined(const char *mode)
{
	return !streq(mode, "default") && !streq(mode, "bridge") && !streq(mode, "host") &&
	       !streq(mode, "none") && !strprefix(mode, "container:");
}

/* Go's xtoi2: two hex digits, followed by sep unless they end s. */
static bool netopts_hex2(const char *s, size_t avail, char sep)
{
	return avail >= 2 && isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
	       (avail == 2 || s[2] == sep);
}

/* Go's net.ParseMAC (after TrimSpace): 6, 8 or 20 bytes written
 * 00:11:.., 00-11-.. or 0011.2233... */
static bool netopts_mac_valid(const char *value)
{
	_cleanup_free_ char *s = netopts_trimmed(value);
	size_t len = strlen(s), n;

	if (len < 14)
		return false;
	if (s[2] == ':' || s[2] == '-') {
		n = (len + 1) / 3;
		if ((len + 1) % 3 || (n != 6 && n != 8 && n != 20))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!netopts_hex2(s + 3 * i, len - 3 * i, s[2]))
				return false;
		return true;
	}
	n = 2 * (len + 1) / 5;
	if (s[4] != '.' || (len + 1) % 5 || (n != 6 && n != 8 && n != 20))
		return false;
	for (size_t x = 0; x < len; x += 5)
		if (!netopts_hex2(s + x, 2, 0) || !netopts_hex2(s + x + 2, len - x - 2, s[4]))
			return false;
	return true;
}

static int netopts_check_mac(const char *mac, struct berr **err)
{
	if (netopts_set(mac) && !netopts_mac_valid(mac))
		return berr_set(err, EINVAL, "%s is not a valid mac address", mac);
	return 0;
}

/* applyContainerOptions: the flags without a network (--network-alias,
 * --link, --ip, ...) go to the first network, unless it has its own. */
static int netopts_apply_flags(struct netopts_attach *a, const struct netopts_flags *f,
			       struct berr **err)
{
	const struct {
		bool both;
		const char *what;
	} conflicts[] = {
		{a->aliases.n && f->aliases.n, "--network-alias and per-network alias"},
		{a->links.n && f->links.n, "--link and per-network links"},
		{netopts_set(a->ipv4) && netopts_set(f->ip), "--ip and per-network IPv4 address"},
		{netopts_set(a->ipv6) && netopts_set(f->ip6), "--ip6 and per-network IPv6 address"},
		{netopts_set(a->mac) && netopts_set(f->mac_address),
		 "--mac-address and per-network MAC address"},
		{a->link_local_ips.n && f->link_local_ips.n,
		 "--link-local-ip and per-network link-local IP addresses"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(conflicts); i++)
		if (conflicts[i].both)
			return berr_set(err, EINVAL, "conflicting options: cannot specify both %s",
					conflicts[i].what);
	if (f->aliases.n)
		netopts_strv_copy(&a->aliases, &f->aliases);
	/* on a user-defined network a link is an alias; on the default
	 * bridge only a legacy link (HostConfig.Links) */
	if (f->links.n && netopts_user_defined(a->target))
		netopts_strv_copy(&a->links, &f->links);
	if (f->link_local_ips.n)
		netopts_strv_copy(&a->link_local_ips, &f->link_local_ips);
	netopts_replace(&a->ipv4, f->ip);
	netopts_replace(&a->ipv6, f->ip6);
	netopts_replace(&a->mac, f->mac_address);
	return 0;
}

/* IPAMConfig with the addresses that are set. */
static json_t *netopts_ipam(const char *v4, const char *v6, const struct strv *link_local)
{
	json_t *ipam = json_object();

	if (netopts_set(v4))
		json_object_set_new(ipam, "IPv4Address", json_string(v4));
	if (netopts_set(v6))
		json_object_set_new(ipam, "IPv6Address", json_string(v6));
	if (link_local->n)
		json_object_set_new(ipam, "LinkLocalIPs", netopts_array(link_local, false));
	return ipam;
}

/* A whole EndpointSettings in Go's field order; takes the references. */
static json_t *netopts_endpoint_json(json_t *ipam, json_t *links, json_t *aliases, const char *mac,
				     json_t *driver_opts, long long gw)
{
	return json_pack("{s:o, s:o, s:o, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, "
			 "s:n}",
			 "IPAMConfig", ipam, "Links", links, "Aliases", aliases, "MacAddress",
			 mac ? mac : "", "DriverOpts", driver_opts, "GwPriority", (json_int_t)gw,
			 "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress", "",
			 "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "",
			 "GlobalIPv6PrefixLen", 0, "DNSNames");
}

/* Nothing set: docker sends no entry for a lone network like that. */
static bool netopts_attach_empty(const struct netopts_attach *a)
{
	return !netopts_set(a->ipv4) && !netopts_set(a->ipv6) && !a->link_local_ips.n &&
	       !a->aliases.n && !a->links.n && !netopts_set(a->mac) && !a->driver_opts &&
	       !a->gw_priority;
}

/* parseNetworkAttachmentOpt: the endpoint of a, with its refusals. */
static int netopts_endpoint(const struct netopts_attach *a, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *target = netopts_trimmed(a->target);
	bool ipam = netopts_set(a->ipv4) || netopts_set(a->ipv6) || a->link_local_ips.n;

	if (!*target)
		return berr_set(err, EINVAL, "no name set for network");
	if (!netopts_user_defined(a->target) && a->aliases.n)
		return berr_set(err, EINVAL,
				"network-scoped aliases are only supported for user-defined "
				"networks");
	if (!netopts_user_defined(a->target) && a->links.n)
		return berr_set(err, EINVAL, "links are only supported for user-defined networks");
	if (netopts_check_mac(a->mac, err) < 0)
		return -EINVAL;
	*ret = netopts_endpoint_json(
		ipam ? netopts_ipam(a->ipv4, a->ipv6, &a->link_local_ips) : json_null(),
		netopts_array(&a->links, true), netopts_array(&a->aliases, true), a->mac,
		a->driver_opts ? json_incref(a->driver_opts) : json_null(), a->gw_priority);
	return 0;
}

/* One network (index i of n; n == 0 for the implicit "default") into eps,
 * as the loop of parseNetworkOpts.  Its target in *ret_target. */
static int netopts_network_add(json_t *eps, const char *value, const struct netopts_flags *f,
			       size_t i, size_t n, char **ret_target, struct berr **err)
{
	struct netopts_attach a _cleanup_attach_ = {0};
	json_t *ep = NULL;
	int r = netopts_attach_parse(value, &a, err);

	if (r == 0 && i == 0)
		r = netopts_apply_flags(&a, f, err);
	if (r == 0)
		r = netopts_endpoint(&a, &ep, err);
	if (r == 0 && json_object_get(eps, a.target))
		r = berr_set(err, EINVAL, "network \"%s\" is specified multiple times", a.target);
	if (r < 0) {
		json_decref(ep);
		return r;
	}
	if (i == 0 && n == 1 && netopts_attach_empty(&a))
		json_decref(ep);
	else
		json_object_set_new(eps, a.target, ep);
	*ret_target = TAKE_PTR(a.target);
	return 0;
}

int netopts_endpoints(const struct netopts_flags *f, char **ret_mode, json_t **ret,
		      struct berr **err)
{
	json_t *eps = json_object();
	char *mode = NULL;
	bool user = false, other = false;
	int r = netopts_check_mac(f->mac_address, err);

	if (r == 0 && !f->networks.n)
		r = netopts_network_add(eps, "default", f, 0, 0, &mode, err);
	for (size_t i = 0; r == 0 && i < f->networks.n; i++) {
		_cleanup_free_ char *target = NULL;

		r = netopts_network_add(eps, f->networks.v[i], f, i, f->networks.n, &target, err);
		if (r == 0 && netopts_user_defined(target))
			user = true;
		else if (r == 0)
			other = true;
		if (r == 0 && i == 0)
			mode = TAKE_PTR(target);
	}
	if (r == 0 && user && other)
		r = berr_set(err, EINVAL,
			     "conflicting options: cannot attach both user-defined and "
			     "non-user-defined network-modes");
	if (r < 0) {
		free(mode);
		json_decref(eps);
		return r;
	}
	*ret_mode = mode;
	*ret = eps;
	return 0;
}

/* --- connect and disconnect --- */

/* --driver-opt k=v (convertDriverOpt): spaces around both trimmed. */
static int netopts_connect_driver_opts(const struct strv *kvs, json_t **ret, struct berr **err)
{
	json_t *map = json_object();

	for (size_t i = 0; i < kvs->n; i++) {
		_cleanup_free_ char *copy = xstrdup(kvs->v[i]);
		char *eq = strchr(copy, '='), *key;

		if (eq)
			*eq = '\0';
		key = netopts_trim(copy);
		if (!eq || !*key) {
			json_decref(map);
			return berr_set(err, EINVAL,
					"invalid key/value pair format in driver options");
		}
		json_object_set_new(map, key, json_string(netopts_trim(eq + 1)));
	}
	*ret = map;
	return 0;
}

int netopts_connect_body(const char *container, const struct netopts_connect *o, json_t **ret,
			 struct berr **err)
{
	json_t *dopts = NULL, *ep;
	long long gw = o->gw_priority ? strtoll(o->gw_priority, NULL, 0) : 0;

	if (netopts_connect_driver_opts(&o->driver_opts, &dopts, err) < 0)
		return -EINVAL;
	/* the CLI always sends IPAMConfig (maybe {}), Aliases [] and
	 * DriverOpts {}, Links null when there are none */
	ep = netopts_endpoint_json(netopts_ipam(o->ip, o->ip6, &o->link_local_ips),
				   netopts_array(&o->links, true),
				   netopts_array(&o->aliases, false), "", dopts, gw);
	*ret = json_pack("{s:s, s:o}", "Container", container, "EndpointConfig", ep);
	return 0;
}

json_t *netopts_disconnect_body(const char *container, bool force)
{
	return json_pack("{s:s, s:b}", "Container", container, "Force", force);
}

/* --- validators --- */

int netopts_check_network(const char *value, char **ret, struct berr **err)
{
	struct netopts_attach a _cleanup_attach_ = {0};

	if (netopts_attach_parse(value, &a, err) < 0)
		return -EINVAL;
	*ret = xstrdup(value);
	return 0;
}

/* Go's net.IP.String(): IPv4-mapped addresses print as IPv4. */
static bool netopts_ip_normal(const char *s, char *buf, size_t len)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return inet_ntop(AF_INET, &a4, buf, (socklen_t)len) != NULL;
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&a6))
		return inet_ntop(AF_INET, &a6.s6_addr[12], buf, (socklen_t)len) != NULL;
	return inet_ntop(AF_INET6, &a6, buf, (socklen_t)len) != NULL;
}

int netopts_check_ip(const char *value, char **ret, struct berr **err)
{
	_cleanup_free_ char *s = netopts_trimmed(value);
	char buf[INET6_ADDRSTRLEN];

	if (!netopts_ip_normal(s, buf, sizeof(buf)))
		return berr_set(err, EINVAL, "IP address is not correctly formatted: %s", value);
	*ret = xstrdup(buf);
	return 0;
}

/* opts.validateDomain, with docker's own regular expression (whose "(:?"
 * lets colons in): the domain without a trailing dot, or NULL. */
static char *netopts_domain(const char *s)
{
	static const char re_text[] =
		"^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))"
		"(:?\\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\\.?[ \t\n\f\r]*$";
	regmatch_t m[2];
	regex_t re;
	char *out = NULL;

	if (!strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return NULL;
	if (regcomp(&re, re_text, REG_EXTENDED) != 0)
		return NULL;
	if (regexec(&re, s, ARRAY_SIZE(m), m, 0) == 0 && m[1].rm_so >= 0 &&
	    m[1].rm_eo - m[1].rm_so < NETOPTS_MAX_DOMAIN)
		out = xstrndup(s + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
	regfree(&re);
	return out;
}

int netopts_check_dns_search(const char *value, char **ret, struct berr **err)
{
	size_t skip = strspn(value, " "), len = strlen(value + skip);
	_cleanup_free_ char *s = NULL;

	while (len && value[skip + len - 1] == ' ')
		len--;
	s = xstrndup(value + skip, len);
	*ret = streq(s, ".") ? xstrdup(s) : netopts_domain(s);
	if (!*ret)
		return berr_set(err, EINVAL, "%s is not a valid domain", s);
	return 0;
}

int netopts_check_extra_host(const char *value, char **ret, struct berr **err)
{
	const char *sep = strchr(value, '=') ?: strchr(value, ':');
	_cleanup_free_ char *ip = NULL, *ignored = NULL;
	size_t len;

	if (!sep || sep == value || memchr(value, ':', (size_t)(sep - value)))
		return berr_set(err, EINVAL, "bad format for add-host: \"%s\"", value);
	len = strlen(sep + 1);
	if (len > 2 && sep[1] == '[' && sep[len] == ']')
		ip = xstrndup(sep + 2, len - 2);
	else
		ip = xstrdup(sep + 1);
	if (!streq(ip, "host-gateway") && netopts_check_ip(ip, &ignored, NULL) < 0)
		return berr_set(err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
	*ret = xasprintf("%.*s:%s", (int)(sep - value), value, ip);
	return 0;
}

int netopts_check_link(const char *value, char **ret, struct berr **err)
{
	const char *colon = strchr(value, ':');

	if (!*value)
		return berr_set(err, EINVAL, "empty string specified for links");
	if (colon && strchr(colon + 1, ':'))
		return berr_set(err, EINVAL, "bad format for links: %s", value);
	*ret = xstrdup(value);
	return 0;
}

int netopts_check_int(const char *value, char **ret, struct berr **err)
{
	char *end;

	errno = 0;
	strtoll(value, &end, 0);
	if (!*value || isspace((unsigned char)*value) || *end)
		return berr_set(err, EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax",
				value);
	if (errno == ERANGE)
		return berr_set(err, ERANGE, "strconv.ParseInt: parsing \"%s\": value out of range",
				value);
	*ret = xstrdup(value);
	return 0;
}

const char *netopts_localhost_dns(const struct strv *dns)
{
	for (size_t i = 0; i < dns->n; i++)
		if (strprefix(dns->v[i], "127.") || streq(dns->v[i], "::1"))
			return dns->v[i];
	return NULL;
}
