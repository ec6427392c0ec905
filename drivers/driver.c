/* driver.c - the table of built-in network drivers. */
#include <stddef.h>

#include "core/util.h"
#include "drivers/driver.h"

static const struct net_driver *const drivers[] = {
	&bridge_driver,
	&host_driver,
	&null_driver,
};

const struct net_driver *driver_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (streq(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}
