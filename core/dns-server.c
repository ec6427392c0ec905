/* dns-server.c - berth-dns: the embedded resolver's loop (see
 * dns-server.h).  Queries come on each sandbox's UDP socket and TCP
 * connections; names of the container's networks are answered from the
 * table, unknown names under a network's name get NXDOMAIN, and the rest
 * is forwarded to the sandbox's upstream servers from this process's
 * namespace (the daemon's): UDP first, TCP when the answer is truncated or
 * the client asked over TCP, the next server on a timeout, SERVFAIL when
 * none answers.
 *
 * Nothing here waits: every socket is non-blocking, TCP clients and
 * upstream TCP connections are bufferevents with timeouts and bounded
 * buffers, and the number of forwarded queries in flight is bounded (a
 * query over the bound gets SERVFAIL at once). */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "core/dns-msg.h"
#include "core/dns-server.h"
#include "core/dns-table.h"
#include "core/log.h"
#include "core/util.h"

#define DSRV_FWD_MAX	   256		/* forwarded queries in flight, all sandboxes */
#define DSRV_FWD_CTR_MAX   32		/* ... and of one sandbox: one cannot starve the others */
#define DSRV_FWD_TRY_MS	   2000		/* per upstream server */
#define DSRV_MAX_UPSTREAMS 3		/* as resolv.conf: 3 x 2 s < DSRV_TCP_IDLE_S */
#define DSRV_TCP_MAX	   64		/* TCP clients per sandbox: the oldest goes */
#define DSRV_TCP_ALL_MAX   1024		/* ... and in all */
#define DSRV_TCP_IDLE_S	   10		/* a TCP client silent this long is closed */
#define DSRV_TCP_OUT_MAX   (256 * 1024) /* replies a TCP client does not read */
#define DSRV_UDP_BATCH	   64		/* datagrams read per wakeup */
#define DSRV_START_GRACE_S 10		/* without berthd or sandboxes: exit after */
#define DSRV_PAUSE_MS	   100		/* a listener paused when out of file descriptors */

struct dsrv;
struct dtcp;

/* A running container on a user-defined network: its records in the
 * table and its sandbox's sockets. */
struct dctr {
	struct dsrv *srv;
	char *id;
	char **nets;   /* NULL-terminated: the networks whose names it sees */
	char **ep_ids; /* NULL-terminated: its records in the table */
	struct sockaddr_storage up[DSRV_MAX_UPSTREAMS];
	socklen_t up_len[DSRV_MAX_UPSTREAMS];
	size_t n_up;
	int udp_fd, tcp_fd;
	struct event *udp_ev, *tcp_ev;
	struct dtcp *tcps; /* TCP clients */
	size_t n_tcp;
	size_t n_fwd;		  /* its queries in flight */
	struct event *tcp_resume; /* the listener after a pause (EMFILE) */
	unsigned gen;		  /* the sync that last set it */
	bool remote;		  /* records only (a container on another host): no sandbox */
	struct dctr *next;
};

/* A TCP client inside a sandbox. */
struct dtcp {
	struct dctr *ctr;
	struct bufferevent *bev;
	struct dtcp *next;
};

/* A query on its way to an upstream server. */
struct dfwd {
	bool used;
	struct dctr *ctr;
	struct dtcp *tcp; /* the client asked over TCP; NULL: over UDP from peer */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct dns_query q;
	uint8_t *msg; /* the query as sent upstream, under up_id */
	size_t len;
	uint16_t up_id;
	size_t up_idx;		 /* the server being asked */
	int fd;			 /* UDP to it, or -1 */
	struct event *ev;	 /* on fd */
	struct bufferevent *bev; /* TCP to it, or NULL */
	struct event *timer;
};

struct dsrv {
	struct event_base *base;
	struct dns_table *table;
	struct dctr *ctrs;
	size_t n_ctrs;
	size_t n_remote; /* of them, records only */
	unsigned gen;
	char *sock_path;
	int listen_fd;
	struct event *listen_ev;
	int ctl_fd; /* berthd, or -1 */
	struct event *ctl_ev;
	struct event *idle_timer;
	struct event *sig_term, *sig_int;
	struct dfwd fwd[DSRV_FWD_MAX];
	size_t n_fwd;
	size_t n_tcp; /* TCP clients, all sandboxes */
	uint8_t buf[DNS_TCP_MAX + 2];
	char ctl_buf[DNS_CTL_MSG_MAX + 1];
};

