/* The EAP peer (src/eap_peer.c): RFC 2759 §9.2 / RFC 3079 §3.5.3 vectors
 * through the peer, whole conversations against cygnet's own EAP server
 * (src/eap_mschapv2.c) in one process, the requests a server may send
 * besides (Notification, other methods, Failure-Request, EAP-Failure),
 * and malformed or truncated messages.
 *
 * With --corpus DIR it also writes the seeds of tests/fuzz/corpus/eap_peer
 * (the server's messages of the conversations below, in the input format
 * of tests/fuzz/fuzz_eap_peer.c) and exits. */
#include <arpa/inet.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "crypto/mschap.h"
#include "src/config.h"
#include "src/eap.h"
#include "src/eap_peer.h"
#include "src/escape.h"
#include "src/firstrun.h"
#include "src/ike_sa.h"

/* RFC 2759 §9.2 sample values; RFC 3079 §3.5.3 for the 128-bit key */
#define RFC_USER "User"
#define RFC_PASS "clientPass"
#define RFC_AUTH_CHAL "5B5D7C7D7B3F2F3E3C2C602132262628"
#define RFC_PEER_CHAL "21402324255E262A28295F2B3A337C7E"
#define RFC_NT_RESP "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"
#define RFC_AUTH_RESP "S=407A5589115FD0D6209F510FE9C04566932CDA56"
#define RFC_SEND_START_KEY128 "8B7CDC149B993A1BA118CB153F56DCCB"

static const char *corpus_dir;

static void write_seed(const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len)
		printf("not ok seed %s\n", path);
	if (f)
		fclose(f);
}

/* ---- building server messages by hand ---- */

static size_t eap_msg(uint8_t *out, uint8_t code, uint8_t id, uint8_t type, const void *data,
                      size_t dlen)
{
	size_t len = 4 + (type ? 1 : 0) + dlen;
	out[0] = code;
	out[1] = id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (type)
		out[4] = type;
	if (dlen)
		memcpy(out + 5, data, dlen);
	return len;
}

/* Request/MS-CHAPv2 with OpCode op, MS-CHAPv2-ID ms_id and body */
static size_t ms_msg(uint8_t *out, uint8_t id, uint8_t op, uint8_t ms_id, const void *body,
                     size_t blen)
{
	uint8_t d[600];
	d[0] = op;
	d[1] = ms_id;
	d[2] = (uint8_t)((blen + 4) >> 8);
	d[3] = (uint8_t)(blen + 4);
	memcpy(d + 4, body, blen);
	return eap_msg(out, 1, id, 26, d, blen + 4);
}

static size_t challenge_msg(uint8_t *out, uint8_t id, uint8_t ms_id, const uint8_t chal[16],
                            const char *name)
{
	uint8_t b[300];
	b[0] = 16;
	memcpy(b + 1, chal, 16);
	memcpy(b + 17, name, strlen(name));
	return ms_msg(out, id, 1, ms_id, b, 17 + strlen(name));
}

static size_t text_msg(uint8_t *out, uint8_t id, uint8_t op, uint8_t ms_id, const char *text)
{
	return ms_msg(out, id, op, ms_id, text, strlen(text));
}

static enum eap_peer_result feed(struct eap_peer *p, const uint8_t *in, size_t inlen,
                                 uint8_t *out, size_t *outlen)
{
	return eap_peer_process(p, in, inlen, out, 1024, outlen);
}

static bool is_short_resp(const uint8_t *r, size_t len, uint8_t id, uint8_t type, uint8_t b)
{
	return len == 6 && r[0] == 2 && r[1] == id && r[2] == 0 && r[3] == 6 && r[4] == type &&
	       r[5] == b;
}

/* ---- RFC 2759 §9.2 through the peer ---- */

