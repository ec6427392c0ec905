/* ports.h - container ports as the docker CLI reads and prints them: the
 * -p/--publish and --expose values of run and create (go-connections'
 * nat.ParsePortSpecs), the PORTS column of ps (DisplayablePorts) and the
 * lines of `berth port`. */
#ifndef BERTH_CLI_PORTS_H
#define BERTH_CLI_PORTS_H

#include <jansson.h>

#include "cli/cli.h"
#include "core/berr.h"

/* Add the -p values specs ("[ip:][hostPort[-end]:]containerPort[-end][/proto]"
 * or "target=80,published=8080,protocol=udp") to exposed ({"80/tcp":{}})
 * and bindings ({"80/tcp":[{"HostIp":"","HostPort":"8080"}]}), one key per
 * container port of a range.  A bad spec is -EINVAL with docker's message
 * ("invalid containerPort: x"); exposed and bindings may then hold the
 * specs before it.  Both are borrowed. */
int ports_publish(const struct strv *specs, json_t *exposed, json_t *bindings, struct berr **err);

/* Add the --expose values ("port[-end][/proto]") to exposed. */
int ports_expose(const struct strv *specs, json_t *exposed, struct berr **err);

/* docker's PORTS column for the Ports array of a container list entry:
 * "0.0.0.0:8080->80/tcp, 9000-9001/tcp".  Caller frees. */
char *ports_display(json_t *ports);

/* What `berth port` prints for NetworkSettings.Ports of container ctr:
 * without want every "80/tcp -> 0.0.0.0:8080", with want ("80",
 * "53/udp") its addresses only; naturally sorted, one line each, into
 * ret_lines (appended).  -ENOENT "Error: No public port '80' published
 * for ctr" when want has none, -EINVAL for a bad port number. */
int ports_lookup(json_t *ports, const char *ctr, const char *want, struct strv *ret_lines,
		 struct berr **err);

#endif
