/* First-run bootstrap: when cygnetd starts with a config dir that has no
 * ipsec.conf, it creates a complete working configuration (own CA, server
 * certificate, one EAP-MSCHAPv2 user, address pools) and prints what a
 * client needs to connect.
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

#define FIRSTRUN_PASSWORD_LEN 20
#define FIRSTRUN_MAX_POOLS 4
#define FIRSTRUN_DEFAULT_USER "vpnuser"

struct firstrun_opts {
	/* DNS name or IP address the clients dial. NULL = detect: the first
	 * global (not loopback, not link-local) IPv4 address of an interface
	 * that is up, public addresses before private ones; else a global
	 * IPv6 address (ULA last); else the host name. */
	const char *server_id;
	/* Address pools as CIDRs ("10.8.0.0/24", "fd12:3456:789a:1::/112"),
	 * at most one IPv4 and one IPv6; host bits must be zero and the
	 * prefix must leave at least 2 client addresses (IPv4 <= /30, IPv6
	 * <= /126). n_pools == 0: a random 10.X.Y.0/24 and a random ULA
	 * fdXX:XXXX:XXXX:XXXX::/112 (RFC 4193 random global and subnet id). */
	const char *pools[FIRSTRUN_MAX_POOLS];
	int n_pools;
	/* EAP user name, NULL = "vpnuser". Letters, digits, '.', '_', '-',
	 * '@'; 1..63 characters, not starting with '-' or '@'. */
	const char *user;
};

struct firstrun_result {
	char dir[PATH_MAX];              /* absolute */
	char server_id[256];
	bool server_id_detected;         /* true when opts->server_id was NULL */
	bool server_id_is_ip;
	char user[64];
	char password[FIRSTRUN_PASSWORD_LEN + 1];   /* wipe: firstrun_result_wipe */
	char ca_cert[PATH_MAX];          /* absolute path of ipsec.d/cacerts/ca.pem */
	char ca_key[PATH_MAX];           /* absolute path of ca/ca.key */
	char pools[2][64];               /* IPv4 pool first, if any */
	int n_pools;
	char dns[128];                   /* the rightdns= value written */
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

/* Exposed for tests and for cygnetd's own option checks. */

/* Checks one pool CIDR as described at struct firstrun_opts; returns its
 * family (AF_INET / AF_INET6), or -1 with a reason in err. */
int firstrun_check_pool(const char *cidr, char *err, size_t errlen);

/* The server id detection described at struct firstrun_opts. 0 on
 * success, -1 with a reason in err. */
int firstrun_detect_server_id(char *out, size_t outlen, char *err, size_t errlen);

#endif
