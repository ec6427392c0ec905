/* etcd.h - a client of etcd v3 (3.4) through its JSON gateway (POST /v3/...):
 * keys, transactions, leases and watches.  Every call blocks, at most
 * ETCD_CONNECT_TIMEOUT_MS to connect to each endpoint plus
 * ETCD_REQUEST_TIMEOUT_MS for the request; an endpoint that cannot be
 * connected to is skipped for the next one.  A struct etcd may be used from
 * several threads (calls take turns on one connection).  Callers: berthd's
 * job thread (the shared store of a multi-host setup).
 *
 * Keys are C strings; values are bytes (value_len of them).  Revisions, lease
 * ids and versions are int64_t; 0 means none.
 *
 * Errors: -EHOSTUNREACH "etcd at HOST:PORT is unreachable: ..." (every
 * endpoint, each named), -ETIMEDOUT "etcd at HOST:PORT did not answer
 * within 5 s" (a request that was sent is never retried elsewhere: it may
 * have been applied), etcd's own refusals as "etcd: MESSAGE" with its gRPC
 * code as an errno (NotFound -ENOENT, InvalidArgument -EINVAL, OutOfRange
 * -ERANGE for a compacted revision, Unavailable -EAGAIN, ...), and -EPROTO
 * for a reply that does not parse. */
#ifndef BERTH_ETCD_H
#define BERTH_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"

#define ETCD_CONNECT_TIMEOUT_MS 2000
#define ETCD_REQUEST_TIMEOUT_MS 5000

struct etcd;

/* Parse endpoints, "etcd://HOST:PORT" or several separated by commas
 * ("etcd://h1:p1,h2:p2"; "http://" is accepted too, the port defaults to
 * 2379).  Does not connect.  -EINVAL names the bad part and the whole value. */
int etcd_open(const char *endpoints, struct etcd **ret, struct berr **err);
/* Stop every watch of e first.  NULL is fine. */
void etcd_close(struct etcd *e);

struct etcd_kv {
	char *key;
	char *value; /* value_len bytes and a NUL after them (never NULL) */
	size_t value_len;
	int64_t create_rev, mod_rev, version, lease;
};

void etcd_kv_free(struct etcd_kv *kv);
/* Free an array of n kvs (as etcd_get_prefix returns). */
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);

/* One key: 1 and *ret (caller frees with etcd_kv_free) when it exists, 0 and
 * *ret = NULL when it does not. */
int etcd_get(struct etcd *e, const char *key, struct etcd_kv **ret, struct berr **err);
/* Every key starting with prefix, in key order, and the revision they were
 * read at (watch from *ret_rev + 1 to see what follows).  Caller frees
 * *ret_kvs with etcd_kvs_free; ret_rev may be NULL. */
int etcd_get_prefix(struct etcd *e, const char *prefix, struct etcd_kv **ret_kvs, size_t *ret_n,
		    int64_t *ret_rev, struct berr **err);
/* Set key (attached to lease unless 0).  ret_rev (may be NULL): the
 * revision of the write.  A lease that expired gives -ENOENT. */
int etcd_put(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
	     int64_t *ret_rev, struct berr **err);
/* Delete key / every key under prefix (not ""): the number deleted (0 when
 * none was there). */
int etcd_delete(struct etcd *e, const char *key, struct berr **err);
int etcd_delete_prefix(struct etcd *e, const char *prefix, struct berr **err);

/* Create key only when absent: 1 created, 0 it existed (then, if ret_existing
 * is not NULL, *ret_existing is the kv found, caller frees). */
int etcd_create(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
		struct etcd_kv **ret_existing, struct berr **err);
/* Set key only while its mod revision is mod_rev (0: while it is absent):
 * 1 written, 0 it had changed. */
int etcd_cas(struct etcd *e, const char *key, const void *value, size_t value_len, int64_t lease,
	     int64_t mod_rev, struct berr **err);
/* Delete key only while its mod revision is mod_rev (> 0): 1 deleted, 0 it
 * had changed (or was gone). */
int etcd_delete_if(struct etcd *e, const char *key, int64_t mod_rev, struct berr **err);

/* A general transaction: when every compare holds, every op is applied, all
 * at one revision.  A key may appear in one op only (etcd refuses more). */
