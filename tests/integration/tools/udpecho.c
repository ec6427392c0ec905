/* udpecho.c - a UDP server for tests, built static so it runs in a busybox
 * container: answers every datagram on PORT with "udp-ok from ADDR".
 * Usage: udpecho PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 me = {.sin6_family = AF_INET6}, peer;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0;

	if (argc != 2 || fd < 0)
		return 2;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	me.sin6_port = htons((unsigned short)atoi(argv[1]));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return 1;
	for (;;) {
		char buf[512], addr[INET6_ADDRSTRLEN], out[600];
		socklen_t len = sizeof(peer);
		int n;

		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len) < 0)
			continue;
		inet_ntop(AF_INET6, &peer.sin6_addr, addr, sizeof(addr));
		n = snprintf(out, sizeof(out), "udp-ok from %s\n", addr);
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&peer, len);
	}
}
