/* cmd-network.h - the pieces of cmd-network.c that unit tests call. */
#ifndef BERTH_CLI_CMD_NETWORK_H
#define BERTH_CLI_CMD_NETWORK_H

#include <jansson.h>
#include <stdbool.h>

/* Rows of `network ls` for the networks in list (GET /networks), with
 * docker's field names (ID, Name, Driver, Scope, IPv4, IPv6, Internal,
 * Labels, CreatedAt as strings; Label the labels object), sorted by name
 * as the docker CLI does.  IDs cut to 12 unless no_trunc.  Caller decrefs. */
json_t *network_ls_rows(json_t *list, bool no_trunc);
/* The column titles for "table" formats.  Caller decrefs. */
json_t *network_ls_header(void);

#endif
