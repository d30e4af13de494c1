/* The crypto worker pool (see jobs.h): a mutex-protected queue per
 * priority, a condition variable for the workers, and a pipe that wakes
 * the event loop when finished jobs wait for their done(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <event2/event.h>
#include "src/daemon.h"
#include "src/ike_sa.h"
#include "src/jobs.h"

#define JOBS_MAX_THREADS 16

struct jobq {
	struct job *head, *tail;
};

struct jobs {
	struct daemon *d;
	int n_threads;
	pthread_t threads[JOBS_MAX_THREADS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct jobq waiting[2];              /* by enum job_prio */
	struct jobq finished;
	int n_waiting, n_running, max_queued;
	bool stop;
	int wake[2];                         /* worker → event loop */
	struct event *wake_ev;
};

static void q_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *q_pop(struct jobq *q)
{
	struct job *j = q->head;
	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct jobs *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j = NULL;
		while (!p->stop && !(j = q_pop(&p->waiting[JOB_KNOWN])) &&
		       !(j = q_pop(&p->waiting[JOB_STRANGER])))
			pthread_cond_wait(&p->cond, &p->lock);
		if (!j)
			break;
		p->n_waiting--;
		p->n_running++;
		pthread_mutex_unlock(&p->lock);
		j->run(j);
		pthread_mutex_lock(&p->lock);
		p->n_running--;
		bool was_empty = !p->finished.head;
		q_push(&p->finished, j);
		if (was_empty) {
			char c = 1;
			/* the pipe holds one wake-up at a time; a full pipe
			 * means the loop is already woken */
			ssize_t w = write(p->wake[1], &c, 1);
			(void)w;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void deliver(struct jobs *p, bool cancelled)
{
	pthread_mutex_lock(&p->lock);
	struct job *list = p->finished.head;
	p->finished.head = p->finished.tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (list) {
		struct job *j = list;
		list = j->next;
		j->done(p->d, j, cancelled);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	struct jobs *p = arg;
	deliver(p, false);
	/* what the jobs' done() ended (refused, failed) goes now */
	ike_sa_reap(p->d);
}

int jobs_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

struct jobs *jobs_new(struct daemon *d, int n, int max_queued)
{
	struct jobs *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->d = d;
	p->max_queued = max_queued > 0 ? max_queued : 1;
	p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (n <= 0)
		return p;
	if (n > JOBS_MAX_THREADS)
		n = JOBS_MAX_THREADS;
	if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		goto fail;
	p->wake_ev = event_new(d->base, p->wake[0], EV_READ | EV_PERSIST, on_wake, p);
	if (!p->wake_ev || event_add(p->wake_ev, NULL) != 0)
		goto fail;
	for (; p->n_threads < n; p->n_threads++)
		if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0)
			goto fail;
	return p;
fail:
	jobs_free(p);
	return NULL;
}

int jobs_submit(struct daemon *d, struct job *j)
{
	struct jobs *p = d->jobs;
	if (!p || !p->n_threads) {
		j->run(j);
		j->done(d, j, false);
		return 0;
	}
	pthread_mutex_lock(&p->lock);
	if (p->n_waiting >= p->max_queued) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	q_push(&p->waiting[j->prio == JOB_KNOWN ? JOB_KNOWN : JOB_STRANGER], j);
	p->n_waiting++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int jobs_pending(const struct jobs *p)
{
	struct jobs *m = (struct jobs *)p;
	pthread_mutex_lock(&m->lock);
	int n = m->n_waiting + m->n_running;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void jobs_free(struct jobs *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	/* what has not started will not: hand it back as finished */
	for (int q = 0; q < 2; q++) {
		struct job *j;
		while ((j = q_pop(&p->waiting[q])))
			q_push(&p->finished, j);
	}
	p->n_waiting = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	deliver(p, true);
	if (p->wake_ev)
		event_free(p->wake_ev);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
