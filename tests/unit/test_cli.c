/* test_cli.c - unit tests of the berth CLI's library code: option parsing
 * by a command's table, the network-create body (grouping under subnets and
 * every refusal), filters encoding, the template subset, the tabwriter
 * layout and the sorted `network ls` rows, the run/create body, the -p and
 * --expose parsers, the PORTS column and `port` lines, the networking flags
 * (EndpointsConfig, connect and disconnect bodies, validators).  Expected
 * bodies and messages were taken from the docker CLI 28.2.2 pointed at a
 * fake engine.  No daemon involved. */
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
#include "cli/netopts.h"
#include "cli/ports.h"
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
		{NULL, "version"},	   {NULL, "info"},	   {"network", "create"},
		{"network", "ls"},	   {"network", "inspect"}, {"network", "rm"},
		{"network", "prune"},	   {NULL, "run"},	   {NULL, "ps"},
		{"container", "ls"},	   {"container", "run"},   {"network", "connect"},
		{"network", "disconnect"}, {NULL, "port"},
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

/* Parenthesised pipes as docker users write them for names with dashes
 * and for the published ports of one port. */
static void test_tmpl_parens(void **state)
{
	static const char *ctr =
		"{\"Name\":\"/c2\",\"NetworkSettings\":{\"Networks\":{"
		"\"backend\":{\"IPAddress\":\"10.1.0.2\",\"Aliases\":[\"c2\",\"db\"]},"
		"\"my-net\":{\"IPAddress\":\"10.2.0.3\"}},\"Ports\":{\"80/tcp\":["
		"{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
		"{\"HostIp\":\"::\",\"HostPort\":\"8081\"}],\"53/udp\":null}},"
		"\"Config\":{\"Labels\":{\"com.example.tier\":\"db\"}}}";

	(void)state;
	t_render_is("10.1.0.2", "{{(index .NetworkSettings.Networks \"backend\").IPAddress}}", ctr);
	t_render_is("10.2.0.3", "{{(index .NetworkSettings.Networks \"my-net\").IPAddress}}", ctr);
	t_render_is("[map[HostIp:0.0.0.0 HostPort:8080] map[HostIp::: HostPort:8081]]",
		    "{{index .NetworkSettings.Ports \"80/tcp\"}}", ctr);
	t_render_is("8081", "{{(index (index .NetworkSettings.Ports \"80/tcp\") 1).HostPort}}",
		    ctr);
	t_render_is("8080", "{{index .NetworkSettings.Ports \"80/tcp\" 0 \"HostPort\"}}", ctr);
	/* a missing key stays missing down the chain, as .Missing.X does */
	t_render_is("|",
		    "{{(index .NetworkSettings.Networks \"nope\").IPAddress}}|"
		    "{{(index (index .NetworkSettings.Ports \"53/udp\") 0).HostPort}}",
		    ctr);
	/* arguments of functions, chains of several fields, any case */
	t_render_is("2 c2,db DB [c2 db]",
		    "{{len (index .NetworkSettings.Networks \"backend\").Aliases}} "
		    "{{join (index .NetworkSettings.Networks \"backend\").Aliases \",\"}} "
		    "{{upper (index .Config.Labels \"com.example.tier\")}} "
		    "{{(index .NetworkSettings.Networks \"backend\").aliases}}",
		    ctr);
	t_render_is("10.1.0.2 /C2 /c2 2",
		    "{{ ( (.NetworkSettings).Networks ).backend.IPAddress }} {{(.Name | upper)}} "
		    "{{(.Name)}} {{(index .NetworkSettings.Networks \"backend\").Aliases | len}}",
		    ctr);
	t_render_is("a)b (x", "{{(\"a)b\")}} {{(`(x`)}}", ctr);
	/* in blocks, with or without a space after the keyword */
	t_render_is("on off",
		    "{{if (index .NetworkSettings.Networks \"backend\")}}on{{else}}off{{end}} "
		    "{{if(index .NetworkSettings.Networks \"nope\")}}on{{else}}off{{end}}",
		    ctr);
	t_render_is("10.2.0.3",
		    "{{with(index .NetworkSettings.Networks \"my-net\")}}{{.IPAddress}}{{end}}",
		    ctr);
	t_render_is("8080 8081 ",
		    "{{range (index .NetworkSettings.Ports \"80/tcp\")}}{{.HostPort}} {{end}}",
		    ctr);
	t_render_is("none",
		    "{{range (index .NetworkSettings.Ports \"53/udp\")}}x{{else}}none{{end}}", ctr);
}

/* Nesting n parentheses around .Name. */
static char *t_nested(size_t n)
{
	char *s = xmalloc(2 * n + sizeof("{{.Name}}")), *o = s;

	o += sprintf(o, "{{");
	memset(o, '(', n);
	o += n;
	o += sprintf(o, ".Name");
	memset(o, ')', n);
	o += n;
	sprintf(o, "}}");
	return s;
}

