/* etcd.c - a client of etcd v3 through its JSON gateway (see etcd.h), over
 * libcurl.  Unary calls take turns on one easy handle (one kept-alive
 * connection) under a mutex.  Each watch has a thread, an easy handle and a
 * multi handle of its own: the multi handle's wakeup lets etcd_watch_stop
 * interrupt a stream, a connect or a read at once.
 *
 * The gateway's traps (verified against etcd 3.4): keys and values are
 * standard base64, int64 fields are JSON strings, zero values are left out
 * (no "succeeded" on a failed txn, no "type" on a PUT event, no "TTL" in the
 * keepalive of an expired lease), and a watch is one chunked reply of JSON
 * messages each ended by "\n", whose chunk boundaries are not message
 * boundaries. */
#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/etcd.h"
#include "core/util.h"

#define ETCD_DEFAULT_PORT   2379
#define ETCD_BACKOFF_MIN_MS 100
#define ETCD_BACKOFF_MAX_MS 2000
#define ETCD_REPLY_MAX	    (64u << 20) /* bytes of a reply or of one watch message */
#define ETCD_POLL_MS	    1000	/* a watch re-checks its deadline this often */
#define ETCD_KEEPIDLE_S	    10L		/* TCP keepalive: a dead peer is noticed in ~1 min */
#define ETCD_KEEPINTVL_S    5L
#define ETCD_NS_PER_MS	    1000000ull

struct etcd_ep {
	char *name; /* "host:port", for messages */
	char *url;  /* "http://host:port" */
};

struct etcd {
	pthread_mutex_t lock; /* the handle and cur */
	CURL *curl;
	struct curl_slist *headers;
	struct etcd_ep *eps;
	size_t n_eps;
	size_t cur; /* the endpoint that answered last */
};

/* A reply (or the unfinished line of a watch) being received. */
struct etcd_buf {
	char *data;
	size_t len, cap;
	bool too_big;
};

enum etcd_watch_state {
	ETCD_WATCH_UNKNOWN,
	ETCD_WATCH_UP,
	ETCD_WATCH_DOWN,
};

struct etcd_watch {
	struct etcd *etcd;
	char *key_b64, *end_b64; /* the prefix's range */
	unsigned flags;
	etcd_watch_fn cb;
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock; /* with cond: the back-off sleep */
	pthread_cond_t cond;
	atomic_bool stop;
	CURL *curl;
	CURLM *multi;
	size_t cur;	  /* endpoint in use */
	size_t unreached; /* endpoints that failed to connect in a row */
	int64_t next_rev; /* first revision not delivered yet; 0: from now */
	bool resync;	  /* history is gone: read everything again first */
	enum etcd_watch_state state;
	/* the stream in progress */
	struct etcd_buf in;   /* its unfinished line (or its error body) */
	bool created;	      /* etcd confirmed the watch */
	struct berr *why;     /* why the stream was cut short */
	uint64_t deadline_ns; /* for the confirmation */
};

/* ---- bytes: buffers, base64, prefix ranges ---- */

