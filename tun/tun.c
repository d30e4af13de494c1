/* The TUN device (linux/if_tun.h ioctls) and its addresses and routes
 * (rtnetlink, rtnetlink(7)). libc and kernel headers only. */
#include "tun/tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define TUN_DEV "/dev/net/tun"
#define TUN_MAX_QUEUES 256
#define NL_BUFSIZE 8192
#define NL_TIMEOUT_SEC 5

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "Operation not permitted (needs CAP_NET_ADMIN)" for EPERM/EACCES */
static const char *hint(int e)
{
	return e == EPERM || e == EACCES ? " (needs CAP_NET_ADMIN)" : "";
}

static int check_name(const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= IFNAMSIZ) {
		seterr(err, errlen, "interface name \"%s\": must be 1..%d characters",
		       name ? name : "", IFNAMSIZ - 1);
		return -1;
	}
	return 0;
}

/* ---- TUN ---- */

static int open_queues(const char *name, int queues, int mtu, bool vnet, int *fds, char *err,
                       size_t errlen);

int tun_open(const char *name, int queues, int mtu, int *fds, char *err, size_t errlen)
{
	return open_queues(name, queues, mtu, false, fds, err, errlen);
}

int tun_open_offload(const char *name, int queues, int mtu, int *fds, unsigned *offloads,
                     char *err, size_t errlen)
{
	*offloads = 0;
	if (open_queues(name, queues, mtu, true, fds, err, errlen) != 0)
		return -1;
	/* device-wide: one queue sets it for all */
	unsigned want = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	if (ioctl(fds[0], TUNSETOFFLOAD, want) == 0)
		*offloads = want;
	else if (ioctl(fds[0], TUNSETOFFLOAD, TUN_F_CSUM) == 0)
		*offloads = TUN_F_CSUM;
	return 0;
}

static int open_queues(const char *name, int queues, int mtu, bool vnet, int *fds, char *err,
                       size_t errlen)
{
	int opened = 0, sock = -1, ret = -1;
	struct ifreq ifr;

	if (check_name(name, err, errlen) != 0)
		goto out;
	if (queues < 1 || queues > TUN_MAX_QUEUES) {
		seterr(err, errlen, "%s: %d queues: must be 1..%d", name, queues, TUN_MAX_QUEUES);
		goto out;
	}
	for (; opened < queues; opened++) {
		int fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			seterr(err, errlen, "open %s: %s%s", TUN_DEV, strerror(e),
			       e == ENOENT ? " (no TUN support: load the tun module or pass the device into the container)"
			                   : hint(e));
			goto out;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (vnet ? IFF_VNET_HDR : 0);
		memcpy(ifr.ifr_name, name, strlen(name));
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int e = errno;
			seterr(err, errlen, "TUNSETIFF %s (queue %d): %s%s", name, opened,
			       strerror(e), e == EINVAL ? " (name in use by a device that is not a multi-queue TUN?)"
			                                : hint(e));
			close(fd);
			goto out;
		}
		fds[opened] = fd;
	}

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		seterr(err, errlen, "socket for interface ioctls: %s", strerror(errno));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_mtu = mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
		int e = errno;
		seterr(err, errlen, "set MTU %d on %s: %s%s", mtu, name, strerror(e), hint(e));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		int e = errno;
		seterr(err, errlen, "get flags of %s: %s%s", name, strerror(e), hint(e));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		int e = errno;
		seterr(err, errlen, "set %s up: %s%s", name, strerror(e), hint(e));
		goto out;
	}
	ret = 0;
out:
	if (sock >= 0)
		close(sock);
	if (ret != 0) {
		while (opened > 0)
			close(fds[--opened]);
	}
	return ret;
}

/* ---- rtnetlink ---- */

struct nlreq {
	struct nlmsghdr *h;
	size_t cap;
};

/* appends attribute type with len bytes of data; -1 when it does not fit */
static int nl_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h->nlmsg_len);
	size_t alen = RTA_LENGTH(len);
	if (off + RTA_ALIGN(alen) > r->cap)
		return -1;
	struct rtattr *rta = (struct rtattr *)((char *)r->h + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)alen;
	memcpy(RTA_DATA(rta), data, len);
	r->h->nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
	return 0;
}

