/* A minimal certificate authority: see crypto/pki.h for the choices. */
#include "crypto/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CN_MAX 64            /* ub-common-name, RFC 5280 */
#define SERIAL_LEN 16

/* One line into err: the message, then OpenSSL's first queued reason if
 * there is one. Clears OpenSSL's error queue either way. */
static void __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	char reason[256] = "";
	unsigned long e = ERR_get_error();
	va_list ap;
	int n;

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (reason[0] && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, " (%s)", reason);
}

EVP_PKEY *pki_keygen(enum pki_key_type type, int bits, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;

	switch (type) {
	case PKI_KEY_RSA:
		if (bits < 2048 || bits > 16384) {
			fail(err, errlen, "RSA key size %d: must be 2048..16384 bits", bits);
			return NULL;
		}
		key = EVP_RSA_gen((unsigned)bits);
		break;
	case PKI_KEY_EC_P256:
		key = EVP_EC_gen("P-256");
		break;
	default:
		fail(err, errlen, "unknown key type %d", (int)type);
		return NULL;
	}
	if (!key)
		fail(err, errlen, "key generation failed");
	return key;
}

bool pki_valid_dns_name(const char *s)
{
	size_t len = s ? strlen(s) : 0, label = 0;
	bool alpha_in_label = false;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			/* the label ends: non-empty, <= 63, no '-' at either end */
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			if (ch == '\0')
				return alpha_in_label;
			label = 0;
			alpha_in_label = false;
			continue;
		}
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			alpha_in_label = true;
		else if (!(ch >= '0' && ch <= '9') && ch != '-')
			return false;
		label++;
	}
	return false;
}

/* Parses an IPv4/IPv6 address into bin; its length, or 0 if s is none. */
static size_t parse_ip(const char *s, unsigned char bin[16])
{
	if (inet_pton(AF_INET, s, bin) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, bin) == 1)
		return 16;
	return 0;
}

/* The parts every certificate here shares: v3, random serial, validity
 * from now - 1 day (clients with a slow clock) for days days, public key,
 * subject "CN=cn". */
static X509 *cert_base(EVP_PKEY *key, const char *cn, int days,
                       char *err, size_t errlen)
{
	unsigned char serial[SERIAL_LEN];
	BIGNUM *bn = NULL;
	X509 *c = NULL, *ret = NULL;
	X509_NAME *name;

	if (days < 1 || days > 36500) {
		fail(err, errlen, "validity of %d days: must be 1..36500", days);
		goto out;
	}
	if (strlen(cn) == 0 || strlen(cn) > CN_MAX) {
		fail(err, errlen, "common name must be 1..%d characters", CN_MAX);
		goto out;
	}
	c = X509_new();
	if (!c || !X509_set_version(c, X509_VERSION_3)) {
		fail(err, errlen, "cannot create certificate");
		goto out;
	}
	/* positive (top bit clear) and exactly 16 bytes long (next bit set) */
	if (RAND_bytes(serial, sizeof serial) != 1) {
		fail(err, errlen, "no random serial number");
		goto out;
	}
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c))) {
		fail(err, errlen, "cannot set serial number");
		goto out;
	}
	if (!X509_gmtime_adj(X509_getm_notBefore(c), -86400L) ||
	    !X509_time_adj_ex(X509_getm_notAfter(c), days, 0, NULL)) {
		fail(err, errlen, "cannot set validity");
		goto out;
	}
	if (!X509_set_pubkey(c, key)) {
		fail(err, errlen, "cannot set public key");
		goto out;
	}
	name = X509_get_subject_name(c);
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0)) {
		fail(err, errlen, "cannot set subject CN=%s", cn);
		goto out;
	}
	ret = c;
	c = NULL;
out:
	BN_free(bn);
	X509_free(c);
	return ret;
}

/* Adds an extension given in OpenSSL's config syntax (fixed strings only:
 * nothing a user typed goes through this parser). */