static bool etcd_buf_add(struct etcd_buf *b, const char *p, size_t n)
{
	if (b->len + n > ETCD_REPLY_MAX) {
		b->too_big = true;
		return false;
	}
	xgrow(&b->data, &b->cap, b->len + n + 1, 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

static char *etcd_b64(const void *p, size_t n)
{
	char *s;

	/* etcd refuses requests over 1.5 MiB long before this */
	if (n > INT_MAX / 4 * 3 - 3)
		abort();
	s = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static int etcd_b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with padding, strictly (EVP_DecodeBlock takes '=' anywhere
 * and does not strip padding): a NUL-terminated copy of the bytes. */
static int etcd_unb64(const char *s, size_t n, char **ret, size_t *ret_len)
{
	size_t pad = 0, len = 0;
	char *out;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	out = xmalloc(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i += 4) {
		uint32_t q = 0;

		for (size_t j = i; j < i + 4; j++) {
			int d = j < n - pad ? etcd_b64_digit(s[j]) : 0;

			if (d < 0) {
				free(out);
				return -EINVAL;
			}
			q = q << 6 | (uint32_t)d;
		}
		out[len++] = (char)(q >> 16);
		out[len++] = (char)(q >> 8 & 0xff);
		out[len++] = (char)(q & 0xff);
	}
	len -= pad;
	out[len] = '\0';
	*ret = out;
	*ret_len = len;
	return 0;
}

/* The range of every key under prefix: from the prefix to the prefix with
 * its last byte below 0xff incremented.  "" (and all-0xff prefixes) reach
 * the end of the key space, which etcd spells "\0". */
static void etcd_prefix_b64(const char *prefix, char **ret_key, char **ret_end)
{
	size_t n = strlen(prefix);
	_cleanup_free_ unsigned char *end = (unsigned char *)xstrdup(prefix);

	*ret_key = n ? etcd_b64(prefix, n) : etcd_b64("", 1);
	while (n > 0 && end[n - 1] == 0xff)
		n--;
	if (n == 0) {
		*ret_end = etcd_b64("", 1);
		return;
	}
	end[n - 1]++;
	*ret_end = etcd_b64(end, n);
}

/* ---- endpoints ---- */

static const char *const etcd_schemes[] = {"etcd://", "http://"};

/* A name or IPv4 address (letters, digits, "-._"), or "[IPv6]". */
static bool etcd_host_ok(const char *h, size_t n)
{
	bool v6 = n > 2 && h[0] == '[' && h[n - 1] == ']';

	if (v6) {
		h++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (v6 ? !isxdigit(c) && !strchr(":.", c) : !isalnum(c) && !strchr("-._", c))
			return false;
	}
	return n > 0;
}

/* One endpoint, "[etcd://|http://]HOST[:PORT][/]": NULL, or what is wrong. */
static const char *etcd_ep_parse(const char *s, struct etcd_ep *ret)
{
	const char *p = s, *host, *rest;
	unsigned long port = ETCD_DEFAULT_PORT;
	size_t host_len;

	for (size_t i = 0; i < ARRAY_SIZE(etcd_schemes); i++)
		if (strprefix(p, etcd_schemes[i])) {
			p += strlen(etcd_schemes[i]);
			break;
		}
	if (strstr(p, "://"))
		return "only etcd:// and http:// are supported";
	host = p;
	host_len = *p == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/");
	if (host_len > strlen(p) || !etcd_host_ok(host, host_len))
		return "no valid host";
	rest = host + host_len;
	if (*rest == ':') {
		char *end;

		if (rest[1] < '0' || rest[1] > '9')
			return "the port is not a number";
		errno = 0;
		port = strtoul(rest + 1, &end, 10);
		if (errno || port == 0 || port > 65535)
			return "the port is not between 1 and 65535";
		rest = end;
	}
	if (*rest == '/')
		rest++;
	if (*rest)
		return "unexpected text after the port";
	ret->name = xasprintf("%.*s:%lu", (int)host_len, host, port);
	ret->url = xasprintf("http://%s", ret->name);
	return NULL;
}

static void etcd_eps_free(struct etcd_ep *eps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(eps[i].name);
		free(eps[i].url);
	}
	free(eps);
}

/* Comma-separated endpoints. */
static int etcd_eps_parse(const char *endpoints, struct etcd_ep **ret, size_t *ret_n,
			  struct berr **err)
{
	_cleanup_free_ char *copy = xstrdup(endpoints);
	struct etcd_ep *eps = NULL;
	size_t n = 0, cap = 0;
	char *p = copy, *item;

	while ((item = strsep(&p, ","))) {
		const char *bad;

		xgrow(&eps, &cap, n + 1, sizeof(*eps));
		bad = *item ? etcd_ep_parse(item, &eps[n]) : "it is empty";
		if (bad) {
			etcd_eps_free(eps, n);
			if (streq(item, endpoints))
				return berr_set(err, EINVAL,
						"invalid etcd endpoint \"%s\": %s (expected "
						"etcd://HOST:PORT)",
						item, bad);
			return berr_set(err, EINVAL,
					"invalid etcd endpoint \"%s\" in \"%s\": %s (expected "
					"etcd://HOST:PORT, several separated by commas)",
					item, endpoints, bad);
		}
		n++;
	}
	*ret = eps;
	*ret_n = n;
	return 0;
}

int etcd_open(const char *endpoints, struct etcd **ret, struct berr **err)
{
	struct etcd *e;
	struct etcd_ep *eps = NULL;
	size_t n = 0;
	int r;

	r = etcd_eps_parse(endpoints, &eps, &n, err);
	if (r < 0)
		return r;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		etcd_eps_free(eps, n);
		return berr_set(err, ENOMEM, "cannot initialise libcurl");
	}
	e = xcalloc(1, sizeof(*e));
	e->eps = eps;
	e->n_eps = n;
	pthread_mutex_init(&e->lock, NULL);
	e->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip for larger bodies */
	e->headers = curl_slist_append(e->headers, "Expect:");
	e->curl = curl_easy_init();
	if (!e->curl || !e->headers) {
		etcd_close(e);
		return berr_set(err, ENOMEM, "cannot initialise libcurl");
	}
	*ret = e;
	return 0;
}

void etcd_close(struct etcd *e)
{
	if (!e)
		return;
	curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->headers);
	etcd_eps_free(e->eps, e->n_eps);
	pthread_mutex_destroy(&e->lock);
	free(e);
	curl_global_cleanup();
}

/* ---- HTTP ---- */

static size_t etcd_http_write(char *p, size_t size, size_t n, void *data)
{
	return etcd_buf_add(data, p, size * n) ? size * n : 0;
}

/* Options for one POST of body to url, its reply into b; timeout_ms 0: none. */
static void etcd_http_setup(struct etcd *e, CURL *h, const char *url, const char *body,
			    struct etcd_buf *b, long timeout_ms)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through $http_proxy */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ETCD_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, ETCD_KEEPIDLE_S);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, ETCD_KEEPINTVL_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, etcd_http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
}

/* Whether a failed transfer never sent its request, so that another
 * endpoint may take it without the risk of applying it twice. */
static bool etcd_http_unsent(CURL *h, CURLcode rc)
{
	long sent = 0;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
		return sent == 0;
	default:
		return false;
	}
}

static char *etcd_http_unreachable(const struct etcd_ep *ep, CURL *h, CURLcode rc)
{
	long os_errno = 0;

	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("etcd at %s is unreachable: no answer to connect within %d s",
				 ep->name, ETCD_CONNECT_TIMEOUT_MS / 1000);
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	return xasprintf("etcd at %s is unreachable: %s", ep->name,
			 os_errno ? strerror((int)os_errno) : curl_easy_strerror(rc));
}

/* gRPC status codes (in etcd's error bodies) as errno values. */
static int etcd_grpc_errno(json_int_t code)
{
	static const int map[] = {
		[1] = ECANCELED, [3] = EINVAL,	[4] = ETIMEDOUT, [5] = ENOENT,	[6] = EEXIST,
		[7] = EACCES,	 [8] = ENOSPC,	[9] = EBUSY,	 [10] = EAGAIN, [11] = ERANGE,
		[12] = ENOTSUP,	 [14] = EAGAIN, [16] = EACCES,
	};

	if (code < 0 || (size_t)code >= ARRAY_SIZE(map) || !map[code])
		return EIO;
	return map[code];
}

/* etcd's error: {"error":M,"message":M,"code":C} in a failed reply, or
 * {"error":{"grpc_code":C,"message":M,…}} in a stream.  0 when o is none. */