static void dsrv_reply_udp(struct dctr *ctr, const struct sockaddr_storage *peer, socklen_t len,
			   const uint8_t *msg, size_t n)
{
	/* a full socket buffer drops the reply: the client asks again */
	(void)sendto(ctr->udp_fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)peer, len);
}

static void dsrv_reply_tcp(struct dtcp *t, const uint8_t *msg, size_t n)
{
	uint8_t hdr[2] = {(uint8_t)(n >> 8), (uint8_t)n};

	/* a client that asks and does not read loses its answers (and is
	 * closed at its next read) */
	if (evbuffer_get_length(bufferevent_get_output(t->bev)) > DSRV_TCP_OUT_MAX)
		return;
	bufferevent_write(t->bev, hdr, 2);
	bufferevent_write(t->bev, msg, n);
}

/* --- forwarding --- */

static void dsrv_fwd_close_upstream(struct dfwd *f)
{
	if (f->ev)
		event_free(f->ev);
	f->ev = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->bev)
		bufferevent_free(f->bev);
	f->bev = NULL;
}

static void dsrv_fwd_free(struct dsrv *s, struct dfwd *f)
{
	dsrv_fwd_close_upstream(f);
	if (f->timer)
		event_free(f->timer);
	free(f->msg);
	f->ctr->n_fwd--;
	*f = (struct dfwd){.fd = -1};
	s->n_fwd--;
}

/* Send the client its reply (msg, or SERVFAIL when NULL) and forget f. */
static void dsrv_fwd_finish(struct dsrv *s, struct dfwd *f, const uint8_t *msg, size_t n)
{
	_cleanup_free_ uint8_t *fail = NULL;
	size_t fail_len;

	if (!msg) {
		if (dns_msg_answer_rcode(&f->q, DNS_RCODE_SERVFAIL, &fail, &fail_len, NULL) < 0) {
			dsrv_fwd_free(s, f);
			return;
		}
		msg = fail;
		n = fail_len;
	}
	if (f->tcp)
		dsrv_reply_tcp(f->tcp, msg, n);
	else
		dsrv_reply_udp(f->ctr, &f->peer, f->peer_len, msg, n);
	dsrv_fwd_free(s, f);
}

static int dsrv_fwd_try(struct dsrv *s, struct dfwd *f, bool tcp);
static void dsrv_fwd_next(struct dsrv *s, struct dfwd *f);

#define DNS_RCODE(buf) ((buf)[3] & 0x0f)

/* An upstream's answer: relayed when it answers f's question. */
static void dsrv_fwd_answer(struct dsrv *s, struct dfwd *f, const uint8_t *buf, size_t n)
{
	_cleanup_free_ uint8_t *out = NULL;
	uint16_t id;
	size_t out_len;

	if (dns_msg_id(buf, n, &id) < 0 || id != f->up_id)
		return; /* not ours (spoofed or late): keep waiting */
	if (dns_msg_relay(&f->q, buf, n, &out, &out_len, NULL) < 0)
		return;
	/* a server that fails or refuses: the next one, if any, is asked */
	if ((DNS_RCODE(buf) == DNS_RCODE_SERVFAIL || DNS_RCODE(buf) == DNS_RCODE_REFUSED) &&
	    f->up_idx + 1 < f->ctr->n_up) {
		dsrv_fwd_next(s, f);
		return;
	}
	dsrv_fwd_finish(s, f, out, out_len);
}

static void dsrv_fwd_next(struct dsrv *s, struct dfwd *f)
{
	dsrv_fwd_close_upstream(f);
	while (++f->up_idx < f->ctr->n_up)
		if (dsrv_fwd_try(s, f, f->tcp != NULL) == 0)
			return;
	dsrv_fwd_finish(s, f, NULL, 0);
}

static void dsrv_fwd_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dfwd *f = arg;

	(void)fd;
	(void)what;
	dsrv_fwd_next(f->ctr->srv, f);
}

static void dsrv_fwd_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dfwd *f = arg;
	struct dsrv *s = f->ctr->srv;
	ssize_t n;

	(void)what;
	n = recv(fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			dsrv_fwd_next(s, f); /* ICMP unreachable: the next server */
		return;
	}
	if (dns_msg_truncated(s->buf, (size_t)n)) {
		uint16_t id;

		if (dns_msg_id(s->buf, (size_t)n, &id) == 0 && id == f->up_id) {
			dsrv_fwd_close_upstream(f);
			if (dsrv_fwd_try(s, f, true) < 0)
				dsrv_fwd_next(s, f);
		}
		return;
	}
	dsrv_fwd_answer(s, f, s->buf, (size_t)n);
}

