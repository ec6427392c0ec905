/* bridge-fw.c - the firewall of bridge networks (see bridge-fw.h).  Owns the
 * nftables table inet "berth" and, where the kernel can match a bridge's
 * name in the bridge family (meta ibrname, CONFIG_NFT_BRIDGE_META), the
 * table bridge "berth".  Their rules are fixed; networks, subnets and
 * published ports are elements of their sets and maps, so the rule count
 * never grows.  Every change is one batch through core/nft.  Called by the
 * bridge driver on the job thread.
 *
 *   prerouting, output (nat): local destination -> DNAT by the port maps
 *   postrouting (nat):        masquerade leaving subnets, hairpin, 127/8
 *   forward (filter):         MSS clamp, internal, isolation, icc=false
 *   bridge forward (filter):  icc=false between ports of one bridge */
#include <errno.h>
#include <fcntl.h>
/* glibc's before the kernel's: linux/libc-compat.h then skips the twins */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"
#include "core/nft.h"
#include "core/nl.h" /* nl_ifname_validate */
#include "core/util.h"
#include "drivers/bridge-fw.h"

#define FW_TABLE "berth"

/* nftables' data type ids (its datatype.h), and how it names the type of a
 * concatenation: each field's id shifted in by 6 bits. */
enum {
	FW_T_IPV4 = 7,
	FW_T_IPV6 = 8,
	FW_T_PROTO = 12,
	FW_T_SERVICE = 13,
	FW_T_IFNAME = 41,
};
#define FW_CAT(a, b)	 (((a) << 6) | (b))
#define FW_CAT3(a, b, c) FW_CAT(FW_CAT(a, b), c)

enum fw_set_id {
	FW_BRIDGES,  /* every berth bridge */
	FW_INTERNAL, /* bridges of internal networks */
	FW_SAMEBR,   /* "br . br" for every bridge: traffic that stays on it */
	FW_NOICC,    /* bridges with icc=false (inet rule) */
	FW_MASQ4,    /* subnets masqueraded when they leave */
	FW_MASQ6,
	FW_HAIRPIN4, /* subnet . bridge: from a bridge's subnet back onto it */
	FW_HAIRPIN6,
	FW_PORTS4,   /* proto . port -> ctr addr . port, every host address */
	FW_PORTS4IP, /* host addr . proto . port -> ctr addr . port */
	FW_PORTS6,
	FW_PORTS6IP,
	FW_BR_NOICC, /* bridges with icc=false (bridge-family rule) */
	FW_N_SETS
};

struct fw_set {
	int family;
	const char *name;
	uint32_t key_type, key_len, flags, data_type, data_len;
	uint8_t fields[2]; /* a set of concatenated intervals: its fields' lengths */
};

/* Keys and data are concatenations of 4-byte aligned fields: a protocol
 * or a port takes 4 bytes, an interface name IFNAMSIZ. */
#define FW_IFNAME_SET(n)                                                                           \
	{                                                                                          \
		.family = NFPROTO_INET, .name = (n), .key_type = FW_T_IFNAME, .key_len = IFNAMSIZ  \
	}
#define FW_PORT_MAP(n, kt, kl, dt, dl)                                                             \
	{                                                                                          \
		.family = NFPROTO_INET, .name = (n), .key_type = (kt), .key_len = (kl),            \
		.flags = NFT_SET_MAP, .data_type = (dt), .data_len = (dl)                          \
	}

static const struct fw_set fw_sets[FW_N_SETS] = {
	[FW_BRIDGES] = FW_IFNAME_SET("bridges"),
	[FW_INTERNAL] = FW_IFNAME_SET("internal"),
	[FW_SAMEBR] = {.family = NFPROTO_INET,
		       .name = "samebr",
		       .key_type = FW_CAT(FW_T_IFNAME, FW_T_IFNAME),
		       .key_len = 2 * IFNAMSIZ},
	[FW_NOICC] = FW_IFNAME_SET("noicc"),
	[FW_MASQ4] = {.family = NFPROTO_INET,
		      .name = "masq4",
		      .key_type = FW_T_IPV4,
		      .key_len = 4,
		      .flags = NFT_SET_INTERVAL},
	[FW_MASQ6] = {.family = NFPROTO_INET,
		      .name = "masq6",
		      .key_type = FW_T_IPV6,
		      .key_len = 16,
		      .flags = NFT_SET_INTERVAL},
	/* key length and flags follow from the fields (nft_set_add_concat) */
	[FW_HAIRPIN4] = {.family = NFPROTO_INET,
			 .name = "hairpin4",
			 .key_type = FW_CAT(FW_T_IPV4, FW_T_IFNAME),
			 .fields = {4, IFNAMSIZ}},
	[FW_HAIRPIN6] = {.family = NFPROTO_INET,
			 .name = "hairpin6",
			 .key_type = FW_CAT(FW_T_IPV6, FW_T_IFNAME),
			 .fields = {16, IFNAMSIZ}},
	[FW_PORTS4] = FW_PORT_MAP("ports4", FW_CAT(FW_T_PROTO, FW_T_SERVICE), 8,
				  FW_CAT(FW_T_IPV4, FW_T_SERVICE), 8),
	[FW_PORTS4IP] = FW_PORT_MAP("ports4ip", FW_CAT3(FW_T_IPV4, FW_T_PROTO, FW_T_SERVICE), 12,
				    FW_CAT(FW_T_IPV4, FW_T_SERVICE), 8),
	[FW_PORTS6] = FW_PORT_MAP("ports6", FW_CAT(FW_T_PROTO, FW_T_SERVICE), 8,
				  FW_CAT(FW_T_IPV6, FW_T_SERVICE), 20),
	[FW_PORTS6IP] = FW_PORT_MAP("ports6ip", FW_CAT3(FW_T_IPV6, FW_T_PROTO, FW_T_SERVICE), 24,
				    FW_CAT(FW_T_IPV6, FW_T_SERVICE), 20),
	[FW_BR_NOICC] = {.family = NFPROTO_BRIDGE,
			 .name = "noicc",
			 .key_type = FW_T_IFNAME,
			 .key_len = IFNAMSIZ},
};

