/* job.c - one job thread serving a FIFO of state-changing jobs (see job.h).
 * Finished jobs go back to the loop through an eventfd, so the loop thread
 * is the only one that touches connections. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/job.h"
#include "core/log.h"
#include "core/nl.h"
#include "core/util.h"

struct job_list {
	struct job *head, *tail;
};

struct jobq {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_list queued; /* guarded by lock */
	struct job_list done;	/* guarded by lock */
	bool stopping;		/* guarded by lock */
	int efd;
	struct event *ev;
};

static void job_list_push(struct job_list *l, struct job *job)
{
	job->next = NULL;
	if (l->tail)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
}

static struct job *job_list_pop(struct job_list *l)
{
	struct job *job = l->head;

	if (job) {
		l->head = job->next;
		if (!l->head)
			l->tail = NULL;
	}
	return job;
}

static void *jobq_thread(void *arg)
{
	struct jobq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct job *job;
		uint64_t one = 1;

		while (!q->stopping && !q->queued.head)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stopping)
			break;
		job = job_list_pop(&q->queued);
		pthread_mutex_unlock(&q->lock);
		job->run(job);
		pthread_mutex_lock(&q->lock);
		job_list_push(&q->done, job);
		if (write(q->efd, &one, sizeof(one)) < 0)
			log_error("jobq: cannot signal the loop: %m");
	}
	pthread_mutex_unlock(&q->lock);
	nl_thread_done();
	return NULL;
}

/* Run the completions of finished jobs, in order (loop thread). */
static void jobq_complete(struct jobq *q)
{
	struct job_list done;
	struct job *job;

	pthread_mutex_lock(&q->lock);
	done = q->done;
	q->done.head = q->done.tail = NULL;
	pthread_mutex_unlock(&q->lock);
	while ((job = job_list_pop(&done)))
		job->done(job);
}

static void jobq_event_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_error("jobq: read eventfd: %m");
	jobq_complete(arg);
}

int jobq_new(struct event_base *base, struct jobq **ret, struct berr **err)
{
	struct jobq *q = xcalloc(1, sizeof(*q));
	int r;

	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		r = berr_set(err, errno, "eventfd: %m");
		free(q);
		return r;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->ev = event_new(base, q->efd, EV_READ | EV_PERSIST, jobq_event_cb, q);
	event_add(q->ev, NULL);
	r = pthread_create(&q->thread, NULL, jobq_thread, q);
	if (r) {
		event_free(q->ev);
		close(q->efd);
		free(q);
		return berr_set(err, r, "cannot start the job thread: %s", strerror(r));
	}
	*ret = q;
	return 0;
}

void jobq_push(struct jobq *q, struct job *job)
{
	pthread_mutex_lock(&q->lock);
	job_list_push(&q->queued, job);
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void jobq_free(struct jobq *q)
{
	struct job *job;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	jobq_complete(q);
	while ((job = job_list_pop(&q->queued))) {
		job->cancelled = true;
		job->done(job);
	}
	event_free(q->ev);
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}
