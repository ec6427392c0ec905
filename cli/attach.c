/* attach.c - the streamed side of the container commands: a request on
 * its own unix-socket connection with a minimal HTTP/1.1 of our own (so a
 * body can be read as it comes and an upgraded connection used both
 * ways), chunked decoding, stdcopy demultiplexing, the hijacked attach
 * pump with stdin, raw terminal mode and docker's signal proxy.  Used by
 * run.c and cmd-container.c (attach, start -a, logs, wait). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/cmd-container.h"
#include "core/util.h"

#define ATTACH_BUF 32768

#define ATTACH_MIN(a, b) ((a) < (b) ? (a) : (b))

enum attach_body {
	ATTACH_BODY_RAW,     /* until the connection closes (upgraded, or close-delimited) */
	ATTACH_BODY_LENGTH,  /* Content-Length bytes */
	ATTACH_BODY_CHUNKED, /* Transfer-Encoding: chunked */
};

struct attach_conn {
	int fd;
	int status;
	enum attach_body kind;
	uint64_t left;	 /* LENGTH: bytes due; CHUNKED: bytes left in this chunk */
	bool chunk_crlf; /* CHUNKED: a chunk's trailing CRLF is due */
	bool done;
	char *buf; /* bytes received and not yet consumed: buf[off..len) */
	size_t off, len, cap;
};

/* --- stdcopy --- */

static int stdcopy_write(struct stdcopy *s, const char *p, size_t n, FILE *out, FILE *errf,
			 struct berr **err)
{
	switch (s->stream) {
	case 0:
	case 1:
		fwrite(p, 1, n, out);
		return 0;
	case 2:
	case 3:
		fwrite(p, 1, n, errf);
		return 0;
	}
	return berr_set(err, EPROTO, "Unrecognized input header: %d", s->stream);
}

int stdcopy_feed(struct stdcopy *s, const char *buf, size_t len, FILE *out, FILE *errf,
		 struct berr **err)
{
	while (len) {
		size_t n;
		int r;

		if (s->left == 0 && s->hdr_len < sizeof(s->hdr)) {
			n = ATTACH_MIN(len, sizeof(s->hdr) - s->hdr_len);
			memcpy(s->hdr + s->hdr_len, buf, n);
			s->hdr_len += n;
			buf += n, len -= n;
			if (s->hdr_len < sizeof(s->hdr))
				break;
			s->stream = s->hdr[0];
			s->left = (uint32_t)s->hdr[4] << 24 | (uint32_t)s->hdr[5] << 16 |
				  (uint32_t)s->hdr[6] << 8 | s->hdr[7];
			s->hdr_len = s->left ? sizeof(s->hdr) : 0;
			continue;
		}
		n = ATTACH_MIN(len, (size_t)s->left);
		r = stdcopy_write(s, buf, n, out, errf, err);
		if (r < 0)
			return r;
		buf += n, len -= n;
		s->left -= (uint32_t)n;
		if (s->left == 0)
			s->hdr_len = 0;
	}
	fflush(out);
	fflush(errf);
	return 0;
}

/* --- the connection --- */

static int attach_daemon_down(const char *host, struct berr **err)
{
	return berr_set(err, ECONNREFUSED,
			"Cannot connect to the berth daemon at %s. Is berthd running?", host);
}

static int attach_connect(const char *host, int *ret_fd, struct berr **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = host + strlen("unix://");
	int fd;

	if (!strprefix(host, "unix://") || strlen(path) >= sizeof(sun.sun_path))
		return berr_set(err, EINVAL,
				"unsupported host %s: berth only talks to unix://PATH sockets",
				host);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_set(err, errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return attach_daemon_down(host, err);
	}
	*ret_fd = fd;
	return 0;
}

static int attach_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes into c->buf; 0 at EOF. */
static ssize_t attach_fill(struct attach_conn *c)
{
	ssize_t n;

	if (c->off == c->len)
		c->off = c->len = 0;
	xgrow(&c->buf, &c->cap, c->len + ATTACH_BUF + 1, 1);
	do
		n = read(c->fd, c->buf + c->len, ATTACH_BUF);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
	return n < 0 ? -errno : n;
}

/* A header's value in the head text (NULL if absent); caller frees. */
static char *attach_header(const char *head, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1 + strspn(p + nl + 1, " \t");

			return xstrndup(v, strcspn(v, "\r\n"));
		}
	}
	return NULL;
}

