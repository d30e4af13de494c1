/* The EAP-TLS server (src/eap_tls.c) against an EAP-TLS peer written
 * here with OpenSSL (a client SSL over memory BIOs, its records wrapped in
 * EAP-TLS framing, RFC 5216 §3.1), in one process: TLS 1.2 and 1.3, RSA
 * and ECDSA client certificates under an intermediate CA, fragmentation
 * both ways, the MSK equal on both sides (and, for TLS 1.2, equal to the
 * RFC 5216 §2.3 formula computed here with the TLS PRF from the master
 * secret), and the refusals: expired, unknown CA, revoked (CRL), outside
 * rightca=, no certificate, a serverAuth-only certificate; then malformed,
 * truncated and out-of-place messages.
 *
 * With --corpus DIR it writes the seeds of tests/fuzz/corpus/eap_tls
 * (the peer's messages of a few conversations, in the input format of
 * tests/fuzz/fuzz_eap_tls.c) and exits. */
#include <stdio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include "tests/unit/check.h"
#include "tests/unit/tls_pki.h"
#include "src/eap_tls.h"

/* ---- the PKI ---- */

static struct {
	EVP_PKEY *root_k, *inter_k, *server_k, *rsa_k, *ec_k, *other_k;
	X509 *root, *inter, *server, *rsa, *ec, *expired, *revoked, *other_root, *unknown,
	     *direct, *srv_only;
	STACK_OF(X509) *cas, *srv_chain, *cli_chain;
	STACK_OF(X509_CRL) *crls;
} k;

#define REVOKED_SERIAL 66

static bool make_pki(void)
{
	k.root_k = pki_key(true);
	k.inter_k = pki_key(false);
	k.server_k = pki_key(true);
	k.rsa_k = pki_key(true);
	k.ec_k = pki_key(false);
	k.other_k = pki_key(false);
	if (!k.root_k || !k.inter_k || !k.server_k || !k.rsa_k || !k.ec_k || !k.other_k)
		return false;
	k.root = pki_cert("Root CA", k.root_k, NULL, NULL, true, -86400, 86400 * 365, 1, NULL);
	k.inter = pki_cert("Intermediate CA", k.inter_k, k.root, k.root_k, true, -86400,
	                   86400 * 365, 2, NULL);
	k.server = pki_cert("vpn.example.org", k.server_k, k.inter, k.inter_k, false, -86400,
	                    86400 * 365, 10, "serverAuth");
	k.rsa = pki_cert("rsa client", k.rsa_k, k.inter, k.inter_k, false, -86400, 86400 * 30, 11,
	                 "clientAuth");
	k.ec = pki_cert("ec client", k.ec_k, k.inter, k.inter_k, false, -86400, 86400 * 30, 12,
	                NULL);
	k.expired = pki_cert("expired client", k.ec_k, k.inter, k.inter_k, false, -86400 * 60,
	                     -86400, 13, NULL);
	k.revoked = pki_cert("revoked client", k.ec_k, k.inter, k.inter_k, false, -86400,
	                     86400 * 30, REVOKED_SERIAL, NULL);
	k.other_root = pki_cert("Other CA", k.other_k, NULL, NULL, true, -86400, 86400 * 365, 1,
	                        NULL);
	k.unknown = pki_cert("stranger", k.ec_k, k.other_root, k.other_k, false, -86400,
	                     86400 * 30, 14, NULL);
	k.direct = pki_cert("root's client", k.ec_k, k.root, k.root_k, false, -86400, 86400 * 30,
	                    15, NULL);
	k.srv_only = pki_cert("server-only client", k.ec_k, k.inter, k.inter_k, false, -86400,
	                      86400 * 30, 16, "serverAuth");
	k.cas = sk_X509_new_null();
	k.srv_chain = sk_X509_new_null();
	k.cli_chain = sk_X509_new_null();
	k.crls = sk_X509_CRL_new_null();
	X509_CRL *crl = pki_crl(k.inter, k.inter_k, REVOKED_SERIAL);
	if (!k.root || !k.inter || !k.server || !k.rsa || !k.ec || !k.expired || !k.revoked ||
	    !k.other_root || !k.unknown || !k.direct || !k.srv_only || !crl || !k.cas ||
	    !k.srv_chain || !k.cli_chain || !k.crls)
		return false;
	sk_X509_push(k.cas, k.root);
	sk_X509_push(k.srv_chain, k.inter);
	sk_X509_push(k.cli_chain, k.inter);
	sk_X509_CRL_push(k.crls, crl);
	return true;
}

