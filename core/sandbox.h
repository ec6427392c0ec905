/* sandbox.h - network namespaces for sandboxes: made on a helper thread,
 * kept alive by a bind mount of their nsfs file (so they outlive every
 * process and survive a daemon restart), and entered by a short-lived
 * thread for work inside them.  The calling thread never changes
 * namespace.  Called from the job thread (controller, drivers). */
#ifndef BERTH_SANDBOX_H
#define BERTH_SANDBOX_H

#include "core/berr.h"

/* A new network namespace with lo up, bind-mounted at path (a file that
 * must not exist yet; its directory must exist).  Nothing is left on
 * failure. */
int sb_netns_add(const char *path, struct berr **err);

/* Unmount and remove it; the namespace and its links go once nothing else
 * holds it.  A missing file is success. */
int sb_netns_del(const char *path, struct berr **err);

/* Run fn(arg, err) on a thread inside the namespace at path; its return
 * value is returned.  Netlink calls made by fn (core/nl.c) talk to that
 * namespace. */
int sb_netns_run(const char *path, int (*fn)(void *arg, struct berr **err), void *arg,
		 struct berr **err);

#endif