static void dsrv_fwd_tcp_read(struct bufferevent *bev, void *arg)
{
	struct dfwd *f = arg;
	struct dsrv *s = f->ctr->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];
	size_t len;

	if (evbuffer_copyout(in, hdr, 2) < 2)
		return;
	len = (size_t)hdr[0] << 8 | hdr[1];
	if (evbuffer_get_length(in) < len + 2)
		return;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, s->buf, len);
	dsrv_fwd_answer(s, f, s->buf, len);
	/* still here: not an answer to our question */
	if (f->used && f->bev == bev)
		dsrv_fwd_next(s, f);
}

static void dsrv_fwd_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct dfwd *f = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		dsrv_fwd_next(f->ctr->srv, f);
}

/* Ask upstream f->up_idx, over UDP or TCP. */
static int dsrv_fwd_try(struct dsrv *s, struct dfwd *f, bool tcp)
{
	const struct sockaddr_storage *up = &f->ctr->up[f->up_idx];
	socklen_t up_len = f->ctr->up_len[f->up_idx];
	struct timeval tv = {DSRV_FWD_TRY_MS / 1000, (DSRV_FWD_TRY_MS % 1000) * 1000};

	if (tcp) {
		uint8_t hdr[2] = {(uint8_t)(f->len >> 8), (uint8_t)f->len};

		/* deferred: a connect that fails at once must not call back
		 * into us from inside bufferevent_socket_connect (libevent < 2.1.9) */
		f->bev = bufferevent_socket_new(s->base, -1,
						BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!f->bev)
			return -ENOMEM;
		bufferevent_setcb(f->bev, dsrv_fwd_tcp_read, NULL, dsrv_fwd_tcp_event, f);
		bufferevent_setwatermark(f->bev, EV_READ, 0, DNS_TCP_MAX + 2);
		if (bufferevent_socket_connect(f->bev, (const struct sockaddr *)up, (int)up_len) <
		    0) {
			bufferevent_free(f->bev);
			f->bev = NULL;
			return -ECONNREFUSED;
		}
		bufferevent_write(f->bev, hdr, 2);
		bufferevent_write(f->bev, f->msg, f->len);
		bufferevent_enable(f->bev, EV_READ);
	} else {
		f->fd = socket(up->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f->fd < 0)
			return -errno;
		/* a connected socket of its own: a random port, and the kernel
		 * drops datagrams from anyone but the server */
		if (connect(f->fd, (const struct sockaddr *)up, up_len) < 0 ||
		    send(f->fd, f->msg, f->len, MSG_NOSIGNAL) < 0) {
			close(f->fd);
			f->fd = -1;
			return -errno;
		}
		f->ev = event_new(s->base, f->fd, EV_READ | EV_PERSIST, dsrv_fwd_udp_read, f);
		event_add(f->ev, NULL);
	}
	evtimer_add(f->timer, &tv);
	return 0;
}

/* Forward q (raw: buf) for a client of ctr.  Answers SERVFAIL itself when
 * there is no server to ask or too much in flight. */
static void dsrv_forward(struct dsrv *s, struct dctr *ctr, struct dtcp *tcp,
			 const struct sockaddr_storage *peer, socklen_t peer_len,
			 const struct dns_query *q, const uint8_t *buf, size_t len)
{
	struct dfwd *f = NULL;

	if (s->n_fwd < DSRV_FWD_MAX && ctr->n_fwd < DSRV_FWD_CTR_MAX && ctr->n_up)
		for (size_t i = 0; i < DSRV_FWD_MAX && !f; i++)
			if (!s->fwd[i].used)
				f = &s->fwd[i];
	if (!f) {
		_cleanup_free_ uint8_t *out = NULL;
		size_t n;

		if (dns_msg_answer_rcode(q, DNS_RCODE_SERVFAIL, &out, &n, NULL) < 0)
			return;
		if (tcp)
			dsrv_reply_tcp(tcp, out, n);
		else
			dsrv_reply_udp(ctr, peer, peer_len, out, n);
		return;
	}
	*f = (struct dfwd){.used = true, .ctr = ctr, .tcp = tcp, .q = *q, .fd = -1};
	s->n_fwd++;
	ctr->n_fwd++;
	if (peer)
		memcpy(&f->peer, peer, peer_len);
	f->peer_len = peer_len;
	f->msg = xmalloc(len);
	memcpy(f->msg, buf, len);
	f->len = len;
	if (getrandom(&f->up_id, sizeof(f->up_id), 0) != sizeof(f->up_id))
		f->up_id = (uint16_t)random();
	dns_msg_set_id(f->msg, len, f->up_id);
	f->timer = evtimer_new(s->base, dsrv_fwd_timeout, f);
	f->up_idx = 0;
	if (dsrv_fwd_try(s, f, tcp != NULL) < 0) {
		f->up_idx = 0;
		dsrv_fwd_next(s, f);
	}
}

