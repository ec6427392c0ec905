/* dns-msg.c - the embedded resolver's DNS messages, through ldns: checking
 * a client's query (the same acceptance rules as miekg/dns, which Docker's
 * resolver uses), building replies with the question echoed as it was
 * asked, EDNS0 (an OPT when the query had one, the client's UDP size
 * honoured, the DO bit copied) and truncation (TC and no records when a
 * reply does not fit, so the client asks again over TCP), and the
 * forwarder's edits of relayed messages.  ldns_pkt2wire compresses names.
 * Called by the resolver; pure, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "core/dns-msg.h"
#include "core/util.h"

#define DNS_BADVERS_HIGH 1 /* BADVERS (16) >> 4: the OPT's extended rcode (RFC 6891) */

static void dns_msg_pkt_freep(ldns_pkt **p)
{
	ldns_pkt_free(*p);
}

static void dns_msg_rdf_freep(ldns_rdf **p)
{
	ldns_rdf_deep_free(*p);
}

#define _cleanup_pkt_ _cleanup_(dns_msg_pkt_freep)
#define _cleanup_rdf_ _cleanup_(dns_msg_rdf_freep)

/* ldns returns NULL only when out of memory: abort as xmalloc does. */
static void *dns_msg_must(void *p)
{
	if (!p) {
		fputs("berth: out of memory\n", stderr);
		abort();
	}
	return p;
}

static int dns_msg_ldns_err(struct berr **err, int code, ldns_status s, const char *what)
{
	return berr_set(err, code, "%s: %s", what, ldns_get_errorstr_by_id(s));
}

/* The header-only checks of miekg/dns's DefaultMsgAcceptFunc. */
static int dns_msg_check_header(const uint8_t *buf, size_t len, struct berr **err)
{
	if (len < LDNS_HEADER_SIZE)
		return berr_set(err, EPROTO, "DNS message of %zu bytes, shorter than a header",
				len);
	if (LDNS_QR_WIRE(buf))
		return berr_set(err, EPROTO, "DNS response where a query was expected");
	if (LDNS_OPCODE_WIRE(buf) != LDNS_PACKET_QUERY)
		return berr_set(err, EOPNOTSUPP, "DNS opcode %u not implemented",
				(unsigned)LDNS_OPCODE_WIRE(buf));
	if (LDNS_QDCOUNT(buf) != 1)
		return berr_set(err, EBADMSG, "DNS query with %u questions", LDNS_QDCOUNT(buf));
	/* One answer and one authority record are NOTIFY's and UPDATE's; two
	 * additional records are an OPT and a TSIG. */
	if (LDNS_ANCOUNT(buf) > 1 || LDNS_NSCOUNT(buf) > 1 || LDNS_ARCOUNT(buf) > 2)
		return berr_set(err, EBADMSG, "DNS query with %u/%u/%u records", LDNS_ANCOUNT(buf),
				LDNS_NSCOUNT(buf), LDNS_ARCOUNT(buf));
	return 0;
}

/* ldns takes the OPT records out of the additional section: count them. */
static int dns_msg_check_edns(const uint8_t *buf, const ldns_pkt *pkt, struct berr **err)
{
	int opts =
		(int)LDNS_ARCOUNT(buf) - (int)ldns_pkt_arcount(pkt) - (ldns_pkt_tsig(pkt) ? 1 : 0);

	const ldns_rdf *data = ldns_pkt_edns_data(pkt);
	size_t off = 0, size = data ? ldns_rdf_size(data) : 0;

	if (opts > 1)
		return berr_set(err, EBADMSG, "DNS query with %d OPT records", opts);
	/* the OPT's options: code, length, data, each within the record
	 * (ldns takes the rdata as one blob) */
	while (off + 4 <= size)
		off += 4 +
		       ((size_t)ldns_rdf_data(data)[off + 2] << 8 | ldns_rdf_data(data)[off + 3]);
	if (off != size)
		return berr_set(err, EBADMSG, "DNS query with a malformed EDNS option");
	if (ldns_pkt_edns(pkt) && ldns_pkt_edns_version(pkt) != 0)
		return berr_set(err, EPROTONOSUPPORT, "EDNS version %u not supported",
				ldns_pkt_edns_version(pkt));
	return 0;
}

static size_t dns_msg_max_reply(const ldns_pkt *pkt, enum dns_transport tr)
{
	size_t size = ldns_pkt_edns_udp_size(pkt);

	if (tr == DNS_TCP)
		return DNS_TCP_MAX;
	if (!ldns_pkt_edns(pkt) || size < DNS_UDP_MIN)
		return DNS_UDP_MIN;
	return size > DNS_UDP_MAX ? DNS_UDP_MAX : size;
}

