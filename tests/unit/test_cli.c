/* test_cli.c - unit tests of the berth CLI's library code: option parsing
 * by a command's table, the network-create body (grouping under subnets and
 * every refusal), filters encoding, the template subset, the tabwriter
 * layout and the sorted `network ls` rows.  No daemon involved. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmd-container.h"
#include "cli/cmd-exec.h"
#include "cli/cmd-network.h"
#include "cli/format.h"
#include "cli/netcfg.h"
#include "cli/table.h"
#include "cli/tmpl.h"
#include "core/util.h"

/* --- option parsing --- */

struct t_opts {
	bool quiet, force;
	char *format;
	struct strv filters;
	struct opts_optbool ipv6;
};

static const struct opts_def t_defs[] = {
	{"quiet", 'q', OPTS_BOOL, offsetof(struct t_opts, quiet), NULL, "quiet"},
	{"force", 0, OPTS_BOOL, offsetof(struct t_opts, force), NULL, "force"},
	{"format", 0, OPTS_STRING, offsetof(struct t_opts, format), "string", "format"},
	{"filter", 'f', OPTS_LIST, offsetof(struct t_opts, filters), "filter", "filter"},
	{"ipv6", 0, OPTS_OPTBOOL, offsetof(struct t_opts, ipv6), NULL, "ipv6"},
	OPTS_END,
};

/* Parse a NULL-terminated argument list (argv[0] is the command). */
static int t_parse(struct t_opts *o, struct strv *args, struct berr **err, ...)
{
	struct strv argv = {0};
	va_list ap;
	const char *s;
	int r;

	strv_push(&argv, "cmd");
	va_start(ap, err);
	while ((s = va_arg(ap, const char *)))
		strv_push(&argv, s);
	va_end(ap);
	memset(o, 0, sizeof(*o));
	r = opts_parse(t_defs, o, (int)argv.n, argv.v, args, err);
	strv_done(&argv);
	return r;
}

static void test_opts_forms(void **state)
{
	struct t_opts o;
	struct strv args = {0};

	(void)state;
	assert_int_equal(t_parse(&o, &args, NULL, "--format={{.ID}}", "-f", "a=1", "--filter",
				 "b=2", "--filter=c=3", "pos", "--force", NULL),
			 0);
	assert_string_equal(o.format, "{{.ID}}");
	assert_int_equal(o.filters.n, 3);
	assert_string_equal(o.filters.v[0], "a=1");
	assert_string_equal(o.filters.v[1], "b=2");
	assert_string_equal(o.filters.v[2], "c=3");
	assert_true(o.force);
	assert_false(o.quiet);
	assert_false(o.ipv6.set);
	assert_int_equal(args.n, 1);
	assert_string_equal(args.v[0], "pos");
	opts_free(t_defs, &o);
	strv_done(&args);
}

static void test_opts_short_cluster_and_bools(void **state)
{
	struct t_opts o;
	struct strv args = {0};

	(void)state;
	assert_int_equal(t_parse(&o, &args, NULL, "-qf", "x=y", "--ipv6=false", NULL), 0);
	assert_true(o.quiet);
	assert_int_equal(o.filters.n, 1);
	assert_string_equal(o.filters.v[0], "x=y");
	assert_true(o.ipv6.set);
	assert_false(o.ipv6.value);
	opts_free(t_defs, &o);
	assert_int_equal(t_parse(&o, &args, NULL, "-qfa=b", "--ipv6", "--", "-x", NULL), 0);
	assert_string_equal(o.filters.v[0], "a=b");
	assert_true(o.ipv6.set && o.ipv6.value);
	assert_int_equal(args.n, 1);
	assert_string_equal(args.v[0], "-x");
	opts_free(t_defs, &o);
	strv_done(&args);
}

/* Parse and expect a refusal with message want. */
static void t_refused(const char *want, const char *a1, const char *a2)
{
	struct berr *err = NULL;
	struct strv args = {0};
	struct t_opts o;

	assert_true(t_parse(&o, &args, &err, a1, a2, NULL) < 0);
	assert_string_equal(berr_msg(err), want);
	berr_free(err);
	opts_free(t_defs, &o);
	strv_done(&args);
}

static void test_opts_errors(void **state)
{
	struct strv args = {0};
	struct t_opts o;

	(void)state;
	t_refused("unknown flag: --bogus", "--bogus", NULL);
	t_refused("unknown flag: --for", "--for", NULL); /* no abbreviations */
	t_refused("unknown shorthand flag: 'x' in -x", "-x", NULL);
	t_refused("flag needs an argument: --format", "--format", NULL);
	t_refused("flag needs an argument: 'f' in -f", "-f", NULL);
	t_refused("invalid argument \"maybe\" for \"--ipv6\" flag: strconv.ParseBool: parsing "
		  "\"maybe\": invalid syntax",
		  "--ipv6=maybe", NULL);
	assert_int_equal(t_parse(&o, &args, NULL, "--help", NULL), 1);
	opts_free(t_defs, &o);
	assert_int_equal(t_parse(&o, &args, NULL, "-h", NULL), 1);
	opts_free(t_defs, &o);
	strv_done(&args);
}

