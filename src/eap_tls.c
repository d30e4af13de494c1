/* EAP-TLS, server side (src/eap_tls.h): OpenSSL over memory BIOs, the
 * EAP-TLS framing and fragmentation around it. */
#include "src/eap_tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "crypto/cert.h"
#include "src/escape.h"

/* Flags octet (RFC 5216 §3.1) */
#define F_L 0x80   /* TLS Message Length included */
#define F_M 0x40   /* more fragments */
#define F_S 0x20   /* EAP-TLS Start */

#define HDR 6              /* Code | Identifier | Length | Type | Flags */
#define HDR_L (HDR + 4)    /* ... | TLS Message Length */
#define MIN_FRAGMENT 16
#define MAX_FRAGMENT 65000
#define MAX_FLIGHT (256 * 1024)   /* our own TLS output per flight */
#define KEYMAT_LEN 128

/* RFC 9190 §2.3 */
static const char LABEL_13[] = "EXPORTER_EAP_TLS_Key_Material";
/* RFC 5216 §2.3 */
static const char LABEL_12[] = "client EAP encryption";

enum tls_state {
	TLS_S_NEW,       /* Start not sent */
	TLS_S_RUNNING,   /* the handshake, or its last flight, or our alert */
	TLS_S_DONE,      /* SUCCESS or FAILURE returned */
};

struct eap_tls_srv {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;          /* owned by ssl */
	X509 *required_ca;         /* own reference, or NULL */
	enum tls_state state;
	uint8_t id;                /* Identifier of the last Request */
	unsigned rounds;           /* Responses taken */
	size_t max_frag;
	bool send_alerts;
	bool hs_done;              /* handshake complete, keys exported */
	bool alerting;             /* our alert is (being) sent: failure next */
	bool succeeded;
	/* the peer's TLS message being reassembled */
	uint8_t *in;
	size_t inlen, incap, in_total;  /* in_total: the L bit's length, 0 if none */
	/* our TLS flight being sent */
	uint8_t *out;
	size_t outlen, outpos, outcap;
	uint8_t keymat[KEYMAT_LEN];   /* MSK | EMSK */
	int version;
	char why[256];
};

static void vset_why(struct eap_tls_srv *s, const char *fmt, va_list ap)
{
	char raw[sizeof(s->why)];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	esc_text(raw, strlen(raw), s->why, sizeof(s->why), 0);
}

__attribute__((format(printf, 2, 3)))
static void set_why(struct eap_tls_srv *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset_why(s, fmt, ap);
	va_end(ap);
}

/* the first reason sticks: later ones are consequences */
__attribute__((format(printf, 2, 3)))
static void why_once(struct eap_tls_srv *s, const char *fmt, ...)
{
	va_list ap;
	if (s->why[0])
		return;
	va_start(ap, fmt);
	vset_why(s, fmt, ap);
	va_end(ap);
}

/* ---- certificates ---- */

/* a certificate's subject for the log */
static void subject(X509 *cert, char *out, size_t outlen)
{
	if (!cert || cert_subject_text(cert, out, outlen) != 0)
		snprintf(out, outlen, "?");
}

/* why a chain did not verify, in the words an operator searches for */
static void why_verify(struct eap_tls_srv *s, X509_STORE_CTX *x)
{
	int e = X509_STORE_CTX_get_error(x);
	int depth = X509_STORE_CTX_get_error_depth(x);
	char dn[160];
	const char *what;

	subject(X509_STORE_CTX_get_current_cert(x), dn, sizeof(dn));
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		what = "expired";
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		what = "not valid yet";
		break;
	case X509_V_ERR_CERT_REVOKED:
		what = "revoked";
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		what = "from an unknown CA";
		break;
	default:
		why_once(s, "client certificate%s \"%s\": %s", depth > 0 ? " chain, at" : "", dn,
		         X509_verify_cert_error_string(e));
		return;
	}
	why_once(s, "%s \"%s\" %s", depth > 0 ? "CA certificate in the client's chain"
	         : "client certificate", dn, what);
}