/* Elements meant for each set, each with what names it in errors. */
struct fw_item {
	struct nft_elem e;
	char *what;
};

struct fw_want {
	struct fw_item *v[FW_N_SETS];
	size_t n[FW_N_SETS], cap[FW_N_SETS];
};

static void fw_want_push(struct fw_want *w, enum fw_set_id id, const struct nft_elem *e,
			 const char *what)
{
	xgrow(&w->v[id], &w->cap[id], w->n[id] + 1, sizeof(struct fw_item));
	w->v[id][w->n[id]++] = (struct fw_item){*e, xstrdup(what)};
}

static void fw_want_done(struct fw_want *w)
{
	for (int id = 0; id < FW_N_SETS; id++) {
		for (size_t i = 0; i < w->n[id]; i++)
			free(w->v[id][i].what);
		free(w->v[id]);
	}
}

/* Append a field to a key or data, padded to a register's 4 bytes. */
static void fw_field(uint8_t *buf, uint32_t *len, const void *v, size_t n)
{
	memcpy(buf + *len, v, n);
	*len += (uint32_t)((n + 3) & ~(size_t)3);
}

/* An interface name as a key field: IFNAMSIZ bytes, zero padded. */
static void fw_field_ifname(uint8_t *buf, uint32_t *len, const char *name)
{
	char field[IFNAMSIZ] = {0};

	memcpy(field, name, strlen(name));
	fw_field(buf, len, field, sizeof(field));
}

/* The index of the 4-byte register k as nft(8) and the kernel name it:
 * NFT_REG_n where it starts a 16-byte register, NFT_REG32_k otherwise. */
static uint32_t fw_reg(unsigned k)
{
	return k % 4 == 0 ? NFT_REG_1 + k / 4 : NFT_REG32_00 + k;
}

/* --- the rules ----------------------------------------------------- */

struct fw_rule {
	struct nft_rule *r;
	const char *what; /* its comment */
};

struct fw_rules {
	struct fw_rule *v;
	size_t n, cap;
};

struct fw_chain {
	int family;
	const char *name, *type;
	int hook, prio;
	void (*rules)(const struct fw_chain *c, struct fw_rules *rs);
};

/* A new rule at the end of rs, commented with what. */
static struct nft_rule *fw_rule(struct fw_rules *rs, const struct fw_chain *c, const char *what)
{
	struct nft_rule *r = nft_rule_new(c->family, FW_TABLE, c->name);

	nft_rule_comment(r, what);
	xgrow(&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	rs->v[rs->n++] = (struct fw_rule){r, what};
	return r;
}

static void fw_rules_done(struct fw_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		nft_rule_free(rs->v[i].r);
	free(rs->v);
}

/* meta nfproto ipv4|ipv6 */
static void fw_match_nfproto(struct nft_rule *r, uint8_t nfproto)
{
	nft_rule_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1);
}

/* iifname|oifname (key) @set, or != @set */
static void fw_match_ifname(struct nft_rule *r, uint32_t key, const char *set, bool inv)
{
	nft_rule_meta(r, key, NFT_REG_1);
	if (inv)
		nft_rule_lookup_inv(r, set, NFT_REG_1);
	else
		nft_rule_lookup(r, set, NFT_REG_1, -1);
}

/* iifname . oifname @samebr (the packet stays on its bridge), or != */
static void fw_match_samebr(struct nft_rule *r, bool inv)
{
	nft_rule_meta(r, NFT_META_IIFNAME, fw_reg(0));
	nft_rule_meta(r, NFT_META_OIFNAME, fw_reg(IFNAMSIZ / 4));
	if (inv)
		nft_rule_lookup_inv(r, fw_sets[FW_SAMEBR].name, NFT_REG_1);
	else
		nft_rule_lookup(r, fw_sets[FW_SAMEBR].name, NFT_REG_1, -1);
}

/* fib daddr type local */
static void fw_match_local(struct nft_rule *r)
{
	uint32_t local = RTN_LOCAL;

	nft_rule_fib(r, NFTA_FIB_F_DADDR, NFT_FIB_RESULT_ADDRTYPE, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &local, sizeof(local));
}

/* ct status dnat, or ct status & dnat == 0 */
static void fw_match_dnat(struct nft_rule *r, bool dnat)
{
	uint32_t bit = IPS_DST_NAT, zero = 0;

	nft_rule_ct(r, NFT_CT_STATUS, NFT_REG_1);
	nft_rule_bitwise(r, NFT_REG_1, &bit, sizeof(bit));
	nft_rule_cmp(r, NFT_REG_1, dnat ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, sizeof(zero));
}