static void test_cmd_table(void **state)
{
	static const char *const want[][2] = {
		{NULL, "version"},    {NULL, "info"},	      {"network", "create"},
		{"network", "ls"},    {"network", "inspect"}, {"network", "rm"},
		{"network", "prune"}, {NULL, "run"},	      {NULL, "ps"},
		{"container", "ls"},  {"container", "run"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		bool found = false;

		for (size_t k = 0; cmd_table[k]; k++) {
			const struct cmd_entry *e = cmd_table[k];

			if (streq(e->name, want[i][1]) &&
			    (e->group == NULL) == (want[i][0] == NULL))
				found = true;
		}
		assert_true(found);
	}
}

/* --- network create body --- */

static struct strv t_strv(const char *s)
{
	struct strv sv = {0};
	_cleanup_free_ char *copy = xstrdup(s ? s : "");
	char *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		strv_push(&sv, w);
	return sv;
}

/* IPAM.Config for the space-separated values, as compact JSON (or the error
 * message). */
static char *t_ipam(const char *subnets, const char *ranges, const char *gateways, const char *aux)
{
	struct strv s = t_strv(subnets), r = t_strv(ranges), g = t_strv(gateways), a = t_strv(aux);
	struct berr *err = NULL;
	json_t *cfg = NULL;
	char *out;

	if (netcfg_ipam_config(&s, &r, &g, &a, &cfg, &err) < 0)
		out = xstrdup(berr_msg(err));
	else
		out = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	berr_free(err);
	strv_done(&s);
	strv_done(&r);
	strv_done(&g);
	strv_done(&a);
	return out;
}

static void t_ipam_is(const char *want, const char *s, const char *r, const char *g, const char *a)
{
	char *got = t_ipam(s, r, g, a);

	assert_string_equal(got, want);
	free(got);
}

static void test_netcfg_grouping(void **state)
{
	(void)state;
	t_ipam_is("[]", NULL, NULL, NULL, NULL);
	t_ipam_is("[{\"Subnet\":\"10.1.0.0/16\"}]", "10.1.0.0/16", NULL, NULL, NULL);
	t_ipam_is("[{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"10.1.1.0/24\",\"Gateway\":"
		  "\"10.1.0.1\",\"AuxiliaryAddresses\":{\"h1\":\"10.1.0.5\",\"h2\":\"10.1.0.6\"}}]",
		  "10.1.0.0/16", "10.1.1.0/24", "10.1.0.1", "h1=10.1.0.5 h2=10.1.0.6");
	/* v4 and v6, values given in the other order than the subnets */
	t_ipam_is(
		"[{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"10.1.2.0/24\",\"Gateway\":"
		"\"10.1.0.254\",\"AuxiliaryAddresses\":{\"a\":\"10.1.0.9\"}},"
		"{\"Subnet\":\"fd00:1::/64\",\"IPRange\":\"fd00:1::/80\",\"Gateway\":\"fd00:1::1\","
		"\"AuxiliaryAddresses\":{\"b\":\"fd00:1::9\"}}]",
		"10.1.0.0/16 fd00:1::/64", "fd00:1::/80 10.1.2.0/24", "fd00:1::1 10.1.0.254",
		"b=fd00:1::9 a=10.1.0.9");
	/* two v4 subnets: each value goes to its own */
	t_ipam_is("[{\"Subnet\":\"10.1.0.0/16\",\"Gateway\":\"10.1.0.1\"},"
		  "{\"Subnet\":\"10.2.0.0/16\",\"Gateway\":\"10.2.0.1\"}]",
		  "10.1.0.0/16 10.2.0.0/16", NULL, "10.2.0.1 10.1.0.1", NULL);
	/* host bits are the daemon's business */
	t_ipam_is("[{\"Subnet\":\"10.1.2.3/16\",\"Gateway\":\"10.1.0.1\"}]", "10.1.2.3/16", NULL,
		  "10.1.0.1", NULL);
}

static void test_netcfg_refusals(void **state)
{
	(void)state;
	t_ipam_is("every ip-range or gateway must have a corresponding subnet", NULL, NULL,
		  "10.1.0.1", NULL);
	t_ipam_is("every ip-range or gateway must have a corresponding subnet", NULL, "10.1.0.0/24",
		  NULL, NULL);
	t_ipam_is("every ip-range or gateway must have a corresponding subnet", "10.1.0.0/16",
		  "10.1.0.0/24 10.1.1.0/24", NULL, NULL);
	t_ipam_is("cannot configure multiple ranges (10.1.1.0/24, 10.1.0.0/24) on the same "
		  "subnet (10.1.0.0/16)",
		  "10.1.0.0/16 10.2.0.0/16", "10.1.0.0/24 10.1.1.0/24", NULL, NULL);
	t_ipam_is("cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet "
		  "(10.1.0.0/16)",
		  "10.1.0.0/16 10.2.0.0/16", NULL, "10.1.0.1 10.1.0.2", NULL);
	t_ipam_is("multiple overlapping subnet configuration is not supported",
		  "10.1.0.0/16 10.1.0.0/24", NULL, NULL, NULL);
	t_ipam_is("multiple overlapping subnet configuration is not supported",
		  "10.1.5.0/24 10.0.0.0/8", NULL, NULL, NULL);
	t_ipam_is("multiple overlapping subnet configuration is not supported",
		  "fd00::/64 fd00::/48", NULL, NULL, NULL);
	t_ipam_is("no matching subnet for gateway 10.2.0.1", "10.1.0.0/16", NULL, "10.2.0.1", NULL);
	t_ipam_is("no matching subnet for gateway fd00::1", "10.1.0.0/16", NULL, "fd00::1", NULL);
	t_ipam_is("no matching subnet for gateway foo", "10.1.0.0/16", NULL, "foo", NULL);
	t_ipam_is("no matching subnet for range 10.2.0.0/24", "10.1.0.0/16", "10.2.0.0/24", NULL,
		  NULL);
	t_ipam_is("no matching subnet for aux-address 10.2.0.1", "10.1.0.0/16", NULL, NULL,
		  "a=10.2.0.1");
	t_ipam_is("no matching subnet for aux-address ", "10.1.0.0/16", NULL, NULL, "a");
	t_ipam_is("invalid subnet: invalid CIDR address: foo", "foo 10.1.0.0/16", NULL, NULL, NULL);
	t_ipam_is("invalid CIDR address: 10.1.0.0/99", "10.1.0.0/16", "10.1.0.0/99", NULL, NULL);
}

static void test_netcfg_body(void **state)
{
	struct netcfg_opts o = {0};
	struct berr *err = NULL;
	json_t *body = NULL;
	char *s;

	(void)state;
	strv_push(&o.subnets, "10.10.0.0/16");
	strv_push(&o.gateways, "10.10.0.1");
	strv_push(&o.opts, "mtu=1400");
	strv_push(&o.labels, "a=b");
	strv_push(&o.labels, "c");
	strv_push(&o.ipam_opts, "foo=bar");
	o.ipv6 = (struct opts_optbool){true, true};
	o.internal = true;
	assert_int_equal(netcfg_body("net1", &o, &body, NULL), 0);
	s = json_dumps(body, JSON_COMPACT);
	assert_string_equal(s, "{\"Driver\":\"bridge\",\"Scope\":\"\",\"EnableIPv6\":true,\"IPAM\":"
			       "{\"Driver\":\"default\",\"Options\":{\"foo\":\"bar\"},\"Config\":"
			       "[{\"Subnet\":\"10.10.0.0/16\",\"Gateway\":\"10.10.0.1\"}]},"
			       "\"Internal\":true,\"Attachable\":false,\"Ingress\":false,"
			       "\"ConfigOnly\":false,\"ConfigFrom\":null,\"Options\":{\"mtu\":"
			       "\"1400\"},\"Labels\":{\"a\":\"b\",\"c\":\"\"},\"Name\":\"net1\","
			       "\"CheckDuplicate\":true}");
	free(s);
	json_decref(body);
	/* --ipv4=false is sent; a label without a name is refused */
	o.ipv4 = (struct opts_optbool){true, false};
	o.config_from = xstrdup("cfg");
	assert_int_equal(netcfg_body("n", &o, &body, NULL), 0);
	assert_true(json_is_false(json_object_get(body, "EnableIPv4")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(body, "ConfigFrom"), "Network")),
		"cfg");
	json_decref(body);
	strv_push(&o.labels, "=x");
	assert_int_equal(netcfg_body("n", &o, &body, &err), -EINVAL);
	assert_string_equal(berr_msg(err), "invalid label '=x': empty name");
	berr_free(err);
	free(o.config_from);
	strv_done(&o.subnets);
	strv_done(&o.gateways);
	strv_done(&o.opts);
	strv_done(&o.labels);
	strv_done(&o.ipam_opts);
}

