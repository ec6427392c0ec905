/* host.c - the host network driver: containers share the daemon's network
 * namespace, so there is no kernel object to make and no address to hand
 * out.  Only the predefined "host" network may use it. */
#include <errno.h>

#include "drivers/driver.h"

/* Docker allows one host network: the predefined one. */
static int host_network_validate(struct network *net, struct berr **err)
{
	if (!net->predefined)
		return berr_set(err, EPERM, "only one instance of \"host\" network is allowed");
	return 0;
}

const struct net_driver host_driver = {
	.name = "host",
	.scope = NET_SCOPE_LOCAL,
	.no_ipam = true,
	.network_validate = host_network_validate,
};
