/* nft.c - nftables batches through libnftnl and libmnl (see nft.h).  A batch
 * is a list of messages, each built by libnftnl into one buffer between
 * NFNL_MSG_BATCH_BEGIN and _END, sent with one sendmsg, so the kernel
 * applies all or nothing; every message asks for an ack, and an error ack
 * is traced back to the message by its sequence number. */
#include <assert.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "core/nft.h"
#include "core/util.h"

/* What one recv may bring: the kernel batches answers into 32 KiB. */
#define NFT_RECV_SIZE 32768

/* The room one message may take while it is built: far more than a rule
 * or one element needs. */
#define NFT_MSG_ROOM 65536

/* Receive buffer per message of a batch: each is acked, and an ack takes
 * a socket buffer of its own (about 1 KiB of truesize); acks that do not
 * fit are lost. */
#define NFT_ACK_ROOM 1024

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

/* nftables' type id of ifname, a key in host byte order */
#define NFT_TYPE_IFNAME 41
/* nftables' byte order of a host-order key (its enum byteorder) */
#define NFT_BYTEORDER_HOST_ENDIAN 1

/* nft(8) prints a set's keys in the byte order its userdata names, and
 * takes them for big endian without: an interface name would come out
 * garbled.  So say it, as nft itself does. */
static void nft_set_key_order(struct nftnl_set *s, uint32_t key_type)
{
	struct nftnl_udata_buf *u;

	if (key_type != NFT_TYPE_IFNAME)
		return;
	u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_HOST_ENDIAN))
		abort();
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

void nft_set_add(struct nft_batch *b, int family, const char *table, const char *set,
		 uint32_t key_type, uint32_t key_len, uint32_t flags, uint32_t data_type,
		 uint32_t data_len)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);

	nft_set_key_order(s, key_type);
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

void nft_set_add_concat(struct nft_batch *b, int family, const char *table, const char *set,
			uint32_t key_type, const uint8_t *field_len, size_t n_fields)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);
	uint32_t key_len = 0;

	assert(n_fields > 1 && n_fields <= NFT_REG32_COUNT);
	for (size_t i = 0; i < n_fields; i++)
		key_len += (field_len[i] + 3u) & ~3u;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(util_now_ns() & 0xffffffff));
	/* the kernel picks its set type (pipapo) and checks keys by these */
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, field_len, (uint32_t)n_fields);
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

int nft_elem_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;
	int c;

	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	c = memcmp(x->key, y->key, x->key_len);
	if (c)
		return c;
	if (x->key_end_len != y->key_end_len)
		return x->key_end_len < y->key_end_len ? -1 : 1;
	c = memcmp(x->key_end, y->key_end, x->key_end_len);
	if (c)
		return c;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->data_len != y->data_len)
		return x->data_len < y->data_len ? -1 : 1;
	return memcmp(x->data, y->data, x->data_len);
}

static struct nftnl_set_elem *nft_elem_obj_ex(const struct nft_elem *e)
{
	struct nftnl_set_elem *o = nft_elem_obj(e->key, e->key_len);

	if (e->key_end_len)
		nftnl_set_elem_set(o, NFTNL_SET_ELEM_KEY_END, e->key_end, e->key_end_len);
	if (e->data_len)
		nftnl_set_elem_set(o, NFTNL_SET_ELEM_DATA, e->data, e->data_len);
	if (e->flags)
		nftnl_set_elem_set_u32(o, NFTNL_SET_ELEM_FLAGS, e->flags);
	return o;
}

void nft_elem_add_ex(struct nft_batch *b, int family, const char *table, const char *set,
		     const struct nft_elem *e, bool excl, const char *what)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);

	nftnl_set_elem_add(s, nft_elem_obj_ex(e));
	nft_push(b, NFT_K_ELEM, NFT_MSG_NEWSETELEM, NLM_F_CREATE | (excl ? NLM_F_EXCL : 0), family,
		 s, xasprintf("add %s in %s/%s", what ? what : "element", table, set));
}

void nft_elem_del_ex(struct nft_batch *b, int family, const char *table, const char *set,
		     const struct nft_elem *e, const char *what)
{
	struct nftnl_set *s = nft_set_obj(family, table, set);
	struct nftnl_set_elem *o = nft_elem_obj(e->key, e->key_len);

	if (e->key_end_len)
		nftnl_set_elem_set(o, NFTNL_SET_ELEM_KEY_END, e->key_end, e->key_end_len);
	if (e->flags)
		nftnl_set_elem_set_u32(o, NFTNL_SET_ELEM_FLAGS, e->flags);
	nftnl_set_elem_add(s, o);
	nft_push(b, NFT_K_ELEM, NFT_MSG_DELSETELEM, 0, family, s,
		 xasprintf("delete %s in %s/%s", what ? what : "element", table, set));
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
	/* as the kernel lists it (see nft_rule_str) */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
}

