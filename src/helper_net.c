/* The privileged helper's share of the client side: the virtual IPs,
 * routes and DNS servers a client conn asks for (helper_client_net in
 * src/helper.h says what may be asked and what is done), checked against
 * the conns of the loaded configurations, recorded per conn, undone on
 * down and when the helper exits. Runs in the helper process only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/rtnetlink.h>
#include "conf/conf_util.h"
#include "src/clock.h"
#include "src/config.h"
#include "src/helper.h"
#include "src/helper_int.h"
#include "src/natd.h"
#include "src/log.h"
#include "tun/tun.h"

/* a conn of a configuration the helper loaded (every version: a reload
 * keeps the old one's, whose IKE_SAs may still be up) */
struct net_conn {
	char name[64];
	bool client;                /* right= a specific host */
	char *host;                 /* right= as written (client conns) */
	struct conf_net subnet[CONF_MAX_NETS];
	int n_subnet;
	bool redirects;             /* config setup follow_redirects: any server */
};

enum net_kind {         /* in the order they are installed */
	NK_HOST_ROUTE,      /* the route to the server beside the tunnel */
	NK_ADDR,            /* a virtual IP on the TUN device */
	NK_ROUTE,           /* a net through the TUN device */
};

struct net_item {
	enum net_kind kind;
	int family;
	uint8_t addr[16];           /* host bits cleared */
	int prefix;
	bool has_src;               /* NK_ROUTE: prefsrc */
	uint8_t src[16];
	struct tun_route rt;        /* NK_HOST_ROUTE: as added */
};

#define NET_ITEMS_MAX (1 + 2 + 2 * CONF_MAX_NETS)

/* one conn that is up */
struct net_state {
	char conn[64];
	struct net_item items[NET_ITEMS_MAX];
	int n_items;
	struct conf_addr dns[CLIENT_NET_MAX_DNS];
	int n_dns;
};

static struct {
	const char *tun;            /* the TUN device's name (helper_net_setup) */
	unsigned ifindex;
	struct net_conn *conns;
	int n_conns;
	struct net_state *up;
	int n_up;
	const char *resolvconf;     /* helper_set_resolvconf; NULL: the system's */
	struct conf_addr dns[CONF_MAX_NETS * CLIENT_NET_MAX_DNS]; /* last written */
	int n_dns;
	bool dns_written;
	bool no_resolvconf_said;
} N;

void helper_set_resolvconf(const char *path)
{
	N.resolvconf = path;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* a and b agree in their first prefix bits */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;
	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & m) == (b[bytes] & m);
}

static void mask_addr(int family, const uint8_t *in, int prefix, uint8_t *out)
{
	memset(out, 0, 16);
	for (int i = 0; i < (int)addr_len(family); i++) {
		int bits = prefix - i * 8;
		out[i] = bits >= 8 ? in[i] : bits > 0 ? (uint8_t)(in[i] & (0xff << (8 - bits))) : 0;
	}
}

static bool net_inside(const struct conf_net *in, int family, const uint8_t *addr, int prefix)
{
	return in->family == family && prefix >= in->prefix && prefix_eq(in->addr, addr, in->prefix);
}

static bool same_subnets(const struct net_conn *a, const struct conf_conn *c)
{
	if (a->n_subnet != c->right.n_subnet)
		return false;
	for (int i = 0; i < a->n_subnet; i++)
		if (a->subnet[i].family != c->right.subnet[i].family ||
		    a->subnet[i].prefix != c->right.subnet[i].prefix ||
		    memcmp(a->subnet[i].addr, c->right.subnet[i].addr, 16) != 0)
			return false;
	return true;
}

void helper_net_setup(const char *tun, unsigned ifindex)
{
	N.tun = tun;
	N.ifindex = ifindex;
}

