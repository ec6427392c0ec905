/* client.c - HTTP requests to berthd over its unix socket with libcurl (see
 * client.h).  Every path gets the /v1.41 prefix the docker CLI would send.
 * Used by every command in cmd-*.c; knows nothing about commands. */
#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/util.h"

#define CLIENT_CONNECT_TIMEOUT 5L

struct client {
	CURL *curl;
	char *host;
	char *sock;
};

/* A reply body being received. */
struct client_buf {
	char *data;
	size_t len, cap;
};

int client_new(const char *host, struct client **ret, struct berr **err)
{
	struct client *c;

	if (!strprefix(host, "unix://") || !host[strlen("unix://")])
		return berr_set(err, EINVAL,
				"unsupported host %s: berth only talks to unix://PATH sockets",
				host);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		curl_global_cleanup();
		return berr_set(err, ENOMEM, "cannot initialise libcurl");
	}
	c->host = xstrdup(host);
	c->sock = xstrdup(host + strlen("unix://"));
	*ret = c;
	return 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_global_cleanup();
	free(c->host);
	free(c->sock);
	free(c);
}

static size_t client_write_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct client_buf *b = userdata;

	xgrow(&b->data, &b->cap, b->len + size * n + 1, 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

int client_status_errno(long status)
{
	switch (status) {
	case 400:
		return EINVAL;
	case 403:
		return EPERM;
	case 404:
		return ENOENT;
	case 409:
		return EEXIST;
	default:
		return EIO;
	}
}

/* Turn an error reply into "Error response from daemon: <message>". */
static int client_reply_error(long status, const struct client_buf *b, struct berr **err)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));
	int r;

	if (!msg)
		msg = b->len ? b->data : "";
	r = berr_set(err, client_status_errno(status), "Error response from daemon: %.*s",
		     (int)strcspn(msg, j ? "" : "\n"), msg);
	json_decref(j);
	return r;
}

/* Set up the handle for one request; headers and body are the caller's. */
static void client_setup(struct client *c, const char *method, const char *url,
			 struct curl_slist *headers, const char *body, struct client_buf *b)
{
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "berth/" CLI_VERSION " (linux)");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, client_write_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	else if (streq(method, "POST"))
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, 0L);
}

/* Perform the request; a transport failure becomes the docker-like message. */
static int client_perform(struct client *c, long *ret_status, struct berr **err)
{
	CURLcode rc = curl_easy_perform(c->curl);

	if (rc == CURLE_COULDNT_CONNECT)
		return berr_set(err, ECONNREFUSED,
				"Cannot connect to the berth daemon at %s. Is berthd running?",
				c->host);
	if (rc != CURLE_OK)
		return berr_set(err, EIO, "error during connect to %s: %s", c->host,
				curl_easy_strerror(rc));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

/* Parse a 2xx body into *ret_json (NULL if empty). */
static int client_parse_reply(const struct client_buf *b, json_t **ret_json, struct berr **err)
{
	json_error_t jerr;
	json_t *j = NULL;

	if (b->len) {
		j = json_loadb(b->data, b->len, JSON_DECODE_ANY, &jerr);
		if (!j)
			return berr_set(err, EPROTO, "invalid JSON in reply from daemon: %s",
					jerr.text);
	}
	if (ret_json)
		*ret_json = j;
	else
		json_decref(j);
	return 0;
}

int client_request(struct client *c, const char *method, const char *path, json_t *body,
		   json_t **ret_json, struct berr **err)
{
	_cleanup_free_ char *url = xasprintf("http://localhost/v" CLI_API_VERSION "%s", path);
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct curl_slist *headers = NULL;
	struct client_buf b = {0};
	long status = 0;
	int r;

	if (body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	client_setup(c, method, url, headers, text, &b);
	r = client_perform(c, &status, err);
	if (r == 0 && (status < 200 || status > 299))
		r = client_reply_error(status, &b, err);
	else if (r == 0)
		r = client_parse_reply(&b, ret_json, err);
	curl_slist_free_all(headers);
	free(b.data);
	return r;
}

int client_get(struct client *c, const char *path, json_t **ret_json, struct berr **err)
{
	return client_request(c, "GET", path, NULL, ret_json, err);
}

int client_post(struct client *c, const char *path, json_t *body, json_t **ret_json,
		struct berr **err)
{
	return client_request(c, "POST", path, body, ret_json, err);
}

int client_delete(struct client *c, const char *path, struct berr **err)
{
	return client_request(c, "DELETE", path, NULL, NULL, err);
}

/* A streamed reply: lines handed on while the status is 2xx, else the
 * body kept for the error. */
struct client_stream {
	CURL *curl;
	struct client_buf b;
	long status; /* 0 until the first byte */
	client_line_fn on_line;
	void *arg;
};

static void client_stream_lines(struct client_stream *s)
{
	char *nl;

	while ((nl = memchr(s->b.data, '\n', s->b.len))) {
		size_t n = (size_t)(nl - s->b.data);

		s->on_line(s->b.data, n, s->arg);
		memmove(s->b.data, nl + 1, s->b.len - n - 1);
		s->b.len -= n + 1;
		s->b.data[s->b.len] = '\0';
	}
}

static size_t client_stream_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct client_stream *s = userdata;

	if (!s->status)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
	client_write_cb(p, size, n, &s->b);
	if (s->status >= 200 && s->status <= 299)
		client_stream_lines(s);
	return size * n;
}

int client_post_stream(struct client *c, const char *path, const char *const *headers,
		       client_line_fn on_line, void *arg, struct berr **err)
{
	_cleanup_free_ char *url = xasprintf("http://localhost/v" CLI_API_VERSION "%s", path);
	struct client_stream s = {.curl = c->curl, .on_line = on_line, .arg = arg};
	struct curl_slist *h = NULL;
	long status = 0;
	int r;

	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	client_setup(c, "POST", url, h, NULL, NULL);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, client_stream_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	r = client_perform(c, &status, err);
	if (r == 0 && (status < 200 || status > 299))
		r = client_reply_error(status, &s.b, err);
	else if (r == 0 && s.b.len)
		on_line(s.b.data, s.b.len, arg);
	curl_slist_free_all(h);
	free(s.b.data);
	return r;
}

char *client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *ret;

	if (!e)
		abort();
	ret = xstrdup(e);
	curl_free(e);
	return ret;
}

void client_query_add(char **path, const char *key, const char *value)
{
	_cleanup_free_ char *v = client_escape(value);
	char *np = xasprintf("%s%c%s=%s", *path, strchr(*path, '?') ? '&' : '?', key, v);

	free(*path);
	*path = np;
}
