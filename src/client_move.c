/* The client's path to its server: NAT keepalives and moves.
 *
 * Keepalives (RFC 3948 §2.3, §4): a client always claims to be behind a
 * NAT (its NAT-D hash is faked), and may well be: every KEEPALIVE_SECS an
 * IKE_SA of ours that sent nothing in that time sends the one-byte
 * keepalive to the server's port 4500, so a NAT mapping stays open for
 * the server's DPD, rekeys and traffic (strongSwan: charon.keep_alive).
 *
 * Moves (MOBIKE, RFC 4555): the host's addresses and routes are
 * watched through rtnetlink (no polling). After a change settles, every
 * established IKE_SA of ours whose route to the server now leaves from
 * another address follows it: its ESP leaves from the new address at
 * once, and an INFORMATIONAL with UPDATE_SA_ADDRESSES, NAT detection (our
 * hash faked, as always, so ESP stays in UDP) and COOKIE2 tells the server
 * (§3.5). A server without MOBIKE gets a reauthentication from the new
 * address instead. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "src/client.h"
#include "src/client_int.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "tun/tun.h"

/* strongSwan's default keep_alive */
#define KEEPALIVE_SECS 20

/* changes come in bursts (address, then routes): act once it is quiet */
#define SETTLE_MS 300

static void settle(struct daemon *d, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	if (d->move_timer)
		evtimer_add(d->move_timer, &tv);
}

/* tells the server where we are now */
static int send_update(struct daemon *d, struct ike_sa *sa)
{
	uint8_t buf[256], fake[20], real[20];
	if (RAND_bytes(fake, sizeof(fake)) != 1 ||
	    RAND_bytes(sa->cookie2, sizeof(sa->cookie2)) != 1)
		return -1;
	natd_hash(sa->spi_i, sa->spi_r, (struct sockaddr *)&sa->peer, real);
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_notify(&w, 0, NULL, 0, N_UPDATE_SA_ADDRESSES, NULL, 0);
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, fake, sizeof(fake));
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, real, sizeof(real));
	ike_wr_notify(&w, 0, NULL, 0, N_COOKIE2, sa->cookie2, sizeof(sa->cookie2));
	return ike_sa_request(d, sa, INFORMATIONAL, &w, REQ_MOBIKE);
}

static void check_all(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	bool again = false;
	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (!sa->client || sa->probe || sa->state != IKE_S_ESTABLISHED)
			continue;
		struct sockaddr_storage now;
		socklen_t len;
		if (client_route_source(&sa->peer, sa->peer_len, 4500, &now, &len) != 0) {
			/* only address changes are watched, not routes: look
			 * again in a second until the route is back */
			log_dbg(LOG_IKE, "%s: no route to the server now, waiting", ike_sa_tag(sa));
			again = true;
			continue;
		}
		if (addr_eq((struct sockaddr *)&now, (struct sockaddr *)&sa->local, false))
			continue;
		char from[INET6_ADDRSTRLEN + 8], to[INET6_ADDRSTRLEN + 8];
		addr_format((struct sockaddr *)&sa->local, from, sizeof(from));
		addr_format((struct sockaddr *)&now, to, sizeof(to));
		if (!sa->peer_mobike) {
			log_err(LOG_IKE, "%s: our address changed (%s -> %s) and the server does not do "
			        "MOBIKE: reauthenticating", ike_sa_tag(sa), from, to);
			client_reauth(d, sa);
			return;      /* the list changed */
		}
		if (sa->req_kind != REQ_NONE) {
			again = true;        /* after the exchange in flight */
			continue;
		}
		log_info(LOG_IKE, "%s: our address changed (%s -> %s): MOBIKE update",
		         ike_sa_tag(sa), from, to);
		ike_sa_update_addrs(sa, (struct sockaddr *)&sa->peer, sa->peer_len,
		                    (struct sockaddr *)&now, len);
		if (send_update(d, sa) != 0)
			again = true;
	}
	if (again)
		settle(d, 1000);
}

static void on_netlink(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	(void)what;
	if (tun_addr_watch_read(fd))
		settle(d, SETTLE_MS);
}

/* packets sent by sa's CHILD_SAs so far */
static uint64_t packets_out(struct daemon *d, const struct ike_sa *sa)
{
	uint64_t n = 0;
	struct dp_sa_stats st;
	for (int i = 0; i < sa->n_child; i++)
		if (sa->child[i].installed && dp_sa_stats(d->dp, sa->child[i].spi_in, &st) == 0)
			n += st.ctr.packets_out;
	return n;
}

static void keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	static const uint8_t ka = 0xff;
	(void)fd;
	(void)what;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (!sa->client || sa->probe || sa->state != IKE_S_ESTABLISHED)
			continue;
		uint64_t out = packets_out(d, sa);
		if (out == sa->ka_packets_out && sa->ka_ike_msgid == sa->our_msgid) {
			log_dbg(LOG_NET, "%s: sending NAT keepalive", ike_sa_tag(sa));
			net_send(d, (struct sockaddr *)&sa->local, (struct sockaddr *)&sa->peer,
			         sa->peer_len, &ka, 1);
		}
		sa->ka_packets_out = out;
		sa->ka_ike_msgid = sa->our_msgid;
	}
}

void client_move_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *c2 = ike_find_notify(m, N_COOKIE2);
	(void)d;
	if (!c2 || c2->len != sizeof(sa->cookie2) ||
	    CRYPTO_memcmp(c2->data, sa->cookie2, sizeof(sa->cookie2)) != 0) {
		/* RFC 4555 §3.5: the echo must match; the update itself was
		 * authenticated, so only log it */
		log_info(LOG_IKE, "%s: the server's answer to our address update has no matching "
		         "COOKIE2", ike_sa_tag(sa));
	}
	log_info(LOG_IKE, "%s: the server follows us to our new address", ike_sa_tag(sa));
}

int client_move_open(struct daemon *d)
{
	char err[256];
	struct timeval ka = { KEEPALIVE_SECS, 0 };
	/* keepalives need no netlink: they run even when it is refused */
	d->ka_timer = event_new(d->base, -1, EV_PERSIST, keepalive, d);
	if (!d->ka_timer || event_add(d->ka_timer, &ka) != 0)
		log_err(LOG_IKE, "cannot start the NAT keepalive timer");
	int fd = tun_addr_watch_open(err, sizeof(err));
	if (fd < 0) {
		log_err(LOG_IKE, "%s: cygnet will not notice when its own address changes (no "
		        "MOBIKE moves as a client)", err);
		return -1;
	}
	d->move_fd = fd;
	d->move_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_netlink, d);
	d->move_timer = evtimer_new(d->base, check_all, d);
	if (!d->move_ev || !d->move_timer || event_add(d->move_ev, NULL) != 0) {
		log_err(LOG_IKE, "out of memory: no MOBIKE moves as a client");
		return -1;
	}
	return 0;
}

void client_move_close(struct daemon *d)
{
	if (d->move_ev)
		event_free(d->move_ev);
	if (d->move_timer)
		event_free(d->move_timer);
	if (d->ka_timer)
		event_free(d->ka_timer);
	d->move_ev = d->move_timer = d->ka_timer = NULL;
	if (d->move_fd > 0)
		close(d->move_fd);
	d->move_fd = -1;
}
