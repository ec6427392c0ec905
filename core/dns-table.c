/* dns-table.c - the embedded resolver's names: which endpoint holds which
 * name and address in which network.  Four hash maps: endpoints by id,
 * networks by id, records (network, name) and records (network, address),
 * each record listing the endpoints that hold it.  A lookup costs one hash
 * lookup per network of the asker, whatever the size of the table.  The
 * owner of the resolver fills it from the controller's connect, disconnect,
 * rename, start and stop; the resolver reads it on every query. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "core/dns-table.h"
#include "core/util.h"

/* A chained hash map of nodes embedded in the objects it indexes. */
struct dns_table_node {
	struct dns_table_node *next;
	uint64_t hash;
};

struct dns_table_map {
	struct dns_table_node **b;
	size_t nb; /* a power of two; 0 before the first insert */
	size_t n;
};

struct dns_table_net {
	struct dns_table_node node; /* in t->nets, by id */
	char *id;
	char *name;
	size_t name_len;
	size_t refs; /* endpoints on it */
};

struct dns_table_ep;

/* A name (lower case) or an address in one network, and its holders. */
struct dns_table_rec {
	struct dns_table_node node; /* in t->names or t->addrs */
	const struct dns_table_net *net;
	char *name; /* NULL for an address record */
	size_t len;
	struct ipaddr addr;
	struct dns_table_ep **eps;
	size_t n_eps, cap_eps;
};

struct dns_table_ep {
	struct dns_table_node node; /* in t->eps, by id */
	char *id;
	char *name;
	struct dns_table_net *net;
	struct ipaddr addrs[2];
	size_t n_addrs;
	struct dns_table_rec **recs; /* what it holds */
	size_t n_recs, cap_recs;
};

struct dns_table {
	struct dns_table_map eps, nets, names, addrs;
	uint64_t seed; /* of the hashes, so that nobody can line names up in one chain */
};

/* The key of a record lookup: a name (s, len) or an address. */
struct dns_table_key {
	const struct dns_table_net *net;
	const char *s;
	size_t len;
	const struct ipaddr *addr;
};

#define dns_table_of(ptr, type) ((type *)(void *)((char *)(ptr)-offsetof(type, node)))

#define DNS_TABLE_MIN_BUCKETS 16

