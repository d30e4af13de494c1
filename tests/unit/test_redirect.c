/* IKEv2 redirect (RFC 5685, src/redirect.h): the REDIRECT /
 * REDIRECTED_FROM notify data in the layout of RFC 5685 §8-9, the host
 * names an operator may give, config setup redirect_to=/redirect_above=,
 * the decision for new clients, and, through ike_input with real
 * IKE_SA_INIT requests on a loopback socket, the stateless REDIRECT
 * answer (its nonce the client's Ni), the clients served here, the count
 * of established IKE_SAs and `redirect` on the control socket. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "crypto/algs.h"
#include "crypto/dh.h"
#include "conf/conf_util.h"
#include "conf/ipsec_conf.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/redirect.h"

/* ---- notify data (RFC 5685 §8: GW Ident Type | GW Ident Len | GW
 * Identity | Nonce Data) ---- */
static void test_data(void)
{
	struct redirect_gw gw, back;
	uint8_t out[600];
	const uint8_t *nonce;
	size_t nl, n;

	CHECK("gw: IPv4 literal", redirect_gw_from_text("192.0.2.1", &gw) == 0 &&
	      gw.type == GW_IPV4 && gw.len == 4);
	n = redirect_data_build(&gw, NULL, 0, out, sizeof(out));
	CHECK_HEX("data: IPv4, no nonce (INFORMATIONAL)", out, n, "0104c0000201");
	uint8_t ni[16];
	for (int i = 0; i < 16; i++)
		ni[i] = (uint8_t)(0xa0 + i);
	n = redirect_data_build(&gw, ni, sizeof(ni), out, sizeof(out));
	CHECK_HEX("data: IPv4 with the client's Ni (IKE_SA_INIT)", out, n,
	          "0104c0000201a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	CHECK("parse: IPv4 and nonce", redirect_data_parse(out, n, &back, &nonce, &nl) == 0 &&
	      back.type == GW_IPV4 && back.len == 4 && memcmp(back.id, gw.id, 4) == 0 &&
	      nl == 16 && nonce == out + 6 && memcmp(nonce, ni, 16) == 0);

	CHECK("gw: IPv6 literal", redirect_gw_from_text("2001:db8::2", &gw) == 0 &&
	      gw.type == GW_IPV6 && gw.len == 16);
	n = redirect_data_build(&gw, NULL, 0, out, sizeof(out));
	CHECK_HEX("data: IPv6", out, n, "021020010db8000000000000000000000002");
	CHECK("gw: a name", redirect_gw_from_text("vpn-b.example.com", &gw) == 0 &&
	      gw.type == GW_FQDN && gw.len == 17);
	n = redirect_data_build(&gw, NULL, 0, out, sizeof(out));
	CHECK_HEX("data: FQDN", out, n, "031176706e2d622e6578616d706c652e636f6d");
	CHECK("parse: FQDN, nothing after it", redirect_data_parse(out, n, &back, &nonce, &nl) == 0 &&
	      back.type == GW_FQDN && back.len == 17 && !nonce && nl == 0 &&
	      memcmp(back.id, "vpn-b.example.com", 17) == 0);
	char text[1100];
	CHECK("format: name", !strcmp(redirect_gw_format(&back, text, sizeof(text)),
	                              "vpn-b.example.com"));
	CHECK("build: no room", redirect_data_build(&gw, NULL, 0, out, 18) == 0);

	/* malformed: what a peer's REDIRECTED_FROM may hold */
	static const char *const bad[] = {
		"", "01", "0004c0000201", "0404c0000201", "0105c000020101", "0104c00002",
		"0210c0000201", "0300", "03056162", "ff04c0000201",
	};
	bool all = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[64];
		size_t bl = check_unhex(bad[i], b);
		if (redirect_data_parse(b, bl, &back, &nonce, &nl) == 0) {
			printf("# accepted %s\n", bad[i]);
			all = false;
		}
	}
	CHECK("parse: malformed data refused", all);
	uint8_t esc[] = { 0x03, 0x03, 'a', 0x1b, 0xff };
	CHECK("format: a peer's name escaped",
	      redirect_data_parse(esc, sizeof(esc), &back, NULL, NULL) == 0 &&
	      !strcmp(redirect_gw_format(&back, text, sizeof(text)), "a\\x1b\\xff"));
	uint8_t name255[2 + 255];
	name255[0] = 3;
	name255[1] = 255;
	memset(name255 + 2, 'a', 255);
	CHECK("parse: a 255-byte name", redirect_data_parse(name255, sizeof(name255), &back, NULL,
	                                                   NULL) == 0 && back.len == 255);
}