static void rfc_conversation(const char *identity, const char *tag)
{
	struct eap_peer p;
	uint8_t ac[16], pc[16], in[600], out[1024], h[16], resp[24], msk[64];
	size_t inlen, outlen;
	char name[128];
	size_t idlen = strlen(identity);

	check_unhex(RFC_AUTH_CHAL, ac);
	check_unhex(RFC_PEER_CHAL, pc);
	eap_peer_init(&p, identity, (const uint8_t *)RFC_PASS, strlen(RFC_PASS));
	eap_peer_fix_challenge(&p, pc);

	inlen = eap_msg(in, 1, 1, 1, NULL, 0);
	snprintf(name, sizeof(name), "%s: identity answered", tag);
	CHECK(name, feed(&p, in, inlen, out, &outlen) == EAP_PEER_REPLY && outlen == 5 + idlen &&
	      out[0] == 2 && out[1] == 1 && out[3] == 5 + idlen && out[4] == 1 &&
	      memcmp(out + 5, identity, idlen) == 0);

	inlen = challenge_msg(in, 2, 0x42, ac, "authenticator");
	snprintf(name, sizeof(name), "%s: challenge answered", tag);
	CHECK(name, feed(&p, in, inlen, out, &outlen) == EAP_PEER_REPLY && outlen == 59 + idlen);
	/* Code | Id | Length | Type | OpCode | MS-ID | MS-Length | Value-Size |
	 * Peer-Challenge | Reserved | NT-Response | Flags | Name */
	static const uint8_t zero8[8];
	snprintf(name, sizeof(name), "%s: response header", tag);
	CHECK(name, out[0] == 2 && out[1] == 2 && (out[2] << 8 | out[3]) == (int)outlen &&
	      out[4] == 26 && out[5] == 2 && out[6] == 0x42 &&
	      (out[7] << 8 | out[8]) == (int)outlen - 5 && out[9] == 49);
	snprintf(name, sizeof(name), "%s: rfc2759 Peer-Challenge, reserved, flags", tag);
	CHECK(name, memcmp(out + 10, pc, 16) == 0 && memcmp(out + 26, zero8, 8) == 0 &&
	      out[58] == 0);
	snprintf(name, sizeof(name), "%s: rfc2759 §9.2 NT-Response", tag);
	CHECK(name, check_hex_eq(out + 34, 24, RFC_NT_RESP));
	snprintf(name, sizeof(name), "%s: Name is the whole identity", tag);
	CHECK(name, memcmp(out + 59, identity, idlen) == 0);

	inlen = text_msg(in, 3, 3, 0x42, RFC_AUTH_RESP " M=Welcome home");
	snprintf(name, sizeof(name), "%s: rfc2759 §9.2 AuthenticatorResponse accepted", tag);
	CHECK(name, feed(&p, in, inlen, out, &outlen) == EAP_PEER_REPLY &&
	      is_short_resp(out, outlen, 3, 26, 3));
	snprintf(name, sizeof(name), "%s: server message kept", tag);
	CHECK(name, strcmp(p.server_msg, "Welcome home") == 0);
	snprintf(name, sizeof(name), "%s: no MSK before EAP-Success", tag);
	CHECK(name, !p.have_msk);

	inlen = eap_msg(in, 3, 3, 0, NULL, 0);
	snprintf(name, sizeof(name), "%s: EAP-Success", tag);
	CHECK(name, feed(&p, in, inlen, out, &outlen) == EAP_PEER_SUCCESS && outlen == 0 &&
	      p.have_msk);
	/* the MSK as the server computes it, and its MasterSendKey half is
	 * RFC 3079 §3.5.3's SendStartKey128 (see test_mschap.c) */
	mschap_nt_hash(RFC_PASS, strlen(RFC_PASS), h);
	mschap_nt_response(ac, pc, RFC_USER, 4, h, resp);
	mschap_msk(h, resp, msk);
	snprintf(name, sizeof(name), "%s: MSK", tag);
	CHECK(name, memcmp(p.msk, msk, 64) == 0 &&
	      check_hex_eq(p.msk + 16, 16, RFC_SEND_START_KEY128));
	snprintf(name, sizeof(name), "%s: nothing after the end", tag);
	CHECK(name, feed(&p, in, inlen, out, &outlen) == EAP_PEER_DROP && outlen == 0);

	eap_peer_wipe(&p);
	static const uint8_t zero[sizeof(p)];
	snprintf(name, sizeof(name), "%s: wiped", tag);
	CHECK(name, memcmp(&p, zero, sizeof(p)) == 0);
}

