/* registry.c - pull, push and login against a Docker Registry HTTP API v2
 * (see registry.h).  One libcurl handle per transfer (its connections are
 * reused); every request goes through reg_call, which answers a 401 by the
 * challenge's scheme and asks once more.  Downloaded blobs go to unlinked
 * temp files, hashed on the way; uploaded layers are gzipped on the way,
 * hashed too. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "core/log.h"
#include "core/util.h"
#include "runtime/registry.h"
#include "runtime/tar.h"

#define REG_DOCKER_HUB "registry-1.docker.io"
#define REG_HUB_KEY    "https://index.docker.io/v1/"
#define REG_MT_LIST    "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MT_V2      "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_CONFIG  "application/vnd.docker.container.image.v1+json"
#define REG_MT_LAYER   "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REG_ACCEPT                                                                                 \
	"Accept: " REG_MT_V2 ", " REG_MT_LIST ", application/vnd.oci.image.manifest.v1+json, "     \
	"application/vnd.oci.image.index.v1+json"
#define REG_MANIFEST_MAX (4 << 20)
#define REG_RETRIES	 3

/* --- references --- */

void reg_ref_done(struct reg_ref *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	free(r->familiar);
	*r = (struct reg_ref){0};
}

int reg_ref_parse(const char *ref, struct reg_ref *ret, struct berr **err)
{
	_cleanup_free_ char *s = xstrdup(ref);
	char *at = strchr(s, '@'), *slash, *colon, *name;
	bool host;

	*ret = (struct reg_ref){0};
	if (at) {
		*at = 0;
		if (!strprefix(at + 1, "sha256:") || strlen(at + 1) != 71)
			return berr_set(err, EINVAL, "invalid reference format: %s", ref);
		ret->digest = xstrdup(at + 1);
	}
	slash = strrchr(s, '/');
	colon = strrchr(s, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = 0;
		ret->tag = xstrdup(colon + 1);
	} else if (!ret->digest) {
		ret->tag = xstrdup("latest");
	}
	slash = strchr(s, '/');
	host = slash && (memchr(s, '.', (size_t)(slash - s)) ||
			 memchr(s, ':', (size_t)(slash - s)) || strncmp(s, "localhost/", 10) == 0);
	if (host &&
	    (strncmp(s, "docker.io/", 10) == 0 || strncmp(s, "index.docker.io/", 16) == 0)) {
		/* Docker Hub by its public names: as if no host was given */
		memmove(s, slash + 1, strlen(slash + 1) + 1);
		host = false;
	}
	if (host) {
		*slash = 0;
		ret->host = xstrdup(s);
		name = slash + 1;
		ret->repo = xstrdup(name);
		ret->familiar = xasprintf("%s/%s", s, name);
	} else {
		name = s;
		ret->host = xstrdup(REG_DOCKER_HUB);
		ret->repo = strchr(name, '/') ? xstrdup(name) : xasprintf("library/%s", name);
		ret->familiar = xstrdup(strprefix(name, "library/") ? name + 8 : name);
	}
	for (const char *p = ret->repo; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    !strchr("._-/", *p)) {
			reg_ref_done(ret);
			return berr_set(err, EINVAL,
					"invalid reference format: repository name must be "
					"lowercase: %s",
					ref);
		}
	if (!*ret->repo || (ret->tag && !*ret->tag)) {
		reg_ref_done(ret);
		return berr_set(err, EINVAL, "invalid reference format: %s", ref);
	}
	return 0;
}

bool reg_ref_is_hub(const struct reg_ref *r)
{
	return streq(r->host, REG_DOCKER_HUB);
}

/* --- credentials --- */

void reg_auth_done(struct reg_auth *a)
{
	free(a->username);
	free(a->password);
	free(a->identity_token);
	free(a->registry_token);
	free(a->server);
	*a = (struct reg_auth){0};
}

static char *reg_json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? xstrdup(v) : NULL;
}

void reg_auth_from_json(json_t *o, struct reg_auth *ret)
{
	*ret = (struct reg_auth){0};
	ret->username = reg_json_str(o, "username");
	ret->password = reg_json_str(o, "password");
	ret->identity_token = reg_json_str(o, "identitytoken");
	ret->registry_token = reg_json_str(o, "registrytoken");
	ret->server = reg_json_str(o, "serveraddress");
	/* "auth": base64 of user:password, as in the CLI's config file */
	if (!ret->username && json_string_value(json_object_get(o, "auth"))) {
		const char *b = json_string_value(json_object_get(o, "auth"));
		size_t n = strlen(b);
		_cleanup_free_ unsigned char *d = xmalloc(n + 4);
		int len = EVP_DecodeBlock(d, (const unsigned char *)b, (int)n);
		char *colon;

		if (len > 0) {
			d[len] = 0;
			if ((colon = strchr((char *)d, ':'))) {
				ret->username = xstrndup((char *)d, (size_t)(colon - (char *)d));
				ret->password = xstrdup(colon + 1);
			}
		}
	}
}

int reg_auth_decode(const char *header, struct reg_auth *ret, struct berr **err)
{
	size_t n = header ? strlen(header) : 0;
	_cleanup_free_ char *b = xmalloc(n + 4);
	_cleanup_free_ unsigned char *d = xmalloc(n + 4);
	_cleanup_json_ json_t *o = NULL;
	int len;

	*ret = (struct reg_auth){0};
	if (!n)
		return 0;
	/* base64url, padding optional */
	for (size_t i = 0; i < n; i++)
		b[i] = header[i] == '-' ? '+' : header[i] == '_' ? '/' : header[i];
	while (n % 4)
		b[n++] = '=';
	b[n] = 0;
	len = EVP_DecodeBlock(d, (unsigned char *)b, (int)n);
	/* (EVP_DecodeBlock counts the padding's zero bytes) */
	while (len > 0 && n && b[n - 1] == '=' && d[len - 1] == 0) {
		len--;
		n--;
	}
	if (len >= 0)
		o = json_loadb((char *)d, (size_t)len, 0, NULL);
	if (!json_is_object(o))
		return berr_set(err, EINVAL,
				"X-Registry-Auth: not base64url-encoded JSON credentials");
	reg_auth_from_json(o, ret);
	return 0;
}

/* --- HTTP --- */

static void reg_berr_clear(struct berr **err)
{
	if (err) {
		berr_free(*err);
		*err = NULL;
	}
}

struct reg_http {
	CURL *curl;
	const struct reg_opts *o;
	char *host; /* HOST[:PORT] reached (the registry's or a mirror's) */
	char *base; /* "https://HOST[:PORT]" */
	const char *repo;
	bool insecure; /* TLS not verified */
	char *ca;      /* CAs from certs.d (with the system's), or NULL */
	size_t ca_len;
	char *cert, *key; /* a client certificate from certs.d */
	char *authz;	  /* "Authorization: ..." */
	bool basic_sent;  /* authz holds the Basic credentials */
	CURLcode last_cc; /* of the last request */
	/* progress of the transfer under way */
	const char *prog_status, *prog_id;
	int64_t prog_total, prog_base;
	struct timespec prog_last;
};

/* What a request sends. */
struct reg_req {
	const char *method; /* NULL: GET */
	const char *accept;
	const char *ctype;
	const char *range; /* "Range: bytes=N-" */
	const char *body;  /* in memory ... */
	size_t body_len;
	/* ... or streamed (chunked) */
	size_t (*read)(char *buf, size_t size, size_t n, void *arg);
	void *read_arg;
};

