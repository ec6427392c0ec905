/* spawn.c - the container process.  The shim clones a child into new pid,
 * mount, uts, ipc (and for RT_NET_NONE net) namespaces; the child waits
 * until the shim has put it into its cgroups, enters a cgroup namespace,
 * joins the network namespace, sets the hostname, builds its root
 * (rootfs.c), drops capabilities (caps.c), switches user and execs the
 * command.  A failure on the way is written to the exec pipe as "errno
 * message" and the child exits 127; a successful exec closes the pipe
 * (O_CLOEXEC), which the shim reads as "started".
 *
 * With spec->init the child stays as the namespace's pid 1: a small
 * reaper that forwards signals to the command and reaps orphans. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/shim.h"

static volatile pid_t spawn_reaped_child;

/* Report err to the shim through the exec pipe and end the child. */
__attribute__((noreturn)) void spawn_fail(int exec_fd, struct berr *err)
{
	char *msg = xasprintf("%d %s", err ? err->code : EIO, berr_msg(err));
	int code = err && err->code == EACCES ? 126 : SHIM_EXIT_CANNOT_START;

	if (write(exec_fd, msg, strlen(msg)) < 0)
		_exit(code);
	_exit(code);
}

/* Unblock every signal and restore default dispositions: the shim blocks
 * and ignores some, and both survive execve(). */
void spawn_reset_signals(void)
{
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Bring lo up in the new network namespace (RT_NET_NONE). */
static int spawn_lo_up(struct berr **err)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (s < 0)
		return berr_set(err, errno, "socket: %m");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return berr_set(err, errno, "cannot read the flags of lo: %m");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return berr_set(err, errno, "cannot bring lo up: %m");
	return 0;
}

/* Namespaces the clone did not make: cgroup (now that the shim has put us
 * in our cgroup, which becomes the namespace's root) and the network. */
static int spawn_namespaces(const struct rt_spec *spec, const struct spawn_io *io,
			    struct berr **err)
{
	if (unshare(CLONE_NEWCGROUP) < 0)
		return berr_set(err, errno, "cannot create a cgroup namespace: %m");
	if (io->net_fd >= 0 && setns(io->net_fd, CLONE_NEWNET) < 0)
		return berr_set(err, errno, "cannot join network namespace %s: %m", spec->net_path);
	if (spec->net_mode == RT_NET_NONE)
		return spawn_lo_up(err);
	return 0;
}

