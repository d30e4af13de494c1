/* Received IKE datagrams: header checks, IKE_SA lookup, message IDs and
 * retransmissions, decryption, payload rules, dispatch by exchange. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "crypto/xform.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"

/* the peer's address for a log line (a static buffer: one use per line) */
static const char *peer_text(const struct sockaddr *a)
{
	static _Thread_local char buf[INET6_ADDRSTRLEN + 8];
	return addr_format(a, buf, sizeof(buf));
}

void ike_reply_notify(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                      uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t buf[512];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_notify(&w, 0, NULL, 0, type, data, len);
	log_info(LOG_IKE, "%s: answering %s %u with %s", ike_sa_tag(sa),
	         ike_exchange_name(m->hdr.exchange), m->hdr.msgid, ike_notify_name(type));
	ike_sa_send_encrypted(d, sa, m->hdr.exchange, true, m->hdr.msgid, &w);
}

/* Answers to retransmitted requests cost us a send each and need no key:
 * anyone who saw one message of the SA can replay it. At most
 * RESENDS_PER_SEC a second per IKE_SA; a real peer retransmits far
 * more slowly (RFC 7296 §2.1: seconds, with back-off). */
#define RESENDS_PER_SEC 3
static bool resend_allowed(struct ike_sa *sa)
{
	uint64_t now = now_sec();
	if (sa->resend_sec != now) {
		sa->resend_sec = now;
		sa->resends = 0;
	}
	if (sa->resends >= RESENDS_PER_SEC) {
		log_dbg(LOG_IKE, "%s: more than %d retransmitted requests this second, not "
		        "answering", ike_sa_tag(sa), RESENDS_PER_SEC);
		return false;
	}
	sa->resends++;
	return true;
}

/* verifies and decrypts the SK/SKF payload in place (buf is our private
 * copy); the plaintext without padding in *pt, *ptlen; 0 on success */
static int open_sk(struct ike_sa *sa, const struct ike_msg *m, uint8_t *buf,
                   uint8_t **pt, size_t *ptlen)
{
	size_t ivlen = xform_iv_len(sa->x_in), icvlen = xform_icv_len(sa->x_in);
	if (m->sk_len < ivlen + icvlen + 1)
		return -1;
	size_t ctlen = m->sk_len - ivlen - icvlen;
	uint8_t *iv = buf + m->sk_off;
	uint8_t *ct = iv + ivlen;
	if (xform_open(sa->x_in, buf, m->sk_off, iv, ct, ctlen, ct + ctlen) != 0)
		return -1;
	uint8_t padlen = ct[ctlen - 1];
	if ((size_t)padlen + 1 > ctlen)
		return -1;
	*pt = ct;
	*ptlen = ctlen - padlen - 1;
	return 0;
}

/* decrypts and parses the inner chain: 0, -1 integrity, -2 syntax */
static int decrypt(struct ike_sa *sa, struct ike_msg *m, uint8_t *buf)
{
	uint8_t *pt;
	size_t ptlen;
	if (open_sk(sa, m, buf, &pt, &ptlen) != 0)
		return -1;
	return ike_parse_inner(m, pt, ptlen) == IKE_OK ? 0 : -2;
}

/* one fragment of a request (RFC 7383 §2.6): each is verified on its
 * own; memory is bounded by IKE_MAX_FRAGS and IKE_MAX_MSG per IKE_SA.
 * Returns 1 when the message is complete (m then holds the inner chain),
 * 0 while waiting for more, -1 to drop, -2 on a syntax error. */
