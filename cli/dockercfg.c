/* dockercfg.c - the CLI's config file and its credentials (see
 * dockercfg.h): where it lives, loading and atomic saving, the keys
 * servers are stored under, and the X-Registry-Auth header built from
 * them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/dockercfg.h"
#include "core/util.h"

char *dockercfg_path(void)
{
	const char *dir = getenv("BERTH_CONFIG"), *home = getenv("HOME");

	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	if (home && *home)
		return xasprintf("%s/.berth/config.json", home);
	return NULL;
}

int dockercfg_load(const char *path, json_t **ret, struct berr **err)
{
	json_error_t jerr;
	json_t *o;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*ret = json_object();
		return 0;
	}
	o = json_load_file(path, 0, &jerr);
	if (!o && json_error_code(&jerr) == json_error_cannot_open_file)
		return berr_set(err, EACCES, "cannot read the config file %s: %s", path, jerr.text);
	if (!o)
		return berr_set(err, EINVAL, "cannot parse the config file %s: %s (line %d)", path,
				jerr.text, jerr.line);
	if (!json_is_object(o)) {
		json_decref(o);
		return berr_set(err, EINVAL, "cannot parse the config file %s: not a JSON object",
				path);
	}
	*ret = o;
	return 0;
}

/* mkdir -p dir, the directories made 0700. */
static int dockercfg_mkdirs(const char *dir, struct berr **err)
{
	_cleanup_free_ char *d = xstrdup(dir);

	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return berr_set(err, errno, "cannot make %s: %m", d);
		*p = '/';
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot make %s: %m", d);
	return 0;
}

/* Write all of s to fd, then sync it. */
static int dockercfg_write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

