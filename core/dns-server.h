/* dns-server.h - berth-dns, the embedded resolver: a process of its own
 * that answers on 127.0.0.11:53 inside every sandbox on a user-defined
 * network, and keeps answering while berthd restarts.
 *
 * berthd makes each sandbox's UDP and TCP sockets (bound inside the
 * sandbox, so only the sandbox can reach them) and hands them over on the
 * control socket with SCM_RIGHTS, together with the container's endpoint
 * records; berth-dns owns them from then on.  One libevent loop, one
 * thread: the name table (dns-table.h) needs no lock.
 *
 * Control protocol: a SOCK_SEQPACKET socket, one JSON object per message,
 * one reply per request ({"ok":true,...} or {"error":"..."}):
 *
 *   {"op":"hello"}                  -> {"ok":true,"pid":N,"containers":K}
 *   {"op":"sync-begin"}             a full resync follows
 *   {"op":"set","ctr":ID,           everything about one running container:
 *    "nets":[net ids],              the networks whose names it sees,
 *    "upstreams":["IP",...],        where other names are forwarded,
 *    "endpoints":[{"id","net_id","net_name","name","aliases":[...],
 *                  "ipv4","ipv6"}]} its records; with 0 or 2 fds (UDP, TCP)
 *                                   -> {"ok":true,"need_sockets":bool}
 *                                   "nets":[] removes the container;
 *                                   "remote":true: records only (an
 *                                   endpoint on another host), no sockets
 *   {"op":"sync-end"}               containers not set since sync-begin go
 *
 * berth-dns exits when berthd has hung up and no sandbox is left (records
 * only do not keep it). */
#ifndef BERTH_DNS_SERVER_H
#define BERTH_DNS_SERVER_H

#include "core/berr.h"

#define DNS_ADDR "127.0.0.11"
#define DNS_PORT 53
/* In the exec-root. */
#define DNS_SOCK_NAME "dns.sock"
#define DNS_PID_NAME  "dns.pid"
#define DNS_LOG_NAME  "dns.log"
/* The largest control message: a set with many aliases. */
#define DNS_CTL_MSG_MAX (192 * 1024)

/* Run the resolver for exec_root until it is told to stop (SIGTERM,
 * SIGINT) or has nothing left to do.  ready_fd (or -1) gets one byte once
 * the control socket listens, and is closed.  Returns 0, or -errno with
 * err set when it cannot start (another berth-dns holds the pid file:
 * -EEXIST). */
int dns_server_run(const char *exec_root, int ready_fd, struct berr **err);

#endif
