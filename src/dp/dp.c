/* The data plane's SA registry and event queues: the calls of src/dp/dp.h
 * that the control thread makes, and the drain that hands events back.
 *
 * Packet loops read the SA tables and SAs without a lock while this
 * thread changes them (src/dp/sa_table.c). What is deleted or replaced (an
 * SA, an SA's endpoints) is not freed at once: it goes on a retired list
 * stamped with the table's epoch, and is freed once every packet loop has
 * passed a quiescent point (between two batches, or asleep) having seen
 * that epoch. Without worker threads the one loop runs on this thread,
 * between events, so that point is always passed when reclaim runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "crypto/xform.h"
#include "src/dp/dp_int.h"
#include "src/log.h"

#define RECLAIM_INTERVAL_MS 200

/* ---- events ---- */

bool dp_event_push(struct dp_loop *l, const struct dp_event *ev)
{
	struct dp_evq *q = &l->q;
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (head - tail >= DP_EVQ_SIZE) {
		l->events_dropped++;
		return false;
	}
	q->ev[head & (DP_EVQ_SIZE - 1)] = *ev;
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	if (!atomic_exchange(&q->wake, true)) {
		uint64_t one = 1;
		ssize_t n = write(l->dp->efd, &one, sizeof(one));
		(void)n;        /* EAGAIN: the counter is already non-zero */
	}
	return true;
}

static void drain(struct dp *dp, struct dp_loop *l)
{
	struct dp_evq *q = &l->q;
	atomic_store(&q->wake, false);
	for (;;) {
		uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
		uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
		if (tail == head)
			break;
		struct dp_event ev = q->ev[tail & (DP_EVQ_SIZE - 1)];
		atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
		if (ev.kind == DP_EV_PEER_MOVED) {
			/* the SA may raise it again (after DP_MOVE_RETELL) if
			 * the control plane does not follow */
			struct esp_sa *sa = esp_table_by_spi(dp->t, ev.spi_in);
			if (sa)
				atomic_store(&sa->move_pending, false);
		}
		dp->p.on_event(dp->p.arg, &ev);
	}
}

static void on_queue(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;
	uint64_t v;
	(void)what;
	ssize_t n = read(fd, &v, sizeof(v));
	(void)n;
	for (int i = 0; i < dp->n_loops; i++)
		drain(dp, &dp->loops[i]);
}

/* ---- grace period ---- */

/* the oldest epoch a packet loop may still hold something of */
static uint64_t safe_epoch(struct dp *dp)
{
	/* pairs with the loops' seq_cst store of seen before they touch the
	 * tables: what we unlinked before this fence, a loop that announced
	 * a later epoch cannot reach */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t safe = esp_table_epoch(dp->t);
	if (!dp->threaded)
		return safe;    /* the one loop runs on this thread, between events */
	for (int i = 0; i < dp->n_loops; i++) {
		if (!dp->loops[i].started)
			continue;
		uint64_t s = atomic_load(&dp->loops[i].seen);
		if (s < safe)
			safe = s;
	}
	return safe;
}

static void reclaim(struct dp *dp, bool all)
{
	uint64_t safe = all ? UINT64_MAX : safe_epoch(dp);
	esp_table_reclaim(dp->t, safe);
	for (struct esp_sa **pp = &dp->retired; *pp;) {
		struct esp_sa *sa = *pp;
		if (sa->retired_epoch <= safe) {
			*pp = sa->next_retired;
			esp_sa_free(sa);
			dp->n_retired--;
		} else {
			pp = &sa->next_retired;
		}
	}
	for (struct esp_ep **pp = &dp->retired_ep; *pp;) {
		struct esp_ep *ep = *pp;
		if (ep->retired_epoch <= safe) {
			*pp = ep->next_retired;
			free(ep);
		} else {
			pp = &ep->next_retired;
		}
	}
}

static void on_reclaim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reclaim(arg, false);
}

/* ---- lifetime ---- */

