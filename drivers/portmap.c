/* portmap.c - host ports held by bound sockets (see portmap.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "drivers/portmap.h"

/* A socket of the port's protocol bound to host_ip:port (port 0: the
 * kernel picks).  Every address means a dual-stack [::] socket, which
 * holds the port for IPv4 and IPv6 alike (plain 0.0.0.0 when the kernel
 * has no IPv6).  Returns the fd or a negative errno. */
static int portmap_bind(const struct ep_port *p, uint16_t port, uint16_t *ret_port)
{
	int type = p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int proto = p->proto == IPPROTO_SCTP ? IPPROTO_SCTP : 0;
	int fam = p->host_ip.family ? p->host_ip.family : AF_INET6, off = 0, fd;
	struct sockaddr_storage ss = {0};
	socklen_t len;

	fd = socket(fam, type | SOCK_CLOEXEC, proto);
	if (fd < 0 && !p->host_ip.family && errno == EAFNOSUPPORT)
		fd = socket(fam = AF_INET, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (fam == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		if (!p->host_ip.family)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (p->host_ip.family)
			memcpy(&a->sin6_addr, p->host_ip.b, 16);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, p->host_ip.b, 4);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	*ret_port = ntohs(fam == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					  : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int portmap_fail(const struct ep_port *p, uint16_t port, int e, struct berr **err)
{
	char ip[CIDR_STRLEN];
	const char *host = p->host_ip.family ? cidr_addr_str(&p->host_ip, ip) : "0.0.0.0";

	if (e == -EADDRINUSE)
		return berr_set(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
				host, port);
	if (e == -EADDRNOTAVAIL)
		return berr_set(err, EADDRNOTAVAIL,
				"Bind for %s:%u failed: %s is not an address of this host", host,
				port, host);
	return berr_set(err, -e, "Bind for %s:%u failed: %s", host, port, strerror(-e));
}

/* One port: bound, asked for, a range, or random. */
static int portmap_one(struct ep_port *p, struct berr **err)
{
	uint16_t lo = p->bound ? p->bound : p->host_port;
	uint16_t hi = p->bound ? p->bound : p->host_port_end;
	uint16_t got = 0;
	int fd = -EADDRINUSE;

	if (!lo)
		fd = portmap_bind(p, 0, &got);
	for (unsigned port = lo; lo && port <= hi; port++) {
		fd = portmap_bind(p, (uint16_t)port, &got);
		if (fd >= 0 || fd != -EADDRINUSE)
			break;
	}
	if (fd < 0)
		return portmap_fail(p, lo, fd, err);
	p->fd = fd;
	p->bound = got;
	return 0;
}

int portmap_reserve(struct ep_port *ports, size_t n, struct berr **err)
{
	for (size_t i = 0; i < n; i++) {
		int r = portmap_one(&ports[i], err);

		if (r < 0) {
			portmap_release(ports, i);
			return r;
		}
	}
	return 0;
}

void portmap_release(struct ep_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ports[i].fd >= 0)
			close(ports[i].fd);
		ports[i].fd = -1;
		ports[i].bound = 0;
	}
}