/* Forwarded queries of ctr (or of one TCP client of it) are dropped: the
 * sandbox or the connection is going. */
static void dsrv_fwd_cancel(struct dsrv *s, struct dctr *ctr, struct dtcp *tcp)
{
	for (size_t i = 0; i < DSRV_FWD_MAX; i++) {
		struct dfwd *f = &s->fwd[i];

		if (f->used && f->ctr == ctr && (!tcp || f->tcp == tcp))
			dsrv_fwd_free(s, f);
	}
}

/* --- answering --- */

/* The answer to q from the table: 1 with *ret_buf set, 0 when q must be
 * forwarded. */
static int dsrv_local(struct dsrv *s, struct dctr *ctr, const struct dns_query *q,
		      uint8_t **ret_buf, size_t *ret_len)
{
	const char *const *nets = (const char *const *)ctr->nets;
	_cleanup_free_ struct ipaddr *addrs = NULL;
	int family = q->qtype == DNS_TYPE_A ? AF_INET : q->qtype == DNS_TYPE_AAAA ? AF_INET6 : 0;
	struct ipaddr a;
	size_t n;
	int r;

	if (q->qclass != DNS_CLASS_IN)
		return 0;
	if (q->qtype == DNS_TYPE_PTR) {
		_cleanup_free_ char *name = NULL;

		if (dns_msg_ptr_addr(q->name, &a) < 0 ||
		    dns_table_lookup_ptr(s->table, nets, &a, &name) < 0)
			return 0;
		return dns_msg_answer_ptr(q, name, ret_buf, ret_len, NULL) < 0 ? 0 : 1;
	}
	r = dns_table_lookup(s->table, nets, q->name, family ? family : AF_UNSPEC, &addrs, &n);
	if (r == -ENOENT) {
		if (!dns_table_in_zone(s->table, nets, q->name))
			return 0;
		r = dns_msg_answer_rcode(q, DNS_RCODE_NXDOMAIN, ret_buf, ret_len, NULL);
	} else if (family) {
		r = dns_msg_answer_addrs(q, addrs, n, ret_buf, ret_len, NULL);
	} else {
		/* a name of ours, a type we have no records of */
		r = dns_msg_answer_rcode(q, DNS_RCODE_NOERROR, ret_buf, ret_len, NULL);
	}
	return r < 0 ? 0 : 1;
}

/* One message from a client of ctr: answered, refused or forwarded. */
static void dsrv_query(struct dsrv *s, struct dctr *ctr, struct dtcp *tcp,
		       const struct sockaddr_storage *peer, socklen_t peer_len, const uint8_t *buf,
		       size_t len)
{
	_cleanup_free_ uint8_t *out = NULL;
	struct dns_query q;
	size_t n;
	int r;

	r = dns_msg_parse_query(buf, len, tcp ? DNS_TCP : DNS_UDP, &q, NULL);
	if (r < 0) {
		if (dns_msg_refusal(buf, len, r, &out, &n) < 0)
			return;
	} else if (!dsrv_local(s, ctr, &q, &out, &n)) {
		dsrv_forward(s, ctr, tcp, peer, peer_len, &q, buf, len);
		return;
	}
	if (tcp)
		dsrv_reply_tcp(tcp, out, n);
	else
		dsrv_reply_udp(ctr, peer, peer_len, out, n);
}

static void dsrv_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dctr *ctr = arg;
	struct dsrv *s = ctr->srv;

	(void)what;
	for (int i = 0; i < DSRV_UDP_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		ssize_t n = recvfrom(fd, s->buf, sizeof(s->buf), MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &peer_len);

		if (n < 0)
			return;
		dsrv_query(s, ctr, NULL, &peer, peer_len, s->buf, (size_t)n);
	}
}

