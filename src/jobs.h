/* The crypto worker pool: the expensive steps of setting up an IKE_SA
 * (the Diffie-Hellman of IKE_SA_INIT, the server's signature in IKE_AUTH)
 * run on worker threads so that a stranger's handshake never holds up
 * retransmissions, DPD or ESP forwarding on the event loop.
 *
 * A job's run() executes on a worker and may touch nothing but the job
 * itself (no daemon state, no logging); its done() then executes on the
 * event loop, where it finds its IKE_SA again by id (the SA may be gone).
 * Jobs of peers that already completed IKE_SA_INIT go before new ones.
 *
 * With zero threads, or no pool at all (tests, fuzzing), jobs_submit()
 * runs run() and done() at once, before it returns. */
#ifndef CYGNET_JOBS_H
#define CYGNET_JOBS_H

#include <stdbool.h>

struct daemon;
struct jobs;

/* jobs that may wait for a worker; beyond this new handshakes are dropped
 * (their clients retransmit) */
#define JOBS_QUEUE 256

enum job_prio {
	JOB_KNOWN,      /* a peer past IKE_SA_INIT (IKE_AUTH) */
	JOB_STRANGER,   /* a new IKE_SA_INIT */
};

struct job {
	struct job *next;                    /* owned by the pool while queued */
	enum job_prio prio;
	void (*run)(struct job *j);          /* worker thread */
	/* event loop; frees the job. With cancelled set the daemon is
	 * stopping: release the job without touching any SA. */
	void (*done)(struct daemon *d, struct job *j, bool cancelled);
};

/* Starts n worker threads (0: run jobs inline) with room for at most
 * max_queued jobs waiting. NULL on failure. */
struct jobs *jobs_new(struct daemon *d, int n, int max_queued);
/* Queues j on d->jobs (with no pool, runs it at once). -1 when the
 * queue is full: j is still the caller's. */
int jobs_submit(struct daemon *d, struct job *j);
/* jobs waiting or running now */
int jobs_pending(const struct jobs *p);
/* Stops the workers: waits for running jobs, calls done(cancelled) for
 * every job not delivered, frees the pool. NULL-safe. */
void jobs_free(struct jobs *p);
/* the default thread count: one less than the CPUs (at least 1, at most 4) */
int jobs_default_threads(void);

#endif