static int frag_add(struct ike_sa *sa, struct frag_in *f, struct ike_msg *m, uint8_t *buf)
{
	if (!sa->cfg || sa->cfg->conn->fragmentation == FRAG_NO)
		return -1;
	if (m->frag_total > IKE_MAX_FRAGS)
		return -1;
	int idx = m->frag_num - 1;
	bool same = f->total && f->msgid == m->hdr.msgid;
	if (same && m->frag_total < f->total)
		return -1;              /* fewer fragments than announced before */
	if (same && m->frag_total == f->total && f->part[idx])
		return 0;               /* duplicate */
	/* verified before it may change anything: a forged fragment must
	 * not reset a reassembly in progress */
	uint8_t *pt;
	size_t ptlen;
	if (open_sk(sa, m, buf, &pt, &ptlen) != 0)
		return -1;
	if (f->total && (!same || m->frag_total > f->total))
		ike_sa_frag_reset(f);   /* a newer message, or more fragments */
	if (f->bytes + ptlen > IKE_MAX_MSG) {
		OPENSSL_cleanse(pt, ptlen);
		ike_sa_frag_reset(f);
		return -1;
	}
	f->msgid = m->hdr.msgid;
	f->total = m->frag_total;
	f->part[idx] = malloc(ptlen ? ptlen : 1);
	if (!f->part[idx])
		return -1;
	memcpy(f->part[idx], pt, ptlen);
	OPENSSL_cleanse(pt, ptlen);
	f->part_len[idx] = ptlen;
	f->bytes += ptlen;
	if (m->frag_num == 1)
		f->first = m->sk_next;
	if (++f->have < f->total)
		return 0;
	f->whole = malloc(f->bytes ? f->bytes : 1);
	if (!f->whole) {
		ike_sa_frag_reset(f);
		return -1;
	}
	size_t off = 0;
	for (int i = 0; i < f->total; i++) {
		memcpy(f->whole + off, f->part[i], f->part_len[i]);
		off += f->part_len[i];
	}
	log_dbg(LOG_ENC, "%s: reassembled %s %s %u from %u fragments (%zu bytes)",
	        ike_sa_tag(sa), ike_exchange_name(m->hdr.exchange),
	        m->hdr.flags & IKE_FLAG_RESPONSE ? "response" : "request", m->hdr.msgid, f->total,
	        off);
	m->sk_next = f->first;
	return ike_parse_inner(m, f->whole, off) == IKE_OK ? 1 : -2;
}

