/* berr.h - the one error type.  A function that can fail takes a
 * `struct berr **err` last, returns a negative errno value and, when err is
 * not NULL, leaves a message there for the caller (who frees it with
 * berr_free).  Only the outermost layer logs an error or maps it to HTTP. */
#ifndef BERTH_BERR_H
#define BERTH_BERR_H

struct berr {
	int code; /* positive errno value: ENOENT, EEXIST, EINVAL, ... */
	char *msg;
};

/* Set *err (if err is not NULL and *err is empty) and return -code. */
int berr_set(struct berr **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message in *err with context ("ctx: msg"); return -code. */
int berr_wrap(struct berr **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Message of err, or strerror of code when there is none. */
const char *berr_msg(const struct berr *err);
void berr_free(struct berr *err);
void berr_freep(struct berr **err);

#define _cleanup_berr_ __attribute__((cleanup(berr_freep)))

#endif