static void dsrv_tcp_free(struct dtcp *t)
{
	struct dctr *ctr = t->ctr;

	dsrv_fwd_cancel(ctr->srv, ctr, t);
	for (struct dtcp **p = &ctr->tcps; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	ctr->n_tcp--;
	ctr->srv->n_tcp--;
	bufferevent_free(t->bev);
	free(t);
}

static void dsrv_tcp_read(struct bufferevent *bev, void *arg)
{
	struct dtcp *t = arg;
	struct dsrv *s = t->ctr->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];
	size_t len;

	while (evbuffer_copyout(in, hdr, 2) == 2) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) > DSRV_TCP_OUT_MAX) {
			dsrv_tcp_free(t); /* it asks and never reads */
			return;
		}
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (len < DNS_HEADER_LEN) {
			dsrv_tcp_free(t); /* no DNS message is that short */
			return;
		}
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->buf, len);
		dsrv_query(s, t->ctr, t, NULL, 0, s->buf, len);
	}
}

static void dsrv_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		dsrv_tcp_free(arg);
}

static void dsrv_tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct dctr *ctr = arg;

	(void)fd;
	(void)what;
	if (ctr->tcp_ev)
		event_add(ctr->tcp_ev, NULL);
}

/* Out of file descriptors: stop accepting for a moment. */
static void dsrv_tcp_pause(struct dctr *ctr)
{
	struct timeval tv = {0, DSRV_PAUSE_MS * 1000};

	if (!ctr->tcp_resume)
		ctr->tcp_resume = evtimer_new(ctr->srv->base, dsrv_tcp_resume, ctr);
	event_del(ctr->tcp_ev);
	evtimer_add(ctr->tcp_resume, &tv);
}

static void dsrv_tcp_accept(evutil_socket_t fd, short what, void *arg)
{
	struct dctr *ctr = arg;
	struct timeval idle = {DSRV_TCP_IDLE_S, 0};
	struct dtcp *t;
	int c;

	(void)what;
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			dsrv_tcp_pause(ctr); /* else it stays readable: a busy loop */
		return;
	}
	if (ctr->srv->n_tcp >= DSRV_TCP_ALL_MAX) {
		close(c);
		return;
	}
	if (ctr->n_tcp >= DSRV_TCP_MAX) {
		/* room for the newcomer: the oldest connection goes (idle
		 * connections cannot lock the others out; a client whose
		 * connection closes retries) */
		struct dtcp *old = ctr->tcps;

		while (old->next)
			old = old->next;
		dsrv_tcp_free(old);
	}
	t = xcalloc(1, sizeof(*t));
	t->ctr = ctr;
	t->bev = bufferevent_socket_new(ctr->srv->base, c, BEV_OPT_CLOSE_ON_FREE);
	if (!t->bev) {
		close(c);
		free(t);
		return;
	}
	bufferevent_setcb(t->bev, dsrv_tcp_read, NULL, dsrv_tcp_event, t);
	bufferevent_setwatermark(t->bev, EV_READ, 0, DNS_TCP_MAX + 2);
	bufferevent_set_timeouts(t->bev, &idle, &idle);
	bufferevent_enable(t->bev, EV_READ);
	t->next = ctr->tcps;
	ctr->tcps = t;
	ctr->n_tcp++;
	ctr->srv->n_tcp++;
}

/* --- containers --- */

static void dsrv_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void dsrv_ctr_close_sockets(struct dctr *ctr)
{
	while (ctr->tcps)
		dsrv_tcp_free(ctr->tcps);
	dsrv_fwd_cancel(ctr->srv, ctr, NULL);
	if (ctr->udp_ev)
		event_free(ctr->udp_ev);
	if (ctr->tcp_ev)
		event_free(ctr->tcp_ev);
	if (ctr->tcp_resume)
		event_free(ctr->tcp_resume);
	ctr->tcp_resume = NULL;
	ctr->udp_ev = ctr->tcp_ev = NULL;
	if (ctr->udp_fd >= 0)
		close(ctr->udp_fd);
	if (ctr->tcp_fd >= 0)
		close(ctr->tcp_fd);
	ctr->udp_fd = ctr->tcp_fd = -1;
}

static void dsrv_ctr_remove(struct dsrv *s, struct dctr *ctr)
{
	for (struct dctr **p = &s->ctrs; *p; p = &(*p)->next)
		if (*p == ctr) {
			*p = ctr->next;
			break;
		}
	s->n_ctrs--;
	s->n_remote -= ctr->remote;
	for (size_t i = 0; ctr->ep_ids && ctr->ep_ids[i]; i++)
		dns_table_remove_endpoint(s->table, ctr->ep_ids[i]);
	dsrv_ctr_close_sockets(ctr);
	dsrv_strv_free(ctr->ep_ids);
	dsrv_strv_free(ctr->nets);
	log_debug("container %.12s: no longer served", ctr->id);
	free(ctr->id);
	free(ctr);
}

