/* api-image.c - the /images routes: import (POST /images/create with a tar
 * body), list, inspect, history, tag, delete, prune, commit.  Reads run on
 * the loop under the image store's read lock; import, tag, delete, prune
 * and commit are jobs.  Image names may hold '/'
 * ("localhost:5000/team/app"), hence {name*}. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/api.h"
#include "core/container.h"
#include "core/controller.h"
#include "core/events.h"
#include "core/ctl-container.h"
#include "core/filters.h"
#include "core/log.h"
#include "core/util.h"
#include "runtime/image.h"

static const char *const api_img_list_filters[] = {
	"before", "dangling", "label", "reference", "since", "until", NULL,
};

/* What an import job needs. */
struct api_img_import {
	int fd;
	char *ref;
	char *changes[2];
	char *message;
};

static void api_img_import_free(void *data)
{
	struct api_img_import *im = data;

	if (im->fd >= 0)
		close(im->fd);
	free(im->ref);
	free(im->changes[0]);
	free(im->message);
	free(im);
}

static void api_img_import_run(struct api_job *aj)
{
	struct api_img_import *im = aj->data;
	struct image *img;

	if (img_import(aj->api->ctl->images, im->fd, im->ref, im->changes, im->message, &img,
		       &aj->err) < 0)
		return;
	/* the progress stream of Docker's import: its last status is the id */
	aj->reply = json_pack("{s:s}", "status", img->id);
	free(im->ref);
	im->ref = xstrdup(img->id);
}

void api_img_event(struct api *api, const char *action, const char *id, const char *name)
{
	events_emit(api->events, "image", action, id,
		    name ? json_pack("{s:s}", "name", name) : json_object());
}

static void api_img_import_after(struct api_job *aj)
{
	struct api_img_import *im = aj->data;

	if (!aj->err && im->ref)
		api_img_event(aj->api, "import", im->ref, im->ref);
}

/* The reference to tag an import with: the CLI puts the tag in repo
 * ("x:v1"), docker-py sends repo=x&tag=v1. */
static char *api_img_import_ref(struct http_req *req)
{
	const char *repo = http_req_query(req, "repo"), *tag = http_req_query(req, "tag");

	if (!repo || !*repo)
		return NULL;
	return tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
}

/* POST /images/create: import from the body (fromSrc=-) or pull
 * (fromImage=); fetching URLs is not there and says so. */
static void api_img_create(struct api *api, struct http_req *req, char **params)
{
	const char *src = http_req_query(req, "fromSrc");
	char *changes;
	struct api_img_import *im;
	int fd, r;

	if (http_req_query(req, "fromImage") && !src) {
		api_reg_pull(api, req);
		return;
	}
	if (!src || !streq(src, "-")) {
		http_reply_error(req, src ? 501 : 400,
				 src ? "importing from a URL is not supported: send the tarball as "
				       "the request body (fromSrc=-)"
				     : "fromSrc or fromImage is required");
		return;
	}
	r = http_req_body_fd(req, &fd);
	if (r < 0) {
		http_reply_error(req, 500, "cannot read the request body");
		return;
	}
	im = xcalloc(1, sizeof(*im));
	im->fd = fd;
	im->ref = api_img_import_ref(req);
	changes = http_req_query_joined(req, "changes", '\n');
	im->changes[0] = changes && *changes ? changes : (free(changes), NULL);
	im->message = xstrdup(http_req_query(req, "message") ?: "");
	api_job_submit_after(api, req, api_img_import_run, im, api_img_import_free,
			     api_img_import_after, params);
}

/* --- list --- */

/* One tag against a reference glob: on the name, or on name:tag when the
 * pattern holds a tag. */
static bool api_img_tag_match(const char *want, void *data)
{
	const char *tag = data;
	_cleanup_free_ char *name = xstrndup(tag, (size_t)(strrchr(tag, ':') - tag));
	bool has_tag = strrchr(want, ':') > strrchr(want, '/');

	return fnmatch(want, has_tag ? tag : name, FNM_PATHNAME) == 0;
}

static bool api_img_reference_match(const char *want, void *data)
{
	const struct image *img = data;

	for (size_t i = 0; img->tags[i]; i++)
		if (api_img_tag_match(want, img->tags[i]))
			return true;
	return false;
}