/* tcp flags syn / syn,rst: SYN and SYN-ACK */
static void fw_match_syn(struct nft_rule *r)
{
	uint8_t tcp = IPPROTO_TCP, mask = TH_SYN | TH_RST, syn = TH_SYN;

	nft_rule_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &tcp, 1);
	nft_rule_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	nft_rule_bitwise(r, NFT_REG_1, &mask, 1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &syn, 1);
}

/* tcp option maxseg size set rt mtu (the kernel only ever lowers it) */
static void fw_mss_clamp(struct nft_rule *r)
{
	nft_rule_rt(r, NFT_RT_TCPMSS, NFT_REG_1);
	nft_rule_byteorder(r, NFT_REG_1, NFT_BYTEORDER_HTON, 2, 2);
	nft_rule_tcpopt_write(r, TCPOPT_MAXSEG, 2, 2, NFT_REG_1);
}

/* [ip|ip6 daddr .] meta l4proto . th dport looked up in a port map; its
 * data, address . port, goes to registers from reg 1 on, where dnat takes
 * them:  fib daddr type local dnat ip to ip daddr . meta l4proto . th dport
 * map @ports4ip  (and the others alike). */
static void fw_rule_dnat(struct fw_rules *rs, const struct fw_chain *c, bool v6, bool by_ip)
{
	static const char *const what[2][2] = {
		{"published ports, every IPv4 address", "published ports, one IPv4 address"},
		{"published ports, every IPv6 address", "published ports, one IPv6 address"},
	};
	static const enum fw_set_id map[2][2] = {{FW_PORTS4, FW_PORTS4IP},
						 {FW_PORTS6, FW_PORTS6IP}};
	struct nft_rule *r = fw_rule(rs, c, what[v6][by_ip]);
	unsigned alen = v6 ? 16 : 4, k = 0;

	fw_match_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	fw_match_local(r);
	if (by_ip) {
		nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, fw_reg(0));
		k = alen / 4;
	}
	nft_rule_meta(r, NFT_META_L4PROTO, fw_reg(k));
	nft_rule_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, fw_reg(k + 1));
	nft_rule_lookup(r, fw_sets[map[v6][by_ip]].name, NFT_REG_1, NFT_REG_1);
	nft_rule_nat(r, NFT_NAT_DNAT, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, NFT_REG_1,
		     fw_reg(alen / 4));
}

/* prerouting and output: published ports, for packets to a local address
 * (from outside and containers; from the host itself, 127.0.0.1 too). */
static void fw_rules_dnat(const struct fw_chain *c, struct fw_rules *rs)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		fw_rule_dnat(rs, c, v6, true);
		fw_rule_dnat(rs, c, v6, false);
	}
}

/* ip|ip6 saddr @masq4|6 oifname != @bridges masquerade */
static void fw_rule_masq(struct fw_rules *rs, const struct fw_chain *c, bool v6)
{
	struct nft_rule *r = fw_rule(
		rs, c, v6 ? "IPv6 networks leaving the host" : "IPv4 networks leaving the host");

	fw_match_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, v6 ? 16 : 4, NFT_REG_1);
	nft_rule_lookup(r, fw_sets[v6 ? FW_MASQ6 : FW_MASQ4].name, NFT_REG_1, -1);
	fw_match_ifname(r, NFT_META_OIFNAME, fw_sets[FW_BRIDGES].name, true);
	nft_rule_masq(r);
}

/* ct status dnat ip|ip6 saddr . oifname @hairpin4|6 masquerade: a
 * container reaching a published port on its own bridge through the host.
 * Without it the answer would come straight from the other container
 * (from an address the client never talked to), or, to itself, from its
 * own address.  Matched by source subnet and bridge rather than by
 * iifname, which is empty where br_netfilter bridges the DNAT'd packet
 * back instead of routing it. */
static void fw_rule_hairpin(struct fw_rules *rs, const struct fw_chain *c, bool v6)
{
	struct nft_rule *r = fw_rule(rs, c,
				     v6 ? "hairpin: IPv6 published port, own bridge"
					: "hairpin: IPv4 published port, own bridge");
	unsigned alen = v6 ? 16 : 4;

	fw_match_dnat(r, true);
	fw_match_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen, fw_reg(0));
	nft_rule_meta(r, NFT_META_OIFNAME, fw_reg(alen / 4));
	nft_rule_lookup(r, fw_sets[v6 ? FW_HAIRPIN6 : FW_HAIRPIN4].name, NFT_REG_1, -1);
	nft_rule_masq(r);
}

static void fw_rules_postrouting(const struct fw_chain *c, struct fw_rules *rs)
{
	uint8_t loopback = 127;
	struct nft_rule *r;

	fw_rule_masq(rs, c, false);
	fw_rule_masq(rs, c, true);
	fw_rule_hairpin(rs, c, false);
	fw_rule_hairpin(rs, c, true);
	/* the host reaching a published port through 127.0.0.1: the source
	 * must become the bridge's address for the answer to come back
	 * (route_localnet lets 127/8 out of the bridge at all) */
	r = fw_rule(rs, c, "host reaching published ports through 127.0.0.0/8");
	fw_match_ifname(r, NFT_META_OIFNAME, fw_sets[FW_BRIDGES].name, false);
	fw_match_nfproto(r, NFPROTO_IPV4);
	nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 1, NFT_REG_1);
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &loopback, 1);
	nft_rule_masq(r);
}

