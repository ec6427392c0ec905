/* plugin.c - finding, activating and calling Docker (v1) plugins: see
 * plugin.h and ../shared/docs/reference/network-plugin-protocols.md. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/log.h"
#include "core/plugin.h"
#include "core/util.h"

#define PLUGIN_CONNECT_TIMEOUT_MS 10000 /* Docker's dial timeout */
#define PLUGIN_REPLY_MAX	  (16 << 20)
#define PLUGIN_HOST		  "http://plugin.moby.localhost" /* (for unix sockets) */

static const char *const plugin_default_dirs[] = {"/run/docker/plugins", "/etc/docker/plugins",
						  "/usr/lib/docker/plugins", NULL};

struct plugin {
	char *name;
	char *sock; /* a unix socket, or NULL */
	char *base; /* the URL the method names are appended to */
	bool insecure;
	char *ca_file, *cert_file, *key_file;
	json_t *implements;
	CURL *curl;
	struct curl_slist *headers;
	const struct plugins *reg;
	struct plugin *next;
};

struct plugins {
	char **dirs;
	unsigned timeout_ms, retry_ms;
	struct plugin *list;
};

struct plugins *plugins_new(const char *const *dirs, unsigned timeout_ms, unsigned retry_ms)
{
	struct plugins *reg = xcalloc(1, sizeof(*reg));
	size_t n = 0;

	if (!dirs)
		dirs = plugin_default_dirs;
	while (dirs[n])
		n++;
	reg->dirs = xcalloc(n + 1, sizeof(*reg->dirs));
	for (size_t i = 0; i < n; i++)
		reg->dirs[i] = xstrdup(dirs[i]);
	reg->timeout_ms = timeout_ms;
	reg->retry_ms = retry_ms;
	return reg;
}

static void plugin_free(struct plugin *p)
{
	if (!p)
		return;
	if (p->curl)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	json_decref(p->implements);
	free(p->name);
	free(p->sock);
	free(p->base);
	free(p->ca_file);
	free(p->cert_file);
	free(p->key_file);
	free(p);
}

void plugins_free(struct plugins *reg)
{
	if (!reg)
		return;
	while (reg->list) {
		struct plugin *p = reg->list;

		reg->list = p->next;
		plugin_free(p);
	}
	for (size_t i = 0; reg->dirs[i]; i++)
		free(reg->dirs[i]);
	free(reg->dirs);
	free(reg);
}

const char *plugin_name(const struct plugin *p)
{
	return p->name;
}

/* --- discovery --- */

static bool plugin_is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* An address as a .spec file or a .json file's Addr gives it. */
static int plugin_set_addr(struct plugin *p, const char *addr, const char *file, struct berr **err)
{
	if (strprefix(addr, "unix://")) {
		p->sock = xstrdup(addr + strlen("unix://"));
		p->base = xstrdup(PLUGIN_HOST);
	} else if (strprefix(addr, "tcp://")) {
		p->base = xasprintf("http://%s", addr + strlen("tcp://"));
	} else if (strprefix(addr, "http://") || strprefix(addr, "https://")) {
		p->base = xstrdup(addr);
	} else {
		return berr_set(err, EINVAL, "plugin %s: %s: unknown protocol in address \"%s\"",
				p->name, file, addr);
	}
	while (*p->base && p->base[strlen(p->base) - 1] == '/')
		p->base[strlen(p->base) - 1] = 0;
	/* (a .spec has no place for a CA: https is not verified, as Docker) */
	p->insecure = strprefix(addr, "https://");
	return 0;
}

