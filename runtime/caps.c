/* caps.c - the container's capabilities through libcap.  Docker's default
 * set, plus cap_add, minus cap_drop ("ALL" allowed in both), or every
 * capability when privileged.  Called in the container's child just
 * before the user switch and exec (spawn.c).
 *
 * Why the bounding set matters: uid 0 gets the whole bounding set as its
 * permitted set on execve() (the file is treated as fully capable), so
 * dropping caps from the current sets alone would be undone by exec.  The
 * bounding set is what limits a root process for good. */
#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#include "core/util.h"
#include "runtime/shim.h"

static const cap_value_t caps_default[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

/* Every capability this kernel knows about. */
static uint64_t caps_all(void)
{
	int last = (int)cap_max_bits() - 1;

	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

/* The bit of a name ("NET_ADMIN", "CAP_NET_ADMIN", any case); ALL: all. */
static int caps_parse(const char *name, uint64_t *ret, struct berr **err)
{
	char lower[64];
	cap_value_t v;
	size_t i;

	if (strcasecmp(name, "ALL") == 0) {
		*ret = caps_all();
		return 0;
	}
	if (strlen(name) + 5 > sizeof(lower))
		return berr_set(err, EINVAL, "unknown capability: \"%s\"", name);
	i = strncasecmp(name, "CAP_", 4) == 0 ? 0 : (size_t)snprintf(lower, 5, "cap_");
	for (const char *p = name; *p; p++)
		lower[i++] = (char)tolower((unsigned char)*p);
	lower[i] = 0;
	if (cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
		return berr_set(err, EINVAL, "unknown capability: \"%s\"", name);
	*ret = UINT64_C(1) << v;
	return 0;
}

/* The union of the bits of a list of names. */
static int caps_list(char *const *names, uint64_t *ret, struct berr **err)
{
	uint64_t mask = 0, bit = 0;
	int r;

	for (size_t i = 0; names && names[i]; i++) {
		if ((r = caps_parse(names[i], &bit, err)) < 0)
			return r;
		mask |= bit;
	}
	*ret = mask;
	return 0;
}

/* Does a list name "ALL"? */
static bool caps_has_all(char *const *names)
{
	for (size_t i = 0; names && names[i]; i++)
		if (strcasecmp(names[i], "ALL") == 0)
			return true;
	return false;
}

/* The capability mask a spec asks for, as Docker computes it: drop ALL
 * keeps only what is added; add ALL keeps all but what is dropped; else
 * the default set minus drops plus adds. */
int caps_mask(const struct rt_spec *spec, uint64_t *ret, struct berr **err)
{
	uint64_t mask = 0, add, drop;
	int r;

	if ((r = caps_list(spec->cap_add, &add, err)) < 0 ||
	    (r = caps_list(spec->cap_drop, &drop, err)) < 0)
		return r;
	if (spec->privileged) {
		mask = caps_all();
	} else if (caps_has_all(spec->cap_drop)) {
		mask = add;
	} else if (caps_has_all(spec->cap_add)) {
		mask = caps_all() & ~drop;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(caps_default); i++)
			mask |= UINT64_C(1) << caps_default[i];
		mask = (mask & ~drop) | add;
	}
	*ret = mask & caps_all();
	return 0;
}

/* Drop every capability outside mask from the bounding set, and keep the
 * permitted set across the coming setuid() (which would otherwise clear it,
 * leaving us unable to set the final sets). */
int caps_bound(uint64_t mask, struct berr **err)
{
	int last = (int)cap_max_bits() - 1;

	for (int c = 0; c <= last; c++) {
		if (mask & (UINT64_C(1) << c))
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return berr_set(err, errno,
					"cannot drop capability %d from the bounding set: %m", c);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berr_set(err, errno, "cannot keep capabilities across setuid: %m");
	return 0;
}

/* Set the effective, permitted and inheritable sets to mask, and clear the
 * ambient set.  Inheritable matters: for uid 0 it passes into exec. */
int caps_apply(uint64_t mask, struct berr **err)
{
	int last = (int)cap_max_bits() - 1;
	cap_t caps = cap_init();
	int r = 0;

	if (!caps)
		return berr_set(err, errno, "cap_init: %m");
	for (cap_value_t c = 0; c <= last; c++) {
		if (!(mask & (UINT64_C(1) << c)))
			continue;
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
		cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET);
		cap_set_flag(caps, CAP_INHERITABLE, 1, &c, CAP_SET);
	}
	if (cap_set_proc(caps) < 0)
		r = berr_set(err, errno, "cannot set capabilities: %m");
	cap_free(caps);
	if (r == 0 && CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		r = berr_set(err, errno, "cannot clear ambient capabilities: %m");
	if (r == 0 && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		r = berr_set(err, errno, "cannot reset keep-caps: %m");
	return r;
}