/* splitmix64 on per-thread state, so that parallel readers need no lock. */
static uint64_t dns_table_random(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local bool seeded;
	uint64_t z;

	if (!seeded) {
		if (getrandom(&state, sizeof(state), 0) != sizeof(state))
			state = util_now_ns();
		seeded = true;
	}
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a over bytes folded to lower case, then mixed so low bits spread. */
static uint64_t dns_table_hash(uint64_t h, const void *p, size_t len, bool fold)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (fold && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t dns_table_hash_id(const struct dns_table *t, const char *id)
{
	return dns_table_hash(t->seed, id, strlen(id), false);
}

static uint64_t dns_table_hash_key(const struct dns_table *t, const struct dns_table_key *k)
{
	uint64_t h = t->seed ^ ((uint64_t)(uintptr_t)k->net * 0x9e3779b97f4a7c15ULL);

	if (k->s)
		return dns_table_hash(h, k->s, k->len, true);
	return dns_table_hash(h, k->addr, sizeof(*k->addr), false);
}

static void dns_table_map_rehash(struct dns_table_map *m, size_t nb)
{
	struct dns_table_node **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->nb; i++) {
		struct dns_table_node *node = m->b[i], *next;

		for (; node; node = next) {
			next = node->next;
			node->next = b[node->hash & (nb - 1)];
			b[node->hash & (nb - 1)] = node;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

static void dns_table_map_insert(struct dns_table_map *m, struct dns_table_node *node,
				 uint64_t hash)
{
	struct dns_table_node **head;

	if (m->n >= m->nb)
		dns_table_map_rehash(m, m->nb ? m->nb * 2 : DNS_TABLE_MIN_BUCKETS);
	head = &m->b[hash & (m->nb - 1)];
	node->hash = hash;
	node->next = *head;
	*head = node;
	m->n++;
}

static void dns_table_map_unlink(struct dns_table_map *m, struct dns_table_node *node)
{
	struct dns_table_node **p = &m->b[node->hash & (m->nb - 1)];

	while (*p != node)
		p = &(*p)->next;
	*p = node->next;
	m->n--;
}

/* The first node of the chain of hash for which eq(node, key) holds. */
static struct dns_table_node *
dns_table_map_find(const struct dns_table_map *m, uint64_t hash,
		   bool (*eq)(const struct dns_table_node *, const void *), const void *key)
{
	if (!m->nb)
		return NULL;
	for (struct dns_table_node *n = m->b[hash & (m->nb - 1)]; n; n = n->next) {
		if (n->hash == hash && eq(n, key))
			return n;
	}
	return NULL;
}

static bool dns_table_ep_eq(const struct dns_table_node *n, const void *key)
{
	return streq(dns_table_of(n, struct dns_table_ep)->id, key);
}

static bool dns_table_net_eq(const struct dns_table_node *n, const void *key)
{
	return streq(dns_table_of(n, struct dns_table_net)->id, key);
}

static bool dns_table_rec_eq(const struct dns_table_node *n, const void *key)
{
	const struct dns_table_rec *r = dns_table_of(n, struct dns_table_rec);
	const struct dns_table_key *k = key;

	if (r->net != k->net)
		return false;
	if (k->s)
		return r->name && r->len == k->len && strncasecmp(r->name, k->s, k->len) == 0;
	return !r->name && cidr_addr_eq(&r->addr, k->addr);
}

static struct dns_table_ep *dns_table_ep_find(const struct dns_table *t, const char *id)
{
	struct dns_table_node *n =
		dns_table_map_find(&t->eps, dns_table_hash_id(t, id), dns_table_ep_eq, id);

	return n ? dns_table_of(n, struct dns_table_ep) : NULL;
}

static struct dns_table_net *dns_table_net_find(const struct dns_table *t, const char *id)
{
	struct dns_table_node *n =
		dns_table_map_find(&t->nets, dns_table_hash_id(t, id), dns_table_net_eq, id);

	return n ? dns_table_of(n, struct dns_table_net) : NULL;
}

static struct dns_table_map *dns_table_rec_map(struct dns_table *t, const struct dns_table_key *k)
{
	return k->s ? &t->names : &t->addrs;
}

static struct dns_table_rec *dns_table_rec_find(const struct dns_table *t,
						const struct dns_table_key *k)
{
	const struct dns_table_map *m = k->s ? &t->names : &t->addrs;
	struct dns_table_node *n =
		dns_table_map_find(m, dns_table_hash_key(t, k), dns_table_rec_eq, k);

	return n ? dns_table_of(n, struct dns_table_rec) : NULL;
}

/* Length of name without its trailing dot (DNS's absolute form). */
static size_t dns_table_name_len(const char *name)
{
	size_t len = strlen(name);

	return len && name[len - 1] == '.' ? len - 1 : len;
}

struct dns_table *dns_table_new(void)
{
	struct dns_table *t = xcalloc(1, sizeof(*t));

	t->seed = dns_table_random();
	return t;
}

void dns_table_free(struct dns_table *t)
{
	if (!t)
		return;
	while (t->eps.n) {
		struct dns_table_node *n = NULL;

		for (size_t i = 0; !n; i++)
			n = t->eps.b[i];
		dns_table_remove_endpoint(t, dns_table_of(n, struct dns_table_ep)->id);
	}
	free(t->eps.b);
	free(t->nets.b);
	free(t->names.b);
	free(t->addrs.b);
	free(t);
}

size_t dns_table_count(const struct dns_table *t)
{
	return t->eps.n;
}

/* The network id, made on first use; takes a reference.  A network keeps
 * the name its latest endpoint gave. */
static struct dns_table_net *dns_table_net_get(struct dns_table *t, const char *id,
					       const char *name)
{
	struct dns_table_net *net = dns_table_net_find(t, id);

	if (!net) {
		net = xcalloc(1, sizeof(*net));
		net->id = xstrdup(id);
		dns_table_map_insert(&t->nets, &net->node, dns_table_hash_id(t, id));
	}
	if (!net->name || !streq(net->name, name)) {
		free(net->name);
		net->name = xstrndup(name, dns_table_name_len(name));
		net->name_len = strlen(net->name);
	}
	net->refs++;
	return net;
}

static void dns_table_net_put(struct dns_table *t, struct dns_table_net *net)
{
	if (--net->refs)
		return;
	dns_table_map_unlink(&t->nets, &net->node);
	free(net->id);
	free(net->name);
	free(net);
}

/* The record of key k, made on first use. */
static struct dns_table_rec *dns_table_rec_get(struct dns_table *t, const struct dns_table_key *k)
{
	struct dns_table_rec *r = dns_table_rec_find(t, k);

	if (r)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->net = k->net;
	if (k->s) {
		r->name = xstrndup(k->s, k->len);
		r->len = k->len;
		for (size_t i = 0; i < r->len; i++) {
			if (r->name[i] >= 'A' && r->name[i] <= 'Z')
				r->name[i] += 'a' - 'A';
		}
	} else {
		r->addr = *k->addr;
	}
	dns_table_map_insert(dns_table_rec_map(t, k), &r->node, dns_table_hash_key(t, k));
	return r;
}

/* Make e a holder of the record of k (once, however often it is named). */
static void dns_table_ep_hold(struct dns_table *t, struct dns_table_ep *e,
			      const struct dns_table_key *k)
{
	struct dns_table_rec *r = dns_table_rec_get(t, k);

	for (size_t i = 0; i < e->n_recs; i++) {
		if (e->recs[i] == r)
			return;
	}
	xgrow(&r->eps, &r->cap_eps, r->n_eps + 1, sizeof(*r->eps));
	r->eps[r->n_eps++] = e;
	xgrow(&e->recs, &e->cap_recs, e->n_recs + 1, sizeof(*e->recs));
	e->recs[e->n_recs++] = r;
}

static void dns_table_ep_hold_name(struct dns_table *t, struct dns_table_ep *e, const char *name)
{
	struct dns_table_key k = {.net = e->net, .s = name, .len = dns_table_name_len(name)};

	if (k.len)
		dns_table_ep_hold(t, e, &k);
}

static void dns_table_ep_add_addr(struct dns_table *t, struct dns_table_ep *e,
				  const struct ipaddr *a, int family)
{
	struct dns_table_key k = {.net = e->net, .addr = a};

	if (!a)
		return;
	assert(a->family == family);
	e->addrs[e->n_addrs++] = *a;
	dns_table_ep_hold(t, e, &k);
}

void dns_table_set_endpoint(struct dns_table *t, const struct dns_endpoint *ep)
{
	struct dns_table_ep *e;

	assert(ep->id && ep->net_id && ep->net_name && ep->name);
	dns_table_remove_endpoint(t, ep->id);
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(ep->id);
	e->name = xstrndup(ep->name, dns_table_name_len(ep->name));
	e->net = dns_table_net_get(t, ep->net_id, ep->net_name);
	dns_table_ep_hold_name(t, e, ep->name);
	for (size_t i = 0; ep->aliases && ep->aliases[i]; i++)
		dns_table_ep_hold_name(t, e, ep->aliases[i]);
	dns_table_ep_add_addr(t, e, ep->addr4, AF_INET);
	dns_table_ep_add_addr(t, e, ep->addr6, AF_INET6);
	dns_table_map_insert(&t->eps, &e->node, dns_table_hash_id(t, e->id));
}

/* Take e off record r; drop r when nobody holds it any more. */
static void dns_table_rec_release(struct dns_table *t, struct dns_table_rec *r,
				  const struct dns_table_ep *e)
{
	for (size_t i = 0; i < r->n_eps; i++) {
		if (r->eps[i] == e) {
			r->eps[i] = r->eps[--r->n_eps];
			break;
		}
	}
	if (r->n_eps)
		return;
	dns_table_map_unlink(r->name ? &t->names : &t->addrs, &r->node);
	free(r->name);
	free(r->eps);
	free(r);
}

void dns_table_remove_endpoint(struct dns_table *t, const char *endpoint_id)
{
	struct dns_table_ep *e = dns_table_ep_find(t, endpoint_id);

	if (!e)
		return;
	dns_table_map_unlink(&t->eps, &e->node);
	for (size_t i = 0; i < e->n_recs; i++)
		dns_table_rec_release(t, e->recs[i], e);
	dns_table_net_put(t, e->net);
	free(e->recs);
	free(e->id);
	free(e->name);
	free(e);
}

/* Addresses gathered for one answer. */
struct dns_table_addrs {
	struct ipaddr *a;
	size_t n, cap;
};

static void dns_table_collect(const struct dns_table_rec *r, int family,
			      struct dns_table_addrs *acc)
{
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct dns_table_ep *e = r->eps[i];

		for (size_t j = 0; j < e->n_addrs; j++) {
			if (family != AF_UNSPEC && e->addrs[j].family != family)
				continue;
			xgrow(&acc->a, &acc->cap, acc->n + 1, sizeof(*acc->a));
			acc->a[acc->n++] = e->addrs[j];
		}
	}
}

/* The network named like the last labels of name[0..len), leaving a
 * non-empty prefix before a dot; the prefix length goes to *ret_len. */
static bool dns_table_net_suffix(const struct dns_table_net *net, const char *name, size_t len,
				 size_t *ret_len)
{
	size_t nl = net->name_len;

	if (!nl || len < nl + 2 || name[len - nl - 1] != '.')
		return false;
	if (strncasecmp(name + len - nl, net->name, nl) != 0)
		return false;
	*ret_len = len - nl - 1;
	return true;
}

/* Gather the holders' addresses of name[0..len) in the visible networks;
 * with by_net_name, of "prefix.N" as prefix in the visible network N.
 * True when some record matched. */
static bool dns_table_gather(const struct dns_table *t, const char *const *visible,
			     const char *name, size_t len, bool by_net_name, int family,
			     struct dns_table_addrs *acc)
{
	bool found = false;

	for (size_t i = 0; visible[i]; i++) {
		struct dns_table_key k = {
			.net = dns_table_net_find(t, visible[i]), .s = name, .len = len};
		const struct dns_table_rec *r;

		if (!k.net || (by_net_name && !dns_table_net_suffix(k.net, name, len, &k.len)))
			continue;
		r = dns_table_rec_find(t, &k);
		if (r) {
			dns_table_collect(r, family, acc);
			found = true;
		}
	}
	return found;
}

static int dns_table_addr_cmp(const void *pa, const void *pb)
{
	const struct ipaddr *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

/* Drop duplicates, then shuffle (Fisher-Yates): round robin between the
 * holders of one name, as Docker does. */
static void dns_table_unique_shuffle(struct dns_table_addrs *acc)
{
	size_t n = 0;

	if (acc->n > 1)
		qsort(acc->a, acc->n, sizeof(*acc->a), dns_table_addr_cmp);
	for (size_t i = 0; i < acc->n; i++) {
		if (!n || !cidr_addr_eq(&acc->a[n - 1], &acc->a[i]))
			acc->a[n++] = acc->a[i];
	}
	acc->n = n;
	for (size_t i = n; i > 1; i--) {
		size_t j = dns_table_random() % i;
		struct ipaddr tmp = acc->a[i - 1];

		acc->a[i - 1] = acc->a[j];
		acc->a[j] = tmp;
	}
}

int dns_table_lookup(const struct dns_table *t, const char *const *visible_net_ids,
		     const char *name, int family, struct ipaddr **ret_addrs, size_t *ret_n)
{
	struct dns_table_addrs acc = {.n = 0};
	size_t len = dns_table_name_len(name);

	if (!len)
		return -ENOENT;
	if (!dns_table_gather(t, visible_net_ids, name, len, false, family, &acc) &&
	    !dns_table_gather(t, visible_net_ids, name, len, true, family, &acc))
		return -ENOENT;
	dns_table_unique_shuffle(&acc);
	if (!acc.n) {
		free(acc.a);
		acc.a = NULL;
	}
	*ret_addrs = acc.a;
	*ret_n = acc.n;
	return 0;
}

int dns_table_lookup_ptr(const struct dns_table *t, const char *const *visible_net_ids,
			 const struct ipaddr *a, char **ret_name)
{
	for (size_t i = 0; visible_net_ids[i]; i++) {
		struct dns_table_key k = {.net = dns_table_net_find(t, visible_net_ids[i]),
					  .addr = a};
		const struct dns_table_rec *r = k.net ? dns_table_rec_find(t, &k) : NULL;

		if (r) {
			*ret_name = xasprintf("%s.%s", r->eps[0]->name, k.net->name);
			return 0;
		}
	}
	return -ENOENT;
}

bool dns_table_in_zone(const struct dns_table *t, const char *const *visible_net_ids,
		       const char *name)
{
	size_t len = dns_table_name_len(name), prefix;

	for (size_t i = 0; visible_net_ids[i]; i++) {
		const struct dns_table_net *net = dns_table_net_find(t, visible_net_ids[i]);

		if (net && dns_table_net_suffix(net, name, len, &prefix))
			return true;
	}
	return false;
}
