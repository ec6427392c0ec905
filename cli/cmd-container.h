/* cmd-container.h - what the container commands share between their files
 * (cmd-container.c: the verbs; run.c: run and create; attach.c: streamed
 * requests, hijacked attach, stdcopy) and what unit tests call. */
#ifndef BERTH_CLI_CMD_CONTAINER_H
#define BERTH_CLI_CMD_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/netopts.h"
#include "core/berr.h"

/* The flags of run and create (create ignores detach and sig-proxy). */
struct run_opts {
	bool detach, rm, read_only, privileged, init, tty, interactive, publish_all;
	char *name, *workdir, *user, *hostname, *entrypoint, *memory, *cpus;
	char *cpu_shares, *pids_limit, *restart, *domainname, *stop_signal, *stop_timeout;
	char *platform, *pull;
	struct opts_optbool sig_proxy;
	struct strv env, env_file, volumes, mounts, volumes_from, labels, cap_add, cap_drop;
	struct strv publish, expose, dns, dns_search, dns_option, add_host;
	struct netopts_flags net; /* --network, --network-alias, --ip, --link, ... */
};

extern const struct opts_def run_defs[];

/* Run docker's validators on the parsed flags of run and create (--dns,
 * --dns-search, --add-host, --link, --network), normalising the values
 * as docker does; a refusal is pflag's "invalid argument" message. */
int run_check_flags(void *opts, struct berr **err);

/* docker's RAMInBytes: "64m", "1g", "512k", "100" (bytes; b, k, m, g, t,
 * p with an optional "b", any case, decimals allowed).  -EINVAL with
 * "invalid suffix: 'x'" or "invalid size: 'x'" in err. */
int run_parse_bytes(const char *s, int64_t *ret, struct berr **err);
/* --cpus "1.5" into NanoCpus (1500000000). */
int run_parse_cpus(const char *s, int64_t *ret, struct berr **err);
/* --restart "no", "always", "unless-stopped", "on-failure[:N]" into
 * {"Name":..,"MaximumRetryCount":N}.  Caller decrefs. */
int run_restart_policy(const char *s, json_t **ret, struct berr **err);
/* The POST /containers/create body for o and argv (IMAGE [COMMAND] [ARG...])
 * as the docker CLI encodes it.  Caller decrefs. */
int run_create_body(const struct run_opts *o, int argc, char **argv, json_t **ret,
		    struct berr **err);
/* The exit code docker's run gives a daemon error: 127 for a missing
 * executable, 126 for one that cannot be run, else 125. */
int run_error_status(const char *msg);

/* stdcopy framing (8-byte header: stream, 0, 0, 0, big-endian length). */
struct stdcopy {
	unsigned char hdr[8];
	size_t hdr_len;
	uint32_t left; /* payload bytes still due in the current frame */
	int stream;
};

/* Write the payloads of the frames in buf (any split) to out (stdout
 * frames) and errf (stderr and system-error frames).  -EPROTO on an
 * unknown stream byte. */
int stdcopy_feed(struct stdcopy *s, const char *buf, size_t len, FILE *out, FILE *errf,
		 struct berr **err);

/* A request on its own connection, read with our own HTTP/1.1 so that a
 * body can be streamed and an upgraded connection used both ways. */
struct attach_conn;

/* Connect to host (unix://PATH), send method path (below /v1.41) with no
 * body, read the reply head.  upgrade asks for the hijacked stream (101).
 * An error status becomes "Error response from daemon: ..." in err. */
int attach_open(const char *host, const char *method, const char *path, bool upgrade,
		struct attach_conn **ret, struct berr **err);
void attach_close(struct attach_conn *c);
/* The next body bytes (chunked bodies decoded): >0 bytes, 0 at the end. */
ssize_t attach_read(struct attach_conn *c, char *buf, size_t len, struct berr **err);
/* The whole remaining body as a new string (caller frees). */
int attach_read_all(struct attach_conn *c, char **ret, struct berr **err);

/* Copy the output of an attached stream (tty: raw, else stdcopy) to
 * stdout/stderr until it ends; with stdin_on, stdin goes the other way
 * (raw mode on a terminal with tty), else the write side is closed at
 * once.  When ctr_id is set, SIGINT/SIGTERM/... are forwarded to the
 * container through host's kill endpoint (docker's sig-proxy). */
int attach_pump(struct attach_conn *c, bool tty, bool stdin_on, const char *host,
		const char *ctr_id, struct berr **err);
/* POST /containers/{id}/resize with the terminal's size, if stdout is one. */
void attach_resize(struct client *cl, const char *id);

/* Read a wait reply body: {"StatusCode":N,"Error":...}. */
int attach_wait_status(struct attach_conn *c, int *ret_status, struct berr **err);

/* --- shared by the verbs --- */

/* "berth: <msg>\n\nRun 'berth <cmd> --help' for more information" on
 * stderr, as docker prints a status error; returns status. */
int ctr_status_error(const char *cmd, const char *msg, int status);
/* Inspect a container: GET /containers/{name}/json.  Caller decrefs. */
int ctr_inspect(struct client *c, const char *name, json_t **ret, struct berr **err);
/* POST /containers/{id}/start (304, already running, is success). */
int ctr_start(struct cli *cli, const char *id, struct berr **err);
/* Attach to id, wait for cond, start it (unless already running),
 * stream until the end; *ret_status the container's exit code.  Messages
 * are printed; returns the exit code for berth. */
int ctr_attach_start(struct cli *cli, struct client *c, const char *id, bool tty, bool stdin_on,
		     const char *cond, bool start, const char *cmd);

/* --- ps --- */

#define PS_TABLE                                                                                   \
	"table "                                                                                   \
	"{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

/* `ps` rows for GET /containers/json's list, times relative to now:
 * ID, Image, Command (quoted, cut to 20 unless no_trunc), CreatedAt,
 * RunningFor ("3 minutes ago"), Status, State, Ports, Names, Labels,
 * Mounts, Networks, Size.  Caller decrefs. */
json_t *ps_rows(json_t *list, bool no_trunc, time_t now);
json_t *ps_header(void);
/* Go's units.HumanDuration ("About a minute", "3 hours").  Caller frees. */
char *ps_human_duration(double secs);
/* strconv.Quote of s: a new string, caller frees. */
char *ps_quote(const char *s);

#endif