/* ---- the peer ---- */

struct peer {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	uint8_t in[70000];
	size_t inlen;
	uint8_t fl[70000];          /* our flight */
	size_t fllen, flpos;
	size_t frag;
	bool always_len;            /* L bit on unfragmented messages (strongSwan's default) */
	bool hs_done, failed, indication;
	int version;
	uint8_t keymat[128];
	uint8_t master[48];         /* TLS 1.2 */
	size_t master_len;
	uint8_t crand[32], srand[32];
	const EVP_MD *prf_md;
};

static struct peer *peer_new(X509 *cert, EVP_PKEY *key, int max_version, size_t frag,
                             X509 *trust)
{
	struct peer *p = calloc(1, sizeof(*p));
	p->frag = frag;
	p->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(p->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(p->ctx, max_version);
	if (cert) {
		SSL_CTX_use_certificate(p->ctx, cert);
		SSL_CTX_use_PrivateKey(p->ctx, key);
		SSL_CTX_set1_chain(p->ctx, k.cli_chain);
	}
	/* the peer checks the server: chain vpn -> intermediate (sent) -> root */
	X509_STORE_add_cert(SSL_CTX_get_cert_store(p->ctx), trust);
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, NULL);
	p->ssl = SSL_new(p->ctx);
	p->rbio = BIO_new(BIO_s_mem());
	p->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->rbio, -1);
	SSL_set_bio(p->ssl, p->rbio, p->wbio);
	SSL_set_connect_state(p->ssl);
	return p;
}

static void peer_free(struct peer *p)
{
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
	free(p);
}

static void put_hdr(uint8_t *out, uint8_t id, size_t len, uint8_t flags)
{
	out[0] = 2;
	out[1] = id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[4] = 13;
	out[5] = flags;
}

static size_t peer_empty(uint8_t id, uint8_t *out)
{
	put_hdr(out, id, 6, 0);
	return 6;
}

static size_t peer_send(struct peer *p, uint8_t id, uint8_t *out)
{
	size_t left = p->fllen - p->flpos;
	bool first = p->flpos == 0, more = left > p->frag;
	size_t n = more ? p->frag : left;
	bool with_len = first && (more || p->always_len);
	size_t hdr = with_len ? 10 : 6;
	put_hdr(out, id, hdr + n, (uint8_t)((with_len ? 0x80 : 0) | (more ? 0x40 : 0)));
	if (with_len) {
		out[6] = (uint8_t)(p->fllen >> 24);
		out[7] = (uint8_t)(p->fllen >> 16);
		out[8] = (uint8_t)(p->fllen >> 8);
		out[9] = (uint8_t)p->fllen;
	}
	memcpy(out + hdr, p->fl + p->flpos, n);
	p->flpos += n;
	if (p->flpos == p->fllen)
		p->flpos = p->fllen = 0;
	return hdr + n;
}

static void peer_keys(struct peer *p)
{
	static const uint8_t tc = 13;
	p->version = SSL_version(p->ssl);
	if (p->version == TLS1_3_VERSION)
		SSL_export_keying_material(p->ssl, p->keymat, 128, "EXPORTER_EAP_TLS_Key_Material",
		                           29, &tc, 1, 1);
	else {
		SSL_export_keying_material(p->ssl, p->keymat, 128, "client EAP encryption", 21,
		                           NULL, 0, 0);
		SSL_SESSION *ss = SSL_get_session(p->ssl);
		p->master_len = SSL_SESSION_get_master_key(ss, p->master, sizeof(p->master));
		SSL_get_client_random(p->ssl, p->crand, 32);
		SSL_get_server_random(p->ssl, p->srand, 32);
		p->prf_md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(p->ssl));
	}
}

