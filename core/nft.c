/* nft.c - nftables batches through libnftnl and libmnl (see nft.h).  A batch
 * is a list of messages, each built by libnftnl into one buffer between
 * NFNL_MSG_BATCH_BEGIN and _END, sent with one sendmsg, so the kernel
 * applies all or nothing; every message asks for an ack, and an error ack
 * is traced back to the message by its sequence number. */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "core/nft.h"
#include "core/util.h"

/* What one recv may bring: the kernel batches answers into 32 KiB. */
#define NFT_RECV_SIZE 32768

/* The room one message may take in the batch buffer. */
#define NFT_MSG_ROOM 65536

enum nft_kind {
	NFT_K_TABLE,
	NFT_K_CHAIN,
	NFT_K_SET,
	NFT_K_ELEM,
	NFT_K_RULE
};

struct nft_op {
	enum nft_kind kind;
	uint16_t type;	/* NFT_MSG_NEW..., NFT_MSG_DEL... */
	uint16_t flags; /* NLM_F_CREATE, ... */
	int family;
	void *obj;  /* nftnl_table, _chain, _set (with elements), _rule */
	char *what; /* for error messages */
	uint32_t seq;
};

struct nft_batch {
	struct nft_op *ops;
	size_t n, cap;
};

struct nft_rule {
	struct nftnl_rule *r;
};

struct nft_batch *nft_batch_new(void)
{
	return xcalloc(1, sizeof(struct nft_batch));
}

static void nft_op_done(struct nft_op *op)
{
	switch (op->kind) {
	case NFT_K_TABLE:
		nftnl_table_free(op->obj);
		break;
	case NFT_K_CHAIN:
		nftnl_chain_free(op->obj);
		break;
	case NFT_K_SET:
	case NFT_K_ELEM:
		nftnl_set_free(op->obj);
		break;
	case NFT_K_RULE:
		nftnl_rule_free(op->obj);
		break;
	}
	free(op->what);
}

void nft_batch_free(struct nft_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		nft_op_done(&b->ops[i]);
	free(b->ops);
	free(b);
}

static void nft_push(struct nft_batch *b, enum nft_kind kind, uint16_t type, uint16_t flags,
		     int family, void *obj, char *what)
{
	struct nft_op op = {kind, type, flags, family, obj, what, 0};

	xgrow(&b->ops, &b->cap, b->n + 1, sizeof(*b->ops));
	b->ops[b->n++] = op;
}

static struct nftnl_table *nft_table_obj(int family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		abort();
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)family);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	return t;
}

void nft_table_add(struct nft_batch *b, int family, const char *table)
{
	nft_push(b, NFT_K_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, family,
		 nft_table_obj(family, table), xasprintf("add table %s", table));
}

void nft_table_del(struct nft_batch *b, int family, const char *table)
{
	nft_push(b, NFT_K_TABLE, NFT_MSG_DELTABLE, 0, family, nft_table_obj(family, table),
		 xasprintf("delete table %s", table));
}

static struct nftnl_chain *nft_chain_obj(int family, const char *table, const char *chain)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		abort();
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t)family);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	return c;
}

void nft_chain_add(struct nft_batch *b, int family, const char *table, const char *chain,
		   const char *type, int hook, int prio, int policy)
{
	struct nftnl_chain *c = nft_chain_obj(family, table, chain);

	if (type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, (uint32_t)policy);
	}
	nft_push(b, NFT_K_CHAIN, NFT_MSG_NEWCHAIN, NLM_F_CREATE, family, c,
		 xasprintf("add chain %s/%s", table, chain));
}

void nft_chain_flush(struct nft_batch *b, int family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		abort();
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nft_push(b, NFT_K_RULE, NFT_MSG_DELRULE, 0, family, r,
		 xasprintf("flush chain %s/%s", table, chain));
}

static struct nftnl_set *nft_set_obj(int family, const char *table, const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		abort();
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)family);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	return s;
}

void nft_set_add(struct nft_batch *b, int family, const char *table, const char *set,
		 uint32_t key_type, uint32_t key_len, uint32_t flags, uint32_t data_type,
		 uint32_t data_len)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);

	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	/* the kernel wants a set id to link the set to rules of the same batch */
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(util_now_ns() & 0xffffffff));
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
	}
	nft_push(b, NFT_K_SET, NFT_MSG_NEWSET, NLM_F_CREATE, family, s,
		 xasprintf("add set %s/%s", table, set));
}

void nft_set_del(struct nft_batch *b, int family, const char *table, const char *set)
{
	nft_push(b, NFT_K_SET, NFT_MSG_DELSET, 0, family, nft_set_obj(family, table, set),
		 xasprintf("delete set %s/%s", table, set));
}

static struct nftnl_set_elem *nft_elem_obj(const void *key, size_t key_len)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		abort();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)key_len);
	return e;
}

