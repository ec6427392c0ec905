/* tmpl.c - a Go text/template subset over JSON values (see tmpl.h).  The
 * text is cut into literal text and {{actions}}; actions are parsed into
 * pipes of commands, whose arguments may be parenthesised pipes again;
 * {{range}}, {{if}} and {{with}} nest lists of nodes up to their {{end}}.
 * Used by every --format of the CLI. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/tmpl.h"
#include "core/util.h"

/* Syntax errors read as docker prints Go's. */
#define TMPL_PARSE_ERR "template parsing error: template: :1: "

/* Nesting of parentheses allowed; Go has such a limit too, and both parsing
 * and evaluation recurse once per level. */
#define TMPL_MAX_DEPTH 100

enum tmpl_arg_kind {
	TMPL_ARG_FIELD,	 /* .A.B (path empty for ".") */
	TMPL_ARG_STRING, /* "text" */
	TMPL_ARG_VALUE,	 /* a number, true, false, nil */
	TMPL_ARG_FUNC,	 /* json, join, ... */
	TMPL_ARG_PIPE,	 /* (pipe).A.B (path empty for "(pipe)"), s its text */
};

struct tmpl_pipe;

struct tmpl_arg {
	enum tmpl_arg_kind kind;
	char *s;		/* STRING, FUNC, PIPE (the source, for errors) */
	struct strv path;	/* FIELD, PIPE: fields applied to dot or the pipe */
	json_t *value;		/* VALUE */
	struct tmpl_pipe *pipe; /* PIPE */
};

/* One command of a pipe: a function with arguments or a value. */
struct tmpl_cmd {
	struct tmpl_arg *args;
	size_t n, cap;
};

struct tmpl_pipe {
	struct tmpl_cmd *cmds;
	size_t n, cap;
};

enum tmpl_node_kind {
	TMPL_TEXT,
	TMPL_ACTION,
	TMPL_RANGE,
	TMPL_IF,
	TMPL_WITH
};

struct tmpl_node;

struct tmpl_list {
	struct tmpl_node *nodes;
	size_t n, cap;
};

struct tmpl_node {
	enum tmpl_node_kind kind;
	char *text;	       /* TEXT */
	struct tmpl_pipe pipe; /* all others */
	struct tmpl_list body, alt;
};

struct tmpl {
	struct tmpl_list root;
};

/* A piece of the source: literal text or the inside of an action. */
struct tmpl_item {
	bool action;
	char *text;
};

struct tmpl_items {
	struct tmpl_item *v;
	size_t n, cap;
};

/* --- freeing --- */

static void tmpl_list_done(struct tmpl_list *l);

static void tmpl_pipe_done(struct tmpl_pipe *p);

static void tmpl_arg_done(struct tmpl_arg *a)
{
	free(a->s);
	strv_done(&a->path);
	json_decref(a->value);
	if (a->pipe)
		tmpl_pipe_done(a->pipe);
	free(a->pipe);
}

static void tmpl_pipe_done(struct tmpl_pipe *p)
{
	for (size_t i = 0; i < p->n; i++) {
		for (size_t j = 0; j < p->cmds[i].n; j++)
			tmpl_arg_done(&p->cmds[i].args[j]);
		free(p->cmds[i].args);
	}
	free(p->cmds);
}

static void tmpl_list_done(struct tmpl_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->nodes[i].text);
		tmpl_pipe_done(&l->nodes[i].pipe);
		tmpl_list_done(&l->nodes[i].body);
		tmpl_list_done(&l->nodes[i].alt);
	}
	free(l->nodes);
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	tmpl_list_done(&t->root);
	free(t);
}

static void tmpl_items_done(struct tmpl_items *items)
{
	for (size_t i = 0; i < items->n; i++)
		free(items->v[i].text);
	free(items->v);
}

/* --- lexing: text and actions --- */

static void tmpl_items_push(struct tmpl_items *items, bool action, const char *s, size_t len)
{
	xgrow(&items->v, &items->cap, items->n + 1, sizeof(*items->v));
	items->v[items->n++] = (struct tmpl_item){action, xstrndup(s, len)};
}

