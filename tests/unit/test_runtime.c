/* test_runtime.c - the runtime: the config.json codec and the json-file log
 * encoder (pure logic), then, as root, real containers under berth-shim.
 *
 * The container tests first move the test process into a network and a
 * mount namespace of its own (unshare), so that nothing they do reaches
 * the machine's namespaces.  Their root file system is a busybox layer
 * built in a temp dir from the host's static busybox; their cgroups live
 * under a test-specific parent that is removed at the end.  The shim is
 * $BERTH_SHIM or ../berth-shim next to this test binary. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "core/util.h"
#include "runtime/runtime.h"
#include "runtime/shim.h"

static char tmp[64];	     /* everything the tests make */
static char layer[PATH_MAX]; /* the busybox image layer */
static char shim[PATH_MAX];
static char cg_parent[64];
static bool can_run; /* root, namespaces, busybox and shim present */
static const char *skip_why = "not root";
static int n_ctr;

/* ---- helpers ---- */

/* A NULL-terminated heap copy of a list of strings. */
static char **strv(const char *first, ...)
{
	char **v = xcalloc(16, sizeof(char *));
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s && n < 15; s = va_arg(ap, const char *))
		v[n++] = xstrdup(s);
	va_end(ap);
	return v;
}

/* Run a command line on the host (test setup only). */
static int sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	return system(cmd);
}

/* The whole content of a file, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		xgrow(&buf, &cap, len + 4097, 1);
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	buf[len] = 0;
	fclose(f);
	return buf;
}

/* A spec running `sh -c cmd` on the busybox layer, with its own bundle. */
static void spec_sh(struct rt_spec *s, const char *cmd)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "rt%d-%d", (int)getpid(), ++n_ctr);
	s->args = strv("/bin/sh", "-c", cmd, NULL);
	s->env = strv("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", NULL);
	s->lower_dirs = strv(layer, NULL);
	s->bundle = xasprintf("%s/b-%s", tmp, s->id);
	s->log_path = xasprintf("%s/%s-json.log", s->bundle, s->id);
	s->cgroup_parent = xstrdup(cg_parent);
	s->hostname = xstrdup("box");
	assert_int_equal(mkdir(s->bundle, 0755), 0);
}

/* The state dir of a spec. */
static char *state_of(const struct rt_spec *s)
{
	return xasprintf("%s/s-%s", tmp, s->id);
}

/* Wait (at most 10 s) until the container of state has ended. */
static void wait_exit(const char *state)
{
	struct pollfd pfd = {.events = POLLIN};
	char c;

	assert_int_equal(rt_exit_fd(state, &pfd.fd, NULL), 0);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_true(read(pfd.fd, &c, 1) <= 0);
	close(pfd.fd);
}

/* The shim logs its own errors; a sanitizer report there fails the test. */
static void check_shim_log(const char *state)
{
	_cleanup_free_ char *path = xasprintf("%s/" SHIM_LOG, state);
	_cleanup_free_ char *log = slurp(path);

	if (log && (strstr(log, "Sanitizer") || strstr(log, "runtime error")))
		fail_msg("berth-shim: %s", log);
}

/* Start, wait, read the exit; the log's entries are left in *ret_log. */
static struct rt_exit run(struct rt_spec *s, char **ret_log)
{
	_cleanup_free_ char *state = state_of(s);
	struct berr *err = NULL;
	struct rt_exit ex = {0};
	pid_t pid = 0;

	if (rt_start(shim, state, s, &pid, &err) < 0)
		fail_msg("rt_start: %s", berr_msg(err));
	assert_true(pid > 0);
	wait_exit(state);
	if (rt_exit_read(state, &ex, &err) < 0)
		fail_msg("rt_exit_read: %s", berr_msg(err));
	if (ret_log)
		*ret_log = slurp(s->log_path);
	check_shim_log(state);
	assert_int_equal(rt_delete(state, NULL), 0);
	return ex;
}