static void test_tmpl_parens_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"{{(index .X \"y\"}}", "unclosed left paren"},
		{"{{.A (}}", "unclosed left paren"},
		{"{{range (.X}}{{end}}", "unclosed left paren"},
		{"{{(.A))}}", "unexpected right paren"},
		{"{{)}}", "unexpected right paren"},
		{"{{()}}", "missing value for parenthesized pipeline"},
		{"{{}}", "missing value for command"},
		{"{{(.A)(.B)}}", "unexpected \"(\" in operand"},
		{"{{.A(.B)}}", "unexpected \"(\" in operand"},
		{"{{(.A)x}}", "unexpected \"x\" in operand"},
		{"{{(.A)\"x\"}}", "unexpected \"\\\"x\\\"\" in operand"},
		{"{{(.A)abcdefghijklm}}", "unexpected \"abcdefghij\"... in operand"},
		{"{{(.A).}}", "unexpected <.> in operand"},
		{"{{(.A).B.}}", "unexpected <.> in operand"},
		{"{{(.A).1}}", "unexpected \".1\" in operand"},
		{"{{(| .A)}}", "unexpected \"|\" in parenthesized pipeline"},
		{"{{| .A}}", "unexpected \"|\" in command"},
		{"{{\"x\".A}}", "unexpected . after term \"\\\"x\\\"\""},
		{"{{(nope .A)}}", "function \"nope\" not defined"},
	};
	char *text;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *want = xasprintf("template parsing error: template: :1: %s", cases[i].want);

		t_render_is(want, cases[i].text, "{}");
		free(want);
	}
	/* Go refuses arguments to a value that is not a function */
	t_render_is("template: :1: can't give argument to non-function (.A)", "{{(.A) 1}}",
		    "{\"A\":{}}");
	t_render_is("template: :1: can't give argument to non-function (.A)", "{{1 | (.A)}}",
		    "{\"A\":{}}");
	text = t_nested(100);
	t_render_is("x", text, "{\"Name\":\"x\"}");
	free(text);
	text = t_nested(101);
	t_render_is("template parsing error: template: :1: max expression depth exceeded", text,
		    "{\"Name\":\"x\"}");
	free(text);
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
	if (r == 0)
		r = run_check_flags(o, &err);
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

/* The same, in the order the keys were added: the bytes berth sends. */
static void t_json_raw_is(json_t *v, const char *want)
{
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_string_equal(got, want);
	free(got);
}

/* An EndpointSettings as the docker CLI encodes it: the fields after
 * GwPriority are always zero, and one with nothing set at all. */
#define T_EP_TAIL                                                                                  \
	"\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\","              \
	"\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","                       \
	"\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}"
#define T_EP_EMPTY                                                                                 \
	"{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\","                \
	"\"DriverOpts\":null,\"GwPriority\":0," T_EP_TAIL

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
	t_json_is(json_object_get(hc, "Links"), "null");
	t_json_is(json_object_get(hc, "PortBindings"), "{}");
	assert_null(json_object_get(b, "ExposedPorts"));
	t_json_raw_is(json_object_get(b, "NetworkingConfig"),
		      "{\"EndpointsConfig\":{\"default\":" T_EP_EMPTY "}}");
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
		"           9000/tcp, 0.0.0.0:8080->80/tcp   web\n"
		"bf90b002ce4e   busybox   \"true\"                   3 minutes ago   Exited (0) 3 "
		"hours ago                                    db\n");
	free(out);
	json_decref(rows);
	json_decref(header);
	json_decref(list);
}

/* --- ports: -p, --expose, the PORTS column, `port` --- */

/* ExposedPorts and PortBindings for -p values (space-separated), as
 * "EXPOSED BINDINGS" with sorted keys, or the error message. */
static char *t_publish(const char *specs)
{
	struct strv sv = t_strv(specs);
	json_t *exposed = json_object(), *bindings = json_object();
	struct berr *err = NULL;
	char *out;

	if (ports_publish(&sv, exposed, bindings, &err) < 0) {
		out = xstrdup(berr_msg(err));
	} else {
		_cleanup_free_ char *e = json_dumps(exposed, JSON_COMPACT | JSON_SORT_KEYS);
		_cleanup_free_ char *b = json_dumps(bindings, JSON_COMPACT | JSON_SORT_KEYS);

		out = xasprintf("%s %s", e, b);
	}
	json_decref(exposed);
	json_decref(bindings);
	berr_free(err);
	strv_done(&sv);
	return out;
}

static void t_publish_is(const char *specs, const char *want)
{
	char *got = t_publish(specs);

	assert_string_equal(got, want);
	free(got);
}

#define T_BIND(key, ip, port) "{\"" key "\":[{\"HostIp\":\"" ip "\",\"HostPort\":\"" port "\"}]}"