struct reg_resp {
	long status;
	char *body; /* in memory (manifests, config, errors) ... */
	size_t len, max;
	int fd; /* ... or to a file (layers), hashed */
	EVP_MD_CTX *md;
	int64_t got;  /* bytes written to fd */
	bool restart; /* a ranged request answered 200: start the file again */
	bool write_failed;
	char *ctype, *www_auth, *location, *digest;
};

static void reg_resp_reset(struct reg_resp *r)
{
	free(r->body);
	free(r->ctype);
	free(r->www_auth);
	free(r->location);
	free(r->digest);
	r->body = r->ctype = r->www_auth = r->location = r->digest = NULL;
	r->len = 0;
	r->status = 0;
	r->write_failed = false;
}

static void reg_resp_done(struct reg_resp *r)
{
	reg_resp_reset(r);
	EVP_MD_CTX_free(r->md);
	*r = (struct reg_resp){.fd = -1};
}

static void reg_send(const struct reg_opts *o, json_t *m)
{
	if (o->progress)
		o->progress(o->progress_arg, m);
	else
		json_decref(m);
}

static void reg_status(const struct reg_opts *o, const char *status, const char *id)
{
	json_t *m = json_pack("{s:s}", "status", status);

	if (id) {
		json_object_set_new(m, "progressDetail", json_object());
		json_object_set_new(m, "id", json_string(id));
	}
	reg_send(o, m);
}

static void reg_statusf(const struct reg_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reg_statusf(const struct reg_opts *o, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		reg_status(o, s, NULL);
	free(s);
}

/* Docker's units for sizes in progress bars (1000-based). */
static void reg_human(int64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.3g%s" : "%.0f%s", v, units[u]);
}

/* A "Downloading"/"Pushing"/"Extracting" message with Docker's bar. */
static void reg_progress_msg(const struct reg_opts *o, const char *status, const char *id,
			     int64_t cur, int64_t total)
{
	char bar[51], a[16], b[16];
	_cleanup_free_ char *p = NULL;
	int64_t fill;

	if (cur > total && total > 0) /* (gzip of incompressible data is larger) */
		cur = total;
	fill = total > 0 ? cur * 50 / total : 0;

	if (fill > 50)
		fill = 50;
	for (int i = 0; i < 50; i++)
		bar[i] = i < fill ? '=' : ' ';
	if (fill < 50)
		bar[fill] = '>';
	bar[50] = 0;
	reg_human(cur, a, sizeof(a));
	reg_human(total, b, sizeof(b));
	p = total > 0 ? xasprintf("[%s] %8s/%s", bar, a, b) : xasprintf("%8s", a);
	reg_send(o, json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", status, "progressDetail",
			      "current", (json_int_t)cur, "total", (json_int_t)total, "progress", p,
			      "id", id));
}

static size_t reg_write(char *p, size_t size, size_t n, void *arg)
{
	struct reg_resp *r = arg;
	size_t add = size * n;

	if (r->fd >= 0 && r->status / 100 == 2) {
		if (r->restart) { /* a ranged request answered with the whole blob */
			r->restart = false;
			if (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0 ||
			    !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL)) {
				r->write_failed = true;
				return 0;
			}
			r->got = 0;
		}
		for (size_t off = 0; off < add;) {
			ssize_t w = write(r->fd, p + off, add - off);

			if (w <= 0) {
				r->write_failed = true;
				return 0;
			}
			off += (size_t)w;
		}
		EVP_DigestUpdate(r->md, p, add);
		r->got += (int64_t)add;
		return add;
	}
	if (r->len + add > r->max)
		return 0;
	r->body = xrealloc(r->body, r->len + add + 1);
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = 0;
	return add;
}

static size_t reg_header(char *p, size_t size, size_t n, void *arg)
{
	struct reg_resp *r = arg;
	size_t len = size * n;
	_cleanup_free_ char *line = xstrndup(p, len);
	char *v, **field = NULL;

	if (strprefix(line, "HTTP/")) { /* (a new response: a redirect's follows) */
		r->status = strtol(line + strcspn(line, " "), NULL, 10);
		if (r->fd >= 0 && r->got > 0 && r->status == 200)
			r->restart = true;
		return len;
	}
	line[strcspn(line, "\r\n")] = 0;
	if (!(v = strchr(line, ':')))
		return len;
	*v++ = 0;
	v += strspn(v, " ");
	if (!strcasecmp(line, "Content-Type"))
		field = &r->ctype;
	else if (!strcasecmp(line, "WWW-Authenticate"))
		field = &r->www_auth;
	else if (!strcasecmp(line, "Location"))
		field = &r->location;
	else if (!strcasecmp(line, "Docker-Content-Digest"))
		field = &r->digest;
	if (field) {
		free(*field);
		*field = xstrdup(v);
	}
	return len;
}

static int reg_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			curl_off_t ulnow)
{
	struct reg_http *h = arg;
	struct timespec now;
	int64_t cur;

	(void)dltotal;
	(void)ultotal;
	if (h->o->abort && atomic_load(h->o->abort))
		return 1;
	if (!h->prog_status)
		return 0;
	cur = h->prog_base + (int64_t)(ulnow ? ulnow : dlnow);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - h->prog_last.tv_sec) * 1000 +
		    (now.tv_nsec - h->prog_last.tv_nsec) / 1000000 <
	    100)
		return 0;
	h->prog_last = now;
	reg_progress_msg(h->o, h->prog_status, h->prog_id, cur, h->prog_total);
	return 0;
}

static bool reg_transient(CURLcode c)
{
	return c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
	       c == CURLE_OPERATION_TIMEDOUT || c == CURLE_GOT_NOTHING || c == CURLE_HTTP2 ||
	       c == CURLE_HTTP2_STREAM;
}

/* One request to url.  Errors only when no answer came (a status is an
 * answer); *ret_code the curl code. */
static int reg_perform(struct reg_http *h, const char *url, const struct reg_req *q,
		       struct reg_resp *r, CURLcode *ret_code, struct berr **err)
{
	struct curl_slist *hdrs = NULL;
	_cleanup_free_ char *ctype = q->ctype ? xasprintf("Content-Type: %s", q->ctype) : NULL;
	CURL *c = h->curl;
	CURLcode cc;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (q->accept)
		hdrs = curl_slist_append(hdrs, q->accept);
	if (h->authz)
		hdrs = curl_slist_append(hdrs, h->authz);
	if (ctype)
		hdrs = curl_slist_append(hdrs, ctype);
	if (q->range)
		hdrs = curl_slist_append(hdrs, q->range);
	if (q->read) {
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, q->read);
		curl_easy_setopt(c, CURLOPT_READDATA, q->read_arg);
	} else if (q->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
	} else if (q->method && !streq(q->method, "GET") && !streq(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (q->method && streq(q->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (q->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long)(!q->method || streq(q->method, "GET")));
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(h->o->timeout_s ? h->o->timeout_s : 30));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "berth");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reg_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reg_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, reg_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	if (h->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (h->ca) {
		struct curl_blob b = {.data = h->ca, .len = h->ca_len, .flags = CURL_BLOB_COPY};

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
	if (h->cert && h->key) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
	}
	cc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	*ret_code = h->last_cc = cc;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return berr_set(err, EINTR, "%s: the transfer was stopped", h->host);
	if (cc != CURLE_OK &&
	    !(cc == CURLE_WRITE_ERROR && r->status / 100 != 2 && !r->write_failed))
		return berr_set(err,
				r->write_failed		  ? EIO
				: cc == CURLE_WRITE_ERROR ? EPROTO
							  : EHOSTUNREACH,
				"%s: %s", h->host,
				r->write_failed		  ? "cannot write a downloaded blob"
				: cc == CURLE_WRITE_ERROR ? "answer too large"
							  : curl_easy_strerror(cc));
	return 0;
}

/* The value of key="..." in a WWW-Authenticate challenge (caller frees). */
static char *reg_challenge_param(const char *ch, const char *key)
{
	_cleanup_free_ char *pat = xasprintf("%s=\"", key);
	const char *p = strcasestr(ch, pat), *e;

	if (!p)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '"');
	return e ? xstrndup(p, (size_t)(e - p)) : NULL;
}

