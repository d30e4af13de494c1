/* The door between the control plane (IKE) and the data plane (ESP).
 *
 * The data plane owns every ESP SA (RFC 4303 in UDP, RFC 3948), the
 * packets of the TUN device and the ESP packets of the UDP/4500 sockets.
 * The control plane reaches it only through the calls below, made from
 * the control thread (the one running the event loop); it never sees a
 * struct esp_sa, and the data plane never parses IKE. strongSwan's
 * kernel_ipsec_t has the same shape towards the kernel.
 *
 *   dp_spi_new       an unused inbound SPI for a CHILD_SA being negotiated
 *   dp_sa_add        install an SA: keys, SPIs, selectors, endpoints, VIPs
 *                    (or none: a routed SA, found by its selectors)
 *   dp_sa_move       its outer endpoints changed (MOBIKE, NAT rebinding)
 *   dp_sa_set_owner  the IKE_SA it belongs to changed (IKE_SA rekey)
 *   dp_sa_del        remove it; its memory is freed after a grace period,
 *                    once no packet being processed can still hold it
 *   dp_sa_stats      read its counters
 *
 * and around them: dp_new (before privileges are dropped: it opens the
 * workers' sockets), dp_start (after: it starts the worker threads),
 * dp_stop/dp_free, dp_stats/dp_loop_stats (status), dp_set_mss (MSS
 * clamping, src/dp/mss.h), and dp_esp_input
 * + dp_esp_flush for ESP that reaches the main thread's own socket. How packets move
 * (threads, steering, batching, offloads): src/dp/dp_io.c.
 *
 * SAs are named by their inbound SPI, unique within one struct dp.
 *
 * The data plane answers with events (struct dp_event): an SA's peer
 * moved (authenticated ESP from a new address), its outbound sequence
 * numbers near their end or exhausted, the TUN device gone. They are
 * queued where they happen and handed to the callback given to dp_new
 * from the control thread's event loop, never from inside packet
 * processing, so the control plane may add, move and delete SAs from the
 * callback. When the queue is full an event is dropped and counted
 * (struct dp_stats); every kind is raised again by the next packet that
 * sees the same condition, so nothing is lost for good.
 *
 * One struct dp per daemon; nothing in it is global, so two can live in
 * one process (tests run a client and a server side by side). */
#ifndef CYGNET_DP_H
#define CYGNET_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct dp;

#define DP_KEY_MAX 64                   /* bytes of one encryption or integrity key */
#define DP_MAX_TS 16                    /* selectors per side (>= IKE_MAX_TS) */
#define DP_MAX_SOCKS 4                  /* UDP/4500 sockets: one per family today */
#define DP_MAX_WORKERS 16               /* packet threads (ESP_MAX_LANES) */

/* One negotiated traffic selector (RFC 7296 §3.13.1) as the data path
 * checks it: an address range of one family, an IP protocol (0 = any)
 * and a port range (0-65535 = any; for ICMP and ICMPv6 the range holds
 * type << 8 | code, RFC 7296 §3.13.1). */
struct esp_ts {
	uint8_t family;                     /* AF_INET or AF_INET6 */
	uint8_t proto;
	uint16_t sport, eport;              /* host order, inclusive */
	uint8_t start[16], end[16];         /* IPv4 in the first 4 bytes */
};

/* An SA's packet counters; every drop is counted under one reason. */
struct esp_counters {
	uint64_t bytes_in, packets_in;      /* inner bytes delivered to TUN */
	uint64_t bytes_out, packets_out;    /* inner bytes encapsulated */
	uint64_t drop_auth;                 /* ICV failed */
	uint64_t drop_replay;               /* outside window or seen before */
	uint64_t drop_spoof;                /* inner source not the peer's */
	uint64_t drop_malformed;            /* bad length, padding, next header */
	uint64_t drop_ts_in;                /* inbound inner packet outside the selectors */
	uint64_t drop_ts_out;               /* TUN packet for the peer outside the selectors */
	uint64_t drop_seq;                  /* outbound refused: sequence numbers exhausted */
	uint64_t drop_nomem;                /* no memory for a thread's cipher contexts */
};

/* adds every counter of c to to */
void esp_counters_add(struct esp_counters *to, const struct esp_counters *c);

/* the outer addresses of an SA's packets (UDP/4500, ports included) */
struct dp_endpoints {
	struct sockaddr_storage peer;       /* where the peer is now */
	struct sockaddr_storage local;      /* our address it talks to */
	socklen_t peer_len, local_len;
};

