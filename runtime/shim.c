/* shim.c - berth-shim, the supervisor of one container.  rt_start runs it
 * detached (own session, parent init) so that it outlives berthd.  It
 * reads <state>/config.json, creates the cgroups, clones the container's
 * child (spawn.c), and tells rt_start on the ready pipe whether the
 * command was exec'ed ({"pid":N}) or why not ({"error":..., "code":N}).
 * Then it serves one poll loop:
 *
 *   container stdout/stderr (pipes or pty) -> <log_path> in json-file format
 *   SIGCHLD (signalfd)                     -> reap, exit status
 *   shim.sock                              -> line-based JSON commands:
 *        {"op":"kill","signal":N}  {"op":"state"}  {"op":"delete"}
 *        {"op":"stdin"}        the container's stdin fd (SCM_RIGHTS)
 *        {"op":"close-stdin"}  {"op":"resize","rows":R,"cols":C}
 *        {"op":"exec","spec":{...}}  start a process inside (exec.c),
 *            answer with its stdio fds; the connection then gets
 *            {"exit":N} when it ends
 *      and watchers (rt_exit_fd) that only wait for EOF
 *
 * When the container has ended and its output is drained, the shim reads
 * the OOM counter, removes the cgroups, writes exit.json, closes every
 * connection (the watchers' EOF) and exits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/shim.h"

#define SHIM_DRAIN_NS	 (2 * 1000000000ULL) /* output read after the exit */
#define SHIM_MAX_LINE	 65536		     /* an exec's request carries its environment */
#define SHIM_MAX_CLIENTS 256

struct shim_client {
	int fd;
	pid_t exec_pid; /* an exec started on this connection, or 0 */
	bool exec_done;
	int exec_status;
	char buf[SHIM_MAX_LINE];
	size_t len;
};

struct shim_out {
	int fd; /* pipe or pty master, -1 once at EOF */
	struct jsonlog *log;
};

struct shim {
	struct rt_spec spec;
	struct cgroup *cg;
	pid_t pid;
	bool exited;
	int status;
	uint64_t exited_ns;
	int sig_fd, listen_fd, log_fd, stdin_fd;
	struct shim_out out[2];
	struct shim_client *clients[SHIM_MAX_CLIENTS];
	size_t n_clients;
};

/* Send the ready message to rt_start and close the pipe. */
static void shim_ready(int *ready_fd, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	char *line = xasprintf("%s\n", text ? text : "{}");

	if (*ready_fd >= 0 && write(*ready_fd, line, strlen(line)) < 0)
		fprintf(stderr, "berth-shim: cannot write the ready pipe: %m\n");
	free(line);
	free(text);
	json_decref(msg);
	if (*ready_fd >= 0)
		close(*ready_fd);
	*ready_fd = -1;
}

/* stdin and stdout to /dev/null, stderr to <state>/shim.log. */
static void shim_detach_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(SHIM_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (null >= 0) {
		dup2(null, 0), dup2(null, 1);
		dup2(log >= 0 ? log : null, 2);
		close(null);
	}
	if (log >= 0)
		close(log);
}

/* Write shim.pid. */
static int shim_write_pid(struct berr **err)
{
	_cleanup_json_ json_t *pid = json_integer(getpid());

	return shim_json_write(".", SHIM_PID, pid, err);
}

/* Block the signals the loop reads from a signalfd. */
static int shim_signals(struct shim *sh, struct berr **err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sh->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sh->sig_fd < 0)
		return berr_set(err, errno, "signalfd: %m");
	return 0;
}

/* Listen on shim.sock (relative: we run in the state dir, and its full
 * path may be longer than sun_path). */
static int shim_listen(struct shim *sh, struct berr **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = SHIM_SOCK};

	unlink(SHIM_SOCK);
	sh->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sh->listen_fd < 0)
		return berr_set(err, errno, "socket: %m");
	if (bind(sh->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(SHIM_SOCK, 0600) < 0 || listen(sh->listen_fd, 64) < 0)
		return berr_set(err, errno, "cannot listen on %s: %m", SHIM_SOCK);
	return 0;
}

/* mkdir, an existing directory is fine. */
static int shim_mkdir(const char *bundle, const char *name, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", bundle, name);

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", path);
	return 0;
}

/* The container ends of stdio: pipes (the shim keeps the read ends), or a
 * pty whose master the shim keeps.  stdin stays open only with open_stdin,
 * for a later attach. */