/* Sends one request with NLM_F_ACK and reads the kernel's answer. When
 * reply is not NULL, the first message of type reply_type answering the
 * request is copied to it (at most replen bytes; a longer one is an
 * EMSGSIZE) and *got is set to 1. 0 on success, else an errno value (the
 * kernel's or the socket's). */
static int nl_talk_reply(struct nlmsghdr *h, uint16_t reply_type, void *reply, size_t replen,
                         int *got)
{
	static uint32_t seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };
	char buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++seq;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		ret = errno;
		goto out;
	}
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = errno == EAGAIN ? ETIMEDOUT : errno;
			goto out;
		}
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue;       /* not from the kernel */
		size_t left = (size_t)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left);
		     m = NLMSG_NEXT(m, left)) {
			if (m->nlmsg_seq != h->nlmsg_seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				if (m->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
					ret = EPROTO;
					goto out;
				}
				const struct nlmsgerr *e = NLMSG_DATA(m);
				ret = -e->error;        /* 0 is the ACK */
				if (ret == 0 && reply && !*got)
					ret = EPROTO;   /* acknowledged without an answer */
				goto out;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (reply && m->nlmsg_type == reply_type && !*got) {
				if (m->nlmsg_len > replen) {
					ret = EMSGSIZE;
					goto out;
				}
				memcpy(reply, m, m->nlmsg_len);
				*got = 1;
			}
		}
	}
out:
	close(fd);
	return ret;
}

static int nl_talk(struct nlmsghdr *h)
{
	return nl_talk_reply(h, 0, NULL, 0, NULL);
}

static size_t alen_of(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* "198.18.200.1/24" for messages */
static void prefix_text(int family, const uint8_t *addr, int prefix, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, prefix);
}

/* common argument checks; 0 with *ifindex set */
static int prepare(const char *what, const char *ifname, int family, const uint8_t *addr,
                   int prefix, unsigned *ifindex, char *err, size_t errlen)
{
	if (check_name(ifname, err, errlen) != 0)
		return -1;
	size_t alen = alen_of(family);
	if (alen == 0) {
		seterr(err, errlen, "%s on %s: address family %d is not IPv4 or IPv6", what, ifname, family);
		return -1;
	}
	if (prefix < 0 || (size_t)prefix > alen * 8) {
		seterr(err, errlen, "%s on %s: prefix length %d out of range", what, ifname, prefix);
		return -1;
	}
	*ifindex = if_nametoindex(ifname);
	if (*ifindex == 0) {
		seterr(err, errlen, "%s on %s: no such interface (%s)", what, ifname, strerror(errno));
		return -1;
	}
	(void)addr;
	return 0;
}

/* one RTM_NEWADDR / RTM_DELADDR for addr/prefix on ifindex; 0 or the
 * kernel's errno */
static int addr_msg(uint16_t type, unsigned ifindex, int family, const uint8_t *addr, int prefix)
{
	char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t alen = alen_of(family);
	memset(buf, 0, sizeof(buf));
	struct nlreq r = { (struct nlmsghdr *)buf, sizeof(buf) };
	r.h->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h->nlmsg_type = type;
	struct ifaddrmsg *ifa = NLMSG_DATA(r.h);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = ifindex;
	if (type == RTM_NEWADDR) {
		r.h->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		/* a TUN link has no neighbours to collide with: skip DAD so
		 * the address is usable at once */
		if (family == AF_INET6)
			ifa->ifa_flags = IFA_F_NODAD;
	}
	if (nl_attr(&r, IFA_LOCAL, addr, alen) != 0 || nl_attr(&r, IFA_ADDRESS, addr, alen) != 0)
		return ENOBUFS;
	return nl_talk(r.h);
}