/* One Request from the server in, the peer's Response out (its length;
 * 0 when the Request makes no sense to the peer). */
static size_t peer_step(struct peer *p, const uint8_t *req, size_t len, uint8_t *out)
{
	if (len < 6 || req[0] != 1 || req[4] != 13 || (size_t)(req[2] << 8 | req[3]) != len)
		return 0;
	uint8_t id = req[1], flags = req[5];
	size_t hdr = flags & 0x80 ? 10 : 6;
	const uint8_t *d = req + hdr;
	size_t n = len - hdr;

	if (flags & 0x20) {                      /* Start */
		SSL_do_handshake(p->ssl);
	} else if (p->fllen) {                   /* our flight goes on */
		if (n != 0)
			return 0;
		return peer_send(p, id, out);
	} else {
		memcpy(p->in + p->inlen, d, n);
		p->inlen += n;
		if (flags & 0x40)
			return peer_empty(id, out);
		BIO_write(p->rbio, p->in, (int)p->inlen);
		p->inlen = 0;
		if (!p->hs_done && !p->failed) {
			int r = SSL_do_handshake(p->ssl);
			if (r == 1) {
				p->hs_done = true;
				peer_keys(p);
			} else if (SSL_get_error(p->ssl, r) != SSL_ERROR_WANT_READ) {
				p->failed = true;
			}
		}
		if (p->hs_done && !p->failed) {
			uint8_t b[16];
			size_t got;
			while (SSL_read_ex(p->ssl, b, sizeof(b), &got) == 1)
				if (got == 1 && b[0] == 0)
					p->indication = true;
			int e = SSL_get_error(p->ssl, 0);
			(void)e;
		}
		ERR_clear_error();
	}
	size_t pend = BIO_ctrl_pending(p->wbio);
	if (pend) {
		BIO_read(p->wbio, p->fl, (int)pend);
		p->fllen = pend;
		p->flpos = 0;
		return peer_send(p, id, out);
	}
	return peer_empty(id, out);
}

/* ---- conversations ---- */

struct opts {
	int max_version;
	size_t srv_frag, peer_frag, cap;
	bool always_len, no_alerts, with_crls, no_client_cert;
	X509 *required_ca;
	X509 *peer_trust;           /* the peer's CA (default the root) */
};

struct result {
	enum eap_srv_result r;
	char why[256];
	bool msk_equal, prf_equal, cert_ok, indication;
	int version, srv_version;
	size_t rounds, max_req;
	uint8_t last_id, end_id;
	size_t endlen;
	uint8_t end_code;
};

static FILE *seedf;   /* --corpus: the peer's messages go here */
static bool seed_first;

static void seed_msg(const uint8_t *m, size_t n)
{
	bool first = seed_first;
	seed_first = false;
	if (!seedf)
		return;
	if (!first)
		fwrite("FUZZ", 1, 4, seedf);
	fwrite(m, 1, n, seedf);
}

