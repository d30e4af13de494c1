/* The RADIUS client (src/radius_client.h) against fake servers on
 * loopback UDP in this process: an answer taken, answers that do not
 * verify, come from another port or carry another Identifier dropped,
 * the retransmission schedule (timeout * base^(n-1)) measured, failover to the next server by
 * preference and the silent server avoided afterwards, cancel and
 * release with requests in flight, the 256 Identifiers of a socket (a
 * 257th request waits for a free one), and a server named by host name. */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "src/daemon.h"
#include "src/radius_client.h"
#include "tests/unit/fake_radius.h"

#define SECRET "t3st-s3cret"

static struct event_base *base;


enum fmode { F_DROP, F_ACCEPT, F_WRONG_SECRET_THEN_ACCEPT, F_NO_MA, F_OTHER_SOURCE,
             F_WRONG_ID, F_DROP_MALLORY };

struct fake {
	int fd;
	uint16_t port;
	struct event *ev;
	enum fmode mode;
	int n;                          /* requests received */
	uint64_t at[512];
	int ids[512];
	bool had_ma, had_nas_id;
	char nas_id[64];
};

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct fake *f = arg;
	struct fake_radius_req r;
	if (!fake_radius_recv(fd, &r))
		return;
	const struct rad_view v = r.v;
	if (f->n < 512) {
		f->at[f->n] = fake_radius_ms();
		f->ids[f->n] = v.id;
	}
	f->n++;
	size_t len;
	f->had_ma = rad_find(&v, RAD_MESSAGE_AUTHENTICATOR, &len) != NULL;
	const uint8_t *nid = rad_find(&v, RAD_NAS_IDENTIFIER, &len);
	f->had_nas_id = nid != NULL;
	if (nid && len < sizeof(f->nas_id)) {
		memcpy(f->nas_id, nid, len);
		f->nas_id[len] = '\0';
	}
	if (f->mode == F_DROP)
		return;
	const uint8_t *user = rad_find(&v, RAD_USER_NAME, &len);
	if (f->mode == F_DROP_MALLORY && user && len == 7 && memcmp(user, "mallory", 7) == 0)
		return;         /* a realm proxied to a home server that never answers */
	struct rad_pkt p;
	if (f->mode == F_WRONG_SECRET_THEN_ACCEPT) {
		rad_new(&p, RAD_ACCESS_ACCEPT, v.id);
		rad_put_msg_auth(&p);
		rad_sign_response(&p, v.auth, "wrong", 5);
		fake_radius_reply(fd, &r, &p);
	}
	bool acct = v.code == RAD_ACCT_REQUEST;
	rad_new(&p, acct ? RAD_ACCT_RESPONSE : RAD_ACCESS_ACCEPT,
	        f->mode == F_WRONG_ID ? (uint8_t)(v.id + 1) : v.id);
	if (!acct)
		rad_put_str(&p, RAD_REPLY_MESSAGE, "welcome");
	if (f->mode != F_NO_MA && !acct)
		rad_put_msg_auth(&p);
	rad_sign_response(&p, v.auth, SECRET, strlen(SECRET));
	if (f->mode == F_OTHER_SOURCE) {
		/* a good answer, from another port of the server's address */
		int o = socket(AF_INET, SOCK_DGRAM, 0);
		fake_radius_reply(o, &r, &p);
		close(o);
		return;
	}
	fake_radius_reply(fd, &r, &p);
}

static void fake_open(struct fake *f, enum fmode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	fake_radius_open(base, fake_read, f, &f->fd, &f->port, &f->ev);
}

static void fake_close(struct fake *f)
{
	fake_radius_close(f->fd, f->ev);
}

static void conf_server(struct radius_conf *rc, const char *name, struct fake *f, int pref,
                        uint32_t timeout_ms, uint32_t base_milli, uint32_t tries)
{
	fake_radius_server(rc, name, f->port, SECRET,
	                   (struct radius_retransmit){ timeout_ms, base_milli, tries })->preference =
	        pref;
	snprintf(rc->nas_identifier, sizeof(rc->nas_identifier), "cygnet-test");
}

struct result {
	int calls;
	enum radc_status st;
	uint8_t code;
	uint32_t elapsed;
	uint64_t at;
	bool others;
	char server[128];
	char why[256];
};