void helper_net_allow(const struct config *cfg)
{
	for (int i = 0; i < cfg->conf->n_conns; i++) {
		const struct conf_conn *c = &cfg->conf->conns[i];
		const char *host = c->right.host;
		bool client = host && host[0] && host[0] != '%';
		bool known = strlen(c->name) >= sizeof(N.conns[0].name);  /* cannot be asked */
		for (int j = 0; j < N.n_conns && !known; j++) {
			const struct net_conn *k = &N.conns[j];
			known = strcmp(k->name, c->name) == 0 && k->client == client &&
			        k->redirects == cfg->conf->follow_redirects &&
			        (!client || (strcmp(k->host, host) == 0 && same_subnets(k, c)));
		}
		if (known)
			continue;
		struct net_conn *nc = realloc(N.conns, (size_t)(N.n_conns + 1) * sizeof(*nc));
		if (!nc)
			return;
		N.conns = nc;
		nc = &N.conns[N.n_conns];
		memset(nc, 0, sizeof(*nc));
		snprintf(nc->name, sizeof(nc->name), "%s", c->name);
		nc->client = client;
		nc->redirects = cfg->conf->follow_redirects;
		if (client) {
			if (!(nc->host = strdup(host)))
				return;
			nc->n_subnet = c->right.n_subnet;
			memcpy(nc->subnet, c->right.subnet, sizeof(nc->subnet));
		}
		N.n_conns++;
	}
}

/* the server's address is conn's right= host: the address itself, or one
 * the name resolves to */
static bool server_is_host(const struct net_conn *nc, int family, const uint8_t *addr)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, nc->host, a) == 1)
		return family == AF_INET && memcmp(a, addr, 4) == 0;
	if (inet_pton(AF_INET6, nc->host, a) == 1)
		return family == AF_INET6 && memcmp(a, addr, 16) == 0;
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM }, *res, *r;
	if (getaddrinfo(nc->host, NULL, &hints, &res) != 0)
		return false;
	bool match = false;
	for (r = res; r && !match; r = r->ai_next) {
		if (r->ai_family == AF_INET && family == AF_INET)
			match = memcmp(&((struct sockaddr_in *)r->ai_addr)->sin_addr, addr, 4) == 0;
		else if (r->ai_family == AF_INET6 && family == AF_INET6)
			match = memcmp(&((struct sockaddr_in6 *)r->ai_addr)->sin6_addr, addr, 16) == 0;
	}
	freeaddrinfo(res);
	return match;
}

static void net_text(int family, const uint8_t *addr, int prefix, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, addr, a, sizeof(a));
	if (prefix >= 0)
		snprintf(out, len, "%s/%d", a, prefix);
	else
		snprintf(out, len, "%s", a);
}

/* the request's shape (the daemon's process may be compromised: nothing
 * is trusted); the server's address into *family/addr */
static int check_shape(const struct client_net *n, int *family, uint8_t *addr, char *why,
                       size_t len)
{
	if (n->n_nets < 0 || n->n_nets > CONF_MAX_NETS || n->n_dns < 0 ||
	    n->n_dns > CLIENT_NET_MAX_DNS) {
		snprintf(why, len, "malformed request");
		return -1;
	}
	for (int i = 0; i < n->n_nets; i++)
		if (!addr_len(n->nets[i].family) ||
		    n->nets[i].prefix > addr_len(n->nets[i].family) * 8) {
			snprintf(why, len, "malformed request (net %d)", i);
			return -1;
		}
	for (int i = 0; i < n->n_dns; i++)
		if (!addr_len(n->dns[i].family)) {
			snprintf(why, len, "malformed request (DNS server %d)", i);
			return -1;
		}
	const struct sockaddr_storage *ss = &n->server;
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET && n->server_len >= sizeof(struct sockaddr_in) &&
	    n->server_len <= sizeof(*ss)) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6 && n->server_len >= sizeof(struct sockaddr_in6) &&
	           n->server_len <= sizeof(*ss)) {
		const uint8_t *a6 = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (memcmp(a6, mapped, 12) == 0) {
			*family = AF_INET;
			memcpy(addr, a6 + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, a6, 16);
		}
	} else {
		snprintf(why, len, "malformed request (server address)");
		return -1;
	}
	if ((n->has_vip4 && !addr_unicast(AF_INET, n->vip4)) ||
	    (n->has_vip6 && !addr_unicast(AF_INET6, n->vip6))) {
		snprintf(why, len, "a virtual IP is not a unicast address");
		return -1;
	}
	/* the server's own address as a virtual IP would make it local and
	 * cut IKE and ESP off */
	if ((*family == AF_INET && n->has_vip4 && memcmp(n->vip4, addr, 4) == 0) ||
	    (*family == AF_INET6 && n->has_vip6 && memcmp(n->vip6, addr, 16) == 0)) {
		snprintf(why, len, "the virtual IP is the server's own address");
		return -1;
	}
	return 0;
}