/* End of the action starting at s (just after "{{"): the "}}" outside of
 * quotes, or NULL. */
static const char *tmpl_action_end(const char *s)
{
	char quote = 0;

	for (; *s; s++) {
		if (quote && *s == '\\' && quote == '"' && s[1])
			s++;
		else if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '"' || *s == '`'))
			quote = *s;
		else if (!quote && s[0] == '}' && s[1] == '}')
			return s;
	}
	return NULL;
}

/* Drop trailing white space of the last text item ("{{- "). */
static void tmpl_trim_last_text(struct tmpl_items *items)
{
	struct tmpl_item *it = items->n ? &items->v[items->n - 1] : NULL;
	size_t len;

	if (!it || it->action)
		return;
	len = strlen(it->text);
	while (len && isspace((unsigned char)it->text[len - 1]))
		it->text[--len] = '\0';
}

static int tmpl_lex(const char *s, struct tmpl_items *items, struct berr **err)
{
	bool trim_next = false;

	while (*s) {
		const char *open, *end, *in;

		if (trim_next)
			while (isspace((unsigned char)*s))
				s++;
		open = strstr(s, "{{");
		if (!open) {
			tmpl_items_push(items, false, s, strlen(s));
			break;
		}
		tmpl_items_push(items, false, s, (size_t)(open - s));
		in = open + 2;
		if (in[0] == '-' && isspace((unsigned char)in[1])) {
			tmpl_trim_last_text(items);
			in += 2;
		}
		end = tmpl_action_end(in);
		if (!end)
			return berr_set(err, EINVAL, "template parsing error: unclosed action");
		trim_next = end - in >= 2 && end[-1] == '-' && isspace((unsigned char)end[-2]);
		tmpl_items_push(items, true, in, (size_t)(end - in) - (trim_next ? 2 : 0));
		s = end + 2;
	}
	return 0;
}

/* --- parsing an action into a pipe --- */

/* End of the token at s: a quoted string (NULL if it is unterminated), one
 * of "|()", or a word running up to a space, one of those or a quote. */
static const char *tmpl_token_end(const char *s)
{
	const char *e;

	if (*s == '"' || *s == '`') {
		for (e = s + 1; *e && *e != *s; e++)
			if (*s == '"' && *e == '\\' && e[1])
				e++;
		return *e ? e + 1 : NULL;
	}
	if (*s && strchr("|()", *s))
		return s + 1;
	for (e = s; *e && !isspace((unsigned char)*e) && !strchr("|()\"`", *e); e++)
		;
	return e;
}

/* s[0..len) in double quotes with escapes, as Go's %q prints it in parse
 * errors.  Caller frees. */
static char *tmpl_go_quote(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return q ? q : xasprintf("\"%.*s\"", (int)len, s);
}

/* Go's "unexpected <token> in <context>", the token at s quoted as Go's
 * %.10q quotes it. */
static int tmpl_unexpected(const char *s, const char *context, struct berr **err)
{
	const char *e = tmpl_token_end(s);
	size_t len = e ? (size_t)(e - s) : strlen(s);
	_cleanup_free_ char *q = tmpl_go_quote(s, len > 10 ? 10 : len);

	return berr_set(err, EINVAL, TMPL_PARSE_ERR "unexpected %s%s in %s", q,
			len > 10 ? "..." : "", context);
}

/* The value of a quoted token, escapes resolved. */
static char *tmpl_unquote(const char *tok)
{
	size_t len = strlen(tok) - 2;
	char *out = xmalloc(len + 1), *o = out;

	for (const char *s = tok + 1; s < tok + 1 + len; s++) {
		if (tok[0] == '"' && *s == '\\' && s + 1 < tok + 1 + len) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static const char *const tmpl_func_names[] = {
	"json", "join", "split", "upper", "lower", "title", "index", "len", "println",
};

static bool tmpl_is_func(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tmpl_func_names); i++)
		if (streq(tmpl_func_names[i], name))
			return true;
	return false;
}

