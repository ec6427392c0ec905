/* exec.c - a process started inside a running container (docker exec).
 * The shim forks it straight into the container's pid namespace (setns on
 * the pid namespace only affects the children made afterwards), puts it
 * into the container's cgroup, and the child joins the other namespaces
 * (ipc, uts, net, cgroup, mount: the mount namespace last, as setns then
 * moves its root and cwd to the container's root), takes the container's
 * capabilities, no_new_privs and the user it was given, and execs.  As in
 * spawn.c a failure before the exec is written to the exec pipe.
 *
 * Also the JSON codec of struct rt_exec_spec (client.c writes it, the
 * shim reads it). */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/shim.h"

/* The namespaces an exec joins, in order: mnt last (see the top). */
static const struct {
	const char *name;
	int type;
} exec_ns[] = {
	{"ipc", CLONE_NEWIPC},	     {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
	{"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};

static json_t *exec_strv_to_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *rt_exec_spec_to_json(const struct rt_exec_spec *spec)
{
	return json_pack("{s:o, s:o, s:s, s:I, s:I, s:b, s:b, s:b, s:b}", "args",
			 exec_strv_to_json(spec->args), "env", exec_strv_to_json(spec->env), "cwd",
			 spec->cwd ? spec->cwd : "/", "uid", (json_int_t)spec->uid, "gid",
			 (json_int_t)spec->gid, "tty", spec->tty, "open_stdin", spec->open_stdin,
			 "detach", spec->detach, "privileged", spec->privileged);
}

/* A JSON array of strings as a NULL-terminated strv; NULL when invalid. */
static char **exec_strv_from_json(json_t *a)
{
	char **v;

	if (!json_is_array(a))
		return NULL;
	v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s) {
			spec_strv_free(v);
			return NULL;
		}
		v[i] = xstrdup(s);
	}
	return v;
}

int rt_exec_spec_from_json(json_t *obj, struct rt_exec_spec *ret, struct berr **err)
{
	struct rt_exec_spec s = {0};
	json_int_t uid = -1, gid = -1;
	json_t *args = NULL, *env = NULL;
	const char *cwd = NULL;
	int tty = 0, in = 0, detach = 0, priv = 0;

	if (json_unpack(obj, "{s:o, s:o, s:s, s:I, s:I, s:b, s:b, s:b, s:b}", "args", &args, "env",
			&env, "cwd", &cwd, "uid", &uid, "gid", &gid, "tty", &tty, "open_stdin", &in,
			"detach", &detach, "privileged", &priv) < 0 ||
	    uid < 0 || gid < 0 || uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1 || cwd[0] != '/')
		return berr_set(err, EINVAL, "exec: malformed process description");
	s.args = exec_strv_from_json(args);
	s.env = exec_strv_from_json(env);
	if (!s.args || !s.args[0] || !s.env) {
		rt_exec_spec_done(&s);
		return berr_set(err, EINVAL, "exec: malformed args or env");
	}
	s.cwd = xstrdup(cwd);
	s.uid = (uid_t)uid, s.gid = (gid_t)gid;
	s.tty = tty, s.open_stdin = in, s.detach = detach, s.privileged = priv;
	*ret = s;
	return 0;
}

void rt_exec_spec_done(struct rt_exec_spec *spec)
{
	spec_strv_free(spec->args);
	spec_strv_free(spec->env);
	free(spec->cwd);
	*spec = (struct rt_exec_spec){0};
}

int rt_exec_exit_parse(const char *line, int *ret_code)
{
	_cleanup_json_ json_t *o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	json_t *code = json_object_get(o, "exit");

	if (!json_is_integer(code) || json_integer_value(code) < 0 ||
	    json_integer_value(code) > 255)
		return -EINVAL;
	*ret_code = (int)json_integer_value(code);
	return 0;
}

int rt_tty_resize(int master_fd, unsigned rows, unsigned cols, struct berr **err)
{
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

	if (rows > 0xffff || cols > 0xffff)
		return berr_set(err, EINVAL, "invalid terminal size %ux%u", rows, cols);
	if (ioctl(master_fd, TIOCSWINSZ, &ws) < 0)
		return berr_set(err, errno, "cannot resize the terminal: %m");
	return 0;
}

void exec_io_done(struct exec_io *io)
{
	int *fds[] = {&io->in[0],  &io->in[1],	&io->out[0], &io->out[1],
		      &io->err[0], &io->err[1], &io->master, &io->slave};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]), *fds[i] = -1;
}