/* Fill q from a parsed query. */
static int dns_msg_query_fill(const ldns_pkt *pkt, enum dns_transport tr, struct dns_query *q,
			      struct berr **err)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	const ldns_rdf *owner = ldns_rr_owner(rr);
	_cleanup_free_ char *name = dns_msg_must(ldns_rdf2str(owner));

	if (ldns_rdf_size(owner) > sizeof(q->qname) || strlen(name) >= sizeof(q->name))
		return berr_set(err, EBADMSG, "DNS name too long");
	q->id = ldns_pkt_id(pkt);
	q->qtype = ldns_rr_get_type(rr);
	q->qclass = ldns_rr_get_class(rr);
	q->rd = ldns_pkt_rd(pkt);
	q->cd = ldns_pkt_cd(pkt);
	q->edns = ldns_pkt_edns(pkt);
	q->edns_do = q->edns && ldns_pkt_edns_do(pkt);
	q->max_reply = dns_msg_max_reply(pkt, tr);
	q->qname_len = ldns_rdf_size(owner);
	memcpy(q->qname, ldns_rdf_data(owner), q->qname_len);
	strcpy(q->name, name);
	return 0;
}

int dns_msg_parse_query(const uint8_t *buf, size_t len, enum dns_transport tr,
			struct dns_query *ret, struct berr **err)
{
	_cleanup_pkt_ ldns_pkt *pkt = NULL;
	struct dns_query q;
	ldns_status s;
	int r;

	r = dns_msg_check_header(buf, len, err);
	if (r < 0)
		return r;
	s = ldns_wire2pkt(&pkt, buf, len);
	if (s != LDNS_STATUS_OK)
		return dns_msg_ldns_err(err, EBADMSG, s, "malformed DNS query");
	r = dns_msg_check_edns(buf, pkt, err);
	if (r < 0)
		return r;
	r = dns_msg_query_fill(pkt, tr, &q, err);
	if (r < 0)
		return r;
	*ret = q;
	return 0;
}

/* Encode pkt.  When it is larger than max, drop every record (the OPT is
 * not one) and set TC: the client retries over TCP (RFC 2181 9). */
static int dns_msg_encode(ldns_pkt *pkt, size_t max, uint8_t **ret_buf, size_t *ret_len,
			  struct berr **err)
{
	uint8_t *wire;
	size_t len;
	ldns_status s;

	s = ldns_pkt2wire(&wire, pkt, &len);
	if (s == LDNS_STATUS_OK && len > max) {
		free(wire);
		ldns_rr_list_deep_free(ldns_pkt_answer(pkt));
		ldns_rr_list_deep_free(ldns_pkt_authority(pkt));
		ldns_rr_list_deep_free(ldns_pkt_additional(pkt));
		ldns_pkt_set_answer(pkt, dns_msg_must(ldns_rr_list_new()));
		ldns_pkt_set_authority(pkt, dns_msg_must(ldns_rr_list_new()));
		ldns_pkt_set_additional(pkt, dns_msg_must(ldns_rr_list_new()));
		ldns_pkt_set_ancount(pkt, 0);
		ldns_pkt_set_nscount(pkt, 0);
		ldns_pkt_set_arcount(pkt, 0);
		ldns_rr_free(ldns_pkt_tsig(pkt));
		ldns_pkt_set_tsig(pkt, NULL);
		ldns_pkt_set_tc(pkt, true);
		s = ldns_pkt2wire(&wire, pkt, &len);
	}
	if (s != LDNS_STATUS_OK)
		return dns_msg_ldns_err(err, ENOMEM, s, "cannot encode DNS reply");
	if (len > max) {
		free(wire);
		return berr_set(err, EMSGSIZE, "DNS reply of %zu bytes, even truncated, over %zu",
				len, max);
	}
	*ret_buf = wire;
	*ret_len = len;
	return 0;
}

/* A record of q's question: the question itself (no rdata) or an answer. */
static ldns_rr *dns_msg_rr_new(const struct dns_query *q, uint16_t type, bool question)
{
	ldns_rr *rr = dns_msg_must(ldns_rr_new());

	ldns_rr_set_owner(rr, dns_msg_must(ldns_dname_new_frm_data(q->qname_len, q->qname)));
	ldns_rr_set_question(rr, question);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, q->qclass);
	ldns_rr_set_ttl(rr, question ? 0 : DNS_TTL);
	return rr;
}

/* A reply to q: header, the question as asked, and an OPT when q had one.
 * Names we know or know not to exist are ours: authoritative (AA). */
