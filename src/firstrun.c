/* First-run bootstrap: see src/firstrun.h for what is created and why. */
#include "src/firstrun.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/pki.h"
#include "src/firstrun_int.h"

#define KEY_TYPE  PKI_KEY_RSA
#define KEY_BITS  3072

/* Public resolvers pushed to clients (rightdns=): cygnet runs no DNS
 * server, and most native clients misbehave without a pushed resolver
 * when all traffic goes through the tunnel. Cloudflare's, as the guides
 * users follow push a public resolver too; the comment in ipsec.conf
 * tells the operator to replace them. */
#define DNS_V4 "1.1.1.1"
#define DNS_V6 "2606:4700:4700::1111"

static const char password_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* What firstrun creates, parents before children; undone in reverse. */
enum item {
	IT_IPSECD, IT_CERTS, IT_CACERTS, IT_PRIVATE, IT_CADIR,
	IT_CAKEY, IT_CACERT, IT_SRVKEY, IT_SRVCERT, IT_SECRETS, IT_CONF_TMP,
	IT_COUNT
};

static const struct {
	const char *rel;
	mode_t dir_mode;    /* 0: a file */
} items[IT_COUNT] = {
	[IT_IPSECD]   = { "ipsec.d", 0755 },
	[IT_CERTS]    = { "ipsec.d/certs", 0755 },
	[IT_CACERTS]  = { "ipsec.d/cacerts", 0755 },
	[IT_PRIVATE]  = { "ipsec.d/private", 0700 },
	[IT_CADIR]    = { "ca", 0700 },
	[IT_CAKEY]    = { "ca/ca.key", 0 },
	[IT_CACERT]   = { "ipsec.d/cacerts/ca.pem", 0 },
	[IT_SRVKEY]   = { "ipsec.d/private/server.key", 0 },
	[IT_SRVCERT]  = { "ipsec.d/certs/server.pem", 0 },
	[IT_SECRETS]  = { "ipsec.secrets", 0 },
	[IT_CONF_TMP] = { "ipsec.conf.tmp", 0 },
};

/* A bounded text buffer; overflow is remembered and reported once. */
struct text {
	char buf[8192];
	size_t len;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3)))
tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof t->buf - t->len)
		t->overflow = true;
	else
		t->len += (size_t)n;
}

static int join(char *out, size_t outlen, const char *dir, const char *rel)
{
	int n = snprintf(out, outlen, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

bool firstrun_needed(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (!dir || join(path, sizeof path, dir, "ipsec.conf") < 0)
		return false;
	if (!(stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)))
		return false;
	/* a swanctl.conf instead (src/config.c loads it) is a configuration */
	if (join(path, sizeof path, dir, "swanctl.conf") < 0)
		return false;
	return stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* ---- validation ---------------------------------------------------- */

bool firstrun_check_user(const char *u)
{
	size_t len = u ? strlen(u) : 0;

	if (len == 0 || len > 63 || u[0] == '-' || u[0] == '@')
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = u[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-' || ch == '@'))
			return false;
	}
	return true;
}

bool firstrun_check_password(const char *pw)
{
	size_t len = pw ? strlen(pw) : 0;

	if (len < 8 || len > FIRSTRUN_MAX_PASSWORD)
		return false;
	for (size_t i = 0; i < len; i++)
		if (pw[i] <= ' ' || pw[i] > '~' || pw[i] == '"' || pw[i] == '\\')
			return false;
	return true;
}

int firstrun_check_pool(const char *cidr, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *slash, *p;
	unsigned prefix = 0, max, bits;
	int family;

	if (!cidr || !(slash = strchr(cidr, '/'))) {
		seterr(err, errlen, "pool '%s': expected a CIDR like 10.8.0.0/24 or fd00:1::/112",
		       cidr ? cidr : "");
		return -1;
	}
	if ((size_t)(slash - cidr) >= sizeof addr || slash == cidr) {
		seterr(err, errlen, "pool '%s': bad address", cidr);
		return -1;
	}
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1) {
		family = AF_INET;
		bits = 32;
		max = 30;
	} else if (inet_pton(AF_INET6, addr, bin) == 1) {
		family = AF_INET6;
		bits = 128;
		max = 126;
	} else {
		seterr(err, errlen, "pool '%s': '%s' is not an IPv4 or IPv6 address", cidr, addr);
		return -1;
	}
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 3) {
		seterr(err, errlen, "pool '%s': bad prefix length", cidr);
		return -1;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			seterr(err, errlen, "pool '%s': bad prefix length", cidr);
			return -1;
		}
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (prefix > bits) {
		seterr(err, errlen, "pool '%s': prefix longer than /%u", cidr, bits);
		return -1;
	}
	if (prefix > max) {
		seterr(err, errlen, "pool '%s': /%u leaves fewer than 2 client addresses (use /%u or shorter)",
		       cidr, prefix, max);
		return -1;
	}
	for (unsigned i = prefix; i < bits; i++) {
		if (bin[i / 8] & (0x80u >> (i % 8))) {
			seterr(err, errlen, "pool '%s': host bits set after /%u", cidr, prefix);
			return -1;
		}
	}
	if (family == AF_INET) {
		if (bin[0] == 0 || bin[0] == 127 || bin[0] >= 224 ||
		    (bin[0] == 169 && bin[1] == 254)) {
			seterr(err, errlen, "pool '%s': not a unicast range clients can use", cidr);
			return -1;
		}
	} else if (bin[0] == 0xff || bin[0] == 0 ||
	           (bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80)) {
		seterr(err, errlen, "pool '%s': not a unicast range clients can use", cidr);
		return -1;
	}
	return family;
}

/* ---- server id detection -------------------------------------------- */