static int etcd_error_from_json(json_t *o, struct berr **err)
{
	json_t *inner = json_object_get(o, "error");
	json_t *code = json_object_get(o, "code");
	const char *msg;

	if (json_is_object(inner)) {
		o = inner;
		code = json_object_get(o, "grpc_code");
	}
	msg = json_string_value(json_object_get(o, "message"));
	if (!msg)
		return 0;
	if (strprefix(msg, "etcdserver: "))
		msg += strlen("etcdserver: ");
	return berr_set(err, etcd_grpc_errno(json_integer_value(code)), "etcd: %s", msg);
}

/* A reply that is not 200: etcd's message, or the start of the body. */
static int etcd_http_error(const struct etcd_ep *ep, long status, const struct etcd_buf *b,
			   struct berr **err)
{
	_cleanup_json_ json_t *o = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	int r = etcd_error_from_json(o, err);
	size_t n = b->data ? strcspn(b->data, "\r\n") : 0;

	if (r < 0)
		return r;
	return berr_set(err, EIO, "etcd at %s answered HTTP %ld: %.*s", ep->name, status,
			(int)(n < 200 ? n : 200), b->data ? b->data : "");
}

/* The JSON object of a finished transfer, or an error. */
static int etcd_http_reply(const struct etcd_ep *ep, CURL *h, CURLcode rc, struct etcd_buf *b,
			   json_t **ret, struct berr **err)
{
	json_error_t jerr;
	long status = 0;
	json_t *o;

	if (rc == CURLE_OPERATION_TIMEDOUT)
		return berr_set(err, ETIMEDOUT, "etcd at %s did not answer within %d s", ep->name,
				ETCD_REQUEST_TIMEOUT_MS / 1000);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return berr_set(err, ECANCELED, "request to etcd at %s stopped", ep->name);
	if (b->too_big)
		return berr_set(err, EMSGSIZE, "etcd at %s sent a reply larger than %u bytes",
				ep->name, ETCD_REPLY_MAX);
	if (rc != CURLE_OK)
		return berr_set(err, EIO, "etcd at %s: %s", ep->name, curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return etcd_http_error(ep, status, b, err);
	o = json_loadb(b->data ? b->data : "", b->len, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return berr_set(err, EPROTO, "etcd at %s sent an invalid reply: %s", ep->name,
				o ? "not an object" : jerr.text);
	}
	*ret = o;
	return 0;
}

static CURLcode etcd_watch_perform(struct etcd_watch *w, CURL *h, bool stream);

/* POST body to path, trying each endpoint from *cur on until one takes the
 * request; *ret is its reply (caller decrefs) and *cur the endpoint that
 * answered.  w: run on that watch's multi handle, so that stopping the
 * watch interrupts it; else block. */
static int etcd_exchange(struct etcd *e, CURL *h, struct etcd_watch *w, size_t *cur,
			 const char *path, const char *body, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *why = NULL;

	for (size_t i = 0; i < e->n_eps; i++) {
		size_t k = (*cur + i) % e->n_eps;
		_cleanup_free_ char *url = xasprintf("%s%s", e->eps[k].url, path);
		struct etcd_buf b = {0};
		CURLcode rc;
		int r;

		etcd_http_setup(e, h, url, body, &b, ETCD_REQUEST_TIMEOUT_MS);
		rc = w ? etcd_watch_perform(w, h, false) : curl_easy_perform(h);
		if (rc != CURLE_OK && etcd_http_unsent(h, rc)) {
			_cleanup_free_ char *one = etcd_http_unreachable(&e->eps[k], h, rc);
			char *all = why ? xasprintf("%s; %s", why, one) : TAKE_PTR(one);

			free(why);
			why = all;
			free(b.data);
			continue;
		}
		*cur = k;
		r = etcd_http_reply(&e->eps[k], h, rc, &b, ret, err);
		free(b.data);
		return r;
	}
	return berr_set(err, EHOSTUNREACH, "%s", why);
}

static char *etcd_dumps(json_t *req)
{
	char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;

	if (!s) /* only when out of memory: the request is ours */
		abort();
	return s;
}

/* One unary call on the shared handle. */
static int etcd_call(struct etcd *e, const char *path, json_t *req, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *body = etcd_dumps(req);
	size_t cur;
	int r;

	pthread_mutex_lock(&e->lock);
	cur = e->cur;
	r = etcd_exchange(e, e->curl, NULL, &cur, path, body, ret, err);
	e->cur = cur;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* ---- JSON ---- */

static int etcd_invalid(struct berr **err, const char *what)
{
	return berr_set(err, EPROTO, "etcd sent an invalid reply: %s", what);
}

/* int64 as a request field: a string, which is how etcd writes them. */
static json_t *etcd_json_int(int64_t v)
{
	return json_sprintf("%" PRId64, v);
}

/* An int64 field of a reply (etcd sends strings; numbers are taken too);
 * absent means 0. */
static int etcd_json_i64(json_t *o, const char *name, int64_t *ret)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	char *end;
	long long n;

	if (!v) {
		*ret = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* A base64 field; absent is empty. */
static int etcd_json_bytes(json_t *o, const char *name, char **ret, size_t *ret_len)
{
	json_t *v = json_object_get(o, name);

	if (!v) {
		*ret = xstrdup("");
		*ret_len = 0;
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	return etcd_unb64(json_string_value(v), json_string_length(v), ret, ret_len);
}

static int etcd_header_rev(json_t *reply, int64_t *ret, struct berr **err)
{
	if (etcd_json_i64(json_object_get(reply, "header"), "revision", ret) < 0)
		return etcd_invalid(err, "header.revision is not an integer");
	return 0;
}

static const struct {
	const char *name;
	size_t off;
} etcd_kv_ints[] = {
	{"create_revision", offsetof(struct etcd_kv, create_rev)},
	{"mod_revision", offsetof(struct etcd_kv, mod_rev)},
	{"version", offsetof(struct etcd_kv, version)},
	{"lease", offsetof(struct etcd_kv, lease)},
};

static void etcd_kv_done(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
}

void etcd_kv_free(struct etcd_kv *kv)
{
	if (!kv)
		return;
	etcd_kv_done(kv);
	free(kv);
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		etcd_kv_done(&kvs[i]);
	free(kvs);
}

/* {"key":…,"value":…,"create_revision":…,…} */
static int etcd_kv_from_json(json_t *o, struct etcd_kv *ret, struct berr **err)
{
	struct etcd_kv kv = {0};
	size_t key_len;

	if (!json_is_object(o))
		return etcd_invalid(err, "a key-value is not an object");
	if (!json_object_get(o, "key") || etcd_json_bytes(o, "key", &kv.key, &key_len) < 0)
		return etcd_invalid(err, "a key is missing or not base64");
	if (strlen(kv.key) != key_len) {
		free(kv.key);
		return etcd_invalid(err, "a key holds a NUL byte");
	}
	if (etcd_json_bytes(o, "value", &kv.value, &kv.value_len) < 0) {
		free(kv.key);
		return etcd_invalid(err, "a value is not base64");
	}
	for (size_t i = 0; i < ARRAY_SIZE(etcd_kv_ints); i++)
		if (etcd_json_i64(o, etcd_kv_ints[i].name,
				  (int64_t *)((char *)&kv + etcd_kv_ints[i].off)) < 0) {
			etcd_kv_done(&kv);
			return etcd_invalid(err, "a revision is not an integer");
		}
	*ret = kv;
	return 0;
}

/* An array of kvs (absent: none). */
static int etcd_kvs_from_json(json_t *a, struct etcd_kv **ret, size_t *ret_n, struct berr **err)
{
	struct etcd_kv *kvs;
	size_t i;
	json_t *v;
	int r;

	if (a && !json_is_array(a))
		return etcd_invalid(err, "kvs is not an array");
	kvs = xcalloc(json_array_size(a) + 1, sizeof(*kvs));
	json_array_foreach (a, i, v) {
		r = etcd_kv_from_json(v, &kvs[i], err);
		if (r < 0) {
			etcd_kvs_free(kvs, i);
			return r;
		}
	}
	*ret = kvs;
	*ret_n = json_array_size(a);
	return 0;
}

/* A range reply: its kvs and revision. */
static int etcd_range_from_json(json_t *reply, struct etcd_kv **ret_kvs, size_t *ret_n,
				int64_t *ret_rev, struct berr **err)
{
	int64_t rev;
	int r;

	r = etcd_header_rev(reply, &rev, err);
	if (r < 0)
		return r;
	r = etcd_kvs_from_json(json_object_get(reply, "kvs"), ret_kvs, ret_n, err);
	if (r < 0)
		return r;
	if (ret_rev)
		*ret_rev = rev;
	return 0;
}

/* {"key":…} for one key, {"key":…,"range_end":…} for a prefix. */
static json_t *etcd_range_json(const char *key, bool prefix)
{
	_cleanup_free_ char *k = NULL, *end = NULL;

	if (!prefix) {
		k = etcd_b64(key, strlen(key));
		return json_pack("{s:s}", "key", k);
	}
	etcd_prefix_b64(key, &k, &end);
	return json_pack("{s:s,s:s}", "key", k, "range_end", end);
}

static json_t *etcd_put_json(const char *key, const void *value, size_t value_len, int64_t lease)
{
	_cleanup_free_ char *k = etcd_b64(key, strlen(key));
	_cleanup_free_ char *v = etcd_b64(value, value_len);
	json_t *o = json_pack("{s:s,s:s}", "key", k, "value", v);

	if (o && lease)
		json_object_set_new(o, "lease", etcd_json_int(lease));
	return o;
}

/* ---- keys ---- */

int etcd_get(struct etcd *e, const char *key, struct etcd_kv **ret, struct berr **err)
{
	_cleanup_json_ json_t *req = etcd_range_json(key, false);
	_cleanup_json_ json_t *reply = NULL;
	struct etcd_kv *kvs;
	size_t n;
	int r;

	r = etcd_call(e, "/v3/kv/range", req, &reply, err);
	if (r < 0)
		return r;
	r = etcd_range_from_json(reply, &kvs, &n, NULL, err);
	if (r < 0)
		return r;
	if (n == 0) {
		free(kvs);
		*ret = NULL;
		return 0;
	}
	/* the array's first element is the kv: etcd_kv_free frees both */
	for (size_t i = 1; i < n; i++)
		etcd_kv_done(&kvs[i]);
	*ret = kvs;
	return 1;
}

int etcd_get_prefix(struct etcd *e, const char *prefix, struct etcd_kv **ret_kvs, size_t *ret_n,
		    int64_t *ret_rev, struct berr **err)
{
	_cleanup_json_ json_t *req = etcd_range_json(prefix, true);
	_cleanup_json_ json_t *reply = NULL;
	int r;

	r = etcd_call(e, "/v3/kv/range", req, &reply, err);
	if (r < 0)
		return r;
	return etcd_range_from_json(reply, ret_kvs, ret_n, ret_rev, err);
}

int etcd_put(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
	     int64_t *ret_rev, struct berr **err)
{
	_cleanup_json_ json_t *req = etcd_put_json(key, value, value_len, lease);
	_cleanup_json_ json_t *reply = NULL;
	int64_t rev;
	int r;

	r = etcd_call(e, "/v3/kv/put", req, &reply, err);
	if (r < 0)
		return r;
	r = etcd_header_rev(reply, &rev, err);
	if (r < 0)
		return r;
	if (ret_rev)
		*ret_rev = rev;
	return 0;
}

static int etcd_delete_range(struct etcd *e, const char *key, bool prefix, struct berr **err)
{
	_cleanup_json_ json_t *req = etcd_range_json(key, prefix);
	_cleanup_json_ json_t *reply = NULL;
	int64_t n;
	int r;

	r = etcd_call(e, "/v3/kv/deleterange", req, &reply, err);
	if (r < 0)
		return r;
	if (etcd_json_i64(reply, "deleted", &n) < 0 || n < 0)
		return etcd_invalid(err, "deleted is not a count");
	return n > INT_MAX ? INT_MAX : (int)n;
}

int etcd_delete(struct etcd *e, const char *key, struct berr **err)
{
	return etcd_delete_range(e, key, false, err);
}

int etcd_delete_prefix(struct etcd *e, const char *prefix, struct berr **err)
{
	if (!*prefix)
		return berr_set(err, EINVAL, "refusing to delete every key in etcd");
	return etcd_delete_range(e, prefix, true, err);
}

/* ---- transactions ---- */

static const char *const etcd_cmp_targets[] = {
	[ETCD_CMP_CREATE] = "CREATE",
	[ETCD_CMP_MOD] = "MOD",
	[ETCD_CMP_VERSION] = "VERSION",
	[ETCD_CMP_VALUE] = "VALUE",
};

static const char *const etcd_cmp_fields[] = {
	[ETCD_CMP_CREATE] = "create_revision",
	[ETCD_CMP_MOD] = "mod_revision",
	[ETCD_CMP_VERSION] = "version",
	[ETCD_CMP_VALUE] = "value",
};

static const char *const etcd_cmp_results[] = {
	[ETCD_CMP_EQUAL] = "EQUAL",
	[ETCD_CMP_NOT_EQUAL] = "NOT_EQUAL",
	[ETCD_CMP_LESS] = "LESS",
	[ETCD_CMP_GREATER] = "GREATER",
};

static json_t *etcd_cmp_to_json(const struct etcd_cmp *c)
{
	_cleanup_free_ char *k = etcd_b64(c->key, strlen(c->key));
	json_t *o;

	assert((size_t)c->target < ARRAY_SIZE(etcd_cmp_targets));
	assert((size_t)c->result < ARRAY_SIZE(etcd_cmp_results));
	o = json_pack("{s:s,s:s,s:s}", "key", k, "target", etcd_cmp_targets[c->target], "result",
		      etcd_cmp_results[c->result]);
	if (o && c->target == ETCD_CMP_VALUE) {
		_cleanup_free_ char *v = etcd_b64(c->value, c->value_len);

		json_object_set_new(o, "value", json_string(v));
	} else if (o) {
		json_object_set_new(o, etcd_cmp_fields[c->target], etcd_json_int(c->rev));
	}
	return o;
}

static json_t *etcd_op_to_json(const struct etcd_op *op)
{
	switch (op->type) {
	case ETCD_OP_PUT:
		return json_pack("{s:o}", "request_put",
				 etcd_put_json(op->key, op->value, op->value_len, op->lease));
	case ETCD_OP_DELETE:
	case ETCD_OP_DELETE_PREFIX:
		return json_pack("{s:o}", "request_delete_range",
				 etcd_range_json(op->key, op->type == ETCD_OP_DELETE_PREFIX));
	}
	abort();
}

/* Send a transaction: 1 when its compares held, 0 when not; *ret is etcd's
 * reply (caller decrefs). */
static int etcd_txn_send(struct etcd *e, json_t *compare, json_t *success, json_t *failure,
			 json_t **ret, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:O,s:O}", "compare", compare, "success", success);
	json_t *reply = NULL;
	int r;

	if (req && failure)
		json_object_set(req, "failure", failure);
	r = etcd_call(e, "/v3/kv/txn", req, &reply, err);
	if (r < 0)
		return r;
	*ret = reply;
	/* a failed txn has no "succeeded" at all */
	return json_is_true(json_object_get(reply, "succeeded")) ? 1 : 0;
}

int etcd_txn(struct etcd *e, const struct etcd_cmp *cmps, size_t n_cmps, const struct etcd_op *ops,
	     size_t n_ops, int64_t *ret_rev, struct berr **err)
{
	_cleanup_json_ json_t *compare = json_array();
	_cleanup_json_ json_t *success = json_array();
	_cleanup_json_ json_t *reply = NULL;
	int64_t rev;
	int r, ok;

	for (size_t i = 0; i < n_cmps; i++)
		json_array_append_new(compare, etcd_cmp_to_json(&cmps[i]));
	for (size_t i = 0; i < n_ops; i++)
		json_array_append_new(success, etcd_op_to_json(&ops[i]));
	ok = etcd_txn_send(e, compare, success, NULL, &reply, err);
	if (ok < 0)
		return ok;
	r = etcd_header_rev(reply, &rev, err);
	if (r < 0)
		return r;
	if (ret_rev)
		*ret_rev = rev;
	return ok;
}

int etcd_create(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
		struct etcd_kv **ret_existing, struct berr **err)
{
	const struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_CREATE, .rev = 0};
	const struct etcd_op op = {.type = ETCD_OP_PUT,
				   .key = key,
				   .value = value,
				   .value_len = value_len,
				   .lease = lease};
	_cleanup_json_ json_t *compare = json_pack("[o]", etcd_cmp_to_json(&cmp));
	_cleanup_json_ json_t *success = json_pack("[o]", etcd_op_to_json(&op));
	_cleanup_json_ json_t *failure =
		json_pack("[{s:o}]", "request_range", etcd_range_json(key, false));
	_cleanup_json_ json_t *reply = NULL;
	json_t *range;
	struct etcd_kv *kvs;
	size_t n;
	int ok, r;

	ok = etcd_txn_send(e, compare, success, failure, &reply, err);
	if (ok != 0 || !ret_existing)
		return ok;
	/* the failure branch read the key in the same transaction */
	range = json_object_get(json_array_get(json_object_get(reply, "responses"), 0),
				"response_range");
	if (!json_is_object(range))
		return etcd_invalid(err, "a failed create has no response_range");
	r = etcd_kvs_from_json(json_object_get(range, "kvs"), &kvs, &n, err);
	if (r < 0)
		return r;
	if (n != 1) {
		etcd_kvs_free(kvs, n);
		return etcd_invalid(err, "a failed create did not return the key");
	}
	*ret_existing = kvs;
	return 0;
}

int etcd_cas(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
	     int64_t mod_rev, struct berr **err)
{
	const struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_MOD, .rev = mod_rev};
	const struct etcd_op op = {.type = ETCD_OP_PUT,
				   .key = key,
				   .value = value,
				   .value_len = value_len,
				   .lease = lease};

	return etcd_txn(e, &cmp, 1, &op, 1, NULL, err);
}

int etcd_delete_if(struct etcd *e, const char *key, int64_t mod_rev, struct berr **err)
{
	const struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_MOD, .rev = mod_rev};
	const struct etcd_op op = {.type = ETCD_OP_DELETE, .key = key};

	if (mod_rev <= 0)
		return berr_set(err, EINVAL, "etcd_delete_if needs a mod revision");
	return etcd_txn(e, &cmp, 1, &op, 1, NULL, err);
}

