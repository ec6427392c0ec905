/* detach.h - Docker's detach keys ("ctrl-p,ctrl-q"): parsing, and a
 * scanner that finds the sequence in a client's stdin stream and holds
 * back the bytes that may be its beginning.  Pure code; used by the
 * attach and exec streams (api-container.c, api-exec.c). */
#ifndef BERTH_DETACH_H
#define BERTH_DETACH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/berr.h"

#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define DETACH_KEYS_MAX	    16

struct detach_keys {
	unsigned char seq[DETACH_KEYS_MAX];
	size_t len;	/* 0: detaching is off */
	size_t matched; /* bytes of seq seen and held back so far */
};

/* "ctrl-p,ctrl-q", "a,ctrl-[" ...; NULL or "" is the default.  EINVAL
 * "Invalid detach keys (x) provided" otherwise. */
int detach_keys_parse(const char *spec, struct detach_keys *ret, struct berr **err);

/* Scan len bytes of input: what is to be forwarded goes to out (room for
 * len + DETACH_KEYS_MAX bytes), its size to *ret_out_len.  Returns true
 * when the sequence is complete (what followed it is dropped). */
bool detach_keys_scan(struct detach_keys *dk, const char *in, size_t len, char *out,
		      size_t *ret_out_len);

#endif