/* --- filters --- */

static void test_filters(void **state)
{
	struct strv f = {0};
	struct berr *err = NULL;
	char *s = NULL;

	(void)state;
	assert_int_equal(format_filters_json(&f, &s, NULL), 0);
	assert_null(s);
	strv_push(&f, "label=env=dev");
	strv_push(&f, "Name=net");
	strv_push(&f, "label=team");
	assert_int_equal(format_filters_json(&f, &s, NULL), 0);
	assert_string_equal(s,
			    "{\"label\":{\"env=dev\":true,\"team\":true},\"name\":{\"net\":true}}");
	free(s);
	strv_push(&f, "bogus");
	assert_int_equal(format_filters_json(&f, &s, &err), -EINVAL);
	assert_string_equal(berr_msg(err), "bad format of filter (expected name=value)");
	berr_free(err);
	strv_done(&f);
}

/* --- templates --- */

static char *t_render(const char *text, const char *data)
{
	json_t *j = json_loads(data, 0, NULL);
	struct berr *err = NULL;
	struct tmpl *t = NULL;
	char *out = NULL;

	assert_non_null(j);
	if (tmpl_parse(text, &t, &err) < 0 || tmpl_render(t, j, &out, &err) < 0)
		out = xstrdup(berr_msg(err));
	tmpl_free(t);
	berr_free(err);
	json_decref(j);
	return out;
}

static void t_render_is(const char *want, const char *text, const char *data)
{
	char *got = t_render(text, data);

	assert_string_equal(got, want);
	free(got);
}