static void on_done(void *arg, const struct radc_answer *a)
{
	struct result *r = arg;
	r->calls++;
	r->st = a->status;
	r->at = fake_radius_ms();
	r->elapsed = a->elapsed_ms;
	r->others = a->others_answered;
	if (a->status == RADC_ANSWER) {
		r->code = a->v->code;
		snprintf(r->server, sizeof(r->server), "%s", a->server);
	} else {
		snprintf(r->why, sizeof(r->why), "%s", a->why ? a->why : "");
	}
}

/* runs the loop until *calls reaches want or max_ms pass */
static void run_until(const int *calls, int want, uint32_t max_ms)
{
	uint64_t end = fake_radius_ms() + max_ms;
	while (*calls < want && fake_radius_ms() < end) {
		struct timeval tv = { 0, 5000 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static void run_for(uint32_t t)
{
	int never = 0;
	run_until(&never, 1, t);
}

static const uint8_t attrs[] = { RAD_USER_NAME, 7, 'a', 'l', 'i', 'c', 'e' };

static void answer(void)
{
	struct fake f;
	fake_open(&f, F_WRONG_SECRET_THEN_ACCEPT);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "one", &f, 0, 500, 1400, 3);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	CHECK("client made", c != NULL);
	struct result r = { 0 };
	struct radc_req *q = radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	CHECK("request sent", q != NULL);
	CHECK("done not called from radius_send", r.calls == 0);
	run_until(&r.calls, 1, 2000);
	CHECK("answer: done once", r.calls == 1);
	CHECK("answer: Access-Accept", r.st == RADC_ANSWER && r.code == RAD_ACCESS_ACCEPT);
	CHECK("answer: the forged answer (wrong secret) was dropped, no retransmission",
	      f.n == 1);
	CHECK("request had a Message-Authenticator", f.had_ma);
	CHECK("request had the NAS-Identifier", f.had_nas_id && strcmp(f.nas_id, "cygnet-test") == 0);
	CHECK("nothing pending", radius_client_pending(c) == 0);
	radius_client_release(c);
	fake_close(&f);

	/* an Access-Accept without Message-Authenticator is refused */
	fake_open(&f, F_NO_MA);
	rc = (struct radius_conf){ 0 };
	conf_server(&rc, "one", &f, 0, 100, 1000, 2);
	c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	memset(&r, 0, sizeof(r));
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 2000);
	CHECK("no Message-Authenticator: answer dropped, request times out",
	      r.calls == 1 && r.st == RADC_TIMEOUT && f.n == 2);
	radius_client_release(c);
	fake_close(&f);
}

/* answers that are right but come from elsewhere or carry another
 * Identifier are not taken */
static void wrong_source(void)
{
	enum fmode modes[2] = { F_OTHER_SOURCE, F_WRONG_ID };
	const char *names[2] = { "another source port: answer dropped, request times out",
	                         "another Identifier: answer dropped, request times out" };
	for (int i = 0; i < 2; i++) {
		struct fake f;
		fake_open(&f, modes[i]);
		struct radius_conf rc = { 0 };
		conf_server(&rc, "one", &f, 0, 100, 1000, 2);
		char err[256];
		struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
		struct result r = { 0 };
		radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
		run_until(&r.calls, 1, 2000);
		CHECK(names[i], r.calls == 1 && r.st == RADC_TIMEOUT && f.n == 2);
		radius_client_release(c);
		fake_close(&f);
	}
}

/* a server named by a host name: looked up through the job pool (here
 * inline: a daemon without workers), then used like an address */
static void host_name(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	if (getaddrinfo("localhost", NULL, &hints, &res) != 0 || !res ||
	    res->ai_family != AF_INET) {
		printf("ok host name # skip: localhost is not 127.0.0.1 first here\n");
		if (res)
			freeaddrinfo(res);
		return;
	}
	freeaddrinfo(res);
	struct fake f;
	fake_open(&f, F_ACCEPT);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "named", &f, 0, 200, 1000, 2);
	snprintf(rc.servers[0].address, sizeof(rc.servers[0].address), "localhost");
	char err[256];
	CHECK("host name: refused without a daemon to look it up",
	      radius_client_new(base, NULL, &rc, err, sizeof(err)) == NULL &&
	      strstr(err, "is no address") != NULL);
	struct daemon *d = calloc(1, sizeof(*d));
	d->base = base;
	struct radius_client *c = radius_client_new(base, d, &rc, err, sizeof(err));
	struct result r = { 0 };
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 2000);
	CHECK("host name: resolved and answered", c && r.calls == 1 && r.st == RADC_ANSWER &&
	      strstr(r.server, "named (localhost:") != NULL);
	radius_client_release(c);
	fake_close(&f);
	free(d);
}

