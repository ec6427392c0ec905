/* registry.c - pulling from a Docker Registry HTTP API v2 (see registry.h).
 * One libcurl handle per pull; a 401 with a Bearer challenge gets an
 * anonymous token from the realm and the request is made again.  Blobs are
 * downloaded to unlinked temp files, hashed on the way, and only then
 * handed to the layer store (which decompresses them and computes the diff
 * id the image config must name). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "core/util.h"
#include "runtime/registry.h"
#include "runtime/tar.h"

#define REG_DOCKER_HUB "registry-1.docker.io"
#define REG_ACCEPT                                                                                 \
	"Accept: application/vnd.docker.distribution.manifest.v2+json, "                           \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
#define REG_MANIFEST_MAX (4 << 20)

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

/* --- HTTP --- */

struct reg_http {
	CURL *curl;
	const struct reg_ref *ref;
	const struct reg_opts *o;
	const char *scheme;
	char *token; /* "Authorization: Bearer ..." */
};

struct reg_resp {
	long status;
	char *body; /* in memory (manifests, config, errors) ... */
	size_t len, max;
	int fd; /* ... or to a file (layers), hashed */
	EVP_MD_CTX *md;
	bool write_failed;
	char *ctype, *www_auth;
};

static void reg_resp_done(struct reg_resp *r)
{
	free(r->body);
	free(r->ctype);
	free(r->www_auth);
	EVP_MD_CTX_free(r->md);
	*r = (struct reg_resp){.fd = -1};
}

static size_t reg_write(char *p, size_t size, size_t n, void *arg)
{
	struct reg_resp *r = arg;
	size_t add = size * n;

	if (r->fd >= 0 && r->status / 100 == 2) {
		for (size_t off = 0; off < add;) {
			ssize_t w = write(r->fd, p + off, add - off);

			if (w <= 0) {
				r->write_failed = true;
				return 0;
			}
			off += (size_t)w;
		}
		EVP_DigestUpdate(r->md, p, add);
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
	char *v;

	if (strprefix(line, "HTTP/")) { /* (a new response: a redirect's follows) */
		r->status = strtol(line + strcspn(line, " "), NULL, 10);
		return len;
	}
	line[strcspn(line, "\r\n")] = 0;
	if (!(v = strchr(line, ':')))
		return len;
	*v++ = 0;
	v += strspn(v, " ");
	if (!strcasecmp(line, "Content-Type")) {
		free(r->ctype);
		r->ctype = xstrdup(v);
	} else if (!strcasecmp(line, "WWW-Authenticate")) {
		free(r->www_auth);
		r->www_auth = xstrdup(v);
	}
	return len;
}

static int reg_perform(struct reg_http *h, const char *url, const char *accept, struct reg_resp *r,
		       struct berr **err)
{
	struct curl_slist *hdrs = NULL;
	CURLcode c;

	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	if (accept)
		hdrs = curl_slist_append(hdrs, accept);
	if (h->token)
		hdrs = curl_slist_append(hdrs, h->token);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME,
			 (long)(h->o->timeout_s ? h->o->timeout_s : 30));
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "berth");
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, reg_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, reg_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, r);
	c = curl_easy_perform(h->curl);
	curl_slist_free_all(hdrs);
	if (c != CURLE_OK && !(c == CURLE_WRITE_ERROR && r->status / 100 != 2 && !r->write_failed))
		return berr_set(err,
				c == CURLE_WRITE_ERROR && !r->write_failed ? EPROTO : EHOSTUNREACH,
				"%s: %s", h->ref->host,
				r->write_failed		 ? "cannot write a downloaded blob"
				: c == CURLE_WRITE_ERROR ? "answer too large"
							 : curl_easy_strerror(c));
	return 0;
}

/* The value of key="..." in a WWW-Authenticate challenge (caller frees). */
static char *reg_challenge_param(const char *ch, const char *key)
{
	_cleanup_free_ char *pat = xasprintf("%s=\"", key);
	const char *p = strstr(ch, pat), *e;

	if (!p)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '"');
	return e ? xstrndup(p, (size_t)(e - p)) : NULL;
}

