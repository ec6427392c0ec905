/* nft.h - nftables through libnftnl and libmnl.  The only module that knows
 * libnftnl.  berth keeps its rules in tables of its own and never flushes
 * or edits anything else.  A change is a batch: every message of it is
 * applied by the kernel atomically or none is, and an error names the
 * message that caused it.  Called from the job thread (drivers). */
#ifndef BERTH_NFT_H
#define BERTH_NFT_H

#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"

struct nft_batch;
struct nft_rule;

/* A new, empty batch.  Free with nft_batch_free (commit does not free). */
struct nft_batch *nft_batch_new(void);
void nft_batch_free(struct nft_batch *b);

static inline void nft_batch_freep(struct nft_batch **b)
{
	nft_batch_free(*b);
}

#define _cleanup_nft_batch_ __attribute__((cleanup(nft_batch_freep)))

/* Table and chain messages.  family: NFPROTO_INET, NFPROTO_IPV4, ...  Adding
 * what exists already is not an error (no NLM_F_EXCL). */
void nft_table_add(struct nft_batch *b, int family, const char *table);
void nft_table_del(struct nft_batch *b, int family, const char *table);
/* A base chain when type is "filter" or "nat" (hook NF_INET_*, priority,
 * policy NF_ACCEPT/NF_DROP), else a regular chain (type NULL). */
void nft_chain_add(struct nft_batch *b, int family, const char *table, const char *chain,
		   const char *type, int hook, int prio, int policy);
void nft_chain_flush(struct nft_batch *b, int family, const char *table, const char *chain);

/* A set (data_len 0) or a map (data_type, data_len: NFT_DATA_VERDICT for
 * verdict maps).  key_type: nftables' type ids (e.g. 7 = ipv4_addr); flags
 * NFT_SET_INTERVAL, NFT_SET_MAP, ...  A set keyed by an interface name
 * (41) is marked host byte order in its userdata, as nft(8) marks it, so
 * that nft prints its elements. */
void nft_set_add(struct nft_batch *b, int family, const char *table, const char *set,
		 uint32_t key_type, uint32_t key_len, uint32_t flags, uint32_t data_type,
		 uint32_t data_len);
/* A set of intervals of a concatenation (NFT_SET_INTERVAL |
 * NFT_SET_CONCAT): field_len holds the length in bytes of each of its
 * n_fields fields, unpadded (4 for an IPv4 address, 16 for an interface
 * name).  Its elements have a key and a key_end (see struct nft_elem). */
void nft_set_add_concat(struct nft_batch *b, int family, const char *table, const char *set,
			uint32_t key_type, const uint8_t *field_len, size_t n_fields);
void nft_set_del(struct nft_batch *b, int family, const char *table, const char *set);
/* One element: key (and key_end for intervals, NULL otherwise); data for
 * maps (NULL for sets); verdict maps take verdict + chain instead. */
void nft_elem_add(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len, const void *data, size_t data_len);
void nft_elem_add_verdict(struct nft_batch *b, int family, const char *table, const char *set,
			  const void *key, size_t key_len, int verdict, const char *chain);
void nft_elem_del(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len);

/* An element of any set or map, as it is sent and as the kernel lists it.
 * A concatenated key or data is its fields one after the other, each
 * padded to 4 bytes (nftables' registers).  An interval of a set with
 * NFT_SET_INTERVAL is two elements: its first key, and the key after its
 * last with flags NFT_SET_ELEM_INTERVAL_END; in a set of concatenated
 * intervals (nft_set_add_concat) it is one element from key to key_end,
 * both included. */
struct nft_elem {
	uint8_t key[NFT_DATA_VALUE_MAXLEN];
	uint8_t key_end[NFT_DATA_VALUE_MAXLEN];
	uint8_t data[NFT_DATA_VALUE_MAXLEN];
	uint32_t key_len, key_end_len, data_len; /* 0: none */
	uint32_t flags;
};

/* Order of elements: key, key_end, flags, data (for qsort and bsearch). */
int nft_elem_cmp(const void *a, const void *b);
/* Add e.  excl: a key that is there already is refused (EEXIST), even
 * with the same data; otherwise an identical element is accepted.  what
 * names the element in errors (copied; NULL: "element"). */
void nft_elem_add_ex(struct nft_batch *b, int family, const char *table, const char *set,
		     const struct nft_elem *e, bool excl, const char *what);
/* Remove e (found by key, key_end and flags); ENOENT at commit if it is
 * absent. */