/* ---- hosts an operator gives (redirect_to=, cygnetctl redirect --to) ---- */
static void test_hosts(void)
{
	static const char *const good[] = {
		"198.18.1.2", "2001:db8::2", "::ffff:198.18.1.2", "vpn", "vpn-b.example.com",
		"VPN2.Example.COM", "1vpn.example", "a.b-c.d9",
	};
	static const char *const bad[] = {
		"", "-vpn.example", "vpn-.example", "vpn..example", ".vpn", "vpn.", "1.2.3",
		"999.1.1.1", "10.0.0.256", "vpn_b.example", "vpn b", "vpn;reboot", "vpn$(id)",
		"[2001:db8::2]", "198.18.1.2:500", "vpn/b", "v\xc3\xa9pn.example", "vpn\n",
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!conf_redirect_host_ok(good[i])) {
			printf("# refused '%s'\n", good[i]);
			ok = false;
		}
	CHECK("hosts: addresses and names accepted", ok);
	ok = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_redirect_host_ok(bad[i])) {
			printf("# accepted '%s'\n", bad[i]);
			ok = false;
		}
	CHECK("hosts: everything else refused", ok);
	char long_name[300], label[70];
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s", label, label, label, label);
	long_name[255] = '\0';        /* 255 characters, the last label 59 */
	CHECK("hosts: 255 characters", conf_redirect_host_ok(long_name));
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s.a", label, label, label, label);
	CHECK("hosts: 256 characters refused", !conf_redirect_host_ok(long_name));
	memset(label, 'a', 64);
	label[64] = '\0';
	CHECK("hosts: a label of 64 refused", !conf_redirect_host_ok(label));
}

/* ---- config setup ---- */
static void test_conf(void)
{
	char err[512];
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", "config setup\n"
	        "    redirect_to=198.18.1.2, vpn-c.example.com,2001:db8::3\n"
	        "    redirect_above=100\n", err, sizeof(err));
	CHECK("conf: redirect_to + redirect_above", c && c->n_redirect_to == 3 &&
	      !strcmp(c->redirect_to[0], "198.18.1.2") &&
	      !strcmp(c->redirect_to[1], "vpn-c.example.com") &&
	      !strcmp(c->redirect_to[2], "2001:db8::3") && c->redirect_above_set &&
	      c->redirect_above == 100);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    uniqueids=no\n", err, sizeof(err));
	CHECK("conf: off by default", c && !c->redirect_above_set && c->n_redirect_to == 0);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    redirect_above=0\n    redirect_to=vpn2\n",
	                     err, sizeof(err));
	CHECK("conf: redirect_above=0 (always)", c && c->redirect_above_set && !c->redirect_above);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    redirect_above=5\n", err, sizeof(err));
	CHECK("conf: redirect_above without redirect_to", !c &&
	      strstr(err, "x.conf:2: redirect_above: no redirect_to"));
	c = ipsec_conf_parse("x.conf", "config setup\n    uniqueids=no\n    redirect_to=vpn2\n",
	                     err, sizeof(err));
	CHECK("conf: redirect_to without redirect_above", !c && strstr(err, "x.conf:3: redirect_to"));
	c = ipsec_conf_parse("x.conf", "config setup\n    redirect_to=vpn2,bad_name\n"
	                     "    redirect_above=1\n", err, sizeof(err));
	CHECK("conf: a bad host named with file:line", !c &&
	      strstr(err, "x.conf:2: redirect_to: 'bad_name' is not"));
	c = ipsec_conf_parse("x.conf", "config setup\n    redirect_to=vpn2\n    redirect_above=-1\n",
	                     err, sizeof(err));
	CHECK("conf: a bad number", !c && strstr(err, "x.conf:3: redirect_above"));
}

