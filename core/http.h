/* http.h - the HTTP/1.1 server on the event loop: unix-socket listener,
 * connections on bufferevents, requests parsed by http-parser (chunked
 * bodies included), bounded bodies and idle timeouts.  It knows nothing of
 * Docker or JSON routes: each complete request goes to one handler, which
 * answers it exactly once, at once or later (from the loop thread).  All
 * functions run on the loop thread. */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"

struct http_server;
struct http_req;

typedef void (*http_handler_fn)(struct http_req *req, void *data);

struct http_config {
	const char *socket_path;
	unsigned socket_mode; /* e.g. 0660 */
	size_t max_body;      /* bytes kept in memory; larger bodies get 413 */
	/* Requests for which spool_body(method, url) is true have their body
	 * written to an unlinked file in spool_dir, up to max_spool bytes. */
	bool (*spool_body)(const char *method, const char *url);
	const char *spool_dir;
	uint64_t max_spool;
	unsigned idle_timeout_s;   /* close connections idle this long */
	const char *extra_headers; /* "Name: value\r\n" lines put on every response */
	http_handler_fn handler;
	void *handler_data;
};

/* Bind the unix socket (replacing a stale socket file) and start accepting. */
int http_server_new(struct event_base *base, const struct http_config *cfg,
		    struct http_server **ret, struct berr **err);
/* Stop accepting and close every connection; pending requests are dropped. */
void http_server_free(struct http_server *srv);

/* The request.  Strings are borrowed until the reply is sent. */
const char *http_req_method(const struct http_req *req);
/* The path, percent-decoded, without the query string. */
const char *http_req_path(const struct http_req *req);
/* A query parameter, decoded ('+' is a space), or NULL when absent. */
const char *http_req_query(const struct http_req *req, const char *key);
/* Every value of a repeated query parameter (docker sends one `changes=` per
 * change), joined by sep; NULL when absent.  Caller frees. */
char *http_req_query_joined(const struct http_req *req, const char *key, char sep);
/* A header value (name compared case-insensitively), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_body(const struct http_req *req, size_t *ret_len);
/* The body as a file descriptor at offset 0 (its own open file: spooled
 * bodies are reopened, small ones copied to a memfd).  Caller closes. */
int http_req_body_fd(const struct http_req *req, int *ret_fd);

/* A header for this request's reply only (call before replying). */
void http_req_add_reply_header(struct http_req *req, const char *name, const char *value);

/* Answer a request; exactly one of these per request.  The request is freed
 * afterwards.  For HEAD requests the body is left out, its length kept. */
void http_reply(struct http_req *req, int status, const char *content_type, const void *body,
		size_t len);
/* body is stolen; NULL gives an empty body. */
void http_reply_json(struct http_req *req, int status, json_t *body);
/* {"message": msg} with Content-Type application/json, as Docker answers. */
void http_reply_error(struct http_req *req, int status, const char *msg);

/* A streamed answer: headers now (chunked), body pieces later, then end. */
void http_stream_begin(struct http_req *req, int status, const char *content_type);
void http_stream_write(struct http_req *req, const void *data, size_t len);
void http_stream_end(struct http_req *req);

/* Answer 101 and turn the connection into a byte pipe (attach, exec):
 * http_stream_write sends raw bytes, http_stream_end closes it.  The
 * header block is written to the socket at once, in a write of its own
 * (docker-py loses payload that shares a read with the header). */
void http_upgrade(struct http_req *req, const char *content_type);

/* After http_upgrade: what the client sends.  data/len is a piece of its
 * byte stream; len 0 (data NULL) comes once, when the client half-closed
 * its side (or went away).  Output goes on until http_stream_end, which
 * fn may call itself. */
typedef void (*http_input_fn)(struct http_req *req, const char *data, size_t len, void *arg);
/* Start reading the client's bytes (those already buffered come first,
 * from the loop, never from inside this call); no idle timeout applies. */
void http_hijack_input(struct http_req *req, http_input_fn fn, void *arg);

/* The client went away (a write failed or the socket closed). */
bool http_req_gone(const struct http_req *req);

/* Percent-decode s in place ('+' to space when plus is true); -EINVAL on a
 * malformed escape. */
int http_unescape(char *s, bool plus);

#endif
