/* overlay.c - the overlay network driver: one network across every host of
 * a cluster (--cluster-store), its frames carried in VXLAN over the hosts'
 * underlay.  The network itself lives in the cluster store (core/ctl-cluster.c
 * allocates its VNI and subnet there); this file checks its options.  The
 * data path on each host (a namespace with a bridge and the VXLAN device,
 * containers joined by veth pairs, forwarding entries for the other hosts'
 * endpoints) is being built: until it is, the controller refuses
 * containers on it. */
#include <errno.h>
#include <stdlib.h>

#include <jansson.h>

#include "drivers/driver.h"
#include "drivers/overlay.h"

int overlay_vni_option(const struct network *net, uint32_t *ret, struct berr **err)
{
	const char *v = json_string_value(json_object_get(net->options, OVERLAY_OPT_VNI));
	char *end;
	unsigned long n;

	*ret = 0;
	if (!v)
		return 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || n < 1 || n > OVERLAY_VNI_MAX)
		return berr_set(err, EINVAL, "%s: invalid VXLAN id %s (a number from 1 to %u)",
				OVERLAY_OPT_VNI, v, OVERLAY_VNI_MAX);
	*ret = (uint32_t)n;
	return 0;
}

static int overlay_network_validate(struct network *net, struct berr **err)
{
	uint32_t vni;

	if (json_object_get(net->options, "encrypted"))
		return berr_set(err, EINVAL,
				"encrypted overlay networks are not supported yet: create it "
				"without -o encrypted");
	return overlay_vni_option(net, &vni, err);
}

const struct net_driver overlay_driver = {
	.name = "overlay",
	.scope = NET_SCOPE_GLOBAL,
	.network_validate = overlay_network_validate,
};
