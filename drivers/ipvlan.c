/* ipvlan.c - the ipvlan network driver, so far only its refusal: berth
 * does not make ipvlan networks yet (the kernel it was written on has no
 * ipvlan links to try them on).  network_validate asks the kernel whether
 * it knows the link kind, so that `network create -d ipvlan` says which of
 * the two is missing instead of failing later, and obscurely, on the
 * first container. */
#include <errno.h>

#include "core/nl.h"
#include "drivers/driver.h"

static int ipvlan_network_validate(struct network *net, struct berr **err)
{
	int r;

	(void)net;
	/* asked on every create: a module loaded since is seen */
	if ((r = nl_link_kind_supported("ipvlan", err)) < 0)
		return r;
	if (r == 0)
		return berr_set(err, EOPNOTSUPP,
				"ipvlan networks are not supported by this kernel (the ipvlan "
				"module is missing)");
	return berr_set(err, EOPNOTSUPP,
			"ipvlan networks are not supported by berth yet (this kernel has "
			"ipvlan): use -d macvlan");
}

const struct net_driver ipvlan_driver = {
	.name = "ipvlan",
	.scope = NET_SCOPE_LOCAL,
	.network_validate = ipvlan_network_validate,
};
