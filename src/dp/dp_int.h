/* Inside the data plane (src/dp/): the struct behind struct dp, shared by
 * the SA registry (dp.c) and the packet loops (dp_io.c). Nothing outside
 * src/dp/ includes this. */
#ifndef CYGNET_DP_INT_H
#define CYGNET_DP_INT_H

#include <stdatomic.h>
#include "src/clock.h"
#include "src/dp/dp.h"
#include "src/dp/esp.h"

#define DP_EVQ_SIZE 1024                /* events queued, a power of two */
#define DP_FAULT_LOG_INTERVAL 10        /* seconds between fault lines */
#define DP_MOVE_RETELL 1                /* seconds before a PEER_MOVED is raised again */

/* A single-producer single-consumer ring of events: the producer is the
 * code that processes packets, the consumer the control thread. The
 * producer writes the eventfd when `wake` was clear; the consumer clears
 * `wake` before it drains, so an event pushed after the clear wakes it
 * again and one pushed before is seen by the drain. */
struct dp_evq {
	struct dp_event ev[DP_EVQ_SIZE];
	_Atomic uint32_t head;              /* next slot to write */
	_Atomic uint32_t tail;              /* next slot to read */
	atomic_bool wake;
	int efd;                            /* eventfd */
};

struct dp {
	struct dp_params p;
	char tun_name[16];                  /* for log lines */
	struct esp_table *t;
	struct dp_evq q;
	struct event *ev_q, *ev_tun, *ev_reclaim;
	/* deleted SAs, freed once every packet loop has passed a quiescent
	 * point after their deletion (dp.c reclaim), with the table's epoch */
	struct esp_sa *retired;
	struct dp_stats st;
	struct ratelog rl_tun_write, rl_send_full, rl_send_err;
	/* packet buffers of the (one, for now) packet loop */
	uint8_t pkt[ESP_MAX_PACKET];
	uint8_t out[ESP_MAX_PACKET + 256];
};

/* queues an event for the control thread; false (and counted) when the
 * queue is full */
bool dp_event_push(struct dp *dp, const struct dp_event *ev);
/* the TUN device's read event (dp_io.c) */
void dp_on_tun(int fd, short what, void *arg);

#endif