static struct result converse(X509 *cert, EVP_PKEY *key, const struct opts *o)
{
	struct result res = { .r = EAP_SRV_DROP };
	char err[200];
	static uint8_t out[70000], resp[70000];
	size_t cap = o->cap ? o->cap : 1500, n, m;
	struct eap_tls_srv *s = eap_tls_srv_new(k.server, k.server_k, k.srv_chain, k.cas,
	                                        o->with_crls ? k.crls : NULL, o->required_ca, 100,
	                                        err, sizeof(err));
	if (!s) {
		snprintf(res.why, sizeof(res.why), "new: %s", err);
		return res;
	}
	if (o->srv_frag)
		eap_tls_srv_set_max_fragment(s, o->srv_frag);
	if (o->no_alerts)
		eap_tls_srv_set_send_alerts(s, false);
	struct peer *p = peer_new(o->no_client_cert ? NULL : cert, key,
	                          o->max_version ? o->max_version : TLS1_3_VERSION,
	                          o->peer_frag ? o->peer_frag : 1000,
	                          o->peer_trust ? o->peer_trust : k.root);
	p->always_len = o->always_len;
	n = eap_tls_srv_start(s, out, cap);
	while (res.rounds < 2000) {
		if (n > res.max_req)
			res.max_req = n;
		res.last_id = out[1];
		m = peer_step(p, out, n, resp);
		if (m == 0) {
			snprintf(res.why, sizeof(res.why), "the peer could not answer");
			break;
		}
		seed_msg(resp, m);
		res.rounds++;
		res.r = eap_tls_srv_process(s, resp, m, out, cap, &n);
		if (res.r != EAP_SRV_CONTINUE) {
			snprintf(res.why, sizeof(res.why), "%s", eap_tls_srv_why(s));
			res.endlen = n;
			res.end_code = out[0];
			res.end_id = out[1];
			break;
		}
	}
	res.indication = p->indication;
	res.version = p->version;
	res.srv_version = eap_tls_srv_tls_version(s);
	if (res.r == EAP_SRV_SUCCESS) {
		const uint8_t *msk = eap_tls_srv_msk(s), *emsk = eap_tls_srv_emsk(s);
		res.msk_equal = msk && emsk && memcmp(msk, p->keymat, 64) == 0 &&
		                memcmp(emsk, p->keymat + 64, 64) == 0;
		res.cert_ok = eap_tls_srv_peer_cert(s) && X509_cmp(eap_tls_srv_peer_cert(s), cert) == 0;
		if (p->version == TLS1_2_VERSION && p->master_len == 48) {
			/* RFC 5216 §2.3: PRF(master_secret, "client EAP encryption",
			 * client.random || server.random), the TLS 1.2 PRF of the suite */
			uint8_t seed[21 + 64], km[128];
			memcpy(seed, "client EAP encryption", 21);
			memcpy(seed + 21, p->crand, 32);
			memcpy(seed + 53, p->srand, 32);
			EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
			EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
			OSSL_PARAM prm[] = {
				OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST,
				                       (char *)EVP_MD_get0_name(p->prf_md), 0),
				OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SECRET, p->master, 48),
				OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
				OSSL_PARAM_END,
			};
			res.prf_equal = kc && EVP_KDF_derive(kc, km, sizeof(km), prm) == 1 &&
			                memcmp(km, msk, 64) == 0;
			EVP_KDF_CTX_free(kc);
			EVP_KDF_free(kdf);
		}
	} else {
		CHECK("no MSK without success", eap_tls_srv_msk(s) == NULL &&
		      eap_tls_srv_peer_cert(s) == NULL);
	}
	eap_tls_srv_free(s);
	peer_free(p);
	return res;
}

static void expect_success(const char *name, X509 *cert, EVP_PKEY *key, const struct opts *o,
                           int version)
{
	char t[160];
	struct result r = converse(cert, key, o);
	snprintf(t, sizeof(t), "%s: success", name);
	CHECK(t, r.r == EAP_SRV_SUCCESS);
	if (r.r != EAP_SRV_SUCCESS)
		printf("  why: %s\n", r.why);
	snprintf(t, sizeof(t), "%s: EAP-Success with the last Identifier", name);
	CHECK(t, r.endlen == 4 && r.end_code == 3 && r.end_id == r.last_id);
	snprintf(t, sizeof(t), "%s: TLS version", name);
	CHECK(t, r.version == version && r.srv_version == version);
	snprintf(t, sizeof(t), "%s: same MSK and EMSK on both sides", name);
	CHECK(t, r.msk_equal);
	if (version == TLS1_2_VERSION) {
		snprintf(t, sizeof(t), "%s: MSK = TLS-PRF(master, label, client.random || "
		         "server.random) (RFC 5216 2.3)", name);
		CHECK(t, r.prf_equal);
	} else {
		snprintf(t, sizeof(t), "%s: protected success indication 0x00 (RFC 9190 2.5)", name);
		CHECK(t, r.indication);
	}
	snprintf(t, sizeof(t), "%s: the peer's certificate", name);
	CHECK(t, r.cert_ok);
	size_t frag = o->srv_frag ? o->srv_frag : 1000, cap = o->cap ? o->cap : 1500;
	snprintf(t, sizeof(t), "%s: Requests within the fragment size (largest %zu)", name,
	         r.max_req);
	CHECK(t, r.max_req <= frag + 10 && r.max_req <= cap);
}