/* conn and the nets against every loaded version of conn: 0 when one
 * allows them all */
static int check_policy(const struct client_net *n, int sfam, const uint8_t *saddr, char *why,
                        size_t len)
{
	char t[INET6_ADDRSTRLEN + 8];
	bool any = false;
	snprintf(why, len, "conn '%s' is not in a loaded configuration", n->conn);
	for (int i = 0; i < N.n_conns; i++) {
		const struct net_conn *nc = &N.conns[i];
		if (strcmp(nc->name, n->conn) != 0)
			continue;
		if (!nc->client) {
			if (!any)
				snprintf(why, len, "conn '%s' is not a client conn (right= is not a "
				         "specific host)", n->conn);
			continue;
		}
		any = true;
		/* a server that redirected the client (RFC 5685) may send it
		 * anywhere: with follow_redirects the server is any address
		 * (its host route copies the kernel's route, never one named
		 * here, and the nets stay within rightsubnet) */
		if (!nc->redirects && !server_is_host(nc, sfam, saddr)) {
			net_text(sfam, saddr, -1, t, sizeof(t));
			snprintf(why, len, "the server %s is not conn '%s''s right=%s", t, n->conn,
			         nc->host);
			continue;
		}
		int bad = -1;
		for (int j = 0; j < n->n_nets && bad < 0; j++) {
			const struct conf_net *net = &n->nets[j];
			bool ok = false;
			if (nc->n_subnet == 0)
				ok = net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
				     memcmp(net->addr, saddr, addr_len(sfam)) == 0;
			for (int k = 0; k < nc->n_subnet && !ok; k++)
				ok = net_inside(&nc->subnet[k], net->family, net->addr, net->prefix);
			if (!ok)
				bad = j;
		}
		if (bad < 0)
			return 0;
		net_text(n->nets[bad].family, n->nets[bad].addr, n->nets[bad].prefix, t, sizeof(t));
		snprintf(why, len, "%s is not inside conn '%s''s %s", t, n->conn,
		         nc->n_subnet ? "rightsubnet" : "server address (no rightsubnet)");
	}
	return -1;
}