static void test_tmpl(void **state)
{
	static const char *net = "{\"Name\":\"lab\",\"Id\":\"abc\",\"Internal\":true,\"MTU\":1400,"
				 "\"Labels\":{\"env\":\"dev\",\"a\":\"1\"},\"Options\":{},"
				 "\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/24\",\"Gateway\":"
				 "\"10.0.0.1\"},{\"Subnet\":\"fd00::/64\"}]},\"N\":null}";

	(void)state;
	t_render_is("lab\tabc", "{{.Name}}\t{{.Id}}", net);
	t_render_is("abc abc", "{{.ID}} {{.id}}", net); /* any case, as docker's fallback */
	t_render_is("true 1400", "{{.Internal}} {{.MTU}}", net);
	t_render_is("map[a:1 env:dev] dev dev",
		    "{{.Labels}} {{.Labels.env}} {{index .Labels \"env\"}}", net);
	t_render_is("{\"env\":\"dev\",\"a\":\"1\"}", "{{json .Labels}}", net);
	t_render_is("10.0.0.0/24 via 10.0.0.1, fd00::/64 via , ",
		    "{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}, {{end}}", net);
	t_render_is("yes", "{{if .Internal}}yes{{else}}no{{end}}", net);
	t_render_is("none", "{{range .Options}}x{{else}}none{{end}}", net);
	t_render_is("LAB 2", "{{.Name | upper}} {{len .IPAM.Config}}", net);
	t_render_is("1,dev,", "{{range .Labels}}{{.}},{{end}}",
		    "{\"Labels\":{\"b\":\"dev\",\"a\":\"1\"}}"
		    "");
	t_render_is("a-b 2", "{{join .L \"-\"}} {{split \"c-d\" \"-\" | len}}",
		    "{\"L\":[\"a\",\"b\"]}");
	t_render_is("x\ny", "{{- \"x\" }}\n  {{- \"\\n\" -}}  \n{{\"y\"}}", "{}");
	t_render_is("<no value>|", "{{.N}}|{{.Missing}}", net);
	t_render_is("dev ", "{{.Labels \"env\"}} {{.Labels \"nope\"}}", net);
	t_render_is("lab", "{{with .Name}}{{.}}{{end}}", net);
	t_render_is("template parsing error: unclosed action", "{{.Name", net);
	t_render_is("template parsing error: unexpected EOF", "{{range .X}}", net);
	t_render_is("template parsing error: template: :1: unexpected {{end}}", "{{end}}", net);
	t_render_is("template parsing error: template: :1: function \"nope\" not defined",
		    "{{nope .X}}", net);
}

static void test_tmpl_value_str(void **state)
{
	json_t *j = json_loads("[1.5, 3, \"s\", [true, false], null]", 0, NULL);
	char *s = tmpl_value_str(j);

	(void)state;
	assert_string_equal(s, "[1.5 3 s [true false] <no value>]");
	free(s);
	json_decref(j);
}

/* --- tables, rows, formats --- */

static void test_table_layout(void **state)
{
	struct table t;
	char *s;

	(void)state;
	table_init(&t, 10, 3);
	table_add(&t, "NETWORK ID\tNAME\tDRIVER\tSCOPE\n");
	table_add(&t, "0123456789ab\tbridge\tbridge\tlocal\n");
	table_add(&t, "ba9876543210\ta-long-network-name\tnull\tlocal\n");
	s = table_render(&t);
	assert_string_equal(s, "NETWORK ID     NAME                  DRIVER    SCOPE\n"
			       "0123456789ab   bridge                bridge    local\n"
			       "ba9876543210   a-long-network-name   null      local\n");
	free(s);
	table_done(&t);
	/* a line without tabs ends a column block */
	table_init(&t, 0, 1);
	table_add(&t, "a\tx\nlong-cell\ty\nbreak\nb\tz\n");
	s = table_render(&t);
	assert_string_equal(s, "a         x\nlong-cell y\nbreak\nb z\n");
	free(s);
	table_done(&t);
}

static json_t *t_networks(void)
{
	return json_loads(
		"[{\"Name\":\"net10\",\"Id\":\"1111111111111111aaaa\",\"Driver\":\"bridge\","
		"\"Scope\":\"local\",\"Labels\":{\"env\":\"dev\",\"a\":\"\"},"
		"\"Created\":\"2025-01-02T03:04:05.120000000Z\",\"EnableIPv6\":true},"
		"{\"Name\":\"bridge\",\"Id\":\"2222222222222222bbbb\",\"Driver\":\"bridge\","
		"\"Scope\":\"local\",\"Labels\":{},\"Created\":\"2025-01-02T03:04:05Z\"},"
		"{\"Name\":\"net2\",\"Id\":\"3333333333333333cccc\",\"Driver\":\"null\","
		"\"Scope\":\"local\",\"Internal\":true}]",
		0, NULL);
}

