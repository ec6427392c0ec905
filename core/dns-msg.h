/* dns-msg.h - DNS messages of the embedded resolver: a client's query
 * parsed and checked, the answers built for it (A, AAAA, PTR, NXDOMAIN and
 * the other rcodes) with EDNS0 and truncation right, and the few edits the
 * forwarder makes to messages it relays.  Every message is parsed and built
 * with ldns, and only this file knows ldns.  Pure code, no I/O: the
 * resolver calls it; TCP's two-byte length prefix is the resolver's.
 *
 * Every ret_buf below is a whole message in wire format; caller frees. */
#ifndef BERTH_DNS_MSG_H
#define BERTH_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"
#include "ipam/cidr.h"

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX   255   /* octets of a name in wire format (RFC 1035 2.3.4) */
#define DNS_UDP_MIN    512   /* a UDP message without EDNS (RFC 1035 4.2.1) */
#define DNS_UDP_MAX    65507 /* the largest UDP payload over IPv4 */
#define DNS_TCP_MAX    65535 /* what TCP's two-byte length prefix can say */
#define DNS_EDNS_SIZE  1232  /* the UDP size our OPT advertises (DNS flag day 2020) */
#define DNS_TTL	       600   /* of our records, as Docker's embedded DNS gives them */
/* A name in presentation form: at worst every octet escaped as \DDD. */
#define DNS_NAME_STRLEN (4 * DNS_NAME_MAX + 1)

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_ANY = 255,
};

enum dns_class {
	DNS_CLASS_IN = 1,
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

/* How a message came: it sets how large the reply may be. */
enum dns_transport {
	DNS_UDP,
	DNS_TCP,
};

/* A client's query, as dns_msg_parse_query found it. */
struct dns_query {
	uint16_t id;
	uint16_t qtype;	 /* enum dns_type, or any other type number */
	uint16_t qclass; /* DNS_CLASS_IN, or any other class number */
	bool rd, cd;	 /* recursion desired, checking disabled: echoed */
	bool edns;	 /* it had an OPT record: the reply gets one */
	bool edns_do;	 /* DNSSEC OK, copied to the reply's OPT (RFC 3225) */
	/* The largest reply it takes: 512 on UDP without EDNS, its EDNS size
	 * on UDP (512 to 65507), 65535 on TCP. */
	size_t max_reply;
	uint8_t qname[DNS_NAME_MAX]; /* as sent (case kept: answers echo it) */
	size_t qname_len;
	/* Presentation form with the final dot: "web.", "web.mynet.", "." */
	char name[DNS_NAME_STRLEN];
};

/* Parse and check a query that came over tr.  0: *ret is the query.  Or a
 * reason in *err and:
 *   -EPROTO           not a query: shorter than a header, or a response
 *                     (QR set; answering it could loop): send nothing;
 *   -EOPNOTSUPP       an opcode other than QUERY: NOTIMP;
 *   -EBADMSG          malformed (QDCOUNT != 1, truncated or garbage
 *                     sections, a label over 63 or a name over 255 octets,
 *                     bad compression pointers, two OPT records): FORMERR;
 *   -EPROTONOSUPPORT  an EDNS version other than 0: BADVERS (RFC 6891).
 * dns_msg_refusal builds the reply that goes with the code. */
int dns_msg_parse_query(const uint8_t *buf, size_t len, enum dns_transport tr,
			struct dns_query *ret, struct berr **err);

/* The reply to a message dns_msg_parse_query refused with code: FORMERR or
 * NOTIMP (header only: id, opcode and RD of the query), or BADVERS (with
 * the question and an OPT).  -ENODATA when nothing should be sent: code is
 * -EPROTO, or buf has no header. */
int dns_msg_refusal(const uint8_t *buf, size_t len, int code, uint8_t **ret_buf, size_t *ret_len);

/* Answer q with one A or AAAA record (by the address's family) per address,
 * in the given order, TTL DNS_TTL, owner name as q asked it.  n may be 0:
 * NOERROR with no answer (the name exists with no address of that family).
 * When the reply does not fit in q->max_reply, it has TC set and no
 * answer, so that the client asks again over TCP. */
int dns_msg_answer_addrs(const struct dns_query *q, const struct ipaddr *addrs, size_t n,
			 uint8_t **ret_buf, size_t *ret_len, struct berr **err);
/* Answer q (a PTR query) with name ("c1.mynet", a final dot optional).
 * -EINVAL when name is no valid domain name. */
int dns_msg_answer_ptr(const struct dns_query *q, const char *name, uint8_t **ret_buf,
		       size_t *ret_len, struct berr **err);
/* A reply to q with rcode and no records, the question echoed: NXDOMAIN,
 * NOERROR (no data), SERVFAIL, REFUSED, NOTIMP. */
int dns_msg_answer_rcode(const struct dns_query *q, enum dns_rcode rcode, uint8_t **ret_buf,
			 size_t *ret_len, struct berr **err);

/* The address a reverse name stands for: "4.3.2.1.in-addr.arpa." or the 32
 * nibbles of ip6.arpa (any case, final dot optional).  -EINVAL for any other
 * name, a partial one included. */
int dns_msg_ptr_addr(const char *name, struct ipaddr *ret);

/* The id of the message in buf.  -EBADMSG when buf has no header. */
int dns_msg_id(const uint8_t *buf, size_t len, uint16_t *ret_id);
/* Give the message in buf the id id (a query forwarded under an id of the
 * forwarder's own).  -EBADMSG when buf has no header. */
int dns_msg_set_id(uint8_t *buf, size_t len, uint16_t id);
/* The message in buf has TC set: an upstream's UDP answer was truncated
 * and the question must go again over TCP.  false when buf has no header. */
bool dns_msg_truncated(const uint8_t *buf, size_t len);

/* Turn an upstream's answer to q into the reply for q's client: check that
 * it is a well-formed response to q's question (-EBADMSG otherwise), give
 * it q's id, and when it is larger than q->max_reply, replace it with an
 * empty reply with the same rcode and TC set. */
int dns_msg_relay(const struct dns_query *q, const uint8_t *buf, size_t len, uint8_t **ret_buf,
		  size_t *ret_len, struct berr **err);

#endif
