/* The client's network through the privileged helper, end to end
 * (helper_client_net, src/helper.h): a real helper forked from this
 * process in a network namespace of its own, with a TUN device, a veth
 * "uplink" holding the default routes and a fake resolvconf that records
 * what it is asked. Checked: the refusals (unknown conn, a server conn,
 * the wrong server, a net outside rightsubnet, bad virtual IPs), an up
 * (virtual IPs, default route halves with the virtual IP as source, the
 * host route to the server copied from the kernel's, DNS), an up that
 * moves the conn to a new virtual IP, two conns sharing routes, a down,
 * restoring after the TUN device was set down and up, and the helper
 * removing everything when the daemon stops. Needs root, /dev/net/tun and
 * veth; skipped otherwise. */
#define _GNU_SOURCE     /* unshare() */
#include "tests/unit/check.h"
#include "tests/unit/shell.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "conf/ipsec_conf.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/helper.h"
#include "src/log.h"
#include "tun/tun.h"

#define TUN "cyc0"

/* follow_redirects=no: the server must be right= (with redirects, the
 * default, any server is taken: t_client_redirect.sh) */
static const char conf_text[] =
	"config setup\n"
	"\tfollow_redirects=no\n"
	"conn vpn\n"
	"\tright=198.18.9.9\n"
	"\trightsubnet=0.0.0.0/0,::/0\n"
	"\tauto=add\n"
	"conn vpn6\n"
	"\tright=2001:db8:9::9\n"
	"\trightsubnet=0.0.0.0/0,::/0\n"
	"\tauto=add\n"
	"conn part\n"
	"\tright=198.18.9.9\n"
	"\trightsubnet=203.0.113.0/24\n"
	"\tauto=add\n"
	"conn host\n"
	"\tright=198.18.9.9\n"
	"\tauto=add\n"
	"conn server\n"
	"\tright=%any\n"
	"\trightsourceip=198.19.0.0/24\n"
	"\tauto=add\n";

static char tmpdir[64], rc_log[128];

/* polls cmd for up to 3 s until its output has needle */
static int comes(const char *cmd, const char *needle)
{
	for (int i = 0; i < 30; i++) {
		char c[256];
		snprintf(c, sizeof(c), "%s | grep -qF -- '%s'", cmd, needle);
		if (system(c) == 0)
			return 1;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return shows(cmd, needle);
}

static void set_server(struct client_net *n, const char *addr)
{
	memset(&n->server, 0, sizeof(n->server));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&n->server;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(4500);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		n->server_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&n->server;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(4500);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		n->server_len = sizeof(*s4);
	}
}

static void add_net(struct client_net *n, const char *addr, int prefix)
{
	struct conf_net *c = &n->nets[n->n_nets++];
	memset(c, 0, sizeof(*c));
	c->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(c->family, addr, c->addr);
	c->prefix = (uint8_t)prefix;
}

static void add_dns(struct client_net *n, const char *addr)
{
	struct conf_addr *a = &n->dns[n->n_dns++];
	memset(a, 0, sizeof(*a));
	a->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(a->family, addr, a->addr);
}

static void start(struct client_net *n, const char *conn, const char *server)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->conn, sizeof(n->conn), "%s", conn);
	n->up = true;
	set_server(n, server);
}

static struct {
	bool done;
	char err[512];
	char conn[64];
} answer;

static void on_done(struct daemon *d, const char *conn, bool up, const char *err, void *arg)
{
	(void)d;
	(void)up;
	(void)arg;
	answer.done = true;
	snprintf(answer.err, sizeof(answer.err), "%s", err ? err : "");
	snprintf(answer.conn, sizeof(answer.conn), "%s", conn);
}

/* asks and waits up to 10 s; the helper's reason ("" when done), or
 * "(no answer)" */
static const char *ask(struct daemon *d, const struct client_net *n)
{
	answer.done = false;
	if (helper_client_net(d, n, on_done, NULL) != 0)
		return "(not sent)";
	for (int i = 0; i < 100 && !answer.done; i++) {
		struct timeval tv = { 0, 100 * 1000 };
		event_base_loopexit(d->base, &tv);
		event_base_loop(d->base, EVLOOP_ONCE);
	}
	if (!answer.done)
		return "(no answer)";
	if (answer.err[0])
		printf("# %s: %s\n", n->conn, answer.err);
	return answer.err;
}

