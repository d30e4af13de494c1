/* First-run bootstrap: when cygnetd starts with a config dir that has no
 * ipsec.conf, it creates a complete working configuration (own CA, server
 * certificate, EAP-MSCHAPv2 users, address pools) and prints what a
 * client needs to connect. Its settings come from cygnetd's flags, else
 * from CYGNET_* environment variables (firstrun_opts_from_env: docker).
 *
 * What is created in DIR (strongSwan's layout, so `-c DIR` reads it as is):
 *
 *   DIR/                          0700 (mode left alone if DIR existed)
 *   DIR/ipsec.conf                0644  written last (see below)
 *   DIR/ipsec.secrets             0600  ": RSA server.key", "user : EAP ..."
 *   DIR/ipsec.d/                  0755
 *   DIR/ipsec.d/cacerts/ca.pem    0644  the CA certificate (give to clients)
 *   DIR/ipsec.d/certs/server.pem  0644  server certificate (leftcert=)
 *   DIR/ipsec.d/private/          0700
 *   DIR/ipsec.d/private/server.key 0600 server key, PKCS#8 PEM
 *   DIR/ca/                       0700
 *   DIR/ca/ca.key                 0600  CA key, PKCS#8 PEM
 *
 * The CA key lives outside ipsec.d on purpose: the daemon never needs it,
 * it is only kept so that more certificates can be issued later, and an
 * operator who mounts or copies ipsec.d elsewhere does not carry it along.
 *
 * Keys: RSA-3072 for CA and server (see crypto/pki.h for why RSA and why
 * 3072). CA valid 10 years, server certificate 5 years.
 *
 * Failure handling: DIR must not exist, or be an empty directory. Every
 * file is created with O_EXCL; ipsec.conf is written to a temporary name
 * and renamed into place as the very last step, so a half-made DIR never
 * looks configured. If anything fails, everything created so far is
 * removed again (DIR too, when this call created it). */
#ifndef CYGNET_FIRSTRUN_H
#define CYGNET_FIRSTRUN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <ifaddrs.h>
#include <sys/socket.h>

#define FIRSTRUN_PASSWORD_LEN 20      /* generated passwords */
#define FIRSTRUN_MAX_PASSWORD 127     /* given ones: 8..127 characters */
#define FIRSTRUN_MAX_POOLS 4
#define FIRSTRUN_MAX_USERS 16
#define FIRSTRUN_MAX_DNS 4
#define FIRSTRUN_DEFAULT_USER "vpnuser"

/* Whether the first start serves IPv6 (an IPv6 pool, its resolver and
 * ::/0 in leftsubnet): AUTO = when this host has IPv6 connectivity
 * (firstrun_ipv6_connected), or when an IPv6 pool is given. */
enum firstrun_ipv6 {
	FIRSTRUN_IPV6_AUTO = 0,
	FIRSTRUN_IPV6_YES,
	FIRSTRUN_IPV6_NO,
};

struct firstrun_user {
	const char *name;       /* see firstrun_check_user */
	const char *password;   /* NULL: a random one; else firstrun_check_password */
};