/* A literal word: number, true, false, nil; NULL if it is none. */
static json_t *tmpl_literal(const char *tok)
{
	char *end;
	long long v;

	if (streq(tok, "true") || streq(tok, "false"))
		return json_boolean(streq(tok, "true"));
	if (streq(tok, "nil"))
		return json_null();
	errno = 0;
	v = strtoll(tok, &end, 10);
	if (!errno && *tok && !*end)
		return json_integer(v);
	return NULL;
}

static int tmpl_parse_arg(const char *tok, struct tmpl_arg *ret, struct berr **err)
{
	if (tok[0] == '"' || tok[0] == '`') {
		ret->kind = TMPL_ARG_STRING;
		ret->s = tmpl_unquote(tok);
	} else if (tok[0] == '.') {
		_cleanup_free_ char *copy = xstrdup(tok + 1);
		char *save = NULL;

		ret->kind = TMPL_ARG_FIELD;
		for (char *f = strtok_r(copy, ".", &save); f; f = strtok_r(NULL, ".", &save))
			strv_push(&ret->path, f);
	} else if ((ret->value = tmpl_literal(tok))) {
		ret->kind = TMPL_ARG_VALUE;
	} else if (tmpl_is_func(tok)) {
		ret->kind = TMPL_ARG_FUNC;
		ret->s = xstrdup(tok);
	} else {
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "function \"%s\" not defined", tok);
	}
	return 0;
}

static struct tmpl_cmd *tmpl_pipe_add_cmd(struct tmpl_pipe *p)
{
	xgrow(&p->cmds, &p->cap, p->n + 1, sizeof(*p->cmds));
	p->cmds[p->n] = (struct tmpl_cmd){0};
	return &p->cmds[p->n++];
}

/* A new, empty argument at the end of cmd; it is freed with the tree even
 * if parsing it fails half-way. */
static struct tmpl_arg *tmpl_cmd_add_arg(struct tmpl_cmd *cmd)
{
	xgrow(&cmd->args, &cmd->cap, cmd->n + 1, sizeof(*cmd->args));
	cmd->args[cmd->n] = (struct tmpl_arg){0};
	return &cmd->args[cmd->n++];
}

static bool tmpl_is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* The field chain ".A.B" right after a ")", into path. */
static int tmpl_parse_chain(const char **p, struct strv *path, struct berr **err)
{
	const char *s = *p, *e;

	for (; *s == '.'; s = e) {
		_cleanup_free_ char *name = NULL;

		for (e = s + 1; tmpl_is_ident_char(*e); e++)
			;
		if (e == s + 1)
			return berr_set(err, EINVAL, TMPL_PARSE_ERR "unexpected <.> in operand");
		if (isdigit((unsigned char)s[1]))
			return tmpl_unexpected(s, "operand", err);
		name = xstrndup(s + 1, (size_t)(e - s - 1));
		strv_push(path, name);
	}
	*p = s;
	return 0;
}

static int tmpl_parse_pipe(const char **p, unsigned depth, struct tmpl_pipe *pipe,
			   struct berr **err);

/* "(pipe)" at *p, then the fields applied to its value, into a. */
static int tmpl_parse_paren(const char **p, unsigned depth, struct tmpl_arg *a, struct berr **err)
{
	const char *s = *p + 1;
	int r;

	if (depth > TMPL_MAX_DEPTH)
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "max expression depth exceeded");
	a->kind = TMPL_ARG_PIPE;
	a->pipe = xcalloc(1, sizeof(*a->pipe));
	r = tmpl_parse_pipe(&s, depth, a->pipe, err);
	if (r == 0)
		r = tmpl_parse_chain(&s, &a->path, err);
	if (r == 0)
		a->s = xstrndup(*p, (size_t)(s - *p));
	*p = s;
	return r;
}