static int plugin_read_spec(struct plugin *p, const char *path, struct berr **err)
{
	char text[4096], *s, *e;
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return berr_set(err, errno, "plugin %s: cannot read %s: %m", p->name, path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	for (s = text; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = 0;
	return plugin_set_addr(p, s, path, err);
}

static int plugin_read_json(struct plugin *p, const char *path, struct berr **err)
{
	json_error_t je;
	_cleanup_json_ json_t *o = json_load_file(path, 0, &je);
	json_t *tls;
	const char *addr;
	int r;

	if (!json_is_object(o))
		return berr_set(err, EINVAL, "plugin %s: %s: not a JSON object (%s)", p->name, path,
				o ? "" : je.text);
	addr = json_string_value(json_object_get(o, "Addr"));
	if (!addr || !*addr)
		return berr_set(err, EINVAL, "plugin %s: %s: no Addr", p->name, path);
	if ((r = plugin_set_addr(p, addr, path, err)) < 0)
		return r;
	tls = json_object_get(o, "TLSConfig");
	if (json_is_object(tls)) {
		const char *ca = json_string_value(json_object_get(tls, "CAFile"));
		const char *cert = json_string_value(json_object_get(tls, "CertFile"));
		const char *key = json_string_value(json_object_get(tls, "KeyFile"));

		/* without a CA, nothing to verify with (Docker's rule) */
		p->insecure =
			json_is_true(json_object_get(tls, "InsecureSkipVerify")) || !ca || !*ca;
		if (ca && *ca)
			p->ca_file = xstrdup(ca);
		if (cert && *cert && key && *key) {
			p->cert_file = xstrdup(cert);
			p->key_file = xstrdup(key);
		}
	}
	return 0;
}

/* Where the plugin called p->name is: 0 found (p's address set), -ENOENT
 * not (yet) there, other errors for a file that cannot be used. */
static int plugin_locate(const struct plugins *reg, struct plugin *p, struct berr **err)
{
	for (size_t i = 0; reg->dirs[i]; i++) {
		_cleanup_free_ char *a = xasprintf("%s/%s.sock", reg->dirs[i], p->name);
		_cleanup_free_ char *b = xasprintf("%s/%s/%s.sock", reg->dirs[i], p->name, p->name);
		const char *hit = plugin_is_socket(a) ? a : plugin_is_socket(b) ? b : NULL;

		if (hit) {
			p->sock = xstrdup(hit);
			p->base = xstrdup(PLUGIN_HOST);
			return 0;
		}
	}
	for (size_t i = 0; reg->dirs[i]; i++) {
		const char *d = reg->dirs[i], *n = p->name;
		char *forms[4] = {
			xasprintf("%s/%s.spec", d, n), xasprintf("%s/%s/%s.spec", d, n, n),
			xasprintf("%s/%s.json", d, n), xasprintf("%s/%s/%s.json", d, n, n)};
		int r = -ENOENT;

		for (size_t f = 0; f < 4 && r == -ENOENT; f++)
			if (access(forms[f], F_OK) == 0)
				r = f < 2 ? plugin_read_spec(p, forms[f], err)
					  : plugin_read_json(p, forms[f], err);
		for (size_t f = 0; f < 4; f++)
			free(forms[f]);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

/* --- calls --- */

struct plugin_buf {
	char *data;
	size_t len;
};

static size_t plugin_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct plugin_buf *b = arg;
	size_t add = size * n;

	if (b->len + add > PLUGIN_REPLY_MAX)
		return 0; /* (curl fails the transfer) */
	b->data = xrealloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = 0;
	return add;
}

static void plugin_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int64_t plugin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Could not connect at all (nothing listening yet, socket gone): worth
 * another try.  A connection dropped after the request went out is not
 * retried: the plugin may have done the work (a second RequestAddress
 * would take a second address). */
static bool plugin_unreachable(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST;
}

static CURLcode plugin_post(struct plugin *p, const char *url, const char *body,
			    struct plugin_buf *out, long *status)
{
	CURL *h = p->curl;
	unsigned timeout = p->reg->timeout_ms;
	CURLcode c;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (p->sock)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, p->sock);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through $http_proxy */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
		h, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(timeout < PLUGIN_CONNECT_TIMEOUT_MS ? timeout : PLUGIN_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, plugin_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (p->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, p->ca_file);
	if (p->cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, p->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, p->key_file);
	}
	if (p->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	c = curl_easy_perform(h);
	*status = 0;
	if (c == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return c;
}

/* The plugin's own words for a failure: its Err or Error field, or the
 * body's text. */
static char *plugin_err_text(const json_t *o, const struct plugin_buf *b)
{
	const char *m = json_string_value(json_object_get(o, "Err"));

	if (!m || !*m)
		m = json_string_value(json_object_get(o, "Error"));
	if (m && *m)
		return xstrdup(m);
	if (!b->len)
		return xstrdup("(no reply body)");
	return xasprintf("%.200s", b->data);
}

int plugin_call(struct plugin *p, const char *method, json_t *body, int flags, json_t **reply,
		struct berr **err)
{
	_cleanup_free_ char *url = xasprintf("%s/%s", p->base, method);
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *o = NULL;
	struct plugin_buf b = {0};
	int64_t start = plugin_now_ms();
	unsigned delay = 1000;
	long status = 0;
	CURLcode c;
	int r = 0;

	if (reply)
		*reply = NULL;
	if (body) { /* a JSON object and a newline, as Docker sends */
		_cleanup_free_ char *j = json_dumps(body, JSON_COMPACT);

		text = xasprintf("%s\n", j ? j : "{}");
	} else {
		text = xstrdup("");
	}
	if (!p->curl) {
		p->curl = curl_easy_init();
		if (!p->curl)
			return berr_set(err, ENOMEM, "plugin %s: cannot make an HTTP client",
					p->name);
	}
	for (;;) {
		free(b.data);
		b = (struct plugin_buf){0};
		c = plugin_post(p, url, text, &b, &status);
		if (c == CURLE_OK || !plugin_unreachable(c) || (flags & PLUGIN_NO_RETRY) ||
		    plugin_now_ms() - start + delay > p->reg->retry_ms)
			break;
		log_debug("plugin %s: %s: %s; again in %u s", p->name, method,
			  curl_easy_strerror(c), delay / 1000);
		plugin_sleep_ms(delay);
		delay *= 2;
	}
	if (c == CURLE_OPERATION_TIMEDOUT) {
		r = berr_set(err, ETIMEDOUT, "plugin %s: %s: no answer within %u s", p->name,
			     method, (p->reg->timeout_ms + 999) / 1000);
		goto out;
	}
	if (c != CURLE_OK) {
		r = berr_set(err, EHOSTUNREACH, "plugin %s: %s: cannot reach it (%s%s%s)", p->name,
			     method, curl_easy_strerror(c), p->sock ? " at " : "",
			     p->sock ? p->sock : "");
		goto out;
	}
	if (status == 404 && (flags & PLUGIN_OPTIONAL)) {
		r = -EOPNOTSUPP;
		goto out;
	}
	if (b.len && strspn(b.data, " \t\r\n") < b.len) {
		json_error_t je;

		o = json_loadb(b.data, b.len, 0, &je);
	} else {
		o = json_object(); /* (an empty 200 is taken as {}) */
	}
	if (status != 200) {
		_cleanup_free_ char *why = plugin_err_text(o, &b);

		r = berr_set(err, EIO, "plugin %s: %s: %s (HTTP %ld)", p->name, method, why,
			     status);
		goto out;
	}
	if (!json_is_object(o)) {
		r = berr_set(err, EPROTO, "plugin %s: %s: the reply is not a JSON object: %.80s",
			     p->name, method, b.data);
		goto out;
	}
	{
		const char *m = json_string_value(json_object_get(o, "Err"));

		if (!m || !*m)
			m = json_string_value(json_object_get(o, "Error"));
		if (m && *m) {
			r = berr_set(err, EIO, "plugin %s: %s: %s", p->name, method, m);
			goto out;
		}
	}
	if (reply)
		*reply = TAKE_PTR(o);
out:
	free(b.data);
	return r;
}

/* --- activation --- */

static bool plugin_implements(const struct plugin *p, const char *iface)
{
	size_t i;
	json_t *v;

	json_array_foreach (p->implements, i, v)
		if (streq(json_string_value(v) ? json_string_value(v) : "", iface))
			return true;
	return false;
}

static int plugin_activate(struct plugins *reg, const char *name, struct plugin **ret,
			   struct berr **err)
{
	struct plugin *p = xcalloc(1, sizeof(*p));
	_cleanup_json_ json_t *reply = NULL;
	int64_t start = plugin_now_ms();
	unsigned delay = 1000;
	int r;

	p->name = xstrdup(name);
	p->reg = reg;
	p->headers = curl_slist_append(NULL, "Accept: application/vnd.docker.plugins.v1.2+json");
	p->headers = curl_slist_append(p->headers, "Content-Type:"); /* (none, as Docker) */
	p->headers = curl_slist_append(p->headers, "Expect:");
	/* not there yet (a plugin still starting): looked for again, with
	 * Docker's back-off */
	while ((r = plugin_locate(reg, p, err)) == -ENOENT &&
	       plugin_now_ms() - start + delay <= reg->retry_ms) {
		plugin_sleep_ms(delay);
		delay *= 2;
	}
	if (r == -ENOENT)
		r = berr_set(err, ENOENT, "plugin \"%s\" not found", name);
	if (r == 0)
		r = plugin_call(p, "Plugin.Activate", NULL, 0, &reply, err);
	if (r == 0 && !json_is_array(json_object_get(reply, "Implements")))
		r = berr_set(err, EPROTO, "plugin %s: Plugin.Activate: no Implements in the reply",
			     name);
	if (r < 0) {
		plugin_free(p);
		return r;
	}
	p->implements = json_incref(json_object_get(reply, "Implements"));
	log_info("plugin %s activated (%s)", name, p->sock ? p->sock : p->base);
	p->next = reg->list;
	reg->list = p;
	*ret = p;
	return 0;
}

int plugins_get(struct plugins *reg, const char *name, const char *iface, struct plugin **ret,
		struct berr **err)
{
	struct plugin *p = NULL;
	int r;

	if (!*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
		return berr_set(err, EINVAL, "invalid plugin name \"%s\"", name);
	for (struct plugin *q = reg->list; q && !p; q = q->next)
		if (streq(q->name, name))
			p = q;
	if (!p && (r = plugin_activate(reg, name, &p, err)) < 0)
		return r;
	if (!plugin_implements(p, iface))
		return berr_set(err, EINVAL,
				"plugin %s does not implement the requested driver (it is not a "
				"%s)",
				name, iface);
	*ret = p;
	return 0;
}
