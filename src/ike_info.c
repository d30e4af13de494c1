/* INFORMATIONAL and CREATE_CHILD_SA requests from the peer. */
#include <stdio.h>
#include <string.h>
#include "src/child_sa.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"

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
		log_info(LOG_IKE, "%s: the client deleted the IKE_SA ('%s')", ike_sa_tag(sa), sa->user);
		ike_sa_send_encrypted(d, sa, INFORMATIONAL, true, m->hdr.msgid, &w);
		ike_sa_set_state(sa, IKE_S_DEAD);
		return;
	}
	if (n_spis)
		ike_wr_delete(&w, PROTO_ESP, 4, spis, n_spis);
	ike_sa_send_encrypted(d, sa, INFORMATIONAL, true, m->hdr.msgid, &w);
}