/* Read the status line and the headers; set status and body kind. */
static int attach_read_head(struct attach_conn *c, struct berr **err)
{
	_cleanup_free_ char *te = NULL, *cl = NULL, *head = NULL;
	char *end;
	ssize_t n;

	while (!(c->buf && (end = strstr(c->buf, "\r\n\r\n")))) {
		n = attach_fill(c);
		if (n <= 0)
			return berr_set(err, EPROTO,
					"daemon closed the connection before replying");
	}
	head = xstrndup(c->buf, (size_t)(end - c->buf) + 2);
	c->off = (size_t)(end - c->buf) + 4;
	if (sscanf(head, "HTTP/1.%*d %d", &c->status) != 1)
		return berr_set(err, EPROTO, "bad reply from daemon: %.40s", head);
	te = attach_header(head, "Transfer-Encoding");
	cl = attach_header(head, "Content-Length");
	if (c->status == 101 || (!te && !cl)) {
		c->kind = ATTACH_BODY_RAW;
	} else if (te && strcasestr(te, "chunked")) {
		c->kind = ATTACH_BODY_CHUNKED;
	} else {
		c->kind = ATTACH_BODY_LENGTH;
		c->left = strtoull(cl, NULL, 10);
		c->done = c->left == 0;
	}
	return 0;
}

/* An error status: its JSON message as the CLI prints it. */
static int attach_reply_error(struct attach_conn *c, struct berr **err)
{
	_cleanup_free_ char *body = NULL;
	json_t *j;
	int r;

	attach_read_all(c, &body, NULL);
	j = body ? json_loads(body, 0, NULL) : NULL;
	r = berr_set(err, client_status_errno(c->status), "Error response from daemon: %s",
		     json_string_value(json_object_get(j, "message")) ?: (body ?: ""));
	json_decref(j);
	return r;
}

int attach_open(const char *host, const char *method, const char *path, bool upgrade,
		struct attach_conn **ret, struct berr **err)
{
	_cleanup_free_ char *req = xasprintf(
		"%s /v" CLI_API_VERSION "%s HTTP/1.1\r\nHost: api.moby.localhost\r\n"
		"User-Agent: berth/" CLI_VERSION " (linux)\r\n%s%s\r\n",
		method, path, streq(method, "GET") ? "" : "Content-Length: 0\r\n",
		upgrade ? "Content-Type: text/plain\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
			: "");
	struct attach_conn *c = xcalloc(1, sizeof(*c));
	int r;

