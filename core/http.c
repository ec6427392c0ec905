/* http.c - HTTP/1.1 over a unix socket on the event loop (see http.h).
 * A connection parses one request at a time with http-parser, pauses the
 * parser when a message is complete, hands the request to the handler and
 * reads no further until the request is answered (pipelined requests wait
 * in the input buffer).  Called by main.c (setup) and the API layer
 * (replies); everything runs on the loop thread. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <http_parser.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/http.h"
#include "core/log.h"
#include "core/util.h"

/* Longest request line we take (Docker's filters can be long, not this long). */
#define HTTP_MAX_URL (64 * 1024)

struct http_field {
	char *name;
	char *value;
};

struct http_req {
	struct http_conn *conn;
	char *url;
	char *path;
	struct http_field *query;
	size_t n_query;
	struct http_field *hdrs;
	size_t n_hdrs, cap_hdrs;
	bool in_value; /* the last header callback was a value */
	char *body;
	size_t body_len, body_cap;
	int spool_fd; /* >= 0: the body goes to this unlinked file instead */
	uint64_t spooled;
	bool head;
	bool streaming;
	bool raw;		/* upgraded: a plain byte pipe, no chunk framing */
	http_input_fn input_fn; /* hijacked: the client's bytes go here */
	void *input_arg;
	bool input_eof;	     /* input_fn was told of the end */
	char *reply_headers; /* "Name: value\r\n" lines for this reply only */
};

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	http_parser parser;
	struct http_req *cur;	  /* being parsed */
	struct http_req *pending; /* handed to the handler, not yet answered */
	bool in_process;	  /* inside conn_process: it resumes by itself */
	bool closing;		  /* close once the output is written */
	bool dead;		  /* the socket is gone; replies are dropped */
	int error_status;	  /* set by a parser callback that refuses */
	struct http_conn *prev, *next;
};

struct http_server {
	struct event_base *base;
	struct http_config cfg;
	struct evconnlistener *listener;
	struct http_conn *conns;
	char *path;
};

static const http_parser_settings http_settings;
static void http_conn_process(struct http_conn *conn);