/* The concatenated "log" strings of a json-file log's stdout entries. */
static char *log_text(const char *log)
{
	char *out = xstrdup("");
	const char *line = log;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		_cleanup_json_ json_t *e =
			json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, NULL);
		const char *text = json_string_value(json_object_get(e, "log"));
		char *joined;

		assert_non_null(text);
		joined = xasprintf("%s%s", out, text);
		free(out);
		out = joined;
		line = nl ? nl + 1 : NULL;
	}
	return out;
}

/* Run `sh -c cmd` and return its output (all streams) and exit code. */
static char *run_sh(const char *cmd, int *ret_code)
{
	struct rt_spec s;
	_cleanup_free_ char *log = NULL;
	struct rt_exit ex;

	spec_sh(&s, cmd);
	ex = run(&s, &log);
	rt_spec_done(&s);
	*ret_code = ex.exit_code;
	return log_text(log);
}

#define REQUIRE_CONTAINERS()                                                                       \
	do {                                                                                       \
		if (!can_run) {                                                                    \
			print_message("skipped: %s\n", skip_why);                                  \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* ---- pure logic ---- */

/* A spec with every field set. */
static void spec_full(struct rt_spec *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->id, "0123abcd");
	s->args = strv("/bin/sh", "-c", "echo \"hi\"", NULL);
	s->env = strv("PATH=/bin", "A=b=c", NULL);
	s->cwd = xstrdup("/work");
	s->uid = 1000;
	s->gid = 1001;
	s->groups = xcalloc(2, sizeof(gid_t));
	s->groups[0] = 10, s->groups[1] = 20, s->n_groups = 2;
	s->hostname = xstrdup("h");
	s->tty = s->open_stdin = s->readonly_rootfs = s->privileged = s->init = true;
	s->lower_dirs = strv("/l/2", "/l/1", NULL);
	s->bundle = xstrdup("/b");
	s->n_mounts = 2;
	s->mounts = xcalloc(2, sizeof(struct rt_mount));
	s->mounts[0] =
		(struct rt_mount){RT_MOUNT_BIND, xstrdup("/src"), xstrdup("/dst"), true, NULL};
	s->mounts[1] =
		(struct rt_mount){RT_MOUNT_TMPFS, NULL, xstrdup("/t"), false, xstrdup("size=1m")};
	s->cap_add = strv("NET_ADMIN", NULL);
	s->cap_drop = strv("ALL", NULL);
	s->net_mode = RT_NET_PATH;
	s->net_path = xstrdup("/run/netns/x");
	s->cgroup_parent = xstrdup("berth/x");
	s->memory = 1 << 20, s->nano_cpus = 500000000, s->cpu_shares = 512, s->pids_limit = 64;
	s->log_path = xstrdup("/b/log");
	s->hosts_path = xstrdup("/h"), s->resolv_path = xstrdup("/r");
	s->hostname_path = xstrdup("/hn");
}

static void test_spec_roundtrip(void **state)
{
	struct rt_spec a, b;
	json_t *ja, *jb;

	(void)state;
	spec_full(&a);
	ja = rt_spec_to_json(&a);
	assert_int_equal(rt_spec_from_json(ja, &b, NULL), 0);
	jb = rt_spec_to_json(&b);
	assert_true(json_equal(ja, jb));
	assert_string_equal(b.id, "0123abcd");
	assert_string_equal(b.args[2], "echo \"hi\"");
	assert_null(b.args[3]);
	assert_int_equal(b.n_groups, 2);
	assert_int_equal(b.groups[1], 20);
	assert_int_equal(b.n_mounts, 2);
	assert_int_equal(b.mounts[1].type, RT_MOUNT_TMPFS);
	assert_string_equal(b.mounts[1].options, "size=1m");
	assert_true(b.mounts[0].readonly);
	assert_int_equal(b.net_mode, RT_NET_PATH);
	assert_int_equal(b.memory, 1 << 20);
	assert_int_equal(b.uid, 1000);
	assert_true(b.init && b.tty && b.privileged);
	json_decref(ja);
	json_decref(jb);
	rt_spec_done(&a);
	rt_spec_done(&b);
}

static void test_spec_minimal(void **state)
{
	json_t *j = json_loads("{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],"
			       "\"bundle\":\"/b\",\"cwd\":null}",
			       0, NULL);
	struct rt_spec s;

	(void)state;
	assert_int_equal(rt_spec_from_json(j, &s, NULL), 0);
	assert_null(s.cwd);
	assert_null(s.env);
	assert_int_equal(s.net_mode, RT_NET_NONE);
	assert_int_equal(s.n_mounts, 0);
	rt_spec_done(&s);
	json_decref(j);
}

static void test_spec_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"b\"}",
		"{\"id\":\"../x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[1],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[\"a\\u0000b\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/"
		"b\",\"x\":1}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"memory\":-1}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"uid\":4294967295}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"tty\":1}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"net_mode\":\"bridge\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"net_mode\":\"path\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"env\":[\"NOEQUALS\"]}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"cgroup_parent\":\"a/../../b\"}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"mounts\":[{\"type\":\"bind\",\"target\":\"/t\"}]}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"mounts\":[{\"type\":\"nfs\",\"source\":\"/s\",\"target\":\"/t\"}]}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l\"],\"bundle\":\"/b\","
		"\"mounts\":[{\"type\":\"tmpfs\",\"target\":\"t\"}]}",
		"{\"id\":\"x\",\"args\":[\"true\"],\"lower_dirs\":[\"/l:/m\"],\"bundle\":\"/b\"}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *j = json_loads(bad[i], JSON_ALLOW_NUL, NULL);
		struct rt_spec s = {.memory = 42};
		struct berr *err = NULL;

		assert_non_null(j);
		if (rt_spec_from_json(j, &s, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(err);
		assert_int_equal(s.memory, 42); /* ret untouched */
		berr_free(err);
		json_decref(j);
	}
}

static void test_jsonlog_line(void **state)
{
	struct timespec ts = {1700000000, 5};
	char *l;

	(void)state;
	l = jsonlog_line("hi\n", 3, "stdout", &ts);
	assert_string_equal(l, "{\"log\":\"hi\\n\",\"stream\":\"stdout\","
			       "\"time\":\"2023-11-14T22:13:20.000000005Z\"}\n");
	free(l);
	l = jsonlog_line("\"\\\t\x01\xff\xc3\xa9", 7, "stderr", &ts);
	assert_string_equal(l, "{\"log\":\"\\\"\\\\\\t\\u0001\\ufffd\xc3\xa9\",\"stream\":"
			       "\"stderr\",\"time\":\"2023-11-14T22:13:20.000000005Z\"}\n");
	free(l);
}

/* ---- containers ---- */

static void test_echo(void **state)
{
	struct rt_spec s;
	_cleanup_free_ char *log = NULL;
	struct rt_exit ex;
	json_t *e;
	struct timespec ts;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "echo hi; echo oops >&2");
	ex = run(&s, &log);
	assert_int_equal(ex.exit_code, 0);
	assert_false(ex.oom_killed);
	assert_true(ex.finished.tv_sec > 0);
	e = json_loadb(log, strchr(log, '\n') - log, 0, NULL);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "log")), "hi\n");
	assert_string_equal(json_string_value(json_object_get(e, "stream")), "stdout");
	assert_int_equal(util_time_parse(json_string_value(json_object_get(e, "time")), &ts), 0);
	json_decref(e);
	assert_non_null(strstr(log, "{\"log\":\"oops\\n\",\"stream\":\"stderr\""));
	rt_spec_done(&s);
}