/* A list entry; with a reference filter, RepoTags keeps the matching tags
 * only, as Docker does. */
static json_t *api_img_summary(const struct image *img, json_t *f)
{
	json_t *o = img_to_summary_json(img, -1), *tags;

	if (!filters_get(f, "reference"))
		return o;
	tags = json_array();
	for (size_t i = 0; img->tags[i]; i++)
		if (filters_match(f, "reference", api_img_tag_match, img->tags[i]))
			json_array_append_new(tags, json_string(img->tags[i]));
	json_object_set_new(o, "RepoTags", tags);
	return o;
}

static bool api_img_dangling_match(const char *want, void *data)
{
	const struct image *img = data;
	bool dangling = !img->tags[0];

	return (streq(want, "true") || streq(want, "1")) ? dangling : !dangling;
}

/* before / since: relative to the creation of another image. */
static int api_img_time_bound(struct api *api, json_t *f, const char *key, struct timespec *ret,
			      struct berr **err)
{
	json_t *v = json_array_get(filters_get(f, key), 0);
	struct image *ref;
	int r;

	if (!v)
		return 0;
	if (streq(key, "until"))
		return filters_time(json_string_value(v), ret, err);
	r = img_find(api->ctl->images, json_string_value(v), &ref, err);
	if (r == 0)
		*ret = ref->created;
	return r;
}

static bool api_img_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

struct api_img_bounds {
	struct timespec before, since, until;
};

static bool api_img_match(const struct image *img, json_t *f, const struct api_img_bounds *b)
{
	if (b->before.tv_sec && !api_img_before(&img->created, &b->before))
		return false;
	if (b->since.tv_sec && !api_img_before(&b->since, &img->created))
		return false;
	if (b->until.tv_sec && api_img_before(&b->until, &img->created))
		return false;
	return filters_match(f, "reference", api_img_reference_match, (void *)img) &&
	       filters_match(f, "dangling", api_img_dangling_match, (void *)img) &&
	       filters_match_labels(f, "label", json_object_get(img->config, "Labels"));
}

/* The list under the read lock. */
static int api_img_list_json(struct api *api, json_t *f, json_t **ret, struct berr **err)
{
	struct img_store *is = api->ctl->images;
	struct api_img_bounds b = {0};
	json_t *list;
	int r;

	img_read_lock(is);
	r = api_img_time_bound(api, f, "before", &b.before, err);
	if (r == 0)
		r = api_img_time_bound(api, f, "since", &b.since, err);
	if (r == 0)
		r = api_img_time_bound(api, f, "until", &b.until, err);
	if (r < 0) {
		img_read_unlock(is);
		return r;
	}
	list = json_array();
	for (size_t i = 0; i < img_count(is); i++)
		if (api_img_match(img_at(is, i), f, &b))
			json_array_append_new(list, api_img_summary(img_at(is, i), f));
	img_read_unlock(is);
	*ret = list;
	return 0;
}

