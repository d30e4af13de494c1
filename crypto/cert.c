/* X.509 certificates for the server's identity: loading, the chain to
 * send, identities (subject DN and subjectAltNames), CERTREQ hashes. */
#include "crypto/cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define CHAIN_MAX_DEPTH 8

/* Reads every certificate from bio: all PEM blocks, or one DER
 * certificate. 0 when at least one was read. */
static int load_bio(BIO *bio, const char *name, STACK_OF(X509) *out, char *err, size_t errlen)
{
	X509 *x = NULL;
	int n = 0, rc = -1;

	/* PEM first: CERTIFICATE and TRUSTED CERTIFICATE blocks */
	while ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: out of memory", name);
			goto out;
		}
		n++;
	}
	if (n == 0) {
		ERR_clear_error();
		/* rewind: a file BIO answers 0, a memory BIO 1 */
		if (BIO_reset(bio) >= 0 && (x = d2i_X509_bio(bio, NULL)) != NULL) {
			if (!sk_X509_push(out, x)) {
				X509_free(x);
				snprintf(err, errlen, "%s: out of memory", name);
				goto out;
			}
			n++;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no certificate in PEM or DER", name);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	return rc;
}

int cert_parse(const uint8_t *buf, size_t len, const char *name, STACK_OF(X509) *out,
               char *err, size_t errlen)
{
	BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(buf, (int)len) : NULL;
	int rc;

	if (!bio) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	rc = load_bio(bio, name, out, err, errlen);
	BIO_free(bio);
	return rc;
}

X509 *cert_load(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x = NULL;

	if (!bio)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!sk)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (load_bio(bio, path, sk, err, errlen) == 0)
		x = sk_X509_shift(sk); /* the first one; a file holds one cert */
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

/* issuer of c in pool: names and key identifiers agree and the
 * signature verifies */
static X509 *find_issuer(X509 *c, STACK_OF(X509) *pool)
{
	for (int i = 0; i < sk_X509_num(pool); i++) {
		X509 *cand = sk_X509_value(pool, i);
		EVP_PKEY *pk;

		if (cand == c || X509_check_issued(cand, c) != X509_V_OK)
			continue;
		pk = X509_get0_pubkey(cand);
		if (pk && X509_verify(c, pk) == 1)
			return cand;
	}
	ERR_clear_error();
	return NULL;
}

STACK_OF(X509) *cert_chain(X509 *cert, STACK_OF(X509) *pool)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *cur = cert;

	if (!chain || !cert || !pool)
		return chain;
	for (int depth = 0; depth < CHAIN_MAX_DEPTH; depth++) {
		X509 *issuer;

		if (X509_self_signed(cur, 0) == 1)
			break;
		issuer = find_issuer(cur, pool);
		if (!issuer || X509_self_signed(issuer, 0) == 1)
			break;
		/* a loop (A issued B issued A) ends here */
		if (issuer == cert || sk_X509_find(chain, issuer) >= 0)
			break;
		if (!X509_up_ref(issuer))
			break;
		if (!sk_X509_push(chain, issuer)) {
			X509_free(issuer);
			break;
		}
		cur = issuer;
	}
	ERR_clear_error();
	return chain;
}

uint8_t *cert_der(X509 *cert, size_t *len)
{
	int n = cert ? i2d_X509(cert, NULL) : -1;
	uint8_t *buf, *p;

	if (n <= 0)
		return NULL;
	buf = p = malloc((size_t)n);
	if (!buf || i2d_X509(cert, &p) != n) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

uint8_t *cert_subject_der(X509 *cert, size_t *len)
{
	const X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	int n = name ? i2d_X509_NAME(name, NULL) : -1;
	uint8_t *buf, *p;

	if (n <= 0)
		return NULL;
	buf = p = malloc((size_t)n);
	if (!buf || i2d_X509_NAME(name, &p) != n) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* attribute names as strongSwan prints them */
static const char *attr_name(const ASN1_OBJECT *obj, char *buf, size_t buflen)
{
	int nid = OBJ_obj2nid(obj);

	switch (nid) {
	case NID_pkcs9_emailAddress: return "E";
	case NID_serialNumber:       return "serialNumber";
	case NID_givenName:          return "G";
	case NID_surname:            return "SN";
	case NID_undef:
		OBJ_obj2txt(buf, (int)buflen, obj, 1);
		return buf;
	default:
		return OBJ_nid2sn(nid);
	}
}

int cert_subject_text(X509 *cert, char *out, size_t outlen)
{
	const X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	size_t used = 0;
	int rc = -1;

	if (!out || outlen == 0)
		return -1;
	out[0] = 0;
	if (!name)
		return -1;
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		unsigned char *val = NULL;
		char oidbuf[80];
		int vlen = ASN1_STRING_to_UTF8(&val, X509_NAME_ENTRY_get_data(e));
		int w;

		if (vlen < 0)
			goto out;
		w = snprintf(out + used, outlen - used, "%s%s=%.*s", i ? ", " : "",
		             attr_name(X509_NAME_ENTRY_get_object(e), oidbuf, sizeof(oidbuf)),
		             vlen, (const char *)val);
		OPENSSL_free(val);
		if (w < 0 || (size_t)w >= outlen - used)
			goto out;
		used += (size_t)w;
	}
	rc = 0;
out:
	return rc;
}

/* does any subjectAltName of the given type equal data? */
static bool san_match(X509 *cert, int gtype, const uint8_t *data, size_t len, bool nocase)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const ASN1_STRING *s;

		if (gn->type != gtype)
			continue;
		s = gtype == GEN_IPADD ? gn->d.iPAddress : gn->d.ia5;
		if ((size_t)ASN1_STRING_length(s) != len)
			continue;
		if (nocase)
			found = strncasecmp((const char *)ASN1_STRING_get0_data(s),
			                    (const char *)data, len) == 0;
		else
			found = memcmp(ASN1_STRING_get0_data(s), data, len) == 0;
	}
	GENERAL_NAMES_free(sans);
	return found;
}

