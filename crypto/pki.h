/* A minimal certificate authority: key generation, a self-signed CA
 * certificate, IKEv2 server certificates issued by it, and writing both
 * as PEM files. Used by the first-run bootstrap (src/firstrun.c) and by
 * anything that later issues more certificates from the same CA.
 *
 * Choices, for the native clients of Windows 7..11, macOS, iOS and
 * Android (strongSwan app and the built-in client):
 *  - RSA is the default key type: Windows 7/8 and older Android native
 *    clients handle ECDSA server certificates badly. firstrun uses
 *    RSA-3072 for the CA and for the server: the server certificate is
 *    valid for 5 years, past 2030, after which NIST SP 800-57 no longer
 *    accepts 112-bit (RSA-2048) strength. RSA below 2048 bits is refused.
 *  - Every signature is SHA-256 (RSA PKCS#1 v1.5 or ECDSA), never SHA-1
 *    and never RSA-PSS, which some clients cannot verify in a chain.
 *  - Server certificates carry extendedKeyUsage serverAuth (macOS/iOS and
 *    Windows check it) and ikeIntermediate 1.3.6.1.5.5.8.2.2 (older
 *    Windows and macOS want it), and the server id as subjectAltName:
 *    clients match the address they dial against the SAN, not the CN.
 *    Apple's 825-day limit applies to TLS server certificates only.
 *
 * OpenSSL only; nothing is logged: every failure puts one line in err. */
#ifndef CYGNET_PKI_H
#define CYGNET_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

enum pki_key_type {
	PKI_KEY_RSA,        /* bits >= 2048 */
	PKI_KEY_EC_P256,    /* bits ignored */
};

#define PKI_CA_DAYS      3652   /* 10 years */
#define PKI_SERVER_DAYS  1826   /* 5 years */

/* A new private key. NULL + reason in err on failure. */
EVP_PKEY *pki_keygen(enum pki_key_type type, int bits, char *err, size_t errlen);

/* A self-signed CA certificate for key: subject and issuer "CN=cn",
 * basicConstraints critical CA:TRUE, keyUsage critical keyCertSign +
 * cRLSign, subjectKeyIdentifier, random 16-byte serial, valid from
 * now - 1 day for days days, signed with SHA-256. NULL + reason in err. */
X509 *pki_ca_create(EVP_PKEY *key, const char *cn, int days,
                    char *err, size_t errlen);

/* A server certificate for key, issued by ca/ca_key. id is what the
 * clients dial: a DNS name or an IPv4/IPv6 address.
 *  - subject CN=id (CN="cygnet server" when id is longer than the 64
 *    characters a CN may hold; the SAN still carries it);
 *  - subjectAltName DNS:id for a name; IP:id and DNS:id for an address
 *    (Windows matches an address typed as the server name against the
 *    DNS entries, macOS/iOS and strongSwan against the IP entry);
 *  - extendedKeyUsage serverAuth + ikeIntermediate; keyUsage critical
 *    digitalSignature (+ keyEncipherment for RSA keys); basicConstraints
 *    CA:FALSE; subject and authority key identifiers;
 *  - random 16-byte serial, valid from now - 1 day for days days,
 *    signed with SHA-256.
 * id must be a valid DNS name (letters, digits, '-', '.') or address.
 * NULL + reason in err. */
X509 *pki_server_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
                       const char *id, int days, char *err, size_t errlen);

/* true when s is a DNS name a certificate can carry: 1..253 characters,
 * labels of 1..63 letters, digits and inner '-', at least one letter in
 * the last label (so it cannot be mistaken for an address). */
bool pki_valid_dns_name(const char *s);

/* Write cert as PEM (mode 0644) / key as unencrypted PKCS#8 PEM (mode
 * 0600, whatever the umask). The file must not exist yet (O_EXCL, no
 * symlinks followed); it is fsync'd. On failure nothing is left behind
 * and -1 is returned with a reason in err; 0 on success. */
int pki_write_cert(const char *path, X509 *cert, char *err, size_t errlen);
int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen);

#endif