static void test_exit_code(void **state)
{
	int code;

	(void)state;
	REQUIRE_CONTAINERS();
	free(run_sh("exit 3", &code));
	assert_int_equal(code, 3);
}

static void test_kill_term(void **state)
{
	struct rt_spec s;
	_cleanup_free_ char *st = NULL;
	struct rt_exit ex;
	pid_t pid = 0, alive_pid = 0;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "sleep 100");
	s.init = true; /* sleep as pid 1 would ignore SIGTERM, as in Docker */
	st = state_of(&s);
	assert_int_equal(rt_start(shim, st, &s, &pid, NULL), 0);
	assert_true(rt_alive(st, &alive_pid));
	assert_int_equal(alive_pid, pid);
	assert_int_equal(rt_exit_read(st, &ex, NULL), -ENOENT);
	assert_int_equal(rt_kill(st, SIGTERM, NULL), 0);
	wait_exit(st);
	assert_int_equal(rt_exit_read(st, &ex, NULL), 0);
	assert_int_equal(ex.exit_code, 143);
	check_shim_log(st);
	assert_int_equal(rt_delete(st, NULL), 0);
	rt_spec_done(&s);
}

static void test_kill_self(void **state)
{
	struct rt_spec s;
	struct rt_exit ex;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "kill -9 $$; sleep 5");
	s.init = true; /* pid 1 cannot SIGKILL itself from inside */
	ex = run(&s, NULL);
	assert_int_equal(ex.exit_code, 137);
	rt_spec_done(&s);
}