static struct dctr *dsrv_ctr_find(struct dsrv *s, const char *id)
{
	for (struct dctr *c = s->ctrs; c; c = c->next)
		if (streq(c->id, id))
			return c;
	return NULL;
}

static char **dsrv_strv_from_json(json_t *arr, const char *key)
{
	size_t n = json_array_size(arr), k = 0, i;
	char **v = xcalloc(n + 1, sizeof(*v));
	json_t *e;

	json_array_foreach (arr, i, e) {
		const char *str =
			key ? json_string_value(json_object_get(e, key)) : json_string_value(e);

		if (str)
			v[k++] = xstrdup(str);
	}
	return v;
}

static int dsrv_parse_upstream(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;

	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(DNS_PORT);
		*ret_len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(DNS_PORT);
		*ret_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

/* The records of one endpoint, from a set message: checked only (s
 * NULL), or published. */
static int dsrv_publish(struct dsrv *s, json_t *o, struct berr **err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *v4 = json_string_value(json_object_get(o, "ipv4"));
	const char *v6 = json_string_value(json_object_get(o, "ipv6"));
	char **aliases = dsrv_strv_from_json(json_object_get(o, "aliases"), NULL);
	struct ipaddr a4, a6;
	struct dns_endpoint ep = {
		.id = id,
		.net_id = json_string_value(json_object_get(o, "net_id")),
		.net_name = json_string_value(json_object_get(o, "net_name")),
		.name = json_string_value(json_object_get(o, "name")),
		.aliases = (const char *const *)aliases,
	};
	int r = 0;

	if (!id || !ep.net_id || !ep.net_name || !ep.name)
		r = berr_set(err, EINVAL, "endpoint without id, network or name");
	else if (v4 && (r = cidr_parse_addr(v4, &a4, err)) == 0)
		ep.addr4 = &a4;
	if (r == 0 && v6 && (r = cidr_parse_addr(v6, &a6, err)) == 0)
		ep.addr6 = &a6;
	if (r == 0 && s)
		dns_table_set_endpoint(s->table, &ep);
	dsrv_strv_free(aliases);
	return r;
}

static void dsrv_ctr_listen(struct dsrv *s, struct dctr *ctr, const int *fds)
{
	dsrv_ctr_close_sockets(ctr);
	ctr->udp_fd = fds[0];
	ctr->tcp_fd = fds[1];
	fcntl(ctr->udp_fd, F_SETFL, fcntl(ctr->udp_fd, F_GETFL) | O_NONBLOCK);
	fcntl(ctr->tcp_fd, F_SETFL, fcntl(ctr->tcp_fd, F_GETFL) | O_NONBLOCK);
	ctr->udp_ev = event_new(s->base, ctr->udp_fd, EV_READ | EV_PERSIST, dsrv_udp_read, ctr);
	ctr->tcp_ev = event_new(s->base, ctr->tcp_fd, EV_READ | EV_PERSIST, dsrv_tcp_accept, ctr);
	event_add(ctr->udp_ev, NULL);
	event_add(ctr->tcp_ev, NULL);
}

/* {"op":"set",...}: fds are the sandbox's sockets (2) or none (0); they
 * are taken (or closed) in every case. */
static int dsrv_set(struct dsrv *s, json_t *req, int *fds, size_t n_fds, json_t *reply,
		    struct berr **err)
{
	const char *id = json_string_value(json_object_get(req, "ctr"));
	json_t *nets = json_object_get(req, "nets"), *eps = json_object_get(req, "endpoints");
	json_t *ups = json_object_get(req, "upstreams"), *e;
	struct dctr *ctr;
	size_t i;
	int r;

	if (!id || !json_is_array(nets) || (n_fds != 0 && n_fds != 2))
		return berr_set(err, EINVAL, "set: bad request");
	/* all checked before anything changes */
	json_array_foreach (eps, i, e)
		if ((r = dsrv_publish(NULL, e, err)) < 0)
			return r;
	ctr = dsrv_ctr_find(s, id);
	if (json_array_size(nets) == 0) {
		if (ctr)
			dsrv_ctr_remove(s, ctr);
		return 0;
	}
	if (!ctr) {
		ctr = xcalloc(1, sizeof(*ctr));
		ctr->srv = s;
		ctr->id = xstrdup(id);
		ctr->udp_fd = ctr->tcp_fd = -1;
		ctr->next = s->ctrs;
		s->ctrs = ctr;
		s->n_ctrs++;
	}
	ctr->gen = s->gen;
	if (json_is_true(json_object_get(req, "remote")) != ctr->remote) {
		ctr->remote = !ctr->remote;
		s->n_remote += ctr->remote ? 1 : (size_t)-1;
	}
	/* the records: the old ones out, the new ones in */
	for (i = 0; ctr->ep_ids && ctr->ep_ids[i]; i++)
		dns_table_remove_endpoint(s->table, ctr->ep_ids[i]);
	dsrv_strv_free(ctr->ep_ids);
	ctr->ep_ids = dsrv_strv_from_json(eps, "id");
	json_array_foreach (eps, i, e)
		dsrv_publish(s, e, NULL);
	dsrv_strv_free(ctr->nets);
	ctr->nets = dsrv_strv_from_json(nets, NULL);
	ctr->n_up = 0;
	json_array_foreach (ups, i, e) {
		const char *up = json_string_value(e);

		if (ctr->n_up < DSRV_MAX_UPSTREAMS && up &&
		    dsrv_parse_upstream(up, &ctr->up[ctr->n_up], &ctr->up_len[ctr->n_up]) == 0)
			ctr->n_up++;
	}
	if (n_fds == 2) {
		dsrv_ctr_listen(s, ctr, fds);
		fds[0] = fds[1] = -1;
		log_debug("container %.12s: serving its sandbox", id);
	}
	json_object_set_new(reply, "need_sockets", json_boolean(!ctr->remote && ctr->udp_fd < 0));
	return 0;
}

/* --- the control socket --- */

/* Stop taking connections (the socket file goes first: a berthd that
 * comes now starts a new berth-dns, which waits for our lock), then stop. */
static void dsrv_stop(struct dsrv *s)
{
	unlink(s->sock_path);
	if (s->listen_ev)
		event_free(s->listen_ev);
	s->listen_ev = NULL;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	event_base_loopexit(s->base, NULL);
}

static void dsrv_maybe_exit(struct dsrv *s)
{
	if (s->ctl_fd < 0 && s->n_ctrs == s->n_remote) {
		log_info("berthd is gone and no sandbox is left: exiting");
		dsrv_stop(s);
	}
}

static void dsrv_ctl_close(struct dsrv *s)
{
	if (s->ctl_ev)
		event_free(s->ctl_ev);
	s->ctl_ev = NULL;
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	s->ctl_fd = -1;
}

static json_t *dsrv_handle(struct dsrv *s, json_t *req, int *fds, size_t n_fds)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	json_t *reply = json_pack("{s:b}", "ok", 1);
	_cleanup_berr_ struct berr *e = NULL;
	int r = 0;

	if (!op) {
		r = berr_set(&e, EINVAL, "request without op");
	} else if (streq(op, "hello")) {
		json_object_set_new(reply, "pid", json_integer(getpid()));
		json_object_set_new(reply, "containers", json_integer((json_int_t)s->n_ctrs));
	} else if (streq(op, "sync-begin")) {
		s->gen++;
	} else if (streq(op, "sync-end")) {
		for (struct dctr *c = s->ctrs, *next; c; c = next) {
			next = c->next;
			if (c->gen != s->gen)
				dsrv_ctr_remove(s, c);
		}
	} else if (streq(op, "set")) {
		r = dsrv_set(s, req, fds, n_fds, reply, &e);
	} else {
		r = berr_set(&e, EINVAL, "unknown op %s", op);
	}
	if (r < 0) {
		json_decref(reply);
		reply = json_pack("{s:s}", "error", berr_msg(e));
	}
	return reply;
}