/* OpenSSL's per-certificate callback: a missing or out-of-date CRL is
 * not a failure (strictcrlpolicy=no, see the header) */
static int verify_one(int ok, X509_STORE_CTX *x)
{
	if (ok)
		return 1;
	switch (X509_STORE_CTX_get_error(x)) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	default:
		return 0;
	}
}

/* the whole chain: OpenSSL's verification, then rightca= */
static int verify_chain(X509_STORE_CTX *x, void *arg)
{
	struct eap_tls_srv *s = arg;
	int ok = X509_verify_cert(x);

	if (ok != 1) {
		why_verify(s, x);
		return 0;
	}
	if (s->required_ca) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(x);
		for (int i = 0; chain && i < sk_X509_num(chain); i++)
			if (X509_cmp(sk_X509_value(chain, i), s->required_ca) == 0)
				return 1;
		char dn[160];
		subject(X509_STORE_CTX_get0_cert(x), dn, sizeof(dn));
		why_once(s, "client certificate \"%s\" not issued by the CA rightca= names", dn);
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

/* alerts the peer sends us are the best reason there is */
static void info_cb(const SSL *ssl, int where, int ret)
{
	struct eap_tls_srv *s = SSL_get_app_data(ssl);
	if (s && (where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT &&
	    (ret >> 8) == SSL3_AL_FATAL)
		why_once(s, "the peer sent the TLS alert %s (%d)", SSL_alert_desc_string_long(ret),
		         ret & 0xff);
}

/* ---- setting up ---- */

static bool setup_ctx(struct eap_tls_srv *s, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
                      STACK_OF(X509) *cas, STACK_OF(X509_CRL) *crls, char *err,
                      size_t errlen)
{
	X509_STORE *store;

	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx) {
		snprintf(err, errlen, "EAP-TLS: out of memory");
		return false;
	}
	if (SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(s->ctx, cert) != 1 || SSL_CTX_use_PrivateKey(s->ctx, key) != 1 ||
	    SSL_CTX_check_private_key(s->ctx) != 1) {
		snprintf(err, errlen, "EAP-TLS: the server certificate and key do not make a TLS "
		         "server: %s", ERR_reason_error_string(ERR_peek_last_error()) ?
		         ERR_reason_error_string(ERR_peek_last_error()) : "?");
		return false;
	}
	if (chain && sk_X509_num(chain) > 0 && SSL_CTX_set1_chain(s->ctx, chain) != 1) {
		snprintf(err, errlen, "EAP-TLS: cannot use the certificate chain");
		return false;
	}
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(s->ctx, 0);

	store = SSL_CTX_get_cert_store(s->ctx);
	for (int i = 0; i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);
		if (X509_STORE_add_cert(store, ca) != 1 ||
		    (!s->required_ca && SSL_CTX_add_client_CA(s->ctx, ca) != 1)) {
			snprintf(err, errlen, "EAP-TLS: cannot add a CA certificate");
			return false;
		}
	}
	/* the CertificateRequest names what the client's certificate must chain to */
	if (s->required_ca && SSL_CTX_add_client_CA(s->ctx, s->required_ca) != 1) {
		snprintf(err, errlen, "EAP-TLS: cannot use the rightca= certificate");
		return false;
	}
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	if (crls && sk_X509_CRL_num(crls) > 0) {
		for (int i = 0; i < sk_X509_CRL_num(crls); i++)
			if (X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i)) != 1) {
				snprintf(err, errlen, "EAP-TLS: cannot add a CRL");
				return false;
			}
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	}
	X509_STORE_set_flags(store, flags);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
	                   SSL_VERIFY_CLIENT_ONCE, verify_one);
	SSL_CTX_set_cert_verify_callback(s->ctx, verify_chain, s);
	SSL_CTX_set_info_callback(s->ctx, info_cb);
	return true;
}

