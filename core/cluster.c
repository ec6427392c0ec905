/* cluster.c - berthd as a node of a cluster (see cluster.h).  One thread
 * keeps the node's lease alive (granting a new one and writing the node
 * record again when it ran out) and starts the watch once etcd answers;
 * the watch's thread turns each change into a job. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cluster.h"
#include "core/job.h"
#include "core/log.h"
#include "core/util.h"

#define CLUSTER_RETRY_MS 1000 /* while etcd does not answer */

struct cluster {
	struct etcd *etcd;
	char *advertise, *node_id, *lease_path;
	unsigned port;
	struct jobq *jobq;
	cluster_apply_fn apply;
	cluster_lease_fn lease_changed;
	void *arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	int64_t lease;		  /* under lock */
	bool reachable;		  /* under lock: the last call to etcd worked */
	char *last_error;	  /* under lock: why not */
	struct etcd_watch *watch; /* the module's thread only */
};

/* A change (or a new lease) on its way to the job thread.  It holds copies
 * of everything, and the callbacks themselves: it may run after the module
 * stopped. */
struct cluster_job {
	struct job job;
	cluster_apply_fn apply;
	cluster_lease_fn lease_changed;
	void *arg;
	enum etcd_event_type type;
	int64_t revision;
	int64_t lease; /* lease jobs: apply is NULL */
	struct etcd_kv kv;
	struct etcd_kv *kvs;
	size_t n_kvs;
};

static void cluster_kv_copy(struct etcd_kv *dst, const struct etcd_kv *src)
{
	*dst = *src;
	dst->key = xstrdup(src->key ? src->key : "");
	dst->value = xmalloc(src->value_len + 1);
	memcpy(dst->value, src->value ? src->value : "", src->value_len);
	dst->value[src->value_len] = 0;
}

static void cluster_job_run(struct job *job)
{
	struct cluster_job *j = container_of(job, struct cluster_job, job);
	struct cluster_event ev = {
		.type = j->type,
		.revision = j->revision,
		.kv = &j->kv,
		.kvs = j->kvs,
		.n_kvs = j->n_kvs,
	};

	if (j->apply)
		j->apply(j->arg, &ev);
	else if (j->lease_changed)
		j->lease_changed(j->arg, j->lease);
}

static void cluster_job_done(struct job *job)
{
	struct cluster_job *j = container_of(job, struct cluster_job, job);

	free(j->kv.key);
	free(j->kv.value);
	etcd_kvs_free(j->kvs, j->n_kvs);
	free(j);
}

static struct cluster_job *cluster_job_new(struct cluster *c)
{
	struct cluster_job *j = xcalloc(1, sizeof(*j));

	j->job.run = cluster_job_run;
	j->job.done = cluster_job_done;
	j->arg = c->arg;
	return j;
}

static void cluster_push_lease(struct cluster *c, int64_t lease)
{
	struct cluster_job *j = cluster_job_new(c);

	j->lease_changed = c->lease_changed;
	j->lease = lease;
	jobq_push(c->jobq, &j->job);
}

static void cluster_set_reachable(struct cluster *c, bool ok, const char *why)
{
	pthread_mutex_lock(&c->lock);
	if (ok && !c->reachable)
		log_info("cluster store: etcd answers");
	else if (!ok && (c->reachable || !c->last_error || !streq(c->last_error, why)))
		log_warn("cluster store: %s", why);
	c->reachable = ok;
	free(c->last_error);
	c->last_error = ok ? NULL : xstrdup(why);
	pthread_mutex_unlock(&c->lock);
}

/* On the watch's thread. */
static void cluster_watch_event(void *arg, const struct etcd_event *ev)
{
	struct cluster *c = arg;
	struct cluster_job *j;

	switch (ev->type) {
	case ETCD_EVENT_CONNECTED:
		cluster_set_reachable(c, true, NULL);
		return;
	case ETCD_EVENT_DISCONNECTED:
		cluster_set_reachable(c, false, ev->error ? ev->error : "etcd is unreachable");
		return;
	default:
		break;
	}
	j = cluster_job_new(c);
	j->apply = c->apply;
	j->type = ev->type;
	j->revision = ev->revision;
	if (ev->kv)
		cluster_kv_copy(&j->kv, ev->kv);
	if (ev->type == ETCD_EVENT_RESYNC)
		log_info("cluster store: the history the watch missed was compacted: resync "
			 "from all %zu keys at revision %lld",
			 ev->n_kvs, (long long)ev->revision);
	if (ev->type == ETCD_EVENT_RESYNC && ev->n_kvs) {
		j->kvs = xcalloc(ev->n_kvs, sizeof(*j->kvs));
		for (size_t i = 0; i < ev->n_kvs; i++)
			cluster_kv_copy(&j->kvs[i], &ev->kvs[i]);
		j->n_kvs = ev->n_kvs;
	}
	jobq_push(c->jobq, &j->job);
}

/* The whole state once, then the watch from the revision after it. */
static int cluster_watch(struct cluster *c, struct berr **err)
{
	struct etcd_kv *kvs = NULL;
	size_t n = 0;
	int64_t rev = 0;
	struct cluster_job *j;
	int r;

	if ((r = etcd_get_prefix(c->etcd, CLUSTER_PREFIX, &kvs, &n, &rev, err)) < 0)
		return r;
	j = cluster_job_new(c);
	j->apply = c->apply;
	j->type = ETCD_EVENT_RESYNC;
	j->revision = rev;
	j->kvs = kvs;
	j->n_kvs = n;
	jobq_push(c->jobq, &j->job);
	return etcd_watch_start(c->etcd, CLUSTER_PREFIX, rev + 1, 0, cluster_watch_event, c,
				&c->watch, err);
}