static const char *http_status_text(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Request Entity Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

static void http_fields_free(struct http_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
	free(f);
}

static void http_req_free(struct http_req *req)
{
	if (!req)
		return;
	free(req->url);
	free(req->path);
	http_fields_free(req->query, req->n_query);
	http_fields_free(req->hdrs, req->n_hdrs);
	free(req->body);
	free(req->reply_headers);
	if (req->spool_fd >= 0)
		close(req->spool_fd);
	free(req);
}

static void http_conn_free(struct http_conn *conn)
{
	struct http_server *srv = conn->srv;

	if (conn->prev)
		conn->prev->next = conn->next;
	else
		srv->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	if (conn->bev)
		bufferevent_free(conn->bev);
	http_req_free(conn->cur);
	free(conn);
}

/* The socket is unusable: drop it now, or when the pending request is answered. */
static void http_conn_kill(struct http_conn *conn)
{
	if (conn->bev) {
		bufferevent_free(conn->bev);
		conn->bev = NULL;
	}
	conn->dead = true;
	if (!conn->pending && !conn->in_process)
		http_conn_free(conn);
}

/* Append to a growing string field of a request. */
static void http_append(char **s, size_t *len, size_t *cap, const char *data, size_t n)
{
	xgrow(s, cap, *len + n + 1, 1);
	memcpy(*s + *len, data, n);
	*len += n;
	(*s)[*len] = '\0';
}

static void http_strcat(char **s, const char *data, size_t n)
{
	size_t len = *s ? strlen(*s) : 0, cap = *s ? len + 1 : 0;

	http_append(s, &len, &cap, data, n);
}

static int http_on_message_begin(http_parser *p)
{
	struct http_conn *conn = p->data;

	http_req_free(conn->cur);
	conn->cur = xcalloc(1, sizeof(*conn->cur));
	conn->cur->conn = conn;
	conn->cur->spool_fd = -1;
	return 0;
}

static int http_on_url(http_parser *p, const char *at, size_t n)
{
	struct http_conn *conn = p->data;

	if ((conn->cur->url ? strlen(conn->cur->url) : 0) + n > HTTP_MAX_URL) {
		conn->error_status = 431;
		return -1;
	}
	http_strcat(&conn->cur->url, at, n);
	return 0;
}

static int http_on_header_field(http_parser *p, const char *at, size_t n)
{
	struct http_req *req = ((struct http_conn *)p->data)->cur;

	if (req->in_value || req->n_hdrs == 0) {
		xgrow(&req->hdrs, &req->cap_hdrs, req->n_hdrs + 1, sizeof(*req->hdrs));
		req->n_hdrs++;
		req->in_value = false;
	}
	http_strcat(&req->hdrs[req->n_hdrs - 1].name, at, n);
	return 0;
}

static int http_on_header_value(http_parser *p, const char *at, size_t n)
{
	struct http_req *req = ((struct http_conn *)p->data)->cur;

	req->in_value = true;
	http_strcat(&req->hdrs[req->n_hdrs - 1].value, at, n);
	return 0;
}

/* Routes that take large bodies (tar streams) get them in a temp file. */
static int http_spool_open(struct http_conn *conn, struct http_req *req)
{
	const struct http_config *cfg = &conn->srv->cfg;

	if (!cfg->spool_body || !req->url ||
	    !cfg->spool_body(http_method_str(conn->parser.method), req->url))
		return 0;
	req->spool_fd = open(cfg->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (req->spool_fd < 0) {
		log_error("http: cannot spool a request body in %s: %m", cfg->spool_dir);
		conn->error_status = 500;
		return -1;
	}
	return 1;
}

static int http_on_headers_complete(http_parser *p)
{
	struct http_conn *conn = p->data;
	int spool;

	conn->cur->head = p->method == HTTP_HEAD;
	spool = http_spool_open(conn, conn->cur);
	if (spool < 0)
		return -1;
	/* ULLONG_MAX means "no Content-Length" */
	if (p->content_length != ULLONG_MAX &&
	    p->content_length > (spool ? conn->srv->cfg.max_spool : conn->srv->cfg.max_body)) {
		conn->error_status = 413;
		return -1;
	}
	return 0;
}

static int http_spool_write(struct http_conn *conn, struct http_req *req, const char *at, size_t n)
{
	if (req->spooled + n > conn->srv->cfg.max_spool) {
		conn->error_status = 413;
		return -1;
	}
	while (n) {
		ssize_t w = write(req->spool_fd, at, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_error("http: cannot spool a request body: %m");
			conn->error_status = errno == ENOSPC ? 413 : 500;
			return -1;
		}
		at += w;
		n -= (size_t)w;
		req->spooled += (uint64_t)w;
	}
	return 0;
}

static int http_on_body(http_parser *p, const char *at, size_t n)
{
	struct http_conn *conn = p->data;
	struct http_req *req = conn->cur;

	if (req->spool_fd >= 0)
		return http_spool_write(conn, req, at, n);
	if (req->body_len + n > conn->srv->cfg.max_body) {
		conn->error_status = 413;
		return -1;
	}
	http_append(&req->body, &req->body_len, &req->body_cap, at, n);
	return 0;
}

static int http_on_message_complete(http_parser *p)
{
	/* one request at a time: stop here until it is answered */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings http_settings = {
	.on_message_begin = http_on_message_begin,
	.on_url = http_on_url,
	.on_header_field = http_on_header_field,
	.on_header_value = http_on_header_value,
	.on_headers_complete = http_on_headers_complete,
	.on_body = http_on_body,
	.on_message_complete = http_on_message_complete,
};

static int http_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_unescape(char *s, bool plus)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = http_hex(s[1]), lo = hi < 0 ? -1 : http_hex(s[2]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			*out++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*out++ = plus && *s == '+' ? ' ' : *s;
		}
	}
	*out = '\0';
	return 0;
}

/* Split the URL into a decoded path and decoded query fields. */
static int http_req_parse_url(struct http_req *req)
{
	char *q = strchr(req->url, '?');
	char *save = NULL, *part;

	req->path = q ? xstrndup(req->url, (size_t)(q - req->url)) : xstrdup(req->url);
	if (req->path[0] != '/' || http_unescape(req->path, false) < 0)
		return -EINVAL;
	if (!q)
		return 0;
	q = xstrdup(q + 1);
	for (part = strtok_r(q, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(part, '=');
		struct http_field f = {0};

		if (eq)
			*eq = '\0';
		f.name = xstrdup(part);
		f.value = xstrdup(eq ? eq + 1 : "");
		req->query = xrealloc(req->query, (req->n_query + 1) * sizeof(*req->query));
		req->query[req->n_query++] = f;
		if (http_unescape(f.name, true) < 0 || http_unescape(f.value, true) < 0) {
			free(q);
			return -EINVAL;
		}
	}
	free(q);
	return 0;
}

const char *http_req_method(const struct http_req *req)
{
	return http_method_str(req->conn->parser.method);
}

const char *http_req_path(const struct http_req *req)
{
	return req->path;
}

const char *http_req_query(const struct http_req *req, const char *key)
{
	for (size_t i = 0; i < req->n_query; i++)
		if (streq(req->query[i].name, key))
			return req->query[i].value;
	return NULL;
}

char *http_req_query_joined(const struct http_req *req, const char *key, char sep)
{
	char *out = NULL;

	for (size_t i = 0; i < req->n_query; i++) {
		char *n;

		if (!streq(req->query[i].name, key))
			continue;
		n = out ? xasprintf("%s%c%s", out, sep, req->query[i].value)
			: xstrdup(req->query[i].value);
		free(out);
		out = n;
	}
	return out;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_hdrs; i++)
		if (req->hdrs[i].name && strcasecmp(req->hdrs[i].name, name) == 0)
			return req->hdrs[i].value ? req->hdrs[i].value : "";
	return NULL;
}

const char *http_req_body(const struct http_req *req, size_t *ret_len)
{
	*ret_len = req->body_len;
	return req->body ? req->body : "";
}

int http_req_body_fd(const struct http_req *req, int *ret_fd)
{
	int fd;

	if (req->spool_fd >= 0) {
		_cleanup_free_ char *path = xasprintf("/proc/self/fd/%d", req->spool_fd);

		/* a new open file, so the reader has its own offset */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret_fd = fd;
		return 0;
	}
	fd = memfd_create("body", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (req->body_len && write(fd, req->body, req->body_len) != (ssize_t)req->body_len) {
		close(fd);
		return -EIO;
	}
	lseek(fd, 0, SEEK_SET);
	*ret_fd = fd;
	return 0;
}

/* Status line and the headers every response carries. */
static void http_write_head(struct http_req *req, int status, const char *content_type)
{
	struct http_conn *conn = req->conn;
	struct evbuffer *out = bufferevent_get_output(conn->bev);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n%s%s", status, http_status_text(status),
			    conn->srv->cfg.extra_headers ? conn->srv->cfg.extra_headers : "",
			    req->reply_headers ? req->reply_headers : "");
	if (content_type)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	if (conn->closing)
		evbuffer_add_printf(out, "Connection: close\r\n");
}

static void http_close_when_written(struct bufferevent *bev, void *data)
{
	(void)bev;
	http_conn_kill(data);
}

/* The request is answered: free it and go on with the connection. */
static void http_req_done(struct http_req *req)
{
	struct http_conn *conn = req->conn;

	if (conn->pending == req)
		conn->pending = NULL;
	http_req_free(req);
	if (conn->dead) {
		if (!conn->in_process)
			http_conn_free(conn);
		return;
	}
	if (conn->closing) {
		/* the write callback fires once the output buffer is empty */
		bufferevent_disable(conn->bev, EV_READ);
		bufferevent_setcb(conn->bev, NULL, http_close_when_written, NULL, conn);
		if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
			http_conn_kill(conn);
		return;
	}
	http_parser_pause(&conn->parser, 0);
	bufferevent_enable(conn->bev, EV_READ);
	if (!conn->in_process)
		http_conn_process(conn);
}

void http_req_add_reply_header(struct http_req *req, const char *name, const char *value)
{
	char *line = xasprintf("%s%s: %s\r\n", req->reply_headers ? req->reply_headers : "", name,
			       value);

	free(req->reply_headers);
	req->reply_headers = line;
}

void http_reply(struct http_req *req, int status, const char *content_type, const void *body,
		size_t len)
{
	struct http_conn *conn = req->conn;

	if (!conn->dead) {
		struct evbuffer *out = bufferevent_get_output(conn->bev);

		http_write_head(req, status, len || content_type ? content_type : NULL);
		if (status != 204 && status != 304 && status >= 200)
			evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
		evbuffer_add(out, "\r\n", 2);
		if (len && !req->head)
			evbuffer_add(out, body, len);
	}
	http_req_done(req);
}

void http_reply_json(struct http_req *req, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (s) {
		size_t len = strlen(s);

		/* Docker ends JSON bodies with a newline */
		s = xrealloc(s, len + 2);
		s[len] = '\n';
		s[len + 1] = '\0';
	}
	http_reply(req, status, "application/json", s ? s : "", s ? strlen(s) : 0);
	free(s);
	json_decref(body);
}

void http_reply_error(struct http_req *req, int status, const char *msg)
{
	http_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

void http_stream_begin(struct http_req *req, int status, const char *content_type)
{
	struct http_conn *conn = req->conn;

	req->streaming = true;
	if (conn->dead)
		return;
	http_write_head(req, status, content_type);
	evbuffer_add_printf(bufferevent_get_output(conn->bev),
			    "Transfer-Encoding: chunked\r\n\r\n");
}

void http_upgrade(struct http_req *req, const char *content_type)
{
	struct http_conn *conn = req->conn;

	req->streaming = true;
	req->raw = true;
	conn->closing = true;
	if (conn->dead)
		return;
	evbuffer_add_printf(bufferevent_get_output(conn->bev),
			    "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\n"
			    "Upgrade: tcp\r\n%s\r\n",
			    content_type,
			    conn->srv->cfg.extra_headers ? conn->srv->cfg.extra_headers : "");
	/* now, not on the next loop turn: no payload may join this write */
	evbuffer_write(bufferevent_get_output(conn->bev), bufferevent_getfd(conn->bev));
}

/* Tell the hijacker the client's side has ended (once). */
static void http_input_end(struct http_req *req)
{
	if (!req || !req->input_fn || req->input_eof)
		return;
	req->input_eof = true;
	req->input_fn(req, NULL, 0, req->input_arg);
}

/* The client's bytes on a hijacked connection, piece by piece, while the
 * request is not ended.  in_process keeps conn alive across the callbacks. */
static void http_hijack_read_cb(struct bufferevent *bev, void *data)
{
	struct http_conn *conn = data;
	char buf[16384];

	(void)bev;
	conn->in_process = true;
	while (!conn->dead && conn->pending && conn->pending->input_fn &&
	       !conn->pending->input_eof) {
		int n = evbuffer_remove(bufferevent_get_input(conn->bev), buf, sizeof(buf));

		if (n <= 0)
			break;
		conn->pending->input_fn(conn->pending, buf, (size_t)n, conn->pending->input_arg);
	}
	if (!conn->dead && !conn->pending)
		evbuffer_drain(bufferevent_get_input(conn->bev), (size_t)-1);
	conn->in_process = false;
	if (conn->dead && !conn->pending)
		http_conn_free(conn);
}

/* EOF from the client is a half-close: output goes on.  An error ends it. */
static void http_hijack_event_cb(struct bufferevent *bev, short what, void *data)
{
	struct http_conn *conn = data;

	(void)bev;
	conn->in_process = true;
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		http_conn_kill(conn);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		http_input_end(conn->pending);
	conn->in_process = false;
	if (conn->dead && !conn->pending)
		http_conn_free(conn);
}

void http_hijack_input(struct http_req *req, http_input_fn fn, void *arg)
{
	struct http_conn *conn = req->conn;

	req->input_fn = fn;
	req->input_arg = arg;
	if (conn->dead) {
		req->input_eof = true;
		return;
	}
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
	bufferevent_setcb(conn->bev, http_hijack_read_cb, NULL, http_hijack_event_cb, conn);
	bufferevent_enable(conn->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(conn->bev)))
		bufferevent_trigger(conn->bev, EV_READ, BEV_OPT_DEFER_CALLBACKS);
}

bool http_req_gone(const struct http_req *req)
{
	return req->conn->dead;
}

void http_stream_write(struct http_req *req, const void *data, size_t len)
{
	struct http_conn *conn = req->conn;
	struct evbuffer *out;

	if (conn->dead || len == 0 || req->head)
		return;
	out = bufferevent_get_output(conn->bev);
	if (req->raw) {
		evbuffer_add(out, data, len);
		return;
	}
	evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	evbuffer_add(out, "\r\n", 2);
}

void http_stream_end(struct http_req *req)
{
	struct http_conn *conn = req->conn;

	if (!conn->dead && !req->head && !req->raw)
		evbuffer_add(bufferevent_get_output(conn->bev), "0\r\n\r\n", 5);
	http_req_done(req);
}

/* A request the parser refused: answer and close. */
static void http_conn_refuse(struct http_conn *conn, int status, const char *msg)
{
	struct http_req *req = conn->cur ? conn->cur : xcalloc(1, sizeof(*req));

	conn->cur = NULL;
	req->conn = conn;
	conn->pending = req;
	conn->closing = true;
	http_reply_error(req, status, msg);
}

/* Hand a complete request to the handler. */
static void http_conn_dispatch(struct http_conn *conn)
{
	struct http_req *req = TAKE_PTR(conn->cur);

	if (!req->url || http_req_parse_url(req) < 0) {
		conn->cur = req;
		http_conn_refuse(conn, 400, "malformed request URL");
		return;
	}
	if (!http_should_keep_alive(&conn->parser))
		conn->closing = true;
	conn->pending = req;
	bufferevent_disable(conn->bev, EV_READ);
	conn->srv->cfg.handler(req, conn->srv->cfg.handler_data);
}

/* Feed buffered input to the parser; dispatch each complete request. */
static void http_conn_process(struct http_conn *conn)
{
	conn->in_process = true;
	while (!conn->dead && !conn->pending && !conn->closing) {
		struct evbuffer *in = bufferevent_get_input(conn->bev);
		size_t len = evbuffer_get_length(in), n;
		enum http_errno e;
		char *data;

		if (len == 0)
			break;
		data = (char *)evbuffer_pullup(in, -1);
		n = http_parser_execute(&conn->parser, &http_settings, data, len);
		evbuffer_drain(in, n);
		e = HTTP_PARSER_ERRNO(&conn->parser);
		if (e == HPE_PAUSED) {
			http_conn_dispatch(conn);
		} else if (e != HPE_OK) {
			int status = conn->error_status ? conn->error_status : 400;
			const char *why = status == 413	  ? "request body too large"
					  : status == 431 ? "request line too long"
							  : http_errno_description(e);
			char *msg = xasprintf("bad request: %s", why);

			http_conn_refuse(conn, status, msg);
			free(msg);
		} else {
			break;
		}
	}
	conn->in_process = false;
	if (conn->dead && !conn->pending)
		http_conn_free(conn);
}

static void http_read_cb(struct bufferevent *bev, void *data)
{
	(void)bev;
	http_conn_process(data);
}

static void http_event_cb(struct bufferevent *bev, short what, void *data)
{
	struct http_conn *conn = data;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		http_conn_kill(conn);
}

static void http_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			   int socklen, void *data)
{
	struct http_server *srv = data;
	struct http_conn *conn = xcalloc(1, sizeof(*conn));
	struct timeval idle = {.tv_sec = srv->cfg.idle_timeout_s};

	(void)l, (void)sa, (void)socklen;
	conn->srv = srv;
	conn->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	http_parser_init(&conn->parser, HTTP_REQUEST);
	conn->parser.data = conn;
	conn->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = conn;
	srv->conns = conn;
	bufferevent_setcb(conn->bev, http_read_cb, NULL, http_event_cb, conn);
	if (srv->cfg.idle_timeout_s)
		bufferevent_set_timeouts(conn->bev, &idle, NULL);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
}

