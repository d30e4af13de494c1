/* RADIUS accounting records and queue (src/radius_acct.h): the
 * attributes of Start / Interim-Update / Stop / Accounting-On (RFC 2866
 * §5), the Gigawords split of 64-bit octet counts (RFC 2869 §5.1-5.2),
 * and the queue against a fake accounting server on loopback UDP: a
 * record that got no answer is sent again later with a larger
 * Acct-Delay-Time (RFC 2866 §5.2) as a new request, and a full queue
 * drops the oldest Interim-Update first, then the oldest record; a record
 * that got no answer is reported (with its Acct-Session-Id) to the hook
 * accounting_close_on_timeout uses; strongswan.conf's
 * accounting_close_on_timeout is told apart written or left out. */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "conf/radius_conf.h"
#include "src/radius_acct.h"
#include "src/radius_client.h"
#include "tests/unit/fake_radius.h"

#define SECRET "acct-s3cret"

static struct event_base *base;


static uint32_t get_u32(const struct rad_view *v, uint8_t type, bool *found)
{
	uint32_t x = 0;
	*found = rad_find_u32(v, type, &x) == 0;
	return x;
}

static bool has(const struct rad_view *v, uint8_t type)
{
	size_t len;
	return rad_find(v, type, &len) != NULL;
}

/* the packet as a server sees it (the length is set when signing) */
static int parse(struct rad_pkt *p, struct rad_view *v)
{
	if (rad_sign_request(p, SECRET, strlen(SECRET), NULL) != 0)
		return -1;
	return rad_parse(p->buf, p->len, v);
}