/* network ls output for format over t_networks. */
static char *t_ls(const char *format, bool quiet, bool no_trunc)
{
	json_t *list = t_networks(), *rows = network_ls_rows(list, no_trunc);
	json_t *header = network_ls_header();
	struct format_list fl = {
		.format = format,
		.def = quiet ? "{{.ID}}" : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
		.rows = rows,
		.header = header,
		.json_skip = "Label",
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(format_list_print(&fl, f, NULL), 0);
	fclose(f);
	json_decref(list);
	json_decref(rows);
	json_decref(header);
	return out;
}

static void t_ls_is(const char *want, const char *format, bool quiet, bool no_trunc)
{
	char *got = t_ls(format, quiet, no_trunc);

	assert_string_equal(got, want);
	free(got);
}

static void test_network_ls(void **state)
{
	(void)state;
	t_ls_is("2222222222222222bbbb\n3333333333333333cccc\n1111111111111111aaaa\n", NULL, true,
		true);
	t_ls_is("NETWORK ID     NAME      DRIVER    SCOPE\n"
		"222222222222   bridge    bridge    local\n"
		"333333333333   net2      null      local\n"
		"111111111111   net10     bridge    local\n",
		NULL, false, false);
	t_ls_is("222222222222\n333333333333\n111111111111\n", NULL, true, false);
	t_ls_is("bridge\tfalse\nnet2\tfalse\nnet10\ttrue\n", "{{.Name}}\\t{{.IPv6}}", false, false);
	t_ls_is("NAME      LABELS       LABEL\n"
		"bridge                 \n"
		"net2                   \n"
		"net10     a=,env=dev   dev\n",
		"table {{.Name}}\t{{.Labels}}\t{{.Label \"env\"}}", false, false);
	t_ls_is("2025-01-02 03:04:05 +0000 UTC|false\n|true\n2025-01-02 03:04:05.12 +0000 "
		"UTC|false\n",
		"{{.CreatedAt}}|{{.Internal}}", false, false);
}

static void test_network_ls_json(void **state)
{
	char *got = t_ls("json", false, false);
	char *first = xstrndup(got, strcspn(got, "\n"));

	(void)state;
	assert_string_equal(
		first, "{\"CreatedAt\":\"2025-01-02 03:04:05 +0000 UTC\",\"Driver\":\"bridge\","
		       "\"ID\":\"222222222222\",\"IPv4\":\"false\",\"IPv6\":\"false\","
		       "\"Internal\":\"false\",\"Labels\":\"\",\"Name\":\"bridge\","
		       "\"Scope\":\"local\"}");
	free(first);
	free(got);
}

static void test_format_helpers(void **state)
{
	char *s;
	bool table;

	(void)state;
	s = format_bytes(16647405568.0);
	assert_string_equal(s, "15.5GiB");
	free(s);
	s = format_bytes(512);
	assert_string_equal(s, "512B");
	free(s);
	s = format_go_time("2025-01-02T03:04:05.123456789Z");
	assert_string_equal(s, "2025-01-02 03:04:05.123456789 +0000 UTC");
	free(s);
	s = format_prepare("table {{.ID}}\\t{{.Name}} ", &table);
	assert_true(table);
	assert_string_equal(s, "{{.ID}}\t{{.Name}}");
	free(s);
	assert_true(format_natural_cmp("net2", "net10") < 0);
	assert_true(format_natural_cmp("a", "b") < 0);
	assert_true(format_natural_cmp("net", "net1") < 0);
	assert_int_equal(format_natural_cmp("x1y", "x1y"), 0);
}

/* --- container: run flags, create body, stdcopy, ps --- */

/* Parse run's flags from a space-separated line (no interspersing). */
static int t_run_parse(struct run_opts *o, struct strv *args, const char *line)
{
	struct strv argv = t_strv(line);
	struct berr *err = NULL;
	int r;

	memset(o, 0, sizeof(*o));
	r = opts_parse_mode(run_defs, o, (int)argv.n, argv.v, false, args, &err);
	berr_free(err);
	strv_done(&argv);
	return r;
}

static void test_run_flags(void **state)
{
	struct strv args = {0};
	struct run_opts o;

	(void)state;
	assert_int_equal(t_run_parse(&o, &args,
				     "run -dit --rm -h box -e A=1 -e B --name x -m 64m "
				     "busybox sh -c -h"),
			 0);
	assert_true(o.detach && o.interactive && o.tty && o.rm);
	assert_string_equal(o.hostname, "box");
	assert_string_equal(o.memory, "64m");
	assert_int_equal(o.env.n, 2);
	/* flags stop at IMAGE: "-c -h" belong to the command */
	assert_int_equal(args.n, 4);
	assert_string_equal(args.v[0], "busybox");
	assert_string_equal(args.v[3], "-h");
	opts_free(run_defs, &o);
	strv_done(&args);
}

static void t_bytes_is(const char *s, int64_t want)
{
	int64_t got = -1;

	assert_int_equal(run_parse_bytes(s, &got, NULL), 0);
	assert_int_equal(got, want);
}

static void test_run_units(void **state)
{
	struct berr *err = NULL;
	int64_t v;

	(void)state;
	t_bytes_is("100", 100);
	t_bytes_is("512k", 512 * 1024);
	t_bytes_is("64m", 64 * 1024 * 1024);
	t_bytes_is("64MB", 64 * 1024 * 1024);
	t_bytes_is("1g", 1024LL * 1024 * 1024);
	t_bytes_is("1.5g", 1536LL * 1024 * 1024);
	assert_int_equal(run_parse_bytes("1x", &v, &err), -EINVAL);
	assert_string_equal(berr_msg(err), "invalid suffix: 'x'");
	berr_free(err);
	err = NULL;
	assert_int_equal(run_parse_bytes("m", &v, &err), -EINVAL);
	berr_free(err);
	assert_int_equal(run_parse_cpus("1.5", &v, NULL), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(run_parse_cpus("0.01", &v, NULL), 0);
	assert_int_equal(v, 10000000);
	assert_int_equal(run_parse_cpus("x", &v, NULL), -EINVAL);
}

static void t_restart_is(const char *s, const char *want)
{
	struct berr *err = NULL;
	json_t *p = NULL;
	char *got;

	if (run_restart_policy(s, &p, &err) < 0)
		got = xstrdup(berr_msg(err));
	else
		got = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(got, want);
	free(got);
	json_decref(p);
	berr_free(err);
}

static void test_run_restart(void **state)
{
	(void)state;
	t_restart_is("on-failure:3", "{\"MaximumRetryCount\":3,\"Name\":\"on-failure\"}");
	t_restart_is("always", "{\"MaximumRetryCount\":0,\"Name\":\"always\"}");
	t_restart_is("no", "{\"MaximumRetryCount\":0,\"Name\":\"no\"}");
	t_restart_is("sometimes", "invalid restart policy 'sometimes'");
	t_restart_is("always:2", "invalid restart policy format: maximum retry count can only be "
				 "used with 'on-failure'");
}

/* The create body for a command line, as a JSON object. */
static json_t *t_body(const char *line)
{
	struct strv args = {0};
	struct run_opts o;
	json_t *body = NULL;

	assert_int_equal(t_run_parse(&o, &args, line), 0);
	assert_int_equal(run_create_body(&o, (int)args.n, args.v, &body, NULL), 0);
	opts_free(run_defs, &o);
	strv_done(&args);
	return body;
}

static void t_json_is(json_t *v, const char *want)
{
	char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	assert_string_equal(got, want);
	free(got);
}

static void test_run_body_defaults(void **state)
{
	json_t *b = t_body("run busybox echo hi"), *hc = json_object_get(b, "HostConfig");

	(void)state;
	t_json_is(json_object_get(b, "Cmd"), "[\"echo\",\"hi\"]");
	t_json_is(json_object_get(b, "Image"), "\"busybox\"");
	t_json_is(json_object_get(b, "Env"), "null");
	t_json_is(json_object_get(b, "Entrypoint"), "null");
	t_json_is(json_object_get(b, "AttachStdout"), "true");
	t_json_is(json_object_get(b, "Labels"), "{}");
	t_json_is(json_object_get(hc, "NetworkMode"), "\"default\"");
	t_json_is(json_object_get(hc, "Binds"), "null");
	t_json_is(json_object_get(hc, "RestartPolicy"),
		  "{\"MaximumRetryCount\":0,\"Name\":\"no\"}");
	t_json_is(json_object_get(hc, "LogConfig"), "{\"Config\":{},\"Type\":\"\"}");
	t_json_is(json_object_get(b, "NetworkingConfig"), "{\"EndpointsConfig\":{\"default\":{}}}");
	json_decref(b);
	b = t_body("run busybox");
	t_json_is(json_object_get(b, "Cmd"), "null");
	json_decref(b);
}

static void test_run_body_flags(void **state)
{
	json_t *b, *hc;

	(void)state;
	setenv("T_BERTH_HOME", "/root", 1);
	b = t_body("run -d --network none -e A=1 -e T_BERTH_HOME -v /tmp:/data:ro -v /anon "
		   "--mount type=bind,src=/tmp,dst=/m,readonly --volumes-from c1 -l a=b -l c "
		   "--entrypoint sh -m 64m --cpus 1.5 --cpu-shares 512 --pids-limit 10 "
		   "--restart on-failure:3 --read-only --cap-add NET_ADMIN --cap-drop ALL "
		   "--privileged --init -t -i -p 8080:80 --expose 53/udp -w /tmp -u 1000 -h hh "
		   "busybox echo hi");
	hc = json_object_get(b, "HostConfig");
	t_json_is(json_object_get(b, "Env"), "[\"A=1\",\"T_BERTH_HOME=/root\"]");
	t_json_is(json_object_get(b, "Labels"), "{\"a\":\"b\",\"c\":\"\"}");
	t_json_is(json_object_get(b, "Volumes"), "{\"/anon\":{}}");
	t_json_is(json_object_get(b, "Entrypoint"), "[\"sh\"]");
	t_json_is(json_object_get(b, "ExposedPorts"), "{\"53/udp\":{},\"80/tcp\":{}}");
	t_json_is(json_object_get(b, "AttachStdout"), "false");
	t_json_is(json_object_get(b, "OpenStdin"), "true");
	t_json_is(json_object_get(b, "StdinOnce"), "false");
	t_json_is(json_object_get(b, "Tty"), "true");
	t_json_is(json_object_get(b, "Hostname"), "\"hh\"");
	t_json_is(json_object_get(b, "User"), "\"1000\"");
	t_json_is(json_object_get(b, "WorkingDir"), "\"/tmp\"");
	t_json_is(json_object_get(hc, "Binds"), "[\"/tmp:/data:ro\"]");
	t_json_is(json_object_get(hc, "Mounts"),
		  "[{\"ReadOnly\":true,\"Source\":\"/tmp\",\"Target\":\"/m\",\"Type\":\"bind\"}]");
	t_json_is(json_object_get(hc, "VolumesFrom"), "[\"c1\"]");
	t_json_is(json_object_get(hc, "NetworkMode"), "\"none\"");
	t_json_is(json_object_get(hc, "Memory"), "67108864");
	t_json_is(json_object_get(hc, "NanoCpus"), "1500000000");
	t_json_is(json_object_get(hc, "CpuShares"), "512");
	t_json_is(json_object_get(hc, "PidsLimit"), "10");
	t_json_is(json_object_get(hc, "RestartPolicy"),
		  "{\"MaximumRetryCount\":3,\"Name\":\"on-failure\"}");
	t_json_is(json_object_get(hc, "CapAdd"), "[\"CAP_NET_ADMIN\"]");
	t_json_is(json_object_get(hc, "CapDrop"), "[\"ALL\"]");
	t_json_is(json_object_get(hc, "Privileged"), "true");
	t_json_is(json_object_get(hc, "ReadonlyRootfs"), "true");
	t_json_is(json_object_get(hc, "Init"), "true");
	t_json_is(json_object_get(hc, "PortBindings"),
		  "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}");
	t_json_is(json_object_get(b, "NetworkingConfig"), "{\"EndpointsConfig\":{}}");
	json_decref(b);
	b = t_body("run -it --rm busybox sh");
	t_json_is(json_object_get(b, "AttachStdin"), "true");
	t_json_is(json_object_get(b, "StdinOnce"), "true");
	t_json_is(json_object_get(json_object_get(b, "HostConfig"), "AutoRemove"), "true");
	json_decref(b);
}

static void test_run_error_status(void **state)
{
	(void)state;
	assert_int_equal(run_error_status("exec: \"x\": executable file not found in $PATH"), 127);
	assert_int_equal(run_error_status("exec: \"/etc\": permission denied"), 126);
	assert_int_equal(run_error_status("No such image: x"), 125);
}

/* Feed frames split at every possible point. */
static void test_stdcopy(void **state)
{
	static const char frames[] = "\1\0\0\0\0\0\0\4out\n"
				     "\2\0\0\0\0\0\0\4err\n"
				     "\1\0\0\0\0\0\0\0"
				     "\1\0\0\0\0\0\0\3abc";
	size_t len = sizeof(frames) - 1;

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		char *o = NULL, *e = NULL;
		size_t ol = 0, el = 0;
		FILE *out = open_memstream(&o, &ol), *errf = open_memstream(&e, &el);
		struct stdcopy sc = {0};

		assert_int_equal(stdcopy_feed(&sc, frames, cut, out, errf, NULL), 0);
		assert_int_equal(stdcopy_feed(&sc, frames + cut, len - cut, out, errf, NULL), 0);
		fclose(out);
		fclose(errf);
		assert_string_equal(o, "out\nabc");
		assert_string_equal(e, "err\n");
		free(o);
		free(e);
	}
	{
		struct stdcopy sc = {0};
		struct berr *err = NULL;
		FILE *null = fopen("/dev/null", "w");

		assert_int_equal(stdcopy_feed(&sc, "\7\0\0\0\0\0\0\1x", 9, null, null, &err),
				 -EPROTO);
		assert_string_equal(berr_msg(err), "Unrecognized input header: 7");
		berr_free(err);
		fclose(null);
	}
}

static void test_ps_helpers(void **state)
{
	char *s;

	(void)state;
	s = ps_quote("sh -c \"a\\b\"\n");
	assert_string_equal(s, "\"sh -c \\\"a\\\\b\\\"\\n\"");
	free(s);
	s = ps_human_duration(0.5);
	assert_string_equal(s, "Less than a second");
	free(s);
	s = ps_human_duration(90);
	assert_string_equal(s, "About a minute");
	free(s);
	s = ps_human_duration(180);
	assert_string_equal(s, "3 minutes");
	free(s);
	s = ps_human_duration(3 * 3600);
	assert_string_equal(s, "3 hours");
	free(s);
	s = ps_human_duration(3 * 86400);
	assert_string_equal(s, "3 days");
	free(s);
}

static void test_ps_table(void **state)
{
	json_t *list = json_loads(
		"[{\"Id\":\"3758536064ea0123456789abcdef0123456789abcdef0123456789abcdef0123\","
		"\"Names\":[\"/web\"],\"Image\":\"busybox\",\"ImageID\":\"sha256:aa\","
		"\"Command\":\"sh -c 'echo started; exec sleep 100'\",\"Created\":1000,"
		"\"Ports\":[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":"
		"\"tcp\"},{\"PrivatePort\":9000,\"Type\":\"tcp\"}],\"Labels\":{},\"State\":"
		"\"running\",\"Status\":\"Up 2 minutes\"},"
		"{\"Id\":\"bf90b002ce4e\",\"Names\":[\"/db\"],\"Image\":\"busybox\",\"Command\":"
		"\"true\",\"Created\":1000,\"Ports\":[],\"State\":\"exited\",\"Status\":\"Exited "
		"(0) 3 hours ago\"}]",
		0, NULL);
	json_t *rows = ps_rows(list, false, 1000 + 180), *header = ps_header();
	struct format_list fl = {.def = PS_TABLE, .rows = rows, .header = header};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(format_list_print(&fl, f, NULL), 0);
	fclose(f);
	assert_string_equal(
		out,
		"CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         "
		"          PORTS                            NAMES\n"
		"3758536064ea   busybox   \"sh -c 'echo started…\"   3 minutes ago   Up 2 minutes  "
		"           0.0.0.0:8080->80/tcp, 9000/tcp   web\n"
		"bf90b002ce4e   busybox   \"true\"                   3 minutes ago   Exited (0) 3 "
		"hours ago                                    db\n");
	free(out);
	json_decref(rows);
	json_decref(header);
	json_decref(list);
}

/* --- exec, events, commit --- */

static void test_exec_flags(void **state)
{
	struct strv argv = t_strv("exec -it -e A=1 -e EXEC_T_UNSET -w /tmp -u 1000 --privileged "
				  "ct sh -c -d");
	struct strv args = {0};
	struct exec_opts o = {0};
	struct berr *err = NULL;
	json_t *body;
	char *s;

	(void)state;
	unsetenv("EXEC_T_UNSET");
	assert_int_equal(opts_parse_mode(exec_defs, &o, (int)argv.n, argv.v, false, &args, &err),
			 0);
	assert_true(o.interactive && o.tty && o.privileged && !o.detach);
	assert_string_equal(o.workdir, "/tmp");
	assert_string_equal(o.user, "1000");
	/* flags stop at CONTAINER: "-c -d" belong to the command */
	assert_int_equal(args.n, 4);
	assert_string_equal(args.v[3], "-d");
	body = exec_create_body(&o, (int)args.n - 1, args.v + 1);
	s = json_dumps(body, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s,
			    "{\"AttachStderr\":true,\"AttachStdin\":true,\"AttachStdout\":true,"
			    "\"Cmd\":[\"sh\",\"-c\",\"-d\"],\"Detach\":false,\"DetachKeys\":\"\","
			    "\"Env\":[\"A=1\",\"EXEC_T_UNSET\"],\"Privileged\":true,\"Tty\":true,"
			    "\"User\":\"1000\",\"WorkingDir\":\"/tmp\"}");
	free(s);
	json_decref(body);
	opts_free(exec_defs, &o);
	strv_done(&args);
	strv_done(&argv);

	/* -d: nothing attached, no Env */
	argv = t_strv("exec -d -i ct true");
	memset(&o, 0, sizeof(o));
	assert_int_equal(opts_parse_mode(exec_defs, &o, (int)argv.n, argv.v, false, &args, &err),
			 0);
	body = exec_create_body(&o, (int)args.n - 1, args.v + 1);
	assert_true(json_is_false(json_object_get(body, "AttachStdin")));
	assert_true(json_is_false(json_object_get(body, "AttachStdout")));
	assert_true(json_is_true(json_object_get(body, "Detach")));
	assert_true(json_is_null(json_object_get(body, "Env")));
	json_decref(body);
	opts_free(exec_defs, &o);
	strv_done(&args);
	strv_done(&argv);
}

static void test_events_line(void **state)
{
	json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:I, s:I}", "Type", "container",
			       "Action", "start", "Actor", "ID", "abc", "Attributes", "name", "web",
			       "image", "busybox", "time", (json_int_t)1795812309, "timeNano",
			       (json_int_t)1795812309123456789LL);
	char *s;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	s = events_line(ev);
	assert_string_equal(s, "2026-11-27T20:45:09.123456789Z container start abc "
			       "(image=busybox, name=web)\n");
	free(s);
	/* no timeNano: seconds; no attributes: no parentheses */
	json_object_del(ev, "timeNano");
	json_object_set_new(json_object_get(ev, "Actor"), "Attributes", json_object());
	s = events_line(ev);
	assert_string_equal(s, "2026-11-27T20:45:09.000000000Z container start abc\n");
	free(s);
	/* another zone: an offset instead of Z */
	setenv("TZ", "EST5", 1);
	tzset();
	s = events_line(ev);
	assert_string_equal(s, "2026-11-27T15:45:09.000000000-05:00 container start abc\n");
	free(s);
	unsetenv("TZ");
	tzset();
	json_decref(ev);
}

