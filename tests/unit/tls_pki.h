/* A small PKI made in memory for the EAP-TLS tests and fuzz target
 * (tests/unit/test_eap_tls.c, test_cert_verify.c, tests/fuzz/fuzz_eap_tls.c): keys, CA and
 * end-entity certificates with the usual extensions, and a CRL. */
#ifndef CYGNET_TLS_PKI_H
#define CYGNET_TLS_PKI_H

#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline EVP_PKEY *pki_key(bool rsa)
{
	return rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

static inline bool pki_ext(X509 *c, X509V3_CTX *v, int nid, const char *val)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v, nid, val);
	bool ok = e && X509_add_ext(c, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for cn with key, issued by issuer/ikey (NULL: self-signed),
 * valid from..to seconds from now; ca makes it a CA; eku (may be NULL) is
 * an extendedKeyUsage value such as "clientAuth". NULL on failure. */
static inline X509 *pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                             bool ca, long from, long to, long serial, const char *eku)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v;
	bool ok = c && n && X509_set_version(c, 2) == 1 &&
	          ASN1_INTEGER_set(X509_get_serialNumber(c), serial) == 1 &&
	          X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"cygnet test",
	                                     -1, -1, 0) == 1 &&
	          X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
	                                     -1, 0) == 1 &&
	          X509_set_subject_name(c, n) == 1 &&
	          X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n) == 1 &&
	          X509_gmtime_adj(X509_getm_notBefore(c), from) &&
	          X509_gmtime_adj(X509_getm_notAfter(c), to) && X509_set_pubkey(c, key) == 1;
	if (ok) {
		X509V3_set_ctx(&v, issuer ? issuer : c, c, NULL, NULL, 0);
		ok = pki_ext(c, &v, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") &&
		     pki_ext(c, &v, NID_key_usage, ca ? "critical,keyCertSign,cRLSign"
		             : "critical,digitalSignature,keyEncipherment") &&
		     pki_ext(c, &v, NID_subject_key_identifier, "hash") &&
		     (!issuer || pki_ext(c, &v, NID_authority_key_identifier, "keyid")) &&
		     (!eku || pki_ext(c, &v, NID_ext_key_usage, eku)) &&
		     X509_sign(c, ikey ? ikey : key, EVP_sha256()) > 0;
	}
	X509_NAME_free(n);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

/* A CRL by ca (key cakey) revoking serial (0: none), valid from an hour ago
 * for a day. */
static inline X509_CRL *pki_crl(X509 *ca, EVP_PKEY *cakey, long serial)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t0 = X509_gmtime_adj(NULL, -3600), *t1 = X509_gmtime_adj(NULL, 86400);
	bool ok = crl && t0 && t1 && X509_CRL_set_version(crl, 1) == 1 &&
	          X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) == 1 &&
	          X509_CRL_set1_lastUpdate(crl, t0) == 1 && X509_CRL_set1_nextUpdate(crl, t1) == 1;
	if (ok && serial) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		ok = r && sn && ASN1_INTEGER_set(sn, serial) == 1 &&
		     X509_REVOKED_set_serialNumber(r, sn) == 1 &&
		     X509_REVOKED_set_revocationDate(r, t0) == 1 && X509_CRL_add0_revoked(crl, r) == 1;
		if (!ok)
			X509_REVOKED_free(r);
		ASN1_INTEGER_free(sn);
	}
	ok = ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, cakey, EVP_sha256()) > 0;
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

#endif