/* The process's stdio: a pty, pipes, or nothing (/dev/null in the child). */
static int exec_io_open(const struct rt_exec_spec *x, struct exec_io *io, struct berr **err)
{
	if (x->detach)
		return 0;
	if (x->tty) {
		if (openpty(&io->master, &io->slave, NULL, NULL, NULL) < 0)
			return berr_set(err, errno, "cannot open a pty: %m");
		fcntl(io->master, F_SETFD, FD_CLOEXEC), fcntl(io->slave, F_SETFD, FD_CLOEXEC);
		return 0;
	}
	if (pipe2(io->out, O_CLOEXEC) < 0 || pipe2(io->err, O_CLOEXEC) < 0 ||
	    (x->open_stdin && pipe2(io->in, O_CLOEXEC) < 0)) {
		exec_io_done(io);
		return berr_set(err, errno, "pipe: %m");
	}
	return 0;
}

/* In the child: the process's ends on 0, 1, 2, with the pty as the
 * controlling terminal of a new session. */
static int exec_child_stdio(const struct exec_io *io, struct berr **err)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int in = io->slave >= 0 ? io->slave : io->in[0] >= 0 ? io->in[0] : null;
	int out = io->slave >= 0 ? io->slave : io->out[1] >= 0 ? io->out[1] : null;
	int errfd = io->slave >= 0 ? io->slave : io->err[1] >= 0 ? io->err[1] : null;

	if (null < 0)
		return berr_set(err, errno, "cannot open /dev/null: %m");
	if (setsid() < 0)
		return berr_set(err, errno, "setsid: %m");
	if (io->slave >= 0 && ioctl(io->slave, TIOCSCTTY, 0) < 0)
		return berr_set(err, errno, "cannot make the pty the controlling terminal: %m");
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		return berr_set(err, errno, "cannot set up stdio: %m");
	close(null);
	return 0;
}

/* In the child: join the container's namespaces (fds in exec_ns order). */
static int exec_child_setns(const int *ns_fds, struct berr **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
		if (setns(ns_fds[i], exec_ns[i].type) < 0)
			return berr_set(err, errno, "cannot join the container's %s namespace: %m",
					exec_ns[i].name);
	return 0;
}

/* The forked child: never returns.  ctr is a copy with the exec's user,
 * args, env and privileges. */
static __attribute__((noreturn)) void exec_child(const struct rt_spec *ctr, const char *cwd,
						 const struct exec_io *io, const int *ns_fds,
						 int sync_fd, int exec_fd)
{
	_cleanup_free_ char *path = NULL;
	struct berr *err = NULL;
	char go;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	spawn_reset_signals();
	if (read(sync_fd, &go, 1) != 1)
		_exit(SHIM_EXIT_CANNOT_START);
	if (exec_child_setns(ns_fds, &err) < 0 || exec_child_stdio(io, &err) < 0)
		spawn_fail(exec_fd, err);
	if (chdir(cwd) < 0) {
		berr_set(&err, errno, "cannot change to working directory %s: %m", cwd);
		spawn_fail(exec_fd, err);
	}
	if (spawn_user(ctr, &err) < 0 || spawn_lookup(ctr, &path, &err) < 0)
		spawn_fail(exec_fd, err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	execve(path, ctr->args, ctr->env);
	berr_set(&err, errno, "exec: \"%s\": %m", ctr->args[0]);
	spawn_fail(exec_fd, err);
}

/* Open /proc/<pid>/ns/<name> for every namespace in exec_ns, and pid. */
static int exec_ns_open(pid_t pid, int *fds, int *pid_fd, struct berr **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
		_cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int)pid, exec_ns[i].name);

		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return berr_set(err, errno, "cannot open %s: %m", p);
	}
	{
		_cleanup_free_ char *p = xasprintf("/proc/%d/ns/pid", (int)pid);

		*pid_fd = open(p, O_RDONLY | O_CLOEXEC);
		if (*pid_fd < 0)
			return berr_set(err, errno, "cannot open %s: %m", p);
	}
	return 0;
}