static ldns_pkt *dns_msg_reply_new(const struct dns_query *q, enum dns_rcode rcode)
{
	ldns_pkt *pkt = dns_msg_must(ldns_pkt_new());

	ldns_pkt_set_id(pkt, q->id);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_QUERY);
	ldns_pkt_set_aa(pkt, rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN);
	ldns_pkt_set_rd(pkt, q->rd);
	ldns_pkt_set_cd(pkt, q->cd);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, rcode);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, dns_msg_rr_new(q, q->qtype, true));
	if (q->edns) {
		ldns_pkt_set_edns_udp_size(pkt, DNS_EDNS_SIZE);
		ldns_pkt_set_edns_do(pkt, q->edns_do);
	}
	return pkt;
}

static void dns_msg_push_answer(ldns_pkt *pkt, const struct dns_query *q, uint16_t type,
				ldns_rdf *rdata)
{
	ldns_rr *rr = dns_msg_rr_new(q, type, false);

	ldns_rr_push_rdf(rr, rdata);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
}

int dns_msg_answer_addrs(const struct dns_query *q, const struct ipaddr *addrs, size_t n,
			 uint8_t **ret_buf, size_t *ret_len, struct berr **err)
{
	_cleanup_pkt_ ldns_pkt *pkt = dns_msg_reply_new(q, DNS_RCODE_NOERROR);

	for (size_t i = 0; i < n; i++) {
		bool v4 = addrs[i].family == AF_INET;
		ldns_rdf *rd =
			ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
					      cidr_family_bytes(addrs[i].family), addrs[i].b);

		dns_msg_push_answer(pkt, q, v4 ? DNS_TYPE_A : DNS_TYPE_AAAA, dns_msg_must(rd));
	}
	return dns_msg_encode(pkt, q->max_reply, ret_buf, ret_len, err);
}

int dns_msg_answer_ptr(const struct dns_query *q, const char *name, uint8_t **ret_buf,
		       size_t *ret_len, struct berr **err)
{
	_cleanup_pkt_ ldns_pkt *pkt = NULL;
	_cleanup_free_ char *fqdn = NULL;
	ldns_rdf *target;
	size_t len = strlen(name);

	if (len == 0)
		return berr_set(err, EINVAL, "empty domain name for a PTR record");
	fqdn = name[len - 1] == '.' ? xstrdup(name) : xasprintf("%s.", name);
	target = ldns_dname_new_frm_str(fqdn);
	if (!target)
		return berr_set(err, EINVAL, "invalid domain name for a PTR record: %s", name);
	pkt = dns_msg_reply_new(q, DNS_RCODE_NOERROR);
	dns_msg_push_answer(pkt, q, DNS_TYPE_PTR, target);
	return dns_msg_encode(pkt, q->max_reply, ret_buf, ret_len, err);
}

int dns_msg_answer_rcode(const struct dns_query *q, enum dns_rcode rcode, uint8_t **ret_buf,
			 size_t *ret_len, struct berr **err)
{
	_cleanup_pkt_ ldns_pkt *pkt = dns_msg_reply_new(q, rcode);

	return dns_msg_encode(pkt, q->max_reply, ret_buf, ret_len, err);
}

/* BADVERS: the question and an OPT of version 0 with the extended rcode. */
static void dns_msg_refusal_badvers(ldns_pkt *reply, const uint8_t *buf, size_t len)
{
	_cleanup_pkt_ ldns_pkt *query = NULL;

	if (ldns_wire2pkt(&query, buf, len) == LDNS_STATUS_OK) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_question(query), 0);

		if (rr)
			ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION,
					 dns_msg_must(ldns_rr_clone(rr)));
	}
	ldns_pkt_set_edns_udp_size(reply, DNS_EDNS_SIZE);
	ldns_pkt_set_edns_extended_rcode(reply, DNS_BADVERS_HIGH);
}

int dns_msg_refusal(const uint8_t *buf, size_t len, int code, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_pkt_ ldns_pkt *pkt = NULL;

	if (len < LDNS_HEADER_SIZE || LDNS_QR_WIRE(buf))
		return -ENODATA;
	if (code != -EBADMSG && code != -EOPNOTSUPP && code != -EPROTONOSUPPORT)
		return -ENODATA;
	pkt = dns_msg_must(ldns_pkt_new());
	ldns_pkt_set_id(pkt, LDNS_ID_WIRE(buf));
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_opcode(pkt, LDNS_OPCODE_WIRE(buf));
	ldns_pkt_set_rd(pkt, LDNS_RD_WIRE(buf));
	ldns_pkt_set_ra(pkt, true);
	if (code == -EBADMSG)
		ldns_pkt_set_rcode(pkt, DNS_RCODE_FORMERR);
	else if (code == -EOPNOTSUPP)
		ldns_pkt_set_rcode(pkt, DNS_RCODE_NOTIMP);
	else
		dns_msg_refusal_badvers(pkt, buf, len);
	return dns_msg_encode(pkt, DNS_TCP_MAX, ret_buf, ret_len, NULL);
}