static void dsrv_ctl_read(evutil_socket_t fd, short what, void *arg)
{
	struct dsrv *s = arg;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cbuf;
	struct iovec iov = {s->ctl_buf, sizeof(s->ctl_buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf)};
	_cleanup_free_ char *text = NULL;
	json_t *req, *reply;
	int fds[8];
	size_t n_fds = 0;
	ssize_t n;

	(void)what;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (n_fds + k > ARRAY_SIZE(fds))
				k = ARRAY_SIZE(fds) - n_fds;
			memcpy(fds + n_fds, CMSG_DATA(c), sizeof(int) * k);
			n_fds += k;
		}
	if (n <= 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		log_info("berthd hung up");
		dsrv_ctl_close(s);
		dsrv_maybe_exit(s);
		return;
	}
	req = mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) ? NULL
						      : json_loadb(s->ctl_buf, (size_t)n, 0, NULL);
	reply = req ? dsrv_handle(s, req, fds, n_fds)
		    : json_pack("{s:s}", "error",
				mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) ? "request too large"
									: "malformed request");
	json_decref(req);
	for (size_t i = 0; i < n_fds; i++) /* the ones not taken */
		if (fds[i] >= 0)
			close(fds[i]);
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (!text || send(fd, text, strlen(text), MSG_NOSIGNAL) < 0) {
		dsrv_ctl_close(s);
		dsrv_maybe_exit(s);
	}
}