static int shim_stdio(struct shim *sh, struct spawn_io *io, struct berr **err)
{
	int p[2], master;

	if (sh->spec.tty) {
		if (openpty(&master, &io->tty_fd, NULL, NULL, NULL) < 0)
			return berr_set(err, errno, "cannot open a pty: %m");
		fcntl(master, F_SETFD, FD_CLOEXEC), fcntl(io->tty_fd, F_SETFD, FD_CLOEXEC);
		sh->out[0].fd = master;
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return berr_set(err, errno, "pipe: %m");
		sh->out[i].fd = p[0];
		*(i ? &io->stderr_fd : &io->stdout_fd) = p[1];
	}
	if (sh->spec.open_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return berr_set(err, errno, "pipe: %m");
		io->stdin_fd = p[0];
		sh->stdin_fd = p[1];
	}
	return 0;
}

/* Close the container's ends of stdio after the clone. */
static void shim_close_io(struct spawn_io *io)
{
	int *fds[] = {&io->stdin_fd, &io->stdout_fd, &io->stderr_fd, &io->tty_fd, &io->net_fd};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]), *fds[i] = -1;
}

/* Open the log and the log writers. */
static int shim_log_open(struct shim *sh, struct berr **err)
{
	if (sh->spec.log_path) {
		sh->log_fd =
			open(sh->spec.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (sh->log_fd < 0)
			return berr_set(err, errno, "cannot open the log %s: %m",
					sh->spec.log_path);
	}
	sh->out[0].log = jsonlog_new(sh->log_fd, "stdout");
	sh->out[1].log = jsonlog_new(sh->log_fd, "stderr");
	return 0;
}

/* Everything before the clone. */
static int shim_prepare(struct shim *sh, struct spawn_io *io, struct berr **err)
{
	int r;

	if ((r = shim_mkdir(sh->spec.bundle, "upper", err)) < 0 ||
	    (r = shim_mkdir(sh->spec.bundle, "work", err)) < 0 ||
	    (r = shim_mkdir(sh->spec.bundle, "rootfs", err)) < 0 ||
	    (r = shim_log_open(sh, err)) < 0 || (r = shim_stdio(sh, io, err)) < 0)
		return r;
	if (sh->spec.net_mode == RT_NET_PATH) {
		io->net_fd = open(sh->spec.net_path, O_RDONLY | O_CLOEXEC);
		if (io->net_fd < 0)
			return berr_set(err, errno, "cannot open network namespace %s: %m",
					sh->spec.net_path);
	}
	return cgroup_create(&sh->spec, &sh->cg, err);
}

/* Start the container: 0 once its command runs. */
static int shim_start(struct shim *sh, struct berr **err)
{
	struct spawn_io io = {-1, -1, -1, -1, -1};
	struct spawn sp;
	int r;

	r = shim_prepare(sh, &io, err);
	if (r == 0)
		r = spawn_clone(&sh->spec, &io, &sp, err);
	shim_close_io(&io);
	if (r < 0)
		return r;
	sh->pid = sp.pid;
	if ((r = cgroup_add_pid(sh->cg, sp.pid, err)) < 0) {
		close(sp.sync_fd), close(sp.exec_fd); /* the child sees EOF and ends */
		return r;
	}
	return spawn_wait_exec(&sp, err);
}

/* Exit code as Docker reports it. */
static int shim_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* An exec ended: its connection is told by shim_exec_sweep(). */
static void shim_exec_reaped(struct shim *sh, pid_t pid, int status)
{
	for (size_t i = 0; i < sh->n_clients; i++) {
		struct shim_client *c = sh->clients[i];

		if (c->exec_pid == pid && !c->exec_done) {
			c->exec_done = true;
			c->exec_status = status;
		}
	}
}

/* Reap children; note when the container's pid ends. */
static void shim_reap(struct shim *sh)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		shim_exec_reaped(sh, pid, status);
		if (pid != sh->pid || sh->exited)
			continue;
		sh->exited = true;
		sh->status = status;
		sh->exited_ns = util_now_ns();
	}
}

