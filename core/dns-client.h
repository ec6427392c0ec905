/* dns-client.h - berthd's side of berth-dns (core/dns-server.h): starts
 * it when the first sandbox needs names, tells it about every running
 * container on a user-defined network, and makes each sandbox's
 * 127.0.0.11:53 sockets when it asks for them.  A berth-dns that is
 * already running (berthd restarted) is taken over as it is and brought
 * up to date with one full resync; so is a new one after a crash.
 *
 * Job thread (and ctl_restore before the loop starts); calls wait for
 * berth-dns's reply, so an answer changes before the API call returns. */
#ifndef BERTH_DNS_CLIENT_H
#define BERTH_DNS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/berr.h"

struct dnsc;

/* Called after every new connection to berth-dns, between sync-begin and
 * sync-end: it must dnsc_set every container that should be served. */
typedef int (*dnsc_resync_fn)(void *arg, struct berr **err);

/* log_level: passed on to berth-dns ("info", "debug"). */
struct dnsc *dnsc_new(const char *exec_root, const char *log_level, dnsc_resync_fn resync,
		      void *arg);
/* Hang up (berth-dns goes when no sandbox is left). */
void dnsc_free(struct dnsc *d);

/* Connect to a berth-dns already running and resync it; starting one
 * only when spawn is set.  0 when connected or when none runs and spawn
 * is false. */
int dnsc_attach(struct dnsc *d, bool spawn, struct berr **err);

/* Serve one container as set says ({"ctr","nets","upstreams","endpoints"};
 * see dns-server.h; "nets":[] withdraws it).  netns is its sandbox, where
 * the sockets are made when berth-dns has none for it yet.  Starts
 * berth-dns when needed (not for a withdrawal). */
int dnsc_set(struct dnsc *d, json_t *set, const char *netns, struct berr **err);

#endif