/* ---- leases ---- */

int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *ret_id, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:o}", "TTL", etcd_json_int(ttl));
	_cleanup_json_ json_t *reply = NULL;
	const char *msg;
	int64_t id;
	int r;

	if (ttl <= 0)
		return berr_set(err, EINVAL, "a lease needs a TTL of at least 1 s");
	r = etcd_call(e, "/v3/lease/grant", req, &reply, err);
	if (r < 0)
		return r;
	msg = json_string_value(json_object_get(reply, "error"));
	if (msg && *msg)
		return berr_set(err, EIO, "etcd: %s", msg);
	if (etcd_json_i64(reply, "ID", &id) < 0 || id == 0)
		return etcd_invalid(err, "a granted lease has no ID");
	*ret_id = id;
	return 0;
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ret_ttl, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:o}", "ID", etcd_json_int(id));
	_cleanup_json_ json_t *reply = NULL;
	json_t *res;
	int64_t ttl;
	int r;

	/* a stream in the gateway; one request in the body gives one message */
	r = etcd_call(e, "/v3/lease/keepalive", req, &reply, err);
	if (r < 0)
		return r;
	res = json_object_get(reply, "result");
	if (!res) {
		r = etcd_error_from_json(reply, err);
		return r < 0 ? r : etcd_invalid(err, "a keepalive has no result");
	}
	if (etcd_json_i64(res, "TTL", &ttl) < 0)
		return etcd_invalid(err, "a keepalive's TTL is not an integer");
	/* an expired lease is answered with 200 and no TTL */
	if (ttl <= 0)
		return berr_set(err, ENOENT, "etcd: lease %" PRIx64 " has expired", (uint64_t)id);
	*ret_ttl = ttl;
	return 0;
}