static void expect_failure(const char *name, X509 *cert, EVP_PKEY *key, const struct opts *o,
                           const char *why)
{
	char t[200];
	struct result r = converse(cert, key, o);
	snprintf(t, sizeof(t), "%s: refused with EAP-Failure", name);
	CHECK(t, r.r == EAP_SRV_FAILURE && r.endlen == 4 && r.end_code == 4 &&
	      r.end_id == r.last_id);
	snprintf(t, sizeof(t), "%s: why says \"%s\"", name, why);
	CHECK(t, strstr(r.why, why) != NULL);
	if (!strstr(r.why, why))
		printf("  why: %s\n", r.why);
}

/* ---- malformed input ---- */

static struct eap_tls_srv *started(uint8_t *out)
{
	char err[200];
	struct eap_tls_srv *s = eap_tls_srv_new(k.server, k.server_k, k.srv_chain, k.cas, NULL,
	                                        NULL, 7, err, sizeof(err));
	eap_tls_srv_start(s, out, 1500);
	return s;
}

static size_t msg(uint8_t *m, uint8_t code, uint8_t id, uint8_t type, int flags,
                  const uint8_t *d, size_t n)
{
	size_t len = 4 + (type ? 1 : 0) + (flags >= 0 ? 1 : 0) + n;
	m[0] = code;
	m[1] = id;
	m[2] = (uint8_t)(len >> 8);
	m[3] = (uint8_t)len;
	size_t at = 4;
	if (type)
		m[at++] = type;
	if (flags >= 0)
		m[at++] = (uint8_t)flags;
	memcpy(m + at, d, n);
	return len;
}

static void malformed(void)
{
	uint8_t out[1500], m[2000], d[1200];
	size_t outlen, n;
	struct eap_tls_srv *s;
	enum eap_srv_result r;
	char err[200];

	memset(d, 0x16, sizeof(d));
	s = eap_tls_srv_new(k.server, k.server_k, NULL, k.cas, NULL, NULL, 7, err, sizeof(err));
	n = msg(m, 2, 7, 13, 0, d, 10);
	CHECK("before Start: drop", eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen) ==
	      EAP_SRV_DROP && outlen == 0);
	CHECK("Start framing", eap_tls_srv_start(s, out, sizeof(out)) == 6 && out[0] == 1 &&
	      out[1] == 7 && out[3] == 6 && out[4] == 13 && out[5] == 0x20);
	CHECK("Start once", eap_tls_srv_start(s, out, sizeof(out)) == 0);

	int cases = 0, drops = 0;
