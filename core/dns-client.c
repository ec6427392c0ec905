/* dns-client.c - berthd's side of berth-dns (see dns-client.h): the
 * control connection, starting the process, and the sandbox sockets. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/dns-client.h"
#include "core/dns-server.h"
#include "core/log.h"
#include "core/nft.h"

#include <linux/netfilter.h>
#include "core/sandbox.h"
#include "core/util.h"

#define DNSC_REPLY_TIMEOUT_MS 3000
#define DNSC_START_TIMEOUT_MS 5000
#define DNSC_NFT_TABLE	      "berth-dns" /* in each sandbox */

struct dnsc {
	pthread_mutex_t lock;
	char *exec_root;
	char *log_level;
	dnsc_resync_fn resync;
	void *arg;
	int fd;	      /* the control connection, or -1 */
	bool syncing; /* inside resync: no reconnect */
};

struct dnsc *dnsc_new(const char *exec_root, const char *log_level, dnsc_resync_fn resync,
		      void *arg)
{
	struct dnsc *d = xcalloc(1, sizeof(*d));
	pthread_mutexattr_t attr;

	/* recursive: the resync callback calls dnsc_set */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&d->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	d->exec_root = xstrdup(exec_root);
	d->log_level = xstrdup(log_level ? log_level : "info");
	d->resync = resync;
	d->arg = arg;
	d->fd = -1;
	return d;
}

void dnsc_free(struct dnsc *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d->exec_root);
	free(d->log_level);
	free(d);
}

static void dnsc_hangup(struct dnsc *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* One request (with fds, n_fds of them) and its reply. */
static int dnsc_request(struct dnsc *d, json_t *req, const int *fds, size_t n_fds, json_t **ret,
			struct berr **err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 2)];
	} cbuf;
	struct iovec iov = {text, text ? strlen(text) : 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
	_cleanup_free_ char *buf = xmalloc(DNS_CTL_MSG_MAX);
	json_t *reply;
	const char *e;
	ssize_t n;

	if (!text || iov.iov_len > DNS_CTL_MSG_MAX)
		return berr_set(err, E2BIG, "DNS records too large for the resolver");
	if (n_fds) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, sizeof(int) * n_fds);
	}
	if (sendmsg(d->fd, &mh, MSG_NOSIGNAL) < 0) {
		int r = berr_set(err, errno, "the DNS resolver is gone: %m");

		dnsc_hangup(d);
		return r;
	}
	for (;;) {
		int p = poll(&pfd, 1, DNSC_REPLY_TIMEOUT_MS);

		if (p < 0 && errno == EINTR)
			continue;
		if (p <= 0) {
			dnsc_hangup(d);
			return berr_set(err, ETIMEDOUT, "the DNS resolver does not answer");
		}
		break;
	}
	n = recv(d->fd, buf, DNS_CTL_MSG_MAX, 0);
	if (n <= 0) {
		dnsc_hangup(d);
		return berr_set(err, EPIPE, "the DNS resolver hung up");
	}
	reply = json_loadb(buf, (size_t)n, 0, NULL);
	if (!reply) {
		dnsc_hangup(d);
		return berr_set(err, EPROTO, "the DNS resolver answered garbage");
	}
	if ((e = json_string_value(json_object_get(reply, "error")))) {
		int r = berr_set(err, EINVAL, "DNS resolver: %s", e);

		json_decref(reply);
		return r;
	}
	if (ret)
		*ret = reply;
	else
		json_decref(reply);
	return 0;
}

static int dnsc_op(struct dnsc *d, const char *op, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", op);

	return dnsc_request(d, req, NULL, 0, NULL, err);
}

static int dnsc_connect(struct dnsc *d)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/" DNS_SOCK_NAME,
			     d->exec_root) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	struct timeval tv = {DNSC_REPLY_TIMEOUT_MS / 1000, 0};

	/* non-blocking: a hung berth-dns with a full backlog answers EAGAIN
	 * instead of blocking the job thread */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	d->fd = fd;
	return 0;
}

/* berth-dns: $BERTH_DNS, else next to ourselves. */
static char *dnsc_binary(void)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("BERTH_DNS") && *getenv("BERTH_DNS"))
		return xstrdup(getenv("BERTH_DNS"));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return xstrdup("berth-dns");
	self[n] = 0;
	return xasprintf("%s/berth-dns", dirname(self));
}