static void test_ports_publish(void **state)
{
	(void)state;
	t_publish_is("80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", ""));
	t_publish_is("8080:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", "8080"));
	t_publish_is("127.0.0.1:8080:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "127.0.0.1", "8080"));
	t_publish_is("127.0.0.1::80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "127.0.0.1", ""));
	t_publish_is(":80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", ""));
	t_publish_is("53/udp", "{\"53/udp\":{}} " T_BIND("53/udp", "", ""));
	t_publish_is("8080:80/sctp", "{\"80/sctp\":{}} " T_BIND("80/sctp", "", "8080"));
	t_publish_is("0.0.0.0:80:80/UDP", "{\"80/udp\":{}} " T_BIND("80/udp", "0.0.0.0", "80"));
	t_publish_is("08080:80/", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", "8080"));
	t_publish_is("80:0", "{\"0/tcp\":{}} " T_BIND("0/tcp", "", "80"));
	/* IPv6: in brackets, or bare (all but the last two fields) */
	t_publish_is("[::1]:8080:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "::1", "8080"));
	t_publish_is("::1:8080:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "::1", "8080"));
	t_publish_is("[::]:80:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "::", "80"));
	t_publish_is("[]:80:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", "80"));
	/* ranges: one key per container port; a single one takes a host range */
	t_publish_is("8000-8001:80-81",
		     "{\"80/tcp\":{},\"81/tcp\":{}} {\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
		     "\"8000\"}],\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8001\"}]}");
	t_publish_is("8000-8010:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", "8000-8010"));
	t_publish_is("80-81",
		     "{\"80/tcp\":{},\"81/tcp\":{}} {\"80/tcp\":[{\"HostIp\":\"\","
		     "\"HostPort\":\"\"}],\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}");
	t_publish_is("1.2.3.4:0-0:80", "{\"80/tcp\":{}} " T_BIND("80/tcp", "1.2.3.4", "0"));
	/* one port published twice */
	t_publish_is("80 8080:80",
		     "{\"80/tcp\":{}} {\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"},"
		     "{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}");
	/* the long form */
	t_publish_is("target=80,published=8080,protocol=udp",
		     "{\"80/udp\":{}} " T_BIND("80/udp", "", "8080"));
	t_publish_is("target=80,mode=host", "{\"80/tcp\":{}} " T_BIND("80/tcp", "", ""));
}

static void test_ports_publish_refused(void **state)
{
	(void)state;
	t_publish_is(":", "no port specified: :<empty>");
	t_publish_is("80:", "no port specified: 80:<empty>");
	t_publish_is("/udp", "no port specified: /udp<empty>");
	t_publish_is("abc", "invalid containerPort: abc");
	t_publish_is("70000", "invalid containerPort: 70000");
	t_publish_is("-80", "invalid containerPort: -80");
	t_publish_is("80--81", "invalid containerPort: 80--81");
	t_publish_is("80-70", "invalid containerPort: 80-70");
	t_publish_is("8000-7000:80", "invalid hostPort: 8000-7000");
	t_publish_is("8000-8001:80-82",
		     "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
	t_publish_is("8080:80-81/udp",
		     "invalid ranges specified for container and host Ports: 80-81 and 8080");
	t_publish_is("80/FOO", "invalid proto: FOO");
	t_publish_is("1.2.3:80:80", "invalid IP address: 1.2.3");
	t_publish_is("localhost:80:80", "invalid IP address: localhost");
	t_publish_is("[zz]:80:80", "invalid IP address: zz");
	t_publish_is("[::1:80:80",
		     "invalid IP address [::1: address [::1:: missing ']' in address");
	t_publish_is("[::1]:80", "invalid IP address [:: address [::: missing ']' in address");
	t_publish_is("[::1]:1:80:80",
		     "invalid IP address [::1]:1: address [::1]:1:: too many colons in address");
	t_publish_is("[::1]x:80:80",
		     "invalid IP address [::1]x: address [::1]x:: missing port in address");
	t_publish_is("published=8080", "no port specified: 8080:/tcp<empty>");
	t_publish_is("a=b,c", "invalid publish opts format (should be name=value but got 'c')");
	/* the specs before a bad one are kept; the error names the bad one */
	t_publish_is("80 x", "invalid containerPort: x");
}

static char *t_expose(const char *specs)
{
	struct strv sv = t_strv(specs);
	json_t *exposed = json_object();
	struct berr *err = NULL;
	char *out;

	if (ports_expose(&sv, exposed, &err) < 0)
		out = xstrdup(berr_msg(err));
	else
		out = json_dumps(exposed, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(exposed);
	berr_free(err);
	strv_done(&sv);
	return out;
}

static void t_expose_is(const char *specs, const char *want)
{
	char *got = t_expose(specs);

	assert_string_equal(got, want);
	free(got);
}

static void test_ports_expose(void **state)
{
	(void)state;
	t_expose_is("80 53/udp", "{\"53/udp\":{},\"80/tcp\":{}}");
	t_expose_is("80-82", "{\"80/tcp\":{},\"81/tcp\":{},\"82/tcp\":{}}");
	t_expose_is("80-81/udp 80/", "{\"80/tcp\":{},\"80/udp\":{},\"81/udp\":{}}");
	/* --expose takes the proto as it is */
	t_expose_is("80/SCTP", "{\"80/SCTP\":{}}");
	t_expose_is("8080:80", "invalid port format for --expose: 8080:80");
	t_expose_is("abc", "invalid range format for --expose: abc, error: strconv.ParseUint: "
			   "parsing \"abc\": invalid syntax");
	t_expose_is("70000", "invalid range format for --expose: 70000, error: "
			     "strconv.ParseUint: parsing \"70000\": value out of range");
	t_expose_is("90-80", "invalid range format for --expose: 90-80, error: invalid range "
			     "specified for port: 90-80");
	t_expose_is("/udp", "invalid range format for --expose: /udp, error: empty string "
			    "specified for ports");
}

static void t_display_is(const char *ports, const char *want)
{
	json_t *list = json_loads(ports, 0, NULL);
	char *got = ports_display(list);

	assert_string_equal(got, want);
	free(got);
	json_decref(list);
}

#define T_PORT(ip, priv, pub, type)                                                                \
	"{\"IP\":\"" ip "\",\"PrivatePort\":" #priv ",\"PublicPort\":" #pub ",\"Type\":\"" type    \
	"\"}"

static void test_ports_display(void **state)
{
	(void)state;
	t_display_is("[]", "");
	t_display_is("null", "");
	/* unpublished ports first (grouped), then the mappings, sorted */
	t_display_is(
		"[" T_PORT("0.0.0.0", 80, 8000, "tcp") "," T_PORT(
			"0.0.0.0", 81, 8001,
			"tcp") "," T_PORT("::", 80, 8000,
					  "tcp") ",{\"PrivatePort\":9001,\"Type\":\"tcp\"},"
						 "{\"PrivatePort\":9000,\"Type\":\"tcp\"},{"
						 "\"PrivatePort\":53,\"Type\":\"udp\"}," T_PORT(
							 "127.0.0.1", 53, 5353, "udp") "]",
		"53/udp, 9000-9001/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:8000->80/tcp, "
		"[::]:8000->80/tcp, 0.0.0.0:8001->81/tcp");
	/* docker groups published ports only where host and container port
	 * are the same; a break in a run flushes the group */
	t_display_is(
		"[" T_PORT("0.0.0.0", 81, 81, "tcp") "," T_PORT("0.0.0.0", 80, 80, "tcp") "," T_PORT(
			"::", 80, 80,
			"tcp") "," T_PORT("::", 81, 81,
					  "tcp") "," T_PORT("0.0.0.0", 83, 83,
							    "tcp") ",{\"PrivatePort\":53,\"Type\":"
								   "\"tcp\"},"
								   "{\"PrivatePort\":53,\"Type\":"
								   "\"udp\"},{\"PrivatePort\":54,"
								   "\"Type\":\"udp\"},"
								   "{\"PrivatePort\":55,\"Type\":"
								   "\"tcp\"}," T_PORT("0.0.0.0",
										      100, 0,
										      "tcp") "]",
		"53/tcp, 0.0.0.0:80-81->80-81/tcp, 55/tcp, 53-54/udp, 0.0.0.0:83->83/tcp, "
		"[::]:80-81->80-81/tcp, 0.0.0.0:0->100/tcp");
	t_display_is("[{\"PrivatePort\":10,\"Type\":\"tcp\"},{\"PrivatePort\":12,\"Type\":\"tcp\"},"
		     "{\"PrivatePort\":11,\"Type\":\"tcp\"}," T_PORT("", 7, 7, "sctp") "]",
		     "7/sctp, 10-12/tcp");
	t_display_is(
		"[" T_PORT("0.0.0.0", 90, 9090, "udp") "," T_PORT("0.0.0.0", 90, 9090, "tcp") "]",
		"0.0.0.0:9090->90/tcp, 0.0.0.0:9090->90/udp");
}

/* The lines of `port c1 [want]` for NetworkSettings.Ports, joined by '|',
 * or the error. */
static char *t_lookup(const char *want)
{
	json_t *ports = json_loads(
		"{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},{\"HostIp\":\"::\","
		"\"HostPort\":\"8080\"}],\"9000/tcp\":null,\"53/udp\":[{\"HostIp\":\"127.0.0.1\","
		"\"HostPort\":\"5353\"}],\"100/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"10000\"}],"
		"\"81/tcp\":[]}",
		0, NULL);
	struct strv lines = {0};
	struct berr *err = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (ports_lookup(ports, "c1", want, &lines, &err) < 0)
		fputs(berr_msg(err), f);
	for (size_t i = 0; i < lines.n; i++)
		fprintf(f, "%s%s", i ? "|" : "", lines.v[i]);
	fclose(f);
	strv_done(&lines);
	berr_free(err);
	json_decref(ports);
	return out;
}

static void t_lookup_is(const char *want, const char *lines)
{
	char *got = t_lookup(want);

	assert_string_equal(got, lines);
	free(got);
}

static void test_ports_lookup(void **state)
{
	(void)state;
	t_lookup_is(NULL, "53/udp -> 127.0.0.1:5353|80/tcp -> 0.0.0.0:8080|80/tcp -> [::]:8080|"
			  "100/tcp -> :10000");
	t_lookup_is("80", "0.0.0.0:8080|[::]:8080");
	t_lookup_is("80/", "0.0.0.0:8080|[::]:8080");
	t_lookup_is("53/udp", "127.0.0.1:5353");
	t_lookup_is("81", "Error: No public port '81' published for c1");
	t_lookup_is("9000/tcp", "Error: No public port '9000/tcp' published for c1");
	t_lookup_is("53", "Error: No public port '53' published for c1");
	t_lookup_is("x",
		    "Error: invalid port (x): strconv.ParseUint: parsing \"x\": invalid syntax");
	t_lookup_is("70000/tcp", "Error: invalid port (70000): strconv.ParseUint: parsing "
				 "\"70000\": value out of range");
}

/* --- networking flags of run and create --- */

/* The error of a run command line: from the flags or from the body. */
static char *t_body_error(const char *line)
{
	struct strv argv = t_strv(line), args = {0};
	struct berr *err = NULL;
	struct run_opts o = {0};
	json_t *body = NULL;
	char *out;
	int r = opts_parse_mode(run_defs, &o, (int)argv.n, argv.v, false, &args, &err);

	if (r == 0)
		r = run_check_flags(&o, &err);
	if (r == 0)
		r = run_create_body(&o, (int)args.n, args.v, &body, &err);
	out = xstrdup(r < 0 ? berr_msg(err) : "no error");
	json_decref(body);
	berr_free(err);
	opts_free(run_defs, &o);
	strv_done(&args);
	strv_done(&argv);
	return out;
}

static void t_body_error_is(const char *line, const char *want)
{
	char *got = t_body_error(line);

	assert_string_equal(got, want);
	free(got);
}

/* HostConfig.NetworkMode and NetworkingConfig of a run command line. */
static void t_networking_is(const char *line, const char *mode, const char *nc)
{
	json_t *b = t_body(line);

	t_json_is(json_object_get(json_object_get(b, "HostConfig"), "NetworkMode"), mode);
	t_json_raw_is(json_object_get(b, "NetworkingConfig"), nc);
	json_decref(b);
}

static void test_run_networks(void **state)
{
	(void)state;
	/* one network without options: no entry; two: an entry each */
	t_networking_is("run --network a busybox", "\"a\"", "{\"EndpointsConfig\":{}}");
	t_networking_is("run --network a --network b busybox", "\"a\"",
			"{\"EndpointsConfig\":{\"a\":" T_EP_EMPTY ",\"b\":" T_EP_EMPTY "}}");
	/* the flags without a network go to the first one */
	t_networking_is("run --network a --network b --ip 10.0.0.2 --ip6 fd00::2 --network-alias x "
			"--link web:w --mac-address 02:42:ac:11:00:02 busybox",
			"\"a\"",
			"{\"EndpointsConfig\":{\"a\":{\"IPAMConfig\":{\"IPv4Address\":\"10.0.0.2\","
			"\"IPv6Address\":\"fd00::2\"},\"Links\":[\"web:w\"],\"Aliases\":[\"x\"],"
			"\"MacAddress\":\"02:42:ac:11:00:02\",\"DriverOpts\":null,\"GwPriority\":"
			"0," T_EP_TAIL ",\"b\":" T_EP_EMPTY "}}");
	/* without --network they go to "default" (an address, a MAC; no alias) */
	t_networking_is("run --ip 1.2.3 busybox", "\"default\"",
			"{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":{\"IPv4Address\":"
			"\"1.2.3\"},\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\","
			"\"DriverOpts\":null,\"GwPriority\":0," T_EP_TAIL "}}");
	/* docker's long form, lower-cased as docker does it */
	t_networking_is(
		"run --network name=MyNet,alias=Foo,ip=10.0.0.2,link-local-ip=169.254.1.1,"
		"driver-opt=K=V,gw-priority=5 busybox",
		"\"mynet\"",
		"{\"EndpointsConfig\":{\"mynet\":{\"IPAMConfig\":{\"IPv4Address\":\"10.0.0.2\","
		"\"LinkLocalIPs\":[\"169.254.1.1\"]},\"Links\":null,\"Aliases\":[\"foo\"],"
		"\"MacAddress\":\"\",\"DriverOpts\":{\"k\":\"v\"},\"GwPriority\":5," T_EP_TAIL
		"}}");
	t_networking_is("run --network MyNet busybox", "\"MyNet\"", "{\"EndpointsConfig\":{}}");
	t_networking_is("run --network container:x busybox", "\"container:x\"",
			"{\"EndpointsConfig\":{}}");
}

static void test_run_network_links_and_ports(void **state)
{
	json_t *b, *hc;

	(void)state;
	/* --link: HostConfig.Links as given; on a user network also the
	 * endpoint's Links, on the default bridge not */
	b = t_body("run --link web --link db:d --link /x:/y/z busybox");
	hc = json_object_get(b, "HostConfig");
	t_json_is(json_object_get(hc, "Links"), "[\"web\",\"db:d\",\"/x:/y/z\"]");
	t_json_raw_is(json_object_get(b, "NetworkingConfig"),
		      "{\"EndpointsConfig\":{\"default\":" T_EP_EMPTY "}}");
	json_decref(b);
	b = t_body("run -p 80 -p 8080:80 -p 127.0.0.1:9000:80/udp --expose 80 --expose 81 -P "
		   "busybox");
	hc = json_object_get(b, "HostConfig");
	t_json_is(json_object_get(b, "ExposedPorts"),
		  "{\"80/tcp\":{},\"80/udp\":{},\"81/tcp\":{}}");
	t_json_is(json_object_get(hc, "PortBindings"),
		  "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"},{\"HostIp\":\"\",\"HostPort\":"
		  "\"8080\"}],\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}]}");
	t_json_is(json_object_get(hc, "PublishAllPorts"), "true");
	json_decref(b);
}

static void test_run_network_refusals(void **state)
{
	(void)state;
	t_body_error_is("run --network-alias x busybox",
			"network-scoped aliases are only supported for user-defined networks");
	t_body_error_is("run --network a --network host busybox",
			"conflicting options: cannot attach both user-defined and "
			"non-user-defined network-modes");
	t_body_error_is("run --network a --network a busybox",
			"network \"a\" is specified multiple times");
	t_body_error_is("run --network name=a,alias=x --network-alias q busybox",
			"conflicting options: cannot specify both --network-alias and per-network "
			"alias");
	t_body_error_is("run --network name=a,ip=1.1.1.1 --ip 1.1.1.2 busybox",
			"conflicting options: cannot specify both --ip and per-network IPv4 "
			"address");
	t_body_error_is("run --mac-address zz busybox", "zz is not a valid mac address");
	t_body_error_is("run --network name=a,mac-address=02:42:ac:11:00 busybox",
			"02:42:ac:11:00 is not a valid mac address");
	t_body_error_is("run --mac-address 0242.ac11.0002 busybox", "no error");
	t_body_error_is("run --mac-address 02-42-ac-11-00-02-03-04 busybox", "no error");
	t_body_error_is("run --network name=a,foo=1 busybox",
			"invalid argument \"name=a,foo=1\" for \"--network\" flag: invalid field "
			"key foo");
	t_body_error_is("run --network a,alias=x busybox",
			"invalid argument \"a,alias=x\" for \"--network\" flag: invalid field a");
	t_body_error_is("run --network alias=x busybox",
			"invalid argument \"alias=x\" for \"--network\" flag: network name/id is "
			"not specified");
	t_body_error_is("run --network name=a,gw-priority=x busybox",
			"invalid argument \"name=a,gw-priority=x\" for \"--network\" flag: invalid "
			"gw-priority (x): invalid syntax");
	t_body_error_is("run --network name=a,driver-opt=k busybox",
			"invalid argument \"name=a,driver-opt=k\" for \"--network\" flag: invalid "
			"key value pair format in driver options");
	t_body_error_is("run -p 80/foo busybox", "invalid proto: foo");
	t_body_error_is("run --expose 1:2 busybox", "invalid port format for --expose: 1:2");
}

/* One validator: the value it keeps, or its message. */
static void t_check_is(opts_check_fn check, const char *value, const char *want)
{
	struct berr *err = NULL;
	char *got = NULL;

	if (check(value, &got, &err) < 0)
		got = xstrdup(berr_msg(err));
	assert_string_equal(got, want);
	free(got);
	berr_free(err);
}

static void test_run_flag_checks(void **state)
{
	struct strv args = {0};
	struct run_opts o;

	(void)state;
	t_check_is(netopts_check_ip, " 1.1.1.1 ", "1.1.1.1");
	t_check_is(netopts_check_ip, "0:0::1", "::1");
	t_check_is(netopts_check_ip, "::ffff:1.2.3.4", "1.2.3.4");
	t_check_is(netopts_check_ip, "x", "IP address is not correctly formatted: x");
	t_check_is(netopts_check_dns_search, "example.com", "example.com");
	t_check_is(netopts_check_dns_search, " Foo.bar. ", "Foo.bar");
	t_check_is(netopts_check_dns_search, ".", ".");
	t_check_is(netopts_check_dns_search, "1.2.3", "1.2.3 is not a valid domain");
	t_check_is(netopts_check_dns_search, "-a.b", "-a.b is not a valid domain");
	t_check_is(netopts_check_dns_search, "a_b", "a_b is not a valid domain");
	t_check_is(netopts_check_extra_host, "a:1.2.3.4", "a:1.2.3.4");
	t_check_is(netopts_check_extra_host, "b=::1", "b:::1");
	t_check_is(netopts_check_extra_host, "c:[::2]", "c:::2");
	t_check_is(netopts_check_extra_host, "e:::3", "e:::3");
	t_check_is(netopts_check_extra_host, "f=[1.2.3.4]", "f:1.2.3.4");
	t_check_is(netopts_check_extra_host, "d:host-gateway", "d:host-gateway");
	t_check_is(netopts_check_extra_host, "a", "bad format for add-host: \"a\"");
	t_check_is(netopts_check_extra_host, ":1.2.3.4", "bad format for add-host: \":1.2.3.4\"");
	t_check_is(netopts_check_extra_host, "a:b:c=1.2.3.4",
		   "bad format for add-host: \"a:b:c=1.2.3.4\"");
	t_check_is(netopts_check_extra_host, "a:[zz]", "invalid IP address in add-host: \"zz\"");
	t_check_is(netopts_check_link, "/a:/b", "/a:/b");
	t_check_is(netopts_check_link, "a:b:c", "bad format for links: a:b:c");
	t_check_is(netopts_check_link, "", "empty string specified for links");
	t_check_is(netopts_check_int, "-5", "-5");
	t_check_is(netopts_check_int, "0x10", "0x10");
	t_check_is(netopts_check_int, "x", "strconv.ParseInt: parsing \"x\": invalid syntax");
	/* the values are stored as docker sends them */
	assert_int_equal(t_run_parse(&o, &args,
				     "run --dns 0:0::1 --dns-search Foo.bar. --add-host b=::1 "
				     "busybox"),
			 0);
	assert_string_equal(o.dns.v[0], "::1");
	assert_string_equal(o.dns_search.v[0], "Foo.bar");
	assert_string_equal(o.add_host.v[0], "b:::1");
	assert_string_equal(netopts_localhost_dns(&o.dns), "::1");
	opts_free(run_defs, &o);
	strv_done(&args);
	t_body_error_is("run --dns x busybox",
			"invalid argument \"x\" for \"--dns\" flag: IP address is not correctly "
			"formatted: x");
	t_body_error_is("run --link a:b:c busybox",
			"invalid argument \"a:b:c\" for \"--link\" flag: bad format for links: "
			"a:b:c");
}

/* --- network connect and disconnect --- */

static const struct cmd_entry *t_cmd(const char *group, const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (cmd_table[i]->group && streq(cmd_table[i]->group, group) &&
		    streq(cmd_table[i]->name, name))
			return cmd_table[i];
	fail();
	return NULL;
}

/* The connect body for argv (as the flags parse and check it), or the
 * error. */
static char *t_connect(struct strv *argv)
{
	const struct cmd_entry *e = t_cmd("network", "connect");
	struct netopts_connect o = {0};
	struct strv args = {0};
	struct berr *err = NULL;
	json_t *body = NULL;
	char *out;
	int r = opts_parse(e->opts, &o, (int)argv->n, argv->v, &args, &err);

	if (r == 0)
		r = e->check(&o, &err);
	if (r == 0)
		r = netopts_connect_body(args.v[1], &o, &body, &err);
	out = r < 0 ? xstrdup(berr_msg(err)) : json_dumps(body, JSON_COMPACT);
	json_decref(body);
	berr_free(err);
	opts_free(e->opts, &o);
	strv_done(&args);
	strv_done(argv);
	return out;
}

static void t_connect_is(const char *line, const char *want)
{
	struct strv argv = t_strv(line);
	char *got = t_connect(&argv);

	assert_string_equal(got, want);
	free(got);
}

static void test_network_connect_body(void **state)
{
	struct strv argv = {0};
	char *got;

	(void)state;
	t_connect_is(
		"connect net1 c2",
		"{\"Container\":\"c2\",\"EndpointConfig\":{\"IPAMConfig\":{},\"Links\":null,"
		"\"Aliases\":[],\"MacAddress\":\"\",\"DriverOpts\":{},\"GwPriority\":0," T_EP_TAIL
		"}");
	t_connect_is(
		"connect --alias a --alias b --ip 10.0.0.2 --ip6 fd00::2 --link web:w --link db "
		"--driver-opt k=v --driver-opt z=a=b --gw-priority 3 net1 c2",
		"{\"Container\":\"c2\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv4Address\":"
		"\"10.0.0.2\",\"IPv6Address\":\"fd00::2\"},\"Links\":[\"web:w\",\"db\"],"
		"\"Aliases\":[\"a\",\"b\"],\"MacAddress\":\"\",\"DriverOpts\":{\"k\":\"v\","
		"\"z\":\"a=b\"},\"GwPriority\":3," T_EP_TAIL "}");
	/* --alias, --driver-opt and --link-local-ip are CSV lists */
	t_connect_is(
		"connect --alias a,b --driver-opt k=v,k2=v2 --link-local-ip 169.254.0.1 "
		"--link-local-ip fe80::1,169.254.0.2 --gw-priority -5 net1 c2",
		"{\"Container\":\"c2\",\"EndpointConfig\":{\"IPAMConfig\":{\"LinkLocalIPs\":["
		"\"169.254.0.1\",\"fe80::1\",\"169.254.0.2\"]},\"Links\":null,\"Aliases\":[\"a\","
		"\"b\"],\"MacAddress\":\"\",\"DriverOpts\":{\"k\":\"v\",\"k2\":\"v2\"},"
		"\"GwPriority\":-5," T_EP_TAIL "}");
	t_connect_is("connect --driver-opt z net1 c2",
		     "invalid key/value pair format in driver options");
	t_connect_is("connect --gw-priority x net1 c2",
		     "invalid argument \"x\" for \"--gw-priority\" flag: strconv.ParseInt: parsing "
		     "\"x\": invalid syntax");
	t_connect_is("connect --link a:b:c net1 c2",
		     "invalid argument \"a:b:c\" for \"--link\" flag: bad format for links: a:b:c");
	/* spaces kept in aliases, trimmed around driver options; quotes */
	strv_push(&argv, "connect");
	strv_push(&argv, "--driver-opt");
	strv_push(&argv, " k = v ");
	strv_push(&argv, "--alias");
	strv_push(&argv, " a ,\"x,y\"");
	strv_push(&argv, "n");
	strv_push(&argv, "c");
	got = t_connect(&argv);
	assert_non_null(strstr(got, "\"Aliases\":[\" a \",\"x,y\"]"));
	assert_non_null(strstr(got, "\"DriverOpts\":{\"k\":\"v\"}"));
	free(got);
	strv_push(&argv, "connect");
	strv_push(&argv, "--alias");
	strv_push(&argv, "a\"b");
	strv_push(&argv, "n");
	strv_push(&argv, "c");
	got = t_connect(&argv);
	assert_string_equal(got, "invalid argument \"a\\\"b\" for \"--alias\" flag: parse error on "
				 "line 1, column 2: bare \" in non-quoted-field");
	free(got);
}

static void test_network_disconnect_body(void **state)
{
	json_t *b;

	(void)state;
	b = netopts_disconnect_body("c2", false);
	t_json_raw_is(b, "{\"Container\":\"c2\",\"Force\":false}");
	json_decref(b);
	b = netopts_disconnect_body("c2", true);
	t_json_raw_is(b, "{\"Container\":\"c2\",\"Force\":true}");
	json_decref(b);
}

/* Go's encoding/csv, as pflag reads StringSlice values. */
static void t_csv_is(const char *s, const char *want)
{
	struct strv sv = {0};
	struct berr *err = NULL;
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	if (opts_split_csv(s, &sv, &err) < 0)
		fputs(berr_msg(err), f);
	for (size_t i = 0; i < sv.n; i++)
		fprintf(f, "[%s]", sv.v[i]);
	fclose(f);
	assert_string_equal(got, want);
	free(got);
	berr_free(err);
	strv_done(&sv);
}

static void test_opts_csv(void **state)
{
	(void)state;
	t_csv_is("", "");
	t_csv_is("a", "[a]");
	t_csv_is("a,,b", "[a][][b]");
	t_csv_is(",", "[][]");
	t_csv_is("\"a\"\"b\",c", "[a\"b][c]");
	t_csv_is("\"x,y\",z", "[x,y][z]");
	t_csv_is("a\"b", "parse error on line 1, column 2: bare \" in non-quoted-field");
	t_csv_is("\"ab",
		 "parse error on line 1, column 4: extraneous or missing \" in quoted-field");
	t_csv_is("x,\"a\"b",
		 "parse error on line 1, column 5: extraneous or missing \" in quoted-field");
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
		cmocka_unit_test(test_tmpl_parens),
		cmocka_unit_test(test_tmpl_parens_errors),
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
		cmocka_unit_test(test_ports_publish),
		cmocka_unit_test(test_ports_publish_refused),
		cmocka_unit_test(test_ports_expose),
		cmocka_unit_test(test_ports_display),
		cmocka_unit_test(test_ports_lookup),
		cmocka_unit_test(test_run_networks),
		cmocka_unit_test(test_run_network_links_and_ports),
		cmocka_unit_test(test_run_network_refusals),
		cmocka_unit_test(test_run_flag_checks),
		cmocka_unit_test(test_network_connect_body),
		cmocka_unit_test(test_network_disconnect_body),
		cmocka_unit_test(test_opts_csv),
		cmocka_unit_test(test_exec_flags),
		cmocka_unit_test(test_events_line),
		cmocka_unit_test(test_commit_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