#define DROPPED(len) do { cases++; r = eap_tls_srv_process(s, m, (len), out, sizeof(out), \
	&outlen); if (r == EAP_SRV_DROP && outlen == 0) drops++; \
	else printf("  case %d: %d\n", cases, r); } while (0)
	n = msg(m, 1, 7, 13, 0, d, 10); DROPPED(n);              /* a Request */
	n = msg(m, 2, 8, 13, 0, d, 10); DROPPED(n);              /* another Identifier */
	n = msg(m, 2, 7, 13, 0, d, 10); DROPPED(n - 1);          /* Length > what came */
	n = msg(m, 2, 7, 13, 0, d, 10); m[3] = 3; DROPPED(n);    /* Length < 4 */
	n = msg(m, 2, 7, 26, 0, d, 10); DROPPED(n);              /* another Type */
	n = msg(m, 2, 7, 13, -1, d, 0); DROPPED(n);              /* no Flags */
	n = msg(m, 2, 7, 0, -1, d, 0); DROPPED(n);               /* no Type */
	n = msg(m, 2, 7, 13, 0x80, d, 3); DROPPED(n);            /* L, 3 of 4 length bytes */
	n = msg(m, 3, 7, 0, -1, d, 0); DROPPED(n);               /* an EAP-Success */
	DROPPED(0);
	DROPPED(3);
	CHECK("malformed Responses dropped", drops == cases);
	eap_tls_srv_free(s);

	/* declared TLS Message Length over 64 KiB */
	s = started(out);
	d[0] = 0x00; d[1] = 0x01; d[2] = 0x00; d[3] = 0x01;
	n = msg(m, 2, 7, 13, 0xc0, d, 20);
	CHECK("TLS Message Length over 64 KiB fails", eap_tls_srv_process(s, m, n, out,
	      sizeof(out), &outlen) == EAP_SRV_FAILURE && outlen == 4 && out[0] == 4 &&
	      out[1] == 7);
	CHECK("after the end: drop, why kept", eap_tls_srv_process(s, m, n, out, sizeof(out),
	      &outlen) == EAP_SRV_DROP && strstr(eap_tls_srv_why(s), "64 KiB"));
	eap_tls_srv_free(s);

	/* fragments beyond the declared length */
	s = started(out);
	d[0] = 0; d[1] = 0; d[2] = 0; d[3] = 30;
	memset(d + 4, 0x16, 30);
	n = msg(m, 2, 7, 13, 0xc0, d, 4 + 20);
	r = eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen);
	CHECK("first fragment acknowledged", r == EAP_SRV_CONTINUE && outlen == 6 && out[1] == 8 &&
	      out[5] == 0);
	n = msg(m, 2, 8, 13, 0x40, d + 4, 20);
	CHECK("fragments beyond the TLS Message Length fail", eap_tls_srv_process(s, m, n, out,
	      sizeof(out), &outlen) == EAP_SRV_FAILURE && out[1] == 8);
	eap_tls_srv_free(s);

	/* last fragment short of the declared length */
	s = started(out);
	n = msg(m, 2, 7, 13, 0x80, d, 4 + 20);
	CHECK("shorter than the TLS Message Length fails", eap_tls_srv_process(s, m, n, out,
	      sizeof(out), &outlen) == EAP_SRV_FAILURE);
	eap_tls_srv_free(s);

	/* more than 64 KiB in fragments without L */
	s = started(out);
	memset(d, 0x16, sizeof(d));
	int i;
	for (i = 0; i < 100; i++) {
		n = msg(m, 2, out[1], 13, 0x40, d, 1000);
		if (eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen) != EAP_SRV_CONTINUE)
			break;
	}
	CHECK("reassembly bounded at 64 KiB", i == 65 && eap_tls_srv_why(s)[0]);
	eap_tls_srv_free(s);

	/* empty fragments forever: bounded rounds */
	s = started(out);
	for (i = 0; i < 1000; i++) {
		n = msg(m, 2, out[1], 13, 0x40, d, 1);
		if (eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen) != EAP_SRV_CONTINUE)
			break;
	}
	CHECK("rounds bounded", i == EAP_TLS_MAX_ROUNDS && strstr(eap_tls_srv_why(s), "more than"));
	eap_tls_srv_free(s);

	/* garbage where a ClientHello belongs: an alert, then EAP-Failure */
	s = started(out);
	n = msg(m, 2, 7, 13, 0, (const uint8_t *)"\x16\x03\x01\x00\x05hello", 10);
	r = eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen);
	CHECK("garbage ClientHello: TLS alert sent", r == EAP_SRV_CONTINUE && outlen > 6 &&
	      out[6] == 0x15 && eap_tls_srv_why(s)[0]);
	n = msg(m, 2, out[1], 13, 0, d, 0);
	CHECK("garbage ClientHello: then EAP-Failure", eap_tls_srv_process(s, m, n, out,
	      sizeof(out), &outlen) == EAP_SRV_FAILURE && outlen == 4 && out[0] == 4);
	eap_tls_srv_free(s);

	/* an empty Response where the ClientHello belongs */
	s = started(out);
	n = msg(m, 2, 7, 13, 0, d, 0);
	CHECK("empty Response instead of TLS fails", eap_tls_srv_process(s, m, n, out,
	      sizeof(out), &outlen) == EAP_SRV_FAILURE);
	eap_tls_srv_free(s);

	/* Nak */
	s = started(out);
	n = msg(m, 2, 7, 3, 26, d, 0);
	CHECK("Nak fails", eap_tls_srv_process(s, m, n, out, sizeof(out), &outlen) ==
	      EAP_SRV_FAILURE && strstr(eap_tls_srv_why(s), "Nak"));
	eap_tls_srv_free(s);

	/* random bytes in every field, many times: never a crash, results consistent */
	uint32_t x = 12345;
	int bad = 0;
	for (int round = 0; round < 300; round++) {
		s = started(out);
		for (int j = 0; j < 8; j++) {
			size_t len = 4 + (x % 40);
			for (size_t b = 0; b < len; b++) {
				x = x * 1103515245 + 12345;
				m[b] = (uint8_t)(x >> 16);
			}
			m[0] = 2;
			m[1] = out[1];
			m[2] = 0;
			m[3] = (uint8_t)len;
			if (j & 1)
				m[4] = 13;
			outlen = 777;
			r = eap_tls_srv_process(s, m, len, out, sizeof(out), &outlen);
			if ((r == EAP_SRV_DROP && outlen != 0) || r == EAP_SRV_SUCCESS ||
			    (r == EAP_SRV_FAILURE && (outlen != 4 || out[0] != 4)))
				bad++;
			if (r == EAP_SRV_FAILURE)
				break;
		}
		eap_tls_srv_free(s);
	}
	CHECK("random Responses: no success, consistent results", bad == 0);

	/* arguments that make no server */
	CHECK("no CAs refused", eap_tls_srv_new(k.server, k.server_k, NULL, NULL, NULL, NULL, 1,
	      err, sizeof(err)) == NULL && err[0]);
	CHECK("key that is not the certificate's refused", eap_tls_srv_new(k.server, k.ec_k,
	      NULL, k.cas, NULL, NULL, 1, err, sizeof(err)) == NULL && err[0]);
	eap_tls_srv_free(NULL);
}