void nft_rule_lookup_inv(struct nft_rule *r, const char *set, uint32_t sreg)
{
	struct nftnl_expr *e = nft_expr(r, "lookup");

	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

void nft_rule_ct(struct nft_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

void nft_rule_ct_state(struct nft_rule *r, uint32_t dreg)
{
	nft_rule_ct(r, NFT_CT_STATE, dreg);
}

void nft_rule_fib(struct nft_rule *r, uint32_t flags, uint32_t result, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, flags);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, result);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
}

void nft_rule_rt(struct nft_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nft_expr(r, "rt");

	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, dreg);
}

void nft_rule_byteorder(struct nft_rule *r, uint32_t reg, uint32_t op, uint32_t len, uint32_t size)
{
	struct nftnl_expr *e = nft_expr(r, "byteorder");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, op);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
}

void nft_rule_tcpopt_write(struct nft_rule *r, uint8_t type, uint32_t offset, uint32_t len,
			   uint32_t sreg)
{
	struct nftnl_expr *e = nft_expr(r, "exthdr");

	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, sreg);
}

void nft_rule_nat(struct nft_rule *r, uint32_t type, int family, uint32_t reg_addr,
		  uint32_t reg_proto)
{
	struct nftnl_expr *e = nft_expr(r, "nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t)family);
	/* a single address and port: max = min, which is also what the
	 * kernel lists when max is not given, as it lists the flags it
	 * infers from the registers */
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg_addr);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg_addr);
	if (reg_proto) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg_proto);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, reg_proto);
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
			   NF_NAT_RANGE_MAP_IPS | (reg_proto ? NF_NAT_RANGE_PROTO_SPECIFIED : 0));
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

void nft_rule_immediate(struct nft_rule *r, uint32_t dreg, const void *data, size_t len)
{
	struct nftnl_expr *e = nft_expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, (uint32_t)len);
}

void nft_rule_comment(struct nft_rule *r, const char *text)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	/* a comment too long for the kernel is the caller's bug */
	if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, text))
		abort();
	nftnl_rule_set_data(r->r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

/* Expressions and userdata of a libnftnl rule as one line (see nft.h). */
static char *nft_rule_text(const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!it || !f)
		abort();
	for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
		fprintf(f, "[ %s ", nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
		nftnl_expr_fprintf(f, e, NFTNL_OUTPUT_DEFAULT, 0);
		fputs(" ] ", f);
	}
	nftnl_expr_iter_destroy(it);
	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
		uint32_t n = 0;
		const uint8_t *u = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &n);

		fputs("userdata ", f);
		for (uint32_t i = 0; i < n; i++)
			fprintf(f, "%02x", u[i]);
	}
	fclose(f);
	return out;
}

char *nft_rule_str(const struct nft_rule *r)
{
	return nft_rule_text(r->r);
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

/* Append len bytes of msg to *buf (of *cap bytes, *len used). */
static void nft_buf_append(char **buf, size_t *cap, size_t *len, const void *msg, size_t n)
{
	xgrow(buf, cap, *len + n, 1);
	memcpy(*buf + *len, msg, n);
	*len += n;
}

/* BEGIN, every message, END in one buffer; *ret_len its length.  Each
 * message is built in a scratch room and copied, so the buffer grows with
 * what the messages take, not with their count times the room. */
static char *nft_batch_build(struct nft_batch *b, uint32_t seq0, size_t *ret_len)
{
	_cleanup_free_ char *room = xcalloc(1, NFT_MSG_ROOM);
	size_t cap = 0, len = 0;
	char *buf = NULL;
	struct nlmsghdr *nlh;

	nlh = nftnl_batch_begin(room, seq0);
	nft_buf_append(&buf, &cap, &len, room, NLMSG_ALIGN(nlh->nlmsg_len));
	for (size_t i = 0; i < b->n; i++) {
		b->ops[i].seq = seq0 + 1 + (uint32_t)i;
		memset(room, 0, NFT_MSG_ROOM);
		nlh = nft_op_build(&b->ops[i], room);
		assert(nlh->nlmsg_len <= NFT_MSG_ROOM);
		nft_buf_append(&buf, &cap, &len, room, NLMSG_ALIGN(nlh->nlmsg_len));
	}
	nlh = nftnl_batch_end(room, seq0 + 1 + (uint32_t)b->n);
	nft_buf_append(&buf, &cap, &len, room, NLMSG_ALIGN(nlh->nlmsg_len));
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

static struct mnl_socket *nft_socket(size_t sndbuf, size_t rcvbuf, struct berr **err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1, size = (int)sndbuf, rsize = (int)rcvbuf;

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
	/* and the receive buffer every ack of it, or acks are lost */
	if (rcvbuf)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rsize,
			   sizeof(rsize));
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
	nl = nft_socket(len + 4096, (b->n + 2) * NFT_ACK_ROOM, err);
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
	struct mnl_socket *nl = nft_socket(NFT_RECV_SIZE, 0, err);
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

/* Send the dump request req and run cb on every answer until the end.
 * Negative errno when the socket or the kernel fails (ENOENT: no such
 * object); what names the request in errors. */
static int nft_dump(struct nlmsghdr *req, mnl_cb_t cb, void *data, const char *what,
		    struct berr **err)
{
	_cleanup_free_ char *buf = xmalloc(NFT_RECV_SIZE);
	struct mnl_socket *nl = nft_socket(NFT_RECV_SIZE, 0, err);
	uint32_t seq = req->nlmsg_seq, portid;
	int r = 0;

	if (!nl)
		return -(err && *err ? (*err)->code : EIO);
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		r = berr_set(err, errno, "nftables: cannot ask for %s: %m", what);
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, NFT_RECV_SIZE);
		int cb_r;

		if (n < 0) {
			r = berr_set(err, errno, "nftables: listing %s: %m", what);
			break;
		}
		cb_r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (cb_r < 0) {
			r = berr_set(err, errno, "nftables: listing %s: %m", what);
			break;
		}
		if (cb_r == MNL_CB_STOP)
			break;
	}
out:
	mnl_socket_close(nl);
	return r;
}

