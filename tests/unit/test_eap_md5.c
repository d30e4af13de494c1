/* The EAP-MD5 server (src/eap_md5.c): a known answer, a whole
 * conversation with the response computed here with OpenSSL's MD5, a
 * wrong password, a Nak, an NTLM-hash secret refused, and malformed or
 * out-of-place responses dropped.
 *
 * Known answer: RFC 1994 §4.1 (CHAP, which RFC 3748 §5.4 carries as
 * EAP-MD5): Response Value = MD5(Identifier | secret | Challenge). With
 * Identifier 0x2a, secret "clientPass" and the challenge 10 11 .. 1f the
 * value is edf0c822c66eb91257c6ee1e35ecca71 (computed independently with
 * Python's hashlib.md5).
 *
 * With --corpus DIR it writes the seeds of tests/fuzz/corpus/eap_md5
 * (input format of tests/fuzz/fuzz_eap_md5.c) and exits. */
#include <stdio.h>
#include <openssl/evp.h>
#include "tests/unit/check.h"
#include "src/eap_md5.h"

static const uint8_t chal[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
#define PW "clientPass"
#define KAT "edf0c822c66eb91257c6ee1e35ecca71"

/* Response/MD5-Challenge: Value-Size 16, value, name */
static size_t response(uint8_t *out, uint8_t id, const uint8_t value[16], const char *name)
{
	size_t nl = strlen(name), len = 4 + 1 + 1 + 16 + nl;
	out[0] = 2;
	out[1] = id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[4] = 4;
	out[5] = 16;
	memcpy(out + 6, value, 16);
	memcpy(out + 22, name, nl);
	return len;
}

static void md5_of(uint8_t id, const char *pw, const uint8_t c[16], uint8_t md[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned n;
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, &id, 1);
	EVP_DigestUpdate(x, pw, strlen(pw));
	EVP_DigestUpdate(x, c, 16);
	EVP_DigestFinal_ex(x, md, &n);
	EVP_MD_CTX_free(x);
}

static struct eap_md5_srv *fresh(uint8_t id, uint8_t *req)
{
	char err[200];
	struct eap_md5_srv *s = eap_md5_srv_new((const uint8_t *)PW, strlen(PW), false, id, err,
	                                        sizeof(err));
	if (!s)
		return NULL;
	eap_md5_srv_fix_challenge(s, chal);
	if (eap_md5_srv_start(s, req, 64) != EAP_MD5_START_LEN) {
		eap_md5_srv_free(s);
		return NULL;
	}
	return s;
}

static void write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len)
		printf("not ok seed %s\n", path);
	if (f)
		fclose(f);
}

/* fuzz_eap_md5 input: a control byte, then Responses split at "FUZZ" */
static void corpus(const char *dir)
{
	uint8_t md[16], m[64], in[256];
	size_t n;
	md5_of(0x2a, PW, chal, md);   /* the target's Identifier and challenge */
	n = response(m, 0x2a, md, "alice");
	in[0] = 0;
	memcpy(in + 1, m, n);
	write_seed(dir, "good", in, n + 1);
	in[0] = 1;
	write_seed(dir, "good_fixlen", in, n + 1);
	m[10] ^= 1;
	in[0] = 0;
	memcpy(in + 1, m, n);
	write_seed(dir, "wrong", in, n + 1);
	static const uint8_t nak[] = { 0, 2, 0x2a, 0, 7, 3, 26, 13 };
	write_seed(dir, "nak", nak, sizeof(nak));
	static const uint8_t two[] = { 0, 2, 0x2a, 0, 5, 4, 'F', 'U', 'Z', 'Z', 2, 0x2a, 0, 22, 4, 16 };
	write_seed(dir, "short_then_trunc", two, sizeof(two));
}