static void test_hostname_pid1(void **state)
{
	_cleanup_free_ char *out = NULL;
	int code;

	(void)state;
	REQUIRE_CONTAINERS();
	out = run_sh("hostname; echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /dev", &code);
	assert_int_equal(code, 0);
	assert_true(strprefix(out, "box\n1\n/bin/sh -c"));
	assert_non_null(strstr(out, "null\n"));
	assert_non_null(strstr(out, "urandom\n"));
	assert_non_null(strstr(out, "pts\n"));
}

static void test_caps(void **state)
{
	struct rt_spec s;
	_cleanup_free_ char *log = NULL, *out = NULL;
	int code;

	(void)state;
	REQUIRE_CONTAINERS();
	out = run_sh("grep -E 'Cap(Eff|Bnd)|NoNewPrivs' /proc/self/status", &code);
	assert_int_equal(code, 0);
	assert_non_null(strstr(out, "CapEff:\t00000000a80425fb\n"));
	assert_non_null(strstr(out, "CapBnd:\t00000000a80425fb\n"));
	assert_non_null(strstr(out, "NoNewPrivs:\t1\n"));
	spec_sh(&s, "grep CapEff /proc/self/status");
	s.cap_drop = strv("ALL", NULL);
	s.cap_add = strv("net_admin", "CAP_KILL", NULL);
	assert_int_equal(run(&s, &log).exit_code, 0);
	assert_non_null(strstr(log, "CapEff:\\t0000000000001020\\n"));
	rt_spec_done(&s);
}

static void test_readonly(void **state)
{
	_cleanup_free_ char *src = xasprintf("%s/vol", tmp), *log = NULL, *out = NULL;
	_cleanup_free_ char *hosts = xasprintf("%s/hosts", tmp);
	struct rt_spec s;

	(void)state;
	REQUIRE_CONTAINERS();
	assert_int_equal(
		sh("mkdir -p %s && echo data > %s/f && echo '1.2.3.4 x' > %s", src, src, hosts), 0);
	spec_sh(&s, "cat /mnt/f /etc/hosts; touch /mnt/new || echo ro-bind; touch /x || echo "
		    "ro-root; touch /tmpfs/ok && echo tmpfs-rw; touch /proc/sys/x || echo ro-proc");
	s.readonly_rootfs = true;
	s.hosts_path = xstrdup(hosts);
	s.n_mounts = 2;
	s.mounts = xcalloc(2, sizeof(struct rt_mount));
	s.mounts[0] = (struct rt_mount){RT_MOUNT_BIND, xstrdup(src), xstrdup("/mnt"), true, NULL};
	s.mounts[1] = (struct rt_mount){RT_MOUNT_TMPFS, NULL, xstrdup("/tmpfs"), false,
					xstrdup("size=1m")};
	assert_int_equal(run(&s, &log).exit_code, 0);
	out = log_text(log);
	assert_non_null(strstr(out, "data\n1.2.3.4 x\n"));
	assert_non_null(strstr(out, "ro-bind\n"));
	assert_non_null(strstr(out, "ro-root\n"));
	assert_non_null(strstr(out, "tmpfs-rw\n"));
	assert_non_null(strstr(out, "ro-proc\n"));
	assert_int_equal(access(src, F_OK), 0);
	rt_spec_done(&s);
}