/* In the forked child: detach (own session, reparented by the second
 * fork), stdio to /dev/null and the log, exec.  Async-signal-safe calls
 * only: berthd has threads. */
static __attribute__((noreturn)) void dnsc_exec(const char *bin, char *const argv[], int ready_fd,
						int log_fd)
{
	sigset_t none;
	int null, rd, lg;

	if (setsid() < 0 || fork() != 0)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	/* out of the way of 0-3 first, then into place (dup2 clears
	 * CLOEXEC), and nothing else of berthd's is inherited */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	rd = fcntl(ready_fd, F_DUPFD_CLOEXEC, 10);
	lg = fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
	if (null < 0 || rd < 0 || lg < 0 || dup2(null, 0) < 0 || dup2(lg, 1) < 0 ||
	    dup2(lg, 2) < 0 || dup2(rd, 3) < 0)
		_exit(127);
	close_range(4, ~0U, 0);
	execv(bin, argv);
	_exit(127);
}

static int dnsc_spawn(struct dnsc *d, struct berr **err)
{
	_cleanup_free_ char *bin = dnsc_binary();
	_cleanup_free_ char *log_path = xasprintf("%s/" DNS_LOG_NAME, d->exec_root);
	char *argv[] = {"berth-dns", "--exec-root", d->exec_root, "--ready-fd",
			"3",	     "--log-level", d->log_level, NULL};
	_cleanup_close_ int log_fd = -1, rd = -1;
	struct pollfd pfd;
	int p[2], status;
	char c;
	pid_t pid;

	if (access(bin, X_OK) < 0)
		return berr_set(err, errno, "cannot run the DNS resolver %s: %m", bin);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", log_path);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, errno, "pipe: %m");
	pid = fork();
	if (pid == 0)
		dnsc_exec(bin, argv, p[1], log_fd);
	close(p[1]);
	rd = p[0];
	if (pid < 0)
		return berr_set(err, errno, "fork: %m");
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* one byte when it listens; EOF when it could not start (or another
	 * one was quicker: the connect below tells) */
	pfd = (struct pollfd){.fd = rd, .events = POLLIN};
	if (poll(&pfd, 1, DNSC_START_TIMEOUT_MS) <= 0)
		return berr_set(err, ETIMEDOUT, "the DNS resolver did not start (see %s)",
				log_path);
	(void)!read(rd, &c, 1);
	if (dnsc_connect(d) < 0)
		return berr_set(err, EIO, "the DNS resolver did not start (see %s)", log_path);
	return 0;
}

/* Connected, and resynced if the connection is new. */
static int dnsc_ensure(struct dnsc *d, bool spawn, struct berr **err)
{
	_cleanup_json_ json_t *hello = json_pack("{s:s}", "op", "hello");
	_cleanup_json_ json_t *reply = NULL;
	int r;

	if (d->fd >= 0 || d->syncing)
		return d->fd >= 0 ? 1 : 0;
	if (dnsc_connect(d) < 0) {
		if (!spawn)
			return 0;
		if ((r = dnsc_spawn(d, err)) < 0)
			return r;
	}
	if ((r = dnsc_request(d, hello, NULL, 0, &reply, err)) < 0)
		return r;
	log_info("DNS resolver: berth-dns %lld, serving %lld containers",
		 (long long)json_integer_value(json_object_get(reply, "pid")),
		 (long long)json_integer_value(json_object_get(reply, "containers")));
	d->syncing = true;
	r = dnsc_op(d, "sync-begin", err);
	if (r == 0)
		r = d->resync(d->arg, err);
	if (r == 0 && d->fd < 0) /* lost on the way: a set failed */
		r = berr_set(err, EPIPE, "the DNS resolver hung up during the resync");
	if (r == 0)
		r = dnsc_op(d, "sync-end", err);
	d->syncing = false;
	if (r < 0) {
		dnsc_hangup(d);
		return r;
	}
	return 1;
}

int dnsc_attach(struct dnsc *d, bool spawn, struct berr **err)
{
	int r;

	pthread_mutex_lock(&d->lock);
	r = dnsc_ensure(d, spawn, err);
	pthread_mutex_unlock(&d->lock);
	return r < 0 ? r : 0;
}

