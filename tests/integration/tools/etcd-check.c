/* etcd-check - drives core/etcd.c against a real etcd for etcd.bats:
 *
 *	etcd-check ENDPOINTS COMMAND ARGS...
 *
 * put K V [LEASE]      set K, print "rev N"
 * get K                write K's value as it is (exit 3 when absent)
 * stat K               "create=N mod=N version=N lease=N len=N" (exit 3 when absent)
 * prefix P             "rev N count N", then "KEY VALUE" per key (values escaped)
 * del K, delprefix P   "deleted N"
 * create K V           "created", or "exists mod=N value=V"
 * cas K V REV          "ok" or "conflict" (REV 0: only when absent)
 * delif K REV          "ok" or "conflict"
 * alloc P N COUNT      COUNT threads each take a free integer 1..N under P:
 *                      P<i> = OWNER and /owners<P>OWNER = i in one txn;
 *                      print them, one a line
 * grant TTL            print the new lease's id
 * keepalive ID         "ttl N" (an expired lease is an error)
 * revoke ID            "revoked"
 * lease TTL HOLD K     grant TTL, put K on it, keep it alive for HOLD seconds
 *                      (a line "ttl N" per refresh), exit without revoking
 * watch P SECS [REV] [prev]  print P's events for SECS seconds (or until
 *                      SIGTERM/SIGINT) from revision REV, then
 *                      "stopped in N ms"
 *
 * Errors go to stderr as "etcd-check: MESSAGE" with exit status 1; usage
 * errors exit 2. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/etcd.h"
#include "core/util.h"

#define EXIT_ABSENT 3

static struct etcd *etcd;

static int fail(struct berr *err)
{
	fprintf(stderr, "etcd-check: %s\n", berr_msg(err));
	berr_free(err);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: etcd-check ENDPOINTS COMMAND ARGS... (see the source)\n");
	return 2;
}

static int64_t num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "etcd-check: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* Bytes as one printable word: \n, \\, \" and \xHH escaped. */
static void print_escaped(FILE *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\\' || c == '"')
			fprintf(f, "\\%c", c);
		else if (c < 0x21 || c > 0x7e)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static int cmd_put(int argc, char **argv)
{
	struct berr *err = NULL;
	int64_t rev;

	if (argc < 2)
		return usage();
	if (etcd_put(etcd, argv[0], argv[1], strlen(argv[1]), argc > 2 ? num(argv[2]) : 0, &rev,
		     &err) < 0)
		return fail(err);
	printf("rev %" PRId64 "\n", rev);
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	struct berr *err = NULL;
	struct etcd_kv *kv;
	int r;

	if (argc < 1)
		return usage();
	r = etcd_get(etcd, argv[0], &kv, &err);
	if (r < 0)
		return fail(err);
	if (r == 0)
		return EXIT_ABSENT;
	fwrite(kv->value, 1, kv->value_len, stdout);
	etcd_kv_free(kv);
	return 0;
}

static int cmd_stat(int argc, char **argv)
{
	struct berr *err = NULL;
	struct etcd_kv *kv;
	int r;

	if (argc < 1)
		return usage();
	r = etcd_get(etcd, argv[0], &kv, &err);
	if (r < 0)
		return fail(err);
	if (r == 0) {
		printf("absent\n");
		return EXIT_ABSENT;
	}
	printf("create=%" PRId64 " mod=%" PRId64 " version=%" PRId64 " lease=%" PRId64 " len=%zu\n",
	       kv->create_rev, kv->mod_rev, kv->version, kv->lease, kv->value_len);
	etcd_kv_free(kv);
	return 0;
}

static int cmd_prefix(int argc, char **argv)
{
	struct berr *err = NULL;
	struct etcd_kv *kvs;
	int64_t rev;
	size_t n;

	if (argc < 1)
		return usage();
	if (etcd_get_prefix(etcd, argv[0], &kvs, &n, &rev, &err) < 0)
		return fail(err);
	printf("rev %" PRId64 " count %zu\n", rev, n);
	for (size_t i = 0; i < n; i++) {
		printf("%s ", kvs[i].key);
		print_escaped(stdout, kvs[i].value, kvs[i].value_len);
		putchar('\n');
	}
	etcd_kvs_free(kvs, n);
	return 0;
}

static int del(int argc, char **argv, bool prefix)
{
	struct berr *err = NULL;
	int r;

	if (argc < 1)
		return usage();
	r = prefix ? etcd_delete_prefix(etcd, argv[0], &err) : etcd_delete(etcd, argv[0], &err);
	if (r < 0)
		return fail(err);
	printf("deleted %d\n", r);
	return 0;
}

static int cmd_del(int argc, char **argv)
{
	return del(argc, argv, false);
}

static int cmd_delprefix(int argc, char **argv)
{
	return del(argc, argv, true);
}

static int cmd_create(int argc, char **argv)
{
	struct berr *err = NULL;
	struct etcd_kv *old = NULL;
	int r;

	if (argc < 2)
		return usage();
	r = etcd_create(etcd, argv[0], argv[1], strlen(argv[1]), 0, &old, &err);
	if (r < 0)
		return fail(err);
	if (r == 1) {
		printf("created\n");
		return 0;
	}
	printf("exists mod=%" PRId64 " value=", old->mod_rev);
	print_escaped(stdout, old->value, old->value_len);
	putchar('\n');
	etcd_kv_free(old);
	return 0;
}

static int cas(int argc, char **argv, bool del)
{
	struct berr *err = NULL;
	int r;

	if (argc < (del ? 2 : 3))
		return usage();
	if (del)
		r = etcd_delete_if(etcd, argv[0], num(argv[1]), &err);
	else
		r = etcd_cas(etcd, argv[0], argv[1], strlen(argv[1]), 0, num(argv[2]), &err);
	if (r < 0)
		return fail(err);
	printf("%s\n", r ? "ok" : "conflict");
	return 0;
}

static int cmd_cas(int argc, char **argv)
{
	return cas(argc, argv, false);
}

static int cmd_delif(int argc, char **argv)
{
	return cas(argc, argv, true);
}

struct alloc {
	pthread_t thread;
	const char *prefix;
	int64_t size;
	unsigned seed;
	int64_t index;
	int64_t got; /* 0: none */
	struct berr *err;
};

/* Take a free integer: probe from a random one, each try one txn that
 * claims it and records the owner. */
static void *alloc_thread(void *arg)
{
	struct alloc *a = arg;
	int64_t start = rand_r(&a->seed) % a->size;
	_cleanup_free_ char *owner = xasprintf("%d.%" PRId64, getpid(), a->index);
	_cleanup_free_ char *rec = xasprintf("/owners%s%s", a->prefix, owner);

	for (int64_t i = 0; i < a->size && !a->err; i++) {
		int64_t v = (start + i) % a->size + 1;
		_cleanup_free_ char *key = xasprintf("%s%" PRId64, a->prefix, v);
		_cleanup_free_ char *val = xasprintf("%" PRId64, v);
		const struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_CREATE};
		const struct etcd_op ops[] = {
			{.type = ETCD_OP_PUT,
			 .key = key,
			 .value = owner,
			 .value_len = strlen(owner)},
			{.type = ETCD_OP_PUT, .key = rec, .value = val, .value_len = strlen(val)},
		};

		if (etcd_txn(etcd, &cmp, 1, ops, ARRAY_SIZE(ops), NULL, &a->err) == 1) {
			a->got = v;
			break;
		}
	}
	return NULL;
}