static void test_rfc(void)
{
	rfc_conversation(RFC_USER, "rfc2759");
	/* the ChallengeHash is over the user name without the domain
	 * (RFC 2759 §8.2): the same NT-Response and S= for DOMAIN\User */
	rfc_conversation("EXAMPLE\\" RFC_USER, "rfc2759 domain");

	/* S= in lower case, no M= */
	struct eap_peer p;
	uint8_t ac[16], pc[16], in[600], out[1024];
	size_t outlen;
	check_unhex(RFC_AUTH_CHAL, ac);
	check_unhex(RFC_PEER_CHAL, pc);
	eap_peer_init(&p, RFC_USER, (const uint8_t *)RFC_PASS, strlen(RFC_PASS));
	eap_peer_fix_challenge(&p, pc);
	size_t n = challenge_msg(in, 9, 9, ac, "x");
	feed(&p, in, n, out, &outlen);
	n = text_msg(in, 10, 3, 9, "S=407a5589115fd0d6209f510fe9c04566932cda56");
	CHECK("S= in lower case, no M=", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      is_short_resp(out, outlen, 10, 26, 3) && p.server_msg[0] == 0);
	eap_peer_wipe(&p);
}

/* ---- against cygnet's server ---- */

static struct daemon d;
static const char *user;
static char pass[256];

struct conv {
	enum eap_result srv;
	bool srv_done;
	enum eap_peer_result peer;
	uint8_t seed[4096];            /* the server's messages as a fuzz_eap_peer input */
	size_t seedlen;
};

static void seed_add(struct conv *c, const uint8_t *m, size_t len)
{
	if (c->seedlen == 0)
		c->seed[c->seedlen++] = 0;              /* target control byte */
	else {
		memcpy(c->seed + c->seedlen, "FUZZ", 4);
		c->seedlen += 4;
	}
	c->seed[c->seedlen++] = 2;                      /* fix S= */
	memcpy(c->seed + c->seedlen, m, len);
	c->seedlen += len;
}

/* One conversation: the server asks for the identity when ask, else
 * challenges the IKE identity ike_id; impostor flips a digit of the S=
 * the server sends. Runs until either side ends. */
static void converse(struct eap_peer *p, bool ask, const char *ike_id, bool impostor,
                     struct conv *c)
{
	static uint8_t spi = 0x10;
	uint8_t spi_i[8] = { 0xee, 0, 0, 0, 0, 0, 0, spi++ };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(4500) };
	inet_pton(AF_INET, "198.18.0.2", &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, sizeof(peer),
	                               (struct sockaddr *)&local, sizeof(local));
	uint8_t req[1024], resp[1024];
	size_t reqlen, resplen;

	memset(c, 0, sizeof(*c));
	c->peer = EAP_PEER_DROP;
	if (!sa)
		return;
	ike_sa_set_cfg(sa, &d.cfg->peers[0]);
	if (!ask)
		snprintf(sa->user, sizeof(sa->user), "%s", ike_id);
	reqlen = eap_start(sa, ask, req, sizeof(req));
	for (int i = 0; i < 8 && reqlen; i++) {
		if (impostor && reqlen > 12 && req[4] == 26 && req[5] == 3)
			req[9 + 2] = req[9 + 2] == '0' ? '1' : '0';
		seed_add(c, req, reqlen);
		c->peer = eap_peer_process(p, req, reqlen, resp, sizeof(resp), &resplen);
		if (c->srv_done || c->peer != EAP_PEER_REPLY)
			break;
		c->srv = eap_process(&d, sa, resp, resplen, req, sizeof(req), &reqlen);
		c->srv_done = c->srv != EAP_CONTINUE;
		/* the last message (EAP-Success/Failure) goes to the peer too */
	}
	if (c->srv == EAP_SUCCESS && c->peer == EAP_PEER_SUCCESS)
		CHECK("server and peer MSK equal", sa->have_msk && p->have_msk &&
		      memcmp(sa->msk, p->msk, 64) == 0);
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&d);
}

