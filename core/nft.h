/* nft.h - nftables through libnftnl and libmnl.  The only module that knows
 * libnftnl.  berth keeps its rules in tables of its own and never flushes
 * or edits anything else.  A change is a batch: every message of it is
 * applied by the kernel atomically or none is, and an error names the
 * message that caused it.  Called from the job thread (drivers). */
#ifndef BERTH_NFT_H
#define BERTH_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "core/berr.h"

struct nft_batch;
struct nft_rule;

/* A new, empty batch.  Free with nft_batch_free (commit does not free). */
struct nft_batch *nft_batch_new(void);
void nft_batch_free(struct nft_batch *b);

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
 * NFT_SET_INTERVAL, NFT_SET_MAP, ... */
void nft_set_add(struct nft_batch *b, int family, const char *table, const char *set,
		 uint32_t key_type, uint32_t key_len, uint32_t flags, uint32_t data_type,
		 uint32_t data_len);
void nft_set_del(struct nft_batch *b, int family, const char *table, const char *set);
/* One element: key (and key_end for intervals, NULL otherwise); data for
 * maps (NULL for sets); verdict maps take verdict + chain instead. */
void nft_elem_add(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len, const void *data, size_t data_len);
void nft_elem_add_verdict(struct nft_batch *b, int family, const char *table, const char *set,
			  const void *key, size_t key_len, int verdict, const char *chain);
void nft_elem_del(struct nft_batch *b, int family, const char *table, const char *set,
		  const void *key, size_t key_len);

/* Rules: built expression by expression, then added to a batch (which takes
 * the rule). */
struct nft_rule *nft_rule_new(int family, const char *table, const char *chain);
void nft_rule_meta(struct nft_rule *r, uint32_t key, uint32_t dreg);
void nft_rule_payload(struct nft_rule *r, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg);
void nft_rule_cmp(struct nft_rule *r, uint32_t sreg, uint32_t op, const void *data, size_t len);
void nft_rule_bitwise(struct nft_rule *r, uint32_t reg, const void *mask, size_t len);
void nft_rule_lookup(struct nft_rule *r, const char *set, uint32_t sreg, int32_t dreg);
void nft_rule_ct_state(struct nft_rule *r, uint32_t dreg);
void nft_rule_counter(struct nft_rule *r);
void nft_rule_masq(struct nft_rule *r);
void nft_rule_verdict(struct nft_rule *r, int verdict, const char *chain);
/* Add r (taken) at the end of its chain; what names the rule in errors. */
void nft_rule_add(struct nft_batch *b, struct nft_rule *r, const char *what);
void nft_rule_free(struct nft_rule *r);

/* Send the batch; wait for every answer.  An error names the message the
 * kernel refused ("nftables: add set berth/ports: No such file or
 * directory").  Nothing is applied then. */
int nft_batch_commit(struct nft_batch *b, struct berr **err);

/* Does the table exist?  1 yes, 0 no, negative errno. */
int nft_table_exists(int family, const char *table, struct berr **err);

#endif
