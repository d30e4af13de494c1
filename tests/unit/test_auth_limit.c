/* Password-guessing limits (src/auth_limit.c) with an injected clock, and
 * the EAP-MSCHAPv2 server (src/eap_mschapv2.c) in process: the session
 * identity and the MS-CHAPv2 name must be one account, refusals of every
 * kind give the same EAP-Failure, and an unknown user costs the same time
 * as a wrong password (measured, medians printed). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <openssl/rand.h>
#include "conf/ipsec_conf.h"
#include "conf/secrets.h"
#include "crypto/mschap.h"
#include "src/auth_limit.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "tests/unit/check.h"

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(4500);
	} else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(4500);
	}
	return ss;
}
#define SA(x) ((const struct sockaddr *)&(x))

static int n_entries(struct auth_limit *al, uint64_t now, const char *key, uint32_t *fails,
                     uint64_t *rem)
{
	struct auth_limit_info e;
	int n = 0;
	for (size_t pos = 0; auth_limit_next(al, &pos, now, &e);) {
		if (!key) {
			n++;
		} else if (strcmp(e.key, key) == 0) {
			n++;
			if (fails)
				*fails = e.failures;
			if (rem)
				*rem = e.remaining_ms;
		}
	}
	return n;
}

static void test_limiter(void)
{
	struct ipsec_conf conf = { .auth_backoff = true, .auth_backoff_free = 3,
	                           .auth_backoff_free_source = 10, .auth_backoff_base = 2,
	                           .auth_backoff_max = 16 };
	struct auth_limit *al = auth_limit_new();
	CHECK("limiter created", al != NULL);
	struct sockaddr_storage a = addr("198.18.1.11"), b = addr("198.18.1.12"),
	                        c = addr("198.18.1.13"), v6 = addr("2001:db8:1::11"),
	                        v6b = addr("2001:db8:1::ffff"), v6c = addr("2001:db8:2::11");
	uint64_t t = 1000000;

	/* per account: free failures, then 2, 4, 8, 16, 16 s */
	for (int i = 0; i < 3; i++)
		auth_limit_failure(al, &conf, "alice", "alice", SA(a), t);
	CHECK("3 free failures: not backed off", !auth_limit_blocked(al, &conf, "alice", "alice", SA(a), t));
	auth_limit_failure(al, &conf, "alice", "alice", SA(a), t);
	CHECK("4th failure: backed off", auth_limit_blocked(al, &conf, "alice", "alice", SA(a), t));
	CHECK("backed off from another address too",
	      auth_limit_blocked(al, &conf, "alice", "alice", SA(b), t + 1999));
	CHECK("2 s later: allowed", !auth_limit_blocked(al, &conf, "alice", "alice", SA(a), t + 2000));
	static const uint32_t expect[] = { 4, 8, 16, 16, 16 };
	bool doubling = true;
	for (int i = 0; i < 5; i++) {
		t += 100000;
		auth_limit_failure(al, &conf, "alice", "alice", SA(b), t);
		uint64_t rem = 0;
		n_entries(al, t, "alice", NULL, &rem);
		doubling &= rem == expect[i] * 1000;
	}
	CHECK("back-off doubles up to auth_backoff_max", doubling);
	uint32_t fails = 0;
	CHECK("listed with its failures", n_entries(al, t, "alice", &fails, NULL) == 1 && fails == 9);

	/* a locked-out account never affects other users, even from its addresses */
	CHECK("bob from alice's address: allowed",
	      !auth_limit_blocked(al, &conf, "bob", "bob", SA(a), t));
	CHECK("unknown name from alice's address: allowed",
	      !auth_limit_blocked(al, &conf, NULL, "mallory", SA(b), t));

	/* per address: more tolerant, then only that address */
	for (int i = 0; i < 10; i++)
		auth_limit_failure(al, &conf, NULL, "x", SA(c), t);
	CHECK("10 free failures per address", !auth_limit_blocked(al, &conf, NULL, "x", SA(c), t));
	auth_limit_failure(al, &conf, NULL, "x", SA(c), t);
	CHECK("11th failure: address backed off", auth_limit_blocked(al, &conf, "bob", "bob", SA(c), t));
	CHECK("another address unaffected", !auth_limit_blocked(al, &conf, "bob", "bob", SA(a), t));
	CHECK("unknown names are not listed by name", n_entries(al, t, "x", NULL, NULL) == 0);
	CHECK("the address is listed", n_entries(al, t, "198.18.1.13", NULL, NULL) == 1);

	/* success resets the account and the address */
	t += 20000;
	auth_limit_success(al, "alice", SA(b), t);
	CHECK("success clears the account", n_entries(al, t, "alice", NULL, NULL) == 0);
	CHECK("success clears the address", n_entries(al, t, "198.18.1.12", NULL, NULL) == 0);
	auth_limit_failure(al, &conf, "alice", "alice", SA(b), t);
	CHECK("after success the free failures start again",
	      !auth_limit_blocked(al, &conf, "alice", "alice", SA(b), t));

	/* IPv6: one /64 is one source */
	for (int i = 0; i < 11; i++)
		auth_limit_failure(al, &conf, NULL, "y", SA(v6), t);
	CHECK("v6 /64 backed off", auth_limit_blocked(al, &conf, NULL, "y", SA(v6b), t));
	CHECK("another /64 unaffected", !auth_limit_blocked(al, &conf, NULL, "y", SA(v6c), t));
	CHECK("v6 key is the /64", n_entries(al, t, "2001:db8:1::/64", NULL, NULL) == 1);
	CHECK("clear by a v6 address", auth_limit_clear(al, "2001:db8:1::11", t) == 1 &&
	      !auth_limit_blocked(al, &conf, NULL, "y", SA(v6), t));
	CHECK("clear by v4 address", auth_limit_clear(al, "198.18.1.13", t) == 1 &&
	      !auth_limit_blocked(al, &conf, "bob", "bob", SA(c), t));
	CHECK("clear of nothing", auth_limit_clear(al, "nobody", t) == 0);

	/* the off switch */
	for (int i = 0; i < 20; i++)
		auth_limit_failure(al, &conf, "carol", "carol", SA(a), t);
	conf.auth_backoff = false;
	CHECK("auth_backoff=no: never refused",
	      !auth_limit_blocked(al, &conf, "carol", "carol", SA(a), t));
	conf.auth_backoff = true;
	struct sockaddr_storage e = addr("198.18.1.14");
	CHECK("clear by name", auth_limit_clear(al, "carol", t) == 1 &&
	      !auth_limit_blocked(al, &conf, "carol", "carol", SA(e), t));

	/* idle entries are forgotten */
	auth_limit_failure(al, &conf, "dave", "dave", SA(a), t);
	CHECK("entry kept before AUTH_LIMIT_FORGET",
	      n_entries(al, t + AUTH_LIMIT_FORGET * 1000ULL - 1, "dave", NULL, NULL) == 1);
	CHECK("entry forgotten after AUTH_LIMIT_FORGET",
	      n_entries(al, t + AUTH_LIMIT_FORGET * 1000ULL, "dave", NULL, NULL) == 0);

	/* bounded: 100000 distinct sources fill a fixed table, evicting the
	 * least recently active; a busy entry survives */
	log_set_level(-1, -1);
	auth_limit_failure(al, &conf, "erin", "erin", SA(a), t);
	for (int i = 0; i < 20; i++)
		auth_limit_failure(al, &conf, "erin", "erin", SA(a), t);
	for (uint32_t i = 0; i < 100000; i++) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc6130000u + i) };
		auth_limit_failure(al, &conf, NULL, "z", (struct sockaddr *)&s, t + 1 + i / 1000);
	}
	int total = n_entries(al, t + 200, NULL, NULL, NULL);
	CHECK("table bounded (100000 sources, at most 1024 + 4096 entries)", total <= 1024 + 4096);
	CHECK("table used (more than 4000 entries)", total > 4000);
	CHECK("account entries are not evicted by addresses",
	      auth_limit_blocked(al, &conf, "erin", "erin", SA(b), t + 200));
	log_set_level(-1, 1);
	auth_limit_free(al);
	auth_limit_free(NULL);
}