struct eap_tls_srv *eap_tls_srv_new(X509 *server_cert, EVP_PKEY *key, STACK_OF(X509) *chain,
                                    STACK_OF(X509) *cas, STACK_OF(X509_CRL) *crls,
                                    X509 *required_ca, uint8_t eap_id_first, char *err,
                                    size_t errlen)
{
	struct eap_tls_srv *s;

	if (!server_cert || !key || !cas || sk_X509_num(cas) < 1) {
		snprintf(err, errlen, "EAP-TLS needs a server certificate, its key and at least "
		         "one CA certificate to verify clients with");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "EAP-TLS: out of memory");
		return NULL;
	}
	ERR_clear_error();
	s->id = eap_id_first;
	s->max_frag = EAP_TLS_DEFAULT_FRAGMENT;
	s->send_alerts = true;
	if (required_ca) {
		X509_up_ref(required_ca);
		s->required_ca = required_ca;
	}
	if (!setup_ctx(s, server_cert, key, chain, cas, crls, err, errlen))
		goto fail;
	s->ssl = SSL_new(s->ctx);
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	if (!s->ssl || !s->rbio || !s->wbio) {
		BIO_free(s->rbio);
		BIO_free(s->wbio);
		s->rbio = s->wbio = NULL;
		snprintf(err, errlen, "EAP-TLS: out of memory");
		goto fail;
	}
	/* an empty read BIO means "wait for the next EAP message", not EOF */
	BIO_set_mem_eof_return(s->rbio, -1);
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_app_data(s->ssl, s);
	SSL_set_accept_state(s->ssl);
	ERR_clear_error();
	return s;
fail:
	ERR_clear_error();
	eap_tls_srv_free(s);
	return NULL;
}

void eap_tls_srv_set_max_fragment(struct eap_tls_srv *s, size_t n)
{
	s->max_frag = n < MIN_FRAGMENT ? MIN_FRAGMENT : n > MAX_FRAGMENT ? MAX_FRAGMENT : n;
}

void eap_tls_srv_set_send_alerts(struct eap_tls_srv *s, bool on)
{
	s->send_alerts = on;
}

/* ---- EAP-TLS messages ---- */

