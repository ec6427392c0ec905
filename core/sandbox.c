/* sandbox.c - network namespaces held by bind mounts (see sandbox.h).
 *
 * unshare(CLONE_NEWNET) and setns() act on the calling thread only, so each
 * is done on a thread of its own that ends afterwards: the job thread and
 * the loop keep their namespace, and netlink sockets opened by core/nl.c on
 * that thread belong to the namespace it is in. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/nl.h"
#include "core/sandbox.h"
#include "core/util.h"

struct sb_task {
	const char *path;
	int (*fn)(void *arg, struct berr **err);
	void *arg;
	bool create;
	int result;
	struct berr *err;
};

/* Make the namespace file: an empty regular file to mount onto. */
static int sb_touch(const char *path, struct berr **err)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);

	if (fd < 0)
		return berr_set(err, errno, "cannot create %s: %m", path);
	close(fd);
	return 0;
}

/* On the helper thread: a new namespace, pinned at path, lo up. */
static int sb_thread_create(struct sb_task *t)
{
	int r;

	if (unshare(CLONE_NEWNET) < 0)
		return berr_set(&t->err, errno, "cannot make a network namespace: %m");
	r = sb_touch(t->path, &t->err);
	if (r < 0)
		return r;
	/* the bind mount keeps the namespace alive without any process in it */
	if (mount("/proc/thread-self/ns/net", t->path, NULL, MS_BIND, NULL) < 0) {
		r = berr_set(&t->err, errno, "cannot bind-mount a network namespace on %s: %m",
			     t->path);
		unlink(t->path);
		return r;
	}
	r = nl_link_set_up("lo", &t->err);
	if (r < 0) {
		umount2(t->path, MNT_DETACH);
		unlink(t->path);
	}
	return r;
}

/* On the helper thread: enter the namespace at path and run the task. */
static int sb_thread_enter(struct sb_task *t)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return berr_set(&t->err, errno, "cannot open network namespace %s: %m", t->path);
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	if (r < 0)
		return berr_set(&t->err, errno, "cannot enter network namespace %s: %m", t->path);
	return t->fn(t->arg, &t->err);
}

static void *sb_thread(void *arg)
{
	struct sb_task *t = arg;

	t->result = t->create ? sb_thread_create(t) : sb_thread_enter(t);
	/* its netlink socket belongs to the namespace: close it with the thread */
	nl_thread_done();
	return NULL;
}

static int sb_run_thread(struct sb_task *t, struct berr **err)
{
	pthread_t th;
	int r = pthread_create(&th, NULL, sb_thread, t);

	if (r)
		return berr_set(err, r, "cannot start a thread: %s", strerror(r));
	pthread_join(th, NULL);
	if (t->err) {
		if (err && !*err)
			*err = t->err;
		else
			berr_free(t->err);
	}
	return t->result;
}

int sb_netns_add(const char *path, struct berr **err)
{
	struct sb_task t = {.path = path, .create = true};

	return sb_run_thread(&t, err);
}

int sb_netns_run(const char *path, int (*fn)(void *arg, struct berr **err), void *arg,
		 struct berr **err)
{
	struct sb_task t = {.path = path, .fn = fn, .arg = arg};

	return sb_run_thread(&t, err);
}

int sb_netns_del(const char *path, struct berr **err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return berr_set(err, errno, "cannot unmount %s: %m", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_set(err, errno, "cannot remove %s: %m", path);
	return 0;
}