static void test_server(void)
{
	char dir[32];
	struct eap_peer p;
	struct conv c;
	char id[300];

	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	const char *secret;
	size_t slen;
	user = d.cfg ? config_eap_account(d.cfg, FIRSTRUN_DEFAULT_USER, &secret, &slen) : NULL;
	CHECK("first-run user and password", user && slen < sizeof(pass));
	if (!user || slen >= sizeof(pass)) {
		if (d.cfg)
			testd_close(&d, dir);
		return;
	}
	memcpy(pass, secret, slen);
	pass[slen] = 0;

	/* EAP-Identity, MS-CHAPv2, success on both sides, the same MSK */
	eap_peer_init(&p, user, (const uint8_t *)pass, strlen(pass));
	converse(&p, true, NULL, false, &c);
	CHECK("server: identity, challenge, success", c.srv_done && c.srv == EAP_SUCCESS);
	CHECK("peer: success", c.peer == EAP_PEER_SUCCESS && p.have_msk &&
	      strcmp(p.server_msg, "Welcome to cygnet") == 0);
	if (corpus_dir)
		write_seed("conv-identity", c.seed, c.seedlen);
	eap_peer_wipe(&p);

	/* no EAP-Identity: the server challenges the IKE identity */
	eap_peer_init(&p, user, (const uint8_t *)pass, strlen(pass));
	converse(&p, false, user, false, &c);
	CHECK("no identity request: both succeed", c.srv == EAP_SUCCESS &&
	      c.peer == EAP_PEER_SUCCESS);
	if (corpus_dir)
		write_seed("conv-challenge", c.seed, c.seedlen);
	eap_peer_wipe(&p);

	/* DOMAIN\user as Windows sends it: Name is the whole identity, the
	 * ChallengeHash over the user; the server strips the domain too */
	snprintf(id, sizeof(id), "CORP\\%s", user);
	eap_peer_init(&p, id, (const uint8_t *)pass, strlen(pass));
	converse(&p, true, NULL, false, &c);
	CHECK("DOMAIN\\user: both succeed", c.srv == EAP_SUCCESS && c.peer == EAP_PEER_SUCCESS);
	eap_peer_wipe(&p);

	/* a wrong password: the server sends EAP-Failure */
	eap_peer_init(&p, user, (const uint8_t *)"not the password", 16);
	converse(&p, true, NULL, false, &c);
	CHECK("wrong password: server fails", c.srv_done && c.srv == EAP_FAILURE);
	CHECK("wrong password: peer fails", c.peer == EAP_PEER_FAILURE && !p.have_msk &&
	      strstr(p.why, "EAP-Failure") && esc_is_clean(p.why));
	printf("# why: %s\n", p.why);
	if (corpus_dir)
		write_seed("conv-wrong-password", c.seed, c.seedlen);
	eap_peer_wipe(&p);

	/* an impostor: its S= is not the one the password gives */
	eap_peer_init(&p, user, (const uint8_t *)pass, strlen(pass));
	converse(&p, true, NULL, true, &c);
	CHECK("impostor: the server's Success-Request refused",
	      c.peer == EAP_PEER_FAILURE && !p.have_msk && strstr(p.why, "impostor"));
	printf("# why: %s\n", p.why);
	eap_peer_wipe(&p);

	testd_close(&d, dir);
}

