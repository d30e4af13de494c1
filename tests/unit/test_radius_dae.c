/* Dynamic Authorization (src/radius_dae.h, RFC 5176): requests built and
 * signed with the codec, fed to the listener's handler in-process against
 * an in-process daemon with sessions; answers checked with the codec. */
#include "tests/unit/check.h"
#include <arpa/inet.h>
#include <stdbool.h>
#include <time.h>
#include <sys/socket.h>
#include "src/clock.h"
#include "conf/radius_conf.h"
#include "src/radius.h"
#include "src/radius_dae.h"
#include "tests/unit/testd.h"

static struct daemon d;
static const char secret[] = "dae-Secret-42";
static struct sockaddr_in dac;
static uint8_t last_auth[RAD_AUTH_LEN];

enum { ATTR_FILTER_ID = 11 };

/* a request: code, id, attributes as (type, len, value) triples, ended
 * by type 0; signed with key (a Message-Authenticator when ma) */
struct attr { uint8_t type; size_t len; const void *v; };

static size_t build(uint8_t *out, uint8_t code, uint8_t id, const char *key, bool ma,
                    const struct attr *a)
{
	static struct rad_pkt p;
	rad_new(&p, code, id);
	for (; a && a->type; a++)
		rad_put(&p, a->type, a->v, a->len);
	if (ma)
		rad_put_msg_auth(&p);
	if (rad_sign_request(&p, key, strlen(key), NULL) != 0)
		return 0;
	memcpy(out, p.buf, p.len);
	memcpy(last_auth, p.buf + 4, RAD_AUTH_LEN);
	return p.len;
}

/* feeds a request; the answer's code (0: none) and Error-Cause (0: none);
 * checks the answer's Response Authenticator (and Message-Authenticator
 * when need_ma) */
static int ask(const uint8_t *req, size_t n, uint32_t *cause, bool need_ma, bool *verified,
               uint8_t *copy, size_t *copy_len)
{
	uint8_t out[RAD_MAX_LEN];
	struct rad_view v;
	size_t len = radius_dae_input(&d, req, n, (struct sockaddr *)&dac, out, sizeof(out));
	*cause = 0;
	*verified = false;
	if (!len)
		return 0;
	if (copy) {
		memcpy(copy, out, len);
		*copy_len = len;
	}
	if (rad_parse(out, len, &v) != 0)
		return -1;
	*verified = rad_verify_response(&v, req + 4, secret, strlen(secret), need_ma);
	if (rad_find_u32(&v, RAD_ERROR_CAUSE, cause) != 0)
		*cause = 0;
	return v.code;
}

static struct ike_sa *session(const char *ip, uint8_t tag, const char *user, const char *vip)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(4500) };
	inet_pton(AF_INET, ip, &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	uint8_t spi_i[8] = { 9, 2, 3, 4, 5, 6, 7, tag };
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, sizeof(peer),
	                               (struct sockaddr *)&local, sizeof(local));
	if (sa) {
		snprintf(sa->user, sizeof(sa->user), "%s", user);
		if (vip) {
			sa->has_vip4 = true;
			inet_pton(AF_INET, vip, sa->vip4);
		}
		ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	}
	return sa;
}

static bool alive(uint32_t id)
{
	struct ike_sa *sa = ike_sa_by_id(&d, id);
	return sa && sa->state == IKE_S_ESTABLISHED;
}

#define A(t, s) { (t), sizeof(s) - 1, (s) }