static int cmd_alloc(int argc, char **argv)
{
	struct alloc *as;
	int64_t count;
	int rc = 0;

	if (argc < 3)
		return usage();
	count = num(argv[2]);
	as = xcalloc((size_t)count, sizeof(*as));
	for (int64_t i = 0; i < count; i++) {
		as[i].prefix = argv[0];
		as[i].size = num(argv[1]);
		as[i].index = i;
		as[i].seed = (unsigned)(getpid() * 1000 + i);
		if (pthread_create(&as[i].thread, NULL, alloc_thread, &as[i]))
			abort();
	}
	for (int64_t i = 0; i < count; i++) {
		pthread_join(as[i].thread, NULL);
		if (as[i].err)
			rc = fail(as[i].err);
		else if (!as[i].got) {
			fprintf(stderr, "etcd-check: the pool is exhausted\n");
			rc = 1;
		} else
			printf("%" PRId64 "\n", as[i].got);
	}
	free(as);
	return rc;
}

static int cmd_grant(int argc, char **argv)
{
	struct berr *err = NULL;
	int64_t id;

	if (argc < 1)
		return usage();
	if (etcd_lease_grant(etcd, num(argv[0]), &id, &err) < 0)
		return fail(err);
	printf("%" PRId64 "\n", id);
	return 0;
}