static int add_ext(X509 *c, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ex = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ex != NULL && X509_add_ext(c, ex, -1) == 1;

	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

X509 *pki_ca_create(EVP_PKEY *key, const char *cn, int days,
                    char *err, size_t errlen)
{
	X509V3_CTX ctx;
	X509 *c = NULL, *ret = NULL;

	if (!key || !cn) {
		fail(err, errlen, "CA: no key or name");
		goto out;
	}
	c = cert_base(key, cn, days, err, errlen);
	if (!c)
		goto out;
	if (!X509_set_issuer_name(c, X509_get_subject_name(c))) {
		fail(err, errlen, "CA: cannot set issuer");
		goto out;
	}
	X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
	if (add_ext(c, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(c, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    add_ext(c, &ctx, NID_subject_key_identifier, "hash") < 0) {
		fail(err, errlen, "CA: cannot add extensions");
		goto out;
	}
	if (X509_sign(c, key, EVP_sha256()) <= 0) {
		fail(err, errlen, "CA: cannot sign");
		goto out;
	}
	ret = c;
	c = NULL;
out:
	X509_free(c);
	return ret;
}

/* subjectAltName: IP:id + DNS:id for an address, DNS:id for a name */
static int add_san(X509 *c, const char *id, bool is_ip)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = NULL;
	int ret = -1;

	if (!gens)
		goto out;
	if (is_ip) {
		g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, id, 0);
		if (!g || !sk_GENERAL_NAME_push(gens, g))
			goto out;
		g = NULL;
	}
	g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS, id, 0);
	if (!g || !sk_GENERAL_NAME_push(gens, g))
		goto out;
	g = NULL;
	if (X509_add1_ext_i2d(c, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	ret = 0;
out:
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return ret;
}

X509 *pki_server_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
                       const char *id, int days, char *err, size_t errlen)
{
	unsigned char bin[16];
	X509V3_CTX ctx;
	X509 *c = NULL, *ret = NULL;
	bool is_ip;

	if (!ca || !ca_key || !key || !id) {
		fail(err, errlen, "server certificate: missing CA, key or id");
		goto out;
	}
	is_ip = parse_ip(id, bin) != 0;
	if (!is_ip && !pki_valid_dns_name(id)) {
		fail(err, errlen, "server id '%s' is neither a DNS name nor an IP address", id);
		goto out;
	}
	if (X509_check_private_key(ca, ca_key) != 1) {
		fail(err, errlen, "the CA key does not match the CA certificate");
		goto out;
	}
	c = cert_base(key, strlen(id) <= CN_MAX ? id : "cygnet server", days, err, errlen);
	if (!c)
		goto out;
	if (!X509_set_issuer_name(c, X509_get_subject_name(ca))) {
		fail(err, errlen, "server certificate: cannot set issuer");
		goto out;
	}
	X509V3_set_ctx(&ctx, ca, c, NULL, NULL, 0);
	if (add_ext(c, &ctx, NID_basic_constraints, "CA:FALSE") < 0 ||
	    add_ext(c, &ctx, NID_key_usage, EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
	            "critical,digitalSignature,keyEncipherment" :
	            "critical,digitalSignature") < 0 ||
	    add_ext(c, &ctx, NID_ext_key_usage, "serverAuth,1.3.6.1.5.5.8.2.2") < 0 ||
	    add_ext(c, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(c, &ctx, NID_authority_key_identifier, "keyid:always") < 0 ||
	    add_san(c, id, is_ip) < 0) {
		fail(err, errlen, "server certificate: cannot add extensions");
		goto out;
	}
	if (X509_sign(c, ca_key, EVP_sha256()) <= 0) {
		fail(err, errlen, "server certificate: cannot sign");
		goto out;
	}
	ret = c;
	c = NULL;
out:
	X509_free(c);
	return ret;
}

/* PEM-encodes cert or key in (wiped) memory, then writes it to a new file
 * with exactly mode. Removes the file again if anything fails. */
static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key,
                     char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	BUF_MEM *bm = NULL;
	int fd = -1, ret = -1;
	bool created = false;
	size_t off = 0;

	if (!mem) {
		fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (cert ? PEM_write_bio_X509(mem, cert) != 1 :
	    PEM_write_bio_PKCS8PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1) {
		fail(err, errlen, "%s: cannot encode PEM", path);
		goto out;
	}
	BIO_get_mem_ptr(mem, &bm);
	if (!bm) {
		fail(err, errlen, "%s: cannot encode PEM", path);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	created = true;
	if (fchmod(fd, mode) < 0) {
		fail(err, errlen, "%s: chmod: %s", path, strerror(errno));
		goto out;
	}
	while (off < bm->length) {
		ssize_t n = write(fd, bm->data + off, bm->length - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(err, errlen, "%s: write: %s", path, n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		fail(err, errlen, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail(err, errlen, "%s: close: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0 && created)
		unlink(path);
	if (bm && bm->data)
		OPENSSL_cleanse(bm->data, bm->length);
	BIO_free(mem);
	return ret;
}

int pki_write_cert(const char *path, X509 *cert, char *err, size_t errlen)
{
	if (!path || !cert) {
		fail(err, errlen, "no path or certificate");
		return -1;
	}
	return write_pem(path, 0644, cert, NULL, err, errlen);
}

int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	if (!path || !key) {
		fail(err, errlen, "no path or key");
		return -1;
	}
	return write_pem(path, 0600, NULL, key, err, errlen);
}