static bool item_key_eq(const struct net_item *a, const struct net_item *b)
{
	return a->kind == b->kind && a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static const struct net_item *find_item(const struct net_state *st, const struct net_item *it)
{
	for (int i = 0; st && i < st->n_items; i++)
		if (item_key_eq(&st->items[i], it))
			return &st->items[i];
	return NULL;
}

/* another up conn than skip holds it (or it is a pool route) */
static const struct net_item *held_elsewhere(const struct net_state *skip,
                                             const struct net_item *it)
{
	for (int i = 0; i < N.n_up; i++) {
		const struct net_item *o = &N.up[i] == skip ? NULL : find_item(&N.up[i], it);
		if (o)
			return o;
	}
	return NULL;
}

static bool pool_route(const struct net_item *it)
{
	return it->kind == NK_ROUTE && helper_is_pool_route(it->family, it->addr, it->prefix);
}

static struct net_state *find_state(const char *conn)
{
	for (int i = 0; i < N.n_up; i++)
		if (strcmp(N.up[i].conn, conn) == 0)
			return &N.up[i];
	return NULL;
}

static void item_text(const struct net_item *it, char *out, size_t len)
{
	char t[INET6_ADDRSTRLEN + 8];
	net_text(it->family, it->addr, it->prefix, t, sizeof(t));
	snprintf(out, len, "%s %s", it->kind == NK_HOST_ROUTE ? "host route" :
	         it->kind == NK_ADDR ? "address" : "route", t);
}

/* what an up asks for, in install order; the host route's rt is filled
 * in when it is installed */
static int plan_items(const struct client_net *n, int sfam, const uint8_t *saddr,
                      struct net_item *items)
{
	int k = 0;
	bool server_inside = false;
	for (int i = 0; i < n->n_nets; i++) {
		const struct conf_net *net = &n->nets[i];
		if (net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
		    memcmp(net->addr, saddr, addr_len(sfam)) == 0)
			continue;   /* the server itself: not through the tunnel */
		server_inside |= net_inside(net, sfam, saddr, (int)addr_len(sfam) * 8);
	}
	if (server_inside) {
		items[k] = (struct net_item){ .kind = NK_HOST_ROUTE, .family = sfam,
		                              .prefix = (int)addr_len(sfam) * 8 };
		memcpy(items[k++].addr, saddr, 16);
	}
	if (n->has_vip4) {
		items[k] = (struct net_item){ .kind = NK_ADDR, .family = AF_INET, .prefix = 32 };
		memcpy(items[k++].addr, n->vip4, 4);
	}
	if (n->has_vip6) {
		items[k] = (struct net_item){ .kind = NK_ADDR, .family = AF_INET6, .prefix = 128 };
		memcpy(items[k++].addr, n->vip6, 16);
	}
	for (int i = 0; i < n->n_nets; i++) {
		const struct conf_net *net = &n->nets[i];
		if (net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
		    memcmp(net->addr, saddr, addr_len(sfam)) == 0) {
			char t[INET6_ADDRSTRLEN];
			net_text(sfam, saddr, -1, t, sizeof(t));
			log_info(LOG_TUN, "helper: conn '%s': %s is the server's own address: not "
			         "routed through %s (it would carry IKE and ESP)", n->conn, t, N.tun);
			continue;
		}
		/* a default route as two halves, so the existing one stays */
		int halves = net->prefix == 0 ? 2 : 1;
		for (int h = 0; h < halves; h++) {
			struct net_item it = { .kind = NK_ROUTE, .family = net->family,
			                       .prefix = halves == 2 ? 1 : net->prefix };
			mask_addr(net->family, net->addr, it.prefix, it.addr);
			if (h == 1)
				it.addr[0] = 0x80;
			const uint8_t *vip = net->family == AF_INET ? (n->has_vip4 ? n->vip4 : NULL)
			                                            : (n->has_vip6 ? n->vip6 : NULL);
			if (vip) {
				it.has_src = true;
				memcpy(it.src, vip, addr_len(net->family));
			}
			bool dup = false;
			for (int j = 0; j < k && !dup; j++)
				dup = item_key_eq(&items[j], &it);
			if (!dup)
				items[k++] = it;
		}
	}
	return k;
}

/* installs one item; 0 added, 1 nothing to record (a host route the
 * helper did not add), -1 with a reason */
static int item_add(struct net_item *it, const struct net_state *old, char *why, size_t len)
{
	if (it->kind == NK_ADDR)
		return tun_addr_add(N.tun, it->family, it->addr, it->prefix, why, len);
	if (it->kind == NK_ROUTE)
		return tun_route_add_src(N.tun, it->family, it->addr, it->prefix,
		                         it->has_src ? it->src : NULL, why, len);
	/* the host route: one that an up conn holds is there already (the
	 * kernel's route to the server may go through the TUN device now) */
	const struct net_item *had = find_item(old, it);
	if (!had)
		had = held_elsewhere(NULL, it);
	if (had) {
		it->rt = had->rt;
		return 0;
	}
	char t[INET6_ADDRSTRLEN];
	net_text(it->family, it->addr, -1, t, sizeof(t));
	if (tun_route_get(it->family, it->addr, &it->rt, why, len) != 0)
		return -1;
	if (it->rt.type == RTN_LOCAL)
		return 1;       /* the server is this host */
	if (it->rt.type != RTN_UNICAST) {
		snprintf(why, len, "the route to the server %s is of type %d, not unicast", t,
		         it->rt.type);
		return -1;
	}
	if (it->rt.oif == 0 || it->rt.oif == N.ifindex || it->rt.oif == if_nametoindex(N.tun)) {
		snprintf(why, len, "the kernel's route to the server %s goes through %s", t, N.tun);
		return -1;
	}
	it->rt.prefix = it->prefix;
	return tun_route_add_rt(&it->rt, why, len);
}

/* removes one item unless another up conn (or the pool routes) holds
 * it; 0 or -1 with a reason */
static int item_del(const struct net_item *it, const struct net_state *self, char *why,
                    size_t len)
{
	if (held_elsewhere(self, it) || pool_route(it))
		return 0;
	if (it->kind == NK_HOST_ROUTE)
		return tun_route_del_rt(&it->rt, why, len);
	if (if_nametoindex(N.tun) == 0)
		return 0;       /* the device is gone, and all it had with it */
	if (it->kind == NK_ADDR)
		return tun_addr_del(N.tun, it->family, it->addr, it->prefix, why, len);
	if (tun_route_del(N.tun, it->family, it->addr, it->prefix) != 0) {
		char t[80];
		item_text(it, t, sizeof(t));
		snprintf(why, len, "delete %s via %s failed", t, N.tun);
		return -1;
	}
	return 0;
}

/* ---- DNS through resolvconf ---- */

static const char *resolvconf_path(void)
{
	if (N.resolvconf)
		return N.resolvconf[0] ? N.resolvconf : NULL;
	if (access("/sbin/resolvconf", X_OK) == 0)
		return "/sbin/resolvconf";
	if (access("/usr/sbin/resolvconf", X_OK) == 0)
		return "/usr/sbin/resolvconf";
	return NULL;
}

/* runs "resolvconf -a|-d TUN.cygnet" with input on stdin for at most
 * HELPER_RESOLVCONF_SECONDS; 0, or -1 with a reason (and its output) */
static int run_resolvconf(const char *path, const char *op, const char *input, char *why,
                          size_t len)
{
	char name[IFNAMSIZ + 8], out[256];
	size_t out_len = 0;
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, st = 0;
	snprintf(name, sizeof(name), "%s.cygnet", N.tun);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(res, O_CLOEXEC) != 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0 || dup2(res[1], 2) < 0)
			_exit(127);
		helper_close_from(3);
		char *argv[] = { (char *)"resolvconf", (char *)op, name, NULL };
		char *envp[] = { (char *)HELPER_SCRIPT_PATH, NULL };
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (helper_write_all(in[1], input, strlen(input)) != 0)
		log_dbg(LOG_TUN, "helper: writing to %s: %s", path, strerror(errno));
	close(in[1]);
	in[1] = -1;
	uint64_t deadline = now_sec() + HELPER_RESOLVCONF_SECONDS;
	bool exited = false, eof = false;
	while (!exited) {
		if (!eof) {
			struct pollfd pfd = { .fd = res[0], .events = POLLIN };
			if (poll(&pfd, 1, 100) > 0) {
				char buf[256];
				ssize_t r = read(res[0], buf, sizeof(buf));
				if (r <= 0 && !(r < 0 && errno == EINTR)) {
					eof = true;
				} else if (r > 0) {
					size_t take = (size_t)r < sizeof(out) - 1 - out_len
					              ? (size_t)r : sizeof(out) - 1 - out_len;
					memcpy(out + out_len, buf, take);
					out_len += take;
				}
			}
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		exited = waitpid(pid, &st, WNOHANG) == pid;
		if (!exited && now_sec() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, len, "%s %s %s: still running after %d s: killed", path, op, name,
			         HELPER_RESOLVCONF_SECONDS);
			goto fail;
		}
	}
	close(res[0]);
	res[0] = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	out[out_len] = 0;
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	snprintf(why, len, "%s %s %s: %s %d%s%s", path, op, name,
	         WIFEXITED(st) ? "exit status" : "signal",
	         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), out_len ? ": " : "", out);
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	return -1;
}