int etcd_lease_revoke(struct etcd *e, int64_t id, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:o}", "ID", etcd_json_int(id));
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_berr_ struct berr *local = NULL;
	int r;

	/* an expired lease is "not found": it is gone all the same */
	r = etcd_call(e, "/v3/lease/revoke", req, &reply, &local);
	if (r < 0 && r != -ENOENT && err && !*err)
		*err = TAKE_PTR(local);
	return r == -ENOENT ? 0 : r;
}

/* ---- watches ---- */

const char *etcd_event_type_to_string(enum etcd_event_type type)
{
	static const char *const names[] = {
		[ETCD_EVENT_PUT] = "PUT",
		[ETCD_EVENT_DELETE] = "DELETE",
		[ETCD_EVENT_RESYNC] = "RESYNC",
		[ETCD_EVENT_CONNECTED] = "CONNECTED",
		[ETCD_EVENT_DISCONNECTED] = "DISCONNECTED",
	};

	if ((size_t)type >= ARRAY_SIZE(names))
		return "unknown";
	return names[type];
}

/* Run one transfer on the watch's multi handle until it ends or the watch
 * stops (CURLE_ABORTED_BY_CALLBACK).  stream: a watch that etcd must
 * confirm before w->deadline_ns. */
static CURLcode etcd_watch_perform(struct etcd_watch *w, CURL *h, bool stream)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	CURLMsg *msg;
	int running, left;

	curl_multi_add_handle(w->multi, h);
	while (!atomic_load(&w->stop)) {
		if (curl_multi_perform(w->multi, &running) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY;
			break;
		}
		msg = curl_multi_info_read(w->multi, &left);
		if (msg && msg->msg == CURLMSG_DONE) {
			rc = msg->data.result;
			break;
		}
		if (stream && !w->created && util_now_ns() > w->deadline_ns) {
			berr_set(&w->why, ETIMEDOUT, "etcd at %s did not answer within %d s",
				 w->etcd->eps[w->cur].name, ETCD_REQUEST_TIMEOUT_MS / 1000);
			break;
		}
		curl_multi_poll(w->multi, NULL, 0, ETCD_POLL_MS, NULL);
	}
	curl_multi_remove_handle(w->multi, h);
	return rc;
}

