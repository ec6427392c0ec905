/* job.h - the job queue: state changes run one at a time, in order, on one
 * job thread; each job's completion runs back on the event loop.  Embed a
 * struct job in the job's own struct and recover it with container_of. */
#ifndef BERTH_JOB_H
#define BERTH_JOB_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/berr.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct job;
/* Runs on the job thread: plain, linear, may block with timeouts. */
typedef void (*job_run_fn)(struct job *job);
/* Runs on the loop thread after run (or instead of it when cancelled); it
 * answers the client and frees the job. */
typedef void (*job_done_fn)(struct job *job);

struct job {
	job_run_fn run;
	job_done_fn done;
	bool cancelled; /* the daemon stopped before the job could run */
	struct job *next;
};

struct jobq;

int jobq_new(struct event_base *base, struct jobq **ret, struct berr **err);
/* Queue a job (loop thread). */
void jobq_push(struct jobq *q, struct job *job);
/* Let the running job finish, cancel the queued ones (their done runs with
 * cancelled set), join the thread and free the queue. */
void jobq_free(struct jobq *q);

#endif