bool firstrun_addr_public(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;

		/* RFC 6890 special-purpose blocks that are not globally reachable */
		return !(a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
		         (a[0] == 100 && (a[1] & 0xc0) == 64) ||          /* CGNAT */
		         (a[0] == 169 && a[1] == 254) ||
		         (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		         (a[0] == 192 && a[1] == 0 && (a[2] == 0 || a[2] == 2)) ||
		         (a[0] == 192 && a[1] == 168) ||
		         (a[0] == 198 && (a[1] & 0xfe) == 18) ||         /* benchmarking */
		         (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
		         (a[0] == 203 && a[1] == 0 && a[2] == 113));
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		return (a[0] & 0xe0) == 0x20 &&
		       !(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8);
	}
	return false;
}

/* lower is better; -1 = unusable */
static int rank_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;

		if (a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254))
			return -1;
		return firstrun_addr_public(sa) ? 0 : 2;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(in6) || IN6_IS_ADDR_LINKLOCAL(in6) ||
		    IN6_IS_ADDR_MULTICAST(in6) || IN6_IS_ADDR_UNSPECIFIED(in6) ||
		    IN6_IS_ADDR_V4MAPPED(in6) || IN6_IS_ADDR_SITELOCAL(in6))
			return -1;
		return firstrun_addr_public(sa) ? 1 : 3;
	}
	return -1;
}

int firstrun_pick_server_id(const struct ifaddrs *ifs, char *out, size_t outlen,
                            bool *is_public, char *err, size_t errlen)
{
	const struct sockaddr *best = NULL;
	int best_rank = 99;
	const void *a;

	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		int r;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		r = rank_addr(i->ifa_addr);
		if (r >= 0 && r < best_rank) {
			best_rank = r;
			best = i->ifa_addr;
		}
	}
	if (!best) {
		seterr(err, errlen, "no usable address on any interface");
		return -1;
	}
	a = best->sa_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)(const void *)best)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)(const void *)best)->sin6_addr;
	if (!inet_ntop(best->sa_family, a, out, (socklen_t)outlen)) {
		seterr(err, errlen, "cannot format the detected address: %s", strerror(errno));
		return -1;
	}
	*is_public = best_rank <= 1;
	return 0;
}

int firstrun_detect_server_id(char *out, size_t outlen, bool *is_public, char *err, size_t errlen)
{
	struct ifaddrs *ifs = NULL;
	char host[256];
	int ret;

	if (getifaddrs(&ifs) < 0)
		ifs = NULL;
	ret = firstrun_pick_server_id(ifs, out, outlen, is_public, err, errlen);
	if (ifs)
		freeifaddrs(ifs);
	if (ret == 0)
		return 0;
	*is_public = false;
	if (gethostname(host, sizeof host) < 0) {
		seterr(err, errlen, "no global address and no host name: %s", strerror(errno));
		return -1;
	}
	host[sizeof host - 1] = '\0';
	if (!pki_valid_dns_name(host) || strlen(host) >= outlen) {
		seterr(err, errlen, "no global address, and the host name '%s' is no DNS name: "
		       "give the server's name or address", host);
		return -1;
	}
	memcpy(out, host, strlen(host) + 1);
	return 0;
}

/* one line of /proc/net/ipv6_route: "DST PLEN SRC SPLEN NEXTHOP METRIC
 * REFCNT USE FLAGS DEV", hex fields; true for a usable default route */
static bool ipv6_default_route(const char *line, size_t len)
{
	char buf[256], dst[33], dev[32];
	unsigned plen, flags;

	if (len >= sizeof buf)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "%32s %x %*s %*x %*s %*x %*x %*x %x %31s", dst, &plen, &flags, dev) != 4)
		return false;
	return strspn(dst, "0") == 32 && plen == 0 && (flags & 0x0001u) /* RTF_UP */ &&
	       !(flags & 0x0200u) /* RTF_REJECT */ && strcmp(dev, "lo") != 0;
}

bool firstrun_ipv6_connected(const struct ifaddrs *ifs, const char *ipv6_route)
{
	bool addr = false, route = false;

	for (const struct ifaddrs *i = ifs; i && !addr; i = i->ifa_next)
		addr = i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
		       (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK) &&
		       firstrun_addr_public(i->ifa_addr);
	for (const char *p = ipv6_route; p && *p && !route; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		route = ipv6_default_route(p, len);
		p += len + (nl ? 1 : 0);
	}
	return addr && route;
}

/* firstrun_ipv6_connected for this host */
static bool host_ipv6_connected(void)
{
	struct ifaddrs *ifs = NULL;
	char *text = NULL;
	size_t cap = 0, len = 0;
	bool ok;
	FILE *f = fopen("/proc/net/ipv6_route", "re");

	if (f) {
		/* bounded: 1 MiB holds some 7000 routes */
		cap = 1 << 20;
		text = malloc(cap + 1);
		if (text) {
			len = fread(text, 1, cap, f);
			text[len] = '\0';
		}
		fclose(f);
	}
	if (getifaddrs(&ifs) < 0)
		ifs = NULL;
	ok = firstrun_ipv6_connected(ifs, text);
	if (ifs)
		freeifaddrs(ifs);
	free(text);
	return ok;
}

/* ---- randomness ------------------------------------------------------ */

/* FIRSTRUN_PASSWORD_LEN characters from password_alphabet, unbiased:
 * bytes >= 248 (= 4 * 62) are thrown away. */
static int make_password(char *out)
{
	unsigned char rnd[64];
	size_t n = 0, limit = 256 - 256 % (sizeof password_alphabet - 1);
	int ret = -1;

	while (n < FIRSTRUN_PASSWORD_LEN) {
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			goto out;
		for (size_t i = 0; i < sizeof rnd && n < FIRSTRUN_PASSWORD_LEN; i++)
			if (rnd[i] < limit)
				out[n++] = password_alphabet[rnd[i] % (sizeof password_alphabet - 1)];
	}
	out[n] = '\0';
	ret = 0;
out:
	OPENSSL_cleanse(rnd, sizeof rnd);
	return ret;
}