static void dsrv_accept(evutil_socket_t fd, short what, void *arg)
{
	struct dsrv *s = arg;
	int c;

	(void)what;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* a new berthd (the old one died without a word) takes over */
	dsrv_ctl_close(s);
	s->ctl_fd = c;
	s->ctl_ev = event_new(s->base, c, EV_READ | EV_PERSIST, dsrv_ctl_read, s);
	event_add(s->ctl_ev, NULL);
	log_debug("berthd connected");
}

static void dsrv_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dsrv_maybe_exit(arg);
}

static void dsrv_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dsrv *s = arg;

	(void)what;
	log_info("signal %d: exiting", (int)sig);
	dsrv_stop(s);
}

/* The pid file, locked for as long as this process lives: one berth-dns
 * per exec-root. */
static int dsrv_lock(const char *exec_root, int *ret_fd, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/" DNS_PID_NAME, exec_root);
	_cleanup_free_ char *pid = xasprintf("%d\n", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", path);
	/* one that is on its way out holds it for a moment longer */
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i == 40) {
			close(fd);
			return berr_set(err, EEXIST, "another berth-dns serves %s", exec_root);
		}
		usleep(50 * 1000);
	}
	if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0) {
		close(fd);
		return berr_set(err, errno, "cannot write %s: %m", path);
	}
	*ret_fd = fd;
	return 0;
}

static int dsrv_listen(const char *exec_root, int *ret_fd, struct berr **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	_cleanup_free_ char *path = xasprintf("%s/" DNS_SOCK_NAME, exec_root);
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return berr_set(err, ENAMETOOLONG, "%s: path too long for a socket", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_set(err, errno, "socket: %m");
	unlink(path); /* a crashed berth-dns's: we hold the lock */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 8) < 0) {
		int e = errno;

		close(fd);
		return berr_set(err, e, "cannot listen on %s: %m", path);
	}
	*ret_fd = fd;
	return 0;
}

static void dsrv_free(struct dsrv *s)
{
	while (s->ctrs)
		dsrv_ctr_remove(s, s->ctrs);
	for (size_t i = 0; i < DSRV_FWD_MAX; i++)
		if (s->fwd[i].used)
			dsrv_fwd_free(s, &s->fwd[i]);
	dsrv_ctl_close(s);
	if (s->listen_ev)
		event_free(s->listen_ev);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->idle_timer)
		event_free(s->idle_timer);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	dns_table_free(s->table);
	if (s->base)
		event_base_free(s->base);
	free(s->sock_path);
	free(s);
}

int dns_server_run(const char *exec_root, int ready_fd, struct berr **err)
{
	_cleanup_close_ int lock_fd = -1;
	struct timeval grace = {DSRV_START_GRACE_S, 0};
	struct rlimit nofile;
	struct dsrv *s;
	int r;

	if ((r = dsrv_lock(exec_root, &lock_fd, err)) < 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	/* two sockets per sandbox, TCP clients, forwarded queries: as many
	 * descriptors as allowed */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	s = xcalloc(1, sizeof(*s));
	s->sock_path = xasprintf("%s/" DNS_SOCK_NAME, exec_root);
	s->ctl_fd = s->listen_fd = -1;
	for (size_t i = 0; i < DSRV_FWD_MAX; i++)
		s->fwd[i].fd = -1;
	s->base = event_base_new();
	s->table = dns_table_new();
	if (!s->base) {
		dsrv_free(s);
		return berr_set(err, ENOMEM, "event_base_new failed");
	}
	if ((r = dsrv_listen(exec_root, &s->listen_fd, err)) < 0) {
		dsrv_free(s);
		return r;
	}
	s->listen_ev = event_new(s->base, s->listen_fd, EV_READ | EV_PERSIST, dsrv_accept, s);
	event_add(s->listen_ev, NULL);
	s->sig_term = evsignal_new(s->base, SIGTERM, dsrv_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, dsrv_signal, s);
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	s->idle_timer = evtimer_new(s->base, dsrv_idle, s);
	evtimer_add(s->idle_timer, &grace);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "1", 1);
		close(ready_fd);
	}
	log_info("berth-dns %d serving %s", (int)getpid(), exec_root);
	event_base_dispatch(s->base);
	dsrv_free(s);
	return 0;
}
