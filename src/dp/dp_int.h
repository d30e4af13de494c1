/* Inside the data plane (src/dp/): the structs behind struct dp, shared by
 * the SA registry (dp.c) and the packet loops (dp_io.c). Nothing outside
 * src/dp/ includes this (unit tests of src/dp/ do). */
#ifndef CYGNET_DP_INT_H
#define CYGNET_DP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "src/clock.h"
#include "src/dp/dp.h"
#include "src/dp/esp.h"

#define DP_EVQ_SIZE 1024                /* events queued per loop, a power of two */
#define DP_FAULT_LOG_INTERVAL 10        /* seconds between fault lines */
#define DP_MOVE_RETELL 1                /* seconds before a PEER_MOVED is raised again */
#define DP_BATCH 64                     /* packets per read batch */
#define DP_OFFLINE UINT64_MAX           /* a loop's seen epoch while it sleeps */
#define DP_GRO_MAX 64                   /* decrypted packets held to be coalesced */
struct dp_tx;                           /* dp_io.c: a batch of ESP packets to send */

/* A single-producer single-consumer ring of events: the producer is one
 * packet loop, the consumer the control thread. The producer writes the
 * data plane's eventfd when `wake` was clear; the consumer clears `wake`
 * before it drains, so an event pushed after the clear wakes it again and
 * one pushed before is seen by the drain. */
struct dp_evq {
	struct dp_event ev[DP_EVQ_SIZE];
	_Atomic uint32_t head;              /* next slot to write */
	_Atomic uint32_t tail;              /* next slot to read */
	atomic_bool wake;
};

/* one packet loop: the event loop's own (no worker threads) or a worker
 * thread's; its index is its lane in every SA */
struct dp_loop {
	struct dp *dp;
	int lane;
	int tun_fd;                         /* its TUN queue */
	int sock[2];                        /* worker: its UDP/4500 sockets (IPv4, IPv6), or -1 */
	int epfd;                           /* worker: what it waits on */
	pthread_t th;
	bool started;
	struct dp_evq q;
	_Atomic uint64_t seen;              /* table epoch at its last quiescent point */
	/* its counters (summed by dp_stats); written by this loop only */
	uint64_t esp_in, esp_out;
	uint64_t unknown_spi, tun_write_err, send_full, send_err, events_dropped;
	struct ratelog rl_tun_write, rl_send_full, rl_send_err;
	uint64_t tun_bad;                   /* offload header or super-segment unusable */
	uint64_t tun_super;                 /* TCP super-segments read and cut */
	uint64_t tun_coalesced;             /* packets written as part of a super-packet */
	uint64_t pushbacks;                 /* times a full send buffer stopped TUN reads */
	uint64_t udp_coalesced;             /* messages of several datagrams (UDP GRO) */
	uint64_t mss_clamped;               /* SYNs whose MSS it lowered */
	bool waiting_out;                   /* TUN unwatched until waiting_fd has room */
	int waiting_fd;
	/* decrypted packets of the current receive batch, written coalesced
	 * at its end (gro: the device takes super-packets) */
	bool gro;
	int nq;
	uint8_t *q_ptr[DP_GRO_MAX];
	size_t q_len[DP_GRO_MAX];
	uint8_t pkt[16 + ESP_MAX_PACKET];   /* a read from TUN (offload header first) */
	uint8_t seg[ESP_MAX_PACKET];        /* one segment of a TCP super-segment */
	uint8_t out[ESP_MAX_PACKET + 256];  /* a packet too big for a tx slot */
	struct dp_tx *tx;
};

struct dp {
	struct dp_params p;
	char tun_name[16];                  /* for log lines */
	struct esp_table *t;
	int n_loops;                        /* lanes: 1 inline, or the worker threads */
	bool threaded;
	struct dp_loop *loops;
	int efd;                            /* eventfd: events queued */
	int stop_fd;                        /* eventfd: workers, stop */
	atomic_bool tun_gone;
	atomic_bool gso;                    /* UDP GSO (UDP_SEGMENT) usable */
	_Atomic uint32_t mss;               /* mss4 << 16 | mss6 (dp_set_mss), one load for both */
	struct event *ev_q, *ev_tun, *ev_reclaim;
	/* no workers: room on sock_fd[i] again, while a send waits for it */
	struct event *ev_out[DP_MAX_SOCKS];
	/* deleted SAs and replaced endpoints, freed once every packet loop
	 * has passed a quiescent point after their deletion (dp.c reclaim),
	 * with the table's epoch */
	struct esp_sa *retired;
	struct esp_ep *retired_ep;
	uint64_t sas, n_retired;
	struct esp_counters deleted;        /* of SAs deleted so far */
	uint64_t wrong_socket;              /* ESP that reached the control socket while threaded */
};

/* queues an event for the control thread; false (and counted) when the
 * queue is full */
bool dp_event_push(struct dp_loop *l, const struct dp_event *ev);
/* the inline loop's TUN read event and its sockets' write events
 * (dp_io.c) */
void dp_on_tun(int fd, short what, void *arg);
void dp_on_sock_writable(int fd, short what, void *arg);
/* writes the decrypted packets loop l holds to be coalesced */
void dp_loop_flush(struct dp_loop *l);
/* whether the kernel knows UDP_SEGMENT (UDP GSO) on UDP socket fd */
bool dp_gso_probe(int fd);
/* a send batch, NULL when out of memory; free() frees it */
struct dp_tx *dp_tx_new(void);
/* one ESP datagram through loop l */
void dp_loop_esp(struct dp_loop *l, uint8_t *buf, size_t len, const struct sockaddr *peer,
                 socklen_t peer_len);
/* worker threads: sockets made at dp_new, threads started by dp_start */
int dp_workers_open(struct dp *dp, char *err, size_t errlen);
void *dp_worker_main(void *arg);

#endif
