/* client.c - berthd's side of the runtime (runtime.h): write config.json,
 * start berth-shim detached and wait for its ready message, and talk to a
 * running shim over <state>/shim.sock (one JSON line each way; exec and
 * stdin replies carry descriptors with SCM_RIGHTS).  Called
 * from the job thread; every wait has a timeout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/runtime.h"
#include "runtime/shim.h"

#define CLIENT_START_TIMEOUT_MS 10000
#define CLIENT_REPLY_TIMEOUT_MS 5000
#define CLIENT_MAX_REPLY	4096

/* The shim binary: shim_path, else $BERTH_SHIM, else next to ourselves. */
static char *client_shim_path(const char *shim_path)
{
	char self[PATH_MAX];
	ssize_t n;

	if (shim_path)
		return xstrdup(shim_path);
	if (getenv("BERTH_SHIM") && *getenv("BERTH_SHIM"))
		return xstrdup(getenv("BERTH_SHIM"));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return xstrdup("berth-shim");
	self[n] = 0;
	return xasprintf("%s/berth-shim", dirname(self));
}

/* Read until EOF or timeout into a malloc'ed string.  -ETIMEDOUT on time. */
static int client_read_all(int fd, int timeout_ms, char **ret)
{
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		uint64_t now = util_now_ns();

		if (now >= deadline || poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1) == 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		xgrow(&buf, &cap, len + 4097, 1);
		n = read(fd, buf + len, 4096);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	xgrow(&buf, &cap, len + 1, 1);
	buf[len] = 0;
	*ret = buf;
	return 0;
}

/* In the forked child: detach (own session, reparented to init by the
 * second fork) and exec the shim with the ready pipe on fd 3.  Only
 * async-signal-safe calls: berthd has threads. */
static __attribute__((noreturn)) void client_exec_shim(const char *shim, char *const argv[],
						       int ready_fd)
{
	sigset_t none;

	if (setsid() < 0 || fork() != 0)
		_exit(0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (ready_fd == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(ready_fd, 3) < 0)
		_exit(127);
	execv(shim, argv);
	_exit(127);
}

/* Run the shim; *ret_fd is the read end of its ready pipe. */
static int client_spawn(const char *shim, const char *state_dir, int *ret_fd, struct berr **err)
{
	char *argv[] = {"berth-shim", "--state", (char *)state_dir, "--ready-fd", "3", NULL};
	int p[2], status;
	pid_t pid;

	if (access(shim, X_OK) < 0)
		return berr_set(err, errno, "cannot run the shim %s: %m", shim);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, errno, "pipe: %m");
	pid = fork();
	if (pid == 0)
		client_exec_shim(shim, argv, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return berr_set(err, errno, "fork: %m");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_fd = p[0];
	return 0;
}

/* Kill a shim that did not answer in time, by its shim.pid. */
static void client_kill_shim(const char *state_dir)
{
	_cleanup_json_ json_t *pid = NULL;

	if (shim_json_read(state_dir, SHIM_PID, &pid, NULL) == 0 && json_integer_value(pid) > 1)
		kill((pid_t)json_integer_value(pid), SIGKILL);
}

/* Decode the shim's ready message. */
static int client_ready(const char *state_dir, const char *text, pid_t *ret_pid, struct berr **err)
{
	_cleanup_json_ json_t *msg = json_loads(text, 0, NULL);
	json_t *pid = json_object_get(msg, "pid");
	const char *e = json_string_value(json_object_get(msg, "error"));

	if (e) {
		json_int_t code = json_integer_value(json_object_get(msg, "code"));

		return berr_set(err, code > 0 && code < 4096 ? (int)code : EIO, "%s", e);
	}
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0)
		return berr_set(err, EIO,
				"the shim of %s ended without starting the container "
				"(see %s/" SHIM_LOG ")",
				state_dir, state_dir);
	*ret_pid = (pid_t)json_integer_value(pid);
	return 0;
}