/* The command's stdin, stdout and stderr on 0, 1 and 2. */
static int spawn_stdio(const struct spawn_io *io, struct berr **err)
{
	int in = io->tty_fd >= 0 ? io->tty_fd : io->stdin_fd;
	int out = io->tty_fd >= 0 ? io->tty_fd : io->stdout_fd;
	int errfd = io->tty_fd >= 0 ? io->tty_fd : io->stderr_fd;
	int null = -1;

	if (in < 0 && (in = null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return berr_set(err, errno, "cannot open /dev/null: %m");
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		return berr_set(err, errno, "cannot set up stdio: %m");
	if (null >= 0)
		close(null);
	return 0;
}

/* Become spec's user: groups, gid, uid; then the final capability sets. */
int spawn_user(const struct rt_spec *spec, struct berr **err)
{
	uint64_t mask;
	int r;

	if ((r = caps_mask(spec, &mask, err)) < 0 || (r = caps_bound(mask, err)) < 0)
		return r;
	if (setgroups(spec->n_groups, spec->groups) < 0)
		return berr_set(err, errno, "setgroups: %m");
	if (setresgid(spec->gid, spec->gid, spec->gid) < 0)
		return berr_set(err, errno, "cannot switch to group %u: %m", (unsigned)spec->gid);
	if (setresuid(spec->uid, spec->uid, spec->uid) < 0)
		return berr_set(err, errno, "cannot switch to user %u: %m", (unsigned)spec->uid);
	if ((r = caps_apply(mask, err)) < 0)
		return r;
	if (!spec->privileged && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_set(err, errno, "cannot set no_new_privs: %m");
	return 0;
}

/* PATH from the container's environment, or Docker's default. */
static const char *spawn_env_path(char *const *env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (strprefix(env[i], "PATH="))
			return env[i] + 5;
	return SHIM_DEFAULT_PATH;
}

/* Is path an executable regular file for us? */
static bool spawn_is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Find args[0] in the container's PATH (execvpe would use the shim's). */
int spawn_lookup(const struct rt_spec *spec, char **ret, struct berr **err)
{
	const char *name = spec->args[0];
	_cleanup_free_ char *path = xstrdup(spawn_env_path(spec->env));
	char *save, *dir;

	if (strchr(name, '/')) {
		if (access(name, F_OK) < 0)
			return berr_set(err, errno, "exec: \"%s\": stat %s: %m", name, name);
		*ret = xstrdup(name);
		return 0;
	}
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (spawn_is_exec(cand)) {
			*ret = cand;
			return 0;
		}
		free(cand);
	}
	return berr_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/* Signal handler of the reaper: pass the signal on to the command. */
static void spawn_forward(int sig)
{
	if (spawn_reaped_child > 0)
		kill(spawn_reaped_child, sig);
}

/* pid 1 with init: forward signals to child, reap everything, and exit as
 * the command did.  A signal death becomes 128+signal: pid 1 cannot kill
 * itself with the same signal (the kernel ignores it). */
static __attribute__((noreturn)) void spawn_reaper(pid_t child, const sigset_t *old)
{
	int status;
	pid_t pid;

	spawn_reaped_child = child;
	sigprocmask(SIG_SETMASK, old, NULL);
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			_exit(1);
		if (pid != child)
			continue;
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}

/* With init: fork the command off and stay as the reaper.  Handlers are
 * installed before the fork, with signals blocked, so that no signal sent
 * to pid 1 in between is lost: pid 1 drops signals it has no handler for. */
static void spawn_init(int exec_fd)
{
	struct sigaction sa = {.sa_handler = spawn_forward, .sa_flags = SA_RESTART};
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGCHLD && s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	pid = fork();
	if (pid < 0) {
		struct berr *e = NULL;

		berr_set(&e, errno, "cannot fork the command: %m");
		spawn_fail(exec_fd, e);
	}
	if (pid > 0) {
		/* The reaper lives as long as the container: it must not hold
		 * the shim's fds (ready pipe, socket, exec pipe) open. */
		close_range(3, ~0U, 0);
		/* Like the command, the running container outlives its shim. */
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		spawn_reaper(pid, &old);
	}
	spawn_reset_signals();
}

/* Everything after the shim's go, up to the exec. */
static int spawn_setup(const struct rt_spec *spec, const struct spawn_io *io, struct berr **err)
{
	struct rootfs_io rio = {.console_fd = io->tty_fd};
	int r;

	if ((r = spawn_namespaces(spec, io, err)) < 0)
		return r;
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return berr_set(err, errno, "cannot set the hostname: %m");
	if (setsid() < 0)
		return berr_set(err, errno, "setsid: %m");
	if (io->tty_fd >= 0 && ioctl(io->tty_fd, TIOCSCTTY, 0) < 0)
		return berr_set(err, errno, "cannot make the pty the controlling terminal: %m");
	if ((r = rootfs_setup(spec, &rio, err)) < 0 || (r = spawn_stdio(io, err)) < 0 ||
	    (r = spawn_user(spec, err)) < 0)
		return r;
	if (chdir(spec->cwd ? spec->cwd : "/") < 0)
		return berr_set(err, errno, "cannot change to working directory %s: %m", spec->cwd);
	umask(022);
	return 0;
}

/* The cloned child: never returns. */
static __attribute__((noreturn)) void
spawn_child(const struct rt_spec *spec, const struct spawn_io *io, int sync_fd, int exec_fd)
{
	_cleanup_free_ char *path = NULL;
	struct berr *err = NULL;
	char go;

	/* Until the exec, a dying shim takes the half-built container along. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	spawn_reset_signals();
	if (read(sync_fd, &go, 1) != 1)
		_exit(SHIM_EXIT_CANNOT_START);
	close(sync_fd);
	if (spawn_setup(spec, io, &err) < 0)
		spawn_fail(exec_fd, err);
	if (spec->init)
		spawn_init(exec_fd);
	if (spawn_lookup(spec, &path, &err) < 0)
		spawn_fail(exec_fd, err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	execve(path, spec->args, spec->env ? spec->env : (char *[]){NULL});
	berr_set(&err, errno, "exec: \"%s\": %m", spec->args[0]);
	spawn_fail(exec_fd, err);
}

/* Clone the container's child.  It waits for spawn_wait_exec(). */
int spawn_clone(const struct rt_spec *spec, const struct spawn_io *io, struct spawn *ret,
		struct berr **err)
{
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	int sync[2], exec[2];
	pid_t pid;

	if (spec->net_mode == RT_NET_NONE)
		flags |= CLONE_NEWNET;
	if (pipe2(sync, O_CLOEXEC) < 0)
		return berr_set(err, errno, "pipe: %m");
	if (pipe2(exec, O_CLOEXEC) < 0) {
		close(sync[0]), close(sync[1]);
		return berr_set(err, errno, "pipe: %m");
	}
	/* Raw clone: the child is a copy like after fork(), in new namespaces. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	if (pid == 0) {
		close(sync[1]), close(exec[0]);
		spawn_child(spec, io, sync[0], exec[1]);
	}
	close(sync[0]), close(exec[1]);
	if (pid < 0) {
		close(sync[1]), close(exec[0]);
		return berr_set(err, errno, "cannot create the container's namespaces: %m");
	}
	*ret = (struct spawn){.pid = pid, .sync_fd = sync[1], .exec_fd = exec[0]};
	return 0;
}

/* Let the child go on and wait until it has exec'ed (EOF) or failed. */
int spawn_wait_exec(struct spawn *sp, struct berr **err)
{
	char buf[4096], *end;
	size_t len = 0;
	ssize_t n;
	long code;

	n = write(sp->sync_fd, "g", 1);
	close(sp->sync_fd);
	sp->sync_fd = -1;
	if (n != 1)
		return berr_set(err, errno, "cannot start the container's child: %m");
	while (len < sizeof(buf) - 1 &&
	       ((n = read(sp->exec_fd, buf + len, sizeof(buf) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(sp->exec_fd);
	sp->exec_fd = -1;
	if (len == 0)
		return 0;
	buf[len] = 0;
	code = strtol(buf, &end, 10);
	if (code <= 0 || code > 4095 || *end != ' ')
		return berr_set(err, EIO, "%s", buf);
	return berr_set(err, (int)code, "%s", end + 1);
}