/* iifname|oifname (key) @internal iifname . oifname != @samebr drop */
static void fw_rule_internal(struct fw_rules *rs, const struct fw_chain *c, uint32_t key)
{
	struct nft_rule *r = fw_rule(rs, c,
				     key == NFT_META_IIFNAME ? "internal networks: nothing out"
							     : "internal networks: nothing in");

	fw_match_ifname(r, key, fw_sets[FW_INTERNAL].name, false);
	fw_match_samebr(r, true);
	nft_rule_verdict(r, NF_DROP, NULL);
}

/* forward.  There is deliberately no "ct state established,related
 * accept" ahead of the drops: the chain's policy is accept, so such a rule
 * could only ever skip them, and a packet that leaves its bridge for
 * another one must be dropped whatever its conntrack state says: a
 * container can forge one that matches another flow's entry.  Containers
 * on two networks talk on each bridge directly, never through here. */
static void fw_rule_inbound(struct fw_rules *rs, const struct fw_chain *c, bool v6);

static void fw_rules_forward(const struct fw_chain *c, struct fw_rules *rs)
{
	struct nft_rule *r;

	r = fw_rule(rs, c, "clamp TCP MSS to the route MTU, from a bridge");
	fw_match_ifname(r, NFT_META_IIFNAME, fw_sets[FW_BRIDGES].name, false);
	fw_match_syn(r);
	fw_mss_clamp(r);
	r = fw_rule(rs, c, "clamp TCP MSS to the route MTU, to a bridge");
	fw_match_ifname(r, NFT_META_OIFNAME, fw_sets[FW_BRIDGES].name, false);
	fw_match_syn(r);
	fw_mss_clamp(r);
	fw_rule_internal(rs, c, NFT_META_IIFNAME);
	fw_rule_internal(rs, c, NFT_META_OIFNAME);
	r = fw_rule(rs, c, "isolate bridge networks from each other");
	fw_match_ifname(r, NFT_META_IIFNAME, fw_sets[FW_BRIDGES].name, false);
	fw_match_ifname(r, NFT_META_OIFNAME, fw_sets[FW_BRIDGES].name, false);
	fw_match_samebr(r, true);
	nft_rule_verdict(r, NF_DROP, NULL);
	/* routed between two containers of one bridge (two subnets), or
	 * bridged when br_netfilter hands bridged packets to this hook; a
	 * published port reached through the host stays allowed, as with
	 * Docker's userland proxy */
	r = fw_rule(rs, c, "icc=false: containers of a bridge, not through a published port");
	fw_match_ifname(r, NFT_META_IIFNAME, fw_sets[FW_NOICC].name, false);
	fw_match_samebr(r, false);
	fw_match_dnat(r, false);
	nft_rule_verdict(r, NF_DROP, NULL);
	fw_rule_inbound(rs, c, false);
	fw_rule_inbound(rs, c, true);
}

/* iifname != @bridges ip|ip6 daddr @masq4|6 ct state new ct status !=
 * dnat drop: a NAT network is reached from outside only through its
 * published ports, as with Docker 28 (answers to the containers' own
 * connections are not new; the host itself goes through output). */
static void fw_rule_inbound(struct fw_rules *rs, const struct fw_chain *c, bool v6)
{
	struct nft_rule *r = fw_rule(rs, c,
				     v6 ? "IPv6 NAT networks: from outside only published ports"
					: "IPv4 NAT networks: from outside only published ports");
	uint32_t new_bit = 1u << (IP_CT_NEW + 1), zero = 0; /* NF_CT_STATE_BIT */

	fw_match_ifname(r, NFT_META_IIFNAME, fw_sets[FW_BRIDGES].name, true);
	fw_match_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	nft_rule_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, v6 ? 16 : 4, NFT_REG_1);
	nft_rule_lookup(r, fw_sets[v6 ? FW_MASQ6 : FW_MASQ4].name, NFT_REG_1, -1);
	nft_rule_ct(r, NFT_CT_STATE, NFT_REG_1);
	nft_rule_bitwise(r, NFT_REG_1, &new_bit, sizeof(new_bit));
	nft_rule_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero));
	fw_match_dnat(r, false);
	nft_rule_verdict(r, NF_DROP, NULL);
}

/* bridge forward: meta ibrname @noicc ether type ip|ip6 drop (ARP passes,
 * and so does everything to the bridge itself: the gateway) */
static void fw_rules_bridge(const struct fw_chain *c, struct fw_rules *rs)
{
	static const uint16_t types[] = {ETH_P_IP, ETH_P_IPV6};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct nft_rule *r = fw_rule(rs, c,
					     i == 0 ? "icc=false: no IPv4 between ports"
						    : "icc=false: no IPv6 between ports");
		uint16_t type = htons(types[i]);

		fw_match_ifname(r, NFT_META_BRI_IIFNAME, fw_sets[FW_BR_NOICC].name, false);
		nft_rule_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, NFT_REG_1);
		nft_rule_cmp(r, NFT_REG_1, NFT_CMP_EQ, &type, sizeof(type));
		nft_rule_verdict(r, NF_DROP, NULL);
	}
}