/* An anonymous bearer token for the challenge. */
static int reg_token(struct reg_http *h, const char *challenge, struct berr **err)
{
	_cleanup_free_ char *realm = reg_challenge_param(challenge, "realm");
	_cleanup_free_ char *service = reg_challenge_param(challenge, "service");
	_cleanup_free_ char *scope = reg_challenge_param(challenge, "scope");
	_cleanup_free_ char *url = NULL;
	struct reg_resp r = {.fd = -1, .max = 1 << 20};
	_cleanup_json_ json_t *o = NULL;
	const char *tok;
	char *esc;
	int rc;

	if (!strprefix(challenge, "Bearer ") || !realm)
		return berr_set(err, EACCES,
				"%s wants credentials (%s): berth cannot log in to registries yet",
				h->ref->host, challenge);
	if (service) {
		esc = curl_easy_escape(h->curl, service, 0);
		url = xasprintf("%s%sservice=%s", realm, strchr(realm, '?') ? "&" : "?", esc);
		curl_free(esc);
	} else {
		url = xstrdup(realm);
	}
	if (scope) {
		char *u;

		esc = curl_easy_escape(h->curl, scope, 0);
		u = xasprintf("%s%sscope=%s", url, strchr(url, '?') ? "&" : "?", esc);
		curl_free(esc);
		free(url);
		url = u;
	}
	free(h->token);
	h->token = NULL;
	rc = reg_perform(h, url, NULL, &r, err);
	if (rc == 0 && r.status != 200)
		rc = berr_set(err, EACCES, "%s: no token from %s (HTTP %ld)", h->ref->host, realm,
			      r.status);
	if (rc == 0) {
		o = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		tok = json_string_value(json_object_get(o, "token"));
		if (!tok)
			tok = json_string_value(json_object_get(o, "access_token"));
		if (!tok)
			rc = berr_set(err, EPROTO, "%s: the token answer has no token", realm);
		else
			h->token = xasprintf("Authorization: Bearer %s", tok);
	}
	reg_resp_done(&r);
	return rc;
}

/* GET /v2/<repo>/<what>, a token fetched when the registry asks for one. */
static int reg_get(struct reg_http *h, const char *what, const char *accept, struct reg_resp *r,
		   struct berr **err)
{
	_cleanup_free_ char *url =
		xasprintf("%s://%s/v2/%s/%s", h->scheme, h->ref->host, h->ref->repo, what);
	int rc;

	for (int attempt = 0;; attempt++) {
		if ((rc = reg_perform(h, url, accept, r, err)) < 0)
			return rc;
		if (r->status != 401 || attempt || !r->www_auth)
			break;
		if ((rc = reg_token(h, r->www_auth, err)) < 0)
			return rc;
		if (r->fd >= 0 && (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0))
			return berr_set(err, errno, "cannot reuse a temp file: %m");
		free(r->body);
		r->body = NULL;
		r->len = 0;
	}
	if (r->status == 401 || r->status == 403)
		return berr_set(err, EACCES,
				"pull access denied for %s, repository does not exist or may "
				"require 'docker login'",
				h->ref->familiar);
	if (r->status == 404)
		return berr_set(err, ENOENT, "manifest for %s:%s not found: manifest unknown",
				h->ref->familiar, h->ref->tag ? h->ref->tag : h->ref->digest);
	if (r->status != 200)
		return berr_set(err, EPROTO, "%s: GET %s: HTTP %ld", h->ref->host, what, r->status);
	return 0;
}

/* --- pulling --- */

static bool reg_insecure(const struct reg_opts *o, const char *host)
{
	if (strprefix(host, "127.") || strprefix(host, "localhost"))
		return true;
	for (size_t i = 0; o->insecure && o->insecure[i]; i++)
		if (streq(o->insecure[i], host))
			return true;
	return false;
}

static void reg_log(json_t *log, const char *status, const char *id)
{
	json_t *m = json_pack("{s:s}", "status", status);

	if (id)
		json_object_set_new(m, "id", json_string(id));
	json_array_append_new(log, m);
}