int main(int argc, char **argv)
{
	uint8_t req[64], resp[128], out[64], md[16];
	size_t outlen, n;
	char err[200];
	struct eap_md5_srv *s;

	if (argc == 3 && strcmp(argv[1], "--corpus") == 0) {
		corpus(argv[2]);
		return 0;
	}

	/* the known answer through the module */
	s = fresh(0x2a, req);
	CHECK("md5 start", s != NULL);
	if (!s)
		CHECK_DONE();
	CHECK("md5 request framing", req[0] == 1 && req[1] == 0x2a && req[2] == 0 &&
	      req[3] == 22 && req[4] == 4 && req[5] == 16 && memcmp(req + 6, chal, 16) == 0);
	CHECK("md5 start once", eap_md5_srv_start(s, out, sizeof(out)) == 0);
	uint8_t kat[16];
	check_unhex(KAT, kat);
	md5_of(0x2a, PW, chal, md);
	CHECK_HEX("md5 rfc1994 value (openssl md5)", md, 16, KAT);
	n = response(resp, 0x2a, kat, "alice");
	CHECK("md5 right password", eap_md5_srv_process(s, resp, n, out, sizeof(out), &outlen) ==
	      EAP_SRV_SUCCESS && outlen == 4 && out[0] == 3 && out[1] == 0x2a && out[3] == 4);
	CHECK("md5 why empty on success", eap_md5_srv_why(s)[0] == '\0');
	CHECK("md5 after the end: drop", eap_md5_srv_process(s, resp, n, out, sizeof(out),
	      &outlen) == EAP_SRV_DROP && outlen == 0);
	eap_md5_srv_free(s);

	/* random challenge, Identifier 255, no name, padding after Length */
	s = eap_md5_srv_new((const uint8_t *)PW, strlen(PW), false, 255, err, sizeof(err));
	CHECK("md5 new", s != NULL);
	n = eap_md5_srv_start(s, req, sizeof(req));
	md5_of(255, PW, req + 6, md);
	n = response(resp, 255, md, "");
	resp[n++] = 0xee;
	CHECK("md5 random challenge, padding ignored",
	      eap_md5_srv_process(s, resp, n, out, sizeof(out), &outlen) == EAP_SRV_SUCCESS &&
	      out[1] == 255);
	eap_md5_srv_free(s);

	/* wrong password */
	s = fresh(7, req);
	md5_of(7, "clientPasS", chal, md);
	n = response(resp, 7, md, "alice");
	CHECK("md5 wrong password fails", eap_md5_srv_process(s, resp, n, out, sizeof(out),
	      &outlen) == EAP_SRV_FAILURE && outlen == 4 && out[0] == 4 && out[1] == 7);
	CHECK("md5 wrong password why", strstr(eap_md5_srv_why(s), "wrong") != NULL);
	CHECK("md5 after a failure: drop, why kept", eap_md5_srv_process(s, resp, n, out,
	      sizeof(out), &outlen) == EAP_SRV_DROP && strstr(eap_md5_srv_why(s), "wrong"));
	eap_md5_srv_free(s);

	/* the Identifier goes into the hash: a response for another one fails */
	s = fresh(7, req);
	md5_of(8, PW, chal, md);
	n = response(resp, 7, md, "");
	CHECK("md5 identifier in hash", eap_md5_srv_process(s, resp, n, out, sizeof(out),
	      &outlen) == EAP_SRV_FAILURE);
	eap_md5_srv_free(s);

	/* Nak */
	s = fresh(9, req);
	static const uint8_t nak[] = { 2, 9, 0, 7, 3, 26, 13 };
	CHECK("md5 nak fails", eap_md5_srv_process(s, nak, sizeof(nak), out, sizeof(out),
	      &outlen) == EAP_SRV_FAILURE && out[0] == 4);
	CHECK("md5 nak why", strstr(eap_md5_srv_why(s), "proposes 26 13") != NULL);
	eap_md5_srv_free(s);

	/* secrets it cannot use */
	s = eap_md5_srv_new((const uint8_t *)"0123456789abcdef", 16, true, 1, err, sizeof(err));
	CHECK("md5 ntlm hash refused", s == NULL && strstr(err, "NTLM") != NULL);
	s = eap_md5_srv_new((const uint8_t *)"", 0, false, 1, err, sizeof(err));
	CHECK("md5 empty secret refused", s == NULL && strstr(err, "empty") != NULL);

	/* malformed: all dropped, and the right answer still works after them */
	s = fresh(0x2a, req);
	n = response(resp, 0x2a, kat, "alice");
	uint8_t bad[128];
	int drops = 0, cases = 0;
#define DROPPED(len) do { cases++; \
	drops += eap_md5_srv_process(s, bad, (len), out, sizeof(out), &outlen) == EAP_SRV_DROP && \
	         outlen == 0; } while (0)
	memcpy(bad, resp, n); bad[0] = 1; DROPPED(n);              /* a Request */
	memcpy(bad, resp, n); bad[1] = 0x2b; DROPPED(n);           /* another Identifier */
	memcpy(bad, resp, n); DROPPED(n - 1);                       /* Length > what came */
	memcpy(bad, resp, n); bad[3] = 3; DROPPED(n);              /* Length < 4 */
	memcpy(bad, resp, n); bad[4] = 26; DROPPED(n);             /* another Type */
	memcpy(bad, resp, n); bad[5] = 15; DROPPED(n);             /* Value-Size 15 */
	memcpy(bad, resp, n); bad[5] = 17; DROPPED(n);             /* Value-Size 17 */
	memcpy(bad, resp, n); bad[3] = 21; DROPPED(21);            /* value cut short */
	memcpy(bad, resp, n); bad[3] = 5; DROPPED(5);              /* no Value-Size */
	memcpy(bad, resp, 4); bad[2] = 0; bad[3] = 4; DROPPED(4);  /* no Type */
	DROPPED(0);
	DROPPED(3);
	CHECK("md5 malformed dropped", drops == cases);
	CHECK("md5 still answers after drops", eap_md5_srv_process(s, resp, n, out, sizeof(out),
	      &outlen) == EAP_SRV_SUCCESS);
	eap_md5_srv_free(s);

	/* before the challenge */
	s = eap_md5_srv_new((const uint8_t *)PW, strlen(PW), false, 1, err, sizeof(err));
	CHECK("md5 before start: drop", eap_md5_srv_process(s, resp, n, out, sizeof(out), &outlen)
	      == EAP_SRV_DROP);
	CHECK("md5 start with a small buffer", eap_md5_srv_start(s, out, 21) == 0);
	eap_md5_srv_free(s);
	eap_md5_srv_free(NULL);
	CHECK_DONE();
}
