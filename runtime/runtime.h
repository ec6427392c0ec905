/* runtime.h - berth's own container runtime, as seen by berthd.
 *
 * A container runs under `berth-shim`, a small supervisor that outlives
 * berthd.  berthd describes the container in a struct rt_spec, and the
 * runtime writes it as <state>/config.json and starts the shim on it.  The
 * shim sets up namespaces, the overlayfs root, mounts, cgroups,
 * capabilities and the user, execs the command, keeps its output in a
 * json-file log, reaps it, and records how it ended in <state>/exit.json.
 *
 *   <state> = <exec-root>/containers/<id>   config.json shim.pid shim.sock exit.json
 *   <bundle> = <root>/containers/<id>       upper/ work/ rootfs/ <id>-json.log
 *
 * Callers: the controller (job thread) and main.c (restore).  Everything
 * here is blocking with short timeouts; nothing runs on the loop thread
 * except rt_exit_fd() watching. */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "core/berr.h"

enum rt_net_mode {
	RT_NET_NONE, /* a new network namespace with lo up */
	RT_NET_HOST, /* the daemon's network namespace */
	RT_NET_PATH, /* join the namespace bind-mounted at net_path */
};

enum rt_mount_type {
	RT_MOUNT_BIND,
	RT_MOUNT_TMPFS,
};

struct rt_mount {
	enum rt_mount_type type;
	char *source; /* host path (bind) */
	char *target; /* path inside the container */
	bool readonly;
	char *options; /* tmpfs options ("size=64m,mode=1777"), or NULL */
};

struct rt_spec {
	char id[65];
	char **args; /* argv, NULL-terminated, args[0] resolved in PATH of env */
	char **env;  /* "K=V", NULL-terminated */
	char *cwd;   /* "/" when NULL */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups */
	size_t n_groups;
	char *hostname;
	bool tty;
	bool open_stdin;
	char **lower_dirs; /* image layers, top first; NULL-terminated */
	char *bundle;	   /* <root>/containers/<id>: upper/, work/, rootfs/ live here */
	bool readonly_rootfs;
	struct rt_mount *mounts;
	size_t n_mounts;
	char **cap_add; /* "NET_ADMIN", "ALL", NULL-terminated; applied after Docker's default set */
	char **cap_drop;
	bool privileged;
	enum rt_net_mode net_mode;
	char *net_path;	     /* RT_NET_PATH: the netns file */
	char *cgroup_parent; /* "berth" by default */
	int64_t memory;	     /* bytes, 0 = unlimited */
	int64_t nano_cpus;   /* 1e9 = one CPU, 0 = unlimited */
	int64_t cpu_shares;  /* 0 = default */
	int64_t pids_limit;  /* 0 = unlimited */
	char *log_path;	     /* json-file log */
	char *hosts_path;    /* files bind-mounted on /etc/hosts, /etc/resolv.conf, /etc/hostname */
	char *resolv_path;
	char *hostname_path;
	bool init; /* a reaping pid 1 (--init) */
};

struct rt_exit {
	int exit_code; /* 128 + signal when killed by a signal */
	bool oom_killed;
	struct timespec finished;
};

void rt_spec_done(struct rt_spec *spec);
json_t *rt_spec_to_json(const struct rt_spec *spec);
int rt_spec_from_json(json_t *obj, struct rt_spec *ret, struct berr **err);

/* Start the container: write <state>/config.json, start berth-shim (found
 * next to berthd, or $BERTH_SHIM), and wait until the command has been
 * exec'ed or has failed to start (the error then says why: "executable
 * file not found", "no such user", a mount that failed, ...).  shim_path
 * NULL: next to /proc/self/exe.  Nothing is left behind on failure. */
int rt_start(const char *shim_path, const char *state_dir, const struct rt_spec *spec,
	     pid_t *ret_pid, struct berr **err);

/* Send a signal to the container's main process (ESRCH when it is gone). */
int rt_kill(const char *state_dir, int sig, struct berr **err);

/* A file descriptor that becomes readable (EOF) when the container has
 * exited and exit.json is written; the loop watches it.  Caller closes. */
int rt_exit_fd(const char *state_dir, int *ret_fd, struct berr **err);

/* How the container ended; ENOENT while it is still running. */
int rt_exit_read(const char *state_dir, struct rt_exit *ret, struct berr **err);

/* Is the shim of this state dir alive (after a daemon restart)?  *ret_pid
 * gets the container's pid when it still runs. */
bool rt_alive(const char *state_dir, pid_t *ret_pid);

/* After exit: tell the shim to go, remove the state dir, unmount the
 * rootfs.  Idempotent. */
int rt_delete(const char *state_dir, struct berr **err);

