/* The ESP data path: RFC 4303 packet transforms with anti-replay, and the
 * hash tables that map inbound SPIs and inner destination addresses to SAs.
 *
 * Packet layout (RFC 4303 §2, no ESN; UDP encapsulation per RFC 3948 is
 * the socket's business, pkt here is the UDP payload):
 *     SPI(4) | Seq(4) | IV | payload | padding | pad length | next header | ICV
 * SPI | Seq is the prefix that xform authenticates (and, for AEAD, uses as
 * AAD, RFC 4106 §5); everything from payload to next header is encrypted. */
#include "src/dp/esp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "crypto/xform.h"

#define ESP_HDR_LEN 8           /* SPI + sequence number */
#define ESP_TRAILER_LEN 2       /* pad length + next header */

#define NH_IPV4 4
#define NH_IPV6 41
#define NH_NONE 59

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- SA ---- */

struct esp_sa *esp_sa_new_lanes(int n_lanes, uint32_t spi_in, uint32_t spi_out,
                                uint16_t encr, uint16_t keybits, uint16_t integ,
                                const uint8_t *ekey_in, const uint8_t *akey_in,
                                const uint8_t *ekey_out, const uint8_t *akey_out)
{
	if (n_lanes < 1 || n_lanes > ESP_MAX_LANES)
		return NULL;
	struct esp_sa *sa = aligned_alloc(64, (sizeof(*sa) + (size_t)n_lanes * sizeof(sa->lane[0]) +
	                                       63) / 64 * 64);
	if (!sa)
		return NULL;
	memset(sa, 0, sizeof(*sa) + (size_t)n_lanes * sizeof(sa->lane[0]));
	atomic_flag_clear(&sa->replay_lock);
	sa->n_lanes = n_lanes;
	sa->spi_in = spi_in;
	sa->spi_out = spi_out;
	sa->encr = encr;
	sa->keybits = keybits;
	sa->integ = integ;
	size_t elen = xform_encr_keylen(encr, keybits), alen = xform_integ_keylen(integ);
	if (!elen || elen > DP_KEY_MAX || alen > DP_KEY_MAX || (alen && (!akey_in || !akey_out)))
		goto fail;
	memcpy(sa->ekey_in, ekey_in, elen);
	memcpy(sa->ekey_out, ekey_out, elen);
	sa->has_akey = alen != 0;
	if (alen) {
		memcpy(sa->akey_in, akey_in, alen);
		memcpy(sa->akey_out, akey_out, alen);
	}
	/* lane 0 now: proves the algorithms and keys usable */
	if (!esp_lane_ready(sa, 0))
		goto fail;
	return sa;
fail:
	esp_sa_free(sa);
	return NULL;
}

struct esp_sa *esp_sa_new(uint32_t spi_in, uint32_t spi_out,
                          uint16_t encr, uint16_t keybits, uint16_t integ,
                          const uint8_t *ekey_in, const uint8_t *akey_in,
                          const uint8_t *ekey_out, const uint8_t *akey_out)
{
	return esp_sa_new_lanes(1, spi_in, spi_out, encr, keybits, integ, ekey_in, akey_in,
	                        ekey_out, akey_out);
}

bool esp_lane_ready(struct esp_sa *sa, int lane)
{
	struct esp_lane *l = &sa->lane[lane];
	if (l->in && l->out)
		return true;
	const uint8_t *ai = sa->has_akey ? sa->akey_in : NULL, *ao = sa->has_akey ? sa->akey_out : NULL;
	struct xform *in = xform_new(sa->encr, sa->keybits, sa->integ, sa->ekey_in, ai);
	struct xform *out = xform_new(sa->encr, sa->keybits, sa->integ, sa->ekey_out, ao);
	/* the data path assumes these; a broken xform must not make it
	 * divide by zero or overrun */
	if (!in || !out || xform_block_len(in) == 0 || xform_block_len(out) == 0 ||
	    xform_block_len(out) > 255) {
		xform_free(in);
		xform_free(out);
		return false;
	}
	l->in = in;
	l->out = out;
	return true;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (!sa)
		return;
	for (int i = 0; i < sa->n_lanes; i++) {
		xform_free(sa->lane[i].in);     /* wipes the keys */
		xform_free(sa->lane[i].out);
	}
	OPENSSL_cleanse(sa->ekey_in, sizeof(sa->ekey_in));
	OPENSSL_cleanse(sa->akey_in, sizeof(sa->akey_in));
	OPENSSL_cleanse(sa->ekey_out, sizeof(sa->ekey_out));
	OPENSSL_cleanse(sa->akey_out, sizeof(sa->akey_out));
	free(atomic_load_explicit(&sa->ep, memory_order_relaxed));
	free(sa);
}

