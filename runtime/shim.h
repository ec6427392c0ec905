/* shim.h - what the runtime's modules share behind runtime.h: the files of a
 * state dir, the shim's control protocol, and the pieces the shim is built
 * from (cgroups, capabilities, the root file system, the json-file log,
 * the container process).  Nothing outside runtime/ includes this. */
#ifndef BERTH_RT_SHIM_H
#define BERTH_RT_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/berr.h"
#include "runtime/runtime.h"

/* Files in <state>. */
#define SHIM_CONFIG "config.json"
#define SHIM_PID    "shim.pid"
#define SHIM_SOCK   "shim.sock"
#define SHIM_EXIT   "exit.json"
#define SHIM_LOG    "shim.log"

/* Exit code recorded when the command could not be started (as Docker). */
#define SHIM_EXIT_CANNOT_START 127

/* Docker's PATH when the environment has none. */
#define SHIM_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* strv: NULL-terminated arrays of strings the caller owns. */
void spec_strv_free(char **v);
size_t spec_strv_len(char *const *v);

/* The shim's entry point (shim-main.c parses argv).  Returns the exit
 * status of the shim process. */
int shim_run(const char *state_dir, int ready_fd);

/* Write obj to dir/name atomically (temp file, fsync, rename). */
int shim_json_write(const char *dir, const char *name, json_t *obj, struct berr **err);
/* Load dir/name; ENOENT when it does not exist. */
int shim_json_read(const char *dir, const char *name, json_t **ret, struct berr **err);
/* exit.json <-> struct rt_exit. */
int shim_exit_write(const char *dir, const struct rt_exit *ex, struct berr **err);
int shim_exit_from_json(json_t *obj, struct rt_exit *ret, struct berr **err);

/* Cgroups: one container's directories, v1 per controller or v2. */
struct cgroup;
int cgroup_create(const struct rt_spec *spec, struct cgroup **ret, struct berr **err);
int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct berr **err);
bool cgroup_oom_killed(struct cgroup *cg);
/* Remove the directories (retrying while the last tasks go) and free cg. */
void cgroup_delete(struct cgroup *cg);

/* Capabilities: the set a spec asks for, applied to this process. */
int caps_mask(const struct rt_spec *spec, uint64_t *ret, struct berr **err);
/* Drop the bounding set to mask and keep the permitted set across setuid. */
int caps_bound(uint64_t mask, struct berr **err);
/* After the user switch: effective, permitted, inheritable = mask. */
int caps_apply(uint64_t mask, struct berr **err);

/* Root file system: overlay, pivot_root, /proc /dev /sys, mounts, masks.
 * Runs in the container's child, in its new mount namespace. */
struct rootfs_io {
	int console_fd; /* pty slave to bind on /dev/console, or -1 */
};
int rootfs_setup(const struct rt_spec *spec, const struct rootfs_io *io, struct berr **err);

/* The json-file log writer: one per stream, lines split like Docker's. */
struct jsonlog;
struct jsonlog *jsonlog_new(int fd, const char *stream);
/* Feed bytes read from the container; full lines are written. */
void jsonlog_feed(struct jsonlog *jl, const char *buf, size_t len);
/* Write what is left (a last line without newline) and free. */
void jsonlog_free(struct jsonlog *jl);
/* Encode one entry into a malloc'ed line ending in "\n".  Caller frees. */
char *jsonlog_line(const char *log, size_t len, const char *stream, const struct timespec *ts);

/* The container process (spawn.c), cloned by the shim. */
struct spawn_io {
	int stdin_fd; /* container ends, or -1 for /dev/null */
	int stdout_fd;
	int stderr_fd;
	int tty_fd; /* pty slave when spec->tty, else -1 */
	int net_fd; /* RT_NET_PATH: the namespace, else -1 */
};
struct spawn {
	pid_t pid;   /* in the shim's pid namespace */
	int sync_fd; /* shim writes one byte when the cgroup is set up */
	int exec_fd; /* EOF on exec; "errno message" when the start failed */
};
int spawn_clone(const struct rt_spec *spec, const struct spawn_io *io, struct spawn *ret,
		struct berr **err);
/* Let the child go on and wait for its exec: 0, or the child's error. */
int spawn_wait_exec(struct spawn *sp, struct berr **err);

/* Pieces of spawn.c that exec.c uses too.  In the child only. */
void spawn_reset_signals(void);
__attribute__((noreturn)) void spawn_fail(int exec_fd, struct berr *err);
int spawn_user(const struct rt_spec *spec, struct berr **err);
int spawn_lookup(const struct rt_spec *spec, char **ret, struct berr **err);

/* An exec's stdio (exec.c): pipes ([0] read, [1] write), or a pty. */
struct exec_io {
	int in[2], out[2], err[2];
	int master, slave;
};
/* Start x in the container whose main process is ctr_pid (the shim's
 * child), in its cgroup cg; wait for the exec.  io: the shim's ends to
 * hand over, then exec_io_done() them (also on failure). */
int exec_spawn(const struct rt_spec *ctr, pid_t ctr_pid, struct cgroup *cg,
	       const struct rt_exec_spec *x, struct exec_io *io, pid_t *ret_pid, struct berr **err);
void exec_io_done(struct exec_io *io);

/* Control socket path for connect/bind even when longer than sun_path. */
int shim_sock_connect(const char *state_dir, struct berr **err);

#endif
