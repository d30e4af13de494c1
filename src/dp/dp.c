/* The data plane's SA registry and event queue: the calls of src/dp/dp.h
 * that the control thread makes, and the drain that hands events back.
 *
 * Deleted SAs are not freed at once: they go on a retired list with the
 * epoch of their deletion, and are freed when every packet loop has
 * passed a quiescent point (between two batches) after that epoch. Today
 * the one packet loop runs on the control thread itself, between events,
 * so that point is always passed by the time reclaim runs; the list is
 * what lets packet loops move to threads without a worker ever touching
 * freed memory. */
#define _GNU_SOURCE
#include <errno.h>
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

#define RECLAIM_INTERVAL_MS 500

/* ---- events ---- */

bool dp_event_push(struct dp *dp, const struct dp_event *ev)
{
	struct dp_evq *q = &dp->q;
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (head - tail >= DP_EVQ_SIZE) {
		dp->st.events_dropped++;
		return false;
	}
	q->ev[head & (DP_EVQ_SIZE - 1)] = *ev;
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	if (!atomic_exchange(&q->wake, true)) {
		uint64_t one = 1;
		ssize_t n = write(q->efd, &one, sizeof(one));
		(void)n;        /* EAGAIN: the counter is already non-zero */
	}
	return true;
}

static void on_queue(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;
	struct dp_evq *q = &dp->q;
	uint64_t v;
	(void)what;
	ssize_t n = read(fd, &v, sizeof(v));
	(void)n;
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
				sa->move_pending = false;
		}
		dp->p.on_event(dp->p.arg, &ev);
	}
}

/* ---- grace period ---- */

static void reclaim(struct dp *dp, bool all)
{
	/* every packet loop is on this thread: it is between batches now,
	 * so everything retired up to the current epoch may go */
	uint64_t safe = esp_table_epoch(dp->t);
	esp_table_reclaim(dp->t, all ? UINT64_MAX : safe);
	struct esp_sa **pp = &dp->retired;
	while (*pp) {
		struct esp_sa *sa = *pp;
		if (all || sa->retired_epoch <= safe) {
			*pp = sa->next_retired;
			esp_sa_free(sa);
			dp->st.retired--;
		} else {
			pp = &sa->next_retired;
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

struct dp *dp_new(const struct dp_params *p)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->p = *p;
	dp->p.tun_name = NULL;      /* the caller's string: copied */
	snprintf(dp->tun_name, sizeof(dp->tun_name), "%s", p->tun_name ? p->tun_name : "-");
	dp->q.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->t = esp_table_new();
	if (dp->q.efd < 0 || !dp->t)
		goto fail;
	dp->ev_q = event_new(p->base, dp->q.efd, EV_READ | EV_PERSIST, on_queue, dp);
	dp->ev_reclaim = event_new(p->base, -1, EV_PERSIST, on_reclaim, dp);
	struct timeval tv = { 0, RECLAIM_INTERVAL_MS * 1000 };
	if (!dp->ev_q || !dp->ev_reclaim || event_add(dp->ev_q, NULL) != 0 ||
	    event_add(dp->ev_reclaim, &tv) != 0)
		goto fail;
	if (p->tun_fd >= 0) {
		dp->ev_tun = event_new(p->base, p->tun_fd, EV_READ | EV_PERSIST, dp_on_tun, dp);
		if (!dp->ev_tun || event_add(dp->ev_tun, NULL) != 0)
			goto fail;
	}
	return dp;
fail:
	dp_free(dp);
	return NULL;
}

void dp_stop(struct dp *dp)
{
	if (dp && dp->ev_tun)
		event_del(dp->ev_tun);
}

static void free_chain_all(struct dp *dp)
{
	/* every installed SA: walk by SPI until the table is empty */
	for (;;) {
		struct esp_sa *sa = esp_table_any(dp->t);
		if (!sa)
			break;
		esp_table_del(dp->t, sa);
		esp_sa_free(sa);
	}
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	if (dp->ev_tun)
		event_free(dp->ev_tun);
	if (dp->ev_q)
		event_free(dp->ev_q);
	if (dp->ev_reclaim)
		event_free(dp->ev_reclaim);
	if (dp->t) {
		free_chain_all(dp);
		reclaim(dp, true);
		esp_table_free(dp->t);
	}
	if (dp->q.efd >= 0)
		close(dp->q.efd);
	free(dp);
}

/* ---- the SA calls ---- */

uint32_t dp_spi_new(struct dp *dp)
{
	return esp_table_new_spi(dp->t);
}

int dp_sa_add(struct dp *dp, const struct dp_sa_params *p)
{
	size_t elen = xform_encr_keylen(p->encr, p->keybits);
	size_t alen = xform_integ_keylen(p->integ);
	if (!elen || elen > DP_KEY_MAX || alen > DP_KEY_MAX || (alen && !p->has_akey) ||
	    p->ep.peer_len > sizeof(p->ep.peer) || p->ep.local_len > sizeof(p->ep.local) ||
	    esp_table_by_spi(dp->t, p->spi_in))
		return -1;
	struct esp_sa *sa = esp_sa_new(p->spi_in, p->spi_out, p->encr, p->keybits, p->integ,
	                               p->ekey_in, alen ? p->akey_in : NULL,
	                               p->ekey_out, alen ? p->akey_out : NULL);
	if (!sa)
		return -1;
	if (esp_sa_set_ts(sa, p->ts_local, p->n_ts_local, p->ts_remote, p->n_ts_remote) != 0)
		goto fail;
	memcpy(&sa->peer, &p->ep.peer, p->ep.peer_len);
	sa->peer_len = p->ep.peer_len;
	memcpy(&sa->local, &p->ep.local, p->ep.local_len);
	sa->local_len = p->ep.local_len;
	sa->has_vip4 = p->has_vip4;
	sa->has_vip6 = p->has_vip6;
	memcpy(sa->vip4, p->vip4, 4);
	memcpy(sa->vip6, p->vip6, 16);
	sa->owner = p->owner;
	sa->last_in = now_sec();
	if (esp_table_add(dp->t, sa) != 0)
		goto fail;
	dp->st.sas++;
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

int dp_sa_move(struct dp *dp, uint32_t spi_in, const struct dp_endpoints *ep)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa || ep->peer_len > sizeof(sa->peer) || ep->local_len > sizeof(sa->local))
		return -1;
	memcpy(&sa->peer, &ep->peer, ep->peer_len);
	sa->peer_len = ep->peer_len;
	memcpy(&sa->local, &ep->local, ep->local_len);
	sa->local_len = ep->local_len;
	sa->move_pending = false;
	return 0;
}

int dp_sa_set_owner(struct dp *dp, uint32_t spi_in, uint32_t owner)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return -1;
	sa->owner = owner;
	return 0;
}

void dp_sa_del(struct dp *dp, uint32_t spi_in)
{
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return;
	esp_table_del(dp->t, sa);
	dp->st.sas--;
	sa->retired_epoch = esp_table_epoch(dp->t);
	sa->next_retired = dp->retired;
	dp->retired = sa;
	dp->st.retired++;
}

int dp_sa_stats(struct dp *dp, uint32_t spi_in, struct dp_sa_stats *out)
{
	const struct esp_sa *sa = esp_table_by_spi(dp->t, spi_in);
	if (!sa)
		return -1;
	out->ctr = sa->ctr;
	out->last_in = sa->last_in;
	out->seq_out = sa->seq_out;
	return 0;
}

void dp_stats(struct dp *dp, struct dp_stats *out)
{
	*out = dp->st;
}
