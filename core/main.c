/* main.c - berthd: parse options, take the root and exec-root, restore the
 * model, serve the API on the event loop until SIGTERM/SIGINT.  The only
 * place that exits. */
#include <errno.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/api.h"
#include "core/cluster.h"
#include "core/config.h"
#include "core/ctl-cluster.h"
#include "core/controller.h"
#include "core/events.h"
#include "core/ctl-container.h"
#include "core/ctl-volume.h"
#include "core/log.h"
#include "core/util.h"

struct daemon {
	struct config cfg;
	struct cluster *cluster; /* --cluster-store */
	struct event_base *base;
	struct api api;
	struct ctl *ctl;
	struct http_server *http;
	int root_lock;
	char *pid_path;
	char *spool_dir; /* <root>/tmp: large request bodies */
};

/* mkdir -p with mode for the last component. */
static int daemon_mkdirs(const char *path, mode_t mode, struct berr **err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return berr_set(err, errno, "cannot create %s: %m", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berr_set(err, errno, "cannot create %s: %m", p);
	return 0;
}

/* The pid of the daemon recorded in a pid file, or 0. */
static long daemon_read_pid(const char *path)
{
	FILE *f = fopen(path, "re");
	long pid = 0;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Hold <root>/berthd.lock for our lifetime: a second daemon on the same
 * root is refused.  flock goes away with the process, even on kill -9. */
static int daemon_lock_root(struct daemon *d, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/berthd.lock", d->cfg.root);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		long pid = daemon_read_pid(path);

		close(fd);
		if (e == EWOULDBLOCK)
			return berr_set(err, EBUSY,
					"another berthd (pid %ld) is already using the root %s; "
					"give this one its own --root and --exec-root",
					pid, d->cfg.root);
		return berr_set(err, e, "cannot lock %s: %m", path);
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%ld\n", (long)getpid());
	d->root_lock = fd;
	return 0;
}

static int daemon_write_pid(struct daemon *d, struct berr **err)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;

	d->pid_path = xasprintf("%s/berthd.pid", d->cfg.exec_root);
	tmp = xasprintf("%s.tmp", d->pid_path);
	f = fopen(tmp, "we");
	if (!f)
		return berr_set(err, errno, "cannot write %s: %m", tmp);
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, d->pid_path) < 0)
		return berr_set(err, errno, "cannot write %s: %m", d->pid_path);
	return 0;
}

/* A stable engine id, kept in the root across restarts. */
static void daemon_engine_id(struct daemon *d)
{
	_cleanup_free_ char *path = xasprintf("%s/engine-id", d->cfg.root);
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%64s", d->api.engine_id) == 1 && strlen(d->api.engine_id) == 64) {
			fclose(f);
			return;
		}
		fclose(f);
	}
	util_random_id(d->api.engine_id);
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%s\n", d->api.engine_id);
		fclose(f);
	}
}

static void daemon_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval flush = {.tv_usec = 100 * 1000};

	(void)what;
	if (d->api.shutting_down)
		return;
	log_info("signal %d: finishing the running job and shutting down", (int)sig);
	d->api.shutting_down = true;
	/* no more changes from the cluster; the running job finishes, queued
	 * ones are answered 503 */
	cluster_stop(d->cluster);
	api_xfers_stop(&d->api);
	jobq_free(d->api.jobq);
	d->api.jobq = NULL;
	/* let the loop write the last replies, then stop */
	event_base_loopexit(d->base, &flush);
}

