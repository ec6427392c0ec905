/* driver.c - the table of built-in network drivers. */
#include <stddef.h>

#include "core/log.h"
#include "core/util.h"
#include "drivers/driver.h"

static const struct net_driver *const drivers[] = {
	&bridge_driver,
	&host_driver,
	&null_driver,
	&overlay_driver,
};

const struct net_driver *driver_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (streq(drivers[i]->name, name))
			return drivers[i];
	return NULL;
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