/* Start a container under a new shim (see runtime.h). */
int rt_start(const char *shim_path, const char *state_dir, const struct rt_spec *spec,
	     pid_t *ret_pid, struct berr **err)
{
	_cleanup_free_ char *shim = client_shim_path(shim_path);
	_cleanup_free_ char *exit_path = xasprintf("%s/" SHIM_EXIT, state_dir);
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *cfg = rt_spec_to_json(spec);
	_cleanup_close_ int ready = -1;
	int r;

	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", state_dir);
	unlink(exit_path); /* a restart: the old exit is history */
	if ((r = shim_json_write(state_dir, SHIM_CONFIG, cfg, err)) < 0 ||
	    (r = client_spawn(shim, state_dir, &ready, err)) < 0)
		return r;
	r = client_read_all(ready, CLIENT_START_TIMEOUT_MS, &text);
	if (r < 0) {
		client_kill_shim(state_dir);
		return berr_set(err, ETIMEDOUT, "the shim of %s did not report within %d s",
				state_dir, CLIENT_START_TIMEOUT_MS / 1000);
	}
	return client_ready(state_dir, text, ret_pid, err);
}

/* Send one request line to the shim and read its reply object. */
static int client_request(const char *state_dir, json_t *req, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT), *line = NULL, *reply = NULL;
	_cleanup_close_ int fd = shim_sock_connect(state_dir, err);
	json_t *obj;
	const char *e;

	if (fd < 0)
		return fd;
	line = xasprintf("%s\n", text);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		return berr_set(err, errno, "cannot talk to the shim of %s: %m", state_dir);
	if (client_read_all(fd, CLIENT_REPLY_TIMEOUT_MS, &reply) < 0)
		return berr_set(err, ETIMEDOUT, "the shim of %s does not answer", state_dir);
	obj = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
	if (!obj)
		return berr_set(err, ESRCH, "container is not running");
	if ((e = json_string_value(json_object_get(obj, "error")))) {
		int code = (int)json_integer_value(json_object_get(obj, "code"));

		code = berr_set(err, code > 0 && code < 4096 ? code : EIO, "%s", e);
		json_decref(obj);
		return code;
	}
	*ret = obj;
	return 0;
}

/* Does <state>/exit.json exist? */
static bool client_has_exit(const char *state_dir)
{
	_cleanup_free_ char *path = xasprintf("%s/" SHIM_EXIT, state_dir);

	return access(path, F_OK) == 0;
}

/* Signal the container's main process through its shim. */
int rt_kill(const char *state_dir, int sig, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s, s:i}", "op", "kill", "signal", sig);
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_berr_ struct berr *e = NULL;
	int r = client_request(state_dir, req, &reply, &e);

	if (r == 0)
		return 0;
	if (client_has_exit(state_dir) || -r == ESRCH)
		return berr_set(err, ESRCH, "container is not running");
	return berr_set(err, -r, "%s", berr_msg(e));
}

/* A pipe that reads EOF at once: for a container that has already ended. */
static int client_eof_fd(int *ret_fd, struct berr **err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, errno, "pipe: %m");
	close(p[1]);
	*ret_fd = p[0];
	return 0;
}

/* A connection to the shim that reads EOF when the container has ended. */
int rt_exit_fd(const char *state_dir, int *ret_fd, struct berr **err)
{
	_cleanup_berr_ struct berr *e = NULL;
	int fd = shim_sock_connect(state_dir, &e);

	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	if (access(state_dir, F_OK) < 0)
		return berr_set(err, errno, "%s: %m", state_dir);
	/* Gone: it ended (exit.json), or the shim died (rt_exit_read says). */
	return client_eof_fd(ret_fd, err);
}

/* Load and decode exit.json. */
static int client_exit_load(const char *state_dir, struct rt_exit *ret, struct berr **err)
{
	_cleanup_json_ json_t *obj = NULL;
	int r = shim_json_read(state_dir, SHIM_EXIT, &obj, err);

	if (r < 0)
		return r;
	return shim_exit_from_json(obj, ret, err);
}

/* How the container ended; ENOENT while it runs. */
int rt_exit_read(const char *state_dir, struct rt_exit *ret, struct berr **err)
{
	if (client_has_exit(state_dir))
		return client_exit_load(state_dir, ret, err);
	if (rt_alive(state_dir, NULL))
		return berr_set(err, ENOENT, "container is still running");
	/* The shim may have written exit.json and gone since the first look. */
	if (client_has_exit(state_dir))
		return client_exit_load(state_dir, ret, err);
	return berr_set(err, ESRCH, "the shim of %s ended without recording an exit", state_dir);
}

