/* IKE fragmentation (RFC 7383) through the daemon's own code paths: a
 * large INFORMATIONAL request is protected and split by
 * ike_sa_send_encrypted, then fed back fragment by fragment (out of
 * order, with a duplicate and a forged fragment) into ike_input for an
 * IKE_SA keyed the same way both directions. The request is processed
 * exactly once, when its last fragment arrives. */
#include <arpa/inet.h>
#include <event2/event.h>
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "crypto/algs.h"
#include "crypto/xform.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/esp.h"
#include "src/firstrun.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"

static struct daemon d;

int main(void)
{
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	if (!d.cfg || !d.base || !d.dp)
		CHECK_DONE();

	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(4500) };
	inet_pton(AF_INET, "198.18.0.2", &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, sizeof(peer),
	                               (struct sockaddr *)&local, sizeof(local));
	uint8_t ek[32], ak[32];
	memset(ek, 0x11, sizeof(ek));
	memset(ak, 0x22, sizeof(ak));
	sa->encr = ENCR_AES_CBC;
	sa->keybits = 256;
	sa->integ = AUTH_HMAC_SHA2_256_128;
	sa->x_in = xform_new(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, ek, ak);
	sa->x_out = xform_new(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, ek, ak);
	ike_sa_set_cfg(sa, &d.cfg->peers[0]);
	sa->peer_frag = true;
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);

	/* a request of 4000 bytes, as the client would send it */
	static uint8_t inner[8192], big[4000];
	memset(big, 0xab, sizeof(big));
	struct ike_wr w;
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_notify(&w, 0, NULL, 0, 40000, big, sizeof(big));
	sa->initiator = true;        /* the I flag on what we build */
	CHECK("request built", ike_sa_send_encrypted(&d, sa, INFORMATIONAL, false, 0, &w) == 0);
	sa->initiator = false;
	struct msg_cache frags = sa->req;
	sa->req.buf = NULL;
	sa->req.n = 0;
	CHECK("split into fragments", frags.n >= 4);
	size_t off[IKE_MAX_FRAGS + 1] = { 0 }, maxlen = 0;
	for (int i = 0; i < frags.n; i++) {
		off[i + 1] = off[i] + frags.len[i];
		if (frags.len[i] > maxlen)
			maxlen = frags.len[i];
	}
	CHECK("each fragment fits 1280 bytes with IP, UDP and marker", maxlen + 20 + 8 + 4 <= 1280);

	/* last fragment first, then the rest but fragment 1, a duplicate, a
	 * forged copy of fragment 1, then fragment 1 */
	sa->msgid_next = 0;
	int n = frags.n;
	ike_input(&d, frags.buf + off[n - 1], frags.len[n - 1], (struct sockaddr *)&peer,
	          sizeof(peer), (struct sockaddr *)&local, sizeof(local));
	for (int i = n - 2; i >= 1; i--)
		ike_input(&d, frags.buf + off[i], frags.len[i], (struct sockaddr *)&peer,
		          sizeof(peer), (struct sockaddr *)&local, sizeof(local));
	ike_input(&d, frags.buf + off[1], frags.len[1], (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	CHECK("not processed before the last fragment", sa->msgid_next == 0 && sa->frag.have == n - 1);
	static uint8_t forged[2048];
	memcpy(forged, frags.buf, frags.len[0]);
	forged[frags.len[0] - 1] ^= 1;
	ike_input(&d, forged, frags.len[0], (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	CHECK("forged fragment ignored", sa->msgid_next == 0 && sa->frag.have == n - 1);
	ike_input(&d, frags.buf, frags.len[0], (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	CHECK("processed once complete", sa->msgid_next == 1 && sa->resp.n >= 1);
	CHECK("reassembly released", sa->frag.total == 0 && sa->frag.whole == NULL);
	/* a retransmitted first fragment gets the cached answer, nothing new */
	ike_input(&d, frags.buf, frags.len[0], (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	CHECK("retransmission not processed again", sa->msgid_next == 1);
	free(frags.buf);

	ike_sa_set_state(sa, IKE_S_DEAD);
	testd_close(&d, dir);
	CHECK_DONE();
}