struct dp *dp_new(const struct dp_params *p, char *err, size_t errlen)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	if (!dp) {
		snprintf(err, errlen, "data plane: out of memory");
		return NULL;
	}
	dp->p = *p;
	dp->p.tun_name = NULL;      /* the caller's string: copied */
	snprintf(dp->tun_name, sizeof(dp->tun_name), "%s", p->tun_name ? p->tun_name : "-");
	dp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->t = esp_table_new();
	atomic_init(&dp->mss, (uint32_t)p->mss4 << 16 | p->mss6);
	dp->threaded = p->workers > 0;
	dp->n_loops = dp->threaded ? (p->workers > DP_MAX_WORKERS ? DP_MAX_WORKERS : p->workers) : 1;
	dp->loops = aligned_alloc(64, ((size_t)dp->n_loops * sizeof(*dp->loops) + 63) / 64 * 64);
	if (dp->efd < 0 || dp->stop_fd < 0 || !dp->t || !dp->loops) {
		snprintf(err, errlen, "data plane: out of memory");
		free(dp->loops);
		dp->loops = NULL;
		goto fail;
	}
	memset(dp->loops, 0, (size_t)dp->n_loops * sizeof(*dp->loops));
	for (int i = 0; i < dp->n_loops; i++) {
		struct dp_loop *l = &dp->loops[i];
		l->dp = dp;
		l->lane = i;
		l->tun_fd = dp->threaded ? p->tun_fds[i] : p->tun_fd;
		/* a receive batch can be coalesced into super-packets */
		l->gro = p->tun_vnet;
		l->sock[0] = l->sock[1] = -1;
		l->epfd = -1;
		atomic_init(&l->seen, DP_OFFLINE);
	}
	for (int i = 0; i < dp->n_loops; i++) {
		if (!(dp->loops[i].tx = dp_tx_new())) {
			snprintf(err, errlen, "data plane: out of memory");
			goto fail;
		}
	}
	dp->ev_q = event_new(p->base, dp->efd, EV_READ | EV_PERSIST, on_queue, dp);
	dp->ev_reclaim = event_new(p->base, -1, EV_PERSIST, on_reclaim, dp);
	struct timeval tv = { 0, RECLAIM_INTERVAL_MS * 1000 };
	if (!dp->ev_q || !dp->ev_reclaim || event_add(dp->ev_q, NULL) != 0 ||
	    event_add(dp->ev_reclaim, &tv) != 0) {
		snprintf(err, errlen, "data plane: cannot add its events");
		goto fail;
	}
	if (dp->threaded && dp_workers_open(dp, err, errlen) != 0)
		goto fail;
	/* UDP GSO: probed on a socket the packets leave by */
	int probe = dp->threaded ? dp->loops[0].sock[0] >= 0 ? dp->loops[0].sock[0]
	                                                       : dp->loops[0].sock[1]
	                         : p->n_socks ? p->sock_fd[0] : -1;
	atomic_store(&dp->gso, probe >= 0 && dp_gso_probe(probe));
	if (probe >= 0)
		log_info(LOG_ESP, "data plane: UDP GSO %s", atomic_load(&dp->gso) ? "on" :
		         "not available: one send per datagram (batched)");
	if (!dp->threaded && dp->loops[0].tun_fd >= 0) {
		dp->ev_tun = event_new(p->base, dp->loops[0].tun_fd, EV_READ | EV_PERSIST, dp_on_tun,
		                       &dp->loops[0]);
		if (!dp->ev_tun || event_add(dp->ev_tun, NULL) != 0) {
			snprintf(err, errlen, "data plane: cannot watch the TUN device");
			goto fail;
		}
		for (int i = 0; i < p->n_socks; i++) {
			dp->ev_out[i] = event_new(p->base, p->sock_fd[i], EV_WRITE | EV_PERSIST,
			                          dp_on_sock_writable, &dp->loops[0]);
			if (!dp->ev_out[i]) {
				snprintf(err, errlen, "data plane: out of memory");
				goto fail;
			}
		}
	}
	return dp;
fail:
	dp_free(dp);
	return NULL;
}