static int cmd_keepalive(int argc, char **argv)
{
	struct berr *err = NULL;
	int64_t ttl;

	if (argc < 1)
		return usage();
	if (etcd_lease_keepalive(etcd, num(argv[0]), &ttl, &err) < 0)
		return fail(err);
	printf("ttl %" PRId64 "\n", ttl);
	return 0;
}

static int cmd_revoke(int argc, char **argv)
{
	struct berr *err = NULL;

	if (argc < 1)
		return usage();
	if (etcd_lease_revoke(etcd, num(argv[0]), &err) < 0)
		return fail(err);
	printf("revoked\n");
	return 0;
}

static int cmd_lease(int argc, char **argv)
{
	struct berr *err = NULL;
	int64_t id, ttl, hold_ns;
	uint64_t t0 = util_now_ns();

	if (argc < 3)
		return usage();
	ttl = num(argv[0]);
	hold_ns = num(argv[1]) * 1000000000LL;
	if (etcd_lease_grant(etcd, ttl, &id, &err) < 0 ||
	    etcd_put(etcd, argv[2], "held", 4, id, NULL, &err) < 0)
		return fail(err);
	printf("lease %" PRId64 "\n", id);
	fflush(stdout);
	while (util_now_ns() - t0 < (uint64_t)hold_ns) {
		int64_t left;

		usleep((useconds_t)(ttl * 1000000 / 3));
		if (etcd_lease_keepalive(etcd, id, &left, &err) < 0)
			return fail(err);
		printf("ttl %" PRId64 "\n", left);
		fflush(stdout);
	}
	return 0;
}

static void print_kv_event(const struct etcd_event *ev)
{
	printf(" %s mod=%" PRId64, ev->kv->key, ev->kv->mod_rev);
	if (ev->type == ETCD_EVENT_PUT) {
		printf(" value=");
		print_escaped(stdout, ev->kv->value, ev->kv->value_len);
	}
	if (ev->prev_kv) {
		printf(" prev=");
		print_escaped(stdout, ev->prev_kv->value, ev->prev_kv->value_len);
	}
}

/* Runs on the watch's thread. */
static void watch_event(void *arg, const struct etcd_event *ev)
{
	(void)arg;
	printf("%s", etcd_event_type_to_string(ev->type));
	switch (ev->type) {
	case ETCD_EVENT_PUT:
	case ETCD_EVENT_DELETE:
		print_kv_event(ev);
		break;
	case ETCD_EVENT_RESYNC:
		printf(" rev=%" PRId64 " count=%zu", ev->revision, ev->n_kvs);
		for (size_t i = 0; i < ev->n_kvs; i++)
			printf(" %s", ev->kvs[i].key);
		break;
	case ETCD_EVENT_CONNECTED:
		printf(" rev=%" PRId64, ev->revision);
		break;
	case ETCD_EVENT_DISCONNECTED:
		printf(" %s", ev->error);
		break;
	}
	putchar('\n');
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	struct berr *err = NULL;
	struct etcd_watch *w;
	struct timespec ts = {0};
	unsigned flags = 0;
	sigset_t set;
	uint64_t t0;

	if (argc < 2)
		return usage();
	ts.tv_sec = (time_t)num(argv[1]);
	if (argc > 3 && streq(argv[3], "prev"))
		flags |= ETCD_WATCH_PREV_KV;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (etcd_watch_start(etcd, argv[0], argc > 2 ? num(argv[2]) : 0, flags, watch_event, NULL,
			     &w, &err) < 0)
		return fail(err);
	sigtimedwait(&set, NULL, &ts);
	t0 = util_now_ns();
	etcd_watch_stop(w);
	printf("stopped in %" PRIu64 " ms\n", (util_now_ns() - t0) / 1000000);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{"put", cmd_put},	{"get", cmd_get},     {"stat", cmd_stat},
	{"prefix", cmd_prefix}, {"del", cmd_del},     {"delprefix", cmd_delprefix},
	{"create", cmd_create}, {"cas", cmd_cas},     {"delif", cmd_delif},
	{"alloc", cmd_alloc},	{"grant", cmd_grant}, {"keepalive", cmd_keepalive},
	{"revoke", cmd_revoke}, {"lease", cmd_lease}, {"watch", cmd_watch},
};

int main(int argc, char **argv)
{
	struct berr *err = NULL;
	int rc = -1;

	if (argc < 3)
		return usage();
	if (etcd_open(argv[1], &etcd, &err) < 0)
		return fail(err);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (streq(argv[2], cmds[i].name))
			rc = cmds[i].fn(argc - 3, argv + 3);
	etcd_close(etcd);
	return rc < 0 ? usage() : rc;
}