static void test_user_cwd_devices(void **state)
{
	_cleanup_free_ char *log = NULL, *out = NULL;
	struct rt_spec s;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s,
		"id -u; id -g; id -G; pwd; grep CapEff /proc/self/status; "
		"mknod /tmp/sda b 8 0 2>/dev/null; head -c1 /tmp/sda 2>/dev/null || echo denied");
	s.uid = 1000, s.gid = 1001;
	s.groups = xcalloc(1, sizeof(gid_t));
	s.groups[0] = 2000, s.n_groups = 1;
	s.cwd = xstrdup("/work/dir");
	assert_int_equal(run(&s, &log).exit_code, 0);
	out = log_text(log);
	assert_string_equal(out, "1000\n1001\n1001 2000\n/work/dir\nCapEff:\t0000000000000000\n"
				 "denied\n");
	rt_spec_done(&s);
}

static void test_tty(void **state)
{
	_cleanup_free_ char *log = NULL;
	struct rt_spec s;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "test -t 1 && test -t 0 && echo tty; ls /dev/console");
	s.tty = true;
	assert_int_equal(run(&s, &log).exit_code, 0);
	assert_non_null(strstr(log, "{\"log\":\"tty\\r\\n\",\"stream\":\"stdout\""));
	assert_non_null(strstr(log, "/dev/console"));
	rt_spec_done(&s);
}

/* The value in a cgroup file of a container. */
static long long cg_value(const char *ctrl, const char *id, const char *file)
{
	_cleanup_free_ char *path =
		xasprintf("/sys/fs/cgroup/%s/%s/%s/%s", ctrl, cg_parent, id, file);
	_cleanup_free_ char *text = slurp(path);

	return text ? atoll(text) : -1;
}

static void test_limits(void **state)
{
	_cleanup_free_ char *st = NULL, *dir = NULL;
	struct rt_spec s;
	struct rt_exit ex;
	pid_t pid;

	(void)state;
	REQUIRE_CONTAINERS();
	if (access("/sys/fs/cgroup/cpu/cpu.shares", F_OK) < 0 ||
	    access("/sys/fs/cgroup/pids/tasks", F_OK) < 0) {
		print_message("skipped: no v1 cpu and pids controllers\n");
		skip();
	}
	spec_sh(&s, "sleep 100");
	s.nano_cpus = 500000000, s.cpu_shares = 512, s.pids_limit = 64;
	st = state_of(&s);
	assert_int_equal(rt_start(shim, st, &s, &pid, NULL), 0);
	assert_int_equal(cg_value("cpu", s.id, "cpu.cfs_quota_us"), 50000);
	assert_int_equal(cg_value("cpu", s.id, "cpu.cfs_period_us"), 100000);
	assert_int_equal(cg_value("cpu", s.id, "cpu.shares"), 512);
	assert_int_equal(cg_value("pids", s.id, "pids.max"), 64);
	assert_int_equal(cg_value("pids", s.id, "pids.current"), 1);
	assert_int_equal(rt_kill(st, SIGTERM, NULL), 0); /* pid 1 without init: ignored */
	usleep(50000);
	assert_true(rt_alive(st, NULL));
	assert_int_equal(rt_kill(st, SIGKILL, NULL), 0);
	wait_exit(st);
	assert_int_equal(rt_exit_read(st, &ex, NULL), 0);
	assert_int_equal(ex.exit_code, 137);
	dir = xasprintf("/sys/fs/cgroup/cpu/%s/%s", cg_parent, s.id);
	assert_int_not_equal(access(dir, F_OK), 0);
	assert_int_equal(rt_delete(st, NULL), 0);
	rt_spec_done(&s);
}