/* A word (a field, literal or function) at *p, into a. */
static int tmpl_parse_word(const char **p, struct tmpl_arg *a, struct berr **err)
{
	const char *s = *p, *e = tmpl_token_end(s);
	_cleanup_free_ char *tok = NULL;
	int r;

	if (!e)
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "unterminated quoted string");
	tok = xstrndup(s, (size_t)(e - s));
	r = tmpl_parse_arg(tok, a, err);
	if (r == 0 && *e == '.' && (a->kind == TMPL_ARG_STRING || a->kind == TMPL_ARG_VALUE)) {
		_cleanup_free_ char *q = tmpl_go_quote(tok, strlen(tok));

		r = berr_set(err, EINVAL, TMPL_PARSE_ERR "unexpected . after term %s", q);
	}
	*p = e;
	return r;
}

/* One operand at *p, appended to cmd: a word or a parenthesised pipe at
 * depth + 1.  Go wants a space, "|", ")" or the end after it. */
static int tmpl_parse_operand(const char **p, unsigned depth, struct tmpl_cmd *cmd,
			      struct berr **err)
{
	struct tmpl_arg *a = tmpl_cmd_add_arg(cmd);
	int r;

	if (**p == '(')
		r = tmpl_parse_paren(p, depth + 1, a, err);
	else
		r = tmpl_parse_word(p, a, err);
	if (r == 0 && **p && !isspace((unsigned char)**p) && !strchr("|)", **p))
		r = tmpl_unexpected(*p, "operand", err);
	return r;
}

/* Parse "a b | c d" at *p into pipe: the rest of the action at depth 0,
 * else up to and past the ")" closing a parenthesised pipe. */
static int tmpl_parse_pipe(const char **p, unsigned depth, struct tmpl_pipe *pipe,
			   struct berr **err)
{
	const char *context = depth ? "parenthesized pipeline" : "command";
	struct tmpl_cmd *cmd = tmpl_pipe_add_cmd(pipe);
	const char *s = *p;
	int r;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == ')')
			break;
		if (*s == '|' && !cmd->n)
			return tmpl_unexpected(s, context, err);
		if (*s == '|') {
			cmd = tmpl_pipe_add_cmd(pipe);
			s++;
			continue;
		}
		r = tmpl_parse_operand(&s, depth, cmd, err);
		if (r < 0)
			return r;
	}
	if (depth && !*s)
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "unclosed left paren");
	if (!depth && *s)
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "unexpected right paren");
	if (!cmd->n)
		return berr_set(err, EINVAL, TMPL_PARSE_ERR "missing value for %s", context);
	*p = depth ? s + 1 : s;
	return 0;
}

/* --- parsing the node tree --- */

enum tmpl_stop {
	TMPL_STOP_EOF,
	TMPL_STOP_ELSE,
	TMPL_STOP_END
};

static int tmpl_parse_list(const struct tmpl_items *items, size_t *i, struct tmpl_list *l,
			   enum tmpl_stop *ret_stop, struct berr **err);

static struct tmpl_node *tmpl_list_add(struct tmpl_list *l, enum tmpl_node_kind kind)
{
	xgrow(&l->nodes, &l->cap, l->n + 1, sizeof(*l->nodes));
	l->nodes[l->n] = (struct tmpl_node){.kind = kind};
	return &l->nodes[l->n++];
}

/* The keyword an action starts with ("range", "end", ...), or NULL.  A
 * keyword taking a pipe may be followed by its "(" directly: {{if(...)}}. */
