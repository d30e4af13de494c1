/* What an unauthenticated IKE peer can make cygnet ask RADIUS
 * (src/eap_radius.c with src/auth_limit.h): IKE_SAs start EAP-RADIUS
 * logins (eap_radius_begin) against a fake RADIUS server on loopback that
 * never answers; one address gets radius_requests_per_source waiting
 * Access-Requests, its next login is refused without a request, other
 * addresses are served, an IPv6 /64 is one source, a request that ends
 * frees its place. Then timeouts: a login whose request times out while
 * the server answers others counts as a failed login of its address
 * (backed off after auth_backoff_free_source), and none counts when the
 * server answers nobody. */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include "src/auth_limit.h"
#include "src/eap_radius.h"
#include "src/radius.h"
#include "src/radius_client.h"
#include "tests/unit/fake_radius.h"
#include "tests/unit/testd.h"

#define SECRET "lim1ts-secret"

static struct daemon d;

/* the fake server: answers an Access-Reject to every User-Name but
 * "mallory" when `answer`, else nothing */
struct fake {
	int fd;
	uint16_t port;
	struct event *ev;
	bool answer;
	int n;
};

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct fake *f = arg;
	struct fake_radius_req r;
	if (!fake_radius_recv(fd, &r))
		return;
	f->n++;
	size_t len;
	const uint8_t *user = rad_find(&r.v, RAD_USER_NAME, &len);
	if (!f->answer || (user && len == 7 && memcmp(user, "mallory", 7) == 0))
		return;
	struct rad_pkt p;
	rad_new(&p, RAD_ACCESS_REJECT, r.v.id);
	rad_put_msg_auth(&p);
	rad_sign_response(&p, r.v.auth, SECRET, strlen(SECRET));
	fake_radius_reply(fd, &r, &p);
}

static void run_for(uint32_t ms)
{
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
	event_base_loopexit(d.base, &tv);
	event_base_dispatch(d.base);
}

static struct ike_sa *login(const char *addr, const char *user, int *rc)
{
	static uint8_t tag;
	struct sockaddr_storage peer = { 0 }, local = { 0 };
	socklen_t plen;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *p6 = (struct sockaddr_in6 *)&peer, *l6 = (void *)&local;
		p6->sin6_family = l6->sin6_family = AF_INET6;
		p6->sin6_port = l6->sin6_port = htons(4500);
		inet_pton(AF_INET6, addr, &p6->sin6_addr);
		inet_pton(AF_INET6, "2001:db8::1", &l6->sin6_addr);
		plen = sizeof(*p6);
	} else {
		struct sockaddr_in *p4 = (struct sockaddr_in *)&peer, *l4 = (void *)&local;
		p4->sin_family = l4->sin_family = AF_INET;
		p4->sin_port = l4->sin_port = htons(4500);
		inet_pton(AF_INET, addr, &p4->sin_addr);
		inet_pton(AF_INET, "198.18.0.1", &l4->sin_addr);
		plen = sizeof(*p4);
	}
	uint8_t spi_i[8] = { 7, 7, 7, 7, 7, 7, 7, ++tag };
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, plen,
	                               (struct sockaddr *)&local, plen);
	if (!sa) {
		*rc = -2;
		return NULL;
	}
	ike_sa_set_cfg(sa, &d.cfg->peers[0]);
	snprintf(sa->user, sizeof(sa->user), "%s", user);
	sa->eap_method = AUTH_EAP_RADIUS;
	/* not IKE_S_EAP: the answer's IKE side (ike_auth_eap_answer) stays
	 * out of this test */
	*rc = eap_radius_begin(&d, sa, NULL, 1);
	return sa;
}

static void end(struct ike_sa *sa)
{
	if (sa)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&d);
}

static bool backed_off(const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, addr, &a.sin_addr);
	return auth_limit_blocked(d.alim, d.cfg->conf, NULL, "x", (struct sockaddr *)&a,
	                          auth_limit_now());
}

static void per_source(void)
{
	struct ike_sa *sa[12];
	int rc, ok = 0;
	d.cfg->conf->radius_requests_per_source = 4;
	for (int i = 0; i < 4; i++) {
		sa[i] = login("198.18.1.50", "bob", &rc);
		ok += rc == 0 && eap_radius_waiting(sa[i]);
	}
	CHECK("per source: 4 logins of one address ask RADIUS", ok == 4);
	uint64_t busy = auth_limit_busy_count(d.alim);
	sa[4] = login("198.18.1.50", "bob", &rc);
	CHECK("per source: the 5th is refused without a request", rc != 0 && sa[4] &&
	      !eap_radius_waiting(sa[4]) && strstr(sa[4]->auth_fail, "too many"));
	CHECK("per source: counted", auth_limit_busy_count(d.alim) == busy + 1);
	sa[5] = login("198.18.1.51", "carol", &rc);
	CHECK("per source: another address is served", rc == 0 && eap_radius_waiting(sa[5]));
	/* a request that ends (its IKE_SA gone) frees its place */
	end(sa[0]);
	end(sa[4]);
	sa[0] = login("198.18.1.50", "bob", &rc);
	CHECK("per source: a place freed is taken again", rc == 0 && eap_radius_waiting(sa[0]));
	/* IPv6: one /64 is one source */
	sa[6] = login("2001:db8:1:1::10", "v6a", &rc);
	ok = rc == 0;
	sa[7] = login("2001:db8:1:1::11", "v6b", &rc);
	ok += rc == 0;
	sa[8] = login("2001:db8:1:1:ffff::12", "v6c", &rc);
	ok += rc == 0;
	sa[9] = login("2001:db8:1:1:abcd::13", "v6d", &rc);
	ok += rc == 0;
	sa[10] = login("2001:db8:1:1::14", "v6e", &rc);
	CHECK("per source: 4 logins of one IPv6 /64, the 5th refused", ok == 4 && rc != 0);
	sa[11] = login("2001:db8:1:2::14", "v6f", &rc);
	CHECK("per source: another /64 is served", rc == 0);
	d.cfg->conf->radius_requests_per_source = 0;
	struct ike_sa *more = login("198.18.1.50", "bob", &rc);
	CHECK("per source: 0 is no cap", rc == 0 && eap_radius_waiting(more));
	end(more);
	for (int i = 0; i < 12; i++)
		if (i != 4)
			end(sa[i]);
	d.cfg->conf->radius_requests_per_source = 8;
}