/* ---- other requests ---- */

static void test_requests(void)
{
	struct eap_peer p;
	uint8_t in[600], out[1024], ac[16] = { 1, 2, 3 };
	size_t n, outlen;

	eap_peer_init(&p, "alice", (const uint8_t *)"secret", 6);
	n = eap_msg(in, 1, 7, 2, "Maintenance tonight\x1b", 20);
	CHECK("notification: empty response", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      outlen == 5 && out[0] == 2 && out[1] == 7 && out[3] == 5 && out[4] == 2);
	CHECK("notification text escaped",
	      strcmp(p.server_msg, "Maintenance tonight\\x1b") == 0);
	n = eap_msg(in, 1, 8, 4, "0123456789abcdef", 16);          /* MD5-Challenge */
	CHECK("MD5 request: Nak proposing 26", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      is_short_resp(out, outlen, 8, 3, 26));
	n = eap_msg(in, 1, 9, 13, "\x20", 1);                      /* EAP-TLS Start */
	CHECK("TLS request: Nak", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      is_short_resp(out, outlen, 9, 3, 26));
	n = eap_msg(in, 1, 10, 3, "\x1a", 1);
	CHECK("a Nak request: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = eap_msg(in, 1, 11, 1, "hello", 5);
	CHECK("identity with a prompt", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      outlen == 10 && memcmp(out + 5, "alice", 5) == 0);
	n = eap_msg(in, 3, 11, 0, NULL, 0);
	CHECK("EAP-Success before MS-CHAPv2: failure",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE && !p.have_msk && p.why[0]);
	eap_peer_wipe(&p);

	/* EAP-Failure right after the Response */
	eap_peer_init(&p, "alice", (const uint8_t *)"secret", 6);
	n = challenge_msg(in, 1, 1, ac, "srv");
	CHECK("challenge", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY);
	n = eap_msg(in, 1, 2, 4, "x", 1);
	CHECK("another method during MS-CHAPv2: dropped",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_DROP && outlen == 0);
	n = challenge_msg(in, 2, 2, ac, "srv");
	CHECK("a second challenge: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP &&
	      p.state == EAP_PEER_S_RESPONDED);
	n = eap_msg(in, 4, 1, 0, NULL, 0);
	CHECK("EAP-Failure", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE && outlen == 0 &&
	      strstr(p.why, "EAP-Failure"));
	eap_peer_wipe(&p);

	/* Failure-Request (RFC 2759 §6) */
	eap_peer_init(&p, "alice", (const uint8_t *)"secret", 6);
	n = challenge_msg(in, 1, 5, ac, "srv");
	feed(&p, in, n, out, &outlen);
	n = text_msg(in, 2, 4, 5, "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 "
	             "M=Bad password\n\x1b[31m");
	CHECK("Failure-Request: failure with a Failure Response",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE &&
	      is_short_resp(out, outlen, 2, 26, 4));
	CHECK("Failure-Request: why has E= and M=, escaped",
	      strstr(p.why, "E=691 (authentication failure)") &&
	      strstr(p.why, "Bad password\\x0a\\x1b[31m") && esc_is_clean(p.why));
	printf("# why: %s\n", p.why);
	CHECK("after the end: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP &&
	      outlen == 0);
	eap_peer_wipe(&p);

	eap_peer_init(&p, "alice", (const uint8_t *)"secret", 6);
	n = challenge_msg(in, 1, 5, ac, "srv");
	feed(&p, in, n, out, &outlen);
	n = text_msg(in, 2, 4, 5, "M=E=12 no code");
	CHECK("Failure-Request without E=", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE &&
	      strstr(p.why, "without an error code") && strstr(p.why, "E=12 no code"));
	eap_peer_wipe(&p);

	/* EAP-Failure after a verified Success-Request */
	uint8_t pc[16], rac[16];
	check_unhex(RFC_PEER_CHAL, pc);
	check_unhex(RFC_AUTH_CHAL, rac);
	eap_peer_init(&p, RFC_USER, (const uint8_t *)RFC_PASS, strlen(RFC_PASS));
	eap_peer_fix_challenge(&p, pc);
	n = challenge_msg(in, 1, 1, rac, "srv");
	feed(&p, in, n, out, &outlen);
	n = text_msg(in, 2, 3, 1, RFC_AUTH_RESP);
	CHECK("verified", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY);
	n = eap_msg(in, 4, 2, 0, NULL, 0);
	CHECK("EAP-Failure after the success: failure, no MSK",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE && !p.have_msk);
	static const uint8_t zero64[64];
	CHECK("MSK wiped on failure", memcmp(p.msk, zero64, 64) == 0);
	eap_peer_wipe(&p);

	/* an identity or password that does not fit */
	char longid[300];
	memset(longid, 'a', 299);
	longid[299] = 0;
	eap_peer_init(&p, longid, (const uint8_t *)"pw", 2);
	n = eap_msg(in, 1, 1, 1, NULL, 0);
	CHECK("identity too long: failure", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE);
	uint8_t longpw[257];
	memset(longpw, 'p', sizeof(longpw));
	eap_peer_init(&p, "bob", longpw, sizeof(longpw));
	n = challenge_msg(in, 1, 1, ac, "srv");
	CHECK("password too long: failure", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE);
	eap_peer_init(&p, "bob", (const uint8_t *)"\xff\xfe", 2);
	CHECK("password not UTF-8: failure", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE);
	eap_peer_init(&p, "bob", (const uint8_t *)"", 0);
	CHECK("empty password: answered", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY);
	eap_peer_init(&p, NULL, NULL, 0);
	n = eap_msg(in, 1, 1, 1, NULL, 0);
	CHECK("NULL identity: empty identity", feed(&p, in, n, out, &outlen) == EAP_PEER_REPLY &&
	      outlen == 5);
	eap_peer_wipe(&p);
	eap_peer_wipe(NULL);
}

/* ---- malformed messages ---- */

/* p in state st, ready for a message of that state */
static void ready(struct eap_peer *p, enum eap_peer_state st)
{
	uint8_t in[600], out[1024], pc[16], ac[16];
	size_t n, outlen;
	check_unhex(RFC_PEER_CHAL, pc);
	check_unhex(RFC_AUTH_CHAL, ac);
	eap_peer_init(p, RFC_USER, (const uint8_t *)RFC_PASS, strlen(RFC_PASS));
	eap_peer_fix_challenge(p, pc);
	if (st >= EAP_PEER_S_RESPONDED) {
		n = challenge_msg(in, 1, 1, ac, "srv");
		feed(p, in, n, out, &outlen);
	}
	if (st >= EAP_PEER_S_VERIFIED) {
		n = text_msg(in, 2, 3, 1, RFC_AUTH_RESP " M=ok");
		feed(p, in, n, out, &outlen);
	}
}

/* every truncation of msg: with the original Length fields (longer than
 * the buffer) and with both Length fields set to the cut length. Those
 * shorter than min must be dropped with p unchanged; none may crash. */
static void truncations(const char *what, enum eap_peer_state st, const uint8_t *msg,
                        size_t len, size_t min)
{
	struct eap_peer p, before;
	uint8_t m[600], out[1024];
	size_t outlen;
	bool ok_orig = true, ok_fixed = true;

	for (size_t n = 0; n < len; n++) {
		ready(&p, st);
		memcpy(m, msg, n);
		before = p;
		if (eap_peer_process(&p, m, n, out, sizeof(out), &outlen) != EAP_PEER_DROP ||
		    outlen != 0 || p.state != before.state)
			ok_orig = false;
		if (n >= 4) {
			m[2] = (uint8_t)(n >> 8);
			m[3] = (uint8_t)n;
		}
		if (n >= 9 && m[4] == 26) {
			m[7] = (uint8_t)((n - 5) >> 8);
			m[8] = (uint8_t)(n - 5);
		}
		ready(&p, st);
		before = p;
		enum eap_peer_result r = eap_peer_process(&p, m, n, out, sizeof(out), &outlen);
		if (n < min && (r != EAP_PEER_DROP || outlen != 0 || p.state != before.state ||
		                memcmp(p.msk, before.msk, 64) != 0))
			ok_fixed = false;
		eap_peer_wipe(&p);
	}
	char name[128];
	snprintf(name, sizeof(name), "%s: truncated, Length as it was: dropped", what);
	CHECK(name, ok_orig);
	snprintf(name, sizeof(name), "%s: truncated, Length fixed: dropped below %zu", what, min);
	CHECK(name, ok_fixed);
}

static void test_malformed(void)
{
	uint8_t in[600], out[1024], ac[16];
	size_t n, outlen;
	struct eap_peer p;

	check_unhex(RFC_AUTH_CHAL, ac);
	n = eap_msg(in, 1, 1, 1, NULL, 0);
	truncations("identity", EAP_PEER_S_START, in, n, 5);
	n = eap_msg(in, 1, 1, 2, "note", 4);
	truncations("notification", EAP_PEER_S_START, in, n, 5);
	n = challenge_msg(in, 1, 1, ac, "srv");
	truncations("challenge", EAP_PEER_S_START, in, n, 4 + 1 + 4 + 1 + 16);
	n = text_msg(in, 2, 3, 1, RFC_AUTH_RESP " M=ok");
	/* from 9 bytes on a Success-Request without a whole S=: failure */
	truncations("success-request", EAP_PEER_S_RESPONDED, in, n, 4 + 1 + 4);
	n = text_msg(in, 2, 4, 1, "E=691 R=0 V=3 M=no");
	truncations("failure-request", EAP_PEER_S_RESPONDED, in, n, 4 + 1 + 4);
	n = eap_msg(in, 3, 3, 0, NULL, 0);
	truncations("eap-success", EAP_PEER_S_VERIFIED, in, n, 4);

	ready(&p, EAP_PEER_S_START);
	n = challenge_msg(in, 1, 1, ac, "srv");
	in[9] = 8;
	CHECK("challenge Value-Size 8: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = challenge_msg(in, 1, 1, ac, "srv");
	in[8]++;
	CHECK("MS-Length too long: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	in[8] -= 2;
	CHECK("MS-Length too short: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = challenge_msg(in, 1, 1, ac, "srv");
	in[5] = 7;
	CHECK("OpCode 7: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = eap_msg(in, 1, 1, 1, NULL, 0);
	in[3] = 3;
	CHECK("EAP Length 3: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = eap_msg(in, 2, 1, 1, "x", 1);
	CHECK("a Response: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = eap_msg(in, 5, 1, 1, "x", 1);
	CHECK("Code 5: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = eap_msg(in, 1, 1, 0, NULL, 0);
	CHECK("Request Type 0: dropped", feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = text_msg(in, 2, 3, 1, RFC_AUTH_RESP);
	CHECK("Success-Request before the challenge: dropped",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	n = text_msg(in, 2, 4, 1, "E=691");
	CHECK("Failure-Request before the challenge: dropped",
	      feed(&p, in, n, out, &outlen) == EAP_PEER_DROP);
	CHECK("NULL input: dropped", eap_peer_process(&p, NULL, 0, out, sizeof(out), &outlen) ==
	      EAP_PEER_DROP);
	/* trailing octets past Length are padding (RFC 3748 §4.1) */
	n = eap_msg(in, 1, 1, 1, NULL, 0);
	in[n] = 0xee;
	CHECK("padding past Length ignored", feed(&p, in, n + 1, out, &outlen) == EAP_PEER_REPLY &&
	      outlen == 9);
	CHECK("still at the start", p.state == EAP_PEER_S_START);
	n = challenge_msg(in, 1, 1, ac, "srv");
	CHECK("no room for the response: dropped",
	      eap_peer_process(&p, in, n, out, 20, &outlen) == EAP_PEER_DROP && outlen == 0 &&
	      p.state == EAP_PEER_S_START);
	eap_peer_wipe(&p);

	/* RFC 2759 §5: a missing or wrong authenticator response ends it */
	static const char *const bad_s[] = {
		"S=407A5589115FD0D6209F510FE9C04566932CDA5G M=x",     /* not hex */
		"S=407A5589115FD0D6209F510FE9C04566932CDA567",        /* too long */
		"S=407A5589115FD0D6209F510FE9C04566932CDA5",          /* too short */
		"M=x S=407A5589115FD0D6209F510FE9C04566932CDA56",     /* not first */
		"",
	};
	bool all = true;
	for (size_t i = 0; i < sizeof(bad_s) / sizeof(bad_s[0]); i++) {
		ready(&p, EAP_PEER_S_RESPONDED);
		n = text_msg(in, 2, 3, 1, bad_s[i]);
		if (feed(&p, in, n, out, &outlen) != EAP_PEER_FAILURE || outlen != 0 ||
		    !strstr(p.why, "did not prove") || p.have_msk)
			all = false;
		eap_peer_wipe(&p);
	}
	CHECK("Success-Request without a valid S=: failure", all);
	ready(&p, EAP_PEER_S_RESPONDED);
	n = text_msg(in, 2, 3, 1, "S=407A5589115FD0D6209F510FE9C04566932CDA57 M=x");
	CHECK("S= one bit off: failure", feed(&p, in, n, out, &outlen) == EAP_PEER_FAILURE &&
	      outlen == 0 && strstr(p.why, "possible impostor"));
	eap_peer_wipe(&p);
}

/* hand-made seeds for what cygnet's server never sends */
static void write_hand_seeds(void)
{
	struct conv c;
	uint8_t m[600], ac[16];
	check_unhex(RFC_AUTH_CHAL, ac);

	memset(&c, 0, sizeof(c));
	seed_add(&c, m, eap_msg(m, 1, 1, 2, "Maintenance tonight", 19));
	seed_add(&c, m, eap_msg(m, 1, 2, 4, "0123456789abcdef", 16));
	seed_add(&c, m, eap_msg(m, 1, 3, 1, "who?", 4));
	seed_add(&c, m, challenge_msg(m, 4, 4, ac, "server"));
	seed_add(&c, m, text_msg(m, 5, 4, 4, "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 "
	                         "M=Bad password"));
	write_seed("hand-notify-nak-failure-request", c.seed, c.seedlen);

	memset(&c, 0, sizeof(c));
	seed_add(&c, m, challenge_msg(m, 1, 1, ac, "server"));
	seed_add(&c, m, text_msg(m, 2, 3, 1, RFC_AUTH_RESP " M=Welcome"));
	seed_add(&c, m, eap_msg(m, 4, 2, 0, NULL, 0));
	write_seed("hand-failure-after-success", c.seed, c.seedlen);

	memset(&c, 0, sizeof(c));
	seed_add(&c, m, eap_msg(m, 1, 1, 13, "\x20", 1));
	seed_add(&c, m, eap_msg(m, 3, 1, 0, NULL, 0));
	write_seed("hand-tls-nak-early-success", c.seed, c.seedlen);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		corpus_dir = argv[2];
	test_rfc();
	test_server();
	if (corpus_dir) {
		write_hand_seeds();
		CHECK_DONE();
	}
	test_requests();
	test_malformed();
	CHECK_DONE();
}