/* The address of "4.3.2.1" (the labels before in-addr.arpa). */
static int dns_msg_ptr_v4(const char *s, size_t len, struct ipaddr *ret)
{
	struct ipaddr a = {.family = AF_INET};
	size_t i = 0;

	for (int k = 3; k >= 0; k--) {
		unsigned v = 0, digits = 0;

		for (; i < len && s[i] >= '0' && s[i] <= '9' && digits < 3; i++, digits++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (!digits || v > 255)
			return -EINVAL;
		if (k && (i >= len || s[i++] != '.'))
			return -EINVAL;
		a.b[k] = (uint8_t)v;
	}
	if (i != len)
		return -EINVAL;
	*ret = a;
	return 0;
}

static int dns_msg_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The address of "b.a.9.8. ... .0" (32 nibbles, lowest first, before ip6.arpa). */
static int dns_msg_ptr_v6(const char *s, size_t len, struct ipaddr *ret)
{
	struct ipaddr a = {.family = AF_INET6};

	if (len != 2 * 32 - 1)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int v = dns_msg_nibble(s[2 * i]);

		if (v < 0 || (i < 31 && s[2 * i + 1] != '.'))
			return -EINVAL;
		a.b[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	*ret = a;
	return 0;
}

int dns_msg_ptr_addr(const char *name, struct ipaddr *ret)
{
	static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	if (len > strlen(v4) && strncasecmp(name + len - strlen(v4), v4, strlen(v4)) == 0)
		return dns_msg_ptr_v4(name, len - strlen(v4), ret);
	if (len > strlen(v6) && strncasecmp(name + len - strlen(v6), v6, strlen(v6)) == 0)
		return dns_msg_ptr_v6(name, len - strlen(v6), ret);
	return -EINVAL;
}

int dns_msg_id(const uint8_t *buf, size_t len, uint16_t *ret_id)
{
	if (len < LDNS_HEADER_SIZE)
		return -EBADMSG;
	*ret_id = LDNS_ID_WIRE(buf);
	return 0;
}

int dns_msg_set_id(uint8_t *buf, size_t len, uint16_t id)
{
	if (len < LDNS_HEADER_SIZE)
		return -EBADMSG;
	LDNS_ID_SET(buf, id);
	return 0;
}

bool dns_msg_truncated(const uint8_t *buf, size_t len)
{
	return len >= LDNS_HEADER_SIZE && LDNS_TC_WIRE(buf);
}

/* pkt is a response whose question is q's (names compared without case). */
static int dns_msg_check_answers(const ldns_pkt *pkt, const struct dns_query *q, struct berr **err)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	_cleanup_rdf_ ldns_rdf *qname = NULL;

	if (!ldns_pkt_qr(pkt))
		return berr_set(err, EBADMSG, "upstream DNS message is not a response");
	if (ldns_pkt_qdcount(pkt) != 1 || !rr)
		return berr_set(err, EBADMSG, "upstream DNS response with %u questions",
				ldns_pkt_qdcount(pkt));
	qname = dns_msg_must(ldns_dname_new_frm_data(q->qname_len, q->qname));
	if (ldns_dname_compare(ldns_rr_owner(rr), qname) != 0 || ldns_rr_get_type(rr) != q->qtype ||
	    ldns_rr_get_class(rr) != q->qclass)
		return berr_set(err, EBADMSG, "upstream DNS response to another question than %s",
				q->name);
	return 0;
}

int dns_msg_relay(const struct dns_query *q, const uint8_t *buf, size_t len, uint8_t **ret_buf,
		  size_t *ret_len, struct berr **err)
{
	_cleanup_pkt_ ldns_pkt *pkt = NULL;
	ldns_status s;
	uint8_t *out;
	int r;

	s = ldns_wire2pkt(&pkt, buf, len);
	if (s != LDNS_STATUS_OK)
		return dns_msg_ldns_err(err, EBADMSG, s, "malformed upstream DNS response");
	r = dns_msg_check_answers(pkt, q, err);
	if (r < 0)
		return r;
	if (len > q->max_reply) {
		ldns_pkt_set_id(pkt, q->id);
		return dns_msg_encode(pkt, q->max_reply, ret_buf, ret_len, err);
	}
	out = xmalloc(len);
	memcpy(out, buf, len);
	LDNS_ID_SET(out, q->id);
	*ret_buf = out;
	*ret_len = len;
	return 0;
}