static void etcd_watch_set_state(struct etcd_watch *w, enum etcd_watch_state state, int64_t rev,
				 const char *error)
{
	struct etcd_event ev = {.revision = rev, .error = error};

	if (w->state == state)
		return;
	w->state = state;
	ev.type = state == ETCD_WATCH_UP ? ETCD_EVENT_CONNECTED : ETCD_EVENT_DISCONNECTED;
	w->cb(w->arg, &ev);
}

/* One event of a message, decoded into ev (which then owns kv and prev). */
static int etcd_watch_event_from_json(json_t *o, struct etcd_event *ev, struct etcd_kv *kv,
				      struct etcd_kv *prev, struct berr **err)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	json_t *p = json_object_get(o, "prev_kv");
	int r;

	/* a PUT has no "type": it is the zero value */
	if (!type || streq(type, "PUT"))
		ev->type = ETCD_EVENT_PUT;
	else if (streq(type, "DELETE"))
		ev->type = ETCD_EVENT_DELETE;
	else
		return etcd_invalid(err, "an event's type is neither PUT nor DELETE");
	r = etcd_kv_from_json(json_object_get(o, "kv"), kv, err);
	if (r < 0)
		return r;
	ev->kv = kv;
	if (p) {
		r = etcd_kv_from_json(p, prev, err);
		if (r < 0) {
			etcd_kv_done(kv);
			return r;
		}
		ev->prev_kv = prev;
	}
	return 0;
}