/* Drain the signalfd. */
static void shim_on_signal(struct shim *sh)
{
	struct signalfd_siginfo si;

	while (read(sh->sig_fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGCHLD)
			shim_reap(sh);
}

/* Read container output into the log; EOF (or EIO on a pty) closes. */
static void shim_on_output(struct shim_out *out)
{
	char buf[8192];
	ssize_t n = read(out->fd, buf, sizeof(buf));

	if (n > 0) {
		jsonlog_feed(out->log, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(out->fd);
	out->fd = -1;
}

/* Write a reply line to a client; a client that cannot take it is dropped
 * by the next read. */
static void shim_reply(struct shim_client *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	char *line = xasprintf("%s\n", text ? text : "{}");

	if (send(c->fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		shutdown(c->fd, SHUT_RDWR);
	free(line);
	free(text);
	json_decref(reply);
}

/* A reply carrying file descriptors (SCM_RIGHTS) with its line. */
static void shim_reply_fds(struct shim_client *c, json_t *reply, const int *fds, size_t n)
{
	_cleanup_free_ char *text = json_dumps(reply, JSON_COMPACT);
	_cleanup_free_ char *line = xasprintf("%s\n", text ? text : "{}");
	char cbuf[CMSG_SPACE(sizeof(int) * 4)] = {0};
	struct iovec iov = {.iov_base = line, .iov_len = strlen(line)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	json_decref(reply);
	if (n > 0 && n <= 4) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		shutdown(c->fd, SHUT_RDWR);
}

/* An error reply. */
static json_t *shim_error(int code, const char *msg)
{
	return json_pack("{s:s, s:i}", "error", msg, "code", code);
}

/* {"op":"kill","signal":N}. */
static json_t *shim_cmd_kill(struct shim *sh, json_t *req)
{
	json_t *sig = json_object_get(req, "signal");

	if (!json_is_integer(sig) || json_integer_value(sig) < 0 || json_integer_value(sig) >= NSIG)
		return shim_error(EINVAL, "kill: invalid signal");
	if (sh->exited)
		return shim_error(ESRCH, "container is not running");
	if (kill(sh->pid, (int)json_integer_value(sig)) < 0)
		return shim_error(errno, strerror(errno));
	return json_pack("{s:b}", "ok", 1);
}

/* The fd an attach writes the container's stdin to: pipe or pty master. */
static int shim_stdin_of(struct shim *sh)
{
	return sh->spec.tty ? sh->out[0].fd : sh->stdin_fd;
}

/* {"op":"stdin"}: hand the container's stdin over. */
static json_t *shim_cmd_stdin(struct shim *sh, struct shim_client *c)
{
	int fd = shim_stdin_of(sh);

	if (sh->exited)
		return shim_error(ESRCH, "container is not running");
	if (fd < 0)
		return shim_error(EINVAL, "the container has no stdin");
	shim_reply_fds(c, json_pack("{s:b, s:b}", "ok", 1, "tty", sh->spec.tty), &fd, 1);
	return NULL;
}

/* {"op":"close-stdin"}: the command reads EOF (a pty stays). */
static json_t *shim_cmd_close_stdin(struct shim *sh)
{
	if (sh->stdin_fd >= 0)
		close(sh->stdin_fd);
	sh->stdin_fd = -1;
	return json_pack("{s:b}", "ok", 1);
}

/* {"op":"resize","rows":R,"cols":C} on the container's pty. */
static json_t *shim_cmd_resize(struct shim *sh, json_t *req)
{
	json_int_t rows = json_integer_value(json_object_get(req, "rows"));
	json_int_t cols = json_integer_value(json_object_get(req, "cols"));
	_cleanup_berr_ struct berr *err = NULL;

	if (!sh->spec.tty || sh->out[0].fd < 0)
		return json_pack("{s:b}", "ok", 1);
	if (rows < 0 || cols < 0 ||
	    rt_tty_resize(sh->out[0].fd, (unsigned)rows, (unsigned)cols, &err) < 0)
		return shim_error(err ? err->code : EINVAL, err ? berr_msg(err) : "invalid size");
	return json_pack("{s:b}", "ok", 1);
}

/* The shim's ends of an exec's stdio, in the order rt_exec expects. */
static size_t shim_exec_fds(const struct exec_io *io, int *fds)
{
	size_t n = 0;

	if (io->master >= 0)
		fds[n++] = io->master;
	if (io->out[0] >= 0)
		fds[n++] = io->out[0];
	if (io->err[0] >= 0)
		fds[n++] = io->err[0];
	if (io->in[1] >= 0)
		fds[n++] = io->in[1];
	return n;
}

/* {"op":"exec","spec":{...}}: start it, hand its stdio over, and keep
 * the connection to report its exit. */
static json_t *shim_cmd_exec(struct shim *sh, struct shim_client *c, json_t *req)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct rt_exec_spec x = {0};
	struct exec_io io;
	int fds[4];
	pid_t pid;

	if (sh->exited)
		return shim_error(ESRCH, "container is not running");
	if (c->exec_pid)
		return shim_error(EBUSY, "this connection runs an exec already");
	if (rt_exec_spec_from_json(json_object_get(req, "spec"), &x, &err) < 0)
		return shim_error(err->code, berr_msg(err));
	if (exec_spawn(&sh->spec, sh->pid, sh->cg, &x, &io, &pid, &err) < 0) {
		exec_io_done(&io);
		rt_exec_spec_done(&x);
		return shim_error(err->code, berr_msg(err));
	}
	c->exec_pid = pid;
	shim_reply_fds(c, json_pack("{s:b, s:i}", "ok", 1, "pid", pid), fds,
		       shim_exec_fds(&io, fds));
	exec_io_done(&io);
	rt_exec_spec_done(&x);
	return NULL;
}

/* Handle one request line; NULL when the command has answered itself. */
static json_t *shim_command(struct shim *sh, struct shim_client *c, const char *line, bool *quit)
{
	_cleanup_json_ json_t *req = json_loads(line, 0, NULL);
	const char *op = json_string_value(json_object_get(req, "op"));

	if (!op)
		return shim_error(EINVAL, "malformed request");
	if (streq(op, "kill"))
		return shim_cmd_kill(sh, req);
	if (streq(op, "exec"))
		return shim_cmd_exec(sh, c, req);
	if (streq(op, "stdin"))
		return shim_cmd_stdin(sh, c);
	if (streq(op, "close-stdin"))
		return shim_cmd_close_stdin(sh);
	if (streq(op, "resize"))
		return shim_cmd_resize(sh, req);
	if (streq(op, "state"))
		return json_pack("{s:b, s:i, s:b}", "ok", 1, "pid", sh->pid, "running",
				 !sh->exited);
	if (streq(op, "delete")) {
		if (!sh->exited)
			return shim_error(EBUSY, "container is running");
		*quit = true;
		return json_pack("{s:b}", "ok", 1);
	}
	return shim_error(EINVAL, "unknown request");
}

/* Remove client i. */
static void shim_drop_client(struct shim *sh, size_t i)
{
	close(sh->clients[i]->fd);
	free(sh->clients[i]);
	sh->clients[i] = sh->clients[--sh->n_clients];
}

/* Read from client i and answer its complete lines; false: dropped. */
static bool shim_on_client(struct shim *sh, size_t i, bool *quit)
{
	struct shim_client *c = sh->clients[i];
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		shim_drop_client(sh, i);
		return false;
	}
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	while ((nl = strchr(c->buf, '\n'))) {
		*nl = 0;
		json_t *reply = shim_command(sh, c, c->buf, quit);

		if (reply)
			shim_reply(c, reply);
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len + 1);
	}
	if (c->len == sizeof(c->buf) - 1) {
		shim_drop_client(sh, i);
		return false;
	}
	return true;
}

/* Accept a connection: a command client or an exit watcher. */
static void shim_on_accept(struct shim *sh)
{
	int fd = accept4(sh->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (sh->n_clients == SHIM_MAX_CLIENTS) {
		close(fd);
		return;
	}
	sh->clients[sh->n_clients] = xcalloc(1, sizeof(struct shim_client));
	sh->clients[sh->n_clients++]->fd = fd;
}

/* Has the container ended and its output been read (or waited for long
 * enough: a process that escaped with the pipe must not hold us)? */
static bool shim_done(struct shim *sh)
{
	if (!sh->exited)
		return false;
	if (sh->out[0].fd < 0 && sh->out[1].fd < 0)
		return true;
	return util_now_ns() - sh->exited_ns > SHIM_DRAIN_NS;
}

/* Tell the connections of ended execs how they ended, and drop them.
 * Not from shim_reap: the poll round still indexes the clients. */
static void shim_exec_sweep(struct shim *sh)
{
	for (size_t i = sh->n_clients; i-- > 0;) {
		struct shim_client *c = sh->clients[i];

		if (!c->exec_done)
			continue;
		shim_reply(c, json_pack("{s:i}", "exit", shim_exit_code(c->exec_status)));
		shim_drop_client(sh, i);
	}
}

/* One poll round over every fd the shim serves. */
static void shim_poll(struct shim *sh, bool *quit)
{
	struct pollfd pfd[4 + SHIM_MAX_CLIENTS];
	size_t n = 0, nc;

	shim_exec_sweep(sh);
	nc = sh->n_clients;

	pfd[n++] = (struct pollfd){.fd = sh->sig_fd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = sh->listen_fd, .events = POLLIN};
	for (int i = 0; i < 2; i++)
		pfd[n++] = (struct pollfd){.fd = sh->out[i].fd, .events = POLLIN};
	for (size_t i = 0; i < nc; i++)
		pfd[n++] = (struct pollfd){.fd = sh->clients[i]->fd, .events = POLLIN};
	if (poll(pfd, n, sh->exited ? 100 : -1) < 0)
		return;
	if (pfd[0].revents)
		shim_on_signal(sh);
	for (int i = 0; i < 2; i++)
		if (pfd[2 + i].revents && sh->out[i].fd >= 0)
			shim_on_output(&sh->out[i]);
	for (size_t i = nc; i-- > 0;)
		if (pfd[4 + i].revents)
			shim_on_client(sh, i, quit);
	if (pfd[1].revents)
		shim_on_accept(sh);
}

/* After the exit: OOM, cgroups away, exit.json, watchers told. */
static void shim_finish(struct shim *sh)
{
	struct rt_exit ex = {.exit_code = shim_exit_code(sh->status)};
	_cleanup_berr_ struct berr *err = NULL;

	for (int i = 0; i < 2; i++) {
		jsonlog_free(sh->out[i].log);
		sh->out[i].log = NULL;
	}
	ex.oom_killed = cgroup_oom_killed(sh->cg);
	cgroup_delete(sh->cg);
	sh->cg = NULL;
	clock_gettime(CLOCK_REALTIME, &ex.finished);
	if (shim_exit_write(".", &ex, &err) < 0)
		fprintf(stderr, "berth-shim: %s\n", berr_msg(err));
	unlink(SHIM_SOCK);
	shim_reap(sh);
	shim_exec_sweep(sh);
	while (sh->n_clients)
		shim_drop_client(sh, sh->n_clients - 1);
}

/* Record a failed start: the error for rt_start, exit code 127. */
static void shim_failed(struct shim *sh, struct berr *err, int *ready_fd)
{
	struct rt_exit ex = {.exit_code = SHIM_EXIT_CANNOT_START};
	int status;

	/* The child ends by itself: it failed, or it reads EOF on its sync
	 * pipe, which spawn_wait_exec has closed. */
	if (sh->pid > 0 && waitpid(sh->pid, &status, 0) == sh->pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 126)
		ex.exit_code = 126;
	cgroup_delete(sh->cg);
	sh->cg = NULL;
	clock_gettime(CLOCK_REALTIME, &ex.finished);
	shim_exit_write(".", &ex, NULL);
	unlink(SHIM_SOCK);
	shim_ready(ready_fd,
		   json_pack("{s:s, s:i}", "error", berr_msg(err), "code", err ? err->code : EIO));
}

/* Close everything the shim holds. */
static void shim_done_free(struct shim *sh)
{
	int fds[] = {sh->sig_fd,   sh->listen_fd, sh->log_fd,
		     sh->stdin_fd, sh->out[0].fd, sh->out[1].fd};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	while (sh->n_clients)
		shim_drop_client(sh, sh->n_clients - 1);
	jsonlog_free(sh->out[0].log);
	jsonlog_free(sh->out[1].log);
	cgroup_delete(sh->cg);
	rt_spec_done(&sh->spec);
}

/* Read and validate config.json. */
static int shim_load(struct shim *sh, struct berr **err)
{
	_cleanup_json_ json_t *obj = NULL;
	int r;

	if ((r = shim_json_read(".", SHIM_CONFIG, &obj, err)) < 0)
		return r;
	if ((r = rt_spec_from_json(obj, &sh->spec, err)) < 0)
		return berr_wrap(err, "%s", SHIM_CONFIG);
	return 0;
}

/* Set up, start, report, supervise. */
static int shim_main(struct shim *sh, int ready_fd)
{
	_cleanup_berr_ struct berr *err = NULL;
	bool quit = false;

	if (shim_load(sh, &err) < 0 || shim_write_pid(&err) < 0 || shim_signals(sh, &err) < 0 ||
	    shim_listen(sh, &err) < 0 || shim_start(sh, &err) < 0) {
		fprintf(stderr, "berth-shim: %s\n", berr_msg(err));
		shim_failed(sh, err, &ready_fd);
		return 1;
	}
	shim_ready(&ready_fd, json_pack("{s:i}", "pid", sh->pid));
	while (!shim_done(sh) && !quit)
		shim_poll(sh, &quit);
	shim_finish(sh);
	return 0;
}

/* The shim: runs in state_dir until the container has ended. */
int shim_run(const char *state_dir, int ready_fd)
{
	struct shim sh = {.sig_fd = -1, .listen_fd = -1, .log_fd = -1, .stdin_fd = -1};
	int r;

	sh.out[0].fd = sh.out[1].fd = -1;
	if (ready_fd >= 0)
		fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (chdir(state_dir) < 0) {
		fprintf(stderr, "berth-shim: %s: %m\n", state_dir);
		return 1;
	}
	shim_detach_stdio();
	r = shim_main(&sh, ready_fd);
	shim_done_free(&sh);
	return r;
}