enum etcd_cmp_target {
	ETCD_CMP_CREATE,  /* create revision; 0 = the key is absent */
	ETCD_CMP_MOD,	  /* mod revision */
	ETCD_CMP_VERSION, /* number of writes since creation */
	ETCD_CMP_VALUE,	  /* value bytes (never holds for an absent key) */
};

enum etcd_cmp_result {
	ETCD_CMP_EQUAL,
	ETCD_CMP_NOT_EQUAL,
	ETCD_CMP_LESS,
	ETCD_CMP_GREATER,
};

struct etcd_cmp {
	const char *key;
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t rev;	   /* CREATE, MOD, VERSION */
	const void *value; /* VALUE */
	size_t value_len;
};

enum etcd_op_type {
	ETCD_OP_PUT,
	ETCD_OP_DELETE,
	ETCD_OP_DELETE_PREFIX,
};

struct etcd_op {
	enum etcd_op_type type;
	const char *key; /* the prefix for DELETE_PREFIX */
	const void *value;
	size_t value_len;
	int64_t lease; /* PUT */
};

/* 1 when the compares held and the ops were applied, 0 when not (nothing
 * changed).  ret_rev (may be NULL): the revision after the transaction. */
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmps, size_t n_cmps, const struct etcd_op *ops,
	     size_t n_ops, int64_t *ret_rev, struct berr **err);

/* A lease of ttl seconds: its id in *ret_id. */
int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t *ret_id, struct berr **err);
/* Refresh a lease: the TTL it has again in *ret_ttl, or -ENOENT when it has
 * expired (or was revoked): its keys are gone. */
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ret_ttl, struct berr **err);
/* Revoke a lease and delete its keys; one already gone is success. */
int etcd_lease_revoke(struct etcd *e, int64_t id, struct berr **err);

/* Watches.  Each runs a thread of its own that follows every change under a
 * prefix through one streaming request and calls back for each, in revision
 * order.  When the stream ends (etcd stopped, connection lost) it reconnects
 * with a back-off of 100 ms doubling to 2 s (the next endpoint first when
 * the current one could not be reached or did not confirm the watch) and
 * resumes after the last revision it delivered, so no change is lost or
 * repeated.  When that history is gone (compacted), it reads the prefix
 * again and reports a RESYNC.  The usual start: etcd_get_prefix, then watch
 * from its revision + 1.  A dead peer that sends nothing is noticed by TCP
 * keepalive within about a minute. */
enum etcd_event_type {
	ETCD_EVENT_PUT,	   /* kv (and prev_kv) */
	ETCD_EVENT_DELETE, /* kv holds only key and mod_rev (prev_kv: the old one) */
	/* history was lost: kvs is everything under the prefix at revision;
	 * replace what you had.  The events after it follow on. */
	ETCD_EVENT_RESYNC,
	ETCD_EVENT_CONNECTED,	 /* the watch runs (first time, and after each DISCONNECTED) */
	ETCD_EVENT_DISCONNECTED, /* once per outage, error says why; it reconnects by itself */
};

struct etcd_event {
	enum etcd_event_type type;
	int64_t revision;	       /* etcd's revision when it sent this */
	const struct etcd_kv *kv;      /* PUT, DELETE */
	const struct etcd_kv *prev_kv; /* with ETCD_WATCH_PREV_KV, when etcd still had it */
	const struct etcd_kv *kvs;     /* RESYNC */
	size_t n_kvs;
	const char *error; /* DISCONNECTED */
};

const char *etcd_event_type_to_string(enum etcd_event_type type);

/* Runs on the watch's thread; ev and what it points to are borrowed for the
 * call.  It may call other etcd_* functions but not etcd_watch_stop on its
 * own watch. */
typedef void (*etcd_watch_fn)(void *arg, const struct etcd_event *ev);

#define ETCD_WATCH_PREV_KV 0x1u /* events carry the previous kv */

struct etcd_watch;

/* Watch every key under prefix ("" for all) from revision start_rev (0:
 * from now on).  Returns at once; the first event is CONNECTED or
 * DISCONNECTED.  Stop every watch before etcd_close. */
int etcd_watch_start(struct etcd *e, const char *prefix, int64_t start_rev, unsigned flags,
		     etcd_watch_fn cb, void *arg, struct etcd_watch **ret, struct berr **err);
/* Stop at once (no more callbacks once it returns), join the thread and free
 * the watch.  NULL is fine. */
void etcd_watch_stop(struct etcd_watch *w);

#endif
