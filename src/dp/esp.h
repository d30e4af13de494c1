/* The ESP data path (RFC 4303) in UDP (RFC 3948): per-SA packet transforms,
 * anti-replay, and the SA tables the data path looks packets up in.
 *
 * Private to the data plane (src/dp/): the control plane reaches SAs
 * only through src/dp/dp.h. Unit tests and fuzz targets use it directly. */
#ifndef CYGNET_ESP_H
#define CYGNET_ESP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "src/dp/dp.h"

#define ESP_REPLAY_WINDOW 1024          /* bits, RFC 4303 §3.4.3: >= 64 */
#define ESP_MAX_PACKET 65535
#define ESP_MAX_TS DP_MAX_TS            /* selectors per side */
/* Without ESN the outbound sequence number must never wrap (RFC 4303
 * §3.3.3). Past ESP_SEQ_REKEY the control plane is asked to rekey the
 * CHILD_SA: 2^24 packets before the end, which at 1 Mpps is 16 s and at
 * the rates cygnet reaches today minutes, enough for a CREATE_CHILD_SA
 * round trip with retransmits; the last number is ESP_SEQ_MAX. */
#define ESP_SEQ_MAX 0xffffffffu
#define ESP_SEQ_REKEY (ESP_SEQ_MAX - (1u << 24))

struct xform;

/* what the control plane must hear about the outbound sequence numbers */
enum esp_seq_event {
	ESP_SEQ_NONE,
	ESP_SEQ_NEAR_END,                   /* seq_out passed ESP_SEQ_REKEY: rekey */
	ESP_SEQ_EXHAUSTED,                  /* a packet was refused: no number left */
};

/* What one packet loop (a lane: the event loop's, or one worker thread's)
 * owns of an SA: its own cipher contexts, made the first time the lane
 * uses the SA (lane 0's at once) and kept, and its own counters, so no
 * two threads write the same cache line per packet. An SA's inbound
 * packets reach one worker, and its outbound ones the few whose TUN
 * queues carry its flows, so most lanes never make contexts. */
struct esp_lane {
	struct xform *in, *out;
	struct esp_counters ctr;
} __attribute__((aligned(64)));

#define ESP_MAX_LANES 16

/* the outer addresses of an SA, replaced as a whole (never written in
 * place) so a lane that reads them sees one consistent pair */
struct esp_ep {
	struct sockaddr_storage peer;       /* the peer's current address */
	struct sockaddr_storage local;      /* ours it talks to (source of ours) */
	socklen_t peer_len, local_len;
	struct esp_ep *next_retired;
	uint64_t retired_epoch;
};

struct esp_sa {
	uint32_t spi_in;                    /* host order; ours, in inbound packets */
	uint32_t spi_out;                   /* host order; the peer's */
	int n_lanes;
	/* what the lanes' contexts are made from (wiped at free) */
	uint16_t encr, keybits, integ;
	bool has_akey;
	uint8_t ekey_in[DP_KEY_MAX], akey_in[DP_KEY_MAX];
	uint8_t ekey_out[DP_KEY_MAX], akey_out[DP_KEY_MAX];
	/* last sequence number sent; lanes reserve numbers atomically */
	_Atomic uint64_t seq_out;
	/* anti-replay under replay_lock: highest sequence number seen and a
	 * bitmap of the window below it (bit i = top - i received) */
	atomic_flag replay_lock;
	uint64_t replay_top;
	uint64_t replay_map[ESP_REPLAY_WINDOW / 64];
	struct esp_ep *_Atomic ep;          /* NULL until set */
	/* inner addresses the peer may send from and that route to it;
	 * neither: a routed SA (esp_sa_routed) */
	bool has_vip4, has_vip6;
	uint8_t vip4[4], vip6[16];
	/* the CHILD_SA's negotiated selectors: local = ours, remote = the
	 * peer's. Inbound packets must go remote -> local, outbound ones
	 * local -> remote; an SA without selectors passes nothing. */
	struct esp_ts ts_local[ESP_MAX_TS], ts_remote[ESP_MAX_TS];
	int n_ts_local, n_ts_remote;
	/* sequence-number events already reported (each once per SA) */
	atomic_bool seq_near_end_told, seq_exhausted_told, seq_refused;
	_Atomic uint64_t last_in;           /* monotonic seconds of last valid inbound packet */
	_Atomic uint32_t owner;             /* owning IKE_SA, named in events */
	/* a PEER_MOVED event is queued (cleared by the control thread) and
	 * when the last one was raised, monotonic seconds */
	atomic_bool move_pending;
	_Atomic uint64_t move_told_at;
	/* deleted, waiting for its grace period (src/dp/dp.c) */
	struct esp_sa *next_retired;
	uint64_t retired_epoch;
	struct esp_lane lane[];             /* n_lanes */
};