void esp_counters_add(struct esp_counters *to, const struct esp_counters *c)
{
	to->bytes_in += c->bytes_in;
	to->packets_in += c->packets_in;
	to->bytes_out += c->bytes_out;
	to->packets_out += c->packets_out;
	to->drop_auth += c->drop_auth;
	to->drop_replay += c->drop_replay;
	to->drop_spoof += c->drop_spoof;
	to->drop_malformed += c->drop_malformed;
	to->drop_ts_in += c->drop_ts_in;
	to->drop_ts_out += c->drop_ts_out;
	to->drop_seq += c->drop_seq;
	to->drop_nomem += c->drop_nomem;
}

struct esp_counters esp_ctr(const struct esp_sa *sa)
{
	struct esp_counters t;
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < sa->n_lanes; i++)
		esp_counters_add(&t, &sa->lane[i].ctr);
	return t;
}

static void replay_lock(struct esp_sa *sa)
{
	while (atomic_flag_test_and_set_explicit(&sa->replay_lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static void replay_unlock(struct esp_sa *sa)
{
	atomic_flag_clear_explicit(&sa->replay_lock, memory_order_release);
}

/* ---- anti-replay, RFC 4303 §3.4.3 and Appendix A ----
 * replay_top is the highest sequence number authenticated so far;
 * bit i of replay_map (word i / 64, bit i % 64) records top - i. */

static bool replay_check(const struct esp_sa *sa, uint64_t seq)
{
	if (seq == 0)
		return false;
	if (seq > sa->replay_top)
		return true;
	uint64_t off = sa->replay_top - seq;
	if (off >= ESP_REPLAY_WINDOW)
		return false;
	return !(sa->replay_map[off / 64] >> (off % 64) & 1);
}

/* call only after replay_check() passed and the ICV verified */
static void replay_update(struct esp_sa *sa, uint64_t seq)
{
	const size_t words = ESP_REPLAY_WINDOW / 64;
	if (seq > sa->replay_top) {
		uint64_t shift = seq - sa->replay_top;
		if (shift >= ESP_REPLAY_WINDOW) {
			memset(sa->replay_map, 0, sizeof(sa->replay_map));
		} else {
			size_t ws = (size_t)(shift / 64);
			unsigned bs = (unsigned)(shift % 64);
			/* from the top word down, so each source word is read
			 * before it is overwritten */
			for (size_t w = words; w-- > 0;) {
				uint64_t v = 0;
				if (w >= ws) {
					v = sa->replay_map[w - ws] << bs;
					if (bs && w > ws)
						v |= sa->replay_map[w - ws - 1] >> (64 - bs);
				}
				sa->replay_map[w] = v;
			}
		}
		sa->replay_top = seq;
		sa->replay_map[0] |= 1;
	} else {
		uint64_t off = sa->replay_top - seq;
		sa->replay_map[off / 64] |= (uint64_t)1 << (off % 64);
	}
}

/* ---- inbound ---- */

/* Checks the inner IP header of a decrypted payload and, unless the SA is
 * routed, its source address; trims *len to the packet's own total length. 0, or -1 with the
 * counter to blame in *spoof (true: drop_spoof, false: drop_malformed). */
static int check_inner(const struct esp_sa *sa, uint8_t nh, const uint8_t *ip,
                       size_t *len, bool *spoof)
{
	*spoof = false;
	if (nh == NH_IPV4) {
		if (*len < 20 || ip[0] >> 4 != 4)
			return -1;
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
		size_t tot = (size_t)ip[2] << 8 | ip[3];
		if (ihl < 20 || tot < ihl || tot > *len)
			return -1;
		*len = tot;
		if (esp_sa_routed(sa))
			return 0;
		if (!sa->has_vip4 || memcmp(ip + 12, sa->vip4, 4) != 0) {
			*spoof = true;
			return -1;
		}
		return 0;
	}
	if (nh == NH_IPV6) {
		if (*len < 40 || ip[0] >> 4 != 6)
			return -1;
		size_t tot = 40 + ((size_t)ip[4] << 8 | ip[5]);
		if (tot > *len)
			return -1;
		*len = tot;
		if (esp_sa_routed(sa))
			return 0;
		if (!sa->has_vip6 || memcmp(ip + 8, sa->vip6, 16) != 0) {
			*spoof = true;
			return -1;
		}
		return 0;
	}
	return -1;
}

int esp_decap(struct esp_sa *sa, uint8_t *pkt, size_t len,
              uint8_t **inner, size_t *innerlen, uint64_t now)
{
	return esp_decap_lane(sa, 0, pkt, len, inner, innerlen, now);
}

int esp_decap_lane(struct esp_sa *sa, int lane, uint8_t *pkt, size_t len,
                   uint8_t **inner, size_t *innerlen, uint64_t now)
{
	struct esp_lane *l = &sa->lane[lane];
	struct esp_counters *ctr = &l->ctr;
	*inner = NULL;
	*innerlen = 0;
	if (!esp_lane_ready(sa, lane)) {
		ctr->drop_nomem++;
		return -1;
	}
	size_t ivlen = xform_iv_len(l->in);
	size_t icvlen = xform_icv_len(l->in);
	size_t blk = xform_block_len(l->in);
	int ret = -1;

	*inner = NULL;
	*innerlen = 0;

	/* lengths: header, IV, at least the trailer, ICV; ciphertext in
	 * whole blocks (RFC 4303 §2.4: 4-byte aligned at least) */
	if (len > ESP_MAX_PACKET || len < ESP_HDR_LEN + ivlen + icvlen + ESP_TRAILER_LEN)
		goto malformed;
	size_t ctlen = len - ESP_HDR_LEN - ivlen - icvlen;
	if (ctlen % blk != 0 || ctlen % 4 != 0)
		goto malformed;
	if (get_be32(pkt) != sa->spi_in)
		goto malformed;

	uint64_t seq = get_be32(pkt + 4);
	replay_lock(sa);
	bool fresh = replay_check(sa, seq);
	replay_unlock(sa);
	if (!fresh) {
		ctr->drop_replay++;
		goto out;
	}

	uint8_t *iv = pkt + ESP_HDR_LEN;
	uint8_t *ct = iv + ivlen;
	uint8_t *icv = ct + ctlen;
	if (xform_open(l->in, pkt, ESP_HDR_LEN, iv, ct, ctlen, icv) != 0) {
		ctr->drop_auth++;
		goto out;
	}
	/* authentic: only now may the window move, and only if no other
	 * lane took the same number meanwhile. The peer is alive even if
	 * what it sent turns out to be malformed below. */
	replay_lock(sa);
	fresh = replay_check(sa, seq);
	if (fresh)
		replay_update(sa, seq);
	replay_unlock(sa);
	if (!fresh) {
		ctr->drop_replay++;
		goto out;
	}
	atomic_store_explicit(&sa->last_in, now, memory_order_relaxed);

	uint8_t padlen = ct[ctlen - 2];
	uint8_t nh = ct[ctlen - 1];
	if ((size_t)padlen + ESP_TRAILER_LEN > ctlen)
		goto malformed;
	size_t plen = ctlen - ESP_TRAILER_LEN - padlen;
	for (size_t i = 0; i < padlen; i++) {
		if (ct[plen + i] != (uint8_t)(i + 1))
			goto malformed;
	}
	if (nh == NH_NONE) {
		/* dummy packet, RFC 4303 §2.6: valid, discarded */
		ret = 0;
		goto out;
	}
	bool spoof;
	if (check_inner(sa, nh, ct, &plen, &spoof) != 0) {
		if (spoof)
			ctr->drop_spoof++;
		else
			ctr->drop_malformed++;
		goto out;
	}
	if (!esp_ts_allows(sa, ct, plen, true)) {
		ctr->drop_ts_in++;
		goto out;
	}
	*inner = ct;
	*innerlen = plen;
	ctr->packets_in++;
	ctr->bytes_in += plen;
	ret = 1;
	goto out;

malformed:
	ctr->drop_malformed++;
out:
	return ret;
}

/* ---- outbound ---- */

long esp_encap(struct esp_sa *sa, const uint8_t *ip, size_t iplen,
               uint8_t *out, size_t outsize)
{
	return esp_encap_lane(sa, 0, ip, iplen, out, outsize);
}

/* the next sequence number, or 0 when none is left (RFC 4303 §3.3.3:
 * rekey, never wrap) */
static uint64_t seq_take(struct esp_sa *sa)
{
	uint64_t s = atomic_load_explicit(&sa->seq_out, memory_order_relaxed);
	do {
		if (s >= ESP_SEQ_MAX)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&sa->seq_out, &s, s + 1,
	                                                memory_order_relaxed,
	                                                memory_order_relaxed));
	return s + 1;
}

long esp_encap_lane(struct esp_sa *sa, int lane, const uint8_t *ip, size_t iplen,
                    uint8_t *out, size_t outsize)
{
	struct esp_lane *l = &sa->lane[lane];
	if (!esp_lane_ready(sa, lane)) {
		l->ctr.drop_nomem++;
		return -1;
	}
	size_t ivlen = xform_iv_len(l->out);
	size_t icvlen = xform_icv_len(l->out);
	size_t blk = xform_block_len(l->out);
	uint8_t nh;

	if (iplen == 0)
		return -1;
	switch (ip[0] >> 4) {
	case 4: nh = NH_IPV4; break;
	case 6: nh = NH_IPV6; break;
	default: return -1;
	}
	/* pad so payload + padding + trailer fills whole cipher blocks and
	 * is 4-byte aligned (RFC 4303 §2.4) */
	size_t unit = blk % 4 == 0 ? blk : blk * 4;
	if (iplen > ESP_MAX_PACKET)
		return -1;
	size_t padlen = (unit - (iplen + ESP_TRAILER_LEN) % unit) % unit;
	size_t ctlen = iplen + padlen + ESP_TRAILER_LEN;
	size_t total = ESP_HDR_LEN + ivlen + ctlen + icvlen;
	if (total > ESP_MAX_PACKET || total > outsize || padlen > 255)
		return -1;
	uint64_t seq = seq_take(sa);
	if (!seq) {
		l->ctr.drop_seq++;
		atomic_store(&sa->seq_refused, true);
		return -1;
	}

	uint8_t *iv = out + ESP_HDR_LEN;
	uint8_t *buf = iv + ivlen;
	/* memmove: the caller may have read the packet into place already */
	memmove(buf, ip, iplen);
	for (size_t i = 0; i < padlen; i++)
		buf[iplen + i] = (uint8_t)(i + 1);
	buf[iplen + padlen] = (uint8_t)padlen;
	buf[iplen + padlen + 1] = nh;

	put_be32(out, sa->spi_out);
	put_be32(out + 4, (uint32_t)seq);
	/* AEAD: the sequence number is the IV (unique per SA and key) */
	if (xform_seal_seq(l->out, seq, out, ESP_HDR_LEN, iv, buf, ctlen, buf + ctlen) != 0)
		return -1;
	l->ctr.packets_out++;
	l->ctr.bytes_out += iplen;
	return (long)total;
}

enum esp_seq_event esp_seq_event(struct esp_sa *sa)
{
	/* exchanges: of several lanes, one reports */
	if (atomic_load(&sa->seq_refused) && !atomic_exchange(&sa->seq_exhausted_told, true)) {
		atomic_store(&sa->seq_near_end_told, true);  /* past it too: one message is enough */
		return ESP_SEQ_EXHAUSTED;
	}
	if (atomic_load(&sa->seq_out) > ESP_SEQ_REKEY &&
	    !atomic_exchange(&sa->seq_near_end_told, true))
		return ESP_SEQ_NEAR_END;
	return ESP_SEQ_NONE;
}