static void api_img_list(struct api *api, struct http_req *req, char **params)
{
	struct berr *err = NULL;
	json_t *f = NULL, *list;

	(void)params;
	if (filters_parse(http_req_query(req, "filters"), api_img_list_filters, &f, &err) < 0 ||
	    api_img_list_json(api, f, &list, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		json_decref(f);
		return;
	}
	json_decref(f);
	http_reply_json(req, 200, list);
}

/* --- inspect, history --- */

/* One image as fn shows it, under the read lock. */
static void api_img_show(struct api *api, struct http_req *req, const char *ref,
			 json_t *(*fn)(struct img_store *is, const struct image *img))
{
	struct img_store *is = api->ctl->images;
	struct berr *err = NULL;
	struct image *img;
	json_t *obj = NULL;

	img_read_lock(is);
	if (img_find(is, ref, &img, &err) == 0)
		obj = fn(is, img);
	img_read_unlock(is);
	if (obj)
		http_reply_json(req, 200, obj);
	else
		api_reply_berr(req, err);
	berr_free(err);
}

static json_t *api_img_inspect_json(struct img_store *is, const struct image *img)
{
	(void)is;
	return img_to_inspect_json(img);
}

static void api_img_inspect(struct api *api, struct http_req *req, char **params)
{
	api_img_show(api, req, params[0], api_img_inspect_json);
}

static void api_img_history(struct api *api, struct http_req *req, char **params)
{
	api_img_show(api, req, params[0], img_history_json);
}

/* --- tag --- */

static void api_img_tag_run(struct api_job *aj)
{
	struct image *img;

	if (img_find(aj->api->ctl->images, aj->params[0], &img, &aj->err) < 0 ||
	    img_tag(aj->api->ctl->images, img, aj->data, &aj->err) < 0)
		return;
	aj->status = 201;
	/* params[1] is free: keep the id for the event */
	aj->params[1] = xstrdup(img->id);
}

static void api_img_tag_after(struct api_job *aj)
{
	if (!aj->err && aj->params[1])
		api_img_event(aj->api, "tag", aj->params[1], aj->data);
}

/* POST /images/{name}/tag?repo=x&tag=y. */
static void api_img_tag(struct api *api, struct http_req *req, char **params)
{
	const char *repo = http_req_query(req, "repo"), *tag = http_req_query(req, "tag");

	if (!repo || !*repo) {
		http_reply_error(req, 400, "repository name (repo) is required");
		return;
	}
	api_job_submit_after(api, req, api_img_tag_run,
			     tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo), free,
			     api_img_tag_after, params);
}

/* --- delete --- */

/* The id of a container made from img, or NULL (job thread). */
static const char *api_img_user(struct ctl *ctl, const struct image *img)
{
	for (size_t i = 0; i < ctl->n_ctrs; i++)
		if (streq(ctl->ctrs[i]->image_id, img->id))
			return ctl->ctrs[i]->id;
	return NULL;
}

static void api_img_delete_run(struct api_job *aj)
{
	struct img_store *is = aj->api->ctl->images;
	bool *force = aj->data;
	struct image *img;
	json_t *deleted;

	if (img_find(is, aj->params[0], &img, &aj->err) < 0 ||
	    img_remove(is, aj->params[0], *force, api_img_user(aj->api->ctl, img), &deleted,
		       &aj->err) < 0)
		return;
	aj->reply = deleted;
}

/* Docker's events for removed images: one "untag" per Untagged, one
 * "delete" per Deleted (rmi, prune). */
static void api_img_deleted_events(struct api *api, json_t *deleted)
{
	json_t *e;
	size_t i;

	json_array_foreach (deleted, i, e) {
		const char *u = json_string_value(json_object_get(e, "Untagged"));
		const char *d = json_string_value(json_object_get(e, "Deleted"));

		if (u)
			api_img_event(api, "untag", u, u);
		if (d)
			api_img_event(api, "delete", d, d);
	}
}

static void api_img_delete_after(struct api_job *aj)
{
	if (!aj->err)
		api_img_deleted_events(aj->api, aj->reply);
}

/* DELETE /images/{name}?force=&noprune= (nothing to prune: parents are
 * only made by commit and kept while they have children). */
static void api_img_delete(struct api *api, struct http_req *req, char **params)
{
	bool *force = xmalloc(sizeof(*force));

	*force = api_query_bool(req, "force", false);
	api_job_submit_after(api, req, api_img_delete_run, force, free, api_img_delete_after,
			     params);
}

/* --- prune --- */

static const char *const api_img_prune_filters[] = {"dangling", "until", "label", "label!", NULL};

/* A prune request, its filters checked on the loop before the job. */
struct api_img_prune {
	struct ctl *ctl;
	json_t *filters;
	bool dangling_only;
	bool has_until;
	struct timespec until;
};

static void api_img_prune_free(void *data)
{
	struct api_img_prune *p = data;

	json_decref(p->filters);
	free(p);
}

/* Values as Go prints a []string, for messages: "[a b]" (caller frees). */
static char *api_img_values_str(json_t *vals)
{
	_cleanup_free_ char *s = xstrdup("");
	json_t *v;
	size_t i;

	json_array_foreach (vals, i, v) {
		char *t = xasprintf("%s%s%s", s, i ? " " : "", json_string_value(v));

		free(s);
		s = t;
	}
	return xasprintf("[%s]", s);
}

/* Docker's GetBoolOrDefault: true when absent; an empty list, or values
 * that say both or neither of true (1) and false (0), are refused. */
