/* cli.h - the berth command line: the command entry struct, the option
 * table every command declares, and the table of all commands (cmd.c).
 * A command is one `struct cmd_entry` in a cmd-<group>.c file plus one line
 * in cmd_table; its options are a `struct opts_def` table parsed by
 * opts_parse() into the command's own options struct. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "core/berr.h"

#define CLI_VERSION	 "0.1.0"
#define CLI_API_VERSION	 "1.41"
#define CLI_DEFAULT_HOST "unix:///run/berth/berth.sock"

/* A growable list of strings (repeatable flags, arguments).  Owns them. */
struct strv {
	char **v;
	size_t n, cap;
};

void strv_push(struct strv *sv, const char *s);
void strv_done(struct strv *sv);

/* A bool flag that may be absent ("--ipv4", "--ipv4=false", or none). */
struct opts_optbool {
	bool set;
	bool value;
};

enum opts_kind {
	OPTS_BOOL,    /* bool; "--x" or "--x=false" */
	OPTS_OPTBOOL, /* struct opts_optbool (docker's *bool flags) */
	OPTS_STRING,  /* char *, last one wins; owned by the struct */
	OPTS_LIST,    /* struct strv, repeatable */
	OPTS_STRINGS, /* struct strv, repeatable, each value split as CSV (pflag's StringSlice) */
};

/* One flag: long name, short letter (0 if none), kind, offset of its field
 * in the command's options struct, a type word for help ("string", "list",
 * "map") and the help text. */
struct opts_def {
	const char *name;
	char short_name;
	enum opts_kind kind;
	size_t offset;
	const char *type;
	const char *help;
};

#define OPTS_END                                                                                   \
	{                                                                                          \
		.name = NULL                                                                       \
	}

struct cli;

/* docker's flag validators: check one value and put the value to store
 * (a new string, maybe normalised: caller frees) in *ret, or fail with
 * the text that follows "invalid argument "v" for "--flag" flag: ". */
typedef int (*opts_check_fn)(const char *value, char **ret, struct berr **err);

/* One command.  group is NULL for top-level commands ("version").  exec
 * gets the parsed options struct (size opts_size, zeroed, then filled by
 * opts_parse) and the positional arguments; it returns the exit code. */
struct cmd_entry {
	const char *group;
	const char *name;
	const char *alias;
	const char *args_usage; /* "[OPTIONS] NETWORK" */
	const char *summary;
	int min_args, max_args; /* max -1: unlimited */
	const struct opts_def *opts;
	size_t opts_size;
	void (*opts_free)(void *opts);
	int (*exec)(struct cli *cli, void *opts, int argc, char **argv);
	bool no_interspersed; /* flags end at the first argument (run IMAGE CMD -x) */
	int flag_status;      /* exit code for a bad flag; 0: 1 */
	/* Optional: check (and normalise) the parsed flag values; an error is
	 * reported as a bad flag, before the arguments are counted. */
	int (*check)(void *opts, struct berr **err);
};

/* What every command gets: the daemon address. */
struct cli {
	char *host; /* "unix:///run/berth/berth.sock" */
};

/* All commands, NULL-terminated (cmd.c). */
extern const struct cmd_entry *const cmd_table[];

/* Run argv (without the program name and global options) against cmd_table;
 * return the exit code. */
int cmd_run(struct cli *cli, int argc, char **argv);
/* Print the top-level help to stdout. */
void cmd_print_help(void);

struct client;

/* A client for cli->host; on failure prints the error and returns 1. */
int cmd_connect(struct cli *cli, struct client **ret);
/* Print err's message on stderr; return 1 (the exit code). */
int cmd_fail(const struct berr *err);
/* Print warning and read a line from in: docker's confirmation, true only
 * for "y" or "Y" (spaces trimmed). */
bool cmd_confirm(const char *warning, FILE *in);

/* Full name ("network create") of e, into a new string: caller frees. */
char *cmd_full_name(const struct cmd_entry *e);

/* Parse argv (argv[0] is the command name) by defs into opts; the
 * positional arguments are put into ret_args.  -1 with a message in err on
 * a bad flag; 1 when --help was asked for. */
int opts_parse(const struct opts_def *defs, void *opts, int argc, char **argv,
	       struct strv *ret_args, struct berr **err);
/* The same; with interspersed false the flags end at the first
 * positional argument (docker's SetInterspersed(false)). */
int opts_parse_mode(const struct opts_def *defs, void *opts, int argc, char **argv,
		    bool interspersed, struct strv *ret_args, struct berr **err);
/* Free the strings and lists defs put into opts. */
void opts_free(const struct opts_def *defs, void *opts);
/* Print the help of e (usage, summary, aliases, options) to stdout. */
void opts_print_help(const struct cmd_entry *e);
/* docker's usage error: message, "See '... --help'.", usage; on stderr. */
int opts_usage_error(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Check the argument count of e; print the usage error and return 1 if wrong. */
int opts_check_args(const struct cmd_entry *e, int argc);

/* Run check on each value of sv (the values of flag, e.g. "--dns") and
 * replace it by the value check returns.  The first refusal becomes
 * pflag's `invalid argument "v" for "--dns" flag: ...` in err. */
int opts_check_list(struct strv *sv, const char *flag, opts_check_fn check, struct berr **err);
/* The same for a string flag (*value may be NULL: nothing to check). */
int opts_check_string(char **value, const char *flag, opts_check_fn check, struct berr **err);
/* Append the fields of one CSV record s (Go's encoding/csv: commas, double
 * quotes, "" for a quote) to ret; "" adds nothing.  -EINVAL with Go's
 * "parse error on line 1, column N: ..." in err. */
int opts_split_csv(const char *s, struct strv *ret, struct berr **err);

/* Go's strconv.Quote of s, as pflag shows flag values in errors.  Caller
 * frees. */
char *opts_quote(const char *s);

/* Split "k=v" into key and value (value "" when there is no '='); the
 * strings are new: caller frees. */
void opts_split_kv(const char *s, char **ret_key, char **ret_value);

#endif
