/* libFuzzer target for AUTH payload verification (crypto/sig.c,
 * sig_verify), above all the RFC 7427 method 14 AlgorithmIdentifier a
 * peer sends (OIDs, RSASSA-PSS-params with their nested hash and MGF1
 * identifiers, salt and trailer). Keys are made once per process: RSA-2048,
 * RSA-PSS-2048 and EC P-256, and with each a few real signatures over a
 * fixed message.
 * Input: byte 0: bits 0-1 pick the key (0, 3: RSA, 1: RSA-PSS, 2: EC);
 * bit 7 set ("splice"): byte 1 picks one of the key's real signatures and
 * the rest is an AlgorithmIdentifier put in front of it (up to 255 bytes)
 * as method 14, so fuzzed parameters reach the verification of a valid
 * signature; bit 7 clear: byte 1 is the AUTH method, the rest the AUTH
 * data as it follows the AUTH header.
 * Without a splice nothing may verify: the keys are new in each process.
 * Seeds: tests/fuzz/corpus/sig/ (the RFC 7427 Appendix A identifiers,
 * the ones cygnet and OpenSSL write, broken variants). */
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSIG 4

static const uint8_t msg[] = "fuzz_sig: IKE_SA_INIT | Nr | prf(SK_pi, IDi')";

static struct fkey {
	EVP_PKEY *key;
	uint8_t sig[NSIG][512];   /* the signature alone, identifier removed */
	size_t siglen[NSIG];
	int n;
} keys[3];

static EVP_PKEY *pss_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *k = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* one method 14 signature of msg, the identifier cut off */
static void add_sig(struct fkey *k, uint32_t hashes, unsigned flags)
{
	uint8_t out[1024], m;
	size_t n = sizeof(out);

	if (k->n >= NSIG ||
	    sig_sign_opts(k->key, hashes, flags, msg, sizeof(msg), &m, out, &n) != 0 ||
	    m != AUTHM_DIGITAL_SIGNATURE || n < 1u + out[0] || n - 1 - out[0] > sizeof(k->sig[0]))
		abort();
	k->siglen[k->n] = n - 1 - out[0];
	memcpy(k->sig[k->n++], out + 1 + out[0], n - 1 - out[0]);
}

static void setup(void)
{
	static const uint32_t h256 = 1u << SIGHASH_SHA2_256, h384 = 1u << SIGHASH_SHA2_384,
	                      h512 = 1u << SIGHASH_SHA2_512;

	if (keys[0].key)
		return;
	keys[0].key = EVP_RSA_gen(2048);
	keys[1].key = pss_key();
	keys[2].key = EVP_EC_gen("P-256");
	if (!keys[0].key || !keys[1].key || !keys[2].key)
		abort();
	add_sig(&keys[0], h256, SIG_PSS);
	add_sig(&keys[0], h384, SIG_PSS);
	add_sig(&keys[0], h512, SIG_PSS);
	add_sig(&keys[0], h256, 0);
	add_sig(&keys[1], h256, 0);
	add_sig(&keys[1], h384, 0);
	add_sig(&keys[1], h512, 0);
	add_sig(&keys[2], h256, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t auth[1 + 255 + 512];
	struct fkey *k;
	size_t n;

	setup();
	if (size < 2)
		return 0;
	k = &keys[(data[0] & 3) == 3 ? 0 : data[0] & 3];
	if (data[0] & 0x80) {
		int i = data[1] % k->n;
		size_t idlen = size - 2 > 255 ? 255 : size - 2;
		auth[0] = (uint8_t)idlen;
		memcpy(auth + 1, data + 2, idlen);
		memcpy(auth + 1 + idlen, k->sig[i], k->siglen[i]);
		n = 1 + idlen + k->siglen[i];
		(void)sig_verify(k->key, AUTHM_DIGITAL_SIGNATURE, auth, n, msg, sizeof(msg));
		return 0;
	}
	/* the keys are made afresh in each process: no input can hold a
	 * signature by them, so nothing may verify */
	if (sig_verify(k->key, data[1], data + 2, size - 2, msg, sizeof(msg)) == 0)
		abort();
	return 0;
}