static const char *tmpl_keyword(const char *action, const char **ret_rest)
{
	static const struct {
		const char *name;
		bool takes_pipe;
	} kw[] = {
		{"range", true}, {"if", true}, {"with", true}, {"else", false}, {"end", false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(kw); i++) {
		size_t n = strlen(kw[i].name);
		char next;

		if (strncmp(action, kw[i].name, n))
			continue;
		next = action[n];
		if (!next || isspace((unsigned char)next) || (kw[i].takes_pipe && next == '(')) {
			*ret_rest = action + n;
			return kw[i].name;
		}
	}
	return NULL;
}

/* A {{range}}, {{if}} or {{with}} block up to its {{end}}. */
static int tmpl_parse_block(const struct tmpl_items *items, size_t *i, struct tmpl_node *n,
			    const char *pipe, struct berr **err)
{
	enum tmpl_stop stop;
	int r;

	r = tmpl_parse_pipe(&pipe, 0, &n->pipe, err);
	if (r == 0)
		r = tmpl_parse_list(items, i, &n->body, &stop, err);
	if (r == 0 && stop == TMPL_STOP_ELSE)
		r = tmpl_parse_list(items, i, &n->alt, &stop, err);
	if (r == 0 && stop != TMPL_STOP_END)
		r = berr_set(err, EINVAL, "template parsing error: unexpected EOF");
	return r;
}

static int tmpl_parse_action(const struct tmpl_items *items, size_t *i, struct tmpl_list *l,
			     enum tmpl_stop *ret_stop, struct berr **err)
{
	const char *text = items->v[*i].text, *rest = NULL;
	const char *kw;

	while (isspace((unsigned char)*text))
		text++;
	kw = tmpl_keyword(text, &rest);
	(*i)++;
	if (kw && streq(kw, "end")) {
		*ret_stop = TMPL_STOP_END;
		return 1;
	}
	if (kw && streq(kw, "else")) {
		*ret_stop = TMPL_STOP_ELSE;
		return 1;
	}
	if (kw)
		return tmpl_parse_block(items, i,
					tmpl_list_add(l, streq(kw, "range") ? TMPL_RANGE
							 : streq(kw, "if")  ? TMPL_IF
									    : TMPL_WITH),
					rest, err);
	return tmpl_parse_pipe(&text, 0, &tmpl_list_add(l, TMPL_ACTION)->pipe, err);
}

static int tmpl_parse_list(const struct tmpl_items *items, size_t *i, struct tmpl_list *l,
			   enum tmpl_stop *ret_stop, struct berr **err)
{
	int r;

	while (*i < items->n) {
		if (!items->v[*i].action) {
			tmpl_list_add(l, TMPL_TEXT)->text = xstrdup(items->v[(*i)++].text);
			continue;
		}
		r = tmpl_parse_action(items, i, l, ret_stop, err);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	*ret_stop = TMPL_STOP_EOF;
	return 0;
}

int tmpl_parse(const char *text, struct tmpl **ret, struct berr **err)
{
	struct tmpl_items items = {0};
	struct tmpl *t = xcalloc(1, sizeof(*t));
	enum tmpl_stop stop;
	size_t i = 0;
	int r;

	r = tmpl_lex(text, &items, err);
	if (r == 0)
		r = tmpl_parse_list(&items, &i, &t->root, &stop, err);
	if (r == 0 && stop != TMPL_STOP_EOF)
		r = berr_set(err, EINVAL, "template parsing error: template: :1: unexpected {{%s}}",
			     stop == TMPL_STOP_END ? "end" : "else");
	tmpl_items_done(&items);
	if (r < 0) {
		tmpl_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

/* --- printing values as Go does --- */

static void tmpl_print_value(FILE *f, json_t *v);

/* Go's %v of a float64: the shortest form that reads back the same. */
static void tmpl_print_real(FILE *f, double d)
{
	char buf[64];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fputs(buf, f);
}

static int tmpl_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* map[a:1 b:2], keys sorted as Go sorts them. */
static void tmpl_print_object(FILE *f, json_t *v)
{
	size_t n = json_object_size(v), i = 0;
	_cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *x;

	json_object_foreach (v, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), tmpl_key_cmp);
	fputs("map[", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s%s:", i ? " " : "", keys[i]);
		tmpl_print_value(f, json_object_get(v, keys[i]));
	}
	fputc(']', f);
}

static void tmpl_print_value(FILE *f, json_t *v)
{
	size_t i;
	json_t *x;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		fwrite(json_string_value(v), 1, json_string_length(v), f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		tmpl_print_real(f, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		fputs(json_is_true(v) ? "true" : "false", f);
		break;
	case JSON_ARRAY:
		fputc('[', f);
		json_array_foreach (v, i, x) {
			if (i)
				fputc(' ', f);
			tmpl_print_value(f, x);
		}
		fputc(']', f);
		break;
	case JSON_OBJECT:
		tmpl_print_object(f, v);
		break;
	case JSON_NULL:
		/* a missing field prints as an absent string field of docker's
		 * typed structs does: empty */
		if (v)
			fputs("<no value>", f);
		break;
	}
}

char *tmpl_value_str(json_t *v)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	tmpl_print_value(f, v);
	fclose(f);
	return s;
}

/* --- evaluation --- */

/* Field name of o: exact first, then ignoring case (Go's struct field ID
 * against the JSON key Id).  Borrowed or NULL. */
static json_t *tmpl_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);
	const char *k;

	if (v || !json_is_object(o))
		return v;
	json_object_foreach (o, k, v)
		if (!strcasecmp(k, name))
			return v;
	return NULL;
}

/* The value at path below v (a reference, which this takes): a new
 * reference or NULL (missing). */
static json_t *tmpl_walk(json_t *v, const struct strv *path)
{
	json_t *x = v;

	for (size_t i = 0; x && i < path->n; i++)
		x = tmpl_field(x, path->v[i]);
	json_incref(x);
	json_decref(v);
	return x;
}

static json_t *tmpl_eval_pipe(const struct tmpl_pipe *p, json_t *dot, struct berr **err, int *r);

/* New reference or NULL (missing); *r < 0 on error. */
static json_t *tmpl_eval_arg(const struct tmpl_arg *a, json_t *dot, struct berr **err, int *r)
{
	switch (a->kind) {
	case TMPL_ARG_STRING:
		return json_string(a->s);
	case TMPL_ARG_VALUE:
		return json_incref(a->value);
	case TMPL_ARG_FIELD:
		return tmpl_walk(json_incref(dot), &a->path);
	case TMPL_ARG_PIPE:
		return tmpl_walk(tmpl_eval_pipe(a->pipe, dot, err, r), &a->path);
	case TMPL_ARG_FUNC:
		break;
	}
	return NULL;
}

typedef json_t *(*tmpl_func_fn)(json_t **args, size_t n, struct berr **err, int *r);

static json_t *tmpl_fn_json(json_t **args, size_t n, struct berr **err, int *r)
{
	char *s;
	json_t *ret;

	(void)err, (void)r;
	s = json_dumps(n ? args[0] : NULL, JSON_COMPACT | JSON_ENCODE_ANY);
	ret = json_string(s ? s : "null");
	free(s);
	return ret;
}

static json_t *tmpl_fn_join(json_t **args, size_t n, struct berr **err, int *r)
{
	const char *sep = n > 1 ? json_string_value(args[1]) : NULL;
	char *s = NULL;
	size_t len = 0, i;
	FILE *f;
	json_t *x, *ret;

	if (n != 2 || !sep || !json_is_array(args[0])) {
		*r = berr_set(err, EINVAL, "template: :1: wrong arguments for join");
		return NULL;
	}
	f = open_memstream(&s, &len);
	json_array_foreach (args[0], i, x) {
		if (i)
			fputs(sep, f);
		tmpl_print_value(f, x);
	}
	fclose(f);
	ret = json_string(s);
	free(s);
	return ret;
}

static json_t *tmpl_fn_split(json_t **args, size_t n, struct berr **err, int *r)
{
	const char *s = n == 2 ? json_string_value(args[0]) : NULL;
	const char *sep = n == 2 ? json_string_value(args[1]) : NULL;
	json_t *ret;

	if (!s || !sep || !*sep) {
		*r = berr_set(err, EINVAL, "template: :1: wrong arguments for split");
		return NULL;
	}
	ret = json_array();
	for (const char *e; (e = strstr(s, sep)); s = e + strlen(sep))
		json_array_append_new(ret, json_stringn(s, (size_t)(e - s)));
	json_array_append_new(ret, json_string(s));
	return ret;
}

/* upper, lower, title: a string mapped character by character. */
static json_t *tmpl_case(json_t **args, size_t n, int mode, struct berr **err, int *r)
{
	char *s;
	json_t *ret;

	if (n != 1 || !json_is_string(args[0])) {
		*r = berr_set(err, EINVAL, "template: :1: wrong argument: a string is needed");
		return NULL;
	}
	s = xstrdup(json_string_value(args[0]));
	for (char *p = s; *p; p++) {
		bool word_start = p == s || isspace((unsigned char)p[-1]);

		if (mode == 0 || (mode == 2 && word_start))
			*p = (char)toupper((unsigned char)*p);
		else if (mode == 1)
			*p = (char)tolower((unsigned char)*p);
	}
	ret = json_string(s);
	free(s);
	return ret;
}

static json_t *tmpl_fn_upper(json_t **args, size_t n, struct berr **err, int *r)
{
	return tmpl_case(args, n, 0, err, r);
}

static json_t *tmpl_fn_lower(json_t **args, size_t n, struct berr **err, int *r)
{
	return tmpl_case(args, n, 1, err, r);
}

static json_t *tmpl_fn_title(json_t **args, size_t n, struct berr **err, int *r)
{
	return tmpl_case(args, n, 2, err, r);
}

/* index x k1 k2 ...: keys of objects, integers of arrays. */
static json_t *tmpl_fn_index(json_t **args, size_t n, struct berr **err, int *r)
{
	json_t *v = n ? args[0] : NULL;

	for (size_t i = 1; v && i < n; i++) {
		if (json_is_object(v) && json_is_string(args[i]))
			v = json_object_get(v, json_string_value(args[i]));
		else if (json_is_array(v) && json_is_integer(args[i]))
			v = json_array_get(v, (size_t)json_integer_value(args[i]));
		else
			v = NULL;
	}
	if (n == 0)
		*r = berr_set(err, EINVAL, "template: :1: wrong number of args for index");
	return json_incref(v);
}

static json_t *tmpl_fn_len(json_t **args, size_t n, struct berr **err, int *r)
{
	json_t *v = n == 1 ? args[0] : NULL;

	if (json_is_array(v))
		return json_integer((json_int_t)json_array_size(v));
	if (json_is_object(v))
		return json_integer((json_int_t)json_object_size(v));
	if (json_is_string(v))
		return json_integer((json_int_t)json_string_length(v));
	*r = berr_set(err, EINVAL, "template: :1: len of an unsupported type");
	return NULL;
}

static json_t *tmpl_fn_println(json_t **args, size_t n, struct berr **err, int *r)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	json_t *ret;

	(void)err, (void)r;
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(' ', f);
		tmpl_print_value(f, args[i]);
	}
	fputc('\n', f);
	fclose(f);
	ret = json_string(s);
	free(s);
	return ret;
}