int tun_addr_add(const char *ifname, int family, const uint8_t *addr, int prefix,
                 char *err, size_t errlen)
{
	char txt[INET6_ADDRSTRLEN + 8];
	unsigned ifindex;

	if (prepare("add address", ifname, family, addr, prefix, &ifindex, err, errlen) != 0)
		return -1;
	int e = addr_msg(RTM_NEWADDR, ifindex, family, addr, prefix);
	if (e != 0 && e != EEXIST) {
		prefix_text(family, addr, prefix, txt, sizeof(txt));
		seterr(err, errlen, "add address %s to %s: %s%s", txt, ifname, strerror(e), hint(e));
		return -1;
	}
	return 0;
}

/* out = addr with the host bits beyond prefix cleared (the kernel wants
 * none in a route's destination) */
static void mask_prefix(int family, const uint8_t *addr, int prefix, uint8_t *out)
{
	size_t alen = alen_of(family);
	memset(out, 0, 16);
	memcpy(out, addr, alen);
	for (size_t i = 0; i < alen; i++) {
		int bits = prefix - (int)i * 8;
		if (bits <= 0)
			out[i] = 0;
		else if (bits < 8)
			out[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

/* builds and sends RTM_NEWROUTE / RTM_DELROUTE through the interface,
 * with a preferred source address when prefsrc is not NULL; 0 or an
 * errno value */
static int route_msg(uint16_t type, unsigned ifindex, int family, const uint8_t *dst, int prefix,
                     const uint8_t *prefsrc)
{
	char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint8_t net[16];
	size_t alen = alen_of(family);

	mask_prefix(family, dst, prefix, net);
	memset(buf, 0, sizeof(buf));
	struct nlreq r = { (struct nlmsghdr *)buf, sizeof(buf) };
	r.h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h->nlmsg_type = type;
	if (type == RTM_NEWROUTE)
		r.h->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	struct rtmsg *rtm = NLMSG_DATA(r.h);
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)prefix;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	uint32_t oif = ifindex;
	if (nl_attr(&r, RTA_DST, net, alen) != 0 || nl_attr(&r, RTA_OIF, &oif, sizeof(oif)) != 0 ||
	    (prefsrc && type == RTM_NEWROUTE && nl_attr(&r, RTA_PREFSRC, prefsrc, alen) != 0))
		return EMSGSIZE;
	return nl_talk(r.h);
}

int tun_route_add(const char *ifname, int family, const uint8_t *dst, int prefix,
                  char *err, size_t errlen)
{
	return tun_route_add_src(ifname, family, dst, prefix, NULL, err, errlen);
}

int tun_route_add_src(const char *ifname, int family, const uint8_t *dst, int prefix,
                      const uint8_t *prefsrc, char *err, size_t errlen)
{
	char txt[INET6_ADDRSTRLEN + 8], src[INET6_ADDRSTRLEN] = "";
	unsigned ifindex;

	if (prepare("add route", ifname, family, dst, prefix, &ifindex, err, errlen) != 0)
		return -1;
	int e = route_msg(RTM_NEWROUTE, ifindex, family, dst, prefix, prefsrc);
	if (e != 0 && e != EEXIST) {
		prefix_text(family, dst, prefix, txt, sizeof(txt));
		if (prefsrc) {
			strcpy(src, " src ");
			inet_ntop(family, prefsrc, src + 5, sizeof(src) - 5);
		}
		seterr(err, errlen, "add route %s via %s%s: %s%s", txt, ifname, src, strerror(e),
		       hint(e));
		return -1;
	}
	return 0;
}

int tun_route_del(const char *ifname, int family, const uint8_t *dst, int prefix)
{
	unsigned ifindex;

	if (prepare("delete route", ifname, family, dst, prefix, &ifindex, NULL, 0) != 0)
		return -1;
	return route_msg(RTM_DELROUTE, ifindex, family, dst, prefix, NULL) == 0 ? 0 : -1;
}

int tun_addr_del(const char *ifname, int family, const uint8_t *addr, int prefix,
                 char *err, size_t errlen)
{
	char txt[INET6_ADDRSTRLEN + 8];
	unsigned ifindex;

	if (prepare("delete address", ifname, family, addr, prefix, &ifindex, err, errlen) != 0)
		return -1;
	int e = addr_msg(RTM_DELADDR, ifindex, family, addr, prefix);
	if (e != 0 && e != EADDRNOTAVAIL && e != ENOENT && e != ESRCH) {
		prefix_text(family, addr, prefix, txt, sizeof(txt));
		seterr(err, errlen, "delete address %s from %s: %s%s", txt, ifname, strerror(e),
		       hint(e));
		return -1;
	}
	return 0;
}

/* ---- routes as the kernel has them (RTM_GETROUTE) ---- */

/* reads the attributes of an RTM_NEWROUTE answer into out; 0, or EPROTO
 * for a malformed one */
static int parse_route(const struct nlmsghdr *m, struct tun_route *out)
{
	if (m->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return EPROTO;
	const struct rtmsg *rtm = NLMSG_DATA(m);
	size_t alen = alen_of(rtm->rtm_family);
	if (alen == 0 || rtm->rtm_family != out->family)
		return EPROTO;
	out->type = rtm->rtm_type;
	out->table = rtm->rtm_table;
	int left = (int)(m->nlmsg_len - NLMSG_LENGTH(sizeof(struct rtmsg)));
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		size_t plen = RTA_PAYLOAD(a);
		const uint8_t *data = RTA_DATA(a);
		switch (a->rta_type) {
		case RTA_OIF:
			if (plen != 4)
				return EPROTO;
			memcpy(&out->oif, data, 4);
			break;
		case RTA_TABLE:
			if (plen != 4)
				return EPROTO;
			memcpy(&out->table, data, 4);
			break;
		case RTA_PRIORITY:
			if (plen != 4)
				return EPROTO;
			memcpy(&out->metric, data, 4);
			out->has_metric = true;
			break;
		case RTA_GATEWAY:
			if (plen != alen)
				return EPROTO;
			out->gw_family = out->family;
			memcpy(out->gw, data, alen);
			break;
		case RTA_VIA: {
			/* an IPv4 route through an IPv6 next hop (RFC 5549 style) */
			struct rtvia via;
			if (plen < sizeof(via))
				return EPROTO;
			memcpy(&via, data, sizeof(via));
			size_t vlen = alen_of(via.rtvia_family);
			if (vlen == 0 || plen != sizeof(via) + vlen)
				return EPROTO;
			out->gw_family = via.rtvia_family;
			memcpy(out->gw, data + sizeof(via), vlen);
			break;
		}
		case RTA_PREFSRC:
			if (plen != alen)
				return EPROTO;
			memcpy(out->prefsrc, data, alen);
			out->has_prefsrc = true;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* RTM_GETROUTE for dst with rtm_flags flags: the kernel's RTM_NEWROUTE
 * answer in reply; 0 or an errno value */
static int route_query(int family, const uint8_t *dst, unsigned flags, char *reply, size_t cap)
{
	char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t alen = alen_of(family);
	int got = 0;

	memset(buf, 0, sizeof(buf));
	struct nlreq r = { (struct nlmsghdr *)buf, sizeof(buf) };
	r.h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h->nlmsg_type = RTM_GETROUTE;
	struct rtmsg *rtm = NLMSG_DATA(r.h);
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	rtm->rtm_flags = flags;
	if (nl_attr(&r, RTA_DST, dst, alen) != 0)
		return EMSGSIZE;
	return nl_talk_reply(r.h, RTM_NEWROUTE, reply, cap, &got);
}

int tun_route_match_len(int family, const uint8_t *dst, int *prefix)
{
	char reply[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));

	/* the route entry (RTM_F_FIB_MATCH), not the result of the lookup */
	if (alen_of(family) == 0 || route_query(family, dst, RTM_F_FIB_MATCH, reply, sizeof(reply)) != 0)
		return -1;
	const struct nlmsghdr *h = (const struct nlmsghdr *)reply;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -1;
	*prefix = ((const struct rtmsg *)NLMSG_DATA(h))->rtm_dst_len;
	return 0;
}

int tun_route_get(int family, const uint8_t *dst, struct tun_route *out, char *err, size_t errlen)
{
	char reply[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	char txt[INET6_ADDRSTRLEN] = "?";
	size_t alen = alen_of(family);

	memset(out, 0, sizeof(*out));
	if (alen == 0) {
		seterr(err, errlen, "route lookup: address family %d is not IPv4 or IPv6", family);
		return -1;
	}
	inet_ntop(family, dst, txt, sizeof(txt));
	out->family = family;
	memcpy(out->dst, dst, alen);
	out->prefix = (int)alen * 8;
	/* the table the route is in, not "main" */
	int e = route_query(family, dst, RTM_F_LOOKUP_TABLE, reply, sizeof(reply));
	if (e == 0)
		e = parse_route((const struct nlmsghdr *)reply, out);
	if (e != 0) {
		seterr(err, errlen, "route lookup for %s: %s%s", txt, strerror(e), hint(e));
		return -1;
	}
	out->prefix = (int)alen * 8;    /* the answer's dst_len is the address's */
	return 0;
}

/* builds and sends RTM_NEWROUTE / RTM_DELROUTE for a tun_route; 0 or an
 * errno value */
static int rt_msg(uint16_t type, uint16_t flags, const struct tun_route *rt)
{
	char buf[512] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint8_t net[16];
	size_t alen = alen_of(rt->family);

	mask_prefix(rt->family, rt->dst, rt->prefix, net);
	memset(buf, 0, sizeof(buf));
	struct nlreq r = { (struct nlmsghdr *)buf, sizeof(buf) };
	r.h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h->nlmsg_type = type;
	r.h->nlmsg_flags = flags;
	struct rtmsg *rtm = NLMSG_DATA(r.h);
	rtm->rtm_family = (unsigned char)rt->family;
	rtm->rtm_dst_len = (unsigned char)rt->prefix;
	uint32_t table = rt->table ? rt->table : RT_TABLE_MAIN;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;      /* any scope */
	else
		rtm->rtm_scope = rt->gw_family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	int bad = nl_attr(&r, RTA_DST, net, alen) | nl_attr(&r, RTA_TABLE, &table, sizeof(table));
	if (rt->oif)
		bad |= nl_attr(&r, RTA_OIF, &rt->oif, sizeof(rt->oif));
	if (rt->gw_family == rt->family) {
		bad |= nl_attr(&r, RTA_GATEWAY, rt->gw, alen);
	} else if (rt->gw_family) {
		size_t vlen = alen_of(rt->gw_family);
		uint8_t via[sizeof(struct rtvia) + 16];
		struct rtvia v = { .rtvia_family = (__kernel_sa_family_t)rt->gw_family };
		memcpy(via, &v, sizeof(v));
		memcpy(via + sizeof(v), rt->gw, vlen);
		bad |= vlen ? nl_attr(&r, RTA_VIA, via, sizeof(v) + vlen) : -1;
	}
	if (rt->has_metric)
		bad |= nl_attr(&r, RTA_PRIORITY, &rt->metric, sizeof(rt->metric));
	if (bad)
		return EMSGSIZE;
	return nl_talk(r.h);
}

/* "198.18.9.9/32 via 198.18.0.1 dev 3 table 254" for messages */
static void rt_text(const struct tun_route *rt, char *buf, size_t len)
{
	char d[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN] = "";
	prefix_text(rt->family, rt->dst, rt->prefix, d, sizeof(d));
	if (rt->gw_family)
		inet_ntop(rt->gw_family, rt->gw, g, sizeof(g));
	snprintf(buf, len, "%s%s%s dev %u table %u", d, *g ? " via " : "", g, rt->oif,
	         rt->table ? rt->table : RT_TABLE_MAIN);
}

static int rt_check(const char *what, const struct tun_route *rt, char *err, size_t errlen)
{
	size_t alen = alen_of(rt->family);
	if (alen == 0 || rt->prefix < 0 || (size_t)rt->prefix > alen * 8 ||
	    (rt->gw_family && !alen_of(rt->gw_family))) {
		seterr(err, errlen, "%s: not an IPv4 or IPv6 route", what);
		return -1;
	}
	return 0;
}

int tun_route_add_rt(const struct tun_route *rt, char *err, size_t errlen)
{
	char txt[INET6_ADDRSTRLEN * 2 + 64];
	if (rt_check("add route", rt, err, errlen) != 0)
		return -1;
	int e = rt_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, rt);
	if (e == EEXIST)
		return 1;
	if (e != 0) {
		rt_text(rt, txt, sizeof(txt));
		seterr(err, errlen, "add route %s: %s%s", txt, strerror(e), hint(e));
		return -1;
	}
	return 0;
}

int tun_route_del_rt(const struct tun_route *rt, char *err, size_t errlen)
{
	char txt[INET6_ADDRSTRLEN * 2 + 64];
	if (rt_check("delete route", rt, err, errlen) != 0)
		return -1;
	int e = rt_msg(RTM_DELROUTE, 0, rt);
	if (e == ESRCH || e == ENOENT)
		return 0;
	if (e != 0) {
		rt_text(rt, txt, sizeof(txt));
		seterr(err, errlen, "delete route %s: %s%s", txt, strerror(e), hint(e));
		return -1;
	}
	return 0;
}

int tun_destroy(const char *name)
{
	char buf[128] __attribute__((aligned(NLMSG_ALIGNTO)));

	if (check_name(name, NULL, 0) != 0)
		return -1;
	unsigned ifindex = if_nametoindex(name);
	if (ifindex == 0)
		return -1;
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	h->nlmsg_type = RTM_DELLINK;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nl_talk(h) == 0 ? 0 : -1;
}

/* ---- link state (RTMGRP_LINK notifications) ---- */

int tun_link_watch_open(char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		seterr(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		seterr(err, errlen, "netlink bind (link notifications): %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

enum tun_link tun_link_watch_read(int fd, unsigned ifindex, int *went_down)
{
	char buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	enum tun_link state = TUN_LINK_NONE;
	/* bounded: a socket drained of what is queued now */
	for (int round = 0; round < 64; round++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				return TUN_LINK_LOST;   /* notifications were dropped */
			break;
		}
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue;
		size_t left = (size_t)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left);
		     m = NLMSG_NEXT(m, left)) {
			if ((m->nlmsg_type != RTM_NEWLINK && m->nlmsg_type != RTM_DELLINK) ||
			    m->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			const struct ifinfomsg *ifi = NLMSG_DATA(m);
			if ((unsigned)ifi->ifi_index != ifindex)
				continue;
			if (m->nlmsg_type == RTM_DELLINK)
				state = TUN_LINK_GONE;
			else
				state = (ifi->ifi_flags & IFF_UP) ? TUN_LINK_UP : TUN_LINK_DOWN;
			if (state == TUN_LINK_DOWN)
				*went_down = 1;
		}
	}
	return state;
}

int tun_addr_watch_open(char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		seterr(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	                          .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	                                       RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		seterr(err, errlen, "netlink bind (address notifications): %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int tun_addr_watch_read(int fd)
{
	char buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	int changed = 0;
	for (int round = 0; round < 64; round++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				changed = 1;    /* notifications were dropped: look again */
			break;
		}
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue;
		size_t left = (size_t)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left);
		     m = NLMSG_NEXT(m, left))
			if (m->nlmsg_type == RTM_NEWADDR || m->nlmsg_type == RTM_DELADDR ||
			    m->nlmsg_type == RTM_NEWROUTE || m->nlmsg_type == RTM_DELROUTE)
				changed = 1;
	}
	return changed;
}

int tun_link_is_up(const char *name)
{
	struct ifreq ifr;
	if (check_name(name, NULL, 0) != 0)
		return -1;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
	close(sock);
	if (rc < 0)
		return -1;
	return (ifr.ifr_flags & IFF_UP) ? 1 : 0;
}