static char *reg_base64(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* The registry's own words for a failed request: "code: message" of its
 * first error, or NULL (caller frees). */
static char *reg_error_text(const struct reg_resp *r)
{
	_cleanup_json_ json_t *o = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	json_t *e = json_array_get(json_object_get(o, "errors"), 0);
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	_cleanup_free_ char *lc = code ? xstrdup(code) : NULL;

	if (!msg)
		return NULL;
	for (char *p = lc; p && *p; p++)
		*p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
	return lc ? xasprintf("%s: %s", lc, msg) : xstrdup(msg);
}

/* Credentials for a challenge: Basic (sent as they are) or Bearer (a
 * token from the realm, with the credentials when there are some). */
static int reg_authenticate(struct reg_http *h, const char *challenge, struct berr **err)
{
	const struct reg_auth *a = h->o->auth;
	bool creds = a && a->username && a->password;

	if (strncasecmp(challenge, "Basic", 5) == 0) {
		_cleanup_free_ char *up = NULL, *b = NULL;

		if (!creds || h->basic_sent)
			return berr_set(err, EACCES, "%s: unauthorized: %s", h->host,
					creds ? "incorrect username or password"
					      : "authentication required (docker login)");
		up = xasprintf("%s:%s", a->username, a->password);
		b = reg_base64(up);
		free(h->authz);
		h->authz = xasprintf("Authorization: Basic %s", b);
		h->basic_sent = true;
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6) != 0)
		return berr_set(err, EACCES, "%s: unsupported authentication: %s", h->host,
				challenge);
	if (a && a->registry_token) {
		if (h->authz && strstr(h->authz, a->registry_token))
			return berr_set(err, EACCES, "%s: unauthorized: the token was refused",
					h->host);
		free(h->authz);
		h->authz = xasprintf("Authorization: Bearer %s", a->registry_token);
		return 0;
	}

	_cleanup_free_ char *realm = reg_challenge_param(challenge, "realm");
	_cleanup_free_ char *service = reg_challenge_param(challenge, "service");
	_cleanup_free_ char *scope = reg_challenge_param(challenge, "scope");
	_cleanup_free_ char *url = NULL, *up = NULL;
	struct reg_resp r = {.fd = -1, .max = 1 << 20};
	struct reg_req q = {0};
	_cleanup_json_ json_t *o = NULL;
	const char *tok;
	CURLcode cc;
	char *esc, *u;
	int rc;

	if (!realm)
		return berr_set(err, EPROTO, "%s: a Bearer challenge without a realm", h->host);
	url = xstrdup(realm);
	const char *keys[] = {"service", "scope", "account"};
	const char *vals[] = {service, scope, creds ? a->username : NULL};

	for (size_t i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		esc = curl_easy_escape(h->curl, vals[i], 0);
		u = xasprintf("%s%s%s=%s", url, strchr(url, '?') ? "&" : "?", keys[i], esc);
		curl_free(esc);
		free(url);
		url = u;
	}
	free(h->authz);
	h->authz = NULL;
	if (creds) {
		_cleanup_free_ char *pair = xasprintf("%s:%s", a->username, a->password);
		_cleanup_free_ char *b = reg_base64(pair);

		h->authz = xasprintf("Authorization: Basic %s", b);
	}
	rc = reg_perform(h, url, &q, &r, &cc, err);
	free(h->authz);
	h->authz = NULL;
	if (rc == 0 && (r.status == 401 || r.status == 403))
		rc = berr_set(err, EACCES, "%s: unauthorized: %s", h->host,
			      creds ? "incorrect username or password"
				    : "authentication required (docker login)");
	else if (rc == 0 && r.status != 200)
		rc = berr_set(err, EACCES, "%s: no token from %s (HTTP %ld)", h->host, realm,
			      r.status);
	if (rc == 0) {
		o = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		tok = json_string_value(json_object_get(o, "token"));
		if (!tok)
			tok = json_string_value(json_object_get(o, "access_token"));
		if (!tok)
			rc = berr_set(err, EPROTO, "%s: the token answer has no token", realm);
		else
			h->authz = xasprintf("Authorization: Bearer %s", tok);
	}
	reg_resp_done(&r);
	return rc;
}

/* A request to the registry: path is under /v2/<repo>/ unless it is a
 * URL or starts with '/'.  A 401 is answered once with credentials (twice
 * for Basic then Bearer scopes); a transient failure of a download to a
 * file resumes where it stopped.  Any status is returned to the caller. */
static int reg_call(struct reg_http *h, const char *path, struct reg_req *q, struct reg_resp *r,
		    struct berr **err)
{
	_cleanup_free_ char *url = strstr(path, "://") ? xstrdup(path)
				   : path[0] == '/'
					   ? xasprintf("%s%s", h->base, path)
					   : xasprintf("%s/v2/%s/%s", h->base, h->repo, path);
	int auth_tries = 0, retries = 0, rc;
	CURLcode cc;

	for (;;) {
		_cleanup_free_ char *range = NULL;

		if (r->fd >= 0 && r->got > 0) {
			range = xasprintf("Range: bytes=%lld-", (long long)r->got);
			q->range = range;
		}
		h->prog_base = r->fd >= 0 ? r->got : 0;
		rc = reg_perform(h, url, q, r, &cc, err);
		q->range = NULL;
		if (rc < 0 && r->fd >= 0 && reg_transient(cc) && retries++ < REG_RETRIES &&
		    !q->read) {
			log_info("registry %s: %s after %lld bytes; resuming", h->host,
				 curl_easy_strerror(cc), (long long)r->got);
			reg_berr_clear(err);
			reg_resp_reset(r);
			continue;
		}
		if (rc < 0)
			return rc;
		if (r->status != 401 || !r->www_auth || auth_tries++ >= 2 || q->read)
			return 0;
		_cleanup_free_ char *ch = xstrdup(r->www_auth);

		if ((rc = reg_authenticate(h, ch, err)) < 0)
			return rc;
		if (r->fd >= 0 && (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0))
			return berr_set(err, errno, "cannot reuse a temp file: %m");
		r->got = 0;
		reg_resp_reset(r);
	}
}

/* An error for a status that is not the one wanted. */
static int reg_fail(struct reg_http *h, const struct reg_resp *r, const char *what,
		    struct berr **err)
{
	_cleanup_free_ char *words = reg_error_text(r);
	int code = r->status == 401 || r->status == 403 ? EACCES
		   : r->status == 404			? ENOENT
							: EPROTO;

	if (words)
		return berr_set(err, code, "%s: %s", what, words);
	return berr_set(err, code, "%s: %s answered HTTP %ld", what, h->host, r->status);
}

/* --- connecting --- */

static bool reg_host_is(const char *host, const char *want)
{
	size_t n = strlen(want);

	return strncmp(host, want, n) == 0 && (host[n] == 0 || host[n] == ':');
}

/* Insecure: listed (HOST[:PORT] or a CIDR holding its address),
 * 127.0.0.0/8 and localhost. */
