/* Responder proposal selection (src/proposal_select.c): the peer's order
 * decides, our proposals restrict, DH follows the peer's KE when allowed,
 * the first CHILD_SA ignores DH, AEAD needs no integrity. Proposals are
 * written in strongSwan syntax and parsed by conf/proposal.c. */
#include "tests/unit/check.h"
#include "conf/proposal.h"
#include "crypto/algs.h"
#include "src/proposal_select.h"

/* a peer proposal (as IKE would decode it) from a strongSwan string */
static int peer_from(const char *s, enum prop_proto proto, struct ike_prop *out, int max)
{
	struct proposal_list l;
	char err[256];
	if (proposal_parse(s, proto, &l, err, sizeof(err)) != 0) {
		printf("# parse %s: %s\n", s, err);
		return 0;
	}
	int n = 0;
	for (int i = 0; i < l.n && n < max; i++, n++) {
		struct ike_prop *p = &out[n];
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(i + 1);
		p->proto = proto == PROP_IKE ? PROTO_IKE : PROTO_ESP;
		p->spi_size = proto == PROP_IKE ? 0 : 4;
		const struct proposal *q = &l.p[i];
#define ADD(arr, cnt, t) for (int j = 0; j < q->cnt; j++) \
		p->xf[p->n_xf++] = (struct ike_xf){ t, q->arr[j].id, q->arr[j].keybits, false };
		ADD(encr, n_encr, XF_ENCR)
		ADD(prf, n_prf, XF_PRF)
		ADD(integ, n_integ, XF_INTEG)
		ADD(dh, n_dh, XF_DH)
		ADD(esn, n_esn, XF_ESN)
#undef ADD
	}
	return n;
}

static struct proposal_list ours(const char *s, enum prop_proto proto)
{
	struct proposal_list l;
	char err[256];
	if (proposal_parse(s, proto, &l, err, sizeof(err)) != 0)
		printf("# parse %s: %s\n", s, err);
	return l;
}

int main(void)
{
	struct ike_prop peer[8], out;
	struct selected sel;
	int n;

	/* Windows-like offer against seed 000's ike= */
	n = peer_from("3des-sha1-modp1024,aes256-sha1-modp1024,aes256-sha256-modp1024", PROP_IKE, peer, 8);
	struct proposal_list l = ours("aes256-sha256-modp1024,aes256-sha256-modp2048", PROP_IKE);
	CHECK("windows offer: third proposal chosen",
	      proposal_select(peer, n, PROTO_IKE, &l, false, MODP_1024, &sel, &out) == 0 &&
	      sel.encr == ENCR_AES_CBC && sel.keybits == 256 && sel.integ == AUTH_HMAC_SHA2_256_128 &&
	      sel.prf == PRF_HMAC_SHA2_256 && sel.dh == MODP_1024 && out.num == 3);
	CHECK("answer has one transform per type", out.n_xf == 4);

	/* the peer's order decides, not ours */
	n = peer_from("aes128-sha256-modp2048,aes256-sha384-ecp384", PROP_IKE, peer, 8);
	l = ours("aes256-sha384-ecp384,aes128-sha256-modp2048", PROP_IKE);
	CHECK("peer order wins",
	      proposal_select(peer, n, PROTO_IKE, &l, false, MODP_2048, &sel, &out) == 0 &&
	      sel.keybits == 128 && sel.dh == MODP_2048);

	/* KE group preferred when the proposal allows it */
	n = peer_from("aes256-sha256-modp2048-ecp256", PROP_IKE, peer, 8);
	l = ours("aes256-sha256-modp2048-ecp256", PROP_IKE);
	CHECK("KE group ecp256 chosen over the first listed",
	      proposal_select(peer, n, PROTO_IKE, &l, false, ECP_256, &sel, &out) == 0 &&
	      sel.dh == ECP_256);
	CHECK("KE group not allowed: first common group (INVALID_KE follows)",
	      proposal_select(peer, n, PROTO_IKE, &l, false, CURVE_25519, &sel, &out) == 0 &&
	      sel.dh == MODP_2048);

	/* strict configuration excludes what the client wants */
	n = peer_from("3des-sha1-modp1024", PROP_IKE, peer, 8);
	l = ours("aes256-sha256-modp2048!", PROP_IKE);
	CHECK("no proposal chosen",
	      proposal_select(peer, n, PROTO_IKE, &l, false, MODP_1024, &sel, &out) == -1);

	/* AEAD in IKE: PRF, no integrity */
	n = peer_from("aes256gcm16-prfsha384-ecp384", PROP_IKE, peer, 8);
	l = ours("aes128gcm16-aes256gcm16-prfsha256-prfsha384-ecp384-ecp256", PROP_IKE);
	CHECK("IKE AES-GCM-16-256",
	      proposal_select(peer, n, PROTO_IKE, &l, false, ECP_384, &sel, &out) == 0 &&
	      sel.encr == ENCR_AES_GCM_16 && sel.keybits == 256 && sel.integ == AUTH_NONE &&
	      sel.prf == PRF_HMAC_SHA2_384 && out.n_xf == 3);

	/* ESP: DH ignored for the first CHILD_SA, required for rekeying */
	n = peer_from("aes128-sha256-modp2048", PROP_ESP, peer, 8);
	peer[0].spi[0] = 0xc1; peer[0].spi[3] = 0x7e;
	l = ours("aes128-sha256-modp3072", PROP_ESP);
	CHECK("ESP first child ignores DH",
	      proposal_select(peer, n, PROTO_ESP, &l, true, 0, &sel, &out) == 0 &&
	      sel.dh == DH_NONE && out.spi[0] == 0xc1 && out.spi[3] == 0x7e && out.spi_size == 4);
	CHECK("ESP rekey needs a common PFS group",
	      proposal_select(peer, n, PROTO_ESP, &l, false, MODP_2048, &sel, &out) == -1);

	n = peer_from("aes256gcm16,aes128-sha1", PROP_ESP, peer, 8);
	l = ours("aes128-sha1,aes256gcm16", PROP_ESP);
	CHECK("ESP AES-GCM first by the peer's order",
	      proposal_select(peer, n, PROTO_ESP, &l, true, 0, &sel, &out) == 0 &&
	      sel.encr == ENCR_AES_GCM_16 && sel.integ == AUTH_NONE && sel.esn == ESN_NO);

	n = peer_from("aes256-sha256-esn", PROP_ESP, peer, 8);
	l = ours("aes256-sha256-esn-noesn", PROP_ESP);
	CHECK("ESN only: refused (32-bit sequence numbers)",
	      proposal_select(peer, n, PROTO_ESP, &l, true, 0, &sel, &out) == -1);

	/* an IKE proposal is not an ESP proposal */
	n = peer_from("aes256-sha256-modp2048", PROP_IKE, peer, 8);
	l = ours("aes256-sha256", PROP_ESP);
	CHECK("protocol must match",
	      proposal_select(peer, n, PROTO_ESP, &l, true, 0, &sel, &out) == -1);

	char text[256];
	sel = (struct selected){ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, MODP_2048, 0 };
	selected_format(&sel, PROTO_IKE, text, sizeof(text));
	CHECK("format", strcmp(text, "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048") == 0);
	CHECK_DONE();
}