static const struct fw_chain fw_chains[] = {
	{NFPROTO_INET, "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, fw_rules_dnat},
	{NFPROTO_INET, "output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, fw_rules_dnat},
	{NFPROTO_INET, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC,
	 fw_rules_postrouting},
	{NFPROTO_INET, "forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER, fw_rules_forward},
	{NFPROTO_BRIDGE, "forward", "filter", NF_BR_FORWARD, NF_BR_PRI_FILTER_BRIDGED,
	 fw_rules_bridge},
};

/* --- the kernel's abilities and settings -------------------------- */

/* Can the kernel match a bridge's name in the bridge family (meta ibrname,
 * CONFIG_NFT_BRIDGE_META)?  Asked once with a batch that makes a scratch
 * table holding such a rule and deletes it again: the kernel checks the
 * rule as it reads it, so the batch fails (EOPNOTSUPP) exactly when it
 * cannot, and leaves nothing either way.  1 yes, 0 no, negative errno. */
static int fw_bridge_meta(struct berr **err)
{
	static int known; /* 0 not asked yet, 1 yes, -1 no; the job thread's */
	_cleanup_nft_batch_ struct nft_batch *b = NULL;
	_cleanup_berr_ struct berr *e = NULL;
	struct nft_rule *r;
	int ret;

	if (known)
		return known > 0;
	b = nft_batch_new();
	nft_table_add(b, NFPROTO_BRIDGE, "berth-probe");
	nft_chain_add(b, NFPROTO_BRIDGE, "berth-probe", "probe", NULL, 0, 0, 0);
	r = nft_rule_new(NFPROTO_BRIDGE, "berth-probe", "probe");
	nft_rule_meta(r, NFT_META_BRI_IIFNAME, NFT_REG_1);
	nft_rule_add(b, r, "meta ibrname");
	nft_table_del(b, NFPROTO_BRIDGE, "berth-probe");
	ret = nft_batch_commit(b, &e);
	if (ret == -EOPNOTSUPP)
		known = -1;
	else if (ret == 0)
		known = 1;
	else
		return berr_set(err, -ret, "%s", berr_msg(e));
	return known > 0;
}

/* Write 1 to a sysctl file unless it holds 1 already: 1 when it changed
 * it, 0 when not, negative errno. */
static int fw_sysctl_on(const char *path, struct berr **err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	char c = 0;

	if (fd < 0)
		return berr_set(err, errno, "cannot open %s: %m", path);
	if (read(fd, &c, 1) < 0)
		return berr_set(err, errno, "cannot read %s: %m", path);
	if (c == '1')
		return 0;
	if (pwrite(fd, "1", 1, 0) != 1)
		return berr_set(err, errno, "cannot write 1 to %s: %m", path);
	return 1;
}

/* The same, logging what it turned on. */
static int fw_sysctl_enable(const char *path, const char *what, struct berr **err)
{
	int r = fw_sysctl_on(path, err);

	if (r > 0)
		log_info("enabled %s (%s)", what, path);
	return r < 0 ? r : 0;
}

/* Let 127.0.0.0/8 out of the bridge, so that the host reaches published
 * ports through 127.0.0.1 (DNAT in output keeps the loopback source until
 * postrouting masquerades it). */
static int fw_route_localnet(const char *bridge, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);

	int r = fw_sysctl_on(path, err);

	return r < 0 ? r : 0;
}

/* Without meta ibrname, icc=false holds between the ports of a bridge only
 * if br_netfilter hands bridged packets to the inet forward hook. */
static int fw_brnf_enable(struct berr **err)
{
	static const char *const files[] = {"/proc/sys/net/bridge/bridge-nf-call-iptables",
					    "/proc/sys/net/bridge/bridge-nf-call-ip6tables"};

	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files) && r == 0; i++) {
		if (access(files[i], F_OK) < 0)
			return berr_set(err, EOPNOTSUPP,
					"icc=false needs nftables' bridge meta match "
					"(CONFIG_NFT_BRIDGE_META) or br_netfilter");
		r = fw_sysctl_enable(files[i], "bridged traffic through nftables", err);
	}
	return r;
}

/* --- elements of networks and ports -------------------------------- */

static int fw_net_check(const struct fw_net *net, struct berr **err)
{
	int r = nl_ifname_validate(net->bridge, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < net->n_subnets; i++) {
		int f = net->subnets[i].addr.family;

		if ((f != AF_INET && f != AF_INET6) || net->subnets[i].len > cidr_family_bits(f))
			return berr_set(err, EINVAL, "network %s: subnet %zu is not a prefix",
					net->bridge, i);
	}
	return 0;
}

/* The last address of a prefix: its host bits set. */
static void fw_prefix_last(const struct prefix *p, uint8_t *last)
{
	for (unsigned i = 0; i < cidr_family_bytes(p->addr.family); i++) {
		unsigned bit = i * 8;
		uint8_t host = p->len <= bit	   ? 0xff
			       : p->len >= bit + 8 ? 0
						   : 0xff >> (p->len - bit);

		last[i] = p->addr.b[i] | host;
	}
}

/* A subnet as an interval of masq4|6: its first address, and the address
 * after its last (none when that would wrap: the interval then runs to
 * the end). */
static void fw_subnet_masq(struct fw_want *w, const struct prefix *p, const char *what)
{
	enum fw_set_id id = p->addr.family == AF_INET ? FW_MASQ4 : FW_MASQ6;
	unsigned n = cidr_family_bytes(p->addr.family);
	struct nft_elem start = {0}, end = {0};
	bool carry = true;

	memcpy(start.key, p->addr.b, n);
	start.key_len = end.key_len = n;
	fw_want_push(w, id, &start, what);
	fw_prefix_last(p, end.key);
	for (unsigned i = n; i-- > 0 && carry;)
		carry = ++end.key[i] == 0;
	end.flags = NFT_SET_ELEM_INTERVAL_END;
	if (!carry)
		fw_want_push(w, id, &end, what);
}