int dp_start(struct dp *dp, char *err, size_t errlen)
{
	if (!dp->threaded)
		return 0;
	/* signals stay with the event loop's thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (int i = 0; i < dp->n_loops && rc == 0; i++) {
		struct dp_loop *l = &dp->loops[i];
		atomic_store(&l->seen, esp_table_epoch(dp->t));
		rc = pthread_create(&l->th, NULL, dp_worker_main, l);
		if (rc != 0)
			snprintf(err, errlen, "data plane: cannot start worker %d: %s", i, strerror(rc));
		else
			l->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc ? -1 : 0;
}

void dp_stop(struct dp *dp)
{
	if (!dp)
		return;
	if (dp->ev_tun)
		event_del(dp->ev_tun);
	for (int i = 0; i < DP_MAX_SOCKS; i++)
		if (dp->ev_out[i])
			event_del(dp->ev_out[i]);
	if (!dp->threaded)
		return;
	uint64_t one = 1;
	ssize_t n = write(dp->stop_fd, &one, sizeof(one));
	(void)n;
	for (int i = 0; i < dp->n_loops; i++) {
		struct dp_loop *l = &dp->loops[i];
		if (l->started)
			pthread_join(l->th, NULL);
		l->started = false;
	}
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	dp_stop(dp);
	if (dp->ev_tun)
		event_free(dp->ev_tun);
	for (int i = 0; i < DP_MAX_SOCKS; i++)
		if (dp->ev_out[i])
			event_free(dp->ev_out[i]);
	if (dp->ev_q)
		event_free(dp->ev_q);
	if (dp->ev_reclaim)
		event_free(dp->ev_reclaim);
	if (dp->t) {
		struct esp_sa *sa;
		while ((sa = esp_table_any(dp->t))) {
			esp_table_del(dp->t, sa);
			esp_sa_free(sa);
		}
		reclaim(dp, true);
		esp_table_free(dp->t);
	}
	for (int i = 0; dp->loops && i < dp->n_loops; i++) {
		struct dp_loop *l = &dp->loops[i];
		for (int k = 0; k < 2; k++)
			if (l->sock[k] >= 0)
				close(l->sock[k]);
		if (l->epfd >= 0)
			close(l->epfd);
		free(l->tx);
	}
	free(dp->loops);
	if (dp->efd >= 0)
		close(dp->efd);
	if (dp->stop_fd >= 0)
		close(dp->stop_fd);
	free(dp);
}

/* ---- the SA calls ---- */

uint32_t dp_spi_new(struct dp *dp)
{
	return esp_table_new_spi(dp->t);
}

static struct esp_ep *ep_new(const struct dp_endpoints *e)
{
	if (e->peer_len > sizeof(e->peer) || e->local_len > sizeof(e->local))
		return NULL;
	struct esp_ep *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	memcpy(&ep->peer, &e->peer, e->peer_len);
	ep->peer_len = e->peer_len;
	memcpy(&ep->local, &e->local, e->local_len);
	ep->local_len = e->local_len;
	return ep;
}

int dp_sa_add(struct dp *dp, const struct dp_sa_params *p)
{
	size_t elen = xform_encr_keylen(p->encr, p->keybits);
	size_t alen = xform_integ_keylen(p->integ);
	if (!elen || elen > DP_KEY_MAX || alen > DP_KEY_MAX || (alen && !p->has_akey) ||
	    esp_table_by_spi(dp->t, p->spi_in))
		return -1;
	struct esp_sa *sa = esp_sa_new_lanes(dp->n_loops, p->spi_in, p->spi_out, p->encr,
	                                     p->keybits, p->integ, p->ekey_in,
	                                     alen ? p->akey_in : NULL, p->ekey_out,
	                                     alen ? p->akey_out : NULL);
	if (!sa)
		return -1;
	struct esp_ep *ep = ep_new(&p->ep);
	if (!ep || esp_sa_set_ts(sa, p->ts_local, p->n_ts_local, p->ts_remote, p->n_ts_remote) != 0) {
		free(ep);
		goto fail;
	}
	atomic_init(&sa->ep, ep);
	sa->has_vip4 = p->has_vip4;
	sa->has_vip6 = p->has_vip6;
	memcpy(sa->vip4, p->vip4, 4);
	memcpy(sa->vip6, p->vip6, 16);
	atomic_init(&sa->owner, p->owner);
	atomic_init(&sa->last_in, now_sec());
	/* published by the table's release stores: a loop that finds it
	 * sees it complete */
	if (esp_table_add(dp->t, sa) != 0)
		goto fail;
	dp->sas++;
	return 0;
fail:
	esp_sa_free(sa);
	return -1;
}

void dp_sa_params_wipe(struct dp_sa_params *p)
{
	OPENSSL_cleanse(p->ekey_in, sizeof(p->ekey_in));
	OPENSSL_cleanse(p->akey_in, sizeof(p->akey_in));
	OPENSSL_cleanse(p->ekey_out, sizeof(p->ekey_out));
	OPENSSL_cleanse(p->akey_out, sizeof(p->akey_out));
}

int dp_sa_move(struct dp *dp, uint32_t spi_in, const struct dp_endpoints *e)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return -1;
	struct esp_ep *ep = ep_new(e);
	if (!ep)
		return -1;
	struct esp_ep *old = atomic_exchange_explicit(&sa->ep, ep, memory_order_acq_rel);
	if (old) {
		/* a loop may be sending to it right now: retire it with a
		 * new epoch, which no loop can have seen yet */
		old->retired_epoch = esp_table_advance(dp->t);
		old->next_retired = dp->retired_ep;
		dp->retired_ep = old;
	}
	atomic_store(&sa->move_pending, false);
	return 0;
}

int dp_sa_set_owner(struct dp *dp, uint32_t spi_in, uint32_t owner)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return -1;
	atomic_store(&sa->owner, owner);
	return 0;
}

