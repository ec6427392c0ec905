/* test_core.c - the router, filters, the network codecs and berthd's
 * option parsing: pure logic, no daemon, no kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/container.h"
#include "core/filters.h"
#include "core/network.h"
#include "core/router.h"
#include "core/util.h"

static void handler_a(struct api *api, struct http_req *req, char **params)
{
	(void)api, (void)req, (void)params;
}

static const struct api_route routes[] = {
	{"GET", "/networks", handler_a},	 {"GET", "/networks/{id}", handler_a},
	{"POST", "/networks/create", handler_a}, {"POST", "/networks/{id}/connect", handler_a},
	{"DELETE", "/networks/{id}", handler_a}, {0},
};
static const struct api_route *const tables[] = {routes};

static enum router_result match(const char *method, const char *path, const struct api_route **r,
				char *p[ROUTER_MAX_PARAMS])
{
	memset(p, 0, sizeof(char *) * ROUTER_MAX_PARAMS);
	return router_match(tables, 1, method, path, r, p);
}

static void test_router_match(void **state)
{
	const struct api_route *r;
	char *p[ROUTER_MAX_PARAMS];

	(void)state;
	assert_int_equal(match("GET", "/networks", &r, p), ROUTER_FOUND);
	assert_string_equal(r->pattern, "/networks");
	assert_int_equal(match("GET", "/networks/", &r, p), ROUTER_FOUND);
	assert_int_equal(match("HEAD", "/networks/abc", &r, p), ROUTER_FOUND);
	assert_string_equal(p[0], "abc");
	free(p[0]);
	assert_int_equal(match("POST", "/networks/create", &r, p), ROUTER_FOUND);
	assert_string_equal(r->pattern, "/networks/create");
	assert_int_equal(match("POST", "/networks/n1/connect", &r, p), ROUTER_FOUND);
	assert_string_equal(p[0], "n1");
	free(p[0]);
	assert_int_equal(match("PUT", "/networks/n1", &r, p), ROUTER_NO_METHOD);
	assert_int_equal(match("GET", "/networks//connect", &r, p), ROUTER_NO_PATH);
	assert_int_equal(match("GET", "/nothing", &r, p), ROUTER_NO_PATH);
	assert_int_equal(match("GET", "/networksx", &r, p), ROUTER_NO_PATH);
}

static const struct api_route star_routes[] = {
	{"GET", "/images/json", handler_a},
	{"GET", "/images/{name*}/json", handler_a},
	{"POST", "/images/{name*}/tag", handler_a},
	{"DELETE", "/images/{name*}", handler_a},
	{0},
};
static const struct api_route *const star_tables[] = {star_routes};

/* {name*} captures image names with slashes and registry ports. */
static void test_router_star(void **state)
{
	const struct api_route *r;
	char *p[ROUTER_MAX_PARAMS] = {0};
	static const struct {
		const char *method, *path, *pattern, *param;
	} ok[] = {
		{"GET", "/images/json", "/images/json", NULL},
		{"GET", "/images/busybox/json", "/images/{name*}/json", "busybox"},
		{"GET", "/images/library/busybox:1/json", "/images/{name*}/json",
		 "library/busybox:1"},
		{"GET", "/images/localhost:5000/a/b/json/", "/images/{name*}/json",
		 "localhost:5000/a/b"},
		{"POST", "/images/a/b/tag", "/images/{name*}/tag", "a/b"},
		{"DELETE", "/images/localhost:5000/x:v1", "/images/{name*}", "localhost:5000/x:v1"},
		{"DELETE", "/images/a/json", "/images/{name*}", "a/json"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(router_match(star_tables, 1, ok[i].method, ok[i].path, &r, p),
				 ROUTER_FOUND);
		assert_string_equal(r->pattern, ok[i].pattern);
		if (ok[i].param)
			assert_string_equal(p[0], ok[i].param);
		else
			assert_null(p[0]);
		free(p[0]);
		p[0] = NULL;
	}
	assert_int_equal(router_match(star_tables, 1, "GET", "/images//json", &r, p),
			 ROUTER_NO_PATH);
	assert_int_equal(router_match(star_tables, 1, "GET", "/images/a//json", &r, p),
			 ROUTER_NO_PATH);
	assert_int_equal(router_match(star_tables, 1, "POST", "/images/tag", &r, p),
			 ROUTER_NO_METHOD);
	assert_int_equal(router_match(star_tables, 1, "PUT", "/images/a/b", &r, p),
			 ROUTER_NO_METHOD);
}

static void test_router_version(void **state)
{
	unsigned v;

	(void)state;
	assert_string_equal(router_strip_version("/v1.41/networks", &v), "/networks");
	assert_int_equal(v, 141);
	assert_string_equal(router_strip_version("/v1.12/_ping", &v), "/_ping");
	assert_int_equal(v, 112);
	assert_string_equal(router_strip_version("/v1.41", &v), "/");
	assert_string_equal(router_strip_version("/networks", &v), "/networks");
	assert_int_equal(v, 0);
	assert_string_equal(router_strip_version("/v1/networks", &v), "/v1/networks");
	assert_string_equal(router_strip_version("/vx.1/a", &v), "/vx.1/a");
	assert_string_equal(router_strip_version("/v1.41x/a", &v), "/v1.41x/a");
}

static const char *const allowed[] = {"name", "label", "driver", NULL};

static void test_filters_encodings(void **state)
{
	struct berr *err = NULL;
	json_t *f, *labels;

	(void)state;
	/* the CLI's encoding */
	assert_int_equal(filters_parse("{\"name\":{\"n1\":true,\"n2\":true}}", allowed, &f, &err),
			 0);
	assert_true(filters_match_exact(f, "name", "n2"));
	assert_false(filters_match_exact(f, "name", "n3"));
	assert_true(filters_match_exact(f, "driver", "anything"));
	json_decref(f);
	/* docker-py's encoding */
	assert_int_equal(filters_parse("{\"driver\":[\"bridge\"]}", allowed, &f, &err), 0);
	assert_true(filters_match_exact(f, "driver", "bridge"));
	assert_false(filters_match_exact(f, "driver", "host"));
	json_decref(f);
	/* labels: AND of all values */
	labels = json_pack("{s:s, s:s}", "env", "dev", "team", "");
	assert_int_equal(filters_parse("{\"label\":[\"env=dev\",\"team\"]}", allowed, &f, &err), 0);
	assert_true(filters_match_labels(f, "label", labels));
	json_decref(f);
	assert_int_equal(filters_parse("{\"label\":[\"env=prod\"]}", allowed, &f, &err), 0);
	assert_false(filters_match_labels(f, "label", labels));
	json_decref(f);
	json_decref(labels);
	/* empty */
	assert_int_equal(filters_parse("{}", allowed, &f, &err), 0);
	json_decref(f);
	assert_int_equal(filters_parse(NULL, allowed, &f, &err), 0);
	json_decref(f);
}

static void test_filters_errors(void **state)
{
	struct berr *err = NULL;
	json_t *f = NULL;

	(void)state;
	assert_int_equal(filters_parse("{\"bogus\":[\"x\"]}", allowed, &f, &err), -EINVAL);
	assert_string_equal(err->msg, "invalid filter 'bogus'");
	berr_freep(&err);
	assert_int_equal(filters_parse("{not json", allowed, &f, &err), -EINVAL);
	berr_freep(&err);
	assert_int_equal(filters_parse("[1]", allowed, &f, &err), -EINVAL);
	berr_freep(&err);
	assert_int_equal(filters_parse("{\"name\":[1]}", allowed, &f, &err), -EINVAL);
	berr_freep(&err);
	assert_int_equal(filters_parse("{\"name\":\"x\"}", allowed, &f, &err), -EINVAL);
	berr_freep(&err);
}

static void test_filters_time(void **state)
{
	struct timespec ts, now;
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(filters_time("1700000000", &ts, &err), 0);
	assert_int_equal(ts.tv_sec, 1700000000);
	assert_int_equal(filters_time("1700000000.5", &ts, &err), 0);
	assert_int_equal(ts.tv_nsec, 500000000);
	assert_int_equal(filters_time("2023-11-14T22:13:20Z", &ts, &err), 0);
	assert_int_equal(ts.tv_sec, 1700000000);
	clock_gettime(CLOCK_REALTIME, &now);
	assert_int_equal(filters_time("1h30m", &ts, &err), 0);
	assert_true(labs((long)(now.tv_sec - 5400 - ts.tv_sec)) <= 1);
	assert_int_equal(filters_time("10x", &ts, &err), -EINVAL);
	berr_freep(&err);
	assert_int_equal(filters_time("h", &ts, &err), -EINVAL);
	berr_freep(&err);
}

static json_t *load(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	return j;
}

/* A create body is parsed, refused, or kept as asked. */
static int create(const char *body, struct network **net, struct berr **err)
{
	json_t *j = load(body);
	int r = net_from_create_json(j, net, err);

	json_decref(j);
	return r;
}

static void test_net_create_json(void **state)
{
	struct network *net;
	struct berr *err = NULL;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(
		create("{\"Name\":\"net1\",\"Driver\":\"bridge\",\"EnableIPv6\":true,"
		       "\"IPAM\":{\"Driver\":\"default\",\"Options\":{\"foo\":\"bar\"},"
		       "\"Config\":[{\"Subnet\":\"fd00:1::/64\"},{\"Subnet\":\"10.10.0.0/16\","
		       "\"IPRange\":\"10.10.1.0/24\",\"Gateway\":\"10.10.0.1\","
		       "\"AuxiliaryAddresses\":{\"host1\":\"10.10.0.5\"}}]},"
		       "\"Internal\":true,\"Attachable\":true,\"Ingress\":false,\"ConfigOnly\":"
		       "false,"
		       "\"ConfigFrom\":null,\"Options\":{\"com.docker.network.bridge.name\":\"br-"
		       "x\"},"
		       "\"Labels\":{\"a\":\"b\",\"c\":\"\"},\"CheckDuplicate\":true}",
		       &net, &err),
		0);
	assert_string_equal(net->name, "net1");
	assert_true(net->internal && net->attachable && net->enable_ipv6);
	assert_int_equal(net->n_ipam, 2);
	/* IPv4 first */
	assert_string_equal(cidr_prefix_str(&net->ipam[0].subnet, buf), "10.10.0.0/16");
	assert_string_equal(cidr_prefix_str(&net->ipam[0].range, buf), "10.10.1.0/24");
	assert_string_equal(cidr_addr_str(&net->ipam[0].gateway, buf), "10.10.0.1");
	assert_string_equal(cidr_prefix_str(&net->ipam[1].subnet, buf), "fd00:1::/64");
	assert_string_equal(net_option(net, "com.docker.network.bridge.name", ""), "br-x");
	net_free(net);
}

static void test_net_create_refused(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"Name\":\"\"}",
		"{\"Name\":\"-x\"}",
		"{\"Name\":\"a b\"}",
		"{\"Name\":\"a/b\"}",
		"{\"Name\":5}",
		"{\"Name\":\"n\",\"Internal\":\"yes\"}",
		"{\"Name\":\"n\",\"Labels\":[]}",
		"{\"Name\":\"n\",\"Labels\":{\"a\":1}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":{}}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/33\"}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.1/16\"}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/16\","
		"\"Gateway\":\"10.1.0.1\"}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/16\","
		"\"IPRange\":\"10.1.0.0/24\"}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/16\","
		"\"AuxiliaryAddresses\":{\"a\":\"10.9.0.1\"}}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/16\"},"
		"{\"Subnet\":\"10.0.1.0/24\"}]}}",
		"{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"fd00::/64\"}]}}",
		"{\"Name\":\"n\",\"Ingress\":true}",
		"{\"Name\":\"n\",\"ConfigOnly\":true}",
		"{\"Name\":\"n\",\"Scope\":\"planet\"}",
	};
	struct network *net = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct berr *err = NULL;

		if (create(bad[i], &net, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(err);
		assert_non_null(err->msg);
		berr_free(err);
	}
}