static void nft_elem_push(struct nft_batch *b, uint16_t type, int family, const char *table,
			  const char *set, struct nftnl_set_elem *e, const char *verb)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);

	nftnl_set_elem_add(s, e);
	nft_push(b, NFT_K_ELEM, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, family, s,
		 xasprintf("%s element in %s/%s", verb, table, set));
}

void nft_elem_add(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len, const void *data, size_t data_len)
{
	struct nftnl_set_elem *e = nft_elem_obj(key, key_len);

	if (data)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, (uint32_t)data_len);
	nft_elem_push(b, NFT_MSG_NEWSETELEM, family, table, set, e, "add");
}

void nft_elem_add_verdict(struct nft_batch *b, int family, const char *table, const char *set,
			  const void *key, size_t key_len, int verdict, const char *chain)
{
	struct nftnl_set_elem *e = nft_elem_obj(key, key_len);

	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	nft_elem_push(b, NFT_MSG_NEWSETELEM, family, table, set, e, "add");
}

void nft_elem_del(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len)
{
	nft_elem_push(b, NFT_MSG_DELSETELEM, family, table, set, nft_elem_obj(key, key_len),
		      "delete");
}

struct nft_rule *nft_rule_new(int family, const char *table, const char *chain)
{
	struct nft_rule *r = xcalloc(1, sizeof(*r));

	r->r = nftnl_rule_alloc();
	if (!r->r)
		abort();
	nftnl_rule_set_u32(r->r, NFTNL_RULE_FAMILY, (uint32_t)family);
	nftnl_rule_set_str(r->r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r->r, NFTNL_RULE_CHAIN, chain);
	return r;
}

void nft_rule_free(struct nft_rule *r)
{
	if (!r)
		return;
	if (r->r)
		nftnl_rule_free(r->r);
	free(r);
}

static struct nftnl_expr *nft_expr(struct nft_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		abort();
	nftnl_rule_add_expr(r->r, e);
	return e;
}

void nft_rule_meta(struct nft_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void nft_rule_payload(struct nft_rule *r, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

void nft_rule_cmp(struct nft_rule *r, uint32_t sreg, uint32_t op, const void *data, size_t len)
{
	struct nftnl_expr *e = nft_expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, (uint32_t)len);
}

void nft_rule_bitwise(struct nft_rule *r, uint32_t reg, const void *mask, size_t len)
{
	struct nftnl_expr *e = nft_expr(r, "bitwise");
	uint8_t zero[16] = {0};

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, (uint32_t)len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, (uint32_t)len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, (uint32_t)len);
}

void nft_rule_lookup(struct nft_rule *r, const char *set, uint32_t sreg, int32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "lookup");

	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
}

void nft_rule_ct_state(struct nft_rule *r, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

void nft_rule_counter(struct nft_rule *r)
{
	nft_expr(r, "counter");
}

void nft_rule_masq(struct nft_rule *r)
{
	nft_expr(r, "masq");
}

void nft_rule_verdict(struct nft_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nft_expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

void nft_rule_add(struct nft_batch *b, struct nft_rule *r, const char *what)
{
	int family = (int)nftnl_rule_get_u32(r->r, NFTNL_RULE_FAMILY);
	char *desc = xasprintf("add rule %s/%s (%s)", nftnl_rule_get_str(r->r, NFTNL_RULE_TABLE),
			       nftnl_rule_get_str(r->r, NFTNL_RULE_CHAIN), what);

	nft_push(b, NFT_K_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family, r->r, desc);
	free(r);
}

/* Build one operation's message at buf (room bytes available). */
static struct nlmsghdr *nft_op_build(struct nft_op *op, char *buf)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, op->type, (uint16_t)op->family,
						     (uint16_t)(op->flags | NLM_F_ACK), op->seq);

	switch (op->kind) {
	case NFT_K_TABLE:
		nftnl_table_nlmsg_build_payload(nlh, op->obj);
		break;
	case NFT_K_CHAIN:
		nftnl_chain_nlmsg_build_payload(nlh, op->obj);
		break;
	case NFT_K_SET:
		nftnl_set_nlmsg_build_payload(nlh, op->obj);
		break;
	case NFT_K_ELEM:
		nftnl_set_elems_nlmsg_build_payload(nlh, op->obj);
		break;
	case NFT_K_RULE:
		nftnl_rule_nlmsg_build_payload(nlh, op->obj);
		break;
	}
	return nlh;
}