/* true when the /24 net (host order) overlaps a network this host is on */
static bool v4_net_in_use(const struct ifaddrs *ifs, uint32_t net)
{
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		uint32_t a, m;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		a = ntohl(((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr);
		m = ntohl(((const struct sockaddr_in *)(const void *)i->ifa_netmask)->sin_addr.s_addr);
		if (((a ^ net) & m & 0xffffff00u) == 0)
			return true;
	}
	return false;
}

/* a random 10.X.Y.0/24 that no local interface is on (a few tries) */
static int random_pool4(char v4[64])
{
	unsigned char r[2];
	struct ifaddrs *ifs = NULL;

	if (getifaddrs(&ifs) < 0)
		ifs = NULL;
	for (int tries = 0; tries < 16; tries++) {
		if (RAND_bytes(r, sizeof r) != 1) {
			if (ifs)
				freeifaddrs(ifs);
			return -1;
		}
		if (!v4_net_in_use(ifs, 0x0a000000u | (uint32_t)r[0] << 16 | (uint32_t)r[1] << 8))
			break;
	}
	if (ifs)
		freeifaddrs(ifs);
	snprintf(v4, 64, "10.%u.%u.0/24", r[0], r[1]);
	return 0;
}

/* fdXX:XXXX:XXXX:XXXX::/112 (RFC 4193 §3.2: 40 random bits of global id,
 * here 16 random bits of subnet id too) */
static int random_pool6(char v6[64])
{
	unsigned char a6[16] = { 0xfd };
	char txt[INET6_ADDRSTRLEN];

	if (RAND_bytes(a6 + 1, 7) != 1 || !inet_ntop(AF_INET6, a6, txt, sizeof txt))
		return -1;
	snprintf(v6, 64, "%s/112", txt);
	return 0;
}

/* ---- files ----------------------------------------------------------- */

static int write_file(const char *path, mode_t mode, const char *data, size_t len,
                      char *err, size_t errlen)
{
	int fd, ret = -1;
	bool created = false;
	size_t off = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	created = true;
	if (fchmod(fd, mode) < 0) {
		seterr(err, errlen, "%s: chmod: %s", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			seterr(err, errlen, "%s: write: %s", path, n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		seterr(err, errlen, "%s: fsync: %s", path, strerror(errno));
		goto out;
	}
	ret = close(fd);
	fd = -1;
	if (ret < 0)
		seterr(err, errlen, "%s: close: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0 && created)
		unlink(path);
	return ret;
}

/* DIR must be absent (then created 0700) or an empty directory */
static int prepare_dir(const char *dir, bool *created, char *err, size_t errlen)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	*created = false;
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		if (chmod(dir, 0700) < 0) {
			seterr(err, errlen, "%s: chmod: %s", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		seterr(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "%s exists and is not a directory", dir);
		return -1;
	}
	/* keys and ipsec.conf (whose leftupdown= the privileged helper runs)
	 * go there: nobody else may write it */
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		seterr(err, errlen, "%s is %s: refusing to create keys and a configuration in it "
		       "(chown it to this user and chmod go-w, or remove it)", dir,
		       st.st_uid != geteuid() ? "owned by another user" : "writable by its group or "
		       "others");
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			break;
	}
	closedir(d);
	if (de) {
		seterr(err, errlen, "%s has no ipsec.conf but is not empty: refusing to create a "
		       "configuration over existing files (write ipsec.conf, or empty the directory)", dir);
		return -1;
	}
	return 0;
}

/* ipsec.conf. leftid is "@name" for a name (strongSwan: an FQDN id that
 * is never resolved) and the address as written for an address.
 * leftsubnet covers only the families that have a pool, and so does
 * rightdns unless the resolvers were given. */
static void conf_text(struct text *t, const struct firstrun_result *r)
{
	char stamp[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	bool v4 = false, v6 = false;

	for (int i = 0; i < r->n_pools; i++) {
		if (strchr(r->pools[i], ':'))
			v6 = true;
		else
			v4 = true;
	}
	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", &tm);

	tprintf(t,
		"# ipsec.conf - written by cygnet on first start, %s.\n"
		"# strongSwan's ipsec.conf(5) format; cygnet reads it as strongSwan would\n"
		"# and refuses to start on a keyword it does not know (file:line).\n"
		"# Users and passwords are in ipsec.secrets. The CA that signed the server\n"
		"# certificate is ipsec.d/cacerts/ca.pem: every client must trust it.\n"
		"\n"
		"config setup\n"
		"\t# one account may be used on several devices at the same time\n"
		"\tuniqueids=no\n"
		"\t# more detail in the log:\n"
		"\t# charondebug=\"ike 2, cfg 2\"\n"
		"\n"
		"conn %%default\n"
		"\tkeyexchange=ikev2\n"
		"\t# IKE proposals, strongest first. Each native client finds one it\n"
		"\t# offers by default:\n"
		"\t#  1. AES-GCM: Android (built-in and strongSwan app), recent macOS/iOS\n"
		"\t#  2. AES-CBC + SHA-2 + DH 14/ECP: macOS/iOS (AES-256, SHA2-256, DH 14)\n"
		"\t#  3. DH group 2 (modp1024): what Windows offers unless configured\n"
		"\t#     otherwise (and older iOS). Group 2 is weak: drop this proposal\n"
		"\t#     once the Windows clients use group 14, e.g. with PowerShell\n"
		"\t#     Set-VpnConnectionIPsecConfiguration ... -DHGroup Group14.\n"
		"\tike=aes256gcm16-aes128gcm16-prfsha256-prfsha384-curve25519-ecp256-ecp384-modp2048,"
		"aes256-aes128-sha256-sha384-curve25519-ecp256-modp2048,"
		"aes256-aes128-sha256-sha1-modp1024!\n"
		"\t# ESP: AES-GCM, then AES-CBC with SHA-2 or SHA-1 (Windows' default)\n"
		"\tesp=aes256gcm16-aes128gcm16,aes256-aes128-sha256-sha1!\n"
		"\n"
		"\t# left: this server. It proves who it is with the certificate for\n"
		"\t# %s; clients must use exactly that as the server address/remote ID.\n"
		"\tleft=%%any\n"
		"\tleftid=%s%s\n"
		"\tleftauth=pubkey\n"
		"\tleftcert=server.pem\n"
		"\tleftsendcert=always\n"
		"\t# all the clients' traffic goes through the tunnel\n"
		"\tleftsubnet=%s%s%s\n"
		"\n"
		"\t# right: the clients, with an address from the pool\n"
		"\tright=%%any\n"
		"\trightsendcert=never\n"
		"\trightsourceip=%s%s%s\n"
		"%s"
		"\trightdns=%s\n"
		"\n"
		"# users log in with name and password (EAP-MSCHAPv2), which is what the\n"
		"# built-in clients of Windows, macOS, iOS and Android offer\n"
		"conn ikev2-eap\n"
		"\trightauth=eap-mschapv2\n"
		"\teap_identity=%%identity\n"
		"\tauto=add\n",
		stamp, r->server_id,
		r->server_id_is_ip ? "" : "@", r->server_id,
		v4 ? "0.0.0.0/0" : "", v4 && v6 ? "," : "", v6 ? "::/0" : "",
		r->pools[0], r->n_pools > 1 ? "," : "", r->n_pools > 1 ? r->pools[1] : "",
		r->dns_given ?
		"\t# cygnet runs no DNS server: clients get these resolvers\n" :
		"\t# cygnet runs no DNS server: clients get these public resolvers\n"
		"\t# (Cloudflare). Put your own resolvers here if you have them.\n",
		r->dns);
}

static void secrets_text(struct text *t, const struct firstrun_result *r)
{
	tprintf(t,
		"# ipsec.secrets - written by cygnet on first start. Keep it private (0600).\n"
		"#\n"
		"# the server's private key, in ipsec.d/private/\n"
		": RSA server.key\n"
		"\n"
		"# users: NAME : EAP \"PASSWORD\", one per line\n");
	for (int i = 0; i < r->n_users; i++)
		tprintf(t, "%s : EAP \"%s\"\n", r->users[i].name, r->users[i].password);
}

static void rollback(const char *dir, const bool done[IT_COUNT], bool dir_created)
{
	char path[PATH_MAX];

	for (int i = IT_COUNT - 1; i >= 0; i--) {
		if (!done[i] || join(path, sizeof path, dir, items[i].rel) < 0)
			continue;
		if (items[i].dir_mode)
			rmdir(path);
		else
			unlink(path);
	}
	if (dir_created)
		rmdir(dir);
}

/* Everything in o that firstrun_create does not make itself; sets
 * *v4 or *v6 when a pool of that family is given. */
static int check_opts(const struct firstrun_opts *o, struct firstrun_result *res,
                      bool *v4, bool *v6, char *err, size_t errlen)
{
	unsigned char bin[16];
	char pool_err[256];

	if (o->server_id) {
		if (strlen(o->server_id) >= sizeof res->server_id) {
			seterr(err, errlen, "server id too long");
			return -1;
		}
		if (inet_pton(AF_INET, o->server_id, bin) != 1 &&
		    inet_pton(AF_INET6, o->server_id, bin) != 1 &&
		    !pki_valid_dns_name(o->server_id)) {
			seterr(err, errlen, "server id '%s' is neither a DNS name nor an IP address",
			       o->server_id);
			return -1;
		}
	}
	if (o->n_pools < 0 || o->n_pools > FIRSTRUN_MAX_POOLS) {
		seterr(err, errlen, "%d pools: give at most one IPv4 and one IPv6 pool", o->n_pools);
		return -1;
	}
	for (int i = 0; i < o->n_pools; i++) {
		int fam = firstrun_check_pool(o->pools[i], pool_err, sizeof pool_err);

		if (fam < 0) {
			seterr(err, errlen, "%s", pool_err);
			return -1;
		}
		if ((fam == AF_INET && *v4) || (fam == AF_INET6 && *v6)) {
			seterr(err, errlen, "pool '%s': only one %s pool is possible", o->pools[i],
			       fam == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
		if (fam == AF_INET6 && o->ipv6 == FIRSTRUN_IPV6_NO) {
			seterr(err, errlen, "pool '%s': an IPv6 pool, but IPv6 is switched off",
			       o->pools[i]);
			return -1;
		}
		*(fam == AF_INET ? v4 : v6) = true;
	}
	if (o->n_dns < 0 || o->n_dns > FIRSTRUN_MAX_DNS) {
		seterr(err, errlen, "%d DNS servers: at most %d", o->n_dns, FIRSTRUN_MAX_DNS);
		return -1;
	}
	for (int i = 0; i < o->n_dns; i++) {
		if (!o->dns[i] || (inet_pton(AF_INET, o->dns[i], bin) != 1 &&
		                   inet_pton(AF_INET6, o->dns[i], bin) != 1)) {
			seterr(err, errlen, "DNS server '%s' is not an IP address",
			       o->dns[i] ? o->dns[i] : "");
			return -1;
		}
	}
	if (o->n_users < 0 || o->n_users > FIRSTRUN_MAX_USERS) {
		seterr(err, errlen, "%d users: at most %d on the first start (add more later)",
		       o->n_users, FIRSTRUN_MAX_USERS);
		return -1;
	}
	for (int i = 0; i < o->n_users; i++) {
		const struct firstrun_user *u = &o->users[i];

		if (!firstrun_check_user(u->name)) {
			seterr(err, errlen, "user name '%s': use 1..63 letters, digits, '.', '_', "
			       "'-', '@' (not first: '-', '@')", u->name ? u->name : "");
			return -1;
		}
		if (u->password && !firstrun_check_password(u->password)) {
			/* the password itself is never repeated */
			seterr(err, errlen, "password of user '%s': use 8..%d printable ASCII "
			       "characters without space, '\"' and '\\'", u->name,
			       FIRSTRUN_MAX_PASSWORD);
			return -1;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(o->users[j].name, u->name) == 0) {
				seterr(err, errlen, "user '%s' is given twice", u->name);
				return -1;
			}
		}
	}
	return 0;
}

int firstrun_create(const char *dir, const struct firstrun_opts *o,
                    struct firstrun_result *res, char *err, size_t errlen)
{
	static const struct firstrun_opts no_opts;
	bool done[IT_COUNT] = { false }, dir_created = false, have_v4 = false, have_v6 = false;
	char path[IT_COUNT][PATH_MAX], conf_path[PATH_MAX], ca_cn[65];
	char perr[256] = "";
	EVP_PKEY *ca_key = NULL, *srv_key = NULL;
	X509 *ca = NULL, *srv = NULL;
	struct text *t = NULL;
	unsigned char ipbin[16];
	int ret = -1, fd;

	if (!res) {
		seterr(err, errlen, "firstrun: no result buffer");
		return -1;
	}
	memset(res, 0, sizeof *res);
	if (!o)
		o = &no_opts;
	if (!dir || !*dir) {
		seterr(err, errlen, "no configuration directory given");
		goto out;
	}

	/* everything the operator gave is checked before anything is made */
	if (check_opts(o, res, &have_v4, &have_v6, err, errlen) < 0)
		goto out;
	if (o->server_id) {
		snprintf(res->server_id, sizeof res->server_id, "%s", o->server_id);
	} else {
		bool is_public = false;

		if (firstrun_detect_server_id(res->server_id, sizeof res->server_id, &is_public,
		                              err, errlen) < 0)
			goto out;
		res->server_id_detected = true;
		res->server_id_private = !is_public;
	}
	res->server_id_is_ip = inet_pton(AF_INET, res->server_id, ipbin) == 1 ||
	                       inet_pton(AF_INET6, res->server_id, ipbin) == 1;

	/* pools: the given ones, IPv4 first; random ones for what is missing */
	res->ipv6_asked = o->ipv6;
	if (o->ipv6 == FIRSTRUN_IPV6_AUTO && !have_v6)
		res->ipv6_detected = host_ipv6_connected();
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < o->n_pools; i++)
			if ((strchr(o->pools[i], ':') == NULL) == (pass == 0))
				snprintf(res->pools[res->n_pools++], sizeof res->pools[0], "%s",
				         o->pools[i]);
	if (o->n_pools == 0) {
		if (random_pool4(res->pools[res->n_pools++]) < 0) {
			seterr(err, errlen, "no random numbers for the address pools");
			goto out;
		}
		have_v4 = true;
	}
	if (!have_v6 && (o->ipv6 == FIRSTRUN_IPV6_YES ||
	                 (o->n_pools == 0 && o->ipv6 == FIRSTRUN_IPV6_AUTO && res->ipv6_detected))) {
		if (random_pool6(res->pools[res->n_pools++]) < 0) {
			seterr(err, errlen, "no random numbers for the address pools");
			goto out;
		}
		have_v6 = true;
	}
	res->ipv6 = have_v6;

	/* resolvers: the given ones, else one public resolver per family */
	if (o->n_dns > 0) {
		size_t off = 0;

		res->dns_given = true;
		for (int i = 0; i < o->n_dns; i++) {
			int n = snprintf(res->dns + off, sizeof res->dns - off, "%s%s",
			                 i ? "," : "", o->dns[i]);

			if (n < 0 || (size_t)n >= sizeof res->dns - off) {
				seterr(err, errlen, "DNS servers: list too long");
				goto out;
			}
			off += (size_t)n;
		}
	} else {
		snprintf(res->dns, sizeof res->dns, "%s%s%s", have_v4 ? DNS_V4 : "",
		         have_v4 && have_v6 ? "," : "", have_v6 ? DNS_V6 : "");
	}

	/* users: the given ones, else vpnuser; random passwords where none */
	res->n_users = o->n_users > 0 ? o->n_users : 1;
	for (int i = 0; i < res->n_users; i++) {
		const struct firstrun_user *u = o->n_users > 0 ? &o->users[i] : NULL;

		snprintf(res->users[i].name, sizeof res->users[i].name, "%s",
		         u ? u->name : FIRSTRUN_DEFAULT_USER);
		if (u && u->password) {
			snprintf(res->users[i].password, sizeof res->users[i].password, "%s",
			         u->password);
		} else if (make_password(res->users[i].password) < 0) {
			seterr(err, errlen, "no random numbers for the password");
			goto out;
		} else {
			res->users[i].generated = true;
		}
	}
	memcpy(res->user, res->users[0].name, sizeof res->user);
	memcpy(res->password, res->users[0].password, sizeof res->password);

	/* the directory tree */
	if (prepare_dir(dir, &dir_created, err, errlen) < 0)
		goto out;
	if (!realpath(dir, res->dir)) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	for (int i = 0; i < IT_COUNT; i++) {
		if (join(path[i], sizeof path[i], res->dir, items[i].rel) < 0) {
			seterr(err, errlen, "%s: path too long", res->dir);
			goto out;
		}
	}
	if (join(conf_path, sizeof conf_path, res->dir, "ipsec.conf") < 0 ||
	    join(res->ca_cert, sizeof res->ca_cert, res->dir, items[IT_CACERT].rel) < 0 ||
	    join(res->ca_key, sizeof res->ca_key, res->dir, items[IT_CAKEY].rel) < 0) {
		seterr(err, errlen, "%s: path too long", res->dir);
		goto out;
	}
	for (int i = 0; i < IT_COUNT; i++) {
		if (!items[i].dir_mode)
			continue;
		if (mkdir(path[i], items[i].dir_mode) < 0) {
			seterr(err, errlen, "cannot create %s: %s", path[i], strerror(errno));
			goto out;
		}
		done[i] = true;
		if (chmod(path[i], items[i].dir_mode) < 0) {
			seterr(err, errlen, "%s: chmod: %s", path[i], strerror(errno));
			goto out;
		}
	}

	/* the CA and the server certificate */
	snprintf(ca_cn, sizeof ca_cn, "cygnet CA %.54s", res->server_id);  /* CN <= 64 */
	if (!(ca_key = pki_keygen(KEY_TYPE, KEY_BITS, perr, sizeof perr)) ||
	    !(ca = pki_ca_create(ca_key, ca_cn, PKI_CA_DAYS, perr, sizeof perr)) ||
	    !(srv_key = pki_keygen(KEY_TYPE, KEY_BITS, perr, sizeof perr)) ||
	    !(srv = pki_server_issue(ca, ca_key, srv_key, res->server_id, PKI_SERVER_DAYS,
	                             perr, sizeof perr))) {
		seterr(err, errlen, "cannot create the certificates: %s", perr);
		goto out;
	}
	if (pki_write_key(path[IT_CAKEY], ca_key, err, errlen) < 0)
		goto out;
	done[IT_CAKEY] = true;
	if (pki_write_cert(path[IT_CACERT], ca, err, errlen) < 0)
		goto out;
	done[IT_CACERT] = true;
	if (pki_write_key(path[IT_SRVKEY], srv_key, err, errlen) < 0)
		goto out;
	done[IT_SRVKEY] = true;
	if (pki_write_cert(path[IT_SRVCERT], srv, err, errlen) < 0)
		goto out;
	done[IT_SRVCERT] = true;

	/* ipsec.secrets, then ipsec.conf under a temporary name, renamed last */
	t = calloc(1, sizeof *t);
	if (!t) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	secrets_text(t, res);
	if (t->overflow) {
		seterr(err, errlen, "ipsec.secrets: text too long");
		goto out;
	}
	if (write_file(path[IT_SECRETS], 0600, t->buf, t->len, err, errlen) < 0)
		goto out;
	done[IT_SECRETS] = true;
	OPENSSL_cleanse(t, sizeof *t);

	conf_text(t, res);
	if (t->overflow) {
		seterr(err, errlen, "ipsec.conf: text too long");
		goto out;
	}
	if (write_file(path[IT_CONF_TMP], 0644, t->buf, t->len, err, errlen) < 0)
		goto out;
	done[IT_CONF_TMP] = true;
	if (rename(path[IT_CONF_TMP], conf_path) < 0) {
		seterr(err, errlen, "%s: %s", conf_path, strerror(errno));
		goto out;
	}
	done[IT_CONF_TMP] = false;
	/* make the rename durable (best effort: some file systems refuse) */
	fd = open(res->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	ret = 0;
out:
	if (ret != 0) {
		if (res->dir[0])
			rollback(res->dir, done, dir_created);
		else if (dir_created)
			rmdir(dir);
		firstrun_result_wipe(res);
	}
	if (t) {
		OPENSSL_cleanse(t, sizeof *t);
		free(t);
	}
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	X509_free(ca);
	X509_free(srv);
	return ret;
}

void firstrun_result_wipe(struct firstrun_result *res)
{
	if (res)
		OPENSSL_cleanse(res, sizeof *res);
}

void firstrun_print(FILE *out, const struct firstrun_result *r)
{
	fprintf(out,
		"\n"
		"cygnet: no ipsec.conf in %s, so a new configuration was created there.\n"
		"\n"
		"  Server address  %s\n"
		"  Remote ID       %s\n",
		r->dir, r->server_id, r->server_id);
	for (int i = 0; i < r->n_users; i++)
		fprintf(out,
			"  User name       %s\n"
			"  Password        %s\n",
			r->users[i].name,
			r->users[i].generated ? r->users[i].password : "(the one given)");
	fprintf(out,
		"  CA certificate  %s\n"
		"  Address pools   %s%s%s\n"
		"  DNS servers     %s\n",
		r->ca_cert, r->pools[0], r->n_pools > 1 ? ", " : "",
		r->n_pools > 1 ? r->pools[1] : "", r->dns);
	fprintf(out,
		"\n"
		"Every client must trust the CA certificate: copy it to the device, then\n"
		"  Windows  import it (renamed to ca.crt) into \"Trusted Root Certification\n"
		"           Authorities\" of the Local Computer store (certlm.msc); add a VPN\n"
		"           of type IKEv2, sign-in \"User name and password\".\n"
		"  macOS    add it to the System keychain and set it to \"Always Trust\"; add\n"
		"           a VPN of type IKEv2, Remote ID as above, authentication Username.\n"
		"  iOS      open it to install the profile, then enable it under Settings >\n"
		"           General > About > Certificate Trust Settings; VPN type IKEv2.\n"
		"  Android  strongSwan app: import it under CA certificates, profile type\n"
		"           \"IKEv2 EAP (Username/Password)\". Built-in client (Android 11+):\n"
		"           install it as a CA certificate, type \"IKEv2/IPSec MSCHAPv2\".\n"
		"  Linux    strongSwan: put it in /etc/ipsec.d/cacerts (swanctl: x509ca);\n"
		"           NetworkManager-strongswan: choose it as the certificate.\n"
		"\n"
		"Profiles per device: cygnetctl profile NAME; more users: cygnetctl user add NAME\n"
		"Users and passwords: %s/ipsec.secrets. The CA key, for issuing more\n"
		"certificates, is %s: keep it safe.\n",
		r->dir, r->ca_key);
	if (!r->ipv6)
		fprintf(out,
			"\nIPv4 only: %s.\n"
			"To serve IPv6 too, create the configuration with --ipv6 (CYGNET_IPV6=yes)\n"
			"or an IPv6 --pool.\n",
			r->ipv6_asked == FIRSTRUN_IPV6_NO ? "IPv6 was switched off" :
			"this host has no IPv6 connectivity (no public IPv6\n"
			"address with an IPv6 default route)");
	if (r->server_id_private)
		fprintf(out,
			"\n"
			"!!! WARNING: the server identity %s is a PRIVATE address, detected\n"
			"!!! on this host's interfaces (a container, or a host behind NAT). Clients\n"
			"!!! on the internet cannot dial it, and they reject the certificate when\n"
			"!!! they dial any other name or address. Give the public name or address:\n"
			"!!!   now:   cygnetd -c %s --server-id NAME --reissue-server-cert\n"
			"!!!          (keeps the CA and the users), then: cygnetctl reload\n"
			"!!!   or on a first start: --server-id NAME (docker: CYGNET_SERVER_ID)\n",
			r->server_id, r->dir);
	else if (r->server_id_detected)
		fprintf(out,
			"\nThe server address %s was detected from this host's interfaces. If the\n"
			"clients reach it by another name or address (NAT, a DNS name), re-issue\n"
			"the certificate: cygnetd -c %s --server-id NAME --reissue-server-cert\n",
			r->server_id, r->dir);
	fprintf(out, "\n");
}

/* ---- re-issuing the server certificate ------------------------------------ */

#define CONF_MAX (1u << 20)

static X509 *read_cert(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	X509 *c = NULL;

	if (!f) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!c)
		seterr(err, errlen, "%s: no PEM certificate", path);
	return c;
}

static EVP_PKEY *read_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k = NULL;

	if (!f) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		seterr(err, errlen, "%s: no unencrypted PEM private key", path);
	return k;
}

/* the identity a first-start certificate carries: its IP subjectAltName,
 * else its first DNS one */
static int cert_identity(X509 *c, char *out, size_t outlen)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	int ret = -1;

	for (int pass = 0; pass < 2 && ret < 0; pass++) {
		for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && ret < 0; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
			const unsigned char *d;
			int len;

			if (pass == 0 && g->type == GEN_IPADD) {
				d = ASN1_STRING_get0_data(g->d.iPAddress);
				len = ASN1_STRING_length(g->d.iPAddress);
				if ((len == 4 || len == 16) &&
				    inet_ntop(len == 4 ? AF_INET : AF_INET6, d, out, (socklen_t)outlen))
					ret = 0;
			} else if (pass == 1 && g->type == GEN_DNS) {
				d = ASN1_STRING_get0_data(g->d.dNSName);
				len = ASN1_STRING_length(g->d.dNSName);
				if (len > 0 && (size_t)len < outlen && !memchr(d, '\0', (size_t)len)) {
					memcpy(out, d, (size_t)len);
					out[len] = '\0';
					ret = 0;
				}
			}
		}
	}
	GENERAL_NAMES_free(names);
	return ret;
}

/* true when the leftid value v (without quotes) names id: "@name" or
 * "name" for a name, any spelling of the same address for an address */
static bool id_matches(const char *v, size_t len, const char *id)
{
	unsigned char a[16], b[16];
	char buf[256];

	if (len && v[0] == '@') {
		v++;
		len--;
	}
	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, id, a) == 1)
		return inet_pton(AF_INET, buf, b) == 1 && memcmp(a, b, 4) == 0;
	if (inet_pton(AF_INET6, id, a) == 1)
		return inet_pton(AF_INET6, buf, b) == 1 && memcmp(a, b, 16) == 0;
	return strcasecmp(buf, id) == 0;
}