/* An SA without any virtual IP is routed: outbound packets find it by its
 * selectors (esp_table_out), inbound ones need no particular source
 * address, only the selectors. One VIP of either family makes it a VIP SA
 * for both families. */
static inline bool esp_sa_routed(const struct esp_sa *sa)
{
	return !sa->has_vip4 && !sa->has_vip6;
}

/* makes lane's cipher contexts if it has none yet; false when memory is
 * short (the packet is dropped, the caller counts it) */
bool esp_lane_ready(struct esp_sa *sa, int lane);

/* the SA's counters summed over its lanes */
struct esp_counters esp_ctr(const struct esp_sa *sa);

/* Creates an SA with n_lanes (1..ESP_MAX_LANES) sets of cipher contexts;
 * esp_sa_new makes one. */
struct esp_sa *esp_sa_new_lanes(int n_lanes, uint32_t spi_in, uint32_t spi_out,
                                uint16_t encr, uint16_t keybits, uint16_t integ,
                                const uint8_t *ekey_in, const uint8_t *akey_in,
                                const uint8_t *ekey_out, const uint8_t *akey_out);
/* Creates an SA from keys (encr/integ per enum ids; key lengths as
 * xform_encr_keylen()/xform_integ_keylen()). NULL on failure. */
struct esp_sa *esp_sa_new(uint32_t spi_in, uint32_t spi_out,
                          uint16_t encr, uint16_t keybits, uint16_t integ,
                          const uint8_t *ekey_in, const uint8_t *akey_in,
                          const uint8_t *ekey_out, const uint8_t *akey_out);
void esp_sa_free(struct esp_sa *sa);   /* NULL-safe; wipes keys */

/* Inbound: pkt is the UDP payload (SPI first), len bytes, decrypted in
 * place. Steps: length checks; anti-replay check; ICV check + decrypt;
 * replay window update (only after the ICV verified); padding check
 * (1, 2, 3, ... as RFC 4303 §2.4 says); next header 4 (IPv4) or 41
 * (IPv6) with a well-formed inner header whose length fits, and 59
 * (dummy packet) accepted and dropped; unless the SA is routed
 * (esp_sa_routed), the inner source address must be the SA's virtual IP
 * of that family (else drop_spoof; an SA with a VIP of the other family
 * only drops every packet of this one so); every packet, routed SA or
 * not, must then match the SA's selectors, source in a remote one and
 * destination in a local one (esp_ts_allows, else drop_ts_in).
 * Returns 1 with *inner, *innerlen pointing into pkt at the inner IP packet
 * to deliver, 0 for a valid packet with nothing to deliver (dummy), -1
 * when dropped (the matching counter is incremented). now = monotonic
 * seconds, stored in last_in. */
int esp_decap(struct esp_sa *sa, uint8_t *pkt, size_t len,
              uint8_t **inner, size_t *innerlen, uint64_t now);
/* the same on lane (0..n_lanes-1): its contexts and counters. Any number
 * of lanes may decapsulate for one SA at the same time: the replay
 * window is checked before decryption and checked again and moved after
 * it under the SA's lock (as the kernel does), so it stays exact. */
int esp_decap_lane(struct esp_sa *sa, int lane, uint8_t *pkt, size_t len,
                   uint8_t **inner, size_t *innerlen, uint64_t now);

/* Outbound: builds SPI | seq | IV | encrypted(ip | padding | padlen | nh)
 * | ICV in out (outsize bytes available) from the inner IP packet.
 * Returns the ESP packet length (the UDP payload), or -1 (sequence
 * number exhausted: drop_seq counted; packet too big). The selectors are
 * the caller's business (esp_table_out). */
long esp_encap(struct esp_sa *sa, const uint8_t *ip, size_t iplen,
               uint8_t *out, size_t outsize);