/* A network namespace bind-mounted on a file (in our private mounts). */
static char *make_netns(void)
{
	char *path = xasprintf("%s/netns", tmp);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd;

	assert_true(self >= 0);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	close(fd);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_int_equal(mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL), 0);
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(self);
	return path;
}

static void test_net_path(void **state)
{
	_cleanup_free_ char *log = NULL, *ns = NULL;
	struct rt_spec s;

	(void)state;
	REQUIRE_CONTAINERS();
	ns = make_netns();
	spec_sh(&s, "cat /sys/class/net/lo/flags; readlink /proc/self/ns/net");
	s.net_mode = RT_NET_PATH;
	s.net_path = xstrdup(ns);
	assert_int_equal(run(&s, &log).exit_code, 0);
	assert_non_null(strstr(log, "\"0x8\\n\"")); /* a fresh namespace: lo down */
	umount2(ns, MNT_DETACH);
	rt_spec_done(&s);
}

/* Is there a mount of path in our mount namespace? */
static bool mounted_under(const char *path)
{
	_cleanup_free_ char *mi = slurp("/proc/self/mountinfo");

	return mi && strstr(mi, path);
}

static void test_missing_exec(void **state)
{
	_cleanup_free_ char *st = NULL, *cg = NULL;
	struct berr *err = NULL;
	struct rt_spec s;
	struct rt_exit ex;
	pid_t pid = 0;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "true");
	free(s.args[0]);
	s.args[0] = xstrdup("nope");
	st = state_of(&s);
	assert_int_equal(rt_start(shim, st, &s, &pid, &err), -ENOENT);
	assert_string_equal(berr_msg(err), "exec: \"nope\": executable file not found in $PATH");
	berr_free(err);
	assert_int_equal(pid, 0);
	assert_int_equal(rt_exit_read(st, &ex, NULL), 0);
	assert_int_equal(ex.exit_code, 127);
	assert_false(mounted_under(s.bundle));
	cg = xasprintf("/sys/fs/cgroup/pids/%s/%s", cg_parent, s.id);
	assert_int_not_equal(access(cg, F_OK), 0);
	assert_int_equal(rt_delete(st, NULL), 0);
	rt_spec_done(&s);
}

static void test_bad_mount(void **state)
{
	_cleanup_free_ char *st = NULL;
	struct berr *err = NULL;
	struct rt_spec s;
	pid_t pid = 0;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "true");
	s.n_mounts = 1;
	s.mounts = xcalloc(1, sizeof(struct rt_mount));
	s.mounts[0] = (struct rt_mount){RT_MOUNT_BIND, xasprintf("%s/missing", tmp), xstrdup("/m"),
					false, NULL};
	st = state_of(&s);
	assert_int_equal(rt_start(shim, st, &s, &pid, &err), -ENOENT);
	assert_non_null(strstr(berr_msg(err), "bind source path"));
	berr_free(err);
	assert_false(mounted_under(s.bundle));
	assert_int_equal(rt_delete(st, NULL), 0);
	rt_spec_done(&s);
}

static void test_oom(void **state)
{
	struct rt_spec s;
	struct rt_exit ex;

	(void)state;
	REQUIRE_CONTAINERS();
	if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) < 0 &&
	    sh("grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null") != 0) {
		print_message("skipped: no memory cgroup controller\n");
		skip();
	}
	spec_sh(&s, "dd if=/dev/zero of=/dev/null bs=64M count=1");
	s.memory = 8 << 20;
	ex = run(&s, NULL);
	assert_int_equal(ex.exit_code, 137);
	assert_true(ex.oom_killed);
	rt_spec_done(&s);
}