static void test_commit_ref(void **state)
{
	char *repo, *tag;

	(void)state;
	commit_split_ref("snap:v1", &repo, &tag);
	assert_string_equal(repo, "snap");
	assert_string_equal(tag, "v1");
	free(repo), free(tag);
	commit_split_ref("localhost:5000/snap", &repo, &tag);
	assert_string_equal(repo, "localhost:5000/snap");
	assert_null(tag);
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_forms),
		cmocka_unit_test(test_opts_short_cluster_and_bools),
		cmocka_unit_test(test_opts_errors),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_netcfg_grouping),
		cmocka_unit_test(test_netcfg_refusals),
		cmocka_unit_test(test_netcfg_body),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_tmpl),
		cmocka_unit_test(test_tmpl_value_str),
		cmocka_unit_test(test_table_layout),
		cmocka_unit_test(test_network_ls),
		cmocka_unit_test(test_network_ls_json),
		cmocka_unit_test(test_format_helpers),
		cmocka_unit_test(test_run_flags),
		cmocka_unit_test(test_run_units),
		cmocka_unit_test(test_run_restart),
		cmocka_unit_test(test_run_body_defaults),
		cmocka_unit_test(test_run_body_flags),
		cmocka_unit_test(test_run_error_status),
		cmocka_unit_test(test_stdcopy),
		cmocka_unit_test(test_ps_helpers),
		cmocka_unit_test(test_ps_table),
		cmocka_unit_test(test_exec_flags),
		cmocka_unit_test(test_events_line),
		cmocka_unit_test(test_commit_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