int main(int argc, char **argv)
{
	if (!make_pki()) {
		CHECK("test PKI", 0);
		CHECK_DONE();
	}
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0) {
		/* one seed per conversation: control byte 1 (the target fixes
		 * Identifier and Length), then the peer's messages */
		static const struct { const char *name; int ver; size_t pf; } cs[] = {
			{ "tls12", TLS1_2_VERSION, 1000 }, { "tls13", TLS1_3_VERSION, 1000 },
			{ "tls13_frag", TLS1_3_VERSION, 200 }, { "tls12_frag", TLS1_2_VERSION, 300 },
		};
		for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", argv[2], cs[i].name);
			seedf = fopen(path, "wb");
			if (!seedf)
				return 1;
			fputc(1, seedf);
			seed_first = true;
			struct opts o = { .max_version = cs[i].ver, .peer_frag = cs[i].pf };
			converse(k.ec, k.ec_k, &o);
			fclose(seedf);
			seedf = NULL;
		}
		return 0;
	}

	struct opts o12 = { .max_version = TLS1_2_VERSION };
	struct opts o13 = { .max_version = TLS1_3_VERSION };
	expect_success("TLS 1.2 RSA client", k.rsa, k.rsa_k, &o12, TLS1_2_VERSION);
	expect_success("TLS 1.3 RSA client", k.rsa, k.rsa_k, &o13, TLS1_3_VERSION);
	expect_success("TLS 1.2 ECDSA client", k.ec, k.ec_k, &o12, TLS1_2_VERSION);
	expect_success("TLS 1.3 ECDSA client", k.ec, k.ec_k, &o13, TLS1_3_VERSION);

	struct opts f12 = { .max_version = TLS1_2_VERSION, .srv_frag = 64, .peer_frag = 50 };
	struct opts f13 = { .max_version = TLS1_3_VERSION, .srv_frag = 64, .peer_frag = 50 };
	expect_success("TLS 1.2 fragments both ways (64/50)", k.rsa, k.rsa_k, &f12,
	               TLS1_2_VERSION);
	expect_success("TLS 1.3 fragments both ways (64/50)", k.rsa, k.rsa_k, &f13,
	               TLS1_3_VERSION);
	struct opts capped = { .max_version = TLS1_3_VERSION, .cap = 300 };
	expect_success("TLS 1.3 fragments bounded by the caller's buffer (300)", k.ec, k.ec_k,
	               &capped, TLS1_3_VERSION);
	struct opts withlen = { .max_version = TLS1_2_VERSION, .always_len = true };
	expect_success("TLS 1.2 peer with L on every message", k.ec, k.ec_k, &withlen,
	               TLS1_2_VERSION);

	struct opts crl13 = { .max_version = TLS1_3_VERSION, .with_crls = true };
	struct opts crl12 = { .max_version = TLS1_2_VERSION, .with_crls = true };
	expect_success("TLS 1.3 with CRLs loaded, client not revoked", k.ec, k.ec_k, &crl13,
	               TLS1_3_VERSION);
	expect_success("TLS 1.3 revoked client but no CRL loaded", k.revoked, k.ec_k, &o13,
	               TLS1_3_VERSION);
	expect_failure("TLS 1.3 revoked client", k.revoked, k.ec_k, &crl13, "revoked");
	expect_failure("TLS 1.2 revoked client", k.revoked, k.ec_k, &crl12, "revoked");
	expect_failure("TLS 1.2 expired client", k.expired, k.ec_k, &o12, "expired");
	expect_failure("TLS 1.3 expired client", k.expired, k.ec_k, &o13, "expired");
	expect_failure("TLS 1.3 client from an unknown CA", k.unknown, k.ec_k, &o13, "unknown CA");
	expect_failure("TLS 1.2 client from an unknown CA", k.unknown, k.ec_k, &o12, "unknown CA");
	struct opts rca = { .max_version = TLS1_3_VERSION, .required_ca = k.inter };
	expect_success("TLS 1.3 rightca= intermediate, client under it", k.ec, k.ec_k, &rca,
	               TLS1_3_VERSION);
	expect_failure("TLS 1.3 rightca= intermediate, client issued by the root", k.direct,
	               k.ec_k, &rca, "rightca");
	struct opts nocert12 = { .max_version = TLS1_2_VERSION, .no_client_cert = true };
	struct opts nocert13 = { .max_version = TLS1_3_VERSION, .no_client_cert = true };
	expect_failure("TLS 1.2 no client certificate", NULL, NULL, &nocert12, "no certificate");
	expect_failure("TLS 1.3 no client certificate", NULL, NULL, &nocert13, "no certificate");
	expect_failure("TLS 1.3 client certificate for serverAuth only", k.srv_only, k.ec_k, &o13,
	               "certificate purpose");
	struct opts distrust12 = { .max_version = TLS1_2_VERSION, .peer_trust = k.other_root };
	struct opts distrust13 = { .max_version = TLS1_3_VERSION, .peer_trust = k.other_root };
	expect_failure("TLS 1.2 peer refuses the server's certificate", k.ec, k.ec_k, &distrust12,
	               "the peer sent the TLS alert unknown CA (48)");
	expect_failure("TLS 1.3 peer refuses the server's certificate", k.ec, k.ec_k, &distrust13,
	               "the peer sent the TLS alert unknown CA (48)");
	struct opts quiet = { .max_version = TLS1_3_VERSION, .no_alerts = true };
	struct result r = converse(k.expired, k.ec_k, &quiet);
	CHECK("alerts off: EAP-Failure at once", r.r == EAP_SRV_FAILURE && r.endlen == 4 &&
	      strstr(r.why, "expired"));
	r = converse(k.expired, k.ec_k, &o13);
	CHECK("alerts on: one more round for the alert", r.r == EAP_SRV_FAILURE);

	malformed();
	CHECK_DONE();
}