/* ---- the decision ---- */
static void test_decide(void)
{
	CHECK("decide: no support, never", redirect_decide(true, true, 0, 9, false, false) == REDIR_NO);
	CHECK("decide: draining", redirect_decide(true, false, 0, 0, true, false) == REDIR_DRAIN);
	CHECK("decide: draining, even if redirected here",
	      redirect_decide(true, true, 5, 0, true, true) == REDIR_DRAIN);
	CHECK("decide: below redirect_above", redirect_decide(false, true, 2, 1, true, false) ==
	      REDIR_NO);
	CHECK("decide: at redirect_above", redirect_decide(false, true, 2, 2, true, false) ==
	      REDIR_LOAD);
	CHECK("decide: redirect_above=0", redirect_decide(false, true, 0, 0, true, false) ==
	      REDIR_LOAD);
	CHECK("decide: redirected here before: served", redirect_decide(false, true, 0, 7, true,
	                                                                 true) == REDIR_NO);
	CHECK("decide: no load rule", redirect_decide(false, false, 0, 100, true, false) == REDIR_NO);
}

/* ---- through ike_input ---- */

static struct daemon d;
static uint8_t ke_pub[256];
static size_t ke_len;
static int rx_fd = -1;
static struct sockaddr_in rx_addr, local_addr;

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* extra: 0 none, 1 REDIRECT_SUPPORTED, 2 REDIRECTED_FROM 198.18.1.1 */
static size_t build_init(uint8_t seed, int extra, uint8_t *buf, size_t cap)
{
	struct ike_wr w;
	testd_init_request(&w, buf, cap, seed, NULL, 0, ke_pub, ke_len);
	if (extra == 1)
		ike_wr_notify(&w, 0, NULL, 0, N_REDIRECT_SUPPORTED, NULL, 0);
	if (extra == 2) {
		static const uint8_t from[] = { 1, 4, 198, 18, 1, 1 };
		ike_wr_notify(&w, 0, NULL, 0, N_REDIRECTED_FROM, from, sizeof(from));
	}
	return ike_wr_finish(&w);
}

static unsigned count_sas(void)
{
	unsigned n = 0;
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		n += sa->state != IKE_S_DEAD;
	return n;
}