bool cert_has_id(X509 *cert, uint8_t type, const uint8_t *data, size_t len)
{
	X509_NAME *dn = NULL;
	const unsigned char *p = data;
	bool ok = false;

	if (!cert || !data || len == 0)
		return false;
	/* identities with embedded NULs never match a name */
	if ((type == ID_FQDN || type == ID_RFC822_ADDR) && memchr(data, 0, len))
		return false;
	switch (type) {
	case ID_DER_ASN1_DN:
		dn = d2i_X509_NAME(NULL, &p, (long)len);
		ok = dn && p == data + len &&
		     X509_NAME_cmp(dn, X509_get_subject_name(cert)) == 0;
		X509_NAME_free(dn);
		break;
	case ID_FQDN:
		ok = san_match(cert, GEN_DNS, data, len, true);
		break;
	case ID_RFC822_ADDR:
		ok = san_match(cert, GEN_EMAIL, data, len, true);
		break;
	case ID_IPV4_ADDR:
		ok = len == 4 && san_match(cert, GEN_IPADD, data, len, false);
		break;
	case ID_IPV6_ADDR:
		ok = len == 16 && san_match(cert, GEN_IPADD, data, len, false);
		break;
	default:
		break;
	}
	ERR_clear_error();
	return ok;
}

bool cert_key_matches(X509 *cert, EVP_PKEY *key)
{
	EVP_PKEY *pub = cert ? X509_get0_pubkey(cert) : NULL;
	bool ok = pub && key && EVP_PKEY_eq(pub, key) == 1;

	ERR_clear_error();
	return ok;
}