static void put_u16(uint8_t *at, size_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static void put_u32(uint8_t *at, size_t v)
{
	put_u16(at, v >> 16);
	put_u16(at + 2, v);
}

/* a Request of Type 13 with Flags and no data, the next Identifier */
static size_t put_short(struct eap_tls_srv *s, uint8_t flags, uint8_t *out, size_t cap)
{
	if (cap < HDR)
		return 0;
	s->id++;
	out[0] = EAP_CODE_REQUEST;
	out[1] = s->id;
	put_u16(out + 2, HDR);
	out[4] = EAP_T_TLS;
	out[5] = flags;
	return HDR;
}

size_t eap_tls_srv_start(struct eap_tls_srv *s, uint8_t *out, size_t cap)
{
	if (s->state != TLS_S_NEW || cap < HDR)
		return 0;
	s->id--;            /* put_short moves to the next Identifier */
	s->state = TLS_S_RUNNING;
	return put_short(s, F_S, out, cap);
}

/* the end: EAP-Success or EAP-Failure for the last Request's Identifier */
static enum eap_srv_result finish(struct eap_tls_srv *s, bool ok, uint8_t *out, size_t cap,
                                  size_t *outlen)
{
	s->state = TLS_S_DONE;
	*outlen = eap_put_code(out, cap, ok ? EAP_CODE_SUCCESS : EAP_CODE_FAILURE, s->id);
	if (ok && *outlen == 0)
		why_once(s, "no room for EAP-Success");
	s->succeeded = ok && *outlen > 0;
	if (!s->succeeded)
		OPENSSL_cleanse(s->keymat, sizeof(s->keymat));
	return s->succeeded ? EAP_SRV_SUCCESS : EAP_SRV_FAILURE;
}

__attribute__((format(printf, 5, 6)))
static enum eap_srv_result fail(struct eap_tls_srv *s, uint8_t *out, size_t cap,
                                size_t *outlen, const char *fmt, ...)
{
	va_list ap;
	if (!s->why[0]) {
		va_start(ap, fmt);
		vset_why(s, fmt, ap);
		va_end(ap);
	}
	return finish(s, false, out, cap, outlen);
}

/* the next piece of our flight as a Request: L and M on the first of
 * several, M on all but the last */
static enum eap_srv_result send_fragment(struct eap_tls_srv *s, uint8_t *out, size_t cap,
                                         size_t *outlen)
{
	size_t left = s->outlen - s->outpos, frag = s->max_frag;
	bool first = s->outpos == 0;

	if (cap < HDR_L + 1)
		return fail(s, out, cap, outlen, "EAP-TLS: no room for a Request (%zu bytes)", cap);
	if (frag > cap - HDR_L)
		frag = cap - HDR_L;
	bool more = left > frag;
	size_t n = more ? frag : left;
	bool with_len = first && more;
	size_t hdr = with_len ? HDR_L : HDR;

	put_short(s, (uint8_t)((with_len ? F_L : 0) | (more ? F_M : 0)), out, cap);
	put_u16(out + 2, hdr + n);
	if (with_len)
		put_u32(out + HDR, s->outlen);
	memcpy(out + hdr, s->out + s->outpos, n);
	s->outpos += n;
	if (s->outpos == s->outlen)
		s->outpos = s->outlen = 0;
	*outlen = hdr + n;
	return EAP_SRV_CONTINUE;
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	uint8_t *b = malloc(n);
	if (!b)
		return false;
	if (*cap) {
		memcpy(b, *buf, *cap);
		OPENSSL_cleanse(*buf, *cap);
	}
	free(*buf);
	*buf = b;
	*cap = n;
	return true;
}

/* moves what TLS wrote into our flight buffer; false when it does not fit */
static bool take_output(struct eap_tls_srv *s)
{
	size_t n = BIO_ctrl_pending(s->wbio);
	if (n == 0)
		return true;
	if (s->outlen + n > MAX_FLIGHT || !grow(&s->out, &s->outcap, s->outlen + n))
		return false;
	int r = BIO_read(s->wbio, s->out + s->outlen, (int)n);
	if (r != (int)n)
		return false;
	s->outlen += n;
	return true;
}

/* ---- TLS ---- */

static bool export_keys(struct eap_tls_srv *s)
{
	static const uint8_t type_code = EAP_T_TLS;
	int ok;

	s->version = SSL_version(s->ssl);
	if (s->version == TLS1_3_VERSION)
		ok = SSL_export_keying_material(s->ssl, s->keymat, sizeof(s->keymat), LABEL_13,
		                                sizeof(LABEL_13) - 1, &type_code, 1, 1);
	else
		ok = SSL_export_keying_material(s->ssl, s->keymat, sizeof(s->keymat), LABEL_12,
		                                sizeof(LABEL_12) - 1, NULL, 0, 0);
	return ok == 1;
}

/* why the handshake failed when nothing more precise was noted */
static void why_tls(struct eap_tls_srv *s)
{
	unsigned long e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		why_once(s, "the client sent no certificate");
		return;
	}
	const char *r = ERR_reason_error_string(e);
	why_once(s, "TLS handshake failed: %s", r ? r : "unknown error");
}

/* The handshake failed: our alert goes out first (when there is one and
 * alerts are on), EAP-Failure after the peer answers it. */
static enum eap_srv_result tls_failed(struct eap_tls_srv *s, uint8_t *out, size_t cap,
                                      size_t *outlen)
{
	why_tls(s);
	s->outlen = s->outpos = 0;
	if (s->send_alerts && take_output(s) && s->outlen > 0) {
		s->alerting = true;
		return send_fragment(s, out, cap, outlen);
	}
	return finish(s, false, out, cap, outlen);
}

