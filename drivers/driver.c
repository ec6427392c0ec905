/* driver.c - the table of built-in network drivers, and what the drivers
 * that join sandboxes with veth pairs share. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "core/endpoint.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/util.h"
#include "drivers/driver.h"

static const struct net_driver *const drivers[] = {
	&bridge_driver,	 &host_driver, &ipvlan_driver,
	&macvlan_driver, &null_driver, &overlay_driver,
};

const struct net_driver *driver_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (streq(drivers[i]->name, name))
			return drivers[i];
	return remote_driver(name);
}

void driver_restore_done(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
		struct berr *err = NULL;

		if (drivers[i]->restore_done && drivers[i]->restore_done(&err) < 0)
			log_error("driver %s: %s", drivers[i]->name, berr_msg(err));
		berr_free(err);
	}
}

void driver_veth_name(char buf[static 16])
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)random();
	snprintf(buf, 16, "veth%07x", r & 0xfffffff);
}

int driver_ep_up_inside(void *arg, struct berr **err)
{
	const struct endpoint *ep = arg;
	int r = nl_link_set_up(ep->ifname, err);

	if (r == 0 && ep->has4)
		r = nl_addr_add(ep->ifname, &ep->addr4, ep->plen4, err);
	if (r == 0 && ep->has6)
		r = nl_addr_add(ep->ifname, &ep->addr6, ep->plen6, err);
	return r;
}
