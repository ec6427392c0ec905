/* cidr.c - IPv4/IPv6 addresses and prefixes (see cidr.h).  Parsing is
 * strict: inet_pton for the address, a plain decimal prefix length without
 * sign or leading zeros, nothing after it.  Arithmetic works on the 16-byte
 * big-endian form, so one code path serves both families.  Callers: IPAM,
 * the controller, drivers, the CLI. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam/cidr.h"

/* Longest prefix length text: "128". */
#define CIDR_LEN_DIGITS 3

unsigned cidr_family_bytes(int family)
{
	assert(family == AF_INET || family == AF_INET6);
	return family == AF_INET ? 4 : 16;
}

unsigned cidr_family_bits(int family)
{
	return cidr_family_bytes(family) * 8;
}

/* Parse the len bytes at s as an address of either family; false on error. */
static bool cidr_pton(const char *s, size_t len, struct ipaddr *ret)
{
	char buf[INET6_ADDRSTRLEN];
	struct ipaddr a = {0};

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	a.family = memchr(buf, ':', len) ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, buf, a.b) != 1)
		return false;
	*ret = a;
	return true;
}

/* Parse a prefix length: decimal digits, no sign, no leading zero, <= max. */
static bool cidr_parse_len(const char *s, unsigned max, unsigned *ret)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > CIDR_LEN_DIGITS || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*ret = v;
	return true;
}

int cidr_parse_addr(const char *s, struct ipaddr *ret, struct berr **err)
{
	if (!s || !cidr_pton(s, strlen(s), ret))
		return berr_set(err, EINVAL, "invalid IP address: %s", s ? s : "");
	return 0;
}

int cidr_parse_addr_prefix(const char *s, struct ipaddr *ret_addr, struct prefix *ret_prefix,
			   struct berr **err)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	struct prefix p;

	if (!slash || !cidr_pton(s, (size_t)(slash - s), &p.addr) ||
	    !cidr_parse_len(slash + 1, cidr_family_bits(p.addr.family), &p.len))
		return berr_set(err, EINVAL, "invalid CIDR address: %s", s ? s : "");
	if (ret_addr)
		*ret_addr = p.addr;
	cidr_prefix_mask(&p);
	if (ret_prefix)
		*ret_prefix = p;
	return 0;
}

int cidr_parse_prefix(const char *s, struct prefix *ret, struct berr **err)
{
	char buf[CIDR_STRLEN];
	struct ipaddr a;
	struct prefix p;
	int r;

	r = cidr_parse_addr_prefix(s, &a, &p, err);
	if (r < 0)
		return r;
	if (!cidr_addr_eq(&a, &p.addr))
		return berr_set(err, EINVAL, "invalid subnet %s: it should be %s", s,
				cidr_prefix_str(&p, buf));
	*ret = p;
	return 0;
}

const char *cidr_addr_str(const struct ipaddr *a, char *buf)
{
	const char *s = inet_ntop(a->family, a->b, buf, CIDR_STRLEN);

	assert(s);
	return buf;
}

const char *cidr_prefix_str(const struct prefix *p, char *buf)
{
	size_t n;

	cidr_addr_str(&p->addr, buf);
	n = strlen(buf);
	snprintf(buf + n, CIDR_STRLEN - n, "/%u", p->len);
	return buf;
}

bool cidr_addr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* The bits of byte i that belong to the first len bits of an address. */
static uint8_t cidr_byte_mask(unsigned len, unsigned i)
{
	if (len >= (i + 1) * 8)
		return 0xff;
	if (len <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (len - i * 8)));
}

void cidr_prefix_mask(struct prefix *p)
{
	for (unsigned i = 0; i < sizeof(p->addr.b); i++)
		p->addr.b[i] &= cidr_byte_mask(p->len, i);
}

/* The first len bits of a and b are equal. */
static bool cidr_bits_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	for (unsigned i = 0; i * 8 < len; i++)
		if ((a[i] ^ b[i]) & cidr_byte_mask(len, i))
			return false;
	return true;
}

bool cidr_contains(const struct prefix *p, const struct ipaddr *a)
{
	return p->addr.family == a->family && cidr_bits_eq(p->addr.b, a->b, p->len);
}

bool cidr_prefix_within(const struct prefix *outer, const struct prefix *inner)
{
	return inner->len >= outer->len && cidr_contains(outer, &inner->addr);
}

bool cidr_overlaps(const struct prefix *a, const struct prefix *b)
{
	unsigned len = a->len < b->len ? a->len : b->len;

	return a->addr.family == b->addr.family && cidr_bits_eq(a->addr.b, b->addr.b, len);
}

/* Read the host bits of bytes [from, to) of a as a big-endian number. */
static uint64_t cidr_host_bits(const struct prefix *p, const struct ipaddr *a, unsigned from,
			       unsigned to)
{
	uint64_t v = 0;

	for (unsigned i = from; i < to; i++)
		v = v << 8 | (uint8_t)(a->b[i] & ~cidr_byte_mask(p->len, i));
	return v;
}

uint64_t cidr_offset(const struct prefix *p, const struct ipaddr *a)
{
	unsigned n = cidr_family_bytes(p->addr.family);

	if (n > 8 && cidr_host_bits(p, a, 0, n - 8) != 0)
		return UINT64_MAX;
	return cidr_host_bits(p, a, n > 8 ? n - 8 : 0, n);
}

uint64_t cidr_last_offset(const struct prefix *p)
{
	unsigned host = cidr_family_bits(p->addr.family) - p->len;

	return host >= 64 ? UINT64_MAX : (UINT64_C(1) << host) - 1;
}

int cidr_at(const struct prefix *p, uint64_t off, struct ipaddr *ret)
{
	struct ipaddr a = p->addr;
	unsigned n = cidr_family_bytes(p->addr.family);

	if (off > cidr_last_offset(p))
		return -ERANGE;
	for (unsigned i = n; i-- > 0; off >>= 8)
		a.b[i] = (uint8_t)((a.b[i] & cidr_byte_mask(p->len, i)) | (off & 0xff));
	*ret = a;
	return 0;
}