	c->fd = -1;
	r = attach_connect(host, &c->fd, err);
	if (r == 0 && attach_write_all(c->fd, req, strlen(req)) < 0)
		r = attach_daemon_down(host, err);
	if (r == 0)
		r = attach_read_head(c, err);
	if (r == 0 && c->status >= 300 && c->status != 304)
		r = attach_reply_error(c, err);
	else if (r == 0 && upgrade && c->status != 101)
		r = berr_set(err, EPROTO, "unable to upgrade to tcp, received %d", c->status);
	if (r < 0) {
		attach_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

void attach_close(struct attach_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

/* Make sure some bytes are buffered; 0 at EOF. */
static ssize_t attach_want(struct attach_conn *c)
{
	if (c->off < c->len)
		return (ssize_t)(c->len - c->off);
	return attach_fill(c);
}

/* CHUNKED: read the next size line (after a previous chunk's CRLF). */
static int attach_next_chunk(struct attach_conn *c, struct berr **err)
{
	char *eol;

	for (;;) {
		if (c->chunk_crlf && c->len - c->off >= 2) {
			c->off += 2;
			c->chunk_crlf = false;
		}
		eol = c->chunk_crlf ? NULL : memmem(c->buf + c->off, c->len - c->off, "\r\n", 2);
		if (eol)
			break;
		if (attach_fill(c) <= 0)
			return berr_set(err, EPROTO, "daemon ended a chunked reply early");
	}
	c->left = strtoull(c->buf + c->off, NULL, 16);
	c->off = (size_t)(eol - c->buf) + 2;
	c->done = c->left == 0;
	c->chunk_crlf = true;
	return 0;
}

ssize_t attach_read(struct attach_conn *c, char *buf, size_t len, struct berr **err)
{
	ssize_t n;
	size_t k;

	if (c->done)
		return 0;
	if (c->kind == ATTACH_BODY_CHUNKED && c->left == 0) {
		int r = attach_next_chunk(c, err);

		if (r < 0 || c->done)
			return r;
	}
	n = attach_want(c);
	if (n < 0)
		return berr_set(err, (int)-n, "reading from daemon: %s", strerror((int)-n));
	if (n == 0) {
		c->done = true;
		if (c->kind != ATTACH_BODY_RAW)
			return berr_set(err, EPROTO, "daemon closed the connection early");
		return 0;
	}
	k = ATTACH_MIN(len, (size_t)n);
	if (c->kind != ATTACH_BODY_RAW)
		k = ATTACH_MIN(k, c->left);
	memcpy(buf, c->buf + c->off, k);
	c->off += k;
	if (c->kind != ATTACH_BODY_RAW) {
		c->left -= k;
		c->done = c->kind == ATTACH_BODY_LENGTH && c->left == 0;
	}
	return (ssize_t)k;
}

int attach_read_all(struct attach_conn *c, char **ret, struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(ATTACH_BUF);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	ssize_t n;

	while ((n = attach_read(c, buf, ATTACH_BUF, err)) > 0)
		fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	if (n < 0) {
		free(out);
		return (int)n;
	}
	*ret = out;
	return 0;
}

int attach_wait_status(struct attach_conn *c, int *ret_status, struct berr **err)
{
	_cleanup_free_ char *body = NULL;
	json_t *j, *e;
	int r = attach_read_all(c, &body, err);

	if (r < 0)
		return r;
	j = json_loads(body, 0, NULL);
	e = json_object_get(json_object_get(j, "Error"), "Message");
	if (!json_is_integer(json_object_get(j, "StatusCode")))
		r = berr_set(err, EPROTO, "invalid wait reply from daemon: %s", body);
	else if (json_string_value(e) && *json_string_value(e))
		r = berr_set(err, EIO, "%s", json_string_value(e));
	else
		*ret_status = (int)json_integer_value(json_object_get(j, "StatusCode"));
	json_decref(j);
	return r;
}

/* --- the pump --- */

/* Raw mode on the terminal of stdin while attached with a tty. */
struct attach_term {
	bool raw;
	struct termios saved;
};

static void attach_term_raw(struct attach_term *t)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
		return;
	tio = t->saved;
	cfmakeraw(&tio);
	t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
}

static void attach_term_restore(struct attach_term *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

void attach_resize(struct client *cl, const char *id)
{
	_cleanup_free_ char *path = NULL;
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return;
	path = xasprintf("/containers/%s/resize?h=%u&w=%u", id, ws.ws_row, ws.ws_col);
	client_post(cl, path, NULL, NULL, NULL);
}

/* The signals docker's sig-proxy forwards (not SIGCHLD, SIGPIPE, SIGURG,
 * SIGWINCH, which concern the CLI itself). */
static const int attach_proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int attach_sigfd(sigset_t *ret_old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(attach_proxied); i++)
		sigaddset(&set, attach_proxied[i]);
	sigprocmask(SIG_BLOCK, &set, ret_old);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* POST /containers/{id}/kill?signal=N for one caught signal. */
static void attach_forward(int sfd, const char *host, const char *id)
{
	struct signalfd_siginfo si;
	_cleanup_free_ char *path = NULL;
	struct client *cl = NULL;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (client_new(host, &cl, NULL) < 0)
		return;
	path = xasprintf("/containers/%s/kill?signal=%u", id, si.ssi_signo);
	client_post(cl, path, NULL, NULL, NULL);
	client_free(cl);
}

/* Hand the stream's bytes to stdout (tty) or the demultiplexer. */
static int attach_output(struct stdcopy *sc, bool tty, const char *buf, size_t n, struct berr **err)
{
	if (!tty)
		return stdcopy_feed(sc, buf, n, stdout, stderr, err);
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
	return 0;
}

/* stdin to the container; at EOF close our write side.  false when done. */
static bool attach_input(struct attach_conn *c)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0 || attach_write_all(c->fd, buf, (size_t)n) < 0) {
		shutdown(c->fd, SHUT_WR);
		return false;
	}
	return true;
}

struct attach_loop {
	struct attach_conn *c;
	struct stdcopy sc;
	bool tty, stdin_on;
	int sfd;
	const char *host, *id;
};

/* One round of poll; 1 while the stream goes on, 0 at its end. */
static int attach_step(struct attach_loop *l, char *buf, struct berr **err)
{
	struct pollfd p[3] = {
		{.fd = l->c->fd, .events = POLLIN},
		{.fd = l->stdin_on ? STDIN_FILENO : -1, .events = POLLIN},
		{.fd = l->sfd, .events = POLLIN},
	};
	ssize_t n;

	if (l->c->off == l->c->len && poll(p, 3, -1) < 0)
		return errno == EINTR ? 1 : berr_set(err, errno, "poll: %s", strerror(errno));
	if (p[2].revents & POLLIN)
		attach_forward(l->sfd, l->host, l->id);
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		l->stdin_on = attach_input(l->c);
	if (l->c->off == l->c->len && !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return 1;
	n = attach_read(l->c, buf, ATTACH_BUF, err);
	if (n <= 0)
		return (int)n;
	return attach_output(&l->sc, l->tty, buf, (size_t)n, err) < 0 ? -EPROTO : 1;
}

int attach_pump(struct attach_conn *c, bool tty, bool stdin_on, const char *host,
		const char *ctr_id, struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(ATTACH_BUF);
	struct attach_loop l = {
		.c = c, .tty = tty, .stdin_on = stdin_on, .sfd = -1, .host = host, .id = ctr_id};
	struct attach_term term = {0};
	sigset_t old;
	int r;

	if (!stdin_on)
		shutdown(c->fd, SHUT_WR);
	if (stdin_on && tty)
		attach_term_raw(&term);
	if (ctr_id && !tty)
		l.sfd = attach_sigfd(&old);
	while ((r = attach_step(&l, buf, err)) > 0)
		;
	attach_term_restore(&term);
	if (l.sfd >= 0) {
		close(l.sfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return r;
}
