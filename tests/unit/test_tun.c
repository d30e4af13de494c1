/* TUN device, addresses and routes, in a network namespace of its own.
 * Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN for unshare) and /dev/net/tun;
 * skipped otherwise. The routes are proven by sending UDP into them and
 * reading the IP packets back from the TUN queues. */
#define _GNU_SOURCE     /* unshare() */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tun/tun.h"

#define NQ 2
#define IFNAME "cyt0"

/* In a child that gave up root: the errors must name the capability.
 * Exit status: 0 when both messages do, 1 otherwise. */
static int unprivileged_errors(const uint8_t *a4)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char err[256] = "";
		int fd;
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		int bad = 0;
		if (tun_open(IFNAME, 1, 1400, &fd, err, sizeof(err)) != -1 ||
		    !strstr(err, "needs CAP_NET_ADMIN"))
			bad = 1;
		printf("# as nobody: %s\n", err);
		if (tun_addr_add(IFNAME, AF_INET, a4, 24, err, sizeof(err)) != -1 ||
		    !strstr(err, "needs CAP_NET_ADMIN") || !strstr(err, "198.18.200.1/24"))
			bad = 1;
		printf("# as nobody: %s\n", err);
		fflush(stdout);
		_exit(bad);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Waits up to 2 s for a UDP packet to port 9999 of the given family on
 * any queue; copies it to pkt. Returns its length or -1. Other packets
 * (IPv6 router solicitations, MLD) are skipped. */
static long read_udp(const int *fds, int family, uint8_t *pkt, size_t size)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= 2000)
			return -1;
		struct pollfd pfd[NQ];
		for (int i = 0; i < NQ; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(pfd, NQ, (int)(2000 - ms)) <= 0)
			continue;
		for (int i = 0; i < NQ; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			ssize_t n = read(fds[i], pkt, size);
			if (n <= 0)
				continue;
			if (family == AF_INET && n >= 28 && pkt[0] >> 4 == 4 && pkt[9] == 17 &&
			    pkt[22] == 9999 >> 8 && pkt[23] == (9999 & 0xff))
				return n;
			if (family == AF_INET6 && n >= 48 && pkt[0] >> 4 == 6 && pkt[6] == 17 &&
			    pkt[42] == 9999 >> 8 && pkt[43] == (9999 & 0xff))
				return n;
		}
	}
}

static int send_udp(int family, const char *dst)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(9999);
		inet_pton(AF_INET, dst, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(9999);
		inet_pton(AF_INET6, dst, &s6->sin6_addr);
		len = sizeof(*s6);
	}
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	int r = sendto(fd, "cygnet", 6, 0, (struct sockaddr *)&ss, len) == 6 ? 0 : -errno;
	close(fd);
	return r;
}