static void exec_ns_close(int *fds, int pid_fd)
{
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (pid_fd >= 0)
		close(pid_fd);
}

/* fork() with the container's pid namespace for the child; the shim goes
 * back to its own for the children it makes later. */
static pid_t exec_fork_in(int pid_fd, struct berr **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (self < 0)
		return berr_set(err, errno, "cannot open /proc/self/ns/pid: %m");
	if (setns(pid_fd, CLONE_NEWPID) < 0)
		return berr_set(err, errno, "cannot join the container's pid namespace: %m");
	pid = fork();
	if (pid != 0 && setns(self, CLONE_NEWPID) < 0)
		fprintf(stderr, "berth-shim: cannot go back to my pid namespace: %m\n");
	if (pid < 0)
		return berr_set(err, errno, "fork: %m");
	return pid;
}

/* The child's view of the container spec: exec's args, env, user, rights. */
static struct rt_spec exec_child_spec(const struct rt_spec *ctr, const struct rt_exec_spec *x)
{
	struct rt_spec s = *ctr;

	s.args = x->args;
	s.env = x->env;
	s.uid = x->uid;
	s.gid = x->gid;
	s.groups = NULL;
	s.n_groups = 0;
	s.privileged = ctr->privileged || x->privileged;
	return s;
}

int exec_spawn(const struct rt_spec *ctr, pid_t ctr_pid, struct cgroup *cg,
	       const struct rt_exec_spec *x, struct exec_io *io, pid_t *ret_pid, struct berr **err)
{
	struct rt_spec cs = exec_child_spec(ctr, x);
	int ns_fds[ARRAY_SIZE(exec_ns)], pid_fd = -1, sync[2], ex[2], r;
	struct spawn sp;
	pid_t pid;

	*io = (struct exec_io){{-1, -1}, {-1, -1}, {-1, -1}, -1, -1};
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
		ns_fds[i] = -1;
	if ((r = exec_ns_open(ctr_pid, ns_fds, &pid_fd, err)) < 0 ||
	    (r = exec_io_open(x, io, err)) < 0) {
		exec_ns_close(ns_fds, pid_fd);
		return r;
	}
	if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		exec_ns_close(ns_fds, pid_fd);
		return berr_set(err, errno, "pipe: %m");
	}
	pid = exec_fork_in(pid_fd, err);
	if (pid == 0) {
		close(sync[1]), close(ex[0]);
		exec_child(&cs, x->cwd ? x->cwd : "/", io, ns_fds, sync[0], ex[1]);
	}
	exec_ns_close(ns_fds, pid_fd);
	close(sync[0]), close(ex[1]);
	if (pid < 0) {
		close(sync[1]), close(ex[0]);
		return pid;
	}
	sp = (struct spawn){.pid = pid, .sync_fd = sync[1], .exec_fd = ex[0]};
	if ((r = cgroup_add_pid(cg, pid, err)) < 0)
		close(sp.sync_fd), close(sp.exec_fd); /* the child reads EOF and ends */
	else
		r = spawn_wait_exec(&sp, err);
	if (r < 0) {
		waitpid(pid, NULL, 0);
		return r;
	}
	*ret_pid = pid;
	return 0;
}