static void test_net_name(void **state)
{
	char longname[NET_NAME_MAX + 2];

	(void)state;
	assert_int_equal(net_name_validate("a", NULL), 0);
	assert_int_equal(net_name_validate("lab_1.net-2", NULL), 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[NET_NAME_MAX] = '\0';
	assert_int_equal(net_name_validate(longname, NULL), 0);
	longname[NET_NAME_MAX] = 'a';
	longname[NET_NAME_MAX + 1] = '\0';
	assert_int_equal(net_name_validate(longname, NULL), -EINVAL);
	assert_int_equal(net_name_validate(".x", NULL), -EINVAL);
	assert_int_equal(net_name_validate("x:y", NULL), -EINVAL);
}

/* What goes to the store comes back the same. */
static void test_net_store_roundtrip(void **state)
{
	struct network *net, *back;
	struct berr *err = NULL;
	json_t *a, *b, *sa, *sb;

	(void)state;
	assert_int_equal(create("{\"Name\":\"n\",\"Labels\":{\"k\":\"v\"},\"IPAM\":{\"Config\":"
				"[{\"Subnet\":\"10.1.0.0/16\",\"Gateway\":\"10.1.0.254\"}]}}",
				&net, &err),
			 0);
	util_random_id(net->id);
	clock_gettime(CLOCK_REALTIME, &net->created);
	net->ipam[0].pool_id = xstrdup("default-10.1.0.0-16");
	sa = net_to_store_json(net);
	assert_int_equal(net_from_store_json(sa, &back, &err), 0);
	sb = net_to_store_json(back);
	assert_true(json_equal(sa, sb));
	a = net_to_json(net, NULL);
	b = net_to_json(back, NULL);
	assert_true(json_equal(a, b));
	/* the API shape: types Docker's clients insist on */
	assert_true(json_is_object(json_object_get(a, "Containers")));
	assert_true(json_is_object(json_object_get(a, "Labels")));
	assert_true(json_is_array(json_object_get(json_object_get(a, "IPAM"), "Config")));
	assert_null(json_object_get(
		json_array_get(json_object_get(json_object_get(a, "IPAM"), "Config"), 0),
		"PoolID"));
	assert_string_equal(back->ipam[0].pool_id, "default-10.1.0.0-16");
	json_decref(a);
	json_decref(b);
	json_decref(sa);
	json_decref(sb);
	net_free(net);
	net_free(back);
}

static int parse(struct config *cfg, struct berr **err, ...)
{
	char *argv[16] = {"berthd"};
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	return config_parse(argc, argv, cfg, err);
}

static void test_config(void **state)
{
	struct config cfg;
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(parse(&cfg, &err, NULL), 0);
	assert_string_equal(cfg.root, "/var/lib/berth");
	assert_string_equal(cfg.socket_path, "/run/berth/berth.sock");
	config_done(&cfg);
	assert_int_equal(parse(&cfg, &err, "--root", "/tmp/r", "--exec-root", "/tmp/e",
			       "--default-address-pool", "base=10.0.0.0/8,size=24",
			       "--default-address-pool", "base=fd00::/48,size=64", "--bip",
			       "172.30.0.1/16", "--log-level", "debug", NULL),
			 0);
	assert_string_equal(cfg.socket_path, "/tmp/e/berth.sock");
	assert_int_equal(cfg.n_pools, 2);
	assert_int_equal(cfg.pools[0].size, 24);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.bip, "172.30.0.1/16");
	config_done(&cfg);
	assert_int_equal(parse(&cfg, &err, "-H", "unix:///tmp/x.sock", NULL), 0);
	assert_string_equal(cfg.socket_path, "/tmp/x.sock");
	assert_null(cfg.dns);
	config_done(&cfg);
	/* --dns: repeatable, in normal form */
	assert_int_equal(parse(&cfg, &err, "--dns", "192.0.2.53", "--dns", "0:0::1",
			       "--resolv-conf", "/tmp/resolv.conf", NULL),
			 0);
	assert_int_equal(cfg.n_dns, 2);
	assert_string_equal(cfg.dns[0], "192.0.2.53");
	assert_string_equal(cfg.dns[1], "::1");
	assert_null(cfg.dns[2]);
	assert_string_equal(cfg.resolv_conf, "/tmp/resolv.conf");
	assert_null(cfg.cluster_store);
	config_done(&cfg);
	/* a cluster store, with this host's underlay address */
	assert_int_equal(parse(&cfg, &err, "--cluster-store", "etcd://10.200.0.2:2379,etcd-b:2379",
			       "--cluster-advertise", "10.200.0.11:2376", NULL),
			 0);
	assert_string_equal(cfg.cluster_store, "etcd://10.200.0.2:2379,etcd-b:2379");
	assert_string_equal(cfg.cluster_advertise, "10.200.0.11");
	assert_int_equal(cfg.advertise_port, 2376);
	config_done(&cfg);
	assert_int_equal(parse(&cfg, &err, "--cluster-store", "etcd://[fd00::2]:2379",
			       "--cluster-advertise", "[fd00::0:11]", NULL),
			 0);
	assert_string_equal(cfg.cluster_advertise, "fd00::11");
	assert_int_equal(cfg.advertise_port, 0);
	config_done(&cfg);
}

