/* X.509 certificates for the server's own identity: loading, the chain up
 * to a trusted CA, identities in the certificate, CERTREQ matching. */
#ifndef CYGNET_CERT_H
#define CYGNET_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

/* IKE identification types (RFC 7296 §3.5) */
enum id_type {
	ID_IPV4_ADDR = 1,
	ID_FQDN = 2,
	ID_RFC822_ADDR = 3,
	ID_IPV6_ADDR = 5,
	ID_DER_ASN1_DN = 9,
	ID_KEY_ID = 11,
};

/* Loads one certificate, PEM or DER. NULL + one-line reason in err. */
X509 *cert_load(const char *path, char *err, size_t errlen);
/* Appends every certificate in buf (PEM blocks, or one DER certificate)
 * to out; name is for the error. 0, or -1 when there is none. */
int cert_parse(const uint8_t *buf, size_t len, const char *name, STACK_OF(X509) *out,
               char *err, size_t errlen);

/* Builds the chain to send after the end-entity cert: the intermediates
 * from pool (issuer of cert, then its issuer, ...) excluding the
 * self-signed root. Returns a new stack (possibly empty). */
STACK_OF(X509) *cert_chain(X509 *cert, STACK_OF(X509) *pool);

/* DER encoding of cert into a malloc'd buffer. NULL on failure. */
uint8_t *cert_der(X509 *cert, size_t *len);
/* DER of the subject name (for an ID_DER_ASN1_DN identity), malloc'd. */
uint8_t *cert_subject_der(X509 *cert, size_t *len);
/* Subject DN as text, strongSwan style "C=CH, O=strongSwan, CN=moon". */
int cert_subject_text(X509 *cert, char *out, size_t outlen);

/* true when the identity (type + value as sent in an ID payload) is the
 * certificate's subject DN or one of its subjectAltNames (dNSName for
 * FQDN, rfc822Name, iPAddress). */
bool cert_has_id(X509 *cert, uint8_t type, const uint8_t *data, size_t len);
/* true when the private key matches the certificate's public key */
bool cert_key_matches(X509 *cert, EVP_PKEY *key);
/* SHA-1 of the certificate's SubjectPublicKeyInfo (CERTREQ authority
 * entries, RFC 7296 §3.7); out 20 bytes */
int cert_spki_sha1(X509 *cert, uint8_t out[20]);

/* Verifies a peer's end-entity certificate: a chain to one of trusted
 * (any certificate there is an anchor, as strongSwan treats its cacerts),
 * with intermediates from untrusted (may be NULL), every certificate in
 * its validity period now. With crls (may be NULL), a certificate whose
 * issuer has a CRL there must not be on it. strict (strongSwan's
 * strictcrlpolicy): 0 (no) lets a certificate without a CRL of its issuer
 * pass, 1 (yes) refuses it and one whose CRL is past its nextUpdate, 2
 * (ifuri) does that only for certificates naming a CRL distribution
 * point. With anchor non-NULL the chain
 * must pass through it (rightca=). 0, or -1 with a one-line reason. */
int cert_verify(X509 *cert, STACK_OF(X509) *untrusted, STACK_OF(X509) *trusted,
                STACK_OF(X509_CRL) *crls, int strict, X509 *anchor, char *err, size_t errlen);

/* a description like strongSwan's listcerts: subject, issuer, serial,
 * validity (with ok / EXPIRED), altNames, extended key usages, public key;
 * one fact a line, each starting with two spaces. 0 on success. */
int cert_describe(X509 *cert, char *out, size_t outlen);

#endif