/* writes the DNS servers of every up conn through resolvconf (or takes
 * them away when none are left); nothing when they did not change */
static void dns_sync(void)
{
	struct conf_addr all[CONF_MAX_NETS * CLIENT_NET_MAX_DNS];
	int n = 0;
	for (int i = 0; i < N.n_up; i++)
		for (int j = 0; j < N.up[i].n_dns && n < (int)(sizeof(all) / sizeof(all[0])); j++) {
			const struct conf_addr *a = &N.up[i].dns[j];
			bool dup = false;
			for (int k = 0; k < n && !dup; k++)
				dup = all[k].family == a->family && memcmp(all[k].addr, a->addr, 16) == 0;
			if (!dup)
				all[n++] = *a;
		}
	if (n == N.n_dns && (n == 0 || N.dns_written) &&
	    memcmp(all, N.dns, (size_t)n * sizeof(all[0])) == 0)
		return;
	if (n == 0 && !N.dns_written) {
		N.n_dns = 0;
		return;
	}
	const char *path = resolvconf_path();
	if (!path) {
		if (n > 0 && !N.no_resolvconf_said)
			log_info(LOG_TUN, "helper: no resolvconf (/sbin/resolvconf, "
			         "/usr/sbin/resolvconf): the DNS servers received are not installed "
			         "(leftupdown gets them)");
		N.no_resolvconf_said = true;
		memcpy(N.dns, all, (size_t)n * sizeof(all[0]));
		N.n_dns = n;
		N.dns_written = false;
		return;
	}
	char input[CONF_MAX_NETS * CLIENT_NET_MAX_DNS * (INET6_ADDRSTRLEN + 12)] = "", why[512];
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(all[i].family, all[i].addr, a, sizeof(a));
		off += (size_t)snprintf(input + off, sizeof(input) - off, "nameserver %s\n", a);
	}
	if (run_resolvconf(path, n ? "-a" : "-d", input, why, sizeof(why)) != 0)
		log_err(LOG_TUN, "helper: DNS servers not %s: %s", n ? "installed" : "removed", why);
	else if (n)
		log_info(LOG_TUN, "helper: %d DNS server%s installed through %s", n,
		         n == 1 ? "" : "s", path);
	else
		log_info(LOG_TUN, "helper: DNS servers removed through %s", path);
	memcpy(N.dns, all, (size_t)n * sizeof(all[0]));
	N.n_dns = n;
	N.dns_written = n > 0;
}