/* ipsec.conf with leftid=OLD (and the first start's comment naming OLD)
 * rewritten to NEW, into t; the number of leftid lines in *n */
static void rewrite_conf(struct text *t, const char *conf, const char *old_id,
                         const char *new_id, bool new_is_ip, int *n)
{
	char comment[400];

	snprintf(comment, sizeof comment,
	         "\t# %s; clients must use exactly that as the server address/remote ID.", old_id);
	*n = 0;
	for (const char *p = conf; *p; ) {
		const char *nl = strchr(p, '\n'), *q = p, *v, *ve, *rest;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == strlen(comment) && memcmp(p, comment, len) == 0) {
			tprintf(t, "\t# %s; clients must use exactly that as the server "
			        "address/remote ID.%s", new_id, nl ? "\n" : "");
			p += len + (nl ? 1 : 0);
			continue;
		}
		while (q < p + len && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(p + len - q) > 6 && strncmp(q, "leftid", 6) == 0) {
			v = q + 6;
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			if (v < p + len && *v == '=') {
				v++;
				while (v < p + len && (*v == ' ' || *v == '\t'))
					v++;
				if (v < p + len && *v == '"') {
					ve = memchr(v + 1, '"', (size_t)(p + len - v - 1));
					rest = ve ? ve + 1 : NULL;
					v++;
				} else {
					ve = v;
					while (ve < p + len && *ve != ' ' && *ve != '\t' && *ve != '#')
						ve++;
					rest = ve;
				}
				if (rest && id_matches(v, (size_t)(ve - v), old_id)) {
					int pre = (int)(v - p) - (rest != ve ? 1 : 0);

					tprintf(t, "%.*s%s%s%.*s%s", pre, p, new_is_ip ? "" : "@",
					        new_id, (int)(p + len - rest), rest, nl ? "\n" : "");
					(*n)++;
					p += len + (nl ? 1 : 0);
					continue;
				}
			}
		}
		tprintf(t, "%.*s%s", (int)len, p, nl ? "\n" : "");
		p += len + (nl ? 1 : 0);
	}
}