int main(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("ok tun skipped (not root)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("ok tun skipped (unshare(CLONE_NEWNET): %s)\n", strerror(errno));
		return 0;
	}

	char err[256] = "";
	int fds[NQ] = { -1, -1 };
	int r = tun_open(IFNAME, NQ, 1400, fds, err, sizeof(err));
	CHECK("tun open 2 queues", r == 0 && fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	if (r != 0) {
		printf("# %s\n", err);
		CHECK_DONE();
	}
	unsigned idx = if_nametoindex(IFNAME);
	CHECK("tun interface exists", idx != 0);

	int sock = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, IFNAME);
	CHECK("tun MTU 1400", ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == 1400);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, IFNAME);
	CHECK("tun is up", ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP));
	close(sock);

	uint8_t a4[4], a6[16], r4[4], r6[16];
	inet_pton(AF_INET, "198.18.200.1", a4);
	inet_pton(AF_INET6, "2001:db8:200::1", a6);
	inet_pton(AF_INET, "198.18.201.0", r4);
	inet_pton(AF_INET6, "2001:db8:201::", r6);
	r = tun_addr_add(IFNAME, AF_INET, a4, 24, err, sizeof(err));
	CHECK("tun add v4 address", r == 0);
	if (r)
		printf("# %s\n", err);
	r = tun_addr_add(IFNAME, AF_INET6, a6, 64, err, sizeof(err));
	CHECK("tun add v6 address", r == 0);
	if (r)
		printf("# %s\n", err);
	CHECK("tun add same address again is fine",
	      tun_addr_add(IFNAME, AF_INET, a4, 24, err, sizeof(err)) == 0 &&
	      tun_addr_add(IFNAME, AF_INET6, a6, 64, err, sizeof(err)) == 0);

	r = tun_route_add(IFNAME, AF_INET, r4, 24, err, sizeof(err));
	CHECK("tun add v4 route", r == 0);
	if (r)
		printf("# %s\n", err);
	r = tun_route_add(IFNAME, AF_INET6, r6, 64, err, sizeof(err));
	CHECK("tun add v6 route", r == 0);
	if (r)
		printf("# %s\n", err);
	CHECK("tun add same route again is fine",
	      tun_route_add(IFNAME, AF_INET, r4, 24, err, sizeof(err)) == 0 &&
	      tun_route_add(IFNAME, AF_INET6, r6, 64, err, sizeof(err)) == 0);
	uint8_t host4[4];
	inet_pton(AF_INET, "198.18.202.77", host4);
	CHECK("tun route with host bits is masked",
	      tun_route_add(IFNAME, AF_INET, host4, 24, err, sizeof(err)) == 0);

	/* the route works: a datagram to 198.18.201.5 comes out of the TUN */
	uint8_t pkt[2048];
	CHECK("tun send v4 into route", send_udp(AF_INET, "198.18.201.5") == 0);
	long n = read_udp(fds, AF_INET, pkt, sizeof(pkt));
	uint8_t dst4[4];
	inet_pton(AF_INET, "198.18.201.5", dst4);
	CHECK("tun v4 packet read from queue", n == 20 + 8 + 6);
	CHECK("tun v4 packet addresses", n > 0 && memcmp(pkt + 12, a4, 4) == 0 &&
	      memcmp(pkt + 16, dst4, 4) == 0 && memcmp(pkt + 28, "cygnet", 6) == 0);
	CHECK("tun send v4 into masked route", send_udp(AF_INET, "198.18.202.9") == 0 &&
	      read_udp(fds, AF_INET, pkt, sizeof(pkt)) > 0);

	CHECK("tun send v6 into route", send_udp(AF_INET6, "2001:db8:201::5") == 0);
	n = read_udp(fds, AF_INET6, pkt, sizeof(pkt));
	uint8_t dst6[16];
	inet_pton(AF_INET6, "2001:db8:201::5", dst6);
	CHECK("tun v6 packet read from queue", n == 40 + 8 + 6);
	CHECK("tun v6 packet addresses", n > 0 && memcmp(pkt + 8, a6, 16) == 0 &&
	      memcmp(pkt + 24, dst6, 16) == 0 && memcmp(pkt + 48, "cygnet", 6) == 0);

	/* delete: the destination becomes unreachable */
	CHECK("tun route del v4", tun_route_del(IFNAME, AF_INET, r4, 24) == 0);
	CHECK("tun route del v6", tun_route_del(IFNAME, AF_INET6, r6, 64) == 0);
	CHECK("tun v4 unreachable after del", send_udp(AF_INET, "198.18.201.5") == -ENETUNREACH);
	CHECK("tun v6 unreachable after del", send_udp(AF_INET6, "2001:db8:201::5") == -ENETUNREACH);
	CHECK("tun route del missing fails", tun_route_del(IFNAME, AF_INET, r4, 24) == -1);

	/* errors name what failed */
	err[0] = 0;
	CHECK("tun addr on missing interface fails",
	      tun_addr_add("cyt-none", AF_INET, a4, 24, err, sizeof(err)) == -1 &&
	      strstr(err, "cyt-none") != NULL);
	CHECK("tun bad prefix refused", tun_route_add(IFNAME, AF_INET, r4, 33, err, sizeof(err)) == -1 &&
	      strstr(err, "33") != NULL);
	CHECK("tun long name refused", tun_open("a-name-much-too-long-for-linux", 1, 1400, fds + 1,
	                                        err, sizeof(err)) == -1 && strstr(err, "name") != NULL);

	fflush(stdout);
	CHECK("tun errors without privilege name CAP_NET_ADMIN", unprivileged_errors(a4) == 0);

	/* attach again to the same device: another queue */
	int extra;
	CHECK("tun attach another queue", tun_open(IFNAME, 1, 1400, &extra, err, sizeof(err)) == 0);
	close(extra);

	CHECK("tun destroy", tun_destroy(IFNAME) == 0);
	CHECK("tun gone after destroy", if_nametoindex(IFNAME) == 0);
	CHECK("tun destroy missing fails", tun_destroy(IFNAME) == -1);
	close(fds[0]);
	close(fds[1]);
	CHECK_DONE();
}