static void test_decode(void)
{
	static const struct {
		const char *what;
		uint8_t code;
		struct attr a[4];
		enum dae_cause want;
		uint8_t bad;
	} v[] = {
		{ "User-Name only: accepted", RAD_DISCONNECT_REQUEST,
		  { A(RAD_USER_NAME, "alice") }, DAE_OK, 0 },
		{ "no session attribute: 402", RAD_DISCONNECT_REQUEST,
		  { A(RAD_NAS_IDENTIFIER, "strongSwan") }, DAE_MISSING_ATTRIBUTE, RAD_USER_NAME },
		{ "Filter-Id: 401", RAD_DISCONNECT_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(ATTR_FILTER_ID, "f") }, DAE_UNSUPPORTED_ATTRIBUTE,
		  ATTR_FILTER_ID },
		{ "Framed-IP-Address of 3 octets: 404", RAD_DISCONNECT_REQUEST,
		  { A(RAD_FRAMED_IP_ADDRESS, "\xc6\x13\x00") }, DAE_INVALID_REQUEST,
		  RAD_FRAMED_IP_ADDRESS },
		{ "Error-Cause in a request: 404", RAD_DISCONNECT_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_ERROR_CAUSE, "\0\0\x01\xf7") },
		  DAE_INVALID_REQUEST, RAD_ERROR_CAUSE },
		{ "two User-Names: 404", RAD_DISCONNECT_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_USER_NAME, "bob") }, DAE_INVALID_REQUEST,
		  RAD_USER_NAME },
		{ "Service-Type (Authorize Only): 405", RAD_COA_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_SERVICE_TYPE, "\0\0\0\x11") },
		  DAE_UNSUPPORTED_SERVICE, RAD_SERVICE_TYPE },
		{ "Session-Timeout in a Disconnect-Request: 401", RAD_DISCONNECT_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e") },
		  DAE_UNSUPPORTED_ATTRIBUTE, RAD_SESSION_TIMEOUT },
		{ "CoA without a change: 402", RAD_COA_REQUEST,
		  { A(RAD_USER_NAME, "alice") }, DAE_MISSING_ATTRIBUTE, RAD_SESSION_TIMEOUT },
		{ "CoA with Session-Timeout: accepted", RAD_COA_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e") }, DAE_OK, 0 },
		{ "CoA with Filter-Id: 401", RAD_COA_REQUEST,
		  { A(RAD_USER_NAME, "alice"), A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"),
		    A(ATTR_FILTER_ID, "x") }, DAE_UNSUPPORTED_ATTRIBUTE, ATTR_FILTER_ID },
		{ "Proxy-State twice, Event-Timestamp: accepted", RAD_DISCONNECT_REQUEST,
		  { A(RAD_PROXY_STATE, "p1"), A(RAD_PROXY_STATE, "p2"),
		    A(RAD_EVENT_TIMESTAMP, "\0\0\0\1"), A(RAD_USER_NAME, "x") }, DAE_OK, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t pkt[RAD_MAX_LEN];
		size_t n = build(pkt, v[i].code, 1, secret, false, v[i].a);
		struct rad_view view;
		struct dae_req r;
		char name[128];
		snprintf(name, sizeof(name), "decode: %s", v[i].what);
		CHECK(name, n && rad_parse(pkt, n, &view) == 0 && dae_decode(&view, &r) == v[i].want &&
		      r.bad_type == v[i].bad);
	}
}