static const char *down(struct daemon *d, const char *conn)
{
	struct client_net n;
	memset(&n, 0, sizeof(n));
	snprintf(n.conn, sizeof(n.conn), "%s", conn);
	return ask(d, &n);
}

static int refused(const char *err, const char *why)
{
	if (strstr(err, why))
		return 1;
	printf("# expected \"%s\", got \"%s\"\n", why, err);
	return 0;
}

static int rc_has(const char *needle)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cat %s 2>/dev/null", rc_log);
	return shows(cmd, needle);
}

int main(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("ok client_net # SKIP not root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("ok client_net # SKIP unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 0;
	}
	if (system("ip link add upl0 type veth peer name upl1 2>/dev/null") != 0) {
		printf("ok client_net # SKIP no veth\n");
		return 0;
	}
	log_set_level(-1, getenv("CYGNET_TEST_VERBOSE") ? 1 : -1);
	char err[512] = "", cmd[512];
	int fd = -1;
	CHECK("client_net: open TUN", tun_open(TUN, 1, 1400, &fd, err, sizeof(err)) == 0);
	CHECK("client_net: uplink",
	      system("ip link set upl0 up && ip link set upl1 up && ip link set lo up &&"
	             " ip addr add 198.18.0.2/24 dev upl0 &&"
	             " ip route add default via 198.18.0.1 &&"
	             " ip -6 addr add 2001:db8::2/64 dev upl0 nodad &&"
	             " ip -6 route add default via 2001:db8::1") == 0);

	/* a fake resolvconf that logs its arguments and input */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cygnet-cnet-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("not ok client_net: mkdtemp\n");
		return 1;
	}
	char rc_path[128];
	snprintf(rc_path, sizeof(rc_path), "%s/resolvconf", tmpdir);
	snprintf(rc_log, sizeof(rc_log), "%s/resolvconf.log", tmpdir);
	FILE *f = fopen(rc_path, "w");
	if (f) {
		fprintf(f, "#!/bin/sh\necho \"args $*\" >> %s\ncat >> %s\n", rc_log, rc_log);
		fclose(f);
	}
	chmod(rc_path, 0755);
	helper_set_resolvconf(rc_path);

	/* the configuration the helper starts with, as parsed from ipsec.conf */
	struct config *cfg = calloc(1, sizeof(*cfg));
	cfg->refs = 1;
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", tmpdir);
	cfg->conf = ipsec_conf_parse("ipsec.conf", conf_text, err, sizeof(err));
	CHECK("client_net: config parses", cfg->conf != NULL);
	if (!cfg->conf) {
		printf("# %s\n", err);
		CHECK_DONE();
	}
	struct daemon *d = calloc(1, sizeof(*d));
	d->base = event_base_new();
	snprintf(d->tun_name, sizeof(d->tun_name), "%s", TUN);
	d->cfg = cfg;
	CHECK("client_net: helper starts", helper_start(d, cfg, err, sizeof(err)) == 0);

	struct client_net n;

	/* refusals */
	start(&n, "nosuch", "198.18.9.9");
	CHECK("client_net: unknown conn refused",
	      refused(ask(d, &n), "conn 'nosuch' is not in a loaded configuration") &&
	      answer.conn[0] == 'n');
	start(&n, "server", "198.18.9.9");
	add_net(&n, "0.0.0.0", 0);
	CHECK("client_net: server conn refused", refused(ask(d, &n), "is not a client conn"));
	start(&n, "vpn", "198.18.9.10");
	add_net(&n, "0.0.0.0", 0);
	CHECK("client_net: wrong server refused",
	      refused(ask(d, &n), "the server 198.18.9.10 is not conn 'vpn''s right=198.18.9.9"));
	start(&n, "part", "198.18.9.9");
	add_net(&n, "203.0.113.0", 24);
	add_net(&n, "0.0.0.0", 0);
	CHECK("client_net: net outside rightsubnet refused",
	      refused(ask(d, &n), "0.0.0.0/0 is not inside conn 'part''s rightsubnet"));
	start(&n, "part", "198.18.9.9");
	add_net(&n, "203.0.112.0", 23);
	CHECK("client_net: wider net refused", refused(ask(d, &n), "203.0.112.0/23 is not inside"));
	start(&n, "host", "198.18.9.9");
	add_net(&n, "198.18.9.0", 24);
	CHECK("client_net: no rightsubnet: only the server",
	      refused(ask(d, &n), "is not inside conn 'host''s server address (no rightsubnet)"));
	start(&n, "vpn", "198.18.9.9");
	n.has_vip4 = true;
	inet_pton(AF_INET, "127.0.0.1", n.vip4);
	CHECK("client_net: loopback vip refused", refused(ask(d, &n), "not a unicast address"));
	start(&n, "vpn", "198.18.9.9");
	n.n_nets = 99;
	CHECK("client_net: malformed refused", refused(ask(d, &n), "malformed request"));
	CHECK("client_net: nothing installed by refusals",
	      lacks("ip route show table all | grep -v 'local\\|fe80\\|ff00\\|upl\\|multicast'",
	            "dev") && lacks("ip addr show dev " TUN, "198.18") &&
	      access(rc_log, F_OK) != 0);

	/* the kernel's route to the server through the TUN device: refused,
	 * nothing left behind */
	start(&n, "vpn", "198.18.9.9");
	n.has_vip4 = true;
	inet_pton(AF_INET, "198.18.100.5", n.vip4);
	add_net(&n, "0.0.0.0", 0);
	CHECK("client_net: route to the server through TUN refused",
	      system("ip route add 198.18.9.0/24 dev " TUN) == 0 &&
	      refused(ask(d, &n), "the kernel's route to the server 198.18.9.9 goes through " TUN) &&
	      lacks("ip addr show dev " TUN, "198.18.100.5") &&
	      lacks("ip route show dev " TUN, "/1") &&
	      system("ip route del 198.18.9.0/24 dev " TUN) == 0);

	/* a conn without rightsubnet: the server's own address is not routed */
	start(&n, "host", "198.18.9.9");
	add_net(&n, "198.18.9.9", 32);
	CHECK("client_net: server-only conn up", !*ask(d, &n));
	CHECK("client_net: server address not through TUN",
	      lacks("ip route show dev " TUN, "198.18.9.9") &&
	      lacks("ip route show 198.18.9.9/32", "198.18.9.9"));
	CHECK("client_net: server-only conn down", !*down(d, "host"));

	/* up: vips, default route halves, host route to the server, DNS */
	start(&n, "vpn", "198.18.9.9");
	n.has_vip4 = n.has_vip6 = true;
	inet_pton(AF_INET, "198.18.100.5", n.vip4);
	inet_pton(AF_INET6, "2001:db8:100::5", n.vip6);
	add_net(&n, "0.0.0.0", 0);
	add_net(&n, "::", 0);
	add_dns(&n, "198.18.53.1");
	add_dns(&n, "2001:db8:53::1");
	CHECK("client_net: vpn up", !*ask(d, &n));
	CHECK("client_net: vips on TUN",
	      shows("ip addr show dev " TUN, "inet 198.18.100.5/32") &&
	      shows("ip addr show dev " TUN, "inet6 2001:db8:100::5/128"));
	CHECK("client_net: v4 halves with src",
	      shows("ip -4 route show dev " TUN, "0.0.0.0/1 proto static scope link src 198.18.100.5") &&
	      shows("ip -4 route show dev " TUN, "128.0.0.0/1 proto static scope link src 198.18.100.5"));
	CHECK("client_net: v6 halves with src",
	      shows("ip -6 route show dev " TUN, "::/1 proto static src 2001:db8:100::5") &&
	      shows("ip -6 route show dev " TUN, "8000::/1 proto static src 2001:db8:100::5"));
	CHECK("client_net: host route to the server",
	      shows("ip -4 route show 198.18.9.9/32", "198.18.9.9 via 198.18.0.1 dev upl0 proto static"));
	CHECK("client_net: no v6 host route for a v4 server",
	      lacks("ip -6 route show", "2001:db8:9::9"));
	CHECK("client_net: default routes stay",
	      shows("ip -4 route show default", "default via 198.18.0.1 dev upl0") &&
	      shows("ip -6 route show default", "default via 2001:db8::1 dev upl0"));
	CHECK("client_net: resolvconf -a",
	      rc_has("args -a " TUN ".cygnet\nnameserver 198.18.53.1\nnameserver 2001:db8:53::1\n"));

	/* the same conn up again with another vip and no v6: moved over */
	start(&n, "vpn", "198.18.9.9");
	n.has_vip4 = true;
	inet_pton(AF_INET, "198.18.100.6", n.vip4);
	add_net(&n, "0.0.0.0", 0);
	add_dns(&n, "198.18.53.1");
	add_dns(&n, "2001:db8:53::1");
	CHECK("client_net: vpn up again", !*ask(d, &n));
	CHECK("client_net: new vip, old ones gone",
	      shows("ip addr show dev " TUN, "inet 198.18.100.6/32") &&
	      lacks("ip addr show dev " TUN, "198.18.100.5") &&
	      lacks("ip addr show dev " TUN, "2001:db8:100::5"));
	CHECK("client_net: halves with the new src, no v6 halves",
	      shows("ip -4 route show dev " TUN, "0.0.0.0/1 proto static scope link src 198.18.100.6") &&
	      shows("ip -4 route show dev " TUN, "128.0.0.0/1 proto static scope link src 198.18.100.6") &&
	      lacks("ip -6 route show dev " TUN, "/1"));
	CHECK("client_net: host route kept",
	      shows("ip -4 route show 198.18.9.9/32", "198.18.9.9 via 198.18.0.1 dev upl0 proto static"));
	snprintf(cmd, sizeof(cmd), "grep -c '^args' %s", rc_log);
	CHECK("client_net: same DNS not written again", shows(cmd, "1"));

	/* a second conn beside it */
	start(&n, "part", "198.18.9.9");
	n.has_vip4 = true;
	inet_pton(AF_INET, "198.18.100.6", n.vip4);
	add_net(&n, "203.0.113.0", 24);
	CHECK("client_net: part up", !*ask(d, &n));
	CHECK("client_net: part's route",
	      shows("ip -4 route show dev " TUN, "203.0.113.0/24 proto static scope link src 198.18.100.6"));

	/* vpn down: its routes and the host route go, the shared vip stays */
	CHECK("client_net: vpn down", !*down(d, "vpn"));
	CHECK("client_net: halves and host route gone",
	      lacks("ip -4 route show dev " TUN, "/1") &&
	      lacks("ip -4 route show 198.18.9.9/32", "198.18.9.9"));
	CHECK("client_net: shared vip and part's route stay",
	      shows("ip addr show dev " TUN, "inet 198.18.100.6/32") &&
	      shows("ip -4 route show dev " TUN, "203.0.113.0/24"));
	CHECK("client_net: resolvconf -d", rc_has("args -d " TUN ".cygnet"));
	CHECK("client_net: down of a conn not up", !*down(d, "vpn"));

	/* the TUN device set down and up: part's route is restored */
	CHECK("client_net: TUN down and up",
	      system("ip link set " TUN " down && sleep 0.2 && ip link set " TUN " up") == 0);
	CHECK("client_net: route restored", comes("ip -4 route show dev " TUN, "203.0.113.0/24"));

	/* an IPv6 server: the v6 host route */
	start(&n, "vpn6", "2001:db8:9::9");
	n.has_vip6 = true;
	inet_pton(AF_INET6, "2001:db8:100::7", n.vip6);
	add_net(&n, "::", 0);
	add_net(&n, "0.0.0.0", 0);
	add_dns(&n, "2001:db8:53::2");
	CHECK("client_net: vpn6 up", !*ask(d, &n));
	CHECK("client_net: v6 host route",
	      shows("ip -6 route show 2001:db8:9::9/128", "2001:db8:9::9 via 2001:db8::1 dev upl0 proto static metric 1024"));
	CHECK("client_net: v4 halves without src",
	      shows("ip -4 route show dev " TUN, "0.0.0.0/1 proto static scope link \n"));
	CHECK("client_net: v6 halves", shows("ip -6 route show dev " TUN, "8000::/1 proto static src 2001:db8:100::7"));

	/* the daemon stops: the helper removes what is still up */
	helper_stop(d, 3000);
	CHECK("client_net: everything removed at exit",
	      lacks("ip route show dev " TUN, "/") &&
	      lacks("ip -6 route show dev " TUN, "/1") &&
	      lacks("ip -6 route show", "2001:db8:9::9") &&
	      lacks("ip addr show dev " TUN, "198.18.100") &&
	      lacks("ip addr show dev " TUN, "2001:db8:100"));
	snprintf(cmd, sizeof(cmd), "tail -n 1 %s", rc_log);
	CHECK("client_net: DNS removed at exit", shows(cmd, "args -d " TUN ".cygnet"));
	CHECK("client_net: default routes untouched",
	      shows("ip -4 route show default", "default via 198.18.0.1 dev upl0") &&
	      shows("ip -6 route show default", "default via 2001:db8::1 dev upl0"));

	close(fd);
	config_free(cfg);
	event_base_free(d->base);
	free(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	CHECK_DONE();
}