/* sends an IKE_SA_INIT, returns the length of the answer in ans (0: none) */
static size_t exchange(uint8_t seed, int extra, uint8_t *ans, size_t cap)
{
	uint8_t buf[1024];
	size_t len = build_init(seed, extra, buf, sizeof(buf));
	while (recv(rx_fd, ans, cap, MSG_DONTWAIT) > 0)
		;
	ike_input(&d, buf, len, (struct sockaddr *)&rx_addr, sizeof(rx_addr),
	          (struct sockaddr *)&local_addr, sizeof(local_addr));
	ssize_t n = recv(rx_fd, ans, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

/* the answer is a REDIRECT to 198.18.1.2 carrying the nonce of seed */
static bool is_redirect(const uint8_t *ans, size_t len, uint8_t seed)
{
	struct ike_msg m;
	if (!len || ike_parse(ans, len, &m) != IKE_OK || !(m.hdr.flags & IKE_FLAG_RESPONSE) ||
	    m.hdr.exchange != IKE_SA_INIT || m.n_notify != 1 || m.seen != (1ull << (PL_NOTIFY - 32)))
		return false;
	static const uint8_t spi_r0[8];
	const struct ike_notify *n = ike_find_notify(&m, N_REDIRECT);
	struct redirect_gw gw;
	const uint8_t *nonce;
	size_t nl;
	uint8_t want[32];
	memset(want, seed, sizeof(want));
	return n && memcmp(m.hdr.spi_r, spi_r0, 8) == 0 &&
	       redirect_data_parse(n->data, n->len, &gw, &nonce, &nl) == 0 &&
	       gw.type == GW_IPV4 && memcmp(gw.id, "\xc6\x12\x01\x02", 4) == 0 &&
	       nl == 32 && memcmp(nonce, want, 32) == 0;
}

static char answer[4096];
static size_t answer_len;
static void collect(void *arg, const char *line)
{
	(void)arg;
	answer_len += (size_t)snprintf(answer + answer_len, sizeof(answer) - answer_len, "%s\n",
	                               line);
	if (answer_len >= sizeof(answer))
		answer_len = sizeof(answer) - 1;
}

static const char *command(const char *args)
{
	answer_len = 0;
	answer[0] = '\0';
	redirect_command(&d, args, collect, NULL);
	return answer;
}

static void test_daemon(void)
{
	struct dh *dh = dh_new(ECP_256);
	ke_len = dh_pub_len(ECP_256);
	CHECK("client key", dh && dh_public(dh, ke_pub, ke_len) == 0);
	dh_free(dh);
	/* the daemon's UDP 500 socket is a loopback one; the client's address
	 * that of another loopback socket, where the answers arrive */
	rx_fd = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in lo = v4("127.0.0.1", 0);
	socklen_t sl = sizeof(rx_addr);
	struct timeval tv = { 2, 0 };
	if (rx_fd < 0 || tx < 0 || bind(rx_fd, (struct sockaddr *)&lo, sizeof(lo)) != 0 ||
	    bind(tx, (struct sockaddr *)&lo, sizeof(lo)) != 0 ||
	    getsockname(rx_fd, (struct sockaddr *)&rx_addr, &sl) != 0 ||
	    setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		CHECK("loopback sockets", false);
		return;
	}
	d.socks[0] = (struct udp_sock){ .fd = tx, .family = AF_INET, .port = 500 };
	d.n_socks = 1;
	local_addr = v4("127.0.0.1", 500);
	struct ipsec_conf *c = d.cfg->conf;
	uint8_t ans[2048];
	size_t n;

	n = exchange(1, 1, ans, sizeof(ans));
	CHECK("no rule: a client that supports redirects is served", n && !is_redirect(ans, n, 1) &&
	      count_sas() == 1);
	struct ike_sa *first = d.sas;
	CHECK("REDIRECT_SUPPORTED noted on its IKE_SA", first && first->peer_redirect);
	CHECK("nothing announced: no REDIRECT_SUPPORTED in our answer", n &&
	      !memmem(ans, n, "\x00\x00\x40\x16", 4));

	/* redirect_above=1, redirect_to=198.18.1.2 (what the file would give) */
	conf_strv_add(&c->redirect_to, &c->n_redirect_to, "2001:db8::2");
	conf_strv_add(&c->redirect_to, &c->n_redirect_to, "198.18.1.2");
	c->redirect_above_set = true;
	c->redirect_above = 1;
	n = exchange(2, 1, ans, sizeof(ans));
	CHECK("below redirect_above: served", n && !is_redirect(ans, n, 2) && count_sas() == 2);
	ike_sa_set_state(first, IKE_S_ESTABLISHED);
	CHECK("established IKE_SAs counted", d.redirect.n_up == 1);
	n = exchange(3, 1, ans, sizeof(ans));
	CHECK("at redirect_above: REDIRECT with the client's Ni, to the target of its family",
	      is_redirect(ans, n, 3));
	CHECK("a redirect keeps no state", count_sas() == 2 && d.redirect.n_init == 1);
	n = exchange(4, 0, ans, sizeof(ans));
	CHECK("a client without REDIRECT_SUPPORTED is served", n && !is_redirect(ans, n, 4) &&
	      count_sas() == 3);
	CHECK("no REDIRECT_SUPPORTED: noted", d.sas && !d.sas->peer_redirect);
	n = exchange(5, 2, ans, sizeof(ans));
	CHECK("REDIRECTED_FROM: not redirected again by load", n && !is_redirect(ans, n, 5) &&
	      count_sas() == 4 && d.sas->peer_redirect);

	/* the control command */
	CHECK("redirect: shows the load rule", strstr(command(""), "once 1 IKE_SAs are established") &&
	      strstr(answer, "1 IKE_SAs established"));
	CHECK("redirect --to bad host refused", !strncmp(command(" --to bad_host all"), "error:", 6));
	CHECK("redirect --to with junk refused",
	      !strncmp(command(" --to vpn2 alice bob"), "error:", 6));
	CHECK("redirect unknown option", !strncmp(command(" --bogus"), "error:", 6));
	/* the established one supports redirects but another request of ours
	 * is outstanding: the move waits for it */
	first->req_kind = REQ_DPD;
	snprintf(first->user, sizeof(first->user), "alice");
	command(" --to 198.18.1.2 alice");
	CHECK("redirect --to HOST USER: asked, waits for our other request",
	      strstr(answer, "redirected #") && strstr(answer, "'alice'") && first->move &&
	      !d.redirect.drain);
	command(" --to 198.18.1.2 alice");
	CHECK("a second redirect of the same one: already moving", strstr(answer, "already moving"));
	struct ike_sa *nosup = NULL;
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		if (!sa->peer_redirect)
			nosup = sa;
	if (nosup) {
		snprintf(nosup->user, sizeof(nosup->user), "bob");
		ike_sa_set_state(nosup, IKE_S_ESTABLISHED);
	}
	command(" --to vpn-b.example.com bob");
	CHECK("a client without support stays, and is listed", nosup &&
	      strstr(answer, "stays #") && strstr(answer, "does not support redirects") &&
	      !nosup->move);
	CHECK("redirect --to HOST: drain new clients",
	      strstr(command(" --to 198.18.1.2"), "new clients are redirected to 198.18.1.2") &&
	      d.redirect.drain);
	n = exchange(6, 2, ans, sizeof(ans));
	CHECK("draining: even a client redirected here goes", is_redirect(ans, n, 6));
	n = exchange(7, 0, ans, sizeof(ans));
	CHECK("draining: a client without support is served", n && !is_redirect(ans, n, 7));
	CHECK("redirect --off", strstr(command(" --off"), "once 1 IKE_SAs") && !d.redirect.drain);
	/* the client rekeys the IKE_SA before it took the REDIRECT: the move
	 * is asked again on the successor */
	n = exchange(8, 2, ans, sizeof(ans));   /* REDIRECTED_FROM: served */
	struct ike_sa *succ = d.sas;
	CHECK("a successor IKE_SA", n && succ && succ != first && succ->peer_redirect);
	if (succ && succ != first) {
		ike_sa_set_state(succ, IKE_S_ESTABLISHED);
		succ->req_kind = REQ_DPD;     /* keeps it from sending in the test */
		redirect_rekeyed(&d, first, succ);
		CHECK("rekeyed before the answer: the move goes to the successor",
		      !first->move && succ->move);
		redirect_sa_free(succ);
		CHECK("redirect_sa_free", !succ->move);
		succ->req_kind = REQ_NONE;
		ike_sa_set_state(succ, IKE_S_DEAD);
	}
	ike_sa_set_state(first, IKE_S_DEAD);
	ike_sa_reap(&d);
	CHECK("a moving IKE_SA deleted: its count goes, its move freed", d.redirect.n_up == 1);
	d.n_socks = 0;
	close(tx);
	close(rx_fd);
}

int main(void)
{
	log_set_level(-1, -1);
	test_data();
	test_hosts();
	test_conf();
	test_decide();
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.1.1") == 0);
	if (d.cfg && d.base && d.dp)
		test_daemon();
	testd_close(&d, dir);
	CHECK_DONE();
}
