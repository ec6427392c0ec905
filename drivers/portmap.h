/* portmap.h - host ports for published container ports.  A published port
 * is held by a socket bound to it in the daemon's namespace (never
 * listening, never read): no other program, and no other container, can
 * take it while the container runs, and a port some program already uses
 * is refused.  The traffic itself is forwarded by the firewall's DNAT, not
 * by a proxy process. */
#ifndef BERTH_PORTMAP_H
#define BERTH_PORTMAP_H

#include <stddef.h>

#include "core/berr.h"
#include "core/endpoint.h"

/* Hold a host port for every entry of ports: the one recorded in bound
 * (after a restart), the one asked for, the first free one of a range, or
 * one the kernel picks from its ephemeral range.  Fills bound and fd.  All
 * or nothing; a port in use fails with EADDRINUSE and Docker's message
 * ("Bind for 0.0.0.0:8080 failed: port is already allocated"). */
int portmap_reserve(struct ep_port *ports, size_t n, struct berr **err);
/* Let them go (bound and fd cleared). */
void portmap_release(struct ep_port *ports, size_t n);

#endif