void nft_elem_del_ex(struct nft_batch *b, int family, const char *table, const char *set,
		     const struct nft_elem *e, const char *what);
/* The elements of a set as the kernel holds them now, sorted by
 * nft_elem_cmp: *ret (caller frees) and *ret_n.  -ENOENT when the set or
 * its table is absent. */
int nft_elem_list(int family, const char *table, const char *set, struct nft_elem **ret,
		  size_t *ret_n, struct berr **err);

/* Rules: built expression by expression, then added to a batch (which takes
 * the rule). */
struct nft_rule *nft_rule_new(int family, const char *table, const char *chain);
void nft_rule_meta(struct nft_rule *r, uint32_t key, uint32_t dreg);
void nft_rule_payload(struct nft_rule *r, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg);
void nft_rule_cmp(struct nft_rule *r, uint32_t sreg, uint32_t op, const void *data, size_t len);
void nft_rule_bitwise(struct nft_rule *r, uint32_t reg, const void *mask, size_t len);
void nft_rule_lookup(struct nft_rule *r, const char *set, uint32_t sreg, int32_t dreg);
/* Matches when the key at sreg is not in the set. */
void nft_rule_lookup_inv(struct nft_rule *r, const char *set, uint32_t sreg);
void nft_rule_ct_state(struct nft_rule *r, uint32_t dreg);
/* Any conntrack key (NFT_CT_STATUS, ...) into dreg. */
void nft_rule_ct(struct nft_rule *r, uint32_t key, uint32_t dreg);
/* fib: flags NFTA_FIB_F_DADDR, ...; result NFT_FIB_RESULT_ADDRTYPE, ... */
void nft_rule_fib(struct nft_rule *r, uint32_t flags, uint32_t result, uint32_t dreg);
/* Routing data (NFT_RT_TCPMSS, ...) into dreg. */
void nft_rule_rt(struct nft_rule *r, uint32_t key, uint32_t dreg);
/* Byte order of len bytes at reg in size-byte units (NFT_BYTEORDER_HTON, ...). */
void nft_rule_byteorder(struct nft_rule *r, uint32_t reg, uint32_t op, uint32_t len, uint32_t size);
/* Write len bytes from sreg at offset of TCP option type (a mangle). */
void nft_rule_tcpopt_write(struct nft_rule *r, uint8_t type, uint32_t offset, uint32_t len,
			   uint32_t sreg);
/* NAT (NFT_NAT_DNAT, NFT_NAT_SNAT) of a family (NFPROTO_IPV4, _IPV6) to the
 * address at reg_addr and, when reg_proto is not 0, the port at reg_proto. */
void nft_rule_nat(struct nft_rule *r, uint32_t type, int family, uint32_t reg_addr,
		  uint32_t reg_proto);
void nft_rule_counter(struct nft_rule *r);
void nft_rule_masq(struct nft_rule *r);
void nft_rule_verdict(struct nft_rule *r, int verdict, const char *chain);
/* Load len bytes of data (an address, a port in network order) into dreg. */
void nft_rule_immediate(struct nft_rule *r, uint32_t dreg, const void *data, size_t len);
/* A comment, as nft(8) prints it ("comment \"...\""): at most
 * NFT_USERDATA_MAXLEN bytes with its header. */
void nft_rule_comment(struct nft_rule *r, const char *text);
/* The rule as one line of text: its expressions (as libnftnl prints them)
 * and its userdata, without table, chain or handle, so that a rule built
 * here compares equal to the same rule listed from the kernel.  Caller
 * frees. */
char *nft_rule_str(const struct nft_rule *r);
/* Add r (taken) at the end of its chain; what names the rule in errors. */
void nft_rule_add(struct nft_batch *b, struct nft_rule *r, const char *what);
void nft_rule_free(struct nft_rule *r);

/* Send the batch; wait for every answer.  An error names the message the
 * kernel refused ("nftables: add set berth/ports: No such file or
 * directory").  Nothing is applied then. */
int nft_batch_commit(struct nft_batch *b, struct berr **err);

/* Does the table exist?  1 yes, 0 no, negative errno. */
int nft_table_exists(int family, const char *table, struct berr **err);

/* The rules of a chain as the kernel holds them, each as nft_rule_str
 * prints it followed by a newline; "" when the chain or its table is
 * absent.  Caller frees *ret. */
int nft_chain_rules_str(int family, const char *table, const char *chain, char **ret,
			struct berr **err);

#endif
