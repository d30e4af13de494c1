/* INFORMATIONAL and CREATE_CHILD_SA requests from the peer. */
#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>
#include "src/child_sa.h"
#include "src/client.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"

/* RFC 4555 §3.5: the peer moved (its new address is already taken over
 * from this authenticated message). Answer with NAT detection (our own
 * hash faked again, so ESP stays in UDP) and the COOKIE2 echo. */
static void mobike_update(struct ike_sa *sa, const struct ike_msg *m, struct ike_wr *w)
{
	if (!sa->peer_mobike) {
		log_info(LOG_IKE, "%s: UPDATE_SA_ADDRESSES without MOBIKE, ignored", ike_sa_tag(sa));
		return;
	}
	uint8_t fake[20], real[20];
	RAND_bytes(fake, sizeof(fake));
	natd_hash(sa->spi_i, sa->spi_r, (struct sockaddr *)&sa->peer, real);
	ike_wr_notify(w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, fake, sizeof(fake));
	ike_wr_notify(w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, real, sizeof(real));
	const struct ike_notify *c2 = ike_find_notify(m, N_COOKIE2);
	if (c2 && c2->len >= 8 && c2->len <= 64)
		ike_wr_notify(w, 0, NULL, 0, N_COOKIE2, c2->data, c2->len);
	log_info(LOG_IKE, "%s: '%s' moved (MOBIKE), addresses updated", ike_sa_tag(sa), sa->user);
}

void ike_info_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t buf[1024];
	uint8_t spis[4 * 64];
	uint16_t n_spis = 0;
	bool delete_ike = false;
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	for (int i = 0; i < m->n_del; i++) {
		const struct ike_delete *del = &m->del[i];
		if (del->proto == PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (del->proto != PROTO_ESP || del->spi_size != 4)
			continue;
		for (uint16_t j = 0; j < del->n_spi; j++) {
			const uint8_t *p = del->spis + 4 * j;
			uint32_t spi = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			               (uint32_t)p[2] << 8 | p[3];
			uint32_t ours;
			if (child_sa_delete(d, sa, spi, &ours) == 0 && n_spis < 64) {
				uint8_t *q = spis + 4 * n_spis++;
				q[0] = (uint8_t)(ours >> 24);
				q[1] = (uint8_t)(ours >> 16);
				q[2] = (uint8_t)(ours >> 8);
				q[3] = (uint8_t)ours;
			}
		}
	}
	if (delete_ike) {
		/* RFC 7296 §1.4.1: the answer to an IKE_SA delete is empty */
		log_info(LOG_IKE, "%s: the %s deleted the IKE_SA ('%s')", ike_sa_tag(sa),
		         sa->client ? "server" : "client", sa->user);
		ike_sa_send_encrypted(d, sa, INFORMATIONAL, true, m->hdr.msgid, &w);
		sa->end = IKE_END_DELETED;
		ike_sa_set_state(sa, IKE_S_DEAD);
		return;
	}
	if (n_spis)
		ike_wr_delete(&w, PROTO_ESP, 4, spis, n_spis);
	if (ike_find_notify(m, N_UPDATE_SA_ADDRESSES))
		mobike_update(sa, m, &w);
	ike_sa_send_encrypted(d, sa, INFORMATIONAL, true, m->hdr.msgid, &w);
	/* RFC 5685 §6: answered (empty), then off to the new gateway */
	if (sa->client && ike_find_notify(m, N_REDIRECT))
		client_redirect_request(d, sa, m);
}