static const struct {
	const char *name;
	tmpl_func_fn fn;
} tmpl_funcs[] = {
	{"json", tmpl_fn_json},	  {"join", tmpl_fn_join},   {"split", tmpl_fn_split},
	{"upper", tmpl_fn_upper}, {"lower", tmpl_fn_lower}, {"title", tmpl_fn_title},
	{"index", tmpl_fn_index}, {"len", tmpl_fn_len},	    {"println", tmpl_fn_println},
};

static tmpl_func_fn tmpl_func_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tmpl_funcs); i++)
		if (streq(tmpl_funcs[i].name, name))
			return tmpl_funcs[i].fn;
	return NULL;
}

/* A value with arguments: an object is indexed by them (.Label "k"; a
 * missing key is "", as docker's Label method returns), any other value is
 * itself (the header row of a table). */
static json_t *tmpl_apply_args(json_t *v, json_t **args, size_t n)
{
	json_t *x = v;

	for (size_t i = 0; i < n && json_is_object(x); i++)
		x = json_object_get(x, json_string_value(args[i]));
	x = x ? json_incref(x) : json_string("");
	json_decref(v);
	return x;
}

/* The first word of a command given the values args[0..n) (borrowed):
 * a function is called, a (pipe) refuses them as Go does. */
static json_t *tmpl_call(const struct tmpl_arg *head, json_t *dot, json_t **args, size_t n,
			 struct berr **err, int *r)
{
	if (head->kind == TMPL_ARG_FUNC)
		return tmpl_func_find(head->s)(args, n, err, r);
	if (n && head->kind == TMPL_ARG_PIPE) {
		*r = berr_set(err, EINVAL, "template: :1: can't give argument to non-function %s",
			      head->s);
		return NULL;
	}
	if (n)
		return tmpl_apply_args(tmpl_eval_arg(head, dot, err, r), args, n);
	return tmpl_eval_arg(head, dot, err, r);
}

