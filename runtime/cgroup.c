/* cgroup.c - one container's cgroups under <cgroup_parent>/<id>, written
 * through the cgroup file systems.  Each controller berth uses (memory,
 * cpu, pids) is taken from its v1 hierarchy when it is mounted as v1
 * (/sys/fs/cgroup/<controller>, as on the CI machines), else from the v2
 * hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid mode).
 * The shim creates the directories before the container's child runs, puts
 * the child in them, reads the OOM counter after exit and removes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "core/util.h"
#include "runtime/shim.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

enum cgroup_ctrl {
	CGROUP_MEMORY,
	CGROUP_CPU,
	CGROUP_PIDS,
	CGROUP_DEVICES, /* v1 only (v2 needs a BPF program) */
	CGROUP_N,
};

static const char *const cgroup_names[CGROUP_N] = {"memory", "cpu", "pids", "devices"};

/* The devices a container may use, as Docker allows them: the nodes in
 * its /dev, ptys, and mknod of anything (but no access to what it makes). */
static const char *const cgroup_dev_allow[] = {
	"c *:* m",   "b *:* m",	  "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
	"c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

struct cgroup {
	char *v1[CGROUP_N]; /* v1 directory per controller, or NULL */
	char *v2;	    /* the v2 directory, or NULL */
	bool v2_ctrl[CGROUP_N];
};

/* File system magic of path, or 0. */
static long cgroup_fs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) < 0 ? 0 : (long)sfs.f_type;
}

/* Root of the v2 hierarchy, or NULL when there is none. */
static const char *cgroup_v2_root(void)
{
	if (cgroup_fs(CGROUP_ROOT) == CGROUP2_SUPER_MAGIC)
		return CGROUP_ROOT;
	if (cgroup_fs(CGROUP_ROOT "/unified") == CGROUP2_SUPER_MAGIC)
		return CGROUP_ROOT "/unified";
	return NULL;
}

/* Write a string to dir/file. */
static int cgroup_write(const char *dir, const char *file, const char *val, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", path);
	if (write(fd, val, n) != (ssize_t)n)
		return berr_set(err, errno, "cannot write \"%s\" to %s: %m", val, path);
	return 0;
}

/* mkdir -p; an existing directory is fine. */
static int cgroup_mkdir_p(const char *path, struct berr **err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return berr_set(err, errno, "cannot create cgroup %s: %m", p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create cgroup %s: %m", p);
	return 0;
}

/* Is controller c listed in the v2 root's cgroup.controllers? */
static bool cgroup_v2_has(const char *root, enum cgroup_ctrl c)
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.controllers", root);
	char buf[512], *tok, *save;
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			found |= streq(tok, cgroup_names[c]);
	fclose(f);
	return found;
}

/* v2: enable the controllers in use on every level from the root down to
 * parent, so that the container's directory gets their files. */
static void cgroup_v2_enable(struct cgroup *cg, const char *root, const char *parent)
{
	_cleanup_free_ char *dir = xstrdup(root);
	_cleanup_free_ char *rest = xstrdup(parent);
	char *save, *c = strtok_r(rest, "/", &save);

	for (;;) {
		for (int i = 0; i < CGROUP_N; i++) {
			_cleanup_free_ char *v = xasprintf("+%s", cgroup_names[i]);

			if (cg->v2_ctrl[i])
				cgroup_write(dir, "cgroup.subtree_control", v, NULL);
		}
		if (!c)
			break;
		char *next = xasprintf("%s/%s", dir, c);

		free(dir);
		dir = next;
		c = strtok_r(NULL, "/", &save);
	}
}

/* Decide v1 or v2 for each controller and create the directories. */
static int cgroup_mkdirs(struct cgroup *cg, const char *parent, const char *id, struct berr **err)
{
	const char *v2root = cgroup_v2_root();
	bool want_v2 = v2root && streq(v2root, CGROUP_ROOT);
	int r;

	for (int i = 0; i < CGROUP_N; i++) {
		_cleanup_free_ char *mnt = xasprintf(CGROUP_ROOT "/%s", cgroup_names[i]);

		if (cgroup_fs(mnt) == CGROUP_SUPER_MAGIC) {
			cg->v1[i] = xasprintf("%s/%s/%s", mnt, parent, id);
			if ((r = cgroup_mkdir_p(cg->v1[i], err)) < 0)
				return r;
		} else if (i != CGROUP_DEVICES && v2root && cgroup_v2_has(v2root, i)) {
			cg->v2_ctrl[i] = want_v2 = true;
		}
	}
	if (!want_v2)
		return 0;
	cgroup_v2_enable(cg, v2root, parent);
	cg->v2 = xasprintf("%s/%s/%s", v2root, parent, id);
	return cgroup_mkdir_p(cg->v2, err);
}

/* Directory holding controller c's files, or NULL when it is not there. */
static const char *cgroup_dir(struct cgroup *cg, enum cgroup_ctrl c)
{
	return cg->v1[c] ? cg->v1[c] : cg->v2_ctrl[c] ? cg->v2 : NULL;
}

/* Write an integer limit to the file of controller c (v1 or v2 name). */
static int cgroup_limit(struct cgroup *cg, enum cgroup_ctrl c, const char *v1file,
			const char *v2file, const char *val, struct berr **err)
{
	const char *dir = cgroup_dir(cg, c);

	if (!dir)
		return berr_set(err, EOPNOTSUPP,
				"the %s cgroup controller is not available on this host",
				cgroup_names[c]);
	return cgroup_write(dir, cg->v1[c] ? v1file : v2file, val, err);
}

