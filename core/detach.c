/* detach.c - Docker's detach keys (see detach.h). */
#include <errno.h>
#include <string.h>

#include "core/detach.h"
#include "core/util.h"

/* One key: a single character, or "ctrl-X" with X in a-z @ [ \ ] ^ _. */
static int detach_key_parse(const char *key, unsigned char *ret)
{
	char c;

	if (strlen(key) == 1) {
		*ret = (unsigned char)key[0];
		return 0;
	}
	if (!strprefix(key, "ctrl-") || strlen(key) != 6)
		return -EINVAL;
	c = key[5];
	if (c >= 'a' && c <= 'z')
		*ret = (unsigned char)(c - 'a' + 1);
	else if (c >= '@' && c <= '_' && !(c >= 'A' && c <= 'Z'))
		*ret = (unsigned char)(c - '@');
	else
		return -EINVAL;
	return 0;
}

int detach_keys_parse(const char *spec, struct detach_keys *ret, struct berr **err)
{
	_cleanup_free_ char *s = xstrdup(spec && *spec ? spec : DETACH_KEYS_DEFAULT);
	struct detach_keys dk = {0};
	char *save = NULL;

	for (char *k = strtok_r(s, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (dk.len == DETACH_KEYS_MAX || detach_key_parse(k, &dk.seq[dk.len]) < 0)
			return berr_set(err, EINVAL, "Invalid detach keys (%s) provided", spec);
		dk.len++;
	}
	if (dk.len == 0)
		return berr_set(err, EINVAL, "Invalid detach keys (%s) provided", spec);
	*ret = dk;
	return 0;
}

bool detach_keys_scan(struct detach_keys *dk, const char *in, size_t len, char *out,
		      size_t *ret_out_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)in[i];

		if (dk->len && b == dk->seq[dk->matched]) {
			if (++dk->matched == dk->len) {
				*ret_out_len = n;
				dk->matched = 0;
				return true;
			}
			continue;
		}
		/* not the sequence after all: release what was held */
		memcpy(out + n, dk->seq, dk->matched);
		n += dk->matched;
		dk->matched = 0;
		if (dk->len && b == dk->seq[0]) {
			dk->matched = 1;
			continue;
		}
		out[n++] = (char)b;
	}
	*ret_out_len = n;
	return false;
}
