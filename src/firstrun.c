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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/pki.h"

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

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

static bool valid_user(const char *u)
{
	size_t len = strlen(u);

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

/* lower is better; -1 = unusable */
static int rank_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;

		if (a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254))
			return -1;
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64))
			return 1;   /* private or CGNAT: clients may not reach it */
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(in6) || IN6_IS_ADDR_LINKLOCAL(in6) ||
		    IN6_IS_ADDR_MULTICAST(in6) || IN6_IS_ADDR_UNSPECIFIED(in6) ||
		    IN6_IS_ADDR_V4MAPPED(in6) || IN6_IS_ADDR_SITELOCAL(in6))
			return -1;
		if ((in6->s6_addr[0] & 0xe0) == 0x20)
			return 2;   /* global unicast 2000::/3 */
		return 3;       /* ULA and the rest */
	}
	return -1;
}

int firstrun_detect_server_id(char *out, size_t outlen, char *err, size_t errlen)
{
	struct ifaddrs *ifs = NULL;
	const struct sockaddr *best = NULL;
	int best_rank = 99, ret = -1;
	char host[256];

	if (getifaddrs(&ifs) == 0) {
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
	}
	if (best) {
		const void *a = best->sa_family == AF_INET ?
			(const void *)&((const struct sockaddr_in *)(const void *)best)->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)(const void *)best)->sin6_addr;

		if (!inet_ntop(best->sa_family, a, out, (socklen_t)outlen)) {
			seterr(err, errlen, "cannot format the detected address: %s", strerror(errno));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (gethostname(host, sizeof host) < 0) {
		seterr(err, errlen, "no global address and no host name: %s", strerror(errno));
		goto out;
	}
	host[sizeof host - 1] = '\0';
	if (!pki_valid_dns_name(host) || strlen(host) >= outlen) {
		seterr(err, errlen, "no global address, and the host name '%s' is no DNS name: "
		       "give the server's name or address", host);
		goto out;
	}
	memcpy(out, host, strlen(host) + 1);
	ret = 0;
out:
	if (ifs)
		freeifaddrs(ifs);
	return ret;
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

/* a random 10.X.Y.0/24 that no local interface is on (a few tries), and
 * fdXX:XXXX:XXXX:XXXX::/112 (RFC 4193 §3.2: 40 random bits of global id,
 * here 16 random bits of subnet id too) */
static int default_pools(char v4[64], char v6[64])
{
	unsigned char r[9], a6[16] = { 0xfd };
	char txt[INET6_ADDRSTRLEN];
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
	memcpy(a6 + 1, r + 2, 7);
	if (!inet_ntop(AF_INET6, a6, txt, sizeof txt))
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
 * leftsubnet and rightdns cover only the families that have a pool. */
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
		"\t# cygnet runs no DNS server: clients get these public resolvers\n"
		"\t# (Cloudflare). Put your own resolvers here if you have them.\n"
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
		"# users: NAME : EAP \"PASSWORD\", one per line\n"
		"%s : EAP \"%s\"\n",
		r->user, r->password);
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

int firstrun_create(const char *dir, const struct firstrun_opts *o,
                    struct firstrun_result *res, char *err, size_t errlen)
{
	static const struct firstrun_opts no_opts;
	bool done[IT_COUNT] = { false }, dir_created = false, have_v4 = false, have_v6 = false;
	char path[IT_COUNT][PATH_MAX], conf_path[PATH_MAX], ca_cn[65];
	char pool_err[256], perr[256] = "";
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
	snprintf(res->user, sizeof res->user, "%s", o->user ? o->user : FIRSTRUN_DEFAULT_USER);
	if (!valid_user(o->user ? o->user : FIRSTRUN_DEFAULT_USER)) {
		seterr(err, errlen, "user name '%s': use 1..63 letters, digits, '.', '_', '-', '@'",
		       res->user);
		goto out;
	}
	if (o->server_id) {
		if (strlen(o->server_id) >= sizeof res->server_id) {
			seterr(err, errlen, "server id too long");
			goto out;
		}
		snprintf(res->server_id, sizeof res->server_id, "%s", o->server_id);
	} else {
		if (firstrun_detect_server_id(res->server_id, sizeof res->server_id,
		                              err, errlen) < 0)
			goto out;
		res->server_id_detected = true;
	}
	res->server_id_is_ip = inet_pton(AF_INET, res->server_id, ipbin) == 1 ||
	                       inet_pton(AF_INET6, res->server_id, ipbin) == 1;
	if (!res->server_id_is_ip && !pki_valid_dns_name(res->server_id)) {
		seterr(err, errlen, "server id '%s' is neither a DNS name nor an IP address",
		       res->server_id);
		goto out;
	}
	if (o->n_pools < 0 || o->n_pools > FIRSTRUN_MAX_POOLS) {
		seterr(err, errlen, "%d pools: give at most one IPv4 and one IPv6 pool", o->n_pools);
		goto out;
	}
	for (int i = 0; i < o->n_pools; i++) {
		int fam = firstrun_check_pool(o->pools[i], pool_err, sizeof pool_err);

		if (fam < 0) {
			seterr(err, errlen, "%s", pool_err);
			goto out;
		}
		if ((fam == AF_INET && have_v4) || (fam == AF_INET6 && have_v6)) {
			seterr(err, errlen, "pool '%s': only one %s pool is possible", o->pools[i],
			       fam == AF_INET ? "IPv4" : "IPv6");
			goto out;
		}
		if (fam == AF_INET)
			have_v4 = true;
		else
			have_v6 = true;
	}
	if (o->n_pools == 0) {
		if (default_pools(res->pools[0], res->pools[1]) < 0) {
			seterr(err, errlen, "no random numbers for the address pools");
			goto out;
		}
		res->n_pools = 2;
		have_v4 = have_v6 = true;
	} else {
		/* IPv4 first */
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < o->n_pools; i++)
				if ((strchr(o->pools[i], ':') == NULL) == (pass == 0))
					snprintf(res->pools[res->n_pools++], sizeof res->pools[0],
					         "%s", o->pools[i]);
	}
	snprintf(res->dns, sizeof res->dns, "%s%s%s", have_v4 ? DNS_V4 : "",
	         have_v4 && have_v6 ? "," : "", have_v6 ? DNS_V6 : "");
	if (make_password(res->password) < 0) {
		seterr(err, errlen, "no random numbers for the password");
		goto out;
	}

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
	const char *ca = r->ca_cert;

	fprintf(out,
		"\n"
		"cygnet: no ipsec.conf in %s, so a new configuration was created there.\n"
		"\n"
		"  Server address  %s\n"
		"  Remote ID       %s\n"
		"  User name       %s\n"
		"  Password        %s\n"
		"  CA certificate  %s\n"
		"  Address pools   %s%s%s\n"
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
		r->dir, r->server_id, r->server_id, r->user, r->password, ca,
		r->pools[0], r->n_pools > 1 ? ", " : "", r->n_pools > 1 ? r->pools[1] : "",
		r->dir, r->ca_key);
	if (r->server_id_detected)
		fprintf(out,
			"\nThe server address %s was detected from this host's interfaces. If the\n"
			"clients reach it by another name or address (NAT, a DNS name), remove %s\n"
			"and start again with the right server name: the certificate must carry it.\n",
			r->server_id, r->dir);
	fprintf(out, "\n");
}