/* Is the shim alive?  *ret_pid: the container's pid while it runs. */
bool rt_alive(const char *state_dir, pid_t *ret_pid)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "state");
	_cleanup_json_ json_t *reply = NULL;

	if (client_request(state_dir, req, &reply, NULL) < 0)
		return false;
	if (ret_pid && json_is_true(json_object_get(reply, "running")))
		*ret_pid = (pid_t)json_integer_value(json_object_get(reply, "pid"));
	return true;
}

/* Tell a lingering shim to go and wait until it has closed (EOF). */
static int client_stop_shim(const char *state_dir, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "delete");
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_berr_ struct berr *e = NULL;
	_cleanup_free_ char *rest = NULL;
	_cleanup_close_ int fd = -1;
	int r = client_request(state_dir, req, &reply, &e);

	if (r == -EBUSY)
		return berr_set(err, EBUSY, "%s", berr_msg(e));
	if (r < 0)
		return 0; /* no shim to stop */
	fd = shim_sock_connect(state_dir, NULL);
	if (fd >= 0 && client_read_all(fd, CLIENT_REPLY_TIMEOUT_MS, &rest) < 0)
		return berr_set(err, ETIMEDOUT, "the shim of %s does not go", state_dir);
	return 0;
}

/* Unmount <bundle>/rootfs if it is mounted here (the shim mounts it only in
 * the container's namespace; this covers a rootfs mounted by hand). */
static void client_umount_rootfs(const char *state_dir)
{
	_cleanup_json_ json_t *obj = NULL;
	struct rt_spec spec = {0};
	char *root;

	if (shim_json_read(state_dir, SHIM_CONFIG, &obj, NULL) < 0 ||
	    rt_spec_from_json(obj, &spec, NULL) < 0)
		return;
	root = xasprintf("%s/rootfs", spec.bundle);
	umount2(root, MNT_DETACH | UMOUNT_NOFOLLOW);
	free(root);
	rt_spec_done(&spec);
}

/* Remove the files of the state dir and the dir. */
static int client_rm_state(const char *state_dir, struct berr **err)
{
	DIR *d = opendir(state_dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : berr_set(err, errno, "%s: %m", state_dir);
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	if (rmdir(state_dir) < 0 && errno != ENOENT)
		return berr_set(err, errno, "cannot remove %s: %m", state_dir);
	return 0;
}

/* After the exit: stop the shim, unmount, remove the state dir. */
int rt_delete(const char *state_dir, struct berr **err)
{
	int r;

	if (access(state_dir, F_OK) < 0)
		return 0;
	if ((r = client_stop_shim(state_dir, err)) < 0)
		return r;
	client_umount_rootfs(state_dir);
	return client_rm_state(state_dir, err);
}

/* Close the descriptors a reply brought. */
static void client_close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]), fds[i] = -1;
}

/* Take the SCM_RIGHTS descriptors of one received message. */
static void client_take_fds(struct msghdr *msg, int *fds, size_t max, size_t *n)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int got[8];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || k > 8)
			continue;
		memcpy(got, CMSG_DATA(cm), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (*n < max)
				fds[(*n)++] = got[i];
			else
				close(got[i]);
		}
	}
}

/* Read one reply line and the descriptors sent with it.  The line is read
 * up to its end and not beyond: an exec's connection carries its exit
 * line next. */
static int client_recv_fds(int fd, char **ret, int *fds, size_t max, size_t *ret_n)
{
	char buf[CLIENT_MAX_REPLY], cbuf[CMSG_SPACE(sizeof(int) * 8)];
	size_t len = 0, n = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct iovec iov = {.iov_base = buf + len, .iov_len = 1};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t r;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		if (poll(&pfd, 1, CLIENT_REPLY_TIMEOUT_MS) <= 0)
			break;
		r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		client_take_fds(&msg, fds, max, &n);
		len += (size_t)r;
	}
	buf[len] = 0;
	if (!memchr(buf, '\n', len)) {
		client_close_fds(fds, n);
		return -EIO;
	}
	*ret = xstrdup(buf);
	*ret_n = n;
	return 0;
}