int dockercfg_save(const char *path, json_t *cfg, struct berr **err)
{
	_cleanup_free_ char *dir = xstrdup(path), *tmp = xasprintf("%s.XXXXXX", path);
	_cleanup_free_ char *text = json_dumps(cfg, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *body = text ? xasprintf("%s\n", text) : NULL;
	char *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (!body)
		return berr_set(err, ENOMEM, "cannot encode the config file %s", path);
	if (slash && slash != dir) {
		*slash = 0;
		if ((rc = dockercfg_mkdirs(dir, err)) < 0)
			return rc;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return berr_set(err, errno, "cannot write %s: %m", path);
	if (fchmod(fd, 0600) < 0 || dockercfg_write_all(fd, body) < 0)
		rc = berr_set(err, errno ? errno : EIO, "cannot write %s: %m", tmp);
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = berr_set(err, errno, "cannot write %s: %m", path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static bool dockercfg_is_hub(const char *host)
{
	return streq(host, "docker.io") || streq(host, "index.docker.io") ||
	       streq(host, "registry-1.docker.io");
}

/* server without its scheme. */
static const char *dockercfg_no_scheme(const char *server)
{
	if (strprefix(server, "https://"))
		return server + strlen("https://");
	if (strprefix(server, "http://"))
		return server + strlen("http://");
	return server;
}

char *dockercfg_key(const char *server)
{
	const char *s = dockercfg_no_scheme(server);
	_cleanup_free_ char *host = xstrndup(s, strcspn(s, "/"));
	size_t n = strlen(s);

	if (!*host || dockercfg_is_hub(host))
		return xstrdup(DOCKERCFG_HUB);
	while (n && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

char *dockercfg_hostname(const char *server)
{
	const char *s = dockercfg_no_scheme(server);
	char *host = xstrndup(s, strcspn(s, "/"));

	if (!*host || dockercfg_is_hub(host)) {
		free(host);
		return xstrdup(DOCKERCFG_HUB);
	}
	return host;
}

char *dockercfg_ref_server(const char *ref)
{
	const char *slash = strchr(ref, '/');
	_cleanup_free_ char *first = slash ? xstrndup(ref, (size_t)(slash - ref)) : NULL;

	if (!first || (!strpbrk(first, ".:") && !streq(first, "localhost")) ||
	    dockercfg_is_hub(first))
		return xstrdup(DOCKERCFG_HUB);
	return TAKE_PTR(first);
}

/* The entry for server: under its own key first, else the first key
 * with the same host; NULL if none. */
static json_t *dockercfg_find(json_t *cfg, const char *server, const char **ret_key)
{
	json_t *auths = json_object_get(cfg, "auths"), *v;
	_cleanup_free_ char *key = dockercfg_key(server), *want = dockercfg_hostname(server);
	const char *k;

	json_object_foreach (auths, k, v) {
		if (streq(k, key)) {
			*ret_key = k;
			return v;
		}
	}
	json_object_foreach (auths, k, v) {
		_cleanup_free_ char *h = dockercfg_hostname(k);

		if (streq(h, want)) {
			*ret_key = k;
			return v;
		}
	}
	return NULL;
}

/* "user:password" from an entry's base64 "auth" (or the separate
 * "username" and "password" fields some tools write).  1 found, 0 not. */
static int dockercfg_entry_creds(json_t *e, char **ret_user, char **ret_pass)
{
	const char *b = json_string_value(json_object_get(e, "auth"));
	_cleanup_free_ unsigned char *d = NULL;
	char *colon;
	int len;

	if (!b || !*b) {
		const char *u = json_string_value(json_object_get(e, "username"));
		const char *p = json_string_value(json_object_get(e, "password"));

		if (!u || !p)
			return 0;
		*ret_user = xstrdup(u);
		*ret_pass = xstrdup(p);
		return 1;
	}
	d = xmalloc(strlen(b) + 4);
	len = EVP_DecodeBlock(d, (const unsigned char *)b, (int)strlen(b));
	if (len <= 0)
		return 0;
	d[len] = 0; /* (padding decodes to NULs: the string ends there) */
	if (!(colon = strchr((char *)d, ':')))
		return 0;
	*ret_user = xstrndup((char *)d, (size_t)(colon - (char *)d));
	*ret_pass = xstrdup(colon + 1);
	return 1;
}

int dockercfg_get(json_t *cfg, const char *server, char **ret_user, char **ret_pass)
{
	const char *key;
	json_t *e = dockercfg_find(cfg, server, &key);

	return e ? dockercfg_entry_creds(e, ret_user, ret_pass) : 0;
}

void dockercfg_set(json_t *cfg, const char *server, const char *user, const char *pass)
{
	_cleanup_free_ char *key = dockercfg_key(server);
	_cleanup_free_ char *pair = xasprintf("%s:%s", user, pass);
	_cleanup_free_ char *b = xmalloc(4 * ((strlen(pair) + 2) / 3) + 1);
	json_t *auths;

	dockercfg_del(cfg, server);
	auths = json_object_get(cfg, "auths");
	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)pair, (int)strlen(pair));
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(cfg, "auths", auths);
	}
	json_object_set_new(auths, key, json_pack("{s:s}", "auth", b));
}

bool dockercfg_del(json_t *cfg, const char *server)
{
	const char *key = NULL;
	bool found = false;

	while (dockercfg_find(cfg, server, &key)) {
		json_object_del(json_object_get(cfg, "auths"), key);
		found = true;
	}
	return found;
}

char *dockercfg_encode_auth(json_t *o)
{
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;
	char *b = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)(s ? s : ""), (int)n);
	for (char *p = b; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return b;
}

int dockercfg_registry_auth(const char *server, char **ret, struct berr **err)
{
	_cleanup_free_ char *path = dockercfg_path(), *user = NULL, *pass = NULL;
	_cleanup_json_ json_t *cfg = NULL, *o = NULL;
	int r;

	if (!path) {
		*ret = NULL;
		return 0;
	}
	if ((r = dockercfg_load(path, &cfg, err)) < 0)
		return r;
	if (dockercfg_get(cfg, server, &user, &pass) != 1) {
		*ret = NULL;
		return 0;
	}
	o = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress",
		      server);
	*ret = dockercfg_encode_auth(o);
	return 0;
}