static int64_t cluster_saved_lease(struct cluster *c)
{
	FILE *f = fopen(c->lease_path, "re");
	long long id = 0;

	if (f) {
		if (fscanf(f, "%lld", &id) != 1)
			id = 0;
		fclose(f);
	}
	return id;
}

static void cluster_save_lease(struct cluster *c, int64_t id)
{
	FILE *f = fopen(c->lease_path, "we");

	if (f) {
		fprintf(f, "%lld\n", (long long)id);
		fclose(f);
	}
}

/* A lease (the one a previous berthd left, while it lives) and the node
 * record on it. */
static int cluster_register(struct cluster *c, bool first, struct berr **err)
{
	_cleanup_free_ char *key = xasprintf(CLUSTER_PREFIX "nodes/%s", c->node_id);
	_cleanup_free_ char *value = NULL;
	char host[256] = "";
	int64_t lease = first ? cluster_saved_lease(c) : 0, ttl = 0;
	json_t *node;
	int r;

	if (lease && etcd_lease_keepalive(c->etcd, lease, &ttl, NULL) < 0)
		lease = 0;
	if (!lease && (r = etcd_lease_grant(c->etcd, CLUSTER_LEASE_TTL, &lease, err)) < 0)
		return r;
	gethostname(host, sizeof(host) - 1);
	node = json_pack("{s:s, s:s, s:i, s:s}", "ID", c->node_id, "Addr", c->advertise, "Port",
			 (int)c->port, "Name", host);
	value = json_dumps(node, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(node);
	if ((r = etcd_put(c->etcd, key, value, strlen(value), lease, NULL, err)) < 0)
		return r;
	cluster_save_lease(c, lease);
	pthread_mutex_lock(&c->lock);
	c->lease = lease;
	pthread_mutex_unlock(&c->lock);
	log_info("cluster store: node %.12s (%s) registered, lease %llx", c->node_id, c->advertise,
		 (long long)lease);
	cluster_push_lease(c, lease);
	return 0;
}

static void *cluster_thread(void *arg)
{
	struct cluster *c = arg;
	bool first = true;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		int64_t lease = c->lease, ttl = 0;
		struct berr *e = NULL;
		struct timespec until;
		int r, wait_ms;

		pthread_mutex_unlock(&c->lock);
		if (!lease)
			r = cluster_register(c, first, &e);
		else if ((r = etcd_lease_keepalive(c->etcd, lease, &ttl, &e)) == -ENOENT) {
			log_warn("cluster store: the node's lease ran out: registering again");
			pthread_mutex_lock(&c->lock);
			c->lease = 0;
			pthread_mutex_unlock(&c->lock);
		}
		first = false;
		if (r == 0 && !c->watch)
			r = cluster_watch(c, &e);
		cluster_set_reachable(c, r == 0, berr_msg(e));
		berr_free(e);
		wait_ms = r == -ENOENT ? 0
			  : r < 0      ? CLUSTER_RETRY_MS
				       : CLUSTER_LEASE_TTL * 1000 / 3;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&c->lock);
		while (!c->stopping && wait_ms &&
		       pthread_cond_timedwait(&c->cond, &c->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int cluster_start(const struct cluster_config *cfg, struct cluster **ret, struct berr **err)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	int r;

	if ((r = etcd_open(cfg->store, &c->etcd, err)) < 0) {
		free(c);
		return r;
	}
	c->advertise = xstrdup(cfg->advertise);
	c->port = cfg->port;
	c->node_id = xstrdup(cfg->node_id);
	c->lease_path = xasprintf("%s/cluster.lease", cfg->exec_root);
	c->jobq = cfg->jobq;
	c->apply = cfg->apply;
	c->lease_changed = cfg->lease_changed;
	c->arg = cfg->arg;
	c->last_error = xasprintf("etcd at %s has not answered yet", cfg->store);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if ((r = pthread_create(&c->thread, NULL, cluster_thread, c)) != 0) {
		c->thread = 0;
		cluster_free(c);
		return berr_set(err, r, "cannot start the cluster thread: %s", strerror(r));
	}
	*ret = c;
	return 0;
}

void cluster_stop(struct cluster *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->thread)
		pthread_join(c->thread, NULL);
	c->thread = 0;
	etcd_watch_stop(c->watch);
	c->watch = NULL;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	cluster_stop(c);
	etcd_close(c->etcd);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->advertise);
	free(c->node_id);
	free(c->lease_path);
	free(c->last_error);
	free(c);
}

struct etcd *cluster_etcd(struct cluster *c)
{
	return c->etcd;
}

const char *cluster_node_id(const struct cluster *c)
{
	return c->node_id;
}

const char *cluster_advertise(const struct cluster *c)
{
	return c->advertise;
}

int64_t cluster_lease(struct cluster *c)
{
	int64_t lease;

	pthread_mutex_lock(&c->lock);
	lease = c->lease;
	pthread_mutex_unlock(&c->lock);
	return lease;
}

int cluster_unreachable(struct cluster *c, struct berr **err)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = berr_set(err, EAGAIN, "the cluster store is unreachable: %s",
		     c->last_error ? c->last_error : "no lease yet");
	pthread_mutex_unlock(&c->lock);
	return r;
}