struct nft_elem_acc {
	struct nft_elem *v;
	size_t n, cap;
};

/* Copy one listed element into the accumulator; refuse what does not fit. */
static int nft_elem_take(struct nftnl_set_elem *o, struct nft_elem_acc *acc)
{
	struct nft_elem *e;
	const void *p;
	uint32_t len = 0;

	xgrow(&acc->v, &acc->cap, acc->n + 1, sizeof(*acc->v));
	e = memset(&acc->v[acc->n], 0, sizeof(*e));
	p = nftnl_set_elem_get(o, NFTNL_SET_ELEM_KEY, &len);
	if (!p || len > sizeof(e->key))
		return -EBADMSG;
	memcpy(e->key, p, len);
	e->key_len = len;
	if (nftnl_set_elem_is_set(o, NFTNL_SET_ELEM_KEY_END)) {
		p = nftnl_set_elem_get(o, NFTNL_SET_ELEM_KEY_END, &len);
		if (!p || len > sizeof(e->key_end))
			return -EBADMSG;
		memcpy(e->key_end, p, len);
		e->key_end_len = len;
	}
	if (nftnl_set_elem_is_set(o, NFTNL_SET_ELEM_DATA)) {
		p = nftnl_set_elem_get(o, NFTNL_SET_ELEM_DATA, &len);
		if (!p || len > sizeof(e->data))
			return -EBADMSG;
		memcpy(e->data, p, len);
		e->data_len = len;
	}
	if (nftnl_set_elem_is_set(o, NFTNL_SET_ELEM_FLAGS))
		e->flags = nftnl_set_elem_get_u32(o, NFTNL_SET_ELEM_FLAGS);
	acc->n++;
	return 0;
}

/* One answer of an element dump: a set holding some of its elements.
 * Errors leave errno for nft_dump. */
static int nft_elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_elem_acc *acc = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	int r = 0;

	if (!s)
		abort();
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		abort();
	for (struct nftnl_set_elem *o = nftnl_set_elems_iter_next(it); o && r == 0;
	     o = nftnl_set_elems_iter_next(it))
		r = nft_elem_take(o, acc);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int nft_elem_list(int family, const char *table, const char *set, struct nft_elem **ret,
		  size_t *ret_n, struct berr **err)
{
	_cleanup_free_ char *buf = xcalloc(1, NFT_MSG_ROOM);
	_cleanup_free_ char *what = xasprintf("the elements of %s/%s", table, set);
	struct nftnl_set *s = nft_set_obj(family, table, set);
	struct nft_elem_acc acc = {0};
	struct nlmsghdr *nlh;
	int r;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	r = nft_dump(nlh, nft_elem_cb, &acc, what, err);
	if (r < 0) {
		free(acc.v);
		return r;
	}
	if (acc.n)
		qsort(acc.v, acc.n, sizeof(*acc.v), nft_elem_cmp);
	*ret = acc.v;
	*ret_n = acc.n;
	return 0;
}

/* One answer of a rule dump: one rule, printed on a line of its own into
 * the stream at data. */
static int nft_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char *line;

	if (!r)
		abort();
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	line = nft_rule_text(r);
	fprintf(data, "%s\n", line);
	free(line);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int nft_chain_rules_str(int family, const char *table, const char *chain, char **ret,
			struct berr **err)
{
	_cleanup_free_ char *buf = xcalloc(1, NFT_MSG_ROOM);
	_cleanup_free_ char *what = xasprintf("the rules of %s/%s", table, chain);
	struct nftnl_rule *rule = nftnl_rule_alloc();
	_cleanup_berr_ struct berr *e = NULL;
	struct nlmsghdr *nlh;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!rule)
		abort();
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP,
				    (uint32_t)time(NULL));
	nftnl_rule_nlmsg_build_payload(nlh, rule);
	nftnl_rule_free(rule);
	r = nft_dump(nlh, nft_rule_cb, f, what, &e);
	fclose(f);
	if (r == -ENOENT) {
		/* no such table or chain: no rules */
		out[0] = '\0';
		r = 0;
	}
	if (r < 0) {
		free(out);
		return berr_set(err, -r, "%s", berr_msg(e));
	}
	*ret = out;
	return 0;
}
