/* crypto/cert.c cert_verify: chains to the trusted CAs through
 * intermediates, validity, rightca, and CRLs under each strictcrlpolicy
 * (no: a loaded CRL revokes, a missing one is fine; yes: every certificate
 * but a self-signed root needs a current CRL of its issuer; ifuri: only
 * one naming a CRL distribution point). */
#include <stdio.h>
#include <openssl/x509v3.h>
#include "tests/unit/check.h"
#include "tests/unit/tls_pki.h"
#include "crypto/cert.h"

static int verify(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *trusted,
                  STACK_OF(X509_CRL) *crls, int strict, X509 *anchor, char *err)
{
	return cert_verify(leaf, untrusted, trusted, crls, strict, anchor, err, 256);
}

int main(void)
{
	char err[256];
	EVP_PKEY *kca = pki_key(false), *kim = pki_key(false), *kleaf = pki_key(false),
	         *kother = pki_key(false), *kold = pki_key(false);
	X509 *ca = pki_cert("root CA", kca, NULL, NULL, true, -3600, 86400 * 30, 1, NULL);
	X509 *im = pki_cert("intermediate CA", kim, ca, kca, true, -3600, 86400 * 30, 2, NULL);
	X509 *leaf = pki_cert("client", kleaf, im, kim, false, -3600, 86400, 3, "clientAuth");
	X509 *other = pki_cert("other CA", kother, NULL, NULL, true, -3600, 86400, 4, NULL);
	X509 *old = pki_cert("old client", kold, im, kim, false, -86400 * 3, -86400, 5, NULL);
	STACK_OF(X509) *trusted = sk_X509_new_null(), *chain = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	if (!ca || !im || !leaf || !other || !old || !trusted || !chain || !crls) {
		printf("not ok setup\n");
		return 1;
	}
	sk_X509_push(trusted, ca);
	sk_X509_push(chain, im);

	CHECK("chain through a sent intermediate", verify(leaf, chain, trusted, NULL, 0, NULL, err) == 0);
	CHECK("no intermediate: refused", verify(leaf, NULL, trusted, NULL, 0, NULL, err) != 0);
	CHECK("expired: refused", verify(old, chain, trusted, NULL, 0, NULL, err) != 0);
	CHECK("rightca is the root: accepted", verify(leaf, chain, trusted, NULL, 0, ca, err) == 0);
	CHECK("rightca another CA: refused", verify(leaf, chain, trusted, NULL, 0, other, err) != 0);

	/* strictcrlpolicy without CRLs */
	CHECK("no CRL, policy no: accepted", verify(leaf, chain, trusted, crls, 0, NULL, err) == 0);
	CHECK("no CRL, policy yes: refused", verify(leaf, chain, trusted, crls, 1, NULL, err) != 0 &&
	      strstr(err, "strictcrlpolicy") != NULL);
	CHECK("no CRL, policy ifuri, no CDP: accepted",
	      verify(leaf, chain, trusted, crls, 2, NULL, err) == 0);

	/* current CRLs of both CAs, revoking nothing: accepted under yes */
	sk_X509_CRL_push(crls, pki_crl(ca, kca, 0));
	sk_X509_CRL_push(crls, pki_crl(im, kim, 0));
	CHECK("current CRLs, policy yes: accepted",
	      verify(leaf, chain, trusted, crls, 1, NULL, err) == 0);
	/* the intermediate's CRL revoking the leaf */
	X509_CRL *rev = pki_crl(im, kim, 3);
	sk_X509_CRL_push(crls, rev);
	CHECK("revoked, policy no: refused", verify(leaf, chain, trusted, crls, 0, NULL, err) != 0 &&
	      strstr(err, "revoked") != NULL);
	/* a CRL the issuer did not sign revokes nothing */
	sk_X509_CRL_pop(crls);
	X509_CRL_free(rev);
	X509_CRL *forged = pki_crl(im, kother, 3);
	sk_X509_CRL_push(crls, forged);
	CHECK("a CRL not signed by the issuer is not believed",
	      verify(leaf, chain, trusted, crls, 0, NULL, err) == 0);

	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	sk_X509_free(trusted);
	sk_X509_free(chain);
	X509_free(ca);
	X509_free(im);
	X509_free(leaf);
	X509_free(other);
	X509_free(old);
	EVP_PKEY_free(kca);
	EVP_PKEY_free(kim);
	EVP_PKEY_free(kleaf);
	EVP_PKEY_free(kother);
	EVP_PKEY_free(kold);
	CHECK_DONE();
}