/* ---- up and down ---- */

static int net_down(const char *conn, char *why, size_t len)
{
	struct net_state *st = find_state(conn);
	int ret = 0;
	if (!st)
		return 0;
	for (int i = st->n_items - 1; i >= 0; i--) {
		char e[256];
		if (item_del(&st->items[i], st, e, sizeof(e)) != 0) {
			log_err(LOG_TUN, "helper: conn '%s': %s", conn, e);
			if (ret == 0)
				snprintf(why, len, "%s", e);
			ret = -1;
		}
	}
	*st = N.up[--N.n_up];
	log_info(LOG_TUN, "helper: conn '%s': client addresses and routes removed", conn);
	dns_sync();
	return ret;
}

static int net_up(const struct client_net *n, char *why, size_t len)
{
	int sfam;
	uint8_t saddr[16];
	struct net_item items[NET_ITEMS_MAX];
	bool added[NET_ITEMS_MAX] = { false }, keep[NET_ITEMS_MAX] = { false };

	if (check_shape(n, &sfam, saddr, why, len) != 0 ||
	    check_policy(n, sfam, saddr, why, len) != 0)
		return -1;
	struct net_state *old = find_state(n->conn);
	int k = plan_items(n, sfam, saddr, items);
	for (int i = 0; i < k; i++) {
		const struct net_item *o = find_item(old, &items[i]);
		if (o && (items[i].kind != NK_ROUTE || (o->has_src == items[i].has_src &&
		                                        memcmp(o->src, items[i].src, 16) == 0))) {
			if (items[i].kind == NK_HOST_ROUTE)
				items[i].rt = o->rt;
			keep[i] = true;
			continue;
		}
		int r = item_add(&items[i], old, why, len);
		if (r < 0)
			goto undo;
		added[i] = true;
		keep[i] = r == 0;
	}
	/* what the conn had and has no more */
	for (int i = 0; old && i < old->n_items; i++) {
		bool still = false;
		for (int j = 0; j < k && !still; j++)
			still = keep[j] && item_key_eq(&old->items[i], &items[j]);
		char e[256];
		if (!still && item_del(&old->items[i], old, e, sizeof(e)) != 0)
			log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
	}
	if (!old) {
		struct net_state *nu = realloc(N.up, (size_t)(N.n_up + 1) * sizeof(*nu));
		if (!nu) {
			snprintf(why, len, "out of memory");
			goto undo;
		}
		N.up = nu;
		old = &N.up[N.n_up++];
		memset(old, 0, sizeof(*old));
		snprintf(old->conn, sizeof(old->conn), "%s", n->conn);
	}
	old->n_items = 0;
	char list[512] = "";
	size_t off = 0;
	for (int i = 0; i < k; i++) {
		if (!keep[i])
			continue;
		old->items[old->n_items++] = items[i];
		char t[80];
		item_text(&items[i], t, sizeof(t));
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", t);
	}
	memcpy(old->dns, n->dns, sizeof(old->dns));
	old->n_dns = n->n_dns;
	log_info(LOG_TUN, "helper: conn '%s': client network up on %s: %s", n->conn, N.tun,
	         off ? list : "nothing to install");
	dns_sync();
	return 0;
undo:
	for (int i = k - 1; i >= 0; i--) {
		if (!added[i] || !keep[i])
			continue;
		char e[256];
		const struct net_item *o = find_item(old, &items[i]);
		if (o) {    /* a route of the conn's that this request replaced */
			struct net_item back = *o;
			if (item_add(&back, old, e, sizeof(e)) < 0)
				log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
		} else if (item_del(&items[i], old, e, sizeof(e)) != 0) {
			log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
		}
	}
	return -1;
}

