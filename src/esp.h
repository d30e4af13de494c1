/* The ESP data path (RFC 4303) in UDP (RFC 3948): per-SA packet transforms,
 * anti-replay, and the SA tables the data path looks packets up in.
 *
 * The control plane (IKE) meets the data path only here: esp_sa_new() +
 * esp_table_add() to install a CHILD_SA, esp_table_del() + esp_sa_free()
 * to remove it, and the counters in struct esp_sa to read. */
#ifndef CYGNET_ESP_H
#define CYGNET_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ESP_REPLAY_WINDOW 1024          /* bits, RFC 4303 §3.4.3: >= 64 */
#define ESP_MAX_PACKET 65535

struct xform;

struct esp_counters {
	uint64_t bytes_in, packets_in;      /* inner bytes delivered to TUN */
	uint64_t bytes_out, packets_out;    /* inner bytes encapsulated */
	uint64_t drop_auth;                 /* ICV failed */
	uint64_t drop_replay;               /* outside window or seen before */
	uint64_t drop_spoof;                /* inner source not the peer's */
	uint64_t drop_malformed;            /* bad length, padding, next header */
};

struct esp_sa {
	uint32_t spi_in;                    /* host order; ours, in inbound packets */
	uint32_t spi_out;                   /* host order; the peer's */
	struct xform *in, *out;
	uint64_t seq_out;                   /* last sequence number sent */
	/* anti-replay: highest sequence number seen and a bitmap of the
	 * window below it (bit i = top - i received) */
	uint64_t replay_top;
	uint64_t replay_map[ESP_REPLAY_WINDOW / 64];
	/* the peer's current outer address (UDP/4500 encapsulation) */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* our address the peer talks to (source of outbound packets) */
	struct sockaddr_storage local;
	socklen_t local_len;
	/* inner addresses the peer may send from and that route to it */
	bool has_vip4, has_vip6;
	uint8_t vip4[4], vip6[16];
	struct esp_counters ctr;
	uint64_t last_in;                   /* monotonic seconds of last valid inbound packet */
	uint32_t ike_id;                    /* owning IKE_SA, for the control plane */
	/* hash chains, owned by struct esp_table */
	struct esp_sa *next_spi, *next_v4, *next_v6;
};

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
 * (dummy packet) accepted and dropped; inner source address must be
 * the SA's virtual IP of that family.
 * Returns 1 with *inner, *innerlen pointing into pkt at the inner IP packet
 * to deliver, 0 for a valid packet with nothing to deliver (dummy), -1
 * when dropped (the matching counter is incremented). now = monotonic
 * seconds, stored in last_in. */
int esp_decap(struct esp_sa *sa, uint8_t *pkt, size_t len,
              uint8_t **inner, size_t *innerlen, uint64_t now);

/* Outbound: builds SPI | seq | IV | encrypted(ip | padding | padlen | nh)
 * | ICV in out (outsize bytes available) from the inner IP packet.
 * Returns the ESP packet length (the UDP payload), or -1 (sequence
 * number exhausted, packet too big). */
long esp_encap(struct esp_sa *sa, const uint8_t *ip, size_t iplen,
               uint8_t *out, size_t outsize);

/* SA lookup tables: by inbound SPI, by IPv4 and by IPv6 virtual IP. */
struct esp_table;
struct esp_table *esp_table_new(void);
void esp_table_free(struct esp_table *t);   /* frees the table, not the SAs */
int esp_table_add(struct esp_table *t, struct esp_sa *sa);  /* -1 on SPI clash */
void esp_table_del(struct esp_table *t, struct esp_sa *sa);
struct esp_sa *esp_table_by_spi(struct esp_table *t, uint32_t spi);
struct esp_sa *esp_table_by_dst(struct esp_table *t, const uint8_t *ip, size_t len);
/* a fresh random SPI >= 256 not in use */
uint32_t esp_table_new_spi(struct esp_table *t);

#endif