/* A subnet of a bridge as one element of hairpin4|6: first address .
 * bridge to last address . bridge. */
static void fw_subnet_hairpin(struct fw_want *w, const struct prefix *p, const char *bridge,
			      const char *what)
{
	enum fw_set_id id = p->addr.family == AF_INET ? FW_HAIRPIN4 : FW_HAIRPIN6;
	unsigned n = cidr_family_bytes(p->addr.family);
	uint8_t last[16];
	struct nft_elem e = {0};

	fw_prefix_last(p, last);
	fw_field(e.key, &e.key_len, p->addr.b, n);
	fw_field_ifname(e.key, &e.key_len, bridge);
	fw_field(e.key_end, &e.key_end_len, last, n);
	fw_field_ifname(e.key_end, &e.key_end_len, bridge);
	fw_want_push(w, id, &e, what);
}

static void fw_subnet_elems(struct fw_want *w, const struct fw_net *net, size_t i, bool masq)
{
	char buf[CIDR_STRLEN];
	_cleanup_free_ char *what = xasprintf("subnet %s", cidr_prefix_str(&net->subnets[i], buf));

	if (masq)
		fw_subnet_masq(w, &net->subnets[i], what);
	fw_subnet_hairpin(w, &net->subnets[i], net->bridge, what);
}

/* The elements of a network: all it may be in when every is true (to
 * remove it whatever its flags were), else those its flags call for. */
static void fw_net_elems(const struct fw_net *net, bool every, bool brmeta, struct fw_want *w)
{
	_cleanup_free_ char *what = xasprintf("bridge %s", net->bridge);
	struct nft_elem name = {0}, pair = {0};

	fw_field_ifname(name.key, &name.key_len, net->bridge);
	fw_field_ifname(pair.key, &pair.key_len, net->bridge);
	fw_field_ifname(pair.key, &pair.key_len, net->bridge);
	fw_want_push(w, FW_BRIDGES, &name, what);
	fw_want_push(w, FW_SAMEBR, &pair, what);
	if (every || net->internal)
		fw_want_push(w, FW_INTERNAL, &name, what);
	if (every || !net->icc) {
		fw_want_push(w, FW_NOICC, &name, what);
		if (brmeta)
			fw_want_push(w, FW_BR_NOICC, &name, what);
	}
	for (size_t i = 0; i < net->n_subnets; i++)
		fw_subnet_elems(w, net, i, every || (net->masquerade && !net->internal));
}

static const char *fw_proto_str(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	}
	return NULL;
}

/* "0.0.0.0:8080/tcp", "[fd00::1]:53/udp" */
static char *fw_port_str(const struct fw_port *p)
{
	char buf[CIDR_STRLEN];
	bool v6 = p->ctr_ip.family == AF_INET6;
	const char *host = p->host_ip.family ? cidr_addr_str(&p->host_ip, buf)
			   : v6		     ? "::"
					     : "0.0.0.0";
	const char *proto = fw_proto_str(p->proto);

	return xasprintf(v6 ? "port [%s]:%u/%s" : "port %s:%u/%s", host, p->host_port,
			 proto ? proto : "?");
}

static int fw_port_check(const struct fw_port *p, struct berr **err)
{
	_cleanup_free_ char *what = fw_port_str(p);
	int f = p->ctr_ip.family;

	if (!fw_proto_str(p->proto))
		return berr_set(err, EINVAL, "%s: protocol %u is not tcp, udp or sctp", what,
				p->proto);
	if (f != AF_INET && f != AF_INET6)
		return berr_set(err, EINVAL, "%s: no container address", what);
	if (p->host_ip.family && p->host_ip.family != f)
		return berr_set(err, EINVAL, "%s: host and container addresses of two families",
				what);
	if (!p->host_port || !p->ctr_port)
		return berr_set(err, EINVAL, "%s: port 0", what);
	return 0;
}

/* A published port as an element of its map: the key (host address .)
 * proto . host port, the data container address . container port. */
static int fw_port_elem(const struct fw_port *p, struct fw_want *w, struct berr **err)
{
	_cleanup_free_ char *what = fw_port_str(p);
	bool v6 = p->ctr_ip.family == AF_INET6, any = p->host_ip.family == 0;
	uint16_t hport = htons(p->host_port), cport = htons(p->ctr_port);
	unsigned alen = v6 ? 16 : 4;
	struct nft_elem e = {0};
	int r = fw_port_check(p, err);

	if (r < 0)
		return r;
	if (!any)
		fw_field(e.key, &e.key_len, p->host_ip.b, alen);
	fw_field(e.key, &e.key_len, &p->proto, 1);
	fw_field(e.key, &e.key_len, &hport, 2);
	fw_field(e.data, &e.data_len, p->ctr_ip.b, alen);
	fw_field(e.data, &e.data_len, &cport, 2);
	fw_want_push(w, v6 ? (any ? FW_PORTS6 : FW_PORTS6IP) : (any ? FW_PORTS4 : FW_PORTS4IP), &e,
		     what);
	return 0;
}