void dp_sa_del(struct dp *dp, uint32_t spi_in)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return;
	esp_table_del(dp->t, sa);
	dp->sas--;
	struct esp_counters c = esp_ctr(sa);
	esp_counters_add(&dp->deleted, &c);
	sa->retired_epoch = esp_table_epoch(dp->t);
	sa->next_retired = dp->retired;
	dp->retired = sa;
	dp->n_retired++;
}

int dp_sa_stats(struct dp *dp, uint32_t spi_in, struct dp_sa_stats *out)
{
	const struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return -1;
	out->ctr = esp_ctr(sa);
	out->last_in = atomic_load_explicit(&sa->last_in, memory_order_relaxed);
	uint64_t s = atomic_load_explicit(&sa->seq_out, memory_order_relaxed);
	out->seq_out = s > ESP_SEQ_MAX ? ESP_SEQ_MAX : s;
	return 0;
}

void dp_stats(struct dp *dp, struct dp_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->sas = dp->sas;
	out->retired = dp->n_retired;
	out->wrong_socket = dp->wrong_socket;
	out->deleted = dp->deleted;
	out->loops = dp->n_loops;
	out->threaded = dp->threaded;
	/* each loop writes its own; a torn read is not possible for aligned
	 * 64-bit words on the machines cygnet runs on, and a count read a
	 * packet late is fine */
	for (int i = 0; i < dp->n_loops; i++) {
		const struct dp_loop *l = &dp->loops[i];
		out->unknown_spi += __atomic_load_n(&l->unknown_spi, __ATOMIC_RELAXED);
		out->tun_write_err += __atomic_load_n(&l->tun_write_err, __ATOMIC_RELAXED);
		out->send_full += __atomic_load_n(&l->send_full, __ATOMIC_RELAXED);
		out->send_err += __atomic_load_n(&l->send_err, __ATOMIC_RELAXED);
		out->events_dropped += __atomic_load_n(&l->events_dropped, __ATOMIC_RELAXED);
	}
}

void dp_set_mss(struct dp *dp, uint16_t mss4, uint16_t mss6)
{
	atomic_store_explicit(&dp->mss, (uint32_t)mss4 << 16 | mss6, memory_order_relaxed);
}

int dp_loop_stats(struct dp *dp, int i, struct dp_loop_stats *out)
{
	if (i < 0 || i >= dp->n_loops)
		return -1;
	const struct dp_loop *l = &dp->loops[i];
	out->esp_in = __atomic_load_n(&l->esp_in, __ATOMIC_RELAXED);
	out->esp_out = __atomic_load_n(&l->esp_out, __ATOMIC_RELAXED);
	out->tun_super = __atomic_load_n(&l->tun_super, __ATOMIC_RELAXED);
	out->tun_bad = __atomic_load_n(&l->tun_bad, __ATOMIC_RELAXED);
	out->tun_coalesced = __atomic_load_n(&l->tun_coalesced, __ATOMIC_RELAXED);
	out->pushbacks = __atomic_load_n(&l->pushbacks, __ATOMIC_RELAXED);
	out->udp_coalesced = __atomic_load_n(&l->udp_coalesced, __ATOMIC_RELAXED);
	out->mss_clamped = __atomic_load_n(&l->mss_clamped, __ATOMIC_RELAXED);
	out->unknown_spi = __atomic_load_n(&l->unknown_spi, __ATOMIC_RELAXED);
	out->tun_write_err = __atomic_load_n(&l->tun_write_err, __ATOMIC_RELAXED);
	out->send_full = __atomic_load_n(&l->send_full, __ATOMIC_RELAXED);
	out->send_err = __atomic_load_n(&l->send_err, __ATOMIC_RELAXED);
	out->events_dropped = __atomic_load_n(&l->events_dropped, __ATOMIC_RELAXED);
	return 0;
}

void dp_esp_input(struct dp *dp, uint8_t *buf, size_t len,
                  const struct sockaddr *peer, socklen_t peer_len)
{
	if (dp->threaded) {
		/* steering sends ESP to the workers; a packet that came here
		 * anyway (while the group was set up) must not use a worker's
		 * lane from this thread */
		dp->wrong_socket++;
		return;
	}
	dp_loop_esp(&dp->loops[0], buf, len, peer, peer_len);
}

void dp_esp_flush(struct dp *dp)
{
	if (!dp->threaded)
		dp_loop_flush(&dp->loops[0]);
}

void dp_esp_coalesced(struct dp *dp)
{
	if (!dp->threaded)
		dp->loops[0].udp_coalesced++;
}