struct firstrun_opts {
	/* DNS name or IP address the clients dial. NULL = detect
	 * (firstrun_pick_server_id): a public address of this host, else a
	 * private one, which the banner then warns about. */
	const char *server_id;
	/* Address pools as CIDRs ("10.8.0.0/24", "fd12:3456:789a:1::/112"),
	 * at most one IPv4 and one IPv6; host bits must be zero and the
	 * prefix must leave at least 2 client addresses (IPv4 <= /30, IPv6
	 * <= /126). n_pools == 0: a random 10.X.Y.0/24, and a random ULA
	 * fdXX:XXXX:XXXX:XXXX::/112 (RFC 4193 random global and subnet id)
	 * when IPv6 is on (see ipv6). Pools given: those; a random ULA pool is
	 * added only when ipv6 is YES and none is given; an IPv6 pool with
	 * ipv6 NO is refused. */
	const char *pools[FIRSTRUN_MAX_POOLS];
	int n_pools;
	/* Resolvers pushed to the clients (rightdns=), IPv4/IPv6 addresses.
	 * n_dns == 0: 1.1.1.1 with an IPv4 pool, 2606:4700:4700::1111 with an
	 * IPv6 pool. */
	const char *dns[FIRSTRUN_MAX_DNS];
	int n_dns;
	/* EAP-MSCHAPv2 users; n_users == 0: one "vpnuser" with a random
	 * password. Names must differ. */
	struct firstrun_user users[FIRSTRUN_MAX_USERS];
	int n_users;
	enum firstrun_ipv6 ipv6;
	/* storage for what firstrun_opts_from_env parsed (passwords:
	 * firstrun_opts_wipe) */
	char envbuf[2048];
};

struct firstrun_result {
	char dir[PATH_MAX];              /* absolute */
	char server_id[256];
	bool server_id_detected;         /* true when opts->server_id was NULL */
	bool server_id_is_ip;
	/* detected, and not a public address: clients outside this host's
	 * networks cannot reach it (container, NAT); the banner says so */
	bool server_id_private;
	/* the first user, also users[0] (wipe: firstrun_result_wipe) */
	char user[64];
	char password[FIRSTRUN_MAX_PASSWORD + 1];
	struct {
		char name[64];
		char password[FIRSTRUN_MAX_PASSWORD + 1];
		bool generated;          /* random, printed once */
	} users[FIRSTRUN_MAX_USERS];
	int n_users;
	char ca_cert[PATH_MAX];          /* absolute path of ipsec.d/cacerts/ca.pem */
	char ca_key[PATH_MAX];           /* absolute path of ca/ca.key */
	char pools[2][64];               /* IPv4 pool first, if any */
	int n_pools;
	char dns[256];                   /* the rightdns= value written */
	bool dns_given;                  /* opts->n_dns > 0 */
	bool ipv6;                       /* an IPv6 pool was written */
	bool ipv6_detected;              /* ipv6 AUTO found IPv6 connectivity */
	enum firstrun_ipv6 ipv6_asked;
};

/* true when neither DIR/ipsec.conf nor DIR/swanctl.conf exists (ENOENT,
 * also for a missing DIR). Any other stat error returns false: loading the
 * config will then report it. */
bool firstrun_needed(const char *dir);

/* Creates the configuration described at the top. 0 on success with res
 * filled; -1 with a one-line reason in err, and nothing left behind. res
 * holds the password: call firstrun_result_wipe when done with it. */
int firstrun_create(const char *dir, const struct firstrun_opts *o,
                    struct firstrun_result *res, char *err, size_t errlen);

/* Prints the block an operator copies to the clients: server address,
 * remote ID, user, password, CA certificate and, per platform, what to do
 * with it. The password is printed: send `out` to the operator's
 * terminal, never to a log. */
void firstrun_print(FILE *out, const struct firstrun_result *res);

void firstrun_result_wipe(struct firstrun_result *res);

/* ---- environment (docker): defaults for the first start's flags ----
 *
 *   CYGNET_SERVER_ID  server name or address          (--server-id)
 *   CYGNET_POOLS      CIDRs, comma and/or space separated  (--pool)
 *   CYGNET_DNS        resolver addresses, same separators  (--dns)
 *   CYGNET_USERS      "NAME[:PASSWORD] ...", space separated (--vpn-user,
 *                     which takes no password: that one is random)
 *   CYGNET_IPV6       auto | yes | no                 (--ipv6 / --no-ipv6)
 *
 * Fills every field of o still at its zero value (no flag given) from
 * the variable, copying the text into o->envbuf. A field a flag set is
 * left alone. 0, or -1 with "VARIABLE: what is wrong" in err. */
int firstrun_opts_from_env(struct firstrun_opts *o, char *err, size_t errlen);