/* BEGIN, every message, END in one buffer; *ret_len its length. */
static char *nft_batch_build(struct nft_batch *b, uint32_t seq0, size_t *ret_len)
{
	size_t cap = (b->n + 2) * NFT_MSG_ROOM, len = 0;
	char *buf = xcalloc(1, cap);
	struct nlmsghdr *nlh;

	nlh = nftnl_batch_begin(buf, seq0);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	for (size_t i = 0; i < b->n; i++) {
		b->ops[i].seq = seq0 + 1 + (uint32_t)i;
		nlh = nft_op_build(&b->ops[i], buf + len);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	nlh = nftnl_batch_end(buf + len, seq0 + 1 + (uint32_t)b->n);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	*ret_len = len;
	return buf;
}

struct nft_acks {
	struct nft_batch *b;
	size_t got;
	int error;
	size_t failed; /* index of the op the kernel refused */
	char *extack;
};

/* Extended ack text (NLMSGERR_ATTR_MSG), when the kernel gave one. */
static char *nft_extack(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e), total = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (off >= total)
		return NULL;
	a = (const struct nlattr *)((const char *)e + off);
	for (int left = (int)(total - off); mnl_attr_ok(a, left);
	     left -= (int)mnl_attr_get_len(a) + 0, a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			return xstrdup(mnl_attr_get_str(a));
		left -= (int)(MNL_ALIGN(mnl_attr_get_len(a)) - mnl_attr_get_len(a));
	}
	return NULL;
}

/* One answer: an ack (error 0) or a refusal. */
static void nft_ack_cb(const struct nlmsghdr *nlh, struct nft_acks *a)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != NLMSG_ERROR)
		return;
	a->got++;
	if (e->error && !a->error) {
		a->error = -e->error;
		a->extack = nft_extack(nlh);
		for (size_t i = 0; i < a->b->n; i++)
			if (a->b->ops[i].seq == nlh->nlmsg_seq)
				a->failed = i;
	}
}

/* Read answers until every message is acked, or the kernel goes quiet
 * after refusing one (it aborts the rest of the batch). */
static void nft_read_acks(struct mnl_socket *nl, struct nft_acks *a)
{
	_cleanup_free_ char *buf = xmalloc(NFT_RECV_SIZE);
	struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};

	while (a->got < a->b->n) {
		ssize_t n;

		if (poll(&pfd, 1, a->error ? 50 : 5000) <= 0)
			break;
		n = mnl_socket_recvfrom(nl, buf, NFT_RECV_SIZE);
		if (n <= 0)
			break;
		/* acks are control messages, which mnl_cb_run keeps to itself */
		int left = (int)n;

		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			nft_ack_cb(nlh, a);
	}
}

static struct mnl_socket *nft_socket(size_t sndbuf, struct berr **err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1, size = (int)sndbuf;

	if (!nl) {
		berr_set(err, errno, "nftables: cannot open a netlink socket: %m");
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		berr_set(err, errno, "nftables: cannot bind a netlink socket: %m");
		mnl_socket_close(nl);
		return NULL;
	}
	/* a batch goes in one message: the send buffer must hold all of it */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	return nl;
}

int nft_batch_commit(struct nft_batch *b, struct berr **err)
{
	struct nft_acks a = {.b = b};
	struct mnl_socket *nl;
	size_t len;
	char *buf;
	int r = 0;

	if (b->n == 0)
		return 0;
	buf = nft_batch_build(b, (uint32_t)time(NULL), &len);
	nl = nft_socket(len + 4096, err);
	if (!nl) {
		free(buf);
		return -(err && *err ? (*err)->code : EIO);
	}
	if (mnl_socket_sendto(nl, buf, len) < 0)
		r = berr_set(err, errno, "nftables: cannot send a batch of %zu changes: %m", b->n);
	else
		nft_read_acks(nl, &a);
	if (r == 0 && a.error)
		r = berr_set(err, a.error, "nftables: %s: %s%s%s", b->ops[a.failed].what,
			     strerror(a.error), a.extack ? ": " : "", a.extack ? a.extack : "");
	else if (r == 0 && a.got < b->n)
		r = berr_set(err, ETIMEDOUT, "nftables: no answer for %zu of %zu changes",
			     b->n - a.got, b->n);
	free(a.extack);
	mnl_socket_close(nl);
	free(buf);
	return r;
}

/* Callback of the table lookup: any answer that is a table means yes. */
static int nft_table_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return MNL_CB_OK;
}

int nft_table_exists(int family, const char *table, struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(NFT_RECV_SIZE);
	struct nftnl_table *t = nft_table_obj(family, table);
	struct mnl_socket *nl = nft_socket(NFT_RECV_SIZE, err);
	struct nlmsghdr *nlh;
	bool found = false;
	ssize_t n;
	int r = 0;

	if (!nl) {
		nftnl_table_free(t);
		return -EIO;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, (uint16_t)family, NLM_F_ACK, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = berr_set(err, errno, "nftables: cannot ask for table %s: %m", table);
	} else {
		while ((n = mnl_socket_recvfrom(nl, buf, NFT_RECV_SIZE)) > 0) {
			int cb = mnl_cb_run(buf, (size_t)n, 1, 0, nft_table_cb, &found);

			if (cb <= MNL_CB_STOP) {
				if (cb < 0 && errno != ENOENT)
					r = berr_set(err, errno, "nftables: table %s: %m", table);
				break;
			}
		}
	}
	mnl_socket_close(nl);
	return r < 0 ? r : found;
}