/* The peer's whole TLS message into OpenSSL, and the answer out. */
static enum eap_srv_result run_tls(struct eap_tls_srv *s, uint8_t *out, size_t cap,
                                   size_t *outlen)
{
	int w = BIO_write(s->rbio, s->in, (int)s->inlen);
	OPENSSL_cleanse(s->in, s->inlen);
	s->inlen = s->in_total = 0;
	if (w <= 0)
		return fail(s, out, cap, outlen, "EAP-TLS: out of memory");

	int r = SSL_do_handshake(s->ssl);
	if (r != 1) {
		if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ)
			return tls_failed(s, out, cap, outlen);
		if (!take_output(s))
			return fail(s, out, cap, outlen, "EAP-TLS: our TLS flight is too large");
		if (s->outlen == 0)
			return fail(s, out, cap, outlen, "the peer's TLS message is incomplete "
			            "or has nothing to answer");
		return send_fragment(s, out, cap, outlen);
	}
	/* done: the verify callback passed; make sure there was a certificate */
	if (!SSL_get0_peer_certificate(s->ssl) || SSL_get_verify_result(s->ssl) != X509_V_OK)
		return fail(s, out, cap, outlen, "the client sent no certificate");
	if (!export_keys(s))
		return fail(s, out, cap, outlen, "EAP-TLS: the TLS exporter failed");
	s->hs_done = true;
	if (s->version == TLS1_3_VERSION) {
		/* RFC 9190 §2.5: the protected success indication */
		static const uint8_t zero = 0;
		size_t n;
		if (SSL_write_ex(s->ssl, &zero, 1, &n) != 1 || n != 1)
			return fail(s, out, cap, outlen, "EAP-TLS: cannot write the TLS 1.3 "
			            "success indication");
	}
	if (!take_output(s))
		return fail(s, out, cap, outlen, "EAP-TLS: our TLS flight is too large");
	if (s->outlen == 0)
		return fail(s, out, cap, outlen, "EAP-TLS: nothing to send after the handshake");
	return send_fragment(s, out, cap, outlen);
}

/* TLS data from the peer where only an empty acknowledgement belongs:
 * an alert tells us why */