static int api_img_prune_dangling(json_t *f, bool *ret, struct berr **err)
{
	json_t *vals = json_object_get(f, "dangling"), *v;
	_cleanup_free_ char *list = NULL;
	bool yes = false, no = false;
	size_t i;

	if (!vals) {
		*ret = true;
		return 0;
	}
	if (!json_array_size(vals))
		return berr_set(err, EINVAL, "invalid filter 'dangling'");
	json_array_foreach (vals, i, v) {
		const char *s = json_string_value(v);

		yes |= streq(s, "true") || streq(s, "1");
		no |= streq(s, "false") || streq(s, "0");
	}
	if (yes == no) {
		list = api_img_values_str(vals);
		return berr_set(err, EINVAL, "invalid filter 'dangling=%s'", list);
	}
	*ret = yes;
	return 0;
}

/* One until, as Docker takes it (a timestamp, a date or a duration). */
static int api_img_prune_until(json_t *f, struct api_img_prune *p, struct berr **err)
{
	json_t *vals = filters_get(f, "until");

	if (!vals)
		return 0;
	if (json_array_size(vals) > 1)
		return berr_set(err, EINVAL, "more than one until filter specified");
	p->has_until = true;
	return filters_time(json_string_value(json_array_get(vals, 0)), &p->until, err);
}

static int api_img_prune_parse(struct api *api, const char *query, struct api_img_prune **ret,
			       struct berr **err)
{
	struct api_img_prune *p = xcalloc(1, sizeof(*p));
	int r;