static bool reg_is_insecure(const struct reg_opts *o, const char *host)
{
	_cleanup_free_ char *name = xstrdup(host);
	struct in_addr a;
	char *colon = strrchr(name, ':');

	if (colon && !strchr(name, ']') && colon == strchr(name, ':'))
		*colon = 0;
	if (reg_host_is(host, "localhost") ||
	    (inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127))
		return true;
	for (size_t i = 0; o->insecure && o->insecure[i]; i++) {
		const char *v = o->insecure[i];
		const char *slash = strchr(v, '/');

		if (streq(v, host) || streq(v, name))
			return true;
		if (slash && inet_pton(AF_INET, name, &a) == 1) {
			_cleanup_free_ char *net = xstrndup(v, (size_t)(slash - v));
			struct in_addr n;
			int bits = atoi(slash + 1);
			uint32_t mask = bits <= 0 ? 0 : bits >= 32 ? ~0u : ~0u << (32 - bits);

			if (inet_pton(AF_INET, net, &n) == 1 &&
			    (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask))
				return true;
		}
	}
	return false;
}

static char *reg_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 > cap)
			buf = xrealloc(buf, cap = cap * 2 + 8192);
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*ret_len = len;
	return buf;
}

static int reg_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* <certs_dir>/HOST[:PORT]/: *.crt added to the system's CAs, *.cert and
 * its *.key as the client certificate (Docker's layout). */
static int reg_load_certs(struct reg_http *h, struct berr **err)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	int rc = 0;

	if (!h->o->certs_dir)
		return 0;
	dir = xasprintf("%s/%s", h->o->certs_dir, h->host);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), reg_name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *nm = names[i];
		size_t l = strlen(nm);
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, nm);

		if (l > 4 && streq(nm + l - 4, ".crt")) {
			size_t len = 0;
			_cleanup_free_ char *pem = reg_read_file(path, &len);

			if (!pem) {
				rc = berr_set(err, errno, "cannot read %s: %m", path);
				break;
			}
			if (!h->ca) {
				h->ca = reg_read_file("/etc/ssl/certs/ca-certificates.crt",
						      &h->ca_len);
				if (!h->ca)
					h->ca_len = 0;
			}
			h->ca = xrealloc(h->ca, h->ca_len + len + 2);
			h->ca[h->ca_len++] = '\n';
			memcpy(h->ca + h->ca_len, pem, len);
			h->ca_len += len;
		} else if (l > 5 && streq(nm + l - 5, ".cert")) {
			_cleanup_free_ char *key = xasprintf("%s/%.*s.key", dir, (int)(l - 5), nm);

			if (access(key, R_OK) < 0) {
				rc = berr_set(err, ENOENT,
					      "missing key %.*s.key for client certificate %s "
					      "(in %s)",
					      (int)(l - 5), nm, nm, dir);
				break;
			}
			free(h->cert);
			free(h->key);
			h->cert = TAKE_PTR(path);
			h->key = TAKE_PTR(key);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void reg_http_done(struct reg_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->host);
	free(h->base);
	free(h->ca);
	free(h->cert);
	free(h->key);
	free(h->authz);
	*h = (struct reg_http){0};
}

/* Reach a registry: base "https://HOST" or a mirror's URL.  GET /v2/
 * tells whether it speaks TLS (an insecure one may answer over plain
 * http), and that it is a registry. */
static int reg_connect(struct reg_http *h, const struct reg_opts *o, const char *base,
		       const char *repo, struct berr **err)
{
	const char *hp = strstr(base, "://") + 3;
	struct reg_resp r = {.fd = -1, .max = 1 << 16};
	struct reg_req q = {0};
	_cleanup_free_ char *url = xasprintf("%s/v2/", base);
	CURLcode cc;
	int rc;

	*h = (struct reg_http){.o = o, .repo = repo};
	h->host = xstrdup(hp);
	h->base = xstrdup(base);
	h->insecure = reg_is_insecure(o, h->host);
	if (!(h->curl = curl_easy_init()))
		return berr_set(err, ENOMEM, "cannot make an HTTP client");
	if ((rc = reg_load_certs(h, err)) < 0)
		return rc;
	rc = reg_perform(h, url, &q, &r, &cc, err);
	if (rc < 0 && h->insecure && strprefix(base, "https://")) {
		/* not TLS: plain http, for an insecure registry */
		reg_berr_clear(err);
		reg_resp_reset(&r);
		free(h->base);
		free(url);
		h->base = xasprintf("http://%s", hp);
		url = xasprintf("%s/v2/", h->base);
		rc = reg_perform(h, url, &q, &r, &cc, err);
	}
	if (rc < 0) {
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
			reg_berr_clear(err);
			rc = berr_set(err, EACCES,
				      "%s: x509: the registry's certificate is not trusted (put "
				      "its CA in %s/%s/ca.crt, or run berthd with "
				      "--insecure-registry %s)",
				      h->host, o->certs_dir ? o->certs_dir : "certs.d", h->host,
				      h->host);
		} else if (cc == CURLE_SSL_CONNECT_ERROR && !h->insecure) {
			reg_berr_clear(err);
			rc = berr_set(err, EPROTO,
				      "%s: the TLS handshake failed (a registry speaking plain "
				      "HTTP needs berthd --insecure-registry %s)",
				      h->host, h->host);
		}
	} else if (r.status != 200 && r.status != 401) {
		rc = berr_set(err, EPROTO,
			      "%s: not a registry (GET /v2/ answered HTTP %ld; berth speaks the "
			      "Registry HTTP API v2)",
			      h->host, r.status);
	} else if (r.status == 401 && !h->authz) {
		_cleanup_free_ char *ch = xstrdup(r.www_auth ? r.www_auth : "Basic");

		/* (a login answers the challenge here; a pull or push when a
		 * request of theirs is refused, with its scope) */
		if (strncasecmp(ch, "Basic", 5) == 0 && o->auth && o->auth->username)
			rc = reg_authenticate(h, ch, err);
	}
	reg_resp_done(&r);
	return rc;
}

/* --- blobs a layer had (for pushes: skip or mount what a registry has) --- */

/* <blob_dir>/<diff id hex>.json: [{"digest", "size", "mediaType", "host",
 * "repo"}].  A cache: a stale entry costs one HEAD. */
static json_t *reg_blobsums_load(const struct reg_opts *o, const char *diff_id)
{
	_cleanup_free_ char *path = NULL;
	json_t *a;

	if (!o->blob_dir)
		return json_array();
	path = xasprintf("%s/%s.json", o->blob_dir, diff_id + 7);
	a = json_load_file(path, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

static void reg_blobsums_add(const struct reg_opts *o, const char *diff_id, const char *digest,
			     int64_t size, const char *host, const char *repo)
{
	_cleanup_json_ json_t *a = reg_blobsums_load(o, diff_id);
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	json_t *e;
	size_t i;

	if (!o->blob_dir)
		return;
	json_array_foreach (a, i, e)
		if (streq(json_string_value(json_object_get(e, "digest")) ?: "", digest) &&
		    streq(json_string_value(json_object_get(e, "host")) ?: "", host) &&
		    streq(json_string_value(json_object_get(e, "repo")) ?: "", repo))
			return;
	json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s, s:s}", "digest", digest, "size",
					   (json_int_t)size, "mediaType", REG_MT_LAYER, "host",
					   host, "repo", repo));
	while (json_array_size(a) > 16)
		json_array_remove(a, 0);
	mkdir(o->blob_dir, 0700);
	path = xasprintf("%s/%s.json", o->blob_dir, diff_id + 7);
	tmp = xasprintf("%s.%d.tmp", path, (int)gettid());
	if (json_dump_file(a, tmp, JSON_COMPACT) == 0 && rename(tmp, path) == 0)
		return;
	unlink(tmp);
}

