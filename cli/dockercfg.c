/* dockercfg.c - the CLI's config file and its credentials (see
 * dockercfg.h). */
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
	if (!json_is_object(o)) {
		json_decref(o);
		return berr_set(err, EINVAL, "%s: not a JSON object (%s, line %d)", path, jerr.text,
				jerr.line);
	}
	*ret = o;
	return 0;
}

int dockercfg_save(const char *path, json_t *cfg, struct berr **err)
{
	_cleanup_free_ char *dir = xstrdup(path), *tmp = xasprintf("%s.XXXXXX", path);
	char *slash = strrchr(dir, '/');
	char *s;
	int fd, rc = 0;
	size_t len;

	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return berr_set(err, errno, "cannot make %s: %m", dir);
	}
	if ((fd = mkstemp(tmp)) < 0)
		return berr_set(err, errno, "cannot write %s: %m", path);
	s = json_dumps(cfg, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	len = s ? strlen(s) : 0;
	if (!s || fchmod(fd, 0600) < 0 || write(fd, s, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		rc = berr_set(err, errno ? errno : EIO, "cannot write %s: %m", tmp);
	free(s);
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

char *dockercfg_key(const char *server)
{
	const char *s = server;
	_cleanup_free_ char *host = NULL;
	size_t n;

	if (strprefix(s, "https://"))
		s += 8;
	else if (strprefix(s, "http://"))
		s += 7;
	host = xstrndup(s, strcspn(s, "/"));
	if (!*host || dockercfg_is_hub(host))
		return xstrdup(DOCKERCFG_HUB);
	n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
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

/* The host part of a key ("https://x:5000/v1/" -> "x:5000"). */
static char *dockercfg_host_of(const char *key)
{
	_cleanup_free_ char *k = dockercfg_key(key);

	if (streq(k, DOCKERCFG_HUB))
		return TAKE_PTR(k);
	return xstrndup(k, strcspn(k, "/"));
}

static json_t *dockercfg_find(json_t *cfg, const char *server, const char **ret_key)
{
	json_t *auths = json_object_get(cfg, "auths"), *v;
	_cleanup_free_ char *want = dockercfg_host_of(server);
	const char *key;

	json_object_foreach (auths, key, v) {
		_cleanup_free_ char *h = dockercfg_host_of(key);

		if (streq(h, want)) {
			if (ret_key)
				*ret_key = key;
			return v;
		}
	}
	return NULL;
}

int dockercfg_get(json_t *cfg, const char *server, char **user, char **pass)
{
	json_t *e = dockercfg_find(cfg, server, NULL);
	const char *b = json_string_value(json_object_get(e, "auth"));
	_cleanup_free_ unsigned char *d = NULL;
	char *colon;
	int len;

	if (!b || !*b) {
		/* (the separate fields some tools write) */
		const char *u = json_string_value(json_object_get(e, "username"));
		const char *p = json_string_value(json_object_get(e, "password"));

		if (!u || !p)
			return 0;
		*user = xstrdup(u);
		*pass = xstrdup(p);
		return 1;
	}
	d = xmalloc(strlen(b) + 4);
	len = EVP_DecodeBlock(d, (const unsigned char *)b, (int)strlen(b));
	if (len <= 0)
		return 0;
	d[len] = 0;
	if (!(colon = strchr((char *)d, ':')))
		return 0;
	*user = xstrndup((char *)d, (size_t)(colon - (char *)d));
	*pass = xstrdup(colon + 1); /* (padding decodes to NULs: the string ends there) */
	return 1;
}

void dockercfg_set(json_t *cfg, const char *server, const char *user, const char *pass)
{
	_cleanup_free_ char *key = dockercfg_key(server);
	_cleanup_free_ char *pair = xasprintf("%s:%s", user, pass);
	_cleanup_free_ char *b = xmalloc(4 * ((strlen(pair) + 2) / 3) + 1);
	json_t *auths = json_object_get(cfg, "auths");

	dockercfg_del(cfg, server);
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

	if (!dockercfg_find(cfg, server, &key))
		return false;
	json_object_del(json_object_get(cfg, "auths"), key);
	return true;
}

char *dockercfg_encode_auth(json_t *o)
{
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;
	char *b = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)(s ? s : ""), (int)n);
	for (char *p = b; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	b[strcspn(b, "=")] = 0;
	return b;
}

char *dockercfg_registry_auth(const char *server)
{
	_cleanup_free_ char *path = dockercfg_path(), *user = NULL, *pass = NULL;
	_cleanup_json_ json_t *cfg = NULL, *o = NULL;

	if (!path || dockercfg_load(path, &cfg, NULL) < 0 ||
	    dockercfg_get(cfg, server, &user, &pass) != 1)
		return xstrdup("e30=");
	o = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress",
		      server);
	return dockercfg_encode_auth(o);
}