static void test_requests(void)
{
	struct radius_conf *rc = d.cfg->radius;
	rc->dae.enable = true;
	snprintf(rc->dae.secret, sizeof(rc->dae.secret), "%s", secret);
	rc->dae.secret_len = strlen(secret);
	dac.sin_family = AF_INET;
	dac.sin_port = htons(40000);
	inet_pton(AF_INET, "198.18.2.2", &dac.sin_addr);
	CHECK("DAE state", radius_dae_new(&d) != NULL);
	if (!d.dae)
		return;

	struct ike_sa *s;
	uint32_t alice = (s = session("198.18.1.2", 1, "alice", "198.19.0.2")) ? s->id : 0;
	uint32_t bob = (s = session("198.18.1.3", 2, "bob", "198.19.0.3")) ? s->id : 0;
	uint32_t carol = (s = session("198.18.1.4", 3, "carol", "198.19.0.4")) ? s->id : 0;
	uint32_t dave = (s = session("198.18.1.5", 4, "caf\\xc3\\xa9", NULL)) ? s->id : 0;
	CHECK("four sessions", alice && bob && carol && dave);

	uint8_t req[RAD_MAX_LEN], first[RAD_MAX_LEN], again[RAD_MAX_LEN];
	size_t n, first_len = 0, again_len = 0;
	uint32_t cause;
	bool ok;
	struct dae_stats st;

	/* a wrong secret: no answer, nothing done */
	n = build(req, RAD_DISCONNECT_REQUEST, 7, "wrong-secret", false,
	          (struct attr[]){ A(RAD_USER_NAME, "alice"), { 0 } });
	CHECK("wrong secret: no answer", ask(req, n, &cause, false, &ok, NULL, NULL) == 0);
	radius_dae_stats(&d, &st);
	CHECK("wrong secret: counted, alice still up", st.bad_auth == 1 && alive(alice));

	/* the right one, with a Message-Authenticator and Proxy-State */
	n = build(req, RAD_DISCONNECT_REQUEST, 8, secret, true,
	          (struct attr[]){ A(RAD_PROXY_STATE, "ps-1"), A(RAD_USER_NAME, "alice"),
	                           A(RAD_PROXY_STATE, "ps-2"), { 0 } });
	CHECK("Disconnect alice: Disconnect-ACK with a valid Message-Authenticator",
	      ask(req, n, &cause, true, &ok, first, &first_len) == RAD_DISCONNECT_ACK && ok &&
	      cause == 0);
	CHECK("alice terminated, bob not", !alive(alice) && alive(bob));
	struct rad_view rv;
	size_t off = 0, len;
	uint8_t type;
	const uint8_t *val;
	char ps[64] = "";
	if (rad_parse(first, first_len, &rv) == 0)
		while (rad_next(&rv, &off, &type, &val, &len))
			if (type == RAD_PROXY_STATE && strlen(ps) + len + 2 < sizeof(ps))
				strncat(strcat(ps, ps[0] ? "," : ""), (const char *)val, len);
	CHECK("Proxy-State copied in order", strcmp(ps, "ps-1,ps-2") == 0);

	/* replay: the same answer, not acted on again (a new alice would
	 * be terminated otherwise) */
	uint32_t alice2 = (s = session("198.18.1.12", 5, "alice", "198.19.0.12")) ? s->id : 0;
	CHECK("replay: the same answer", ask(req, n, &cause, true, &ok, again, &again_len) ==
	      RAD_DISCONNECT_ACK && again_len == first_len &&
	      memcmp(again, first, first_len) == 0);
	CHECK("replay: the new alice stays", alive(alice2));
	radius_dae_stats(&d, &st);
	CHECK("replay: counted", st.repeated == 1 && st.disconnect_ack == 1 && st.terminated == 1);

	/* no such user: 503 */
	n = build(req, RAD_DISCONNECT_REQUEST, 9, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "mallory"), { 0 } });
	CHECK("unknown user: Disconnect-NAK 503", ask(req, n, &cause, false, &ok, NULL, NULL) ==
	      RAD_DISCONNECT_NAK && ok && cause == 503);

	/* by virtual IP; and all attributes must match */
	uint8_t bob_ip[4], carol_ip[4];
	inet_pton(AF_INET, "198.19.0.3", bob_ip);
	inet_pton(AF_INET, "198.19.0.4", carol_ip);
	n = build(req, RAD_DISCONNECT_REQUEST, 10, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "bob"), { RAD_FRAMED_IP_ADDRESS, 4, carol_ip },
	                           { 0 } });
	CHECK("bob at carol's address: 503", ask(req, n, &cause, false, &ok, NULL, NULL) ==
	      RAD_DISCONNECT_NAK && cause == 503 && alive(bob) && alive(carol));
	n = build(req, RAD_DISCONNECT_REQUEST, 11, secret, false,
	          (struct attr[]){ { RAD_FRAMED_IP_ADDRESS, 4, bob_ip }, { 0 } });
	CHECK("Framed-IP-Address of bob: ACK", ask(req, n, &cause, false, &ok, NULL, NULL) ==
	      RAD_DISCONNECT_ACK && ok && !alive(bob) && alive(carol));

	/* NAS identification */
	n = build(req, RAD_DISCONNECT_REQUEST, 12, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "carol"), A(RAD_NAS_IDENTIFIER, "other-nas"),
	                           { 0 } });
	CHECK("another NAS-Identifier: 403", ask(req, n, &cause, false, &ok, NULL, NULL) ==
	      RAD_DISCONNECT_NAK && cause == 403 && alive(carol));
	uint8_t not_ours[4];
	inet_pton(AF_INET, "198.18.77.77", not_ours);
	n = build(req, RAD_DISCONNECT_REQUEST, 13, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "carol"), { RAD_NAS_IP_ADDRESS, 4, not_ours },
	                           { 0 } });
	CHECK("a NAS-IP-Address not of this host: 403", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_DISCONNECT_NAK && cause == 403 && alive(carol));
	n = build(req, RAD_DISCONNECT_REQUEST, 14, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "carol"), A(RAD_NAS_IDENTIFIER, "strongSwan"),
	                           { RAD_NAS_IP_ADDRESS, 4, "\x7f\0\0\1" }, A(ATTR_FILTER_ID, "f"),
	                           { 0 } });
	CHECK("unsupported attribute: 401, nothing done", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_DISCONNECT_NAK && cause == 401 && alive(carol));

	/* Event-Timestamp: outside the window dropped, inside acted on */
	uint32_t t = (uint32_t)time(NULL) - 1000;
	uint8_t ts[4] = { (uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t };
	n = build(req, RAD_COA_REQUEST, 15, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "carol"), { RAD_EVENT_TIMESTAMP, 4, ts },
	                           A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"), { 0 } });
	CHECK("stale Event-Timestamp: no answer", ask(req, n, &cause, false, &ok, NULL, NULL) == 0);
	radius_dae_stats(&d, &st);
	CHECK("stale Event-Timestamp: counted", st.stale == 1);
	t = (uint32_t)time(NULL) - 5;
	uint8_t ts2[4] = { (uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t };
	n = build(req, RAD_COA_REQUEST, 16, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "carol"), { RAD_EVENT_TIMESTAMP, 4, ts2 },
	                           A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"), { 0 } });
	CHECK("CoA Session-Timeout 30 for carol: CoA-ACK", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_COA_ACK && ok && alive(carol));
	radius_dae_tick(&d, now_sec() + 10);
	CHECK("carol up 10 s later", alive(carol));
	radius_dae_tick(&d, now_sec() + 31);
	CHECK("carol ended after 30 s", !alive(carol));
	/* the deadline follows the session into the IKE_SA its rekey made
	 * (rekey.c moves the CHILD_SAs); a new login of the user does not
	 * get it */
	struct ike_sa *old = session("198.18.1.6", 6, "erin", "198.19.0.6");
	if (old) {
		old->child[0].spi_in = 0xc0ffee01;
		old->n_child = 1;
	}
	n = build(req, RAD_COA_REQUEST, 21, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "erin"), A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"),
	                           { 0 } });
	CHECK("CoA Session-Timeout 30 for erin: CoA-ACK", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_COA_ACK);
	struct ike_sa *next = session("198.18.1.6", 7, "erin", NULL);
	struct ike_sa *other = session("198.18.1.16", 8, "erin", NULL);
	uint32_t next_id = next ? next->id : 0, other_id = other ? other->id : 0;
	if (old && next) {
		next->child[0] = old->child[0];
		next->n_child = 1;
		old->n_child = 0;
		ike_sa_set_state(old, IKE_S_DEAD);
		ike_sa_reap(&d);
	}
	radius_dae_tick(&d, now_sec() + 10);
	CHECK("erin's rekeyed IKE_SA up 10 s later", alive(next_id) && alive(other_id));
	radius_dae_tick(&d, now_sec() + 31);
	CHECK("erin's rekeyed IKE_SA ended after 30 s, her other session not",
	      !alive(next_id) && alive(other_id));
	/* a CHILD_SA rekey (new SPI) and then an IKE rekey between two ticks:
	 * no SPI links old and new, the move (rekey.c's move_session) does */
	struct ike_sa *m1 = session("198.18.1.9", 9, "mallory", "198.19.0.9");
	if (m1) {
		m1->child[0].spi_in = 0xc0ffee09;
		m1->n_child = 1;
	}
	n = build(req, RAD_COA_REQUEST, 22, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "mallory"), A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"),
	                           { 0 } });
	CHECK("CoA Session-Timeout 30 for mallory: CoA-ACK", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_COA_ACK);
	struct ike_sa *m2 = session("198.18.1.9", 10, "mallory", NULL);
	uint32_t m2_id = m2 ? m2->id : 0;
	if (m1 && m2) {
		m2->child[0].spi_in = 0xc0ffee0a;       /* rekeyed CHILD_SA: another SPI */
		m2->n_child = 1;
		m1->n_child = 0;
		radius_dae_moved(&d, m1->id, m2->id);
		ike_sa_set_state(m1, IKE_S_DEAD);
		ike_sa_reap(&d);
	}
	radius_dae_tick(&d, now_sec() + 31);
	CHECK("mallory's session ends at its Session-Timeout after a CHILD_SA and an IKE rekey",
	      m2_id && !alive(m2_id));

	n = build(req, RAD_COA_REQUEST, 17, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "alice"), A(ATTR_FILTER_ID, "x"),
	                           A(RAD_SESSION_TIMEOUT, "\0\0\0\x1e"), { 0 } });
	CHECK("CoA with Filter-Id: CoA-NAK 401", ask(req, n, &cause, false, &ok, NULL, NULL) ==
	      RAD_COA_NAK && cause == 401);

	/* a NAK for an attribute before the Message-Authenticator still
	 * carries one */
	n = build(req, RAD_DISCONNECT_REQUEST, 20, secret, true,
	          (struct attr[]){ { RAD_FRAMED_IP_ADDRESS, 3, "abc" }, A(RAD_USER_NAME, "x"),
	                           { 0 } });
	CHECK("404 NAK with a valid Message-Authenticator", ask(req, n, &cause, true, &ok, NULL,
	      NULL) == RAD_DISCONNECT_NAK && ok && cause == 404);

	/* an identity kept escaped matches its bytes */
	n = build(req, RAD_DISCONNECT_REQUEST, 18, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "caf\xc3\xa9"), { 0 } });
	CHECK("User-Name bytes match an escaped identity", ask(req, n, &cause, false, &ok, NULL,
	      NULL) == RAD_DISCONNECT_ACK && !alive(dave));

	/* a malformed datagram and an Access-Request: dropped */
	CHECK("garbage: no answer", radius_dae_input(&d, (const uint8_t *)"\x28\x01\x00",
	      3, (struct sockaddr *)&dac, req, sizeof(req)) == 0);
	n = build(req, RAD_ACCT_REQUEST, 19, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "alice"), { 0 } });
	CHECK("Accounting-Request: no answer", ask(req, n, &cause, false, &ok, NULL, NULL) == 0 &&
	      alive(alice2));

	/* guessing the secret: after 5 bad authenticators from one address
	 * within a minute its requests are dropped, right secret or not;
	 * other addresses are served */
	struct sockaddr_in guesser = { .sin_family = AF_INET, .sin_port = htons(40000) };
	inet_pton(AF_INET, "198.18.9.9", &guesser.sin_addr);
	uint8_t out[RAD_MAX_LEN];
	size_t got = 0;
	for (int i = 0; i < 5; i++) {
		n = build(req, RAD_DISCONNECT_REQUEST, (uint8_t)(30 + i), "guess", false,
		          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
		got += radius_dae_input(&d, req, n, (struct sockaddr *)&guesser, out, sizeof(out));
	}
	n = build(req, RAD_DISCONNECT_REQUEST, 40, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("guessing: no answer to 5 wrong secrets nor to the right one after them",
	      got == 0 && radius_dae_input(&d, req, n, (struct sockaddr *)&guesser, out,
	                                   sizeof(out)) == 0);
	n = build(req, RAD_DISCONNECT_REQUEST, 41, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("guessing: another address is answered (NAK, no such session)",
	      ask(req, n, &cause, false, &ok, NULL, NULL) == RAD_DISCONNECT_NAK && cause == 503);

	char line[512];
	radius_dae_status(&d, line, sizeof(line));
	CHECK("no status line without a socket", line[0] == 0);
	radius_dae_stats(&d, &st);
	CHECK("counters", st.disconnect_ack == 3 && st.disconnect_nak == 7 && st.coa_ack == 3 &&
	      st.coa_nak == 1 && st.terminated == 3 && st.timed_out == 3 && st.malformed == 2 &&
	      st.bad_auth == 6 && st.blocked == 1);
	radius_dae_close(&d);
	CHECK("closed", d.dae == NULL);
}


/* feeds req from peer at monotonic second now: the answer's length */
static size_t ask_at(const uint8_t *req, size_t n, const void *peer, uint64_t now)
{
	uint8_t out[RAD_MAX_LEN];
	return radius_dae_input_at(&d, req, n, (const struct sockaddr *)peer, out, sizeof(out),
	                           now);
}

/* dae.clients, require_event_timestamp, and a replay cache that only an
 * authenticated request enters and only age empties */
static void test_hardening(void)
{
	struct radius_conf *rc = d.cfg->radius;
	char why[160];
	rc->dae.enable = true;
	snprintf(rc->dae.secret, sizeof(rc->dae.secret), "%s", secret);
	rc->dae.secret_len = strlen(secret);
	CHECK("hardening: DAE state", radius_dae_new(&d) != NULL);
	if (!d.dae)
		return;
	uint64_t t0 = now_sec();
	uint8_t req[RAD_MAX_LEN];
	size_t n;
	struct dae_stats st;
	struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(40000) };

	/* dae.clients: 198.18.2.0/24 and 2001:db8:2::/64 */
	rc->dae.n_clients = 2;
	CHECK("clients: prefixes read",
	      radius_prefix_parse("198.18.2.0/24", &rc->dae.clients[0], why, sizeof(why)) == 0 &&
	      radius_prefix_parse("2001:db8:2::/64", &rc->dae.clients[1], why, sizeof(why)) == 0);
	n = build(req, RAD_DISCONNECT_REQUEST, 1, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	inet_pton(AF_INET, "198.18.2.200", &in4.sin_addr);
	CHECK("clients: an address in the list is answered", ask_at(req, n, &in4, t0) > 0);
	inet_pton(AF_INET, "198.18.3.2", &in4.sin_addr);
	n = build(req, RAD_DISCONNECT_REQUEST, 2, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("clients: another address, right secret: no answer", ask_at(req, n, &in4, t0) == 0);
	inet_pton(AF_INET6, "2001:db8:2::99", &in6.sin6_addr);
	CHECK("clients: an IPv6 address in the /64 is answered", ask_at(req, n, &in6, t0) > 0);
	inet_pton(AF_INET6, "2001:db8:3::1", &in6.sin6_addr);
	n = build(req, RAD_DISCONNECT_REQUEST, 3, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("clients: an IPv6 address outside: no answer", ask_at(req, n, &in6, t0) == 0);
	inet_pton(AF_INET6, "::ffff:198.18.2.7", &in6.sin6_addr);
	CHECK("clients: an IPv4-mapped address inside is answered", ask_at(req, n, &in6, t0) > 0);
	/* a stranger's wrong authenticators do not block the allowed DAC's
	 * address (they are dropped before the check) */
	inet_pton(AF_INET, "198.18.9.1", &in4.sin_addr);
	for (int i = 0; i < 10; i++) {
		n = build(req, RAD_DISCONNECT_REQUEST, (uint8_t)(50 + i), "guess", false,
		          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
		ask_at(req, n, &in4, t0);
	}
	radius_dae_stats(&d, &st);
	CHECK("clients: dropped and counted, nothing else counted",
	      st.not_allowed == 12 && st.bad_auth == 0 && st.blocked == 0 && st.disconnect_nak == 3);
	/* forged requests with a listed DAC's address and a wrong secret
	 * (spoofed) never block that DAC: it is answered right after */
	inet_pton(AF_INET, "198.18.2.2", &in4.sin_addr);
	for (int i = 0; i < 10; i++) {
		n = build(req, RAD_DISCONNECT_REQUEST, (uint8_t)(70 + i), "forged", false,
		          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
		ask_at(req, n, &in4, t0);
	}
	n = build(req, RAD_DISCONNECT_REQUEST, 90, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("clients: spoofed bad authenticators do not block a listed DAC",
	      ask_at(req, n, &in4, t0) > 0);
	radius_dae_stats(&d, &st);
	CHECK("clients: the forgeries counted, nothing blocked", st.bad_auth == 10 && st.blocked == 0);
	char line[1024];
	radius_dae_status(&d, line, sizeof(line));
	rc->dae.n_clients = 0;

	/* require_event_timestamp */
	rc->dae.require_timestamp = true;
	inet_pton(AF_INET, "198.18.2.2", &in4.sin_addr);
	n = build(req, RAD_DISCONNECT_REQUEST, 4, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { 0 } });
	CHECK("timestamp required: a request without one is dropped", ask_at(req, n, &in4, t0) == 0);
	uint32_t now_be = htonl((uint32_t)time(NULL));
	n = build(req, RAD_DISCONNECT_REQUEST, 5, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"),
	                           { RAD_EVENT_TIMESTAMP, 4, &now_be }, { 0 } });
	CHECK("timestamp required: a current one is answered", ask_at(req, n, &in4, t0) > 0);
	uint32_t old_be = htonl((uint32_t)time(NULL) - 400);
	n = build(req, RAD_DISCONNECT_REQUEST, 6, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"),
	                           { RAD_EVENT_TIMESTAMP, 4, &old_be }, { 0 } });
	CHECK("timestamp required: a stale one is dropped", ask_at(req, n, &in4, t0) == 0);
	radius_dae_stats(&d, &st);
	CHECK("timestamp required: counted", st.no_timestamp == 1 && st.stale == 1);
	rc->dae.require_timestamp = false;

	/* the replay cache: a Disconnect acted on once; a flood of requests
	 * without the secret from many addresses does not push it out */
	struct ike_sa *s = session("198.18.1.20", 20, "frank", NULL);
	uint32_t frank = s ? s->id : 0;
	uint8_t disc[RAD_MAX_LEN];
	size_t dn = build(disc, RAD_DISCONNECT_REQUEST, 99, secret, false,
	                  (struct attr[]){ A(RAD_USER_NAME, "frank"), { 0 } });
	CHECK("cache: frank disconnected", ask_at(disc, dn, &in4, t0) > 0 && !alive(frank));
	s = session("198.18.1.20", 21, "frank", NULL);
	uint32_t frank2 = s ? s->id : 0;
	struct sockaddr_in flood = { .sin_family = AF_INET, .sin_port = htons(40000) };
	size_t got = 0;
	for (uint32_t i = 0; i < 3 * DAE_CACHE_MAX; i++) {
		flood.sin_addr.s_addr = htonl(0xc6120000u | (i & 0xffff));   /* 198.18.x.y */
		n = build(req, RAD_DISCONNECT_REQUEST, (uint8_t)i, "no-secret", false,
		          (struct attr[]){ A(RAD_USER_NAME, "frank"), { 0 } });
		got += ask_at(req, n, &flood, t0 + 1);
	}
	radius_dae_stats(&d, &st);
	uint64_t rep = st.repeated;
	CHECK("cache: the flood got no answer", got == 0);
	CHECK("cache: after the flood the replay is answered from the cache, frank's new "
	      "session stays", ask_at(disc, dn, &in4, t0 + 2) > 0 && alive(frank2));
	radius_dae_stats(&d, &st);
	CHECK("cache: counted as repeated", st.repeated == rep + 1);

	/* DAE_CACHE_MAX authenticated requests fill it: the next is dropped
	 * (not acted on unremembered) until the oldest is DAE_CACHE_SECONDS
	 * old; entries stay that long */
	radius_dae_close(&d);
	radius_dae_new(&d);
	if (!d.dae)
		return;
	uint8_t first[RAD_MAX_LEN];
	size_t first_n = 0, answered = 0;
	for (uint32_t i = 0; i < DAE_CACHE_MAX; i++) {
		uint8_t ps[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		n = build(req, RAD_DISCONNECT_REQUEST, (uint8_t)i, secret, false,
		          (struct attr[]){ A(RAD_USER_NAME, "nobody"), { RAD_PROXY_STATE, 4, ps },
		                           { 0 } });
		if (i == 0) {
			memcpy(first, req, n);
			first_n = n;
		}
		answered += ask_at(req, n, &in4, t0 + 10 + i / 1000) > 0;
	}
	CHECK("cache full: every request answered", answered == DAE_CACHE_MAX);
	n = build(req, RAD_DISCONNECT_REQUEST, 1, secret, false,
	          (struct attr[]){ A(RAD_USER_NAME, "nobody"), A(RAD_PROXY_STATE, "new"), { 0 } });
	CHECK("cache full: a new request is dropped", ask_at(req, n, &in4, t0 + 20) == 0);
	radius_dae_stats(&d, &st);
	CHECK("cache full: counted", st.cache_full == 1 && st.disconnect_nak == DAE_CACHE_MAX);
	CHECK("cache full: the first is still answered from the cache 600 s on",
	      ask_at(first, first_n, &in4, t0 + 10 + DAE_CACHE_SECONDS) > 0);
	radius_dae_stats(&d, &st);
	CHECK("cache full: ... as a repeat", st.repeated == 1 && st.disconnect_nak == DAE_CACHE_MAX);
	CHECK("cache full: once the oldest are older than 600 s, new requests are served",
	      ask_at(req, n, &in4, t0 + 11 + DAE_CACHE_SECONDS) > 0);
	radius_dae_stats(&d, &st);
	CHECK("cache full: ... acted on", st.disconnect_nak == DAE_CACHE_MAX + 1);
	radius_dae_close(&d);
	(void)line;
}

static void test_conf(void)
{
	struct radius_conf c;
	char err[256];
	const char *bad = "charon {\n plugins {\n  eap-radius {\n   dae {\n    enable = yes\n"
	                  "    secret = s\n    listen = dae.example.com\n   }\n  }\n }\n}\n";
	CHECK("dae.listen must be an address, file:line",
	      radius_conf_parse("s.conf", bad, &c, err, sizeof(err)) != 0 &&
	      strstr(err, "s.conf:7") && strstr(err, "listen"));
	radius_conf_free(&c);
	const char *good = "charon {\n plugins {\n  eap-radius {\n   dae {\n    enable = yes\n"
	                   "    secret = s\n    listen = ::\n    port = 13799\n   }\n  }\n }\n}\n";
	CHECK("dae without RADIUS servers: read",
	      radius_conf_parse("s.conf", good, &c, err, sizeof(err)) == 0 && c.dae.enable &&
	      strcmp(c.dae.listen, "::") == 0 && c.dae.port == 13799 && c.dae.secret_len == 1);
	CHECK("dae: no clients list, no timestamp required by default",
	      c.dae.n_clients == 0 && !c.dae.require_timestamp);
	radius_conf_free(&c);

	/* clients, require_event_timestamp */
	const char *list = "charon {\n plugins {\n  eap-radius {\n   dae {\n    enable = yes\n"
	                   "    secret = s\n    clients = 198.18.2.10,2001:db8:2::/64  198.18.4.0/22\n"
	                   "    require_event_timestamp = yes\n   }\n  }\n }\n}\n";
	CHECK("dae.clients and require_event_timestamp read",
	      radius_conf_parse("s.conf", list, &c, err, sizeof(err)) == 0 && c.n_warnings == 1 &&
	      c.dae.n_clients == 3 && c.dae.require_timestamp &&
	      c.dae.clients[0].family == AF_INET && c.dae.clients[0].len == 32 &&
	      c.dae.clients[1].family == AF_INET6 && c.dae.clients[1].len == 64 &&
	      c.dae.clients[2].len == 22);
	radius_conf_free(&c);
	static const struct { const char *value, *want; } bad_lists[] = {
		{ "198.18.2.10/24", "bits set beyond /24" },
		{ "dae.example.com", "not an IP address" },
		{ "198.18.2.0/33", "prefix length above 32" },
		{ "2001:db8::/x", "not a number" },
		{ " , ", "empty" },
		{ "198.18.2.1/", "not a number" },
	};
	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "charon {\n plugins {\n  eap-radius {\n   dae {\n"
		         "    enable = yes\n    secret = s\n    clients = %s\n   }\n  }\n }\n}\n",
		         bad_lists[i].value);
		int r = radius_conf_parse("s.conf", text, &c, err, sizeof(err));
		CHECK(bad_lists[i].value, r != 0 && strstr(err, "s.conf:7") && strstr(err, "clients") &&
		      strstr(err, bad_lists[i].want));
		radius_conf_free(&c);
	}
	char many[2048] = "charon {\n plugins {\n  eap-radius {\n   dae {\n    clients = ";
	for (int i = 0; i <= RADIUS_DAE_CLIENTS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "198.18.5.%d, ", i);
	snprintf(many + strlen(many), sizeof(many) - strlen(many), "\n   }\n  }\n }\n}\n");
	CHECK("dae.clients: at most 32 entries",
	      radius_conf_parse("s.conf", many, &c, err, sizeof(err)) != 0 &&
	      strstr(err, "s.conf:5") && strstr(err, "more than 32"));
	radius_conf_free(&c);

	/* prefix matching at byte and bit boundaries */
	struct radius_prefix p;
	uint8_t a4[4], a6[16];
	char why[160];
	radius_prefix_parse("198.18.0.0/15", &p, why, sizeof(why));
	inet_pton(AF_INET, "198.19.255.255", a4);
	bool in = radius_prefix_match(&p, AF_INET, a4);
	inet_pton(AF_INET, "198.20.0.0", a4);
	CHECK("prefix /15", in && !radius_prefix_match(&p, AF_INET, a4) &&
	      !radius_prefix_match(&p, AF_INET6, a6));
	radius_prefix_parse("0.0.0.0/0", &p, why, sizeof(why));
	CHECK("prefix /0 matches any IPv4", radius_prefix_match(&p, AF_INET, a4));
	radius_prefix_parse("2001:db8::1", &p, why, sizeof(why));
	inet_pton(AF_INET6, "2001:db8::1", a6);
	in = radius_prefix_match(&p, AF_INET6, a6);
	inet_pton(AF_INET6, "2001:db8::2", a6);
	CHECK("prefix: one IPv6 address", in && p.len == 128 && !radius_prefix_match(&p, AF_INET6, a6));
	radius_prefix_parse("::ffff:198.18.2.0/120", &p, why, sizeof(why));
	inet_pton(AF_INET, "198.18.2.9", a4);
	CHECK("prefix: an IPv4-mapped entry is that IPv4 prefix",
	      p.family == AF_INET && p.len == 24 && radius_prefix_match(&p, AF_INET, a4));
}

int main(void)
{
	log_set_level(-1, -1);
	test_decode();
	test_conf();
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	if (d.cfg && d.base && d.dp) {
		test_requests();
		test_hardening();
	}
	testd_close(&d, dir);
	CHECK_DONE();
}