static void test_config_refused(void **state)
{
	struct config cfg;
	struct berr *err = NULL;

	(void)state;
	assert_int_equal(parse(&cfg, &err, "-H", "tcp://0.0.0.0:2375", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--default-address-pool", "base=10.0.0.0/8", NULL),
			 -EINVAL);
	assert_non_null(strstr(err->msg, "--default-address-pool"));
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--bip", "172.30.0.1", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--log-level", "loud", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--bridge-name", "a-very-long-bridge", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--dns", "ns1.example", NULL), -EINVAL);
	assert_non_null(strstr(err->msg, "--dns ns1.example: not an IP address"));
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--resolv-conf", "resolv.conf", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--cluster-store", "consul://10.0.0.1:8500",
			       "--cluster-advertise", "10.0.0.2", NULL),
			 -EINVAL);
	assert_non_null(strstr(err->msg, "etcd://HOST:PORT"));
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--cluster-store", "etcd://10.0.0.1",
			       "--cluster-advertise", "10.0.0.2", NULL),
			 -EINVAL);
	assert_non_null(strstr(err->msg, "\"10.0.0.1\" is not HOST:PORT"));
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--cluster-store", "etcd://10.0.0.1:2379", NULL),
			 -EINVAL);
	assert_non_null(strstr(err->msg, "--cluster-store needs --cluster-advertise"));
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--cluster-advertise", "eth0", "--cluster-store",
			       "etcd://10.0.0.1:2379", NULL),
			 -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--cluster-advertise", "10.0.0.2:0", "--cluster-store",
			       "etcd://10.0.0.1:2379", NULL),
			 -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "--nope", NULL), -EINVAL);
	berr_freep(&err);
	assert_int_equal(parse(&cfg, &err, "extra", NULL), -EINVAL);
	berr_freep(&err);
}