/* Evaluate one command; prev is the value piped in (borrowed, or NULL). */
static json_t *tmpl_eval_cmd(const struct tmpl_cmd *c, json_t *dot, json_t *prev, struct berr **err,
			     int *r)
{
	size_t n = 0;
	_cleanup_free_ json_t **args = xcalloc(c->n + 1, sizeof(*args));
	json_t *ret = NULL;

	for (size_t i = 1; *r == 0 && i < c->n; i++)
		args[n++] = tmpl_eval_arg(&c->args[i], dot, err, r);
	if (prev)
		args[n++] = json_incref(prev);
	if (*r == 0)
		ret = tmpl_call(&c->args[0], dot, args, n, err, r);
	for (size_t i = 0; i < n; i++)
		json_decref(args[i]);
	return ret;
}

/* Evaluate a pipe: new reference or NULL; *r < 0 on error. */
static json_t *tmpl_eval_pipe(const struct tmpl_pipe *p, json_t *dot, struct berr **err, int *r)
{
	json_t *v = NULL;

	for (size_t i = 0; *r == 0 && i < p->n; i++) {
		json_t *next = tmpl_eval_cmd(&p->cmds[i], dot, v, err, r);

		json_decref(v);
		v = next;
	}
	return v;
}

/* Go's truth: false, 0, "", nil and empty collections are false. */
static bool tmpl_truth(json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return true;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

static int tmpl_exec_list(const struct tmpl_list *l, json_t *dot, FILE *out, struct berr **err);

/* {{range}}: arrays in order, objects by sorted key. */
static int tmpl_exec_range(const struct tmpl_node *n, json_t *v, FILE *out, struct berr **err)
{
	size_t i, cnt = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	_cleanup_free_ const char **keys = xcalloc(cnt + 1, sizeof(*keys));
	const char *k;
	json_t *x;
	int r = 0;

	if (!tmpl_truth(v) || (!json_is_array(v) && !json_is_object(v)))
		return tmpl_exec_list(&n->alt, v, out, err);
	if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			if ((r = tmpl_exec_list(&n->body, x, out, err)) < 0)
				return r;
		return 0;
	}
	i = 0;
	json_object_foreach (v, k, x)
		keys[i++] = k;
	qsort(keys, cnt, sizeof(*keys), tmpl_key_cmp);
	for (i = 0; r == 0 && i < cnt; i++)
		r = tmpl_exec_list(&n->body, json_object_get(v, keys[i]), out, err);
	return r;
}

static int tmpl_exec_node(const struct tmpl_node *n, json_t *dot, FILE *out, struct berr **err)
{
	json_t *v;
	int r = 0;

	if (n->kind == TMPL_TEXT) {
		fputs(n->text, out);
		return 0;
	}
	v = tmpl_eval_pipe(&n->pipe, dot, err, &r);
	if (r == 0 && n->kind == TMPL_ACTION)
		tmpl_print_value(out, v);
	else if (r == 0 && n->kind == TMPL_RANGE)
		r = tmpl_exec_range(n, v, out, err);
	else if (r == 0)
		r = tmpl_exec_list(tmpl_truth(v) ? &n->body : &n->alt,
				   n->kind == TMPL_WITH && tmpl_truth(v) ? v : dot, out, err);
	json_decref(v);
	return r;
}

static int tmpl_exec_list(const struct tmpl_list *l, json_t *dot, FILE *out, struct berr **err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < l->n; i++)
		r = tmpl_exec_node(&l->nodes[i], dot, out, err);
	return r;
}

int tmpl_render(const struct tmpl *t, json_t *data, char **ret, struct berr **err)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int r;

	if (!f)
		abort();
	r = tmpl_exec_list(&t->root, data, f, err);
	fclose(f);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}