/* Everything dp_sa_add needs. The keys are copied; wipe the struct
 * afterwards with dp_sa_params_wipe. */
struct dp_sa_params {
	uint32_t spi_in, spi_out;           /* host order: ours, the peer's */
	uint16_t encr, keybits, integ;      /* crypto/algs.h ids, AUTH_NONE for AEAD */
	uint8_t ekey_in[DP_KEY_MAX], akey_in[DP_KEY_MAX];    /* as xform_new wants */
	uint8_t ekey_out[DP_KEY_MAX], akey_out[DP_KEY_MAX];
	bool has_akey;                      /* false for AEAD */
	/* local = ours, remote = the peer's; inbound packets must go remote
	 * -> local and outbound ones local -> remote. No selectors on a
	 * side: nothing passes. */
	struct esp_ts ts_local[DP_MAX_TS], ts_remote[DP_MAX_TS];
	int n_ts_local, n_ts_remote;
	/* the peer's virtual IPs: the inner source addresses it may send
	 * from and the destinations routed to it (a road-warrior client of
	 * ours). An SA with a VIP of one family only takes no packets of
	 * the other family: none sent to it, none accepted from it.
	 * Neither VIP: a routed SA (the peer is our VPN server, or a site):
	 * outbound packets for which no SA has the destination as its VIP
	 * use the newest routed SA whose selectors allow them (source in
	 * ts_local, destination in ts_remote); inbound packets may come from
	 * any source the selectors allow. The selectors are checked on every
	 * packet, in both directions, for VIP and routed SAs alike. */
	bool has_vip4, has_vip6;
	uint8_t vip4[4], vip6[16];
	struct dp_endpoints ep;
	uint32_t owner;                     /* the IKE_SA's id, returned in events */
};

struct dp_sa_stats {
	struct esp_counters ctr;
	uint64_t last_in;                   /* monotonic s of the last valid inbound packet */
	uint64_t seq_out;                   /* last sequence number sent */
};

/* one packet loop's counters */
struct dp_loop_stats {
	uint64_t esp_in, esp_out;           /* ESP packets decapsulated / sent */
	uint64_t tun_super, tun_bad;        /* TCP super-segments cut; unusable offload reads */
	uint64_t tun_coalesced;             /* packets written to TUN inside super-packets */
	uint64_t pushbacks;                 /* a full send buffer paused reading TUN */
	uint64_t udp_coalesced;             /* UDP GRO messages of several datagrams */
	uint64_t mss_clamped;               /* TCP SYNs whose MSS was lowered (src/dp/mss.h) */
	uint64_t unknown_spi, tun_write_err, send_full, send_err, events_dropped;
};

/* data-plane-wide counters (cygnetctl status) */
struct dp_stats {
	uint64_t sas, retired;              /* installed; deleted, waiting to be freed */
	uint64_t unknown_spi;               /* ESP for no SA */
	uint64_t tun_write_err;             /* write to TUN failed (down, queue full) */
	uint64_t send_full, send_err;       /* sendmsg: buffer full; other error */
	uint64_t events_dropped;            /* the event queue was full */
	uint64_t wrong_socket;              /* ESP on the control thread's socket while threaded */
	int loops;                          /* packet loops (lanes) */
	bool threaded;                      /* they are worker threads */
	/* the counters of every SA deleted since start, as they were when it
	 * was deleted (those of installed SAs: dp_sa_stats) */
	struct esp_counters deleted;
};

enum dp_event_kind {
	DP_EV_PEER_MOVED,                   /* authenticated ESP from ev.peer */
	DP_EV_SEQ_NEAR_END,                 /* seq_out passed ESP_SEQ_REKEY: rekey */
	DP_EV_SEQ_EXHAUSTED,                /* a packet was refused: no number left */
	DP_EV_TUN_GONE,                     /* the TUN device is gone (ev.err) */
};

struct dp_event {
	enum dp_event_kind kind;
	uint32_t owner, spi_in;             /* the SA's (not for TUN_GONE) */
	struct sockaddr_storage peer;       /* PEER_MOVED */
	socklen_t peer_len;
	int err;                            /* TUN_GONE: the errno */
	const char *op;                     /* TUN_GONE: "read" or "write" (static) */
};

typedef void dp_event_fn(void *arg, const struct dp_event *ev);