/* Wipes o->envbuf (passwords from CYGNET_USERS). */
void firstrun_opts_wipe(struct firstrun_opts *o);

/* The CYGNET_* variables that are set (names only, never the values),
 * comma separated, into out; "" when none. For the "ignored" log line. */
void firstrun_env_names(char *out, size_t outlen);

/* Wipes the values of the CYGNET_* variables in this process's
 * environment (CYGNET_USERS may hold passwords) and unsets them, so that
 * neither the daemon, its helper nor a leftupdown script keeps them. */
void firstrun_env_clear(void);

/* ---- re-issuing the server certificate -----------------------------
 *
 * For a configuration the first start made (DIR/ca/ca.key and
 * DIR/ipsec.d/cacerts/ca.pem present): a new certificate for new_id
 * (DNS name or address) over the existing key DIR/ipsec.d/private/
 * server.key, replacing DIR/ipsec.d/certs/server.pem; in ipsec.conf every
 * leftid= whose value is the old certificate's identity (with or without
 * '@', quoted or not) gets the new one, and so does the first start's
 * comment naming it; every other byte stays. ipsec.secrets, the key and
 * the CA are not touched. Both files are written to a temporary name in
 * their directory (O_EXCL, no symlink followed; ipsec.conf keeps its mode
 * and owner) and renamed into place; ipsec.conf itself must not be a
 * symlink. A running daemon takes the new certificate and leftid on
 * reload. 0 with old_id (the certificate's previous identity) and the
 * number of rewritten leftid lines filled; -1 with a reason in err and
 * nothing changed. */
int firstrun_reissue(const char *dir, const char *new_id, char *old_id, size_t old_idlen,
                     int *n_leftid, char *err, size_t errlen);

/* ---- exposed for tests and for cygnetd's own option checks ---- */

/* Checks one pool CIDR as described at struct firstrun_opts; returns its
 * family (AF_INET / AF_INET6), or -1 with a reason in err. */
int firstrun_check_pool(const char *cidr, char *err, size_t errlen);

/* A user name: letters, digits, '.', '_', '-', '@'; 1..63 characters,
 * not starting with '-' or '@'. A password: 8..127 printable ASCII
 * characters without space, '"' and '\\' (so it is the same in
 * ipsec.secrets, in every client's form and in an environment list).
 * true when acceptable. */
bool firstrun_check_user(const char *name);
bool firstrun_check_password(const char *pw);

/* true for an address clients on the internet can reach: IPv4 outside
 * the special-purpose ranges of RFC 6890 (private, CGNAT, loopback,
 * link-local, benchmarking, documentation, multicast, reserved); IPv6 in
 * 2000::/3 outside 2001:db8::/32. sa: AF_INET or AF_INET6. */
bool firstrun_addr_public(const struct sockaddr *sa);

/* The server id detection (NULL server_id), over the interfaces in ifs
 * (getifaddrs; up, not loopback): the first public IPv4 address, else a
 * public IPv6 address, else a private IPv4 address, else a ULA. 0 with
 * the address in out and *is_public set; -1 when there is no usable
 * address (err says so). */
int firstrun_pick_server_id(const struct ifaddrs *ifs, char *out, size_t outlen,
                            bool *is_public, char *err, size_t errlen);

/* firstrun_pick_server_id over this host's interfaces, else the host name
 * when it is a DNS name (then *is_public is false). */
int firstrun_detect_server_id(char *out, size_t outlen, bool *is_public,
                              char *err, size_t errlen);

/* IPv6 connectivity: an up, non-loopback interface in ifs with a public
 * IPv6 address (firstrun_addr_public), and an IPv6 default route in
 * ipv6_route (the text of /proc/net/ipv6_route: ::/0, up, not a reject
 * route, not on "lo"). NULL ipv6_route: no route. */
bool firstrun_ipv6_connected(const struct ifaddrs *ifs, const char *ipv6_route);

#endif