static void handle_protected(struct daemon *d, struct ike_sa *sa, uint8_t *buf, size_t len,
                             const struct sockaddr *peer, socklen_t peer_len,
                             const struct sockaddr *local, socklen_t local_len)
{
	static struct ike_msg m;
	int rc = ike_parse(buf, len, &m);
	if (rc != IKE_OK && rc != IKE_ERR_CRITICAL) {
		log_info(LOG_ENC, "%s: dropping malformed message from %s", ike_sa_tag(sa),
		         peer_text(peer));
		return;
	}
	bool response = m.hdr.flags & IKE_FLAG_RESPONSE;
	if (response) {
		/* an answer to our outstanding request (DPD, DELETE, rekey) */
		if (sa->req_kind == REQ_NONE || m.hdr.msgid != sa->req_msgid || !m.has_sk ||
		    rc != IKE_OK || m.hdr.exchange != sa->req_exchange)
			return;
		if (m.frag_total) {
			/* a fragmented response (a server's certificates) */
			rc = frag_add(sa, &sa->frag_resp, &m, buf);
			if (rc != 1) {
				if (rc == -2)
					ike_sa_frag_reset(&sa->frag_resp);
				return;
			}
		} else if (decrypt(sa, &m, buf) != 0) {
			return;
		}
		if (ike_verify(&m, true) != IKE_OK) {
			char sum[256];
			ike_msg_summary(&m, sum, sizeof(sum));
			log_info(LOG_ENC, "%s: payloads not allowed in this response: %s",
			         ike_sa_tag(sa), sum);
			ike_sa_frag_reset(&sa->frag_resp);
			return;
		}
		if (log_enabled(LOG_ENC, 1)) {
			char sum[256];
			ike_msg_summary(&m, sum, sizeof(sum));
			log_info(LOG_ENC, "%s: received %s response: %s", ike_sa_tag(sa),
			         ike_exchange_name(m.hdr.exchange), sum);
		}
		sa->last_in = now_sec();
		ike_sa_update_addrs(sa, peer, peer_len, local, local_len);
		ike_sa_response(d, sa, &m);
		ike_sa_frag_reset(&sa->frag_resp);
		ike_sa_reap(d);
		return;
	}
	if (!(m.hdr.flags & IKE_FLAG_INITIATOR) == !sa->initiator) {
		log_dbg(LOG_ENC, "%s: request without the initiator flag, dropped", ike_sa_tag(sa));
		return;
	}
	if (m.hdr.msgid + 1 == sa->msgid_next && sa->resp.n) {
		/* of a fragmented retransmission, only the first fragment
		 * triggers the answer (RFC 7383 §2.6.1) */
		if (m.frag_total && m.frag_num != 1)
			return;
		if (!resend_allowed(sa))
			return;
		log_info(LOG_IKE, "%s: retransmitted %s request %u, sending the response again",
		         ike_sa_tag(sa), ike_exchange_name(m.hdr.exchange), m.hdr.msgid);
		ike_sa_resend(d, sa, &sa->resp);
		return;
	}
	if (m.hdr.msgid != sa->msgid_next) {
		log_dbg(LOG_IKE, "%s: message ID %u outside the window (expected %u), dropped",
		        ike_sa_tag(sa), m.hdr.msgid, sa->msgid_next);
		return;
	}
	if (!m.has_sk) {
		log_info(LOG_ENC, "%s: unprotected %s request, dropped",
		         ike_sa_tag(sa), ike_exchange_name(m.hdr.exchange));
		return;
	}
	if (m.frag_total && rc == IKE_OK) {
		rc = frag_add(sa, &sa->frag, &m, buf);
		if (rc == 0 || rc == -1)
			return;
		rc = rc == 1 ? 0 : -2;
		goto authenticated;
	}
	if (rc == IKE_ERR_CRITICAL) {
		/* outer chain had an unknown critical payload: authenticated
		 * answer after decryption succeeds */
		if (decrypt(sa, &m, buf) == -1)
			return;
		sa->msgid_next++;
		uint8_t t = m.unknown_critical;
		ike_reply_notify(d, sa, &m, N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		return;
	}
	rc = decrypt(sa, &m, buf);
authenticated:
	if (rc == -1) {
		log_info(LOG_ENC, "%s: %s request %u failed integrity check, dropped",
		         ike_sa_tag(sa), ike_exchange_name(m.hdr.exchange), m.hdr.msgid);
		return;
	}
	/* authenticated from here on: the peer may have moved (the switch to
	 * port 4500, a NAT rebinding) */
	ike_sa_update_addrs(sa, peer, peer_len, local, local_len);
	sa->last_in = now_sec();
	sa->msgid_next++;
	if (rc == -2 || m.unknown_critical) {
		ike_sa_frag_reset(&sa->frag);
		if (m.unknown_critical) {
			uint8_t t = m.unknown_critical;
			ike_reply_notify(d, sa, &m, N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		} else {
			ike_reply_notify(d, sa, &m, N_INVALID_SYNTAX, NULL, 0);
		}
		return;
	}
	if (ike_verify(&m, false) != IKE_OK) {
		char sum[256];
		ike_msg_summary(&m, sum, sizeof(sum));
		log_info(LOG_ENC, "%s: payloads not allowed in this exchange: %s", ike_sa_tag(sa), sum);
		ike_sa_frag_reset(&sa->frag);
		ike_reply_notify(d, sa, &m, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (log_enabled(LOG_ENC, 1)) {
		char sum[256];
		ike_msg_summary(&m, sum, sizeof(sum));
		log_info(LOG_ENC, "%s: received %s", ike_sa_tag(sa), sum);
	}
	if (sa->client && !sa->established) {
		/* before the server has authenticated, whoever answered our
		 * IKE_SA_INIT holds these keys: nothing it asks is acted on */
		log_info(LOG_IKE, "%s: %s request from a server not authenticated yet, ignored",
		         ike_sa_tag(sa), ike_exchange_name(m.hdr.exchange));
		ike_sa_frag_reset(&sa->frag);
		return;
	}
	switch (m.hdr.exchange) {
	case IKE_AUTH:
		ike_auth_request(d, sa, &m);
		break;
	case INFORMATIONAL:
		ike_info_request(d, sa, &m);
		break;
	case CREATE_CHILD_SA:
		ike_child_request(d, sa, &m);
		break;
	default:
		ike_reply_notify(d, sa, &m, N_INVALID_SYNTAX, NULL, 0);
		break;
	}
	ike_sa_frag_reset(&sa->frag);
	ike_sa_reap(d);
}

/* the answer to our IKE_SA_INIT (cygnet as a client): from the address
 * we sent it to, for an IKE_SA of ours still waiting for it */
static void init_response(struct daemon *d, const uint8_t *buf, size_t len,
                          const struct ike_hdr *h, const struct sockaddr *peer)
{
	struct ike_sa *sa = ike_sa_by_our_spi(d, h->spi_i);
	if (!sa || !sa->client || !sa->initiator || sa->req_kind != REQ_INIT || h->msgid != 0 ||
	    (h->flags & IKE_FLAG_INITIATOR) || !addr_eq(peer, (struct sockaddr *)&sa->peer, true)) {
		log_dbg(LOG_ENC, "IKE_SA_INIT response from %s for no IKE_SA of ours, dropped",
		        peer_text(peer));
		return;
	}
	static struct ike_msg m;
	int rc = ike_parse(buf, len, &m);
	if (rc != IKE_OK || ike_verify(&m, true) != IKE_OK) {
		log_info(LOG_ENC, "%s: malformed IKE_SA_INIT response, dropped", ike_sa_tag(sa));
		return;
	}
	if (log_enabled(LOG_ENC, 1)) {
		char sum[256];
		ike_msg_summary(&m, sum, sizeof(sum));
		log_info(LOG_ENC, "%s: received IKE_SA_INIT response: %s", ike_sa_tag(sa), sum);
	}
	ike_sa_response(d, sa, &m);
	ike_sa_reap(d);
}

void ike_input(struct daemon *d, const uint8_t *buf, size_t len,
               const struct sockaddr *peer, socklen_t peer_len,
               const struct sockaddr *local, socklen_t local_len)
{
	uint8_t *copy = d->buf_in;
	struct ike_hdr h;
	int rc = ike_parse_header(buf, len, &h);
	if (rc == IKE_ERR_VERSION) {
		/* RFC 7296 §2.5: INVALID_MAJOR_VERSION, unprotected, only for
		 * IKE_SA_INIT requests; dropping is allowed too */
		log_info(LOG_ENC, "IKE version %u.%u from %s, dropped", h.version >> 4,
		         h.version & 15, peer_text(peer));
		return;
	}
	if (rc != IKE_OK) {
		log_dbg(LOG_ENC, "malformed IKE header from %s (%zu bytes), dropped",
		        peer_text(peer), len);
		return;
	}
	static const uint8_t zero[8];
	if (h.exchange == IKE_SA_INIT && (h.flags & IKE_FLAG_RESPONSE)) {
		init_response(d, buf, len, &h, peer);
		return;
	}
	if (h.exchange == IKE_SA_INIT) {
		if (memcmp(h.spi_r, zero, 8) != 0)
			return;
		static struct ike_msg m;
		rc = ike_parse(buf, len, &m);
		struct ike_sa *old = ike_sa_by_init(d, h.spi_i, peer);
		if (old) {
			/* a retransmission: the same answer (RFC 7296 §2.1), once
			 * it exists (a crypto worker may still compute it) */
			if (old->init_resp && old->init_req_len == len &&
			    memcmp(old->init_req, buf, len) == 0 && resend_allowed(old))
				ike_sa_send_raw(d, old, old->init_resp, old->init_resp_len);
			return;
		}
		if (rc == IKE_ERR_CRITICAL) {
			log_info(LOG_ENC, "IKE_SA_INIT from %s with unsupported critical payload %u",
			         peer_text(peer), m.unknown_critical);
			/* no state yet: the unprotected answer would need an SA; drop
			 * (RFC 7296 §2.21.1 allows it for IKE_SA_INIT) */
			return;
		}
		if (rc != IKE_OK || ike_verify(&m, false) != IKE_OK) {
			log_info(LOG_ENC, "malformed IKE_SA_INIT from %s, dropped", peer_text(peer));
			return;
		}
		ike_init_request(d, &m, peer, peer_len, local, local_len);
		ike_sa_reap(d);
		return;
	}
	/* our SPI is the responder's unless the sender says it is the
	 * responder (an IKE_SA we rekeyed ourselves) */
	struct ike_sa *sa = ike_sa_by_our_spi(d, h.flags & IKE_FLAG_INITIATOR ? h.spi_r : h.spi_i);
	if (!sa || memcmp(sa->initiator ? sa->spi_r : sa->spi_i,
	                  h.flags & IKE_FLAG_INITIATOR ? h.spi_i : h.spi_r, 8) != 0 ||
	    sa->state == IKE_S_NEW) {
		log_dbg(LOG_ENC, "%s message for unknown IKE_SA from %s, dropped",
		        ike_exchange_name(h.exchange), peer_text(peer));
		return;
	}
	if (len > sizeof(d->buf_in))
		return;
	memcpy(copy, buf, len);
	handle_protected(d, sa, copy, len, peer, peer_len, local, local_len);
	/* decrypted in place: EAP responses (NT-Responses), identities */
	OPENSSL_cleanse(copy, len);
}