static void test_build(void)
{
	static const uint8_t c1[] = "class-one", c2[] = { 0, 1, 2 };
	const uint8_t *cls[] = { c1, c2 };
	const uint8_t cls_len[] = { 9, 3 };
	struct acct_info i = {
		.status = ACCT_INTERIM, .session_id = "1700000000-7", .user = "alice",
		.nas4 = true, .nas_addr4 = { 198, 18, 1, 1 }, .nas_port = 7,
		.called = "198.18.1.1[4500]", .calling = "198.18.1.2[4500]",
		.vip4 = true, .addr4 = { 198, 19, 0, 1 },
		.vip6 = true, .addr6 = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		.cls = cls, .cls_len = cls_len, .n_cls = 2, .radius_auth = true,
		.session_time = 65, .in_octets = (5ULL << 32) + 7, .out_octets = 1000,
		.in_packets = 10, .out_packets = (1ULL << 33), .event_time = 1700000065,
	};
	struct rad_pkt p;
	rad_new(&p, RAD_ACCT_REQUEST, 1);
	CHECK("build interim", acct_build(&i, &p) == 0);
	struct rad_view v;
	CHECK("build parses", parse(&p, &v) == 0);
	bool f;
	CHECK("status interim", get_u32(&v, RAD_ACCT_STATUS_TYPE, &f) == 3 && f);
	size_t len;
	const uint8_t *sid = rad_find(&v, RAD_ACCT_SESSION_ID, &len);
	CHECK("session id", sid && len == 12 && memcmp(sid, "1700000000-7", 12) == 0);
	const uint8_t *un = rad_find(&v, RAD_USER_NAME, &len);
	CHECK("user name", un && len == 5 && memcmp(un, "alice", 5) == 0);
	CHECK("in octets low 32 bits", get_u32(&v, RAD_ACCT_INPUT_OCTETS, &f) == 7 && f);
	CHECK("in gigawords", get_u32(&v, RAD_ACCT_INPUT_GIGAWORDS, &f) == 5 && f);
	CHECK("out octets", get_u32(&v, RAD_ACCT_OUTPUT_OCTETS, &f) == 1000 && f);
	CHECK("no out gigawords below 4 GiB", !has(&v, RAD_ACCT_OUTPUT_GIGAWORDS));
	CHECK("in packets", get_u32(&v, RAD_ACCT_INPUT_PACKETS, &f) == 10 && f);
	CHECK("out packets saturate", get_u32(&v, RAD_ACCT_OUTPUT_PACKETS, &f) == UINT32_MAX);
	CHECK("session time", get_u32(&v, RAD_ACCT_SESSION_TIME, &f) == 65 && f);
	CHECK("event timestamp", get_u32(&v, RAD_EVENT_TIMESTAMP, &f) == 1700000065);
	CHECK("nas port", get_u32(&v, RAD_NAS_PORT, &f) == 7 && f);
	CHECK("acct-authentic radius", get_u32(&v, RAD_ACCT_AUTHENTIC, &f) == 1 && f);
	const uint8_t *ip = rad_find(&v, RAD_FRAMED_IP_ADDRESS, &len);
	CHECK("framed ip", ip && len == 4 && ip[0] == 198 && ip[1] == 19 && ip[3] == 1);
	const uint8_t *ip6 = rad_find(&v, RAD_FRAMED_IPV6_ADDRESS, &len);
	CHECK("framed ipv6", ip6 && len == 16 && ip6[0] == 0x20 && ip6[15] == 1);
	CHECK("two class attributes", rad_count(&v, RAD_CLASS) == 2);
	const uint8_t *cl = rad_find(&v, RAD_CLASS, &len);
	CHECK("class in order", cl && len == 9 && memcmp(cl, "class-one", 9) == 0);
	CHECK("no terminate cause in interim", !has(&v, RAD_ACCT_TERMINATE_CAUSE));
	CHECK("no delay time yet (added at send)", !has(&v, RAD_ACCT_DELAY_TIME));
	const uint8_t *calling = rad_find(&v, RAD_CALLING_STATION_ID, &len);
	CHECK("calling station", calling && len == 16 && memcmp(calling, "198.18.1.2[4500]", 16) == 0);

	i.status = ACCT_STOP;
	i.cause = ACCT_TC_LOST_CARRIER;
	rad_new(&p, RAD_ACCT_REQUEST, 1);
	CHECK("build stop", acct_build(&i, &p) == 0 && parse(&p, &v) == 0);
	CHECK("stop cause", get_u32(&v, RAD_ACCT_TERMINATE_CAUSE, &f) == 2 && f);
	i.cause = 0;
	rad_new(&p, RAD_ACCT_REQUEST, 1);
	acct_build(&i, &p);
	parse(&p, &v);
	CHECK("stop default cause user-request", get_u32(&v, RAD_ACCT_TERMINATE_CAUSE, &f) == 1);

	i.status = ACCT_START;
	i.radius_auth = false;
	rad_new(&p, RAD_ACCT_REQUEST, 1);
	acct_build(&i, &p);
	parse(&p, &v);
	CHECK("start has no counters", !has(&v, RAD_ACCT_INPUT_OCTETS) &&
	      !has(&v, RAD_ACCT_SESSION_TIME) && !has(&v, RAD_ACCT_TERMINATE_CAUSE));
	CHECK("acct-authentic local", get_u32(&v, RAD_ACCT_AUTHENTIC, &f) == 2);

	struct acct_info on = { .status = ACCT_ON, .session_id = "1700000000-0",
	                        .nas4 = true, .nas_addr4 = { 198, 18, 1, 1 }, .event_time = 1 };
	rad_new(&p, RAD_ACCT_REQUEST, 1);
	CHECK("build on", acct_build(&on, &p) == 0 && parse(&p, &v) == 0);
	CHECK("on status 7", get_u32(&v, RAD_ACCT_STATUS_TYPE, &f) == 7);
	CHECK("on has no session attributes", !has(&v, RAD_NAS_PORT) && !has(&v, RAD_USER_NAME));
}

/* ---- the fake accounting server ---- */