static void reg_logf(json_t *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reg_logf(json_t *log, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		reg_log(log, s, NULL);
	free(s);
}

/* A manifest (by tag or digest), checked against the digest when one is
 * known; a list or index resolved to this platform's manifest. */
static int reg_manifest(struct reg_http *h, const char *tag_or_digest, json_t **ret,
			char digest_out[TAR_DIGEST_LEN], struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("manifests/%s", tag_or_digest);
	struct reg_resp r = {.fd = -1, .max = REG_MANIFEST_MAX};
	json_t *m = NULL, *list, *e;
	const char *mt;
	char digest[TAR_DIGEST_LEN];
	size_t i;
	int rc;

	if ((rc = reg_get(h, what, REG_ACCEPT, &r, err)) < 0)
		goto out;
	tar_digest(r.body ? r.body : "", r.len, digest);
	if (strprefix(tag_or_digest, "sha256:") && !streq(digest, tag_or_digest)) {
		rc = berr_set(err, EINVAL, "manifest %s: its content has digest %s", tag_or_digest,
			      digest);
		goto out;
	}
	m = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
	mt = json_string_value(json_object_get(m, "mediaType"));
	if (!mt && r.ctype)
		mt = r.ctype;
	if (!json_is_object(m)) {
		rc = berr_set(err, EPROTO, "%s: the manifest is not JSON", h->ref->host);
		goto out;
	}
	if (json_integer_value(json_object_get(m, "schemaVersion")) == 1) {
		rc = berr_set(err, EPROTO, "%s: schema 1 manifests are not supported",
			      h->ref->familiar);
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
				      img_arch(), h->ref->familiar);
			goto out;
		}
		_cleanup_free_ char *d = xstrdup(pick);

		json_decref(m);
		m = NULL;
		reg_resp_done(&r);
		rc = reg_manifest(h, d, &m, digest, err);
		goto out;
	}
	(void)mt;
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
	char got[TAR_DIGEST_LEN];
	int rc;

	if ((rc = reg_get(h, what, NULL, &r, err)) == 0) {
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

/* A layer blob into an unlinked temp file, checked against its digest. */
static int reg_blob_file(struct reg_http *h, const char *digest, int *ret_fd, struct berr **err)
{
	_cleanup_free_ char *what = xasprintf("blobs/%s", digest);
	struct reg_resp r = {.max = 1 << 16};
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[TAR_DIGEST_LEN] = "sha256:";
	unsigned n = 0;
	int rc;

	r.fd = open(h->o->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (r.fd < 0)
		return berr_set(err, errno, "cannot make a temp file in %s: %m", h->o->tmp_dir);
	r.md = EVP_MD_CTX_new();
	if (!r.md || !EVP_DigestInit_ex(r.md, EVP_sha256(), NULL))
		abort();
	rc = reg_get(h, what, NULL, &r, err);
	if (rc == 0) {
		EVP_DigestFinal_ex(r.md, md, &n);
		for (unsigned i = 0; i < n; i++)
			sprintf(got + 7 + 2 * i, "%02x", md[i]);
		if (!streq(got, digest))
			rc = berr_set(err, EINVAL,
				      "layer %s: the download has digest %s (truncated or corrupt)",
				      digest, got);
	}
	if (rc == 0 && lseek(r.fd, 0, SEEK_SET) < 0)
		rc = berr_set(err, errno, "cannot rewind a layer: %m");
	if (rc == 0) {
		*ret_fd = r.fd;
		r.fd = -1;
	}
	if (r.fd >= 0)
		close(r.fd);
	reg_resp_done(&r);
	return rc;
}

int reg_pull(struct img_store *is, const char *ref, const struct reg_opts *o, struct image **ret,
	     json_t **ret_log, struct berr **err)
{
	struct reg_ref rf;
	struct reg_http h = {.o = o};
	_cleanup_json_ json_t *m = NULL, *cfg = NULL;
	json_t *log = json_array(), *layers, *diff, *l;
	_cleanup_free_ char *cfg_bytes = NULL, *tag = NULL;
	char(*made)[TAR_DIGEST_LEN] = NULL;
	size_t n_made = 0, cfg_len = 0, i;
	char mdigest[TAR_DIGEST_LEN];
	struct image *img = NULL;
	int rc;

	if ((rc = reg_ref_parse(ref, &rf, err)) < 0) {
		json_decref(log);
		return rc;
	}
	h.ref = &rf;
	h.scheme = reg_insecure(o, rf.host) ? "http" : "https";
	h.curl = curl_easy_init();
	if (!h.curl) {
		rc = berr_set(err, ENOMEM, "cannot make an HTTP client");
		goto out;
	}
	{
		_cleanup_free_ char *what = xasprintf("Pulling from %s", rf.familiar);

		reg_log(log, what, rf.tag ? rf.tag : rf.digest);
	}
	if ((rc = reg_manifest(&h, rf.digest ? rf.digest : rf.tag, &m, mdigest, err)) < 0)
		goto out;
	layers = json_object_get(m, "layers");
	{
		const char *cd =
			json_string_value(json_object_get(json_object_get(m, "config"), "digest"));

		if (!cd || !json_is_array(layers)) {
			rc = berr_set(err, EPROTO, "%s: the manifest has no config or layers",
				      rf.familiar);
			goto out;
		}
		if ((rc = reg_blob_mem(&h, cd, &cfg_bytes, &cfg_len, err)) < 0)
			goto out;
	}
	cfg = json_loadb(cfg_bytes, cfg_len, 0, NULL);
	diff = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(diff) || json_array_size(diff) != json_array_size(layers)) {
		rc = berr_set(err, EPROTO, "%s: the config does not name one diff id per layer",
			      rf.familiar);
		goto out;
	}
	json_array_foreach (layers, i, l) {
		const char *d = json_string_value(json_object_get(l, "digest"));
		const char *want = json_string_value(json_array_get(diff, i));
		char short_id[13] = "";
		char got[TAR_DIGEST_LEN];
		bool created = false;
		int fd = -1;

		if (!d || !want) {
			rc = berr_set(err, EPROTO, "%s: a layer without a digest", rf.familiar);
			goto out;
		}
		snprintf(short_id, sizeof(short_id), "%.12s", d + 7);
		if (img_has_layer(is, want)) {
			reg_log(log, "Already exists", short_id);
			continue;
		}
		reg_log(log, "Pulling fs layer", short_id);
		if ((rc = reg_blob_file(&h, d, &fd, err)) < 0)
			goto out;
		reg_log(log, "Download complete", short_id);
		rc = img_layer_add(is, fd, got, &created, err);
		close(fd);
		if (rc < 0)
			goto out;
		if (created) {
			made = xrealloc(made, (n_made + 1) * sizeof(*made));
			strcpy(made[n_made++], got);
		}
		if (!streq(got, want)) {
			rc = berr_set(err, EINVAL,
				      "layer %s: its content has diff id %s, the config says %s", d,
				      got, want);
			goto out;
		}
		reg_log(log, "Pull complete", short_id);
	}
	if ((rc = img_add_config(is, cfg_bytes, cfg_len, &img, err)) < 0)
		goto out;
	if (rf.tag) {
		tag = xasprintf("%s:%s", rf.familiar, rf.tag);
		if ((rc = img_tag(is, img, tag, err)) < 0)
			goto out;
	}
	reg_logf(log, "Digest: %s", mdigest);
	if (tag)
		reg_logf(log, "Status: Downloaded newer image for %s", tag);
	else
		reg_logf(log, "Status: Downloaded newer image for %s@%s", rf.familiar, rf.digest);
	*ret = img;
	n_made = 0; /* (the image holds them) */
out:
	for (i = n_made; i-- > 0;)
		img_layer_drop(is, made[i], true);
	free(made);
	free(h.token);
	if (h.curl)
		curl_easy_cleanup(h.curl);
	reg_ref_done(&rf);
	if (rc < 0) {
		json_decref(log);
		return rc;
	}
	*ret_log = log;
	return 0;
}