static void test_after_exit(void **state)
{
	_cleanup_free_ char *st = NULL;
	struct pollfd pfd = {.events = POLLIN};
	struct rt_spec s;
	struct rt_exit ex;
	pid_t pid = 0;

	(void)state;
	REQUIRE_CONTAINERS();
	spec_sh(&s, "exit 7");
	s.net_mode = RT_NET_HOST;
	st = state_of(&s);
	assert_int_equal(rt_start(shim, st, &s, &pid, NULL), 0);
	wait_exit(st);
	for (int i = 0; i < 100 && rt_alive(st, NULL); i++)
		usleep(10000); /* the shim goes right after exit.json */
	assert_false(rt_alive(st, NULL));
	assert_int_equal(rt_exit_read(st, &ex, NULL), 0);
	assert_int_equal(ex.exit_code, 7);
	assert_int_equal(rt_kill(st, SIGTERM, NULL), -ESRCH);
	assert_int_equal(rt_exit_fd(st, &pfd.fd, NULL), 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	close(pfd.fd);
	assert_int_equal(rt_delete(st, NULL), 0);
	assert_int_not_equal(access(st, F_OK), 0);
	assert_int_equal(rt_delete(st, NULL), 0);
	rt_spec_done(&s);
}

static void test_net_none(void **state)
{
	_cleanup_free_ char *out = NULL;
	int code;

	(void)state;
	REQUIRE_CONTAINERS();
	out = run_sh("cat /sys/class/net/lo/flags; ls /sys/class/net; cat /proc/keys "
		     "/proc/timer_list | wc -c",
		     &code);
	assert_int_equal(code, 0);
	assert_string_equal(out, "0x9\nlo\n0\n");
}

/* ---- setup ---- */

/* A busybox image layer: the static binary and its applet links. */
static int make_layer(void)
{
	snprintf(layer, sizeof(layer), "%s/layer", tmp);
	return sh("set -e; L=%s; mkdir -p $L/bin $L/sbin $L/usr/bin $L/usr/sbin $L/etc $L/tmp "
		  "$L/root; cp /bin/busybox $L/bin/busybox; "
		  "for a in $(/bin/busybox --list-full); do [ -e $L/$a ] || "
		  "ln -s /bin/busybox $L/$a; done; echo 'root:x:0:0:root:/root:/bin/sh' > "
		  "$L/etc/passwd",
		  layer);
}

/* The shim: $BERTH_SHIM, else ../berth-shim from this binary. */
static void find_shim(void)
{
	char self[PATH_MAX] = "";

	if (getenv("BERTH_SHIM")) {
		snprintf(shim, sizeof(shim), "%s", getenv("BERTH_SHIM"));
		return;
	}
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return;
	snprintf(shim, sizeof(shim), "%s/../berth-shim", dirname(self));
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/berth-rt-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cg_parent, sizeof(cg_parent), "berth-test-%d", (int)getpid());
	find_shim();
	if (geteuid() != 0)
		return 0;
	/* Our own namespaces: nothing reaches the machine's mounts or links. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		skip_why = "cannot unshare namespaces";
		return 0;
	}
	if (access("/bin/busybox", X_OK) < 0 || make_layer() != 0) {
		skip_why = "no /bin/busybox (busybox-static)";
		return 0;
	}
	if (access(shim, X_OK) < 0) {
		skip_why = "no berth-shim (set BERTH_SHIM)";
		return 0;
	}
	can_run = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("for c in memory cpu pids devices unified; do rmdir /sys/fs/cgroup/$c/%s 2>/dev/null; "
	   "done; "
	   "rmdir /sys/fs/cgroup/%s 2>/dev/null; rm -rf %s",
	   cg_parent, cg_parent, tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_roundtrip),
		cmocka_unit_test(test_spec_minimal),
		cmocka_unit_test(test_spec_malformed),
		cmocka_unit_test(test_jsonlog_line),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_kill_term),
		cmocka_unit_test(test_kill_self),
		cmocka_unit_test(test_hostname_pid1),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_missing_exec),
		cmocka_unit_test(test_bad_mount),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_after_exit),
		cmocka_unit_test(test_net_none),
		cmocka_unit_test(test_user_cwd_devices),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_net_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