/* ---- EAP-MSCHAPv2 in process ---- */

static struct daemon d;
static const char *secrets_text = "alice : EAP \"Alice-Secret-1\"\n"
                                  "bob : EAP \"Bob Secret 2\"\n";

/* one round: challenge, then the peer's response with identity `user`,
 * MS-CHAPv2 name `name` and password pw; the EAP answer in out. Returns
 * the result and the time eap_process took (ns) in *ns. */
static enum eap_result round_trip(struct ike_sa *sa, const char *user, const char *name,
                                  const char *pw, uint8_t *out, size_t *outlen, uint64_t *ns)
{
	uint8_t req[128], msg[512];
	snprintf(sa->user, sizeof(sa->user), "%s", user);
	sa->eap = EAP_S_IDENTITY;
	sa->auth_fail = NULL;
	sa->have_msk = false;
	if (eap_start(sa, 0, req, sizeof(req)) == 0)
		return EAP_FAILURE;
	/* response: EAP header, type, OpCode, MS-ID, MS-Length, Value-Size,
	 * Peer-Challenge, Reserved, NT-Response, Flags, Name */
	size_t nlen = strlen(name), len = 4 + 1 + 4 + 1 + 49 + nlen;
	const char *uname = strrchr(name, '\\') ? strrchr(name, '\\') + 1 : name;
	uint8_t *ms = msg + 5, nt_hash[16];
	memset(msg, 0, sizeof(msg));
	msg[0] = 2;
	msg[1] = sa->eap_id;
	msg[2] = (uint8_t)(len >> 8);
	msg[3] = (uint8_t)len;
	msg[4] = 26;
	ms[0] = 2;
	ms[1] = req[6];
	ms[2] = (uint8_t)((len - 5) >> 8);
	ms[3] = (uint8_t)(len - 5);
	ms[4] = 49;
	RAND_bytes(ms + 5, 16);
	mschap_nt_hash(pw, strlen(pw), nt_hash);
	mschap_nt_response(sa->auth_chal, ms + 5, uname, strlen(uname), nt_hash, ms + 5 + 24);
	memcpy(ms + 54, name, nlen);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	enum eap_result r = eap_process(&d, sa, msg, len, out, 512, outlen);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)b.tv_nsec -
	      (uint64_t)a.tv_nsec;
	return r;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* median time of n refusals of (user, name, pw) */
