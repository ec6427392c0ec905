/* null.c - the null network driver: a sandbox with only lo, so there is no
 * kernel object to make and no address to hand out.  Only the predefined
 * "none" network may use it. */
#include <errno.h>

#include "drivers/driver.h"

/* Docker allows one null network: the predefined "none". */
static int null_network_validate(struct network *net, struct berr **err)
{
	if (!net->predefined)
		return berr_set(err, EPERM, "only one instance of \"null\" network is allowed");
	return 0;
}

const struct net_driver null_driver = {
	.name = "null",
	.scope = NET_SCOPE_LOCAL,
	.no_ipam = true,
	.network_validate = null_network_validate,
};