/* --- pulling --- */

struct reg_layer_dl {
	char digest[TAR_DIGEST_LEN];  /* the blob */
	char diff_id[TAR_DIGEST_LEN]; /* what the config says it unpacks to */
	char short_id[13];
	int64_t size;
	int fd; /* the download, or -1 when the store has it */
};

struct reg_pulled {
	char *familiar, *host, *repo, *tag, *digest_ref;
	char mdigest[TAR_DIGEST_LEN];
	char *cfg;
	size_t cfg_len;
	struct reg_layer_dl *layers;
	size_t n;
};

void reg_pulled_free(struct reg_pulled *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->layers[i].fd >= 0)
			close(p->layers[i].fd);
	free(p->layers);
	free(p->familiar);
	free(p->host);
	free(p->repo);
	free(p->tag);
	free(p->digest_ref);
	free(p->cfg);
	free(p);
}

const char *reg_pulled_ref(const struct reg_pulled *p)
{
	return p->tag ? p->tag : p->digest_ref;
}

/* A manifest (by tag or digest), checked against the digest when one is
 * known; a list or index resolved to this platform's manifest. */
static int reg_manifest(struct reg_http *h, const char *familiar, const char *tag_or_digest,
			json_t **ret, char digest_out[TAR_DIGEST_LEN], struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("manifests/%s", tag_or_digest);
	struct reg_resp r = {.fd = -1, .max = REG_MANIFEST_MAX};
	struct reg_req q = {.accept = REG_ACCEPT};
	json_t *m = NULL, *list, *e;
	char digest[TAR_DIGEST_LEN];
	size_t i;
	int rc;

	if ((rc = reg_call(h, what, &q, &r, err)) < 0)
		goto out;
	if (r.status == 404) {
		rc = berr_set(err, ENOENT, "manifest for %s:%s not found: manifest unknown",
			      familiar, tag_or_digest);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		_cleanup_free_ char *words = reg_error_text(&r);

		rc = berr_set(err, EACCES,
			      "pull access denied for %s, repository does not exist or may "
			      "require 'docker login': %s",
			      familiar, words ? words : "denied");
		goto out;
	}
	if (r.status != 200) {
		rc = reg_fail(h, &r, familiar, err);
		goto out;
	}
	tar_digest(r.body ? r.body : "", r.len, digest);
	if (strprefix(tag_or_digest, "sha256:") && !streq(digest, tag_or_digest)) {
		rc = berr_set(err, EINVAL, "manifest %s: its content has digest %s", tag_or_digest,
			      digest);
		goto out;
	}
	m = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
	if (!json_is_object(m)) {
		rc = berr_set(err, EPROTO, "%s: the manifest is not JSON", h->host);
		goto out;
	}
	if (json_integer_value(json_object_get(m, "schemaVersion")) == 1) {
		rc = berr_set(err, EPROTO, "%s: schema 1 manifests are not supported", familiar);
		goto out;
	}
	list = json_object_get(m, "manifests");
	if (json_is_array(list)) {
		const char *pick = NULL;

		json_array_foreach (list, i, e) {
			json_t *pf = json_object_get(e, "platform");

			if (streq(json_string_value(json_object_get(pf, "os")) ?: "", "linux") &&
			    streq(json_string_value(json_object_get(pf, "architecture")) ?: "",
				  img_arch())) {
				pick = json_string_value(json_object_get(e, "digest"));
				break;
			}
		}
		if (!pick) {
			rc = berr_set(err, EINVAL,
				      "no matching manifest for linux/%s in the manifest list "
				      "entries of %s",
				      img_arch(), familiar);
			goto out;
		}
		_cleanup_free_ char *d = xstrdup(pick);

		json_decref(m);
		m = NULL;
		rc = reg_manifest(h, familiar, d, &m, digest, err);
		goto out;
	}
out:
	reg_resp_done(&r);
	if (rc < 0) {
		json_decref(m);
		return rc;
	}
	strcpy(digest_out, digest);
	*ret = m;
	return 0;
}

static int reg_blob_mem(struct reg_http *h, const char *digest, char **ret, size_t *ret_len,
			struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("blobs/%s", digest);
	struct reg_resp r = {.fd = -1, .max = REG_MANIFEST_MAX};
	struct reg_req q = {0};
	char got[TAR_DIGEST_LEN];
	int rc;

	if ((rc = reg_call(h, what, &q, &r, err)) == 0 && r.status != 200)
		rc = reg_fail(h, &r, digest, err);
	if (rc == 0) {
		tar_digest(r.body ? r.body : "", r.len, got);
		if (!streq(got, digest))
			rc = berr_set(err, EINVAL, "blob %s: its content has digest %s", digest,
				      got);
	}
	if (rc == 0) {
		*ret = r.body ? r.body : xstrdup("");
		*ret_len = r.len;
		r.body = NULL;
	}
	reg_resp_done(&r);
	return rc;
}