static int fw_ports_elems(const struct fw_port *ports, size_t n, struct fw_want *w,
			  struct berr **err)
{
	for (size_t i = 0; i < n; i++) {
		int r = fw_port_elem(&ports[i], w, err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* --- batches ------------------------------------------------------- */

static bool fw_set_used(enum fw_set_id id, bool brmeta)
{
	return brmeta || fw_sets[id].family != NFPROTO_BRIDGE;
}

/* The chain's rules as berth writes them, as one string. */
static char *fw_rules_str(const struct fw_rules *rs)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < rs->n; i++) {
		_cleanup_free_ char *line = nft_rule_str(rs->v[i].r);
		char *x = xasprintf("%s%s\n", out, line);

		free(out);
		out = x;
	}
	return out;
}

/* Rewrite a chain's rules (flush, then add) when they differ from what
 * berth writes: nothing of conntrack is touched, so flows go on. */
static int fw_chain_sync(struct nft_batch *b, const struct fw_chain *c, struct berr **err)
{
	struct fw_rules rs = {0};
	_cleanup_free_ char *have = NULL, *want = NULL;
	int r;

	c->rules(c, &rs);
	want = fw_rules_str(&rs);
	r = nft_chain_rules_str(c->family, FW_TABLE, c->name, &have, err);
	if (r == 0 && !streq(have, want)) {
		nft_chain_flush(b, c->family, FW_TABLE, c->name);
		for (size_t i = 0; i < rs.n; i++)
			nft_rule_add(b, TAKE_PTR(rs.v[i].r), rs.v[i].what);
	}
	fw_rules_done(&rs);
	return r;
}

/* Tables, sets and chains (added without NLM_F_EXCL: what is there stays,
 * elements too) and the rules of every chain that differs. */
static int fw_struct_add(struct nft_batch *b, bool brmeta, struct berr **err)
{
	nft_table_add(b, NFPROTO_INET, FW_TABLE);
	if (brmeta)
		nft_table_add(b, NFPROTO_BRIDGE, FW_TABLE);
	for (int id = 0; id < FW_N_SETS; id++) {
		const struct fw_set *s = &fw_sets[id];

		if (!fw_set_used(id, brmeta))
			continue;
		if (s->fields[0])
			nft_set_add_concat(b, s->family, FW_TABLE, s->name, s->key_type, s->fields,
					   ARRAY_SIZE(s->fields));
		else
			nft_set_add(b, s->family, FW_TABLE, s->name, s->key_type, s->key_len,
				    s->flags, s->data_type, s->data_len);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fw_chains); i++) {
		const struct fw_chain *c = &fw_chains[i];
		int r;

		if (c->family == NFPROTO_BRIDGE && !brmeta)
			continue;
		nft_chain_add(b, c->family, FW_TABLE, c->name, c->type, c->hook, c->prio,
			      NF_ACCEPT);
		r = fw_chain_sync(b, c, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Add every wanted element; excl: refuse keys that are there already. */
static void fw_want_add(struct nft_batch *b, const struct fw_want *w, bool excl)
{
	for (int id = 0; id < FW_N_SETS; id++)
		for (size_t i = 0; i < w->n[id]; i++)
			nft_elem_add_ex(b, fw_sets[id].family, FW_TABLE, fw_sets[id].name,
					&w->v[id][i].e, excl, w->v[id][i].what);
}

/* What a set holds now; an absent set (or table) holds nothing. */
static int fw_set_list(enum fw_set_id id, struct nft_elem **ret, size_t *ret_n, struct berr **err)
{
	_cleanup_berr_ struct berr *e = NULL;
	int r = nft_elem_list(fw_sets[id].family, FW_TABLE, fw_sets[id].name, ret, ret_n, &e);

	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return r < 0 ? berr_set(err, -r, "%s", berr_msg(e)) : 0;
}

/* Delete the wanted elements that are there (key, flags and data equal):
 * what is absent, or holds another port's data, is left alone. */
static int fw_want_del(struct nft_batch *b, const struct fw_want *w, struct berr **err)
{
	for (int id = 0; id < FW_N_SETS; id++) {
		_cleanup_free_ struct nft_elem *have = NULL;
		size_t n = 0;
		int r;

		if (w->n[id] == 0)
			continue;
		r = fw_set_list(id, &have, &n, err);
		if (r < 0)
			return r;
		for (size_t i = 0; i < w->n[id]; i++)
			if (n && bsearch(&w->v[id][i].e, have, n, sizeof(*have), nft_elem_cmp))
				nft_elem_del_ex(b, fw_sets[id].family, FW_TABLE, fw_sets[id].name,
						&w->v[id][i].e, w->v[id][i].what);
	}
	return 0;
}

static int fw_item_cmp(const void *a, const void *b)
{
	return nft_elem_cmp(&((const struct fw_item *)a)->e, &((const struct fw_item *)b)->e);
}

/* Sort a set's wanted elements and drop repeats. */
static void fw_want_sort(struct fw_want *w, enum fw_set_id id)
{
	struct fw_item *v = w->v[id];
	size_t k = 0;

	if (w->n[id] == 0)
		return;
	qsort(v, w->n[id], sizeof(*v), fw_item_cmp);
	for (size_t i = 1; i < w->n[id]; i++) {
		if (fw_item_cmp(&v[k], &v[i]) == 0)
			free(v[i].what);
		else
			v[++k] = v[i];
	}
	w->n[id] = k + 1;
}

/* Make a set hold exactly the wanted elements: delete the stale ones
 * (into b) and collect the missing ones (into missing, added after every
 * delete, so that a key whose data changed is replaced). */
static int fw_set_sync(struct nft_batch *b, enum fw_set_id id, struct fw_want *w,
		       struct fw_want *missing, struct berr **err)
{
	const struct fw_set *s = &fw_sets[id];
	_cleanup_free_ struct nft_elem *have = NULL;
	size_t n = 0, i = 0, j = 0;
	int r = fw_set_list(id, &have, &n, err);

	if (r < 0)
		return r;
	fw_want_sort(w, id);
	while (i < n || j < w->n[id]) {
		const struct fw_item *want = w->v[id];
		int c = i == n ? 1 : j == w->n[id] ? -1 : nft_elem_cmp(&have[i], &want[j].e);

		if (c < 0)
			nft_elem_del_ex(b, s->family, FW_TABLE, s->name, &have[i], "stale element");
		else if (c > 0)
			fw_want_push(missing, id, &want[j].e, want[j].what);
		i += c <= 0;
		j += c >= 0;
	}
	return 0;
}

/* --- the interface ------------------------------------------------- */

int fw_init(bool ipv6, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	int brmeta = fw_bridge_meta(err), r;

	if (brmeta < 0)
		return brmeta;
	r = fw_struct_add(b, brmeta, err);
	if (r == 0)
		r = nft_batch_commit(b, err);
	if (r == 0)
		r = fw_sysctl_enable("/proc/sys/net/ipv4/ip_forward", "IPv4 forwarding", err);
	if (r == 0 && ipv6)
		r = fw_sysctl_enable("/proc/sys/net/ipv6/conf/all/forwarding", "IPv6 forwarding",
				     err);
	return r;
}

/* What the kernel must do for a network beside the elements. */
static int fw_net_sysctls(const struct fw_net *net, bool brmeta, struct berr **err)
{
	int r = fw_route_localnet(net->bridge, err);

	if (r == 0 && !net->icc && !brmeta)
		r = fw_brnf_enable(err);
	return r;
}

int fw_network_add(const struct fw_net *net, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = NULL;
	_cleanup_(fw_want_done) struct fw_want w = {0};
	int brmeta = fw_bridge_meta(err), r;

	if (brmeta < 0)
		return brmeta;
	r = fw_net_check(net, err);
	if (r == 0)
		r = fw_net_sysctls(net, brmeta, err);
	if (r < 0)
		return r;
	fw_net_elems(net, false, brmeta, &w);
	b = nft_batch_new();
	fw_want_add(b, &w, false);
	return nft_batch_commit(b, err);
}

int fw_network_del(const struct fw_net *net, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	_cleanup_(fw_want_done) struct fw_want w = {0};
	int brmeta = fw_bridge_meta(err), r;

	if (brmeta < 0)
		return brmeta;
	r = fw_net_check(net, err);
	if (r < 0)
		return r;
	fw_net_elems(net, true, brmeta, &w);
	r = fw_want_del(b, &w, err);
	return r < 0 ? r : nft_batch_commit(b, err);
}

int fw_ports_add(const struct fw_port *ports, size_t n, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	_cleanup_(fw_want_done) struct fw_want w = {0};
	int r = fw_ports_elems(ports, n, &w, err);

	if (r < 0)
		return r;
	fw_want_add(b, &w, true);
	return nft_batch_commit(b, err);
}

int fw_ports_del(const struct fw_port *ports, size_t n, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	_cleanup_(fw_want_done) struct fw_want w = {0};
	int r = fw_ports_elems(ports, n, &w, err);

	if (r == 0)
		r = fw_want_del(b, &w, err);
	return r < 0 ? r : nft_batch_commit(b, err);
}

/* Every network's elements, and the kernel settings its bridge needs
 * (skipped for a bridge that is gone: its elements are harmless). */
static int fw_reconcile_nets(const struct fw_net *nets, size_t n, bool brmeta, struct fw_want *w,
			     struct berr **err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *conf = xasprintf("/proc/sys/net/ipv4/conf/%s", nets[i].bridge);
		int r = fw_net_check(&nets[i], err);

		if (r == 0 && access(conf, F_OK) == 0)
			r = fw_net_sysctls(&nets[i], brmeta, err);
		if (r < 0)
			return r;
		fw_net_elems(&nets[i], false, brmeta, w);
	}
	return 0;
}

int fw_reconcile(const struct fw_net *nets, size_t n_nets, const struct fw_port *ports,
		 size_t n_ports, struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	_cleanup_(fw_want_done) struct fw_want w = {0}, missing = {0};
	int brmeta = fw_bridge_meta(err), r;

	if (brmeta < 0)
		return brmeta;
	r = fw_reconcile_nets(nets, n_nets, brmeta, &w, err);
	if (r == 0)
		r = fw_ports_elems(ports, n_ports, &w, err);
	if (r == 0)
		r = fw_struct_add(b, brmeta, err);
	for (int id = 0; r == 0 && id < FW_N_SETS; id++)
		if (fw_set_used(id, brmeta))
			r = fw_set_sync(b, id, &w, &missing, err);
	if (r < 0)
		return r;
	fw_want_add(b, &missing, false);
	return nft_batch_commit(b, err);
}

int fw_cleanup(struct berr **err)
{
	_cleanup_nft_batch_ struct nft_batch *b = nft_batch_new();
	static const int families[] = {NFPROTO_INET, NFPROTO_BRIDGE};

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		int r = nft_table_exists(families[i], FW_TABLE, err);

		if (r < 0)
			return r;
		if (r)
			nft_table_del(b, families[i], FW_TABLE);
	}
	return nft_batch_commit(b, err);
}