/* reads the regular file (not a symlink) path, at most CONF_MAX bytes,
 * NUL-terminated; its mode and owner into st */
static char *read_conf(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = NULL;
	size_t off = 0;

	if (fd < 0) {
		seterr(err, errlen, "%s: %s%s", path, strerror(errno),
		       errno == ELOOP ? " (a symlink: edit the file it points to yourself)" : "");
		return NULL;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size >= (off_t)CONF_MAX) {
		seterr(err, errlen, "%s: not a regular file below 1 MiB", path);
		goto fail;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + off, (size_t)st->st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		if (off == (size_t)st->st_size)
			break;
	}
	buf[off] = '\0';
	if (strlen(buf) != off) {
		seterr(err, errlen, "%s: holds a NUL byte", path);
		goto fail;
	}
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

int firstrun_reissue(const char *dir, const char *new_id, char *old_id, size_t old_idlen,
                     int *n_leftid, char *err, size_t errlen)
{
	char p_cakey[PATH_MAX], p_ca[PATH_MAX], p_key[PATH_MAX], p_cert[PATH_MAX];
	char p_conf[PATH_MAX], t_cert[PATH_MAX], t_conf[PATH_MAX], oid[256];
	unsigned char bin[16];
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *old = NULL, *cert = NULL;
	struct text *t = NULL;
	struct stat st;
	char *conf = NULL;
	bool cert_moved = false, is_ip;
	int ret = -1, fd;

	*n_leftid = 0;
	if (!new_id || !dir) {
		seterr(err, errlen, "give the new server name or address (--server-id)");
		return -1;
	}
	is_ip = inet_pton(AF_INET, new_id, bin) == 1 || inet_pton(AF_INET6, new_id, bin) == 1;
	if (!is_ip && !pki_valid_dns_name(new_id)) {
		seterr(err, errlen, "server id '%s' is neither a DNS name nor an IP address", new_id);
		return -1;
	}
	if (join(p_cakey, sizeof p_cakey, dir, items[IT_CAKEY].rel) < 0 ||
	    join(p_ca, sizeof p_ca, dir, items[IT_CACERT].rel) < 0 ||
	    join(p_key, sizeof p_key, dir, items[IT_SRVKEY].rel) < 0 ||
	    join(p_cert, sizeof p_cert, dir, items[IT_SRVCERT].rel) < 0 ||
	    join(p_conf, sizeof p_conf, dir, "ipsec.conf") < 0 ||
	    join(t_cert, sizeof t_cert, dir, "ipsec.d/certs/server.pem.new") < 0 ||
	    join(t_conf, sizeof t_conf, dir, "ipsec.conf.new") < 0) {
		seterr(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (access(p_cakey, F_OK) < 0) {
		seterr(err, errlen, "%s: %s: only a configuration cygnet's first start made can be "
		       "re-issued this way (else use your CA, e.g. cygnet-pki server)", p_cakey,
		       strerror(errno));
		return -1;
	}
	if (!(ca_key = read_key(p_cakey, err, errlen)) || !(ca = read_cert(p_ca, err, errlen)) ||
	    !(key = read_key(p_key, err, errlen)) || !(old = read_cert(p_cert, err, errlen)))
		goto out;
	if (cert_identity(old, oid, sizeof oid) < 0) {
		seterr(err, errlen, "%s: no subjectAltName to replace", p_cert);
		goto out;
	}
	if (X509_check_private_key(old, key) != 1) {
		seterr(err, errlen, "%s does not belong to %s", p_cert, p_key);
		goto out;
	}
	if (!(conf = read_conf(p_conf, &st, err, errlen)))
		goto out;
	if (!(cert = pki_server_issue(ca, ca_key, key, new_id, PKI_SERVER_DAYS, err, errlen)))
		goto out;
	if (!(t = calloc(1, sizeof *t)) ||
	    (rewrite_conf(t, conf, oid, new_id, is_ip, n_leftid), t->overflow)) {
		seterr(err, errlen, t ? "ipsec.conf: too long to rewrite" : "out of memory");
		goto out;
	}

	/* leftovers of an interrupted run are ours: both names are fixed */
	unlink(t_cert);
	unlink(t_conf);
	if (pki_write_cert(t_cert, cert, err, errlen) < 0)
		goto out;
	if (write_file(t_conf, st.st_mode & 07777, t->buf, t->len, err, errlen) < 0)
		goto out;
	if (geteuid() == 0 && chown(t_conf, st.st_uid, st.st_gid) < 0) {
		seterr(err, errlen, "%s: chown: %s", t_conf, strerror(errno));
		goto out;
	}
	if (rename(t_cert, p_cert) < 0) {
		seterr(err, errlen, "%s: %s", p_cert, strerror(errno));
		goto out;
	}
	cert_moved = true;
	if (rename(t_conf, p_conf) < 0) {
		seterr(err, errlen, "%s: %s", p_conf, strerror(errno));
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	snprintf(old_id, old_idlen, "%s", oid);
	ret = 0;
out:
	if (ret != 0) {
		/* put the old certificate back when ipsec.conf could not follow */
		char e2[256];

		if (cert_moved && pki_write_cert(t_cert, old, e2, sizeof e2) == 0)
			rename(t_cert, p_cert);
		unlink(t_cert);
		unlink(t_conf);
	}
	if (t) {
		OPENSSL_cleanse(t, sizeof *t);
		free(t);
	}
	free(conf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(old);
	X509_free(cert);
	return ret;
}