struct dp_params {
	struct event_base *base;            /* the control thread's loop */
	/* packet threads: 0 runs every packet on the control thread (tun_fd);
	 * N > 0 starts N workers at dp_start, worker i reading TUN queue
	 * tun_fds[i] and its own UDP sockets on natt_port, which join the
	 * SO_REUSEPORT group of the control thread's sockets there (those
	 * must have SO_REUSEPORT set, and be bound first); a BPF program
	 * steers each SA's ESP to one worker by SPI and everything else
	 * (IKE, keepalives) to the control thread's socket. */
	int workers;
	int tun_fds[DP_MAX_WORKERS];        /* non-blocking; not closed by dp_free */
	uint16_t natt_port;
	int tun_fd;                         /* workers == 0: non-blocking; not closed by dp_free */
	/* the device was opened with IFF_VNET_HDR: every read and write
	 * starts with a virtio-net header, and reads may carry partial
	 * checksums and TCP super-segments (TUNSETOFFLOAD) */
	bool tun_vnet;
	const char *tun_name;               /* for log lines */
	/* the UDP/4500 sockets to send ESP on (not closed by dp_free) */
	int sock_fd[DP_MAX_SOCKS], sock_family[DP_MAX_SOCKS];
	int n_socks;
	/* MSS clamping of TCP SYNs in both directions (src/dp/mss.h): the
	 * largest MSS let through for IPv4 and for IPv6, 0 = that family
	 * is not clamped (mss_limits computes them); dp_set_mss changes them */
	uint16_t mss4, mss6;
	dp_event_fn *on_event;
	void *arg;
};

/* NULL with a reason in err; without workers it reads the TUN device
 * from the event loop at once. With workers it opens their sockets: call
 * before dropping privileges (same owner as the control thread's
 * sockets). When the steering program cannot be attached, it runs without
 * workers (logged once). */
struct dp *dp_new(const struct dp_params *p, char *err, size_t errlen);
/* starts the worker threads, after privileges were dropped (so they run
 * with none); no-op without workers. 0, or -1 with a reason */
int dp_start(struct dp *dp, char *err, size_t errlen);
/* stops reading the TUN device (the daemon is stopping or it is gone) */
void dp_stop(struct dp *dp);
/* stops and joins the workers, frees every SA (keys wiped) and the
 * queues; NULL-safe */
void dp_free(struct dp *dp);

/* a fresh random SPI >= 256 that no installed SA uses; 0 when no random
 * bytes could be had (0 is never a valid SPI) */
uint32_t dp_spi_new(struct dp *dp);
/* 0, or -1 when the SPI is taken, the algorithms or keys are unusable,
 * the selectors are malformed, or memory is short */
int dp_sa_add(struct dp *dp, const struct dp_sa_params *p);
void dp_sa_params_wipe(struct dp_sa_params *p);
/* -1 when there is no SA spi_in */
int dp_sa_move(struct dp *dp, uint32_t spi_in, const struct dp_endpoints *ep);
int dp_sa_set_owner(struct dp *dp, uint32_t spi_in, uint32_t owner);
/* no-op for an unknown SPI */
void dp_sa_del(struct dp *dp, uint32_t spi_in);
int dp_sa_stats(struct dp *dp, uint32_t spi_in, struct dp_sa_stats *out);
void dp_stats(struct dp *dp, struct dp_stats *out);
/* the MSS clamp values (struct dp_params), from the control thread at
 * any time (a reload): each packet loop sees them from its next SYN on */
void dp_set_mss(struct dp *dp, uint16_t mss4, uint16_t mss6);
/* loop i's (0 .. dp_stats().loops - 1); -1 when there is none */
int dp_loop_stats(struct dp *dp, int i, struct dp_loop_stats *out);

/* an ESP packet (the UDP payload, SPI first, len bytes, decrypted in
 * place) that arrived on the control plane's UDP/4500 socket from peer.
 * Its inner packet may be held, to be written to the TUN device together
 * with others of the same receive batch: buf must stay as it is until
 * dp_esp_flush, which the caller calls at the end of each batch. */
void dp_esp_input(struct dp *dp, uint8_t *buf, size_t len,
                  const struct sockaddr *peer, socklen_t peer_len);
void dp_esp_flush(struct dp *dp);
/* without workers: a message of that socket held several datagrams
 * (UDP GRO), counted as the workers count theirs */
void dp_esp_coalesced(struct dp *dp);

#endif