static void read_late(struct eap_tls_srv *s, const uint8_t *p, size_t n)
{
	uint8_t buf[64];
	size_t got;
	if (n > 0 && n <= EAP_TLS_MAX_MESSAGE && BIO_write(s->rbio, p, (int)n) > 0)
		while (SSL_read_ex(s->ssl, buf, sizeof(buf), &got) == 1)
			;
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* a fragment of the peer's TLS message (L, M bits); the whole message
 * goes to TLS once the last fragment is in */
static enum eap_srv_result take_fragment(struct eap_tls_srv *s, uint8_t flags, size_t total,
                                         const uint8_t *p, size_t n, uint8_t *out,
                                         size_t cap, size_t *outlen)
{
	if (n == 0)
		return fail(s, out, cap, outlen, "the peer sent an empty EAP-TLS Response where "
		            "TLS data belongs");
	if (s->inlen == 0 && (flags & F_L)) {
		if (total == 0 || total > EAP_TLS_MAX_MESSAGE)
			return fail(s, out, cap, outlen, "the peer's TLS Message Length %zu is %s",
			            total, total ? "over 64 KiB" : "zero");
		s->in_total = total;
	}
	if (s->inlen + n > EAP_TLS_MAX_MESSAGE || (s->in_total && s->inlen + n > s->in_total))
		return fail(s, out, cap, outlen, "the peer's TLS message is longer than %s",
		            s->in_total ? "its TLS Message Length" : "64 KiB");
	if (!grow(&s->in, &s->incap, s->inlen + n))
		return fail(s, out, cap, outlen, "EAP-TLS: out of memory");
	memcpy(s->in + s->inlen, p, n);
	s->inlen += n;
	if (flags & F_M) {
		*outlen = put_short(s, 0, out, cap);
		if (*outlen == 0)
			return fail(s, out, cap, outlen, "EAP-TLS: no room for an acknowledgement");
		return EAP_SRV_CONTINUE;
	}
	if (s->in_total && s->inlen != s->in_total)
		return fail(s, out, cap, outlen, "the peer's TLS message has %zu bytes, its TLS "
		            "Message Length said %zu", s->inlen, s->in_total);
	return run_tls(s, out, cap, outlen);
}

enum eap_srv_result eap_tls_srv_process(struct eap_tls_srv *s, const uint8_t *in, size_t inlen,
                                        uint8_t *out, size_t cap, size_t *outlen)
{
	struct eap_frame f;
	uint8_t flags;
	size_t total = 0;
	const uint8_t *p;
	size_t n;

	*outlen = 0;
	ERR_clear_error();
	if (s->state != TLS_S_RUNNING) {
		/* after the end why keeps the reason of the failure */
		if (s->state == TLS_S_NEW)
			set_why(s, "EAP-TLS: no Start sent yet");
		return EAP_SRV_DROP;
	}
	if (!eap_frame(in, inlen, &f) || f.code != EAP_CODE_RESPONSE || f.id != s->id) {
		set_why(s, "EAP-TLS: not a Response to the last Request (Identifier %u)", s->id);
		return EAP_SRV_DROP;
	}
	if (f.type == EAP_T_NAK && s->rounds == 0) {
		s->rounds++;
		return fail(s, out, cap, outlen, "the peer refused EAP-TLS (Nak)%s",
		            f.len > 0 && f.data[0] ? ", it proposes another EAP method" : "");
	}
	/* Flags | [TLS Message Length] | TLS data */
	if (f.type != EAP_T_TLS || f.len < 1 || ((f.data[0] & F_L) && f.len < 5)) {
		set_why(s, "EAP-TLS: a Response of Type %u, or without its Flags or TLS Message "
		        "Length", f.type);
		return EAP_SRV_DROP;
	}
	flags = f.data[0];
	p = f.data + 1;
	n = f.len - 1;
	if (flags & F_L) {
		total = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		p += 4;
		n -= 4;
	}
	if (++s->rounds > EAP_TLS_MAX_ROUNDS)
		return fail(s, out, cap, outlen, "more than %d EAP-TLS messages",
		            EAP_TLS_MAX_ROUNDS);

	bool ack = n == 0 && !(flags & F_M);
	if (s->outlen > 0) {
		/* the rest of our flight: each piece acknowledged (RFC 5216 §2.1.5) */
		if (!ack) {
			read_late(s, p, n);
			return fail(s, out, cap, outlen, "the peer sent TLS data where an "
			            "acknowledgement of our fragment belongs");
		}
		return send_fragment(s, out, cap, outlen);
	}
	if (s->alerting) {
		read_late(s, p, n);
		return finish(s, false, out, cap, outlen);
	}
	if (s->hs_done) {
		if (!ack) {
			read_late(s, p, n);
			return fail(s, out, cap, outlen, "the peer sent TLS data after the handshake "
			            "instead of an empty EAP-TLS Response");
		}
		return finish(s, true, out, cap, outlen);
	}
	return take_fragment(s, flags, total, p, n, out, cap, outlen);
}

X509 *eap_tls_srv_peer_cert(const struct eap_tls_srv *s)
{
	return s->succeeded ? SSL_get0_peer_certificate(s->ssl) : NULL;
}

const uint8_t *eap_tls_srv_msk(const struct eap_tls_srv *s)
{
	return s->succeeded ? s->keymat : NULL;
}

const uint8_t *eap_tls_srv_emsk(const struct eap_tls_srv *s)
{
	return s->succeeded ? s->keymat + EAP_TLS_MSK_LEN : NULL;
}

int eap_tls_srv_tls_version(const struct eap_tls_srv *s)
{
	return s->hs_done ? s->version : 0;
}

const char *eap_tls_srv_why(const struct eap_tls_srv *s)
{
	return s->why;
}

void eap_tls_srv_free(struct eap_tls_srv *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);          /* frees both BIOs */
	SSL_CTX_free(s->ctx);
	X509_free(s->required_ca);
	if (s->in) {
		OPENSSL_cleanse(s->in, s->incap);
		free(s->in);
	}
	if (s->out) {
		OPENSSL_cleanse(s->out, s->outcap);
		free(s->out);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
