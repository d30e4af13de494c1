/* The client's addresses and routes over rtnetlink (tun/tun.h): address
 * delete, routes through the TUN device with a preferred source, the
 * kernel's route to an address (connected and via a gateway), a host
 * route copied from it, removal. In a network namespace of its own with
 * a TUN device and a veth "uplink" holding the default routes; the
 * kernel's state is read back with ip(8). Needs root, /dev/net/tun and
 * veth; skipped otherwise. */
#define _GNU_SOURCE     /* unshare() */
#include "tests/unit/check.h"
#include "tests/unit/shell.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "tun/tun.h"

#define TUN "cyc0"

static void a4(const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	inet_pton(AF_INET, s, out);
}

static void a6(const char *s, uint8_t *out)
{
	inet_pton(AF_INET6, s, out);
}

int main(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("ok tun_route # SKIP not root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("ok tun_route # SKIP unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 0;
	}
	if (system("ip link add upl0 type veth peer name upl1 2>/dev/null") != 0) {
		printf("ok tun_route # SKIP no veth\n");
		return 0;
	}
	char err[256] = "";
	int fd = -1;
	CHECK("tun_route: open TUN", tun_open(TUN, 1, 1400, &fd, err, sizeof(err)) == 0);
	CHECK("tun_route: uplink",
	      run("ip link set upl0 up && ip link set upl1 up && ip link set lo up &&"
	          " ip addr add 198.18.0.2/24 dev upl0 &&"
	          " ip route add default via 198.18.0.1 &&"
	          " ip -6 addr add 2001:db8::2/64 dev upl0 nodad &&"
	          " ip -6 route add default via 2001:db8::1"));
	unsigned tun_idx = if_nametoindex(TUN), upl_idx = if_nametoindex("upl0");

	uint8_t vip4[16], vip6[16], net[16], srv4[16], srv6[16], lan[16];
	a4("198.18.100.5", vip4);
	a6("2001:db8:100::5", vip6);
	a4("198.18.9.9", srv4);
	a6("2001:db8:9::9", srv6);

	/* addresses */
	CHECK("tun_route: add v4 vip", tun_addr_add(TUN, AF_INET, vip4, 32, err, sizeof(err)) == 0);
	CHECK("tun_route: add v6 vip", tun_addr_add(TUN, AF_INET6, vip6, 128, err, sizeof(err)) == 0);
	CHECK("tun_route: v4 vip shown", shows("ip -4 addr show dev " TUN, "198.18.100.5/32"));
	CHECK("tun_route: v6 vip shown", shows("ip -6 addr show dev " TUN, "2001:db8:100::5/128"));

	/* the kernel's route: via a gateway, connected, local */
	struct tun_route rt4, rt6, rt;
	CHECK("tun_route: get v4 via gateway",
	      tun_route_get(AF_INET, srv4, &rt4, err, sizeof(err)) == 0 &&
	      rt4.type == RTN_UNICAST && rt4.oif == upl_idx && rt4.gw_family == AF_INET &&
	      memcmp(rt4.gw, "\xc6\x12\x00\x01", 4) == 0 && rt4.table == RT_TABLE_MAIN &&
	      rt4.prefix == 32 && memcmp(rt4.dst, srv4, 4) == 0);
	CHECK("tun_route: get v6 via gateway",
	      tun_route_get(AF_INET6, srv6, &rt6, err, sizeof(err)) == 0 &&
	      rt6.type == RTN_UNICAST && rt6.oif == upl_idx && rt6.gw_family == AF_INET6 &&
	      rt6.gw[15] == 1 && rt6.table == RT_TABLE_MAIN && rt6.prefix == 128 &&
	      rt6.has_metric && rt6.metric == 1024);
	a4("198.18.0.7", lan);
	CHECK("tun_route: get v4 connected",
	      tun_route_get(AF_INET, lan, &rt, err, sizeof(err)) == 0 && rt.oif == upl_idx &&
	      rt.gw_family == 0 && rt.has_prefsrc && rt.prefsrc[3] == 2);
	a6("2001:db8::7", lan);
	CHECK("tun_route: get v6 connected",
	      tun_route_get(AF_INET6, lan, &rt, err, sizeof(err)) == 0 && rt.oif == upl_idx &&
	      rt.gw_family == 0);
	CHECK("tun_route: get local", tun_route_get(AF_INET, vip4, &rt, err, sizeof(err)) == 0 &&
	      rt.type == RTN_LOCAL);
	CHECK("tun_route: get bad family", tun_route_get(AF_UNIX, vip4, &rt, err, sizeof(err)) == -1);

	/* the host routes to the server, copied */
	CHECK("tun_route: add v4 host route", tun_route_add_rt(&rt4, err, sizeof(err)) == 0);
	CHECK("tun_route: add v6 host route", tun_route_add_rt(&rt6, err, sizeof(err)) == 0);
	CHECK("tun_route: v4 host route again is 1", tun_route_add_rt(&rt4, err, sizeof(err)) == 1);
	CHECK("tun_route: v6 host route again is 1", tun_route_add_rt(&rt6, err, sizeof(err)) == 1);
	CHECK("tun_route: v4 host route shown",
	      shows("ip -4 route show 198.18.9.9/32", "198.18.9.9 via 198.18.0.1 dev upl0 proto static"));
	CHECK("tun_route: v6 host route shown",
	      shows("ip -6 route show 2001:db8:9::9/128", "2001:db8:9::9 via 2001:db8::1 dev upl0 proto static metric 1024"));

	/* the default route through the TUN device as two halves */
	a4("0.0.0.0", net);
	int ok = tun_route_add_src(TUN, AF_INET, net, 1, vip4, err, sizeof(err)) == 0;
	a4("128.0.0.0", net);
	ok = ok && tun_route_add_src(TUN, AF_INET, net, 1, vip4, err, sizeof(err)) == 0;
	CHECK("tun_route: v4 halves added", ok);
	a6("::", net);
	ok = tun_route_add_src(TUN, AF_INET6, net, 1, vip6, err, sizeof(err)) == 0;
	a6("8000::", net);
	ok = ok && tun_route_add_src(TUN, AF_INET6, net, 1, vip6, err, sizeof(err)) == 0;
	CHECK("tun_route: v6 halves added", ok);
	if (!ok)
		printf("# %s\n", err);
	CHECK("tun_route: v4 halves shown",
	      shows("ip -4 route show dev " TUN, "0.0.0.0/1 proto static scope link src 198.18.100.5") &&
	      shows("ip -4 route show dev " TUN, "128.0.0.0/1 proto static scope link src 198.18.100.5"));
	CHECK("tun_route: v6 halves shown",
	      shows("ip -6 route show dev " TUN, "::/1 proto static src 2001:db8:100::5") &&
	      shows("ip -6 route show dev " TUN, "8000::/1 proto static src 2001:db8:100::5"));
	CHECK("tun_route: default routes stay",
	      shows("ip -4 route show default", "default via 198.18.0.1 dev upl0") &&
	      shows("ip -6 route show default", "default via 2001:db8::1 dev upl0"));
	a4("203.0.113.7", lan);
	CHECK("tun_route: v4 traffic into the tunnel, from the vip",
	      tun_route_get(AF_INET, lan, &rt, err, sizeof(err)) == 0 && rt.oif == tun_idx &&
	      rt.has_prefsrc && memcmp(rt.prefsrc, vip4, 4) == 0);
	a6("2001:db8:77::7", lan);
	CHECK("tun_route: v6 traffic into the tunnel, from the vip",
	      tun_route_get(AF_INET6, lan, &rt, err, sizeof(err)) == 0 && rt.oif == tun_idx &&
	      rt.has_prefsrc && memcmp(rt.prefsrc, vip6, 16) == 0);
	CHECK("tun_route: the server stays outside (v4)",
	      tun_route_get(AF_INET, srv4, &rt, err, sizeof(err)) == 0 && rt.oif == upl_idx);
	CHECK("tun_route: the server stays outside (v6)",
	      tun_route_get(AF_INET6, srv6, &rt, err, sizeof(err)) == 0 && rt.oif == upl_idx);
	a4("10.0.0.1", net);
	CHECK("tun_route: prefsrc not on the host is refused",
	      tun_route_add_src(TUN, AF_INET, net, 8, net, err, sizeof(err)) == -1 &&
	      strstr(err, "src 10.0.0.1"));

	/* removal */
	CHECK("tun_route: delete v4 host route", tun_route_del_rt(&rt4, err, sizeof(err)) == 0);
	CHECK("tun_route: delete v6 host route", tun_route_del_rt(&rt6, err, sizeof(err)) == 0);
	CHECK("tun_route: delete absent host route", tun_route_del_rt(&rt4, err, sizeof(err)) == 0);
	CHECK("tun_route: host routes gone",
	      lacks("ip -4 route show 198.18.9.9/32", "198.18.9.9") &&
	      lacks("ip -6 route show 2001:db8:9::9/128", "2001:db8:9::9"));
	ok = 1;
	a4("0.0.0.0", net);
	ok &= tun_route_del(TUN, AF_INET, net, 1) == 0;
	a4("128.0.0.0", net);
	ok &= tun_route_del(TUN, AF_INET, net, 1) == 0;
	a6("::", net);
	ok &= tun_route_del(TUN, AF_INET6, net, 1) == 0;
	a6("8000::", net);
	ok &= tun_route_del(TUN, AF_INET6, net, 1) == 0;
	CHECK("tun_route: halves deleted", ok);
	CHECK("tun_route: delete v4 vip", tun_addr_del(TUN, AF_INET, vip4, 32, err, sizeof(err)) == 0);
	CHECK("tun_route: delete v6 vip", tun_addr_del(TUN, AF_INET6, vip6, 128, err, sizeof(err)) == 0);
	CHECK("tun_route: delete absent vip", tun_addr_del(TUN, AF_INET, vip4, 32, err, sizeof(err)) == 0);
	CHECK("tun_route: TUN has no route or vip left",
	      lacks("ip -4 route show dev " TUN, "/") && lacks("ip -6 route show dev " TUN, "/1") &&
	      lacks("ip addr show dev " TUN, "198.18.100.5") &&
	      lacks("ip addr show dev " TUN, "2001:db8:100::5"));
	close(fd);
	CHECK_DONE();
}