/* The events of one message: all decoded before any is delivered, so that
 * a bad one does not leave the revision half seen. */
static int etcd_watch_events(struct etcd_watch *w, json_t *events, int64_t rev)
{
	size_t n = json_array_size(events), i, done = 0;
	struct etcd_event *evs;
	struct etcd_kv *kvs;
	int64_t last = 0;
	json_t *o;
	int r = 0;

	if (!json_is_array(events))
		return etcd_invalid(&w->why, "events is not an array");
	evs = xcalloc(n + 1, sizeof(*evs));
	kvs = xcalloc(2 * n + 1, sizeof(*kvs));
	json_array_foreach (events, i, o) {
		evs[i].revision = rev;
		r = etcd_watch_event_from_json(o, &evs[i], &kvs[2 * i], &kvs[2 * i + 1], &w->why);
		if (r < 0)
			break;
		done++;
	}
	for (i = 0; r == 0 && i < n; i++) {
		/* after a reconnect etcd resumes at next_rev: never older */
		if (evs[i].kv->mod_rev < w->next_rev)
			continue;
		w->cb(w->arg, &evs[i]);
		if (evs[i].kv->mod_rev > last)
			last = evs[i].kv->mod_rev;
	}
	if (last)
		w->next_rev = last + 1;
	etcd_kvs_free(kvs, 2 * done);
	free(evs);
	return r;
}

/* One message of the stream: {"result":{…}} or {"error":{…}}.  Negative:
 * end the stream (w->why says why, or w->resync is set). */
static int etcd_watch_message(struct etcd_watch *w, const char *line, size_t len)
{
	_cleanup_json_ json_t *msg = NULL;
	json_t *res, *events;
	json_error_t jerr;
	int64_t rev, compact;
	int r;

	if (len == 0)
		return 0;
	msg = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(msg))
		return berr_set(&w->why, EPROTO, "etcd sent an invalid watch message: %s",
				msg ? "not an object" : jerr.text);
	res = json_object_get(msg, "result");
	if (!json_is_object(res)) {
		r = etcd_error_from_json(msg, &w->why);
		return r < 0 ? r : etcd_invalid(&w->why, "a watch message has no result");
	}
	r = etcd_header_rev(res, &rev, &w->why);
	if (r < 0)
		return r;
	if (json_is_true(json_object_get(res, "canceled"))) {
		if (etcd_json_i64(res, "compact_revision", &compact) < 0)
			return etcd_invalid(&w->why, "compact_revision is not an integer");
		/* the history we asked for is gone; the stream stays open:
		 * close it, read everything again, watch from there */
		if (compact > 0) {
			w->resync = true;
			return -ESTALE;
		}
		return berr_set(&w->why, EIO, "etcd canceled the watch: %s",
				json_string_value(json_object_get(res, "cancel_reason"))
					?: "no reason");
	}
	if (json_is_true(json_object_get(res, "created"))) {
		w->created = true;
		if (w->next_rev == 0)
			w->next_rev = rev + 1;
		etcd_watch_set_state(w, ETCD_WATCH_UP, rev, NULL);
	}
	events = json_object_get(res, "events");
	if (events)
		return etcd_watch_events(w, events, rev);
	/* a progress notification: everything up to rev has been sent */
	if (w->created && !json_is_true(json_object_get(res, "created")) && rev >= w->next_rev)
		w->next_rev = rev + 1;
	return 0;
}

/* The stream's bytes: split into messages on "\n" (chunks are not
 * messages: a message and its "\n" may come apart). */
static size_t etcd_watch_write(char *p, size_t size, size_t n, void *data)
{
	struct etcd_watch *w = data;
	size_t start = 0;
	long status = 0;
	char *nl;

	if (!etcd_buf_add(&w->in, p, size * n))
		return 0;
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) /* an error body: read when the reply ends */
		return size * n;
	while ((nl = memchr(w->in.data + start, '\n', w->in.len - start))) {
		size_t len = (size_t)(nl - (w->in.data + start));

		if (etcd_watch_message(w, w->in.data + start, len) < 0)
			return 0;
		start += len + 1;
	}
	memmove(w->in.data, w->in.data + start, w->in.len - start);
	w->in.len -= start;
	return size * n;
}

static char *etcd_watch_request(const struct etcd_watch *w)
{
	_cleanup_json_ json_t *create =
		json_pack("{s:s,s:s}", "key", w->key_b64, "range_end", w->end_b64);
	_cleanup_json_ json_t *req = NULL;

	if (create && w->next_rev > 0)
		json_object_set_new(create, "start_revision", etcd_json_int(w->next_rev));
	if (create && (w->flags & ETCD_WATCH_PREV_KV))
		json_object_set_new(create, "prev_kv", json_true());
	req = json_pack("{s:O}", "create_request", create);
	return etcd_dumps(req);
}

/* One streaming request, its events delivered until it ends.  0: stopped,
 * or ended for a resync; negative: it failed or was cut (err says why). */