static void reg_md_hex(EVP_MD_CTX *md, char out[TAR_DIGEST_LEN])
{
	unsigned char b[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(md, b, &n);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", b[i]);
}

/* A layer blob into an unlinked temp file, checked against its digest; a
 * download cut short resumes (Range) where it stopped. */
static int reg_blob_file(struct reg_http *h, struct reg_layer_dl *l, struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("blobs/%s", l->digest);
	struct reg_resp r = {.max = 1 << 16};
	struct reg_req q = {0};
	char got[TAR_DIGEST_LEN];
	int rc;

	r.fd = open(h->o->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (r.fd < 0)
		return berr_set(err, errno, "cannot make a temp file in %s: %m", h->o->tmp_dir);
	r.md = EVP_MD_CTX_new();
	if (!r.md || !EVP_DigestInit_ex(r.md, EVP_sha256(), NULL))
		abort();
	h->prog_status = "Downloading";
	h->prog_id = l->short_id;
	h->prog_total = l->size;
	rc = reg_call(h, what, &q, &r, err);
	h->prog_status = NULL;
	if (rc == 0 && r.status != 200 && r.status != 206)
		rc = reg_fail(h, &r, l->digest, err);
	if (rc == 0) {
		reg_progress_msg(h->o, "Downloading", l->short_id, r.got, l->size);
		reg_status(h->o, "Verifying Checksum", l->short_id);
		reg_md_hex(r.md, got);
		if (!streq(got, l->digest))
			rc = berr_set(err, EINVAL,
				      "layer %s: the download has digest %s (truncated or corrupt)",
				      l->digest, got);
	}
	if (rc == 0 && lseek(r.fd, 0, SEEK_SET) < 0)
		rc = berr_set(err, errno, "cannot rewind a layer: %m");
	if (rc == 0) {
		l->fd = r.fd;
		r.fd = -1;
		reg_status(h->o, "Download complete", l->short_id);
	}
	if (r.fd >= 0)
		close(r.fd);
	reg_resp_done(&r);
	return rc;
}

static bool reg_store_has(struct img_store *is, const char *diff_id)
{
	bool has;

	img_read_lock(is);
	has = img_has_layer(is, diff_id);
	img_read_unlock(is);
	return has;
}

/* The manifest, config and missing layers of rf from the registry h. */
static int reg_fetch_from(struct reg_http *h, struct img_store *is, const struct reg_ref *rf,
			  struct reg_pulled *p, struct berr **err)
{
	_cleanup_json_ json_t *m = NULL, *cfg = NULL;
	json_t *layers, *diff, *l;
	const char *cd;
	size_t i;
	int rc;

	if ((rc = reg_manifest(h, rf->familiar, rf->digest ? rf->digest : rf->tag, &m, p->mdigest,
			       err)) < 0)
		return rc;
	layers = json_object_get(m, "layers");
	cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (!cd || !json_is_array(layers))
		return berr_set(err, EPROTO, "%s: the manifest has no config or layers",
				rf->familiar);
	if ((rc = reg_blob_mem(h, cd, &p->cfg, &p->cfg_len, err)) < 0)
		return rc;
	cfg = json_loadb(p->cfg, p->cfg_len, 0, NULL);
	diff = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(diff) || json_array_size(diff) != json_array_size(layers))
		return berr_set(err, EPROTO, "%s: the config does not name one diff id per layer",
				rf->familiar);
	{
		_cleanup_free_ char *what =
			xasprintf("Pulling from %s",
				  strprefix(rf->repo, "library/") ? rf->repo + 8 : rf->repo);

		reg_status(h->o, what, rf->tag ? rf->tag : rf->digest);
	}
	p->n = json_array_size(layers);
	p->layers = xcalloc(p->n ? p->n : 1, sizeof(*p->layers));
	json_array_foreach (layers, i, l) {
		struct reg_layer_dl *dl = &p->layers[i];
		const char *d = json_string_value(json_object_get(l, "digest"));
		const char *want = json_string_value(json_array_get(diff, i));

		dl->fd = -1;
		if (!d || !want || strlen(d) != TAR_DIGEST_LEN - 1 || !strprefix(d, "sha256:") ||
		    strlen(want) != TAR_DIGEST_LEN - 1 || !strprefix(want, "sha256:"))
			return berr_set(err, EPROTO, "%s: a layer without a sha256 digest",
					rf->familiar);
		strcpy(dl->digest, d);
		strcpy(dl->diff_id, want);
		dl->size = (int64_t)json_integer_value(json_object_get(l, "size"));
		snprintf(dl->short_id, sizeof(dl->short_id), "%.12s", d + 7);
	}
	for (i = 0; i < p->n; i++) {
		struct reg_layer_dl *dl = &p->layers[i];

		if (reg_store_has(is, dl->diff_id))
			reg_status(h->o, "Already exists", dl->short_id);
		else
			reg_status(h->o, "Pulling fs layer", dl->short_id);
	}
	for (i = 0; i < p->n; i++) {
		struct reg_layer_dl *dl = &p->layers[i];

		if (reg_store_has(is, dl->diff_id))
			continue;
		if ((rc = reg_blob_file(h, dl, err)) < 0)
			return rc;
	}
	return 0;
}

int reg_fetch(struct img_store *is, const char *ref, const struct reg_opts *o,
	      struct reg_pulled **ret, struct berr **err)
{
	struct reg_ref rf;
	struct reg_pulled *p;
	int rc;

	if ((rc = reg_ref_parse(ref, &rf, err)) < 0)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->familiar = xstrdup(rf.familiar);
	p->host = xstrdup(rf.host);
	p->repo = xstrdup(rf.repo);
	if (rf.tag)
		p->tag = xasprintf("%s:%s", rf.familiar, rf.tag);
	else
		p->digest_ref = xasprintf("%s@%s", rf.familiar, rf.digest);
	rc = -ENOENT;
	/* Docker Hub images: the mirrors first, in order */
	for (size_t i = 0; reg_ref_is_hub(&rf) && o->mirrors && o->mirrors[i]; i++) {
		_cleanup_berr_ struct berr *merr = NULL;
		struct reg_http h;

		rc = reg_connect(&h, o, o->mirrors[i], rf.repo, &merr);
		if (rc == 0)
			rc = reg_fetch_from(&h, is, &rf, p, &merr);
		reg_http_done(&h);
		if (rc == 0 || rc == -EINTR) {
			if (rc < 0)
				berr_set(err, EINTR, "%s", berr_msg(merr));
			break;
		}
		log_info("pull %s: mirror %s: %s; trying the next", ref, o->mirrors[i],
			 berr_msg(merr));
		for (size_t j = 0; j < p->n; j++)
			if (p->layers[j].fd >= 0)
				close(p->layers[j].fd);
		free(p->layers);
		p->layers = NULL;
		p->n = 0;
		free(p->cfg);
		p->cfg = NULL;
	}
	if (rc < 0 && rc != -EINTR) {
		_cleanup_free_ char *base = xasprintf("https://%s", rf.host);
		struct reg_http h;

		rc = reg_connect(&h, o, base, rf.repo, err);
		if (rc == 0)
			rc = reg_fetch_from(&h, is, &rf, p, err);
		reg_http_done(&h);
	}
	reg_ref_done(&rf);
	if (rc < 0) {
		reg_pulled_free(p);
		return rc;
	}
	*ret = p;
	return 0;
}

int reg_commit(struct img_store *is, struct reg_pulled *p, const struct reg_opts *o,
	       struct image **ret, struct berr **err)
{
	char(*made)[TAR_DIGEST_LEN] = NULL;
	size_t n_made = 0, i;
	struct image *img = NULL, *had = NULL;
	int rc = 0;

	if (p->tag && img_find(is, p->tag, &had, NULL) < 0)
		had = NULL;
	for (i = 0; i < p->n; i++) {
		struct reg_layer_dl *dl = &p->layers[i];
		char got[TAR_DIGEST_LEN];
		bool created = false;

		if (dl->fd < 0) {
			if (img_has_layer(is, dl->diff_id))
				continue;
			rc = berr_set(err, EAGAIN,
				      "layer %s was removed during the pull: pull again",
				      dl->diff_id);
			goto out;
		}
		reg_progress_msg(o, "Extracting", dl->short_id, 0, dl->size);
		rc = img_layer_add(is, dl->fd, got, &created, err);
		if (rc < 0)
			goto out;
		if (created) {
			made = xrealloc(made, (n_made + 1) * sizeof(*made));
			strcpy(made[n_made++], got);
		}
		if (!streq(got, dl->diff_id)) {
			rc = berr_set(err, EINVAL,
				      "layer %s: its content has diff id %s, the config says %s",
				      dl->digest, got, dl->diff_id);
			goto out;
		}
		reg_blobsums_add(o, dl->diff_id, dl->digest, dl->size, p->host, p->repo);
		reg_progress_msg(o, "Extracting", dl->short_id, dl->size, dl->size);
		reg_status(o, "Pull complete", dl->short_id);
	}
	if ((rc = img_add_config(is, p->cfg, p->cfg_len, &img, err)) < 0)
		goto out;
	if (p->tag && (rc = img_tag(is, img, p->tag, err)) < 0)
		goto out;
	{
		_cleanup_free_ char *rd = xasprintf("%s@%s", p->familiar, p->mdigest);

		if ((rc = img_add_digest(is, img, rd, err)) < 0)
			goto out;
	}
	reg_statusf(o, "Digest: %s", p->mdigest);
	reg_statusf(o, "Status: %s for %s",
		    had == img ? "Image is up to date" : "Downloaded newer image",
		    reg_pulled_ref(p));
	*ret = img;
	n_made = 0; /* (the image holds them) */
out:
	for (i = n_made; i-- > 0;)
		img_layer_drop(is, made[i], true);
	free(made);
	return rc;
}

/* --- pushing --- */

void reg_push_item_done(struct reg_push_item *it)
{
	for (size_t i = 0; it->diff_ids && it->diff_ids[i]; i++) {
		free(it->diff_ids[i]);
		if (it->fds && it->fds[i] >= 0)
			close(it->fds[i]);
	}
	free(it->diff_ids);
	free(it->fds);
	free(it->tag);
	free(it->config);
	*it = (struct reg_push_item){0};
}

/* A layer's tar stream gzipped as curl reads it, hashed and counted.
 * Compression adapts per window of input: level 1, and stored blocks
 * (level 0: no CPU spent) after a window that did not shrink by 3 %, with
 * level 1 tried again every 8th window.  Decided by the input alone, so
 * the same layer always gives the same blob. */
#define REG_GZ_WINDOW (4u << 20)

struct reg_gz {
	int fd;
	off_t in_off; /* pread offset: the fd may be shared by two items */
	z_stream z;
	int level;
	unsigned stored_windows;
	uLong win_in, win_out; /* totals where the window began */
	unsigned char in[1 << 16];
	bool eof, done, failed;
	EVP_MD_CTX *md;
	int64_t out_bytes;
};

static size_t reg_gz_read(char *buf, size_t size, size_t n, void *arg)
{
	struct reg_gz *g = arg;
	size_t want = size * n;
	int zr;

	if (g->done || g->failed)
		return 0;
	g->z.next_out = (unsigned char *)buf;
	g->z.avail_out = (uInt)want;
	while (g->z.avail_out > 0) {
		if (g->z.avail_in == 0 && !g->eof && g->z.total_in - g->win_in >= REG_GZ_WINDOW &&
		    g->z.avail_out >= 64) {
			uLong in = g->z.total_in - g->win_in, out = g->z.total_out - g->win_out;
			int level = g->level;

			if (level == 1 && out * 100 > in * 97)
				level = 0;
			else if (level == 0 && ++g->stored_windows % 8 == 0)
				level = 1;
			if (level != g->level &&
			    deflateParams(&g->z, level, Z_DEFAULT_STRATEGY) == Z_OK)
				g->level = level;
			g->win_in = g->z.total_in;
			g->win_out = g->z.total_out;
		}
		if (g->z.avail_in == 0 && !g->eof) {
			ssize_t r = pread(g->fd, g->in, sizeof(g->in), g->in_off);

			if (r < 0) {
				g->failed = true;
				return CURL_READFUNC_ABORT;
			}
			g->in_off += r;
			g->eof = r == 0;
			g->z.next_in = g->in;
			g->z.avail_in = (uInt)r;
		}
		zr = deflate(&g->z, g->eof ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			g->done = true;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			g->failed = true;
			return CURL_READFUNC_ABORT;
		}
	}
	size_t got = want - g->z.avail_out;

	EVP_DigestUpdate(g->md, buf, got);
	g->out_bytes += (int64_t)got;
	return got;
}

/* The upload URL from a Location (relative ones made absolute), with
 * extra query text appended. */
static char *reg_location(struct reg_http *h, const char *loc, const char *add)
{
	_cleanup_free_ char *abs =
		strstr(loc, "://") ? xstrdup(loc) : xasprintf("%s%s", h->base, loc);

	if (!add)
		return TAKE_PTR(abs);
	return xasprintf("%s%s%s", abs, strchr(abs, '?') ? "&" : "?", add);
}

/* POST blobs/uploads/ (with ?mount=&from= when given): 201 (mounted) or
 * 202 with the upload's location. */
static int reg_upload_start(struct reg_http *h, const char *mount, const char *from,
			    long *ret_status, char **ret_loc, struct berr **err)
{
	_cleanup_free_ char *path = NULL;
	struct reg_resp r = {.fd = -1, .max = 1 << 16};
	struct reg_req q = {.method = "POST"};
	int rc;

	if (mount) {
		char *esc = curl_easy_escape(h->curl, from, 0);

		path = xasprintf("blobs/uploads/?mount=%s&from=%s", mount, esc);
		curl_free(esc);
	} else {
		path = xstrdup("blobs/uploads/");
	}
	rc = reg_call(h, path, &q, &r, err);
	if (rc == 0 && r.status != 201 && r.status != 202)
		rc = reg_fail(h, &r, "cannot start an upload", err);
	if (rc == 0 && r.status == 202 && !r.location)
		rc = berr_set(err, EPROTO, "%s: an upload without a Location", h->host);
	if (rc == 0) {
		*ret_status = r.status;
		*ret_loc = r.location ? reg_location(h, r.location, NULL) : NULL;
	}
	reg_resp_done(&r);
	return rc;
}

static int reg_blob_exists(struct reg_http *h, const char *digest, bool *ret, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("blobs/%s", digest);
	struct reg_resp r = {.fd = -1, .max = 1 << 16};
	struct reg_req q = {.method = "HEAD"};
	int rc = reg_call(h, path, &q, &r, err);

	*ret = rc == 0 && r.status == 200;
	if (rc == 0 && r.status != 200 && r.status != 404)
		rc = reg_fail(h, &r, digest, err);
	reg_resp_done(&r);
	return rc;
}

/* A small blob (the config) in one PUT. */
static int reg_put_blob(struct reg_http *h, const char *data, size_t len, const char *digest,
			struct berr **err)
{
	_cleanup_free_ char *loc = NULL, *url = NULL, *dq = NULL;
	struct reg_resp r = {.fd = -1, .max = 1 << 16};
	struct reg_req q = {.method = "PUT",
			    .ctype = "application/octet-stream",
			    .body = data,
			    .body_len = len};
	bool has = false;
	long st = 0;
	int rc;

	if ((rc = reg_blob_exists(h, digest, &has, err)) < 0 || has)
		return rc;
	if ((rc = reg_upload_start(h, NULL, NULL, &st, &loc, err)) < 0)
		return rc;
	dq = xasprintf("digest=%s", digest);
	url = reg_location(h, loc, dq);
	rc = reg_call(h, url, &q, &r, err);
	if (rc == 0 && r.status != 201)
		rc = reg_fail(h, &r, "cannot upload the image config", err);
	reg_resp_done(&r);
	return rc;
}

/* Upload one layer: skipped when the registry has a blob of it, mounted
 * from another repository of it when it has one there, else gzipped up in
 * one chunked PATCH and closed with PUT ?digest=. */
static int reg_push_layer(struct reg_http *h, const char *diff_id, int fd,
			  char ret_digest[TAR_DIGEST_LEN], int64_t *ret_size, struct berr **err)
{
	_cleanup_json_ json_t *known = reg_blobsums_load(h->o, diff_id);
	_cleanup_free_ char *loc = NULL, *url = NULL, *dq = NULL;
	char short_id[13];
	struct reg_gz *g = NULL;
	struct stat st;
	json_t *e;
	size_t i;
	long status = 0;
	int rc;

	snprintf(short_id, sizeof(short_id), "%.12s", diff_id + 7);
	json_array_foreach (known, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *host = json_string_value(json_object_get(e, "host"));
		const char *repo = json_string_value(json_object_get(e, "repo"));
		bool has = false;

		if (!d || !host || !repo || !streq(host, h->host))
			continue;
		if (streq(repo, h->repo)) {
			if ((rc = reg_blob_exists(h, d, &has, err)) < 0)
				return rc;
			if (!has)
				continue;
			reg_status(h->o, "Layer already exists", short_id);
		} else {
			_cleanup_free_ char *l = NULL;

			if ((rc = reg_upload_start(h, d, repo, &status, &l, err)) < 0)
				return rc;
			if (status != 201) { /* (an upload was started instead) */
				if (!loc)
					loc = TAKE_PTR(l);
				continue;
			}
			_cleanup_free_ char *msg = xasprintf("Mounted from %s", repo);

			reg_status(h->o, msg, short_id);
		}
		strcpy(ret_digest, d);
		*ret_size = (int64_t)json_integer_value(json_object_get(e, "size"));
		return 0;
	}
	if (!loc && (rc = reg_upload_start(h, NULL, NULL, &status, &loc, err)) < 0)
		return rc;
	g = xcalloc(1, sizeof(*g));
	g->fd = fd;
	g->level = 1;
	g->md = EVP_MD_CTX_new();
	if (!g->md || !EVP_DigestInit_ex(g->md, EVP_sha256(), NULL) ||
	    deflateInit2(&g->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	{
		struct reg_resp r = {.fd = -1, .max = 1 << 16};
		struct reg_req q = {.method = "PATCH",
				    .ctype = "application/octet-stream",
				    .read = reg_gz_read,
				    .read_arg = g};

		h->prog_status = "Pushing";
		h->prog_id = short_id;
		h->prog_total = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
		rc = reg_call(h, loc, &q, &r, err);
		h->prog_status = NULL;
		if (rc == 0 && g->failed)
			rc = berr_set(err, EIO, "cannot read layer %s", diff_id);
		if (rc == 0 && r.status != 202)
			rc = reg_fail(h, &r, "cannot upload a layer", err);
		if (rc == 0 && r.location) {
			free(loc);
			loc = reg_location(h, r.location, NULL);
		}
		reg_resp_done(&r);
	}
	if (rc == 0) {
		struct reg_resp r = {.fd = -1, .max = 1 << 16};
		struct reg_req q = {.method = "PUT"};

		reg_md_hex(g->md, ret_digest);
		*ret_size = g->out_bytes;
		dq = xasprintf("digest=%s", ret_digest);
		url = reg_location(h, loc, dq);
		rc = reg_call(h, url, &q, &r, err);
		if (rc == 0 && r.status != 201)
			rc = reg_fail(h, &r, "cannot finish a layer upload", err);
		reg_resp_done(&r);
	}
	deflateEnd(&g->z);
	EVP_MD_CTX_free(g->md);
	free(g);
	if (rc < 0)
		return rc;
	reg_blobsums_add(h->o, diff_id, ret_digest, *ret_size, h->host, h->repo);
	reg_status(h->o, "Pushed", short_id);
	return 0;
}

/* One tag: its layers, its config, its manifest. */
static int reg_push_one(struct reg_http *h, const struct reg_ref *rf, struct reg_push_item *it,
			json_t *done, struct berr **err)
{
	_cleanup_json_ json_t *m = NULL, *ls = json_array();
	_cleanup_free_ char *doc = NULL, *path = NULL, *line = NULL;
	char cdigest[TAR_DIGEST_LEN], mdigest[TAR_DIGEST_LEN];
	size_t n = 0;
	int rc;

	while (it->diff_ids[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		char sid[13];

		snprintf(sid, sizeof(sid), "%.12s", it->diff_ids[i] + 7);
		reg_status(h->o, "Preparing", sid);
	}
	for (size_t i = n; i-- > 0;) {
		json_t *have = json_object_get(done, it->diff_ids[i]);
		char d[TAR_DIGEST_LEN];
		int64_t size = 0;

		if (have) {
			char sid[13];

			snprintf(sid, sizeof(sid), "%.12s", it->diff_ids[i] + 7);
			reg_status(h->o, "Layer already exists", sid);
			continue;
		}
		if ((rc = reg_push_layer(h, it->diff_ids[i], it->fds[i], d, &size, err)) < 0)
			return rc;
		json_object_set_new(done, it->diff_ids[i],
				    json_pack("{s:s, s:I, s:s}", "mediaType", REG_MT_LAYER, "size",
					      (json_int_t)size, "digest", d));
	}
	for (size_t i = 0; i < n; i++)
		json_array_append(ls, json_object_get(done, it->diff_ids[i]));
	tar_digest(it->config, it->config_len, cdigest);
	if ((rc = reg_put_blob(h, it->config, it->config_len, cdigest, err)) < 0)
		return rc;
	m = json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:O}", "schemaVersion", 2, "mediaType",
		      REG_MT_V2, "config", "mediaType", REG_MT_CONFIG, "size",
		      (json_int_t)it->config_len, "digest", cdigest, "layers", ls);
	doc = json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	tar_digest(doc, strlen(doc), mdigest);
	path = xasprintf("manifests/%s", it->tag);
	{
		struct reg_resp r = {.fd = -1, .max = 1 << 16};
		struct reg_req q = {
			.method = "PUT", .ctype = REG_MT_V2, .body = doc, .body_len = strlen(doc)};

		rc = reg_call(h, path, &q, &r, err);
		if (rc == 0 && r.status != 201)
			rc = reg_fail(h, &r, "the registry refused the manifest", err);
		reg_resp_done(&r);
		if (rc < 0)
			return rc;
	}
	strcpy(it->digest, mdigest);
	reg_statusf(h->o, "%s: digest: %s size: %zu", it->tag, mdigest, strlen(doc));
	reg_send(h->o, json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag",
				 it->tag, "Digest", mdigest, "Size", (json_int_t)strlen(doc)));
	(void)rf;
	return 0;
}

int reg_push(const char *ref, struct reg_push_item *items, size_t n, const struct reg_opts *o,
	     struct berr **err)
{
	_cleanup_json_ json_t *done = json_object();
	_cleanup_free_ char *base = NULL;
	struct reg_ref rf;
	struct reg_http h;
	int rc;

	if ((rc = reg_ref_parse(ref, &rf, err)) < 0)
		return rc;
	base = xasprintf("https://%s", rf.host);
	{
		_cleanup_free_ char *what = xasprintf("The push refers to repository [%s]",
						      reg_ref_is_hub(&rf) ? rf.repo : rf.familiar);

		reg_status(o, what, NULL);
	}
	rc = reg_connect(&h, o, base, rf.repo, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = reg_push_one(&h, &rf, &items[i], done, err);
	if (rc < 0 && (rc == -EACCES))
		berr_wrap(err, "push to %s", rf.familiar);
	reg_http_done(&h);
	reg_ref_done(&rf);
	return rc;
}

/* --- login --- */

int reg_login(const struct reg_auth *a, const struct reg_opts *o, struct berr **err)
{
	_cleanup_free_ char *host = NULL, *base = NULL;
	struct reg_opts lo = *o;
	struct reg_resp r = {.fd = -1, .max = 1 << 16};
	struct reg_req q = {0};
	struct reg_http h;
	const char *s = a->server && *a->server ? a->server : REG_HUB_KEY;
	int rc;

	if (!a->username || !a->password)
		return berr_set(err, EINVAL, "a username and a password are needed to log in");
	if (strprefix(s, "https://"))
		s += 8;
	else if (strprefix(s, "http://"))
		s += 7;
	host = xstrndup(s, strcspn(s, "/"));
	if (streq(host, "index.docker.io") || streq(host, "docker.io"))
		strcpy(host, REG_DOCKER_HUB);
	if (!*host)
		return berr_set(err, EINVAL, "invalid server address: %s", a->server);
	base = xasprintf("https://%s", host);
	lo.auth = a;
	if ((rc = reg_connect(&h, &lo, base, "", err)) < 0)
		goto out;
	/* the challenge of /v2/: Basic was answered by reg_connect; Bearer
	 * gets a token for no scope with the credentials */
	rc = reg_call(&h, "/v2/", &q, &r, err);
	if (rc == 0 && r.status != 200)
		rc = berr_set(err, EACCES, "login attempt to %s/v2/ failed with status: %ld %s",
			      h.base, r.status, r.status == 401 ? "Unauthorized" : "");
out:
	reg_resp_done(&r);
	reg_http_done(&h);
	return rc;
}