static int daemon_start(struct daemon *d, struct berr **err)
{
	d->spool_dir = xasprintf("%s/tmp", d->cfg.root);
	struct ctl_config cc = {
		.root = d->cfg.root,
		.exec_root = d->cfg.exec_root,
		.pools = d->cfg.pools,
		.n_pools = d->cfg.n_pools,
		.bip = d->cfg.bip,
		.default_bridge = d->cfg.bridge_name,
		.cgroup_parent = d->cfg.cgroup_parent,
		.resolv_conf = d->cfg.resolv_conf,
		.dns = d->cfg.dns,
		.log_level = d->cfg.log_level == LOG_DEBUG ? "debug" : "info",
		.cluster_store = d->cfg.cluster_store,
		.cluster_advertise = d->cfg.cluster_advertise,
		.plugin_dirs = d->cfg.plugin_dirs,
		.plugin_timeout_ms = d->cfg.plugin_timeout_s * 1000,
	};
	struct http_config hc = {
		.socket_path = d->cfg.socket_path,
		.socket_mode = 0660,
		.max_body = 1 << 20,
		.spool_body = api_spool_body,
		.spool_dir = d->spool_dir,
		.max_spool = (uint64_t)64 << 30,
		.idle_timeout_s = d->cfg.idle_timeout_s,
		.extra_headers = "Api-Version: " API_VERSION "\r\n"
				 "Ostype: linux\r\n"
				 "Docker-Experimental: false\r\n"
				 "Server: berth/" BERTH_VERSION " (linux)\r\n",
		.handler = api_handle,
		.handler_data = &d->api,
	};
	int r;

	if ((r = daemon_mkdirs(d->cfg.root, 0700, err)) < 0 ||
	    (r = daemon_mkdirs(d->spool_dir, 0700, err)) < 0 ||
	    (r = daemon_mkdirs(d->cfg.exec_root, 0700, err)) < 0 ||
	    (r = daemon_lock_root(d, err)) < 0 || (r = daemon_write_pid(d, err)) < 0)
		return r;
	daemon_engine_id(d);
	if ((r = ctl_new(&cc, &d->ctl, err)) < 0 || (r = ctl_restore(d->ctl, err)) < 0 ||
	    (r = ctl_containers_restore(d->ctl, err)) < 0 ||
	    (r = ctl_volumes_restore(d->ctl, err)) < 0)
		return r;
	d->base = event_base_new();
	if (!d->base)
		return berr_set(err, ENOMEM, "cannot create the event loop");
	d->api.base = d->base;
	d->api.events = events_new();
	d->api.ctl = d->ctl;
	d->api.root = d->cfg.root;
	d->api.exec_root = d->cfg.exec_root;
	d->api.config_dir = d->cfg.config_dir;
	d->api.insecure_registries = d->cfg.insecure_registries;
	d->api.registry_mirrors = d->cfg.registry_mirrors;
	clock_gettime(CLOCK_REALTIME, &d->api.started);
	if ((r = jobq_new(d->base, &d->api.jobq, err)) < 0)
		return r;
	api_containers_watch(&d->api);
	if (d->cfg.cluster_store) {
		struct cluster_config cc2 = {
			.store = d->cfg.cluster_store,
			.advertise = d->cfg.cluster_advertise,
			.port = d->cfg.advertise_port,
			.node_id = d->api.engine_id,
			.exec_root = d->cfg.exec_root,
			.jobq = d->api.jobq,
			.apply = ctl_cluster_apply,
			.lease_changed = ctl_cluster_lease,
			.arg = d->ctl,
		};

		if ((r = cluster_start(&cc2, &d->cluster, err)) < 0)
			return r;
		d->ctl->cluster = d->cluster;
	}
	return http_server_new(d->base, &hc, &d->http, err);
}

static void daemon_stop(struct daemon *d)
{
	cluster_stop(d->cluster);
	api_xfers_stop(&d->api);
	jobq_free(d->api.jobq);
	if (d->ctl)
		api_containers_unwatch(&d->api);
	http_server_free(d->http);
	events_free(d->api.events);
	ctl_free(d->ctl);
	cluster_free(d->cluster);
	if (d->pid_path)
		unlink(d->pid_path);
	free(d->pid_path);
	free(d->spool_dir);
	if (d->root_lock >= 0)
		close(d->root_lock);
	if (d->base)
		event_base_free(d->base);
	config_done(&d->cfg);
}

int main(int argc, char **argv)
{
	struct daemon d = {.root_lock = -1};
	struct event *sigterm, *sigint;
	struct berr *err = NULL;

	if (config_parse(argc, argv, &d.cfg, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", berr_msg(err));
		berr_free(err);
		return 2;
	}
	if (d.cfg.help || d.cfg.version) {
		fputs(d.cfg.help ? config_usage : "berthd version " BERTH_VERSION "\n", stdout);
		config_done(&d.cfg);
		return 0;
	}
	log_set_level(d.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	/* before any thread: libcurl's global set-up is not thread-safe */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (daemon_start(&d, &err) < 0) {
		log_error("cannot start: %s", berr_msg(err));
		berr_free(err);
		daemon_stop(&d);
		return 1;
	}
	sigterm = evsignal_new(d.base, SIGTERM, daemon_on_signal, &d);
	sigint = evsignal_new(d.base, SIGINT, daemon_on_signal, &d);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	log_info("berthd %s (pid %ld) listening on unix://%s, root %s", BERTH_VERSION,
		 (long)getpid(), d.cfg.socket_path, d.cfg.root);
	event_base_dispatch(d.base);
	event_free(sigterm);
	event_free(sigint);
	daemon_stop(&d);
	log_info("stopped");
	return 0;
}
