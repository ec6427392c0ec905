/* overlay.h - what the controller needs of the overlay driver. */
#ifndef BERTH_OVERLAY_H
#define BERTH_OVERLAY_H

#include <stdint.h>

#include "core/berr.h"
#include "core/network.h"

/* Docker's option naming the network's VNI (its "list" holds one here). */
#define OVERLAY_OPT_VNI	  "com.docker.network.driver.overlay.vxlanid_list"
#define OVERLAY_VNI_FIRST 4096 /* allocated from here up, as Docker does */
#define OVERLAY_VNI_MAX	  16777215u

#define OVERLAY_PORT	 4789 /* VXLAN's UDP port (IANA), unless -o vxlan_port= */
#define OVERLAY_OPT_PORT "vxlan_port"

/* Where the overlays' namespaces go (<exec_root>/overlay/) and this host's
 * underlay address (the VXLAN devices' source). */
void overlay_configure(const char *exec_root, const char *advertise);

/* The VNI the user asked for with -o OVERLAY_OPT_VNI, or 0. */
int overlay_vni_option(const struct network *net, uint32_t *ret, struct berr **err);

#endif