static uint64_t median_refusal(struct ike_sa *sa, const char *user, const char *name,
                               const char *pw, int n, bool *all_failed)
{
	uint64_t *t = calloc((size_t)n, sizeof(*t));
	uint8_t out[512];
	size_t outlen;
	*all_failed = true;
	for (int i = 0; i < n; i++)
		*all_failed &= round_trip(sa, user, name, pw, out, &outlen, &t[i]) == EAP_FAILURE;
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	uint64_t m = t[n / 2];
	free(t);
	return m;
}

static void test_eap(void)
{
	char err[256];
	struct config cfg = { 0 };
	cfg.conf = ipsec_conf_parse("t.conf", "config setup\n  auth_backoff_free=3\n"
	                            "  auth_backoff_base=60\n", err, sizeof(err));
	cfg.secrets = secrets_parse("t.secrets", secrets_text, err, sizeof(err));
	CHECK("config parsed", cfg.conf && cfg.secrets);
	if (!cfg.conf || !cfg.secrets)
		return;
	d.cfg = &cfg;
	d.alim = auth_limit_new();
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	sa->peer = addr("198.18.1.11");
	uint8_t out[512], fail_ref[512];
	size_t outlen, fail_len = 0;
	uint64_t ns;

	CHECK("alice as alice: accepted",
	      round_trip(sa, "alice", "alice", "Alice-Secret-1", out, &outlen, &ns) == EAP_CONTINUE &&
	      sa->have_msk && strcmp(sa->user, "alice") == 0);
	CHECK("DOMAIN\\alice: accepted, runs as 'alice'",
	      round_trip(sa, "CORP\\alice", "CORP\\alice", "Alice-Secret-1", out, &outlen, &ns) ==
	      EAP_CONTINUE && strcmp(sa->user, "alice") == 0);
	CHECK("identity alice, name DOMAIN\\alice: accepted",
	      round_trip(sa, "alice", "CORP\\alice", "Alice-Secret-1", out, &outlen, &ns) ==
	      EAP_CONTINUE && strcmp(sa->user, "alice") == 0);

	/* refusals: each gives the same EAP-Failure */
	CHECK("unconfigured identity 'bobby' with alice's name and password: refused",
	      round_trip(sa, "bobby", "alice", "Alice-Secret-1", out, &outlen, &ns) == EAP_FAILURE &&
	      !sa->have_msk && strstr(sa->auth_fail, "differ"));
	memcpy(fail_ref, out, outlen);
	fail_len = outlen;
	CHECK("EAP-Failure answer", fail_len == 4 && fail_ref[0] == 4);
	bool same = true;
	CHECK("identity bob, name alice (two accounts): refused",
	      round_trip(sa, "bob", "alice", "Alice-Secret-1", out, &outlen, &ns) == EAP_FAILURE &&
	      strstr(sa->auth_fail, "differ"));
	same &= outlen == fail_len && out[0] == 4;
	CHECK("identity alice, name bob with bob's password: refused",
	      round_trip(sa, "alice", "bob", "Bob Secret 2", out, &outlen, &ns) == EAP_FAILURE);
	same &= outlen == fail_len && out[0] == 4;
	CHECK("unknown user: refused",
	      round_trip(sa, "mallory", "mallory", "x", out, &outlen, &ns) == EAP_FAILURE &&
	      strcmp(sa->auth_fail, "unknown user") == 0);
	same &= outlen == fail_len && out[0] == 4;
	CHECK("wrong password: refused",
	      round_trip(sa, "bob", "bob", "wrong", out, &outlen, &ns) == EAP_FAILURE &&
	      strcmp(sa->auth_fail, "wrong password") == 0);
	same &= outlen == fail_len && out[0] == 4;

	/* bob's 4th failure backs him off for 60 s: the right password is
	 * refused, the answer as for a wrong one */
	for (int i = 0; i < 3; i++)
		round_trip(sa, "bob", "bob", "wrong", out, &outlen, &ns);
	CHECK("backed off: right password refused",
	      round_trip(sa, "bob", "bob", "Bob Secret 2", out, &outlen, &ns) == EAP_FAILURE &&
	      strcmp(sa->auth_fail, "backed off") == 0);
	same &= outlen == fail_len && out[0] == 4;
	CHECK("every refusal gives the same EAP-Failure", same);
	sa->peer = addr("198.18.1.99");
	CHECK("backed off from another address too",
	      round_trip(sa, "bob", "bob", "Bob Secret 2", out, &outlen, &ns) == EAP_FAILURE);
	CHECK("alice unaffected by bob's back-off",
	      round_trip(sa, "alice", "alice", "Alice-Secret-1", out, &outlen, &ns) == EAP_CONTINUE);
	auth_limit_clear(d.alim, "bob", auth_limit_now());
	CHECK("after --clear bob logs in",
	      round_trip(sa, "bob", "bob", "Bob Secret 2", out, &outlen, &ns) == EAP_CONTINUE);

	/* timing: unknown user vs wrong password vs backed off, server side,
	 * with the limiter on (counting, not yet backing off) */
	log_set_level(-1, -1);
	cfg.conf->auth_backoff_free = 100000;
	cfg.conf->auth_backoff_free_source = 100000;
	sa->peer = addr("198.18.1.50");
	bool f1 = true, f2 = true, f3, f;
	enum { N = 400 };
	uint64_t unknown = UINT64_MAX, wrong = UINT64_MAX, m;
	for (int k = 0; k < 3; k++) {
		m = median_refusal(sa, "mallory", "mallory", "Mallory-Pass", N, &f);
		unknown = m < unknown ? m : unknown;
		f1 &= f;
		m = median_refusal(sa, "alice", "alice", "Wrong-Pass-12", N, &f);
		wrong = m < wrong ? m : wrong;
		f2 &= f;
	}
	cfg.conf->auth_backoff_free = 3;
	uint8_t o2[512];
	round_trip(sa, "alice", "alice", "Wrong-Pass-12", o2, &outlen, &ns);
	uint64_t backed = median_refusal(sa, "alice", "alice", "Alice-Secret-1", N, &f3);
	log_set_level(-1, 1);
	printf("# refusal time, server side, best median of 3 x %d in process: unknown user "
	       "%llu ns, wrong password %llu ns, backed off %llu ns\n", N,
	       (unsigned long long)unknown, (unsigned long long)wrong, (unsigned long long)backed);
	CHECK("timing runs all refused", f1 && f2 && f3);
	double r = (double)unknown / (double)(wrong ? wrong : 1);
	CHECK("unknown user and wrong password take the same time (medians within 30%)",
	      r > 0.7 && r < 1.3);
	r = (double)backed / (double)(wrong ? wrong : 1);
	CHECK("backed off and wrong password take the same time (medians within 30%)",
	      r > 0.7 && r < 1.3);

	free(sa);
	auth_limit_free(d.alim);
	ipsec_conf_free(cfg.conf);
	secrets_free(cfg.secrets);
}