/* Send req on fd and read the reply object with its descriptors. */
static int client_call_fds(const char *state_dir, int fd, json_t *req, json_t **ret, int *fds,
			   size_t max, size_t *ret_n, struct berr **err)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT), *line = NULL, *reply = NULL;
	_cleanup_json_ json_t *obj = NULL;
	const char *e;
	size_t n = 0;

	line = xasprintf("%s\n", text);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		return berr_set(err, errno, "cannot talk to the shim of %s: %m", state_dir);
	if (client_recv_fds(fd, &reply, fds, max, &n) < 0)
		return berr_set(err, ESRCH, "container is not running");
	obj = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
	if ((e = json_string_value(json_object_get(obj, "error")))) {
		int code = (int)json_integer_value(json_object_get(obj, "code"));

		client_close_fds(fds, n);
		return berr_set(err, code > 0 && code < 4096 ? code : EIO, "%s", e);
	}
	if (!obj) {
		client_close_fds(fds, n);
		return berr_set(err, EIO, "the shim of %s answered nonsense", state_dir);
	}
	*ret = TAKE_PTR(obj);
	*ret_n = n;
	return 0;
}

/* The exec's fds in the order the shim sends them (shim_exec_fds). */
static int client_exec_proc(const struct rt_exec_spec *spec, const int *fds, size_t n,
			    struct rt_exec_proc *p, struct berr **err)
{
	size_t want = spec->detach ? 0 : spec->tty ? 1 : 2 + (spec->open_stdin ? 1 : 0);

	if (n != want)
		return berr_set(err, EIO, "the shim sent %zu descriptors for an exec, not %zu", n,
				want);
	p->stdin_fd = p->stdout_fd = p->stderr_fd = -1;
	if (spec->detach)
		return 0;
	if (spec->tty) {
		p->stdout_fd = fds[0];
		p->stdin_fd = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
		if (p->stdin_fd < 0)
			return berr_set(err, errno, "dup: %m");
		return 0;
	}
	p->stdout_fd = fds[0];
	p->stderr_fd = fds[1];
	if (spec->open_stdin)
		p->stdin_fd = fds[2];
	return 0;
}

/* Start a process in a running container (see runtime.h). */
int rt_exec(const char *state_dir, const struct rt_exec_spec *spec, struct rt_exec_proc *ret,
	    struct berr **err)
{
	_cleanup_json_ json_t *req =
		json_pack("{s:s, s:o}", "op", "exec", "spec", rt_exec_spec_to_json(spec));
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_close_ int fd = shim_sock_connect(state_dir, err);
	struct rt_exec_proc p = {.ctl_fd = -1};
	int fds[4];
	size_t n = 0;
	int r;

	if (fd < 0)
		return berr_set(err, ESRCH, "container is not running");
	if ((r = client_call_fds(state_dir, fd, req, &reply, fds, ARRAY_SIZE(fds), &n, err)) < 0)
		return r;
	if ((r = client_exec_proc(spec, fds, n, &p, err)) < 0) {
		client_close_fds(fds, n);
		return r;
	}
	p.pid = (pid_t)json_integer_value(json_object_get(reply, "pid"));
	p.ctl_fd = TAKE_FD(fd);
	*ret = p;
	return 0;
}

/* A shim request that hands back one descriptor. */
static int client_request_fd(const char *state_dir, json_t *req, int *ret_fd, struct berr **err)
{
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_close_ int fd = shim_sock_connect(state_dir, err);
	int fds[1];
	size_t n = 0;
	int r;

	if (fd < 0)
		return berr_set(err, ESRCH, "container is not running");
	if ((r = client_call_fds(state_dir, fd, req, &reply, fds, 1, &n, err)) < 0)
		return r;
	if (n != 1)
		return berr_set(err, EIO, "the shim of %s sent no descriptor", state_dir);
	*ret_fd = fds[0];
	return 0;
}

int rt_stdin_fd(const char *state_dir, int *ret_fd, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "stdin");

	return client_request_fd(state_dir, req, ret_fd, err);
}

int rt_stdin_close(const char *state_dir, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", "close-stdin");
	_cleanup_json_ json_t *reply = NULL;

	return client_request(state_dir, req, &reply, err);
}

int rt_resize(const char *state_dir, unsigned rows, unsigned cols, struct berr **err)
{
	_cleanup_json_ json_t *req = json_pack("{s:s, s:I, s:I}", "op", "resize", "rows",
					       (json_int_t)rows, "cols", (json_int_t)cols);
	_cleanup_json_ json_t *reply = NULL;

	return client_request(state_dir, req, &reply, err);
}