/* ip daddr 127.0.0.11 <proto> dport 53 dnat to 127.0.0.11:port */
static void dnsc_dnat_rule(struct nft_batch *b, uint8_t proto, uint16_t port)
{
	struct nft_rule *r = nft_rule_new(NFPROTO_IPV4, DNSC_NFT_TABLE, "output");
	uint16_t dport = htons(DNS_PORT), to = htons(port);
	struct in_addr addr;

	inet_pton(AF_INET, DNS_ADDR, &addr);
	nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &addr, 4);
	nft_rule_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &proto, 1);
	nft_rule_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &dport, 2);
	nft_rule_immediate(r, NFT_REG_1, &addr, 4);
	nft_rule_immediate(r, NFT_REG_2, &to, 2);
	nft_rule_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, NFT_REG_2);
	nft_rule_add(b, r, proto == IPPROTO_UDP ? "DNS over UDP" : "DNS over TCP");
}

/* Inside the sandbox: sockets on 127.0.0.11 at ports of the kernel's
 * choosing, and, as Docker does, a NAT rule that sends what goes to
 * 127.0.0.11:53 there, so that port 53 stays free for the container's own
 * servers. */
static int dnsc_sockets_inside(void *arg, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	int *fds = arg;
	struct sockaddr_in a = {.sin_family = AF_INET}, got[2];
	socklen_t len;

	inet_pton(AF_INET, DNS_ADDR, &a.sin_addr);
	fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fds[0] < 0 || fds[1] < 0)
		return berr_set(err, errno, "socket: %m");
	for (int i = 0; i < 2; i++) {
		len = sizeof(got[i]);
		if (bind(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&got[i], &len) < 0)
			return berr_set(err, errno,
					"cannot bind the DNS socket on " DNS_ADDR " in the "
					"sandbox: %m");
	}
	if (listen(fds[1], 128) < 0)
		return berr_set(err, errno, "listen: %m");
	nft_table_add(b, NFPROTO_IPV4, DNSC_NFT_TABLE);
	nft_chain_add(b, NFPROTO_IPV4, DNSC_NFT_TABLE, "output", "nat", NF_INET_LOCAL_OUT, -100,
		      NF_ACCEPT);
	nft_chain_flush(b, NFPROTO_IPV4, DNSC_NFT_TABLE, "output");
	dnsc_dnat_rule(b, IPPROTO_UDP, ntohs(got[0].sin_port));
	dnsc_dnat_rule(b, IPPROTO_TCP, ntohs(got[1].sin_port));
	return nft_batch_commit(b, err);
}

static int dnsc_sockets(const char *netns, int fds[2], struct berr **err)
{
	int r;

	fds[0] = fds[1] = -1;
	r = sb_netns_run(netns, dnsc_sockets_inside, fds, err);
	if (r < 0) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		fds[0] = fds[1] = -1;
	}
	return r;
}

int dnsc_set(struct dnsc *d, json_t *set, const char *netns, struct berr **err)
{
	/* records of another host's container do not start berth-dns (a
	 * resync gives them when it starts) */
	bool withdraw = json_array_size(json_object_get(set, "nets")) == 0 ||
			json_is_true(json_object_get(set, "remote"));
	_cleanup_json_ json_t *req = json_deep_copy(set);
	_cleanup_json_ json_t *reply = NULL;
	int r, fds[2] = {-1, -1};

	json_object_set_new(req, "op", json_string("set"));
	pthread_mutex_lock(&d->lock);
	/* a second try when the connection turns out dead (berth-dns was
	 * killed): a new one is started and resynced */
	for (int attempt = 0;; attempt++) {
		r = dnsc_ensure(d, !withdraw, err);
		if (r <= 0)
			goto out; /* nothing runs: nothing to withdraw */
		struct berr *e = NULL;

		r = dnsc_request(d, req, NULL, 0, &reply, &e);
		if (r == 0 || d->fd >= 0 || attempt || d->syncing) {
			if (r < 0 && err)
				*err = e;
			else
				berr_free(e);
			break;
		}
		log_info("the DNS resolver is gone (%s): starting another one", berr_msg(e));
		berr_free(e);
	}
	if (r < 0)
		goto out;
	if (json_is_true(json_object_get(reply, "need_sockets")) && netns) {
		if ((r = dnsc_sockets(netns, fds, err)) < 0)
			goto out;
		json_decref(reply);
		reply = NULL;
		r = dnsc_request(d, req, fds, 2, NULL, err);
		close(fds[0]);
		close(fds[1]);
	}
out:
	pthread_mutex_unlock(&d->lock);
	return r < 0 ? r : 0;
}