/* Generated names: 256 plain ones, then digits widen the space enough
 * that 5000 distinct names are found quickly (the controller's loop). */
static void test_ctr_names(void **state)
{
	char **names = calloc(5000, sizeof(*names));
	unsigned seed = 12345, tries = 0;

	(void)state;
	for (size_t n = 0; n < 5000;) {
		char *name = ctr_name_generate(seed, tries / 8);
		bool taken = false;

		assert_int_equal(ctr_name_validate(name, NULL), 0);
		for (size_t i = 0; i < n && !taken; i++)
			taken = streq(names[i], name);
		seed = seed * 1103515245u + 12345u;
		if (taken) {
			free(name);
			tries++;
			assert_true(tries < 100000);
			continue;
		}
		names[n++] = name;
		tries = 0;
	}
	for (size_t i = 0; i < 5000; i++)
		free(names[i]);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctr_names),	    cmocka_unit_test(test_router_match),
		cmocka_unit_test(test_router_star),	    cmocka_unit_test(test_router_version),
		cmocka_unit_test(test_filters_encodings),   cmocka_unit_test(test_filters_errors),
		cmocka_unit_test(test_filters_time),	    cmocka_unit_test(test_net_create_json),
		cmocka_unit_test(test_net_create_refused),  cmocka_unit_test(test_net_name),
		cmocka_unit_test(test_net_store_roundtrip), cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