/* the same on lane; each packet's sequence number is reserved atomically */
long esp_encap_lane(struct esp_sa *sa, int lane, const uint8_t *ip, size_t iplen,
                    uint8_t *out, size_t outsize);

/* After esp_encap: ESP_SEQ_NEAR_END the first time seq_out has passed
 * ESP_SEQ_REKEY, ESP_SEQ_EXHAUSTED the first time a packet was refused
 * for want of sequence numbers, ESP_SEQ_NONE otherwise. Each event is
 * returned once in the SA's life, so the caller may log and act on it. */
enum esp_seq_event esp_seq_event(struct esp_sa *sa);

/* Copies the negotiated selectors into sa (at most ESP_MAX_TS a side);
 * -1 when there are too many or a family is not AF_INET/AF_INET6. */
int esp_sa_set_ts(struct esp_sa *sa, const struct esp_ts *local, int n_local,
                  const struct esp_ts *remote, int n_remote);

/* Whether the IP packet (ip, len) is inside sa's selectors: inbound
 * (from the peer) source in a remote selector and destination in a local
 * one, outbound the other way round. Address, protocol and ports are
 * checked; the rules for packets whose ports cannot be read (non-first
 * fragments, ICMP, truncated headers) are in src/esp_ts.c. A malformed
 * header is not allowed. No allocation. */
bool esp_ts_allows(const struct esp_sa *sa, const uint8_t *ip, size_t len, bool inbound);
/* Whether the destination address of the IP packet (ip, len) lies in one
 * of sa's remote selectors, protocol and ports aside (whom an outbound
 * packet that no selector allows is blamed on). A malformed header: no. */
bool esp_ts_has_dst(const struct esp_sa *sa, const uint8_t *ip, size_t len);

/* SA lookup tables (src/dp/sa_table.c): by inbound SPI, by IPv4 and by
 * IPv6 virtual IP, and the routed SAs (no virtual IP) by their selectors.
 * Changed by one thread (add, del), read by any number
 * at the same time without a lock; what a change unlinks is freed by
 * esp_table_reclaim once no reader can hold it (see sa_table.c). */
struct esp_table;
struct esp_table *esp_table_new(void);
/* frees the table and its nodes (retired or not), not the SAs; NULL-safe */
void esp_table_free(struct esp_table *t);
int esp_table_add(struct esp_table *t, struct esp_sa *sa);  /* -1 on SPI clash or no memory */
void esp_table_del(struct esp_table *t, struct esp_sa *sa); /* no-op when not in t */
/* the epoch every add and del advances: a reader that has seen epoch E
 * holds nothing unlinked at or before E once it passes a quiescent point */
uint64_t esp_table_epoch(const struct esp_table *t);
/* publishes a new epoch and returns it: what the caller replaced before
 * (an SA's endpoints) is retired with it */
uint64_t esp_table_advance(struct esp_table *t);
/* frees what was unlinked at epochs <= safe */
void esp_table_reclaim(struct esp_table *t, uint64_t safe);
struct esp_sa *esp_table_by_spi(struct esp_table *t, uint32_t spi);
/* some SA of the table, NULL when it is empty (to empty it) */
struct esp_sa *esp_table_any(struct esp_table *t);
/* the newest SA whose virtual IP is the packet's destination, selectors
 * aside; routed SAs are never found here. NULL when there is none */
struct esp_sa *esp_table_by_dst(struct esp_table *t, const uint8_t *ip, size_t len);
/* The SA to send an IP packet from the TUN device with: the newest SA of
 * its destination's virtual IP whose selectors allow it; when no SA has
 * that virtual IP (and only then), the newest routed SA whose selectors
 * allow it (source in a local selector, destination in a remote one).
 * NULL when there is none. A refused packet is counted in drop_ts_out on
 * lane: of the newest SA of the destination's virtual IP when there is
 * one, else of the newest routed SA whose remote selectors hold the
 * destination address; a packet for a destination no SA covers is not
 * counted. */
struct esp_sa *esp_table_out(struct esp_table *t, int lane, const uint8_t *ip, size_t len);
/* a fresh random SPI >= 256 not in use */
uint32_t esp_table_new_spi(struct esp_table *t);

#endif