static void test_conf(void)
{
	char err[256];
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", "config setup\n", err, sizeof(err));
	CHECK("defaults", c && c->auth_backoff && c->auth_backoff_free == 5 &&
	      c->auth_backoff_free_source == 20 && c->auth_backoff_base == 2 &&
	      c->auth_backoff_max == 900);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n  auth_backoff=no\n  auth_backoff_free=0\n"
	                     "  auth_backoff_free_source=100\n  auth_backoff_base=1\n"
	                     "  auth_backoff_max=15m\n", err, sizeof(err));
	CHECK("values", c && !c->auth_backoff && c->auth_backoff_free == 0 &&
	      c->auth_backoff_free_source == 100 && c->auth_backoff_base == 1 &&
	      c->auth_backoff_max == 900);
	ipsec_conf_free(c);
	static const char *const bad[][2] = {
		{ "config setup\n  auth_backoff=maybe\n", "x.conf:2: auth_backoff:" },
		{ "config setup\n\n  auth_backoff_free=-1\n", "x.conf:3: auth_backoff_free:" },
		{ "config setup\n  auth_backoff_free_source=100001\n", "x.conf:2: auth_backoff_free_source:" },
		{ "config setup\n  auth_backoff_base=0\n", "x.conf:2: auth_backoff_base:" },
		{ "config setup\n  auth_backoff_max=2d\n", "x.conf:2: auth_backoff_max:" },
		{ "conn x\n  auth_backoff=yes\n", "x.conf:2: keyword 'auth_backoff' belongs in 'config setup'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];
		err[0] = '\0';
		c = ipsec_conf_parse("x.conf", bad[i][0], err, sizeof(err));
		snprintf(name, sizeof(name), "config error %zu names file:line", i);
		CHECK(name, !c && strncmp(err, bad[i][1], strlen(bad[i][1])) == 0);
		if (c || strncmp(err, bad[i][1], strlen(bad[i][1])) != 0)
			printf("# got: %s\n", err);
		ipsec_conf_free(c);
	}
}

int main(void)
{
	test_conf();
	test_limiter();
	test_eap();
	CHECK_DONE();
}