static void retransmit(void)
{
	struct fake f;
	fake_open(&f, F_DROP);
	struct radius_conf rc = { 0 };
	/* 150 ms, then 300 ms, then 600 ms: the request fails after 1050 ms */
	conf_server(&rc, "silent", &f, 0, 150, 2000, 3);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	struct result r = { 0 };
	uint64_t t0 = fake_radius_ms();
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 3000);
	CHECK("retransmit: three tries", f.n == 3);
	CHECK("retransmit: the same Identifier each time", f.ids[0] == f.ids[1] &&
	      f.ids[1] == f.ids[2]);
	int64_t d1 = (int64_t)(f.at[1] - f.at[0]), d2 = (int64_t)(f.at[2] - f.at[1]);
	int64_t dt = (int64_t)(r.at - t0);
	printf("# waits %lld ms, %lld ms, failed after %lld ms\n", (long long)d1, (long long)d2,
	       (long long)dt);
	CHECK("retransmit: first wait 150 ms", d1 >= 140 && d1 <= 260);
	CHECK("retransmit: second wait 300 ms", d2 >= 290 && d2 <= 420);
	CHECK("retransmit: fails after 1050 ms", dt >= 1040 && dt <= 1250);
	CHECK("retransmit: timeout reported once", r.calls == 1 && r.st == RADC_TIMEOUT &&
	      strstr(r.why, "silent") != NULL);
	radius_client_release(c);
	fake_close(&f);
}

static void failover(void)
{
	struct fake a, b;
	fake_open(&a, F_DROP);
	fake_open(&b, F_ACCEPT);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "second", &b, 0, 100, 1000, 2);
	conf_server(&rc, "first", &a, 10, 100, 1000, 2);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	struct result r = { 0 };
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 3000);
	CHECK("failover: the preferred server tried first, twice", a.n == 2);
	CHECK("failover: the other server answers", r.calls == 1 && r.st == RADC_ANSWER &&
	      strstr(r.server, "second") != NULL && b.n == 1);
	CHECK("failover: after about 200 ms", r.elapsed >= 190 && r.elapsed <= 400);
	/* the next request: the silent server is avoided for a while */
	memset(&r, 0, sizeof(r));
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 3000);
	CHECK("failover: a silent server is avoided afterwards", a.n == 2 && b.n == 2 &&
	      r.st == RADC_ANSWER && r.elapsed < 100);
	radius_client_release(c);
	fake_close(&a);
	fake_close(&b);

	/* both silent: the request fails after both servers' tries */
	fake_open(&a, F_DROP);
	fake_open(&b, F_DROP);
	rc = (struct radius_conf){ 0 };
	conf_server(&rc, "x", &a, 0, 100, 1000, 2);
	conf_server(&rc, "y", &b, 0, 100, 1000, 2);
	c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	memset(&r, 0, sizeof(r));
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	run_until(&r.calls, 1, 3000);
	CHECK("all silent: fails after every server's tries", r.calls == 1 &&
	      r.st == RADC_TIMEOUT && a.n == 2 && b.n == 2 && r.elapsed >= 390 &&
	      r.elapsed <= 600 && strstr(r.why, "x") && strstr(r.why, "y"));
	radius_client_release(c);
	fake_close(&a);
	fake_close(&b);
}

static void cancel_release(void)
{
	struct fake f;
	fake_open(&f, F_ACCEPT);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "one", &f, 0, 100, 1000, 2);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	struct result r = { 0 }, r2 = { 0 };
	struct radc_req *q = radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r);
	radius_cancel(q);
	run_for(300);
	CHECK("cancel: done never called", r.calls == 0 && radius_client_pending(c) == 0);
	/* released with a request in flight: the request still completes */
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r2);
	radius_client_release(c);
	run_until(&r2.calls, 1, 2000);
	CHECK("release: the request in flight still answered", r2.calls == 1 &&
	      r2.st == RADC_ANSWER);
	fake_close(&f);
}