/* A process to run inside a running container (exec).  It joins the
 * container's pid, mount, uts, ipc, net and cgroup namespaces and its
 * cgroup, and gets the container's capabilities (all with privileged),
 * no_new_privs and the user given here. */
struct rt_exec_spec {
	char **args; /* argv, NULL-terminated; args[0] looked up in env's PATH */
	char **env;  /* the full environment, NULL-terminated */
	char *cwd;   /* "/" when NULL */
	uid_t uid;
	gid_t gid;
	bool tty;
	bool open_stdin; /* without tty: a pipe for stdin, else /dev/null */
	bool detach;	 /* stdio on /dev/null, no descriptors handed back */
	bool privileged;
};

/* A started exec, as the shim handed it over.  The fds are the caller's. */
struct rt_exec_proc {
	pid_t pid;     /* in berthd's pid namespace */
	int ctl_fd;    /* gets one line, rt_exec_exit_parse() it, then EOF */
	int stdin_fd;  /* pipe write end, pty master with tty, or -1 */
	int stdout_fd; /* pipe read end, pty master with tty, or -1 (detach) */
	int stderr_fd; /* pipe read end, or -1 (tty, detach) */
};

json_t *rt_exec_spec_to_json(const struct rt_exec_spec *spec);
/* ret's strings are the caller's: rt_exec_spec_done() them. */
int rt_exec_spec_from_json(json_t *obj, struct rt_exec_spec *ret, struct berr **err);
void rt_exec_spec_done(struct rt_exec_spec *spec);

/* Run spec in the container of state_dir through its shim, and wait until
 * it has been exec'ed (or say why not: ENOENT "executable file not found",
 * ...).  The process is the shim's child: it lives on if berthd goes. */
int rt_exec(const char *state_dir, const struct rt_exec_spec *spec, struct rt_exec_proc *ret,
	    struct berr **err);
/* The line an exec's ctl_fd gives when the process has ended: its exit
 * code (128 + signal when killed).  -EINVAL for anything else. */
int rt_exec_exit_parse(const char *line, int *ret_code);

/* The container's stdin for an attach: the pipe's write end, or the pty
 * master with a tty.  EINVAL when it was started without stdin.  Caller
 * closes. */
int rt_stdin_fd(const char *state_dir, int *ret_fd, struct berr **err);
/* Close the container's stdin for good (StdinOnce): the command reads EOF. */
int rt_stdin_close(const char *state_dir, struct berr **err);
/* Set the size of the container's pty (nothing without a tty). */
int rt_resize(const char *state_dir, unsigned rows, unsigned cols, struct berr **err);
/* Set the size of a pty through its master (an exec's). */
int rt_tty_resize(int master_fd, unsigned rows, unsigned cols, struct berr **err);

/* A container's files for export and archive copies, reached through a
 * `berth-fsio --fs-tar|--fs-untar` helper process: with pid set (a
 * running container) it joins the container's mount namespace; else it
 * mounts the overlay of lower_dirs and <bundle>/upper in a private mount
 * namespace of its own (read-only for reads).  Nothing is ever mounted on
 * the host.  Call from the job thread (it blocks until the helper ends),
 * so a stopped container is not started meanwhile. */
struct rt_fs_target {
	pid_t pid;	   /* > 0: the running container's pid */
	char **lower_dirs; /* image layers, top first (stopped container) */
	const char *bundle;
	const char *shim_path; /* NULL: as rt_start finds it */
};

/* Write a tar of path (NULL: the whole root file system, without mounts)
 * to out_fd (-1: none, only the stat).  ret_stat (may be NULL) gets
 * Docker's path stat {"name","size","mode","mtime","linkTarget"} (caller
 * decrefs).  ENOENT when path is missing. */
int rt_fs_tar(const struct rt_fs_target *t, const char *path, int out_fd, json_t **ret_stat,
	      struct berr **err);

/* Extract the tar stream read from in_fd into the directory path.  Entries
 * that would escape it are refused (EINVAL); ENOENT when path is missing,
 * ENOTDIR when it is no directory.  no_overwrite_dir_non_dir: refuse to
 * replace a directory with a non-directory or the reverse. */
int rt_fs_untar(const struct rt_fs_target *t, const char *path, bool no_overwrite_dir_non_dir,
		int in_fd, struct berr **err);

/* Write the local path (a file or a tree) as a tar stream to fd, its
 * entries named base, base/... (what docker cp sends and expects). */
int rt_fs_tar_local(const char *path, const char *base, int fd, struct berr **err);

/* main() of the helper (berth-fsio --fs-tar|--fs-untar ...); ends the
 * process with _exit(). */
int rt_fs_helper_main(int argc, char **argv);

#endif