struct fake {
	int fd;
	uint16_t port;
	struct event *ev;
	bool down;                      /* drop requests */
	int n, answered;
	uint32_t delay[64];             /* Acct-Delay-Time of each request seen */
	uint32_t status[64];
	bool bad;                       /* a request did not verify */
};

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct fake *f = arg;
	struct fake_radius_req r;
	if (!fake_radius_recv(fd, &r))
		return;
	const struct rad_view v = r.v;
	if (v.code != RAD_ACCT_REQUEST || !rad_verify_request(&v, SECRET, strlen(SECRET), false))
		f->bad = true;
	if (f->n < 64) {
		rad_find_u32(&v, RAD_ACCT_DELAY_TIME, &f->delay[f->n]);
		rad_find_u32(&v, RAD_ACCT_STATUS_TYPE, &f->status[f->n]);
	}
	f->n++;
	if (f->down)
		return;
	struct rad_pkt p;
	rad_new(&p, RAD_ACCT_RESPONSE, v.id);
	rad_sign_response(&p, v.auth, SECRET, strlen(SECRET));
	fake_radius_reply(fd, &r, &p);
	f->answered++;
}

static void fake_open(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	fake_radius_open(base, fake_read, f, &f->fd, &f->port, &f->ev);
}

static void run_until(bool (*done)(void *), void *arg, uint32_t max_ms)
{
	uint64_t end = fake_radius_ms() + max_ms;
	while (!done(arg) && fake_radius_ms() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
}

static bool queue_empty(void *arg)
{
	return acct_queue_len(arg) == 0;
}

static void make(struct rad_pkt *p, enum acct_status st)
{
	struct acct_info i = { .status = st, .session_id = "1-2", .user = "bob", .event_time = 1 };
	rad_new(p, RAD_ACCT_REQUEST, 0);
	acct_build(&i, p);
}

struct timeouts {
	int n, interims, others;
	char sid[32];
};

static void on_timeout(void *arg, enum acct_status st, const char *sid, bool others)
{
	struct timeouts *t = arg;
	t->n++;
	t->others += others;
	if (st == ACCT_INTERIM)
		t->interims++;
	snprintf(t->sid, sizeof(t->sid), "%s", sid);
}

static void test_queue_retry(void)
{
	struct timeouts to = { 0 };
	struct fake f;
	fake_open(&f);
	struct radius_conf rc = { 0 };
	fake_radius_server(&rc, "fake", f.port, SECRET, (struct radius_retransmit){ 100, 1000, 2 });
	char err[256];
	struct radius_client *c = radius_client_new(base, NULL, &rc, err, sizeof(err));
	CHECK("client", c != NULL);
	struct acct_queue *q = acct_queue_new(base, &c, 100);
	acct_queue_set_retry(q, 1200);
	acct_queue_on_timeout(q, on_timeout, &to);
	struct rad_pkt p;

	/* answered at once; made 3 s ago: Acct-Delay-Time 3 */
	make(&p, ACCT_START);
	acct_queue_add(q, ACCT_START, &p, fake_radius_ms() - 3000);
	run_until(queue_empty, q, 2000);
	CHECK("start answered", acct_queue_len(q) == 0 && f.answered == 1 && !f.bad);
	CHECK("delay time of a late record", f.delay[0] == 3);

	/* the server is down: tried twice (the client's retransmission, same
	 * packet), then queued; up again: sent anew with a larger delay */
	f.down = true;
	int before = f.n;
	make(&p, ACCT_INTERIM);
	acct_queue_add(q, ACCT_INTERIM, &p, fake_radius_ms());
	make(&p, ACCT_STOP);
	acct_queue_add(q, ACCT_STOP, &p, fake_radius_ms());
	uint64_t t0 = fake_radius_ms();
	while (fake_radius_ms() - t0 < 500)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	struct acct_counts k;
	acct_queue_counts(q, &k);
	CHECK("queued while down", k.queued == 2 && f.n > before);
	CHECK("first tries carry delay 0", f.delay[before] == 0);
	CHECK("no answer reported with the session id",
	      to.interims == 1 && to.n >= 1 && strcmp(to.sid, "1-2") == 0);
	CHECK("a server that answers nobody: others_answered false", to.others == 0);
	f.down = false;
	int seen = f.n;
	run_until(queue_empty, q, 5000);
	acct_queue_counts(q, &k);
	CHECK("queue drained after the server came back", k.queued == 0 && k.answered == 3);
	CHECK("records were sent again", k.retried == 2 && k.dropped == 0);
	bool grew = f.n > seen;
	for (int i = seen; i < f.n && i < 64; i++)
		grew = grew && f.delay[i] >= 1;
	CHECK("delay time grew on the new try", grew);
	CHECK("every request verified", !f.bad);
	acct_queue_free(q);
	radius_client_free(c);
	fake_radius_close(f.fd, f.ev);
}

static void test_queue_full(void)
{
	struct radius_client *none = NULL;   /* no server: records wait */
	struct acct_queue *q = acct_queue_new(base, &none, 3);
	struct rad_pkt p;
	make(&p, ACCT_START);
	acct_queue_add(q, ACCT_START, &p, fake_radius_ms());
	make(&p, ACCT_INTERIM);
	acct_queue_add(q, ACCT_INTERIM, &p, fake_radius_ms());
	make(&p, ACCT_INTERIM);
	acct_queue_add(q, ACCT_INTERIM, &p, fake_radius_ms());
	make(&p, ACCT_STOP);
	acct_queue_add(q, ACCT_STOP, &p, fake_radius_ms());
	struct acct_counts k;
	acct_queue_counts(q, &k);
	CHECK("full: one dropped", k.dropped == 1 && k.queued == 3);
	CHECK("full: the oldest interim went", acct_queue_peek(q, 0) == ACCT_START &&
	      acct_queue_peek(q, 1) == ACCT_INTERIM && acct_queue_peek(q, 2) == ACCT_STOP);
	make(&p, ACCT_STOP);
	acct_queue_add(q, ACCT_STOP, &p, fake_radius_ms());
	make(&p, ACCT_STOP);
	acct_queue_add(q, ACCT_STOP, &p, fake_radius_ms());
	acct_queue_counts(q, &k);
	CHECK("full: interims go first, then the oldest", k.dropped == 3 && k.queued == 3);
	CHECK("full: only stops left", acct_queue_peek(q, 0) == ACCT_STOP &&
	      acct_queue_peek(q, 2) == ACCT_STOP && acct_queue_peek(q, 3) == 0);
	acct_queue_free(q);
}

static void test_close_on_timeout_conf(void)
{
	static const char *const texts[] = {
		"charon { plugins { eap-radius { server = 198.18.3.2\n secret = s\n accounting = yes\n } } }\n",
		"charon { plugins { eap-radius { server = 198.18.3.2\n secret = s\n accounting = yes\n"
		"accounting_close_on_timeout = yes\n } } }\n",
		"charon { plugins { eap-radius { server = 198.18.3.2\n secret = s\n accounting = yes\n"
		"accounting_close_on_timeout = no\n } } }\n",
	};
	struct radius_conf c;
	char err[256];
	int r = radius_conf_parse("strongswan.conf", texts[0], &c, err, sizeof(err));
	CHECK("close_on_timeout left out: strongSwan's yes, not written",
	      r == 0 && c.accounting && c.accounting_close_on_timeout &&
	      !c.accounting_close_on_timeout_set);
	radius_conf_free(&c);
	r = radius_conf_parse("strongswan.conf", texts[1], &c, err, sizeof(err));
	CHECK("close_on_timeout = yes written",
	      r == 0 && c.accounting_close_on_timeout && c.accounting_close_on_timeout_set);
	radius_conf_free(&c);
	r = radius_conf_parse("strongswan.conf", texts[2], &c, err, sizeof(err));
	CHECK("close_on_timeout = no written",
	      r == 0 && !c.accounting_close_on_timeout && c.accounting_close_on_timeout_set);
	radius_conf_free(&c);
}

int main(void)
{
	base = event_base_new();
	test_build();
	test_close_on_timeout_conf();
	test_queue_retry();
	test_queue_full();
	event_base_free(base);
	CHECK_DONE();
}