static int etcd_watch_stream(struct etcd_watch *w, struct berr **err)
{
	struct etcd *e = w->etcd;
	const struct etcd_ep *ep = &e->eps[w->cur];
	_cleanup_free_ char *url = xasprintf("%s/v3/watch", ep->url);
	_cleanup_free_ char *body = etcd_watch_request(w);
	long status = 0;
	CURLcode rc;

	etcd_http_setup(e, w->curl, url, body, &w->in, 0);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, etcd_watch_write);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
	w->in.len = 0;
	w->in.too_big = false;
	berr_freep(&w->why);
	w->deadline_ns = util_now_ns() + ETCD_REQUEST_TIMEOUT_MS * ETCD_NS_PER_MS;
	rc = etcd_watch_perform(w, w->curl, true);
	if (atomic_load(&w->stop) || w->resync)
		return 0;
	/* an endpoint that never confirmed the watch: the next one's turn */
	if (!w->created)
		w->cur = (w->cur + 1) % e->n_eps;
	if (w->why) {
		*err = TAKE_PTR(w->why);
		return -(*err)->code;
	}
	if (rc != CURLE_OK && etcd_http_unsent(w->curl, rc)) {
		_cleanup_free_ char *why = etcd_http_unreachable(ep, w->curl, rc);

		w->unreached++;
		return berr_set(err, EHOSTUNREACH, "%s", why);
	}
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status != 200)
		return etcd_http_error(ep, status, &w->in, err);
	if (w->in.too_big)
		return berr_set(err, EMSGSIZE,
				"etcd at %s sent a watch message larger than %u bytes", ep->name,
				ETCD_REPLY_MAX);
	if (rc != CURLE_OK)
		return berr_set(err, EIO, "lost the watch on etcd at %s: %s", ep->name,
				curl_easy_strerror(rc));
	return berr_set(err, EPIPE, "etcd at %s ended the watch", ep->name);
}

/* The history was compacted away: read everything, report it, and watch
 * from the revision it was read at. */
static int etcd_watch_resync(struct etcd_watch *w, struct berr **err)
{
	_cleanup_json_ json_t *req =
		json_pack("{s:s,s:s}", "key", w->key_b64, "range_end", w->end_b64);
	_cleanup_free_ char *body = etcd_dumps(req);
	_cleanup_json_ json_t *reply = NULL;
	struct etcd_event ev = {.type = ETCD_EVENT_RESYNC};
	struct etcd_kv *kvs;
	size_t n;
	int r;

	r = etcd_exchange(w->etcd, w->curl, w, &w->cur, "/v3/kv/range", body, &reply, err);
	if (r < 0)
		return atomic_load(&w->stop) ? 0 : r;
	r = etcd_range_from_json(reply, &kvs, &n, &ev.revision, err);
	if (r < 0)
		return r;
	ev.kvs = kvs;
	ev.n_kvs = n;
	w->resync = false;
	w->next_rev = ev.revision + 1;
	w->cb(w->arg, &ev);
	etcd_kvs_free(kvs, n);
	return 0;
}

/* Sleep ms, or less when the watch is stopped. */
static void etcd_watch_sleep(struct etcd_watch *w, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop) && pthread_cond_timedwait(&w->cond, &w->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&w->lock);
}

static void *etcd_watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	long backoff = ETCD_BACKOFF_MIN_MS;

	while (!atomic_load(&w->stop)) {
		_cleanup_berr_ struct berr *err = NULL;
		bool resync = w->resync;
		int r;

		w->created = false;
		r = resync ? etcd_watch_resync(w, &err) : etcd_watch_stream(w, &err);
		if (atomic_load(&w->stop))
			break;
		if (w->created)
			w->unreached = 0;
		if (r >= 0)
			continue;
		/* an endpoint that cannot be connected to: try the next one at
		 * once, wait after a round (a resync tried them all) */
		if (resync || r != -EHOSTUNREACH)
			w->unreached = 0;
		else if (w->unreached % w->etcd->n_eps)
			continue;
		/* a watch that ran retries soon; failures to reconnect slow down */
		if (w->created)
			backoff = ETCD_BACKOFF_MIN_MS;
		etcd_watch_set_state(w, ETCD_WATCH_DOWN, 0, berr_msg(err));
		etcd_watch_sleep(w, backoff);
		backoff = backoff * 2 > ETCD_BACKOFF_MAX_MS ? ETCD_BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

static void etcd_watch_free(struct etcd_watch *w)
{
	curl_easy_cleanup(w->curl);
	curl_multi_cleanup(w->multi);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	berr_free(w->why);
	free(w->in.data);
	free(w->key_b64);
	free(w->end_b64);
	free(w);
}

int etcd_watch_start(struct etcd *e, const char *prefix, int64_t start_rev, unsigned flags,
		     etcd_watch_fn cb, void *arg, struct etcd_watch **ret, struct berr **err)
{
	struct etcd_watch *w;
	pthread_condattr_t attr;
	sigset_t all, old;
	int r;

	if (start_rev < 0)
		return berr_set(err, EINVAL, "cannot watch etcd from revision %" PRId64, start_rev);
	w = xcalloc(1, sizeof(*w));
	w->etcd = e;
	w->flags = flags;
	w->cb = cb;
	w->arg = arg;
	w->next_rev = start_rev;
	etcd_prefix_b64(prefix, &w->key_b64, &w->end_b64);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	atomic_init(&w->stop, false);
	pthread_mutex_lock(&e->lock);
	w->cur = e->cur;
	pthread_mutex_unlock(&e->lock);
	w->curl = curl_easy_init();
	w->multi = curl_multi_init();
	if (!w->curl || !w->multi) {
		etcd_watch_free(w);
		return berr_set(err, ENOMEM, "cannot initialise libcurl");
	}
	/* signals are for the daemon's own threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, NULL, etcd_watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		etcd_watch_free(w);
		return berr_set(err, r, "cannot start a thread to watch etcd: %s", strerror(r));
	}
	*ret = w;
	return 0;
}

void etcd_watch_stop(struct etcd_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	etcd_watch_free(w);
}