	p->ctl = api->ctl;
	r = filters_parse(query, api_img_prune_filters, &p->filters, err);
	if (r == 0)
		r = api_img_prune_dangling(p->filters, &p->dangling_only, err);
	if (r == 0)
		r = api_img_prune_until(p->filters, p, err);
	if (r < 0) {
		api_img_prune_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* May img go?  Never while a container (running or stopped) uses it;
 * until and the labels as asked (label!: not when all of them hold). */
static bool api_img_prune_want(const struct image *img, void *data)
{
	struct api_img_prune *p = data;
	json_t *labels = json_object_get(img->config, "Labels");

	if (api_img_user(p->ctl, img))
		return false;
	if (p->has_until && api_img_before(&p->until, &img->created))
		return false;
	return filters_match_labels(p->filters, "label", labels) &&
	       (!filters_get(p->filters, "label!") ||
		!filters_match_labels(p->filters, "label!", labels));
}

static void api_img_prune_failed(const char *ref, const struct berr *e, void *data)
{
	(void)data;
	log_warn("image prune: %s stays: %s", ref, berr_msg(e));
}

static void api_img_prune_run(struct api_job *aj)
{
	struct api_img_prune *p = aj->data;
	struct img_prune_opts o = {
		.dangling_only = p->dangling_only,
		.want = api_img_prune_want,
		.failed = api_img_prune_failed,
		.data = p,
	};
	int64_t reclaimed;
	json_t *deleted;

	img_prune(aj->api->ctl->images, &o, &deleted, &reclaimed);
	aj->reply =
		json_pack("{s:o, s:I}", "ImagesDeleted",
			  json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
			  "SpaceReclaimed", (json_int_t)reclaimed);
}

/* Events: untag and delete as rmi sends them, then prune. */
static void api_img_prune_after(struct api_job *aj)
{
	char n[32];

	if (aj->err)
		return;
	api_img_deleted_events(aj->api, json_object_get(aj->reply, "ImagesDeleted"));
	snprintf(n, sizeof(n), "%lld",
		 (long long)json_integer_value(json_object_get(aj->reply, "SpaceReclaimed")));
	events_emit(aj->api->events, "image", "prune", "", json_pack("{s:s}", "reclaimed", n));
}

/* POST /images/prune?filters=: a bad filter is 400 before anything goes. */
static void api_img_prune(struct api *api, struct http_req *req, char **params)
{
	_cleanup_berr_ struct berr *err = NULL;
	struct api_img_prune *p;

	(void)params;
	if (api_img_prune_parse(api, http_req_query(req, "filters"), &p, &err) < 0) {
		api_reply_berr(req, err);
		return;
	}
	api_job_submit_after(api, req, api_img_prune_run, p, api_img_prune_free,
			     api_img_prune_after, NULL);
}

/* --- commit --- */

struct api_img_commit {
	char *container;
	char *ref;
	char *comment;
	char *changes;
	json_t *config; /* the body: Config overrides, or NULL */
	char *id;	/* result */
};

static void api_img_commit_free(void *data)
{
	struct api_img_commit *cm = data;

	free(cm->container);
	free(cm->ref);
	free(cm->comment);
	free(cm->changes);
	free(cm->id);
	json_decref(cm->config);
	free(cm);
}

/* The new image's config: the container's, then the body's fields, then
 * the Dockerfile-like changes, one per line. */
static int api_img_commit_config(struct container *c, struct api_img_commit *cm, json_t **ret,
				 struct berr **err)
{
	json_t *cfg = json_deep_copy(c->config);
	_cleanup_free_ char *changes = cm->changes ? xstrdup(cm->changes) : NULL;
	char *save = NULL;
	int r;

	if (json_is_object(cm->config))
		json_object_update(cfg, cm->config);
	json_object_del(cfg, "Image");
	for (char *l = changes ? strtok_r(changes, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		if ((r = img_change_apply(cfg, l, err)) < 0) {
			json_decref(cfg);
			return r;
		}
	}
	*ret = cfg;
	return 0;
}

static void api_img_commit_run(struct api_job *aj)
{
	struct api_img_commit *cm = aj->data;
	struct container *c;
	struct image *img, *made;
	_cleanup_free_ char *upper = NULL;
	json_t *cfg;

	if (ctl_container_find(aj->api->ctl, cm->container, &c, &aj->err) < 0 ||
	    img_find(aj->api->ctl->images, c->image_id, &img, &aj->err) < 0 ||
	    api_img_commit_config(c, cm, &cfg, &aj->err) < 0)
		return;
	upper = xasprintf("%s/containers/%s/upper", aj->api->ctl->root, c->id);
	if (img_commit(aj->api->ctl->images, img, upper, cm->ref, cfg, cm->comment, &made,
		       &aj->err) == 0) {
		aj->status = 201;
		aj->reply = json_pack("{s:s}", "Id", made->id);
	}
	json_decref(cfg);
}

/* A body of JSON null (a client with no Config to send). */
static bool api_body_is_null(struct http_req *req)
{
	size_t len;
	const char *b = http_req_body(req, &len);

	while (len && (b[len - 1] == '\n' || b[len - 1] == ' '))
		len--;
	return len == 4 && strncmp(b, "null", 4) == 0;
}

/* POST /commit?container=&repo=&tag=&comment=&changes= (docker commit):
 * the container's writable layer becomes a layer on top of its image.
 * The container is not paused (berth has no freezer yet). */
static void api_img_commit(struct api *api, struct http_req *req, char **params)
{
	const char *ctr = http_req_query(req, "container"),
		   *comment = http_req_query(req, "comment");
	struct api_img_commit *cm;
	struct berr *err = NULL;
	json_t *body = NULL;
	char *changes;

	(void)params;
	if (!ctr || !*ctr) {
		http_reply_error(req, 400, "container is required");
		return;
	}
	if (!api_body_is_null(req) && api_body_json(req, &body, &err) < 0) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	cm = xcalloc(1, sizeof(*cm));
	cm->container = xstrdup(ctr);
	cm->ref = api_img_import_ref(req);
	cm->comment = xstrdup(comment ? comment : "");
	changes = http_req_query_joined(req, "changes", '\n');
	cm->changes = changes && *changes ? changes : (free(changes), NULL);
	cm->config = body;
	api_job_submit(api, req, api_img_commit_run, cm, api_img_commit_free, NULL);
}

const struct api_route api_image_routes[] = {
	{"POST", "/commit", api_img_commit},
	{"POST", "/images/create", api_img_create},
	{"GET", "/images/json", api_img_list},
	{"POST", "/images/prune", api_img_prune},
	{"GET", "/images/{name*}/json", api_img_inspect},
	{"GET", "/images/{name*}/history", api_img_history},
	{"POST", "/images/{name*}/tag", api_img_tag},
	{"DELETE", "/images/{name*}", api_img_delete},
	{0},
};