static void identifiers(void)
{
	struct fake f;
	fake_open(&f, F_DROP);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "one", &f, 0, 400, 1000, 1);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	static struct result r[260];
	memset(r, 0, sizeof(r));
	int sent = 0;
	for (int i = 0; i < 257; i++)
		sent += radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &r[i]) != NULL;
	run_for(150);
	bool seen[256] = { false };
	int distinct = 0;
	for (int i = 0; i < f.n && i < 512; i++)
		if (!seen[f.ids[i]]) {
			seen[f.ids[i]] = true;
			distinct++;
		}
	CHECK("identifiers: 257 requests taken", sent == 257 && radius_client_pending(c) == 257);
	CHECK("identifiers: 256 sent with distinct Identifiers, one waits", f.n == 256 &&
	      distinct == 256);
	/* the first 256 time out at 400 ms; the 257th is sent when an
	 * Identifier frees up */
	run_until(&r[256].calls, 1, 2000);
	CHECK("identifiers: the waiting request went out once one was free", f.n == 257 &&
	      r[256].calls == 1);
	radius_client_release(c);
	fake_close(&f);
}


/* a timeout says whether the servers answered other requests meanwhile
 * (eap_radius.c counts such a timeout against the client's address, and
 * no timeout when no server answers anyone) */
static void others_answered(void)
{
	static const uint8_t mallory[] = { RAD_USER_NAME, 9, 'm', 'a', 'l', 'l', 'o', 'r', 'y' };
	struct fake f;
	fake_open(&f, F_DROP_MALLORY);
	struct radius_conf rc = { 0 };
	conf_server(&rc, "one", &f, 0, 150, 1000, 2);
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	struct result m = { 0 }, a = { 0 };
	radius_send(c, RAD_ACCESS_REQUEST, mallory, sizeof(mallory), on_done, &m);
	run_for(50);
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &a);
	run_until(&m.calls, 1, 2000);
	CHECK("others answered: alice answered, mallory timed out", a.calls == 1 &&
	      a.st == RADC_ANSWER && m.calls == 1 && m.st == RADC_TIMEOUT);
	CHECK("others answered: mallory's timeout says the server answered others", m.others);
	/* mallory alone: nothing answered after it was sent */
	memset(&m, 0, sizeof(m));
	radius_send(c, RAD_ACCESS_REQUEST, mallory, sizeof(mallory), on_done, &m);
	run_until(&m.calls, 1, 2000);
	CHECK("others answered: not when nothing was answered meanwhile",
	      m.calls == 1 && m.st == RADC_TIMEOUT && !m.others);
	/* an accounting answer says nothing of the auth side */
	static const uint8_t acct[] = { RAD_ACCT_STATUS_TYPE, 6, 0, 0, 0, 3 };
	struct result ac = { 0 };
	memset(&m, 0, sizeof(m));
	radius_send(c, RAD_ACCESS_REQUEST, mallory, sizeof(mallory), on_done, &m);
	run_for(50);
	radius_send(c, RAD_ACCT_REQUEST, acct, sizeof(acct), on_done, &ac);
	run_until(&m.calls, 1, 2000);
	CHECK("others answered: an Accounting-Response does not count for an Access-Request",
	      ac.calls == 1 && ac.st == RADC_ANSWER && m.st == RADC_TIMEOUT && !m.others);
	radius_client_release(c);
	fake_close(&f);

	/* a dead server: nobody's timeout is held against them */
	fake_open(&f, F_DROP);
	rc = (struct radius_conf){ 0 };
	conf_server(&rc, "dead", &f, 0, 100, 1000, 2);
	c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	memset(&m, 0, sizeof(m));
	memset(&a, 0, sizeof(a));
	radius_send(c, RAD_ACCESS_REQUEST, mallory, sizeof(mallory), on_done, &m);
	radius_send(c, RAD_ACCESS_REQUEST, attrs, sizeof(attrs), on_done, &a);
	run_until(&a.calls, 1, 2000);
	CHECK("dead server: both time out, neither has others answered",
	      m.st == RADC_TIMEOUT && a.st == RADC_TIMEOUT && !m.others && !a.others);
	radius_client_release(c);
	fake_close(&f);
}

int main(void)
{
	base = event_base_new();
	answer();
	wrong_source();
	host_name();
	retransmit();
	failover();
	cancel_release();
	identifiers();
	others_answered();
	event_base_free(base);
	CHECK_DONE();
}