int cert_spki_sha1(X509 *cert, uint8_t out[20])
{
	const X509_PUBKEY *spki = cert ? X509_get_X509_PUBKEY(cert) : NULL;
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n, rc = -1;

	if (!spki)
		return -1;
	n = i2d_X509_PUBKEY(spki, &der);
	if (n <= 0)
		goto out;
	if (!EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

/* one "  label: text" line per fact, strongSwan's `ipsec listcerts` style */
static void describe_line(BIO *b, const char *label, const char *text)
{
	BIO_printf(b, "  %-10s %s\n", label, text);
}

int cert_describe(X509 *cert, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char buf[512];
	int rc = -1;
	if (!b || !outlen)
		goto done;
	cert_subject_text(cert, buf, sizeof(buf));
	describe_line(b, "subject:", buf);
	BIO *nb = BIO_new(BIO_s_mem());
	if (nb) {
		X509_NAME_print_ex(nb, X509_get_issuer_name(cert), 0,
		                   XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_UTF8_CONVERT | XN_FLAG_FN_SN);
		char *p;
		long l = BIO_get_mem_data(nb, &p);
		snprintf(buf, sizeof(buf), "%.*s", (int)l, p);
		describe_line(b, "issuer:", buf);
		BIO_free(nb);
	}
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	describe_line(b, "serial:", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_printf(b, "  %-10s not before ", "validity:");
	ASN1_TIME_print(b, X509_get0_notBefore(cert));
	BIO_printf(b, "%s\n             not after  ", X509_cmp_current_time(X509_get0_notBefore(cert)) < 0
	           ? ", ok" : ", NOT VALID YET");
	ASN1_TIME_print(b, X509_get0_notAfter(cert));
	BIO_printf(b, "%s\n", X509_cmp_current_time(X509_get0_notAfter(cert)) > 0 ? ", ok" : ", EXPIRED");
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (sans) {
		BIO_printf(b, "  %-10s ", "altNames:");
		for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
			if (i)
				BIO_printf(b, ", ");
			if (g->type == GEN_DNS || g->type == GEN_EMAIL)
				BIO_printf(b, "%.*s", ASN1_STRING_length(g->d.ia5),
				           (const char *)ASN1_STRING_get0_data(g->d.ia5));
			else if (g->type == GEN_IPADD) {
				int n = ASN1_STRING_length(g->d.ip);
				char ip[64] = "?";
				if (n == 4 || n == 16)
					inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.ip),
					          ip, sizeof(ip));
				BIO_printf(b, "%s", ip);
			} else
				BIO_printf(b, "(type %d)", g->type);
		}
		BIO_printf(b, "\n");
		GENERAL_NAMES_free(sans);
	}
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	if (eku) {
		BIO_printf(b, "  %-10s ", "flags:");
		for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
			char name[80];
			ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
			int nid = OBJ_obj2nid(o);
			if (nid != NID_undef)
				snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
			else
				OBJ_obj2txt(name, sizeof(name), o, 1);
			if (strcmp(name, "1.3.6.1.5.5.8.2.2") == 0)
				snprintf(name, sizeof(name), "ikeIntermediate");
			BIO_printf(b, "%s%s", i ? " " : "", name);
		}
		BIO_printf(b, "\n");
		EXTENDED_KEY_USAGE_free(eku);
	}
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	if (pk)
		BIO_printf(b, "  %-10s %s %d bits\n", "pubkey:",
		           EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ? "RSA" :
		           EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "ECDSA" : "other",
		           EVP_PKEY_get_bits(pk));
	char *p;
	long l = BIO_get_mem_data(b, &p);
	snprintf(out, outlen, "%.*s", (int)l, p);
	rc = 0;
done:
	BIO_free(b);
	return rc;
}

int cert_verify(X509 *cert, STACK_OF(X509) *untrusted, STACK_OF(X509) *trusted,
                STACK_OF(X509_CRL) *crls, int strict, X509 *anchor, char *err, size_t errlen)
{
	int rc = -1;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!store || !ctx) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; trusted && i < sk_X509_num(trusted); i++)
		X509_STORE_add_cert(store, sk_X509_value(trusted, i));
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	/* a CRL where we have one: OpenSSL's CRL_CHECK would also refuse a
	 * certificate whose issuer has none, so each certificate of the
	 * chain is looked up in crls after the chain is built */
	if (X509_STORE_CTX_init(ctx, store, cert, untrusted) != 1) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		snprintf(err, errlen, "%s", X509_verify_cert_error_string(e));
		goto out;
	}
	STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
	for (int i = 0; built && i < sk_X509_num(built); i++) {
		X509 *x = sk_X509_value(built, i);
		bool self = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
		bool current = false;      /* a current CRL of its issuer was seen */
		for (int j = 0; crls && j < sk_X509_CRL_num(crls); j++) {
			X509_CRL *crl = sk_X509_CRL_value(crls, j);
			X509_REVOKED *rev = NULL;
			if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(x)) != 0)
				continue;
			/* only a CRL its issuer signed counts */
			X509 *issuer = i + 1 < sk_X509_num(built) ? sk_X509_value(built, i + 1) : x;
			EVP_PKEY *ik = X509_get0_pubkey(issuer);
			if (!ik || X509_CRL_verify(crl, ik) != 1)
				continue;
			if (X509_CRL_get0_by_cert(crl, &rev, x) == 1) {
				char subj[200] = "?";
				X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
				snprintf(err, errlen, "certificate %s is revoked", subj);
				goto out;
			}
			const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
			if (!next || X509_cmp_current_time(next) > 0)
				current = true;
		}
		/* strictcrlpolicy: a certificate (not a self-signed root) needs
		 * a current CRL of its issuer; ifuri only when it names one */
		bool wants = strict == 1 ||
		             (strict == 2 && X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) >= 0);
		if (!self && wants && !current) {
			char subj[200] = "?";
			X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
			snprintf(err, errlen, "no current CRL of the issuer of %s (strictcrlpolicy)", subj);
			goto out;
		}
	}
	if (anchor) {
		STACK_OF(X509) *chain = built;
		bool found = false;
		for (int i = 0; chain && i < sk_X509_num(chain); i++)
			if (X509_cmp(sk_X509_value(chain, i), anchor) == 0)
				found = true;
		if (!found) {
			snprintf(err, errlen, "not issued by the CA rightca= names");
			goto out;
		}
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