/* Is someone answering on this socket path? */
static bool http_socket_live(const struct sockaddr_un *sun)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
}

/* Socket permissions: the mode asked, group "berth" when that group exists. */
static int http_socket_perms(const char *path, unsigned mode, struct berr **err)
{
	struct group *gr = getgrnam("berth");

	if (gr && chown(path, 0, gr->gr_gid) < 0)
		return berr_set(err, errno, "cannot chown %s: %m", path);
	if (chmod(path, mode) < 0)
		return berr_set(err, errno, "cannot chmod %s: %m", path);
	return 0;
}

static int http_listen_unix(const char *path, unsigned mode, int *ret_fd, struct berr **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return berr_set(err, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(sun.sun_path, path);
	if (http_socket_live(&sun))
		return berr_set(err, EADDRINUSE, "another daemon is already listening on %s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_set(err, errno, "socket: %m");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return berr_set(err, errno, "cannot bind %s: %m", path);
	r = http_socket_perms(path, mode, err);
	if (r < 0)
		return r;
	if (listen(fd, 128) < 0)
		return berr_set(err, errno, "cannot listen on %s: %m", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int http_server_new(struct event_base *base, const struct http_config *cfg,
		    struct http_server **ret, struct berr **err)
{
	struct http_server *srv;
	int fd = -1, r;

	r = http_listen_unix(cfg->socket_path, cfg->socket_mode, &fd, err);
	if (r < 0)
		return r;
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = *cfg;
	srv->path = xstrdup(cfg->socket_path);
	srv->listener = evconnlistener_new(base, http_accept_cb, srv,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!srv->listener) {
		close(fd);
		unlink(srv->path);
		free(srv->path);
		free(srv);
		return berr_set(err, EIO, "cannot listen on %s", cfg->socket_path);
	}
	*ret = srv;
	return 0;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	evconnlistener_free(srv->listener);
	unlink(srv->path);
	while (srv->conns) {
		struct http_conn *conn = srv->conns;

		http_req_free(conn->pending);
		conn->pending = NULL;
		http_conn_free(conn);
	}
	free(srv->path);
	free(srv);
}