int helper_net_request(const uint8_t *p, uint32_t len, char *why, size_t whylen)
{
	struct client_net n;
	int r = -1;
	if (len != sizeof(n)) {
		snprintf(why, whylen, "malformed request");
	} else {
		memcpy(&n, p, sizeof(n));
		if (!memchr(n.conn, 0, sizeof(n.conn)) || !n.conn[0])
			snprintf(why, whylen, "malformed request (conn name)");
		else
			r = n.up ? net_up(&n, why, whylen) : net_down(n.conn, why, whylen);
	}
	if (r != 0)
		log_err(LOG_TUN, "helper: refusing or failing a client network request: %s", why);
	return r;
}

int helper_net_restore(int *total)
{
	char err[256];
	int n = 0;
	for (int i = 0; i < N.n_up; i++)
		for (int j = 0; j < N.up[i].n_items; j++) {
			struct net_item *it = &N.up[i].items[j];
			if (it->kind == NK_HOST_ROUTE)
				continue;
			(*total)++;
			if (item_add(it, &N.up[i], err, sizeof(err)) == 0)
				n++;
			else
				log_err(LOG_TUN, "helper: %s", err);
		}
	return n;
}

void helper_net_cleanup(void)
{
	char why[256];
	while (N.n_up > 0)
		net_down(N.up[N.n_up - 1].conn, why, sizeof(why));
	dns_sync();
}