/* cpu: quota from nano_cpus over a 100 ms period, weight from shares. */
static int cgroup_cpu(struct cgroup *cg, const struct rt_spec *spec, struct berr **err)
{
	int64_t quota = spec->nano_cpus / 10000; /* us per 100000 us */
	char val[64];
	int r;

	if (spec->nano_cpus) {
		if (quota < 1000)
			quota = 1000; /* the kernel's minimum */
		if (cg->v1[CGROUP_CPU]) {
			if ((r = cgroup_write(cg->v1[CGROUP_CPU], "cpu.cfs_period_us", "100000",
					      err)) < 0)
				return r;
			snprintf(val, sizeof(val), "%lld", (long long)quota);
		} else {
			snprintf(val, sizeof(val), "%lld 100000", (long long)quota);
		}
		if ((r = cgroup_limit(cg, CGROUP_CPU, "cpu.cfs_quota_us", "cpu.max", val, err)) < 0)
			return r;
	}
	if (!spec->cpu_shares)
		return 0;
	if (cg->v1[CGROUP_CPU])
		snprintf(val, sizeof(val), "%lld", (long long)spec->cpu_shares);
	else /* runc's mapping of shares [2, 262144] to weight [1, 10000] */
		snprintf(val, sizeof(val), "%lld",
			 (long long)(1 + ((spec->cpu_shares < 2 ? 0 : spec->cpu_shares - 2) *
					  9999) / 262142));
	return cgroup_limit(cg, CGROUP_CPU, "cpu.shares", "cpu.weight", val, err);
}

/* v1 devices: deny all, then allow Docker's list (not when privileged).
 * Without it, CAP_MKNOD would let the container open the host's disks. */
static int cgroup_devices(struct cgroup *cg, const struct rt_spec *spec, struct berr **err)
{
	const char *dir = cg->v1[CGROUP_DEVICES];
	int r;

	if (!dir || spec->privileged)
		return 0;
	if ((r = cgroup_write(dir, "devices.deny", "a", err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(cgroup_dev_allow); i++)
		if ((r = cgroup_write(dir, "devices.allow", cgroup_dev_allow[i], err)) < 0)
			return r;
	return 0;
}

/* Apply the memory, cpu, pids and device limits of spec. */
static int cgroup_limits(struct cgroup *cg, const struct rt_spec *spec, struct berr **err)
{
	char val[32];
	int r;

	if ((r = cgroup_devices(cg, spec, err)) < 0)
		return r;
	if (spec->memory) {
		snprintf(val, sizeof(val), "%lld", (long long)spec->memory);
		r = cgroup_limit(cg, CGROUP_MEMORY, "memory.limit_in_bytes", "memory.max", val,
				 err);
		if (r < 0)
			return r;
	}
	if ((r = cgroup_cpu(cg, spec, err)) < 0)
		return r;
	if (spec->pids_limit) {
		snprintf(val, sizeof(val), "%lld", (long long)spec->pids_limit);
		if ((r = cgroup_limit(cg, CGROUP_PIDS, "pids.max", "pids.max", val, err)) < 0)
			return r;
	}
	return 0;
}

/* Create <parent>/<id> in every hierarchy in use and apply the limits. */
int cgroup_create(const struct rt_spec *spec, struct cgroup **ret, struct berr **err)
{
	struct cgroup *cg = xcalloc(1, sizeof(*cg));
	const char *parent = spec->cgroup_parent ? spec->cgroup_parent : "berth";
	int r;

	if ((r = cgroup_mkdirs(cg, parent, spec->id, err)) < 0 ||
	    (r = cgroup_limits(cg, spec, err)) < 0) {
		cgroup_delete(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

/* Move pid into every directory of cg. */
int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct berr **err)
{
	char val[32];
	int r;

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (int i = 0; i < CGROUP_N; i++)
		if (cg->v1[i] && (r = cgroup_write(cg->v1[i], "cgroup.procs", val, err)) < 0)
			return r;
	if (cg->v2 && (r = cgroup_write(cg->v2, "cgroup.procs", val, err)) < 0)
		return r;
	return 0;
}

/* Value of "key N" in a flat keyed file, or 0. */
static long long cgroup_key(const char *dir, const char *file, const char *key)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	char name[64];
	long long v, found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (streq(name, key))
			found = v;
	fclose(f);
	return found;
}

/* Did the kernel's OOM killer kill a task of this cgroup? */
bool cgroup_oom_killed(struct cgroup *cg)
{
	const char *dir = cgroup_dir(cg, CGROUP_MEMORY);

	if (!dir)
		return false;
	if (cg->v1[CGROUP_MEMORY])
		return cgroup_key(dir, "memory.oom_control", "oom_kill") > 0;
	return cgroup_key(dir, "memory.events", "oom_kill") > 0;
}

/* rmdir, retrying for up to a second while the last tasks leave. */
static void cgroup_rmdir(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (rmdir(path) == 0 || errno == ENOENT || errno != EBUSY)
			return;
		usleep(10000);
	}
}

/* Remove the container's directories and free cg (NULL is fine). */
void cgroup_delete(struct cgroup *cg)
{
	if (!cg)
		return;
	for (int i = 0; i < CGROUP_N; i++) {
		if (cg->v1[i])
			cgroup_rmdir(cg->v1[i]);
		free(cg->v1[i]);
	}
	if (cg->v2)
		cgroup_rmdir(cg->v2);
	free(cg->v2);
	free(cg);
}