static void timeouts(struct fake *f)
{
	int rc;
	d.cfg->conf->auth_backoff_free_source = 3;
	const int free_n = 3;
	/* the server answers others (alice, from another address): each
	 * timeout of mallory's counts against 198.18.1.60 */
	f->answer = true;
	for (int i = 0; i <= free_n; i++) {
		struct ike_sa *m = login("198.18.1.60", "mallory", &rc);
		run_for(50);
		struct ike_sa *a = login("198.18.1.61", "alice", &rc);
		for (int k = 0; k < 20 && (eap_radius_waiting(m) || eap_radius_waiting(a)); k++)
			run_for(50);
		end(m);
		end(a);
	}
	CHECK("timeouts while others are answered: the address is backed off",
	      backed_off("198.18.1.60"));
	struct ike_sa *m = login("198.18.1.60", "mallory", &rc);
	CHECK("... and its next login is refused without a request",
	      rc != 0 && m && !eap_radius_waiting(m));
	end(m);
	/* a server that answers nobody: no address is counted */
	f->answer = false;
	for (int i = 0; i <= free_n; i++) {
		struct ike_sa *a = login("198.18.1.70", "dave", &rc);
		for (int k = 0; k < 20 && eap_radius_waiting(a); k++)
			run_for(50);
		end(a);
	}
	CHECK("timeouts with a dead server: nobody is backed off", !backed_off("198.18.1.70"));
}


/* one source: an IPv4 address, an IPv6 /64, an IPv4-mapped IPv6 address as
 * its IPv4 address */
static void same_source(void)
{
	static const struct { const char *a, *b; bool same; } v[] = {
		{ "198.18.1.5", "198.18.1.5", true },
		{ "198.18.1.5", "198.18.1.6", false },
		{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true },
		{ "2001:db8:1:2::1", "2001:db8:1:3::1", false },
		{ "::ffff:198.18.1.5", "198.18.1.5", true },
		{ "::ffff:198.18.1.5", "198.18.1.6", false },
		{ "::ffff:198.18.1.5", "::ffff:198.18.1.9", false },
		{ "198.18.1.5", "2001:db8::1", false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sockaddr_storage a = { 0 }, b = { 0 };
		const char *t[2] = { v[i].a, v[i].b };
		struct sockaddr_storage *s[2] = { &a, &b };
		for (int k = 0; k < 2; k++) {
			if (strchr(t[k], ':')) {
				s[k]->ss_family = AF_INET6;
				inet_pton(AF_INET6, t[k], &((struct sockaddr_in6 *)s[k])->sin6_addr);
			} else {
				s[k]->ss_family = AF_INET;
				inet_pton(AF_INET, t[k], &((struct sockaddr_in *)s[k])->sin_addr);
			}
		}
		char what[128];
		snprintf(what, sizeof(what), "same source: %s, %s: %s", v[i].a, v[i].b,
		         v[i].same ? "yes" : "no");
		CHECK(what, auth_limit_same_source((struct sockaddr *)&a, (struct sockaddr *)&b) ==
		      v[i].same && auth_limit_same_source((struct sockaddr *)&b,
		                                          (struct sockaddr *)&a) == v[i].same);
	}
}

int main(void)
{
	char dir[32], err[256];
	log_set_level(-1, -1);
	same_source();
	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	struct fake f = { 0 };
	fake_radius_open(d.base, fake_read, &f, &f.fd, &f.port, &f.ev);

	struct radius_conf *rc = d.cfg->radius;
	rc->n_servers = 0;
	fake_radius_server(rc, "fake", f.port, SECRET, (struct radius_retransmit){ 100, 1000, 1 });
	d.radius = radius_client_new(d.base, NULL, rc, err, sizeof(err));
	d.alim = auth_limit_new();
	CHECK("RADIUS client and limits", d.radius && d.alim && d.cfg->n_peers > 0);
	if (d.radius && d.alim && d.cfg->n_peers > 0) {
		CHECK("default radius_requests_per_source is 8",
		      d.cfg->conf->radius_requests_per_source == 8);
		per_source();
		timeouts(&f);
	}
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&d);
	radius_client_free(d.radius);
	d.radius = NULL;
	auth_limit_free(d.alim);
	d.alim = NULL;
	fake_radius_close(f.fd, f.ev);
	testd_close(&d, dir);
	CHECK_DONE();
}
