/* The daemon's configuration: ipsec.conf and ipsec.secrets from the config
 * dir, with every file they name resolved as strongSwan resolves it,
 * certificates and keys loaded and checked, pools created. */
#ifndef CYGNET_CONFIG_H
#define CYGNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "conf/ipsec_conf.h"
#include "conf/radius_conf.h"
#include "conf/secrets.h"
#include "src/ident.h"

struct pool;

#define CFG_MAX_POOLS 32

/* one conn, ready for the IKE code.
 *
 * A conn is loaded in one of two roles. A server conn (rightauth= an EAP
 * method, or right= not one dialable host) authenticates itself with
 * leftauth= pubkey (the default: leftcert= and its key are required) or
 * psk (a PSK entry must exist; leftcert= optional), and its clients with
 * rightauth= (strongSwan's default pubkey) pubkey or eap-tls (client
 * certificates: ipsec.d/cacerts must hold a CA, or rightcert= pins the
 * certificate), psk (a PSK entry must exist), eap-mschapv2 or eap-md5
 * (EAP secrets, looked up when a client logs in); rightauth2= asks for a
 * second round (RFC 4739) with one of the same methods. A client conn
 * (client = true: config_conn_initiates() and rightauth is not EAP)
 * authenticates itself with leftauth= pubkey
 * (the default; leftcert= and its key are loaded as a server's are),
 * eap-mschapv2 (no certificate: the EAP secret of eap_identity=, else of
 * leftid=, must be in ipsec.secrets) or psk (a PSK entry must exist), and
 * expects the server to authenticate with rightauth= pubkey (the
 * default) or psk. */
struct peer_cfg {
	struct conf_conn *conn;         /* parsed (owned by config->conf) */
	const char *name;
	bool client;                    /* loaded as a client conn (above) */
	/* leftid; else the certificate's subject; else (a client without
	 * leftcert) type 0: use the local IP address, strongSwan's default */
	struct ident local_id;
	/* rightid; else on a client conn the right= host as an identity (an
	 * address, or a DNS name as FQDN), strongSwan's default; else type 0
	 * = %any */
	struct ident remote_id;
	X509 *cert;                     /* leftcert; NULL on a client conn without one */
	STACK_OF(X509) *chain;          /* intermediates to send */
	EVP_PKEY *key;                  /* its private key from ipsec.secrets */
	/* rightca= (or %same: leftca=) resolved to the CA certificate in
	 * ipsec.d/cacerts with that subject; the peer's chain must end there.
	 * NULL: no constraint (any loaded CA). Owned (freed with the config). */
	X509 *remote_ca;
	struct pool *pool4, *pool6;     /* from rightsourceip (shared by range) */
	struct proposal_list ike, esp;  /* effective: configured + defaults unless '!' */
	struct config *owner;
	/* rightcert=: the peer's own certificate from ipsec.d/certs, pinned
	 * as strongSwan pins it (the peer must authenticate with exactly this
	 * certificate); it also gives remote_id its default, the certificate's
	 * subject DN, when rightid= is not given. NULL if not given. Owned. */
	X509 *remote_cert;
};

struct config {
	char dir[512];
	struct ipsec_conf *conf;
	struct secrets *secrets;
	struct peer_cfg *peers;
	int n_peers;
	struct pool *pools[CFG_MAX_POOLS];
	int n_pools;
	STACK_OF(X509) *cacerts;
	/* the daemon holds its current configuration, every IKE_SA the one
	 * its conn came from: a reload never pulls a conn, certificate or
	 * pool from under an established SA */
	int refs;
	/* the configurations of one daemon still in use: the current one
	 * and those established IKE_SAs hold (a reload joins the new one to
	 * the old one's set), linked by live_next */
	struct config_set *set;
	struct config *live_next;
	/* every CRL in ipsec.d/crls (PEM, one or more per file, or DER), as
	 * loaded; a CRL whose signature does not verify with the CA in
	 * ipsec.d/cacerts that issued it is dropped with a warning, as are
	 * unparsable files (strongSwan skips those too); a CRL of an unknown
	 * issuer or past its nextUpdate is kept with a warning. Never NULL
	 * after config_load. conf->strictcrlpolicy says what a missing or
	 * stale CRL means. */
	STACK_OF(X509_CRL) *crls;
	/* the eap-radius section of DIR/strongswan.conf (conf/radius_conf.h);
	 * never NULL after config_load, radius->enabled false without one */
	struct radius_conf *radius;
};

struct config_set {
	struct config *head;
	int members;
};

/* Loads DIR/ipsec.conf and DIR/ipsec.secrets (or DIR/swanctl.conf), and
 * the RADIUS settings of DIR/strongswan.conf. NULL with one
 * "file:line: reason" (or "file: reason") line in err. Warnings (keywords
 * not implemented yet, includes that matched nothing) are logged. */
struct config *config_load(const char *dir, char *err, size_t errlen);
/* drops a reference (config_load gives one); the last frees it */
void config_free(struct config *cfg);
void config_ref(struct config *cfg);

/* A reload: joins cfg (fresh from config_load) to old's set and makes it
 * use the pool objects, and so the leases, of any configuration of that
 * set with the same range, so a reload hands out no address that an
 * established session holds. Configurations of another daemon in the
 * same process are never looked at. Reservations (below) are made again
 * in the adopted pools.
 *
 * Per-user addresses: a conn whose rightsourceip= is a single address
 * (seed 000's "static-ip-for-putin", rightid=putin) gets a pool of that
 * one address. When the address lies inside another conn's pool,
 * config_load reserves it there: that pool holds it as an online lease of
 * the identity "%reserved:CONN" (shown so by cygnetctl leases), so it
 * never hands it to anyone else (strongSwan keeps such pools apart and
 * may give the address out twice). A reload that drops the conn leaves
 * the reservation in a pool it adopts until the next restart. Other
 * overlapping pools are logged at load (they may hand out one address
 * twice, as in strongSwan). */
void config_adopt_pools(struct config *cfg, struct config *old);
/* RADIUS's Framed-Pool (RFC 2869 attribute 88): the pool named name for
 * family (AF_INET/AF_INET6), as strongSwan names its in-memory pools:
 *  - ipsec.conf: a conn's rightsourceip pools carry the conn's name;
 *  - swanctl.conf: the pools section's NAME of `pools { NAME { addrs } }`
 *    (only pools some connection's `pools =` uses exist as pools);
 *  - either: the pool's range as written, one CIDR, address or "a-b"
 *    range ("10.10.0.0/24" names the pool of exactly that range).
 * Only pools shared by clients may be picked: a pool some conn with
 * rightid=%any (any client) uses. A pool only conns for one identity use
 * (seed 000's "static-ip-for-putin") holds that user's own address and is
 * never handed to somebody else by RADIUS.
 * Returns the pool, or NULL with *why: CFG_POOL_UNKNOWN (no pool of that
 * name at all), CFG_POOL_FAMILY (the name has no pool of family),
 * CFG_POOL_PRIVATE (only per-identity conns use it). */
enum { CFG_POOL_UNKNOWN = 1, CFG_POOL_FAMILY, CFG_POOL_PRIVATE };
struct pool *config_pool_named(const struct config *cfg, const char *name, int family,
                               int *why);
/* the names config_pool_named knows (shared pools only), ", "-separated
 * into out (truncated with "..."), for log lines; "none" when there is none */
void config_pool_names(const struct config *cfg, char *out, size_t outlen);
/* every configuration of cfg's set (cfg's daemon's current one and those
 * its established IKE_SAs still hold), linked by live_next */
struct config *config_live(const struct config *cfg);

/* The EAP credentials of an account: the first EAP, XAUTH or NTLM entry of
 * ipsec.secrets (in file order) whose selectors include user exactly. */
struct eap_cred {
	const char *account;        /* the selector as written (owned by cfg) */
	const char *password;       /* EAP/XAUTH: the secret (not NUL-terminated in
	                             * general), NULL for an NTLM entry */
	size_t password_len;
	const uint8_t *nt_hash;     /* NTLM: the 16-byte NT hash (RFC 2759
	                             * NtPasswordHash), NULL for EAP/XAUTH */
	const struct secret *entry; /* file:line for messages */
};
/* true with *out filled when user has an entry; false (out zeroed) if
 * not. What EAP-MSCHAPv2 needs is the NT hash: mschap_nt_hash(password)
 * or nt_hash as it is. */
bool config_eap_cred(const struct config *cfg, const char *user, struct eap_cred *out);

/* the EAP password for a user name, NULL if none (also when the user's
 * entry is an NTLM hash: config_eap_cred gives both kinds); len in *len */
const char *config_eap_secret(const struct config *cfg, const char *user, size_t *len);
/* the same lookup, giving the account name as ipsec.secrets writes it
 * (owned by cfg) and its password in *secret / *len; NULL if none (or an
 * NTLM entry) */
const char *config_eap_account(const struct config *cfg, const char *user, const char **secret,
                               size_t *len);

/* The DNS servers to send to a client of server conn pc
 * (INTERNAL_IP4_DNS / INTERNAL_IP6_DNS): its rightdns= if given, else
 * dns1= and dns2= of config setup. Up to max into out; returns how many.
 * The NetBIOS name servers (INTERNAL_IP4_NBNS): nbns1= and nbns2= of
 * config setup, IPv4 only. */
int config_conn_dns(const struct peer_cfg *pc, struct conf_addr *out, int max);
int config_conn_nbns(const struct peer_cfg *pc, struct conf_addr *out, int max);

/* The pre-shared key for an IKE_SA between identities me and peer (either
 * may be NULL: not known yet), from the PSK entries of ipsec.secrets, as
 * strongSwan's credential manager ranks them. Each entry's selectors are
 * its owners; an entry without selectors has the one owner %any. For a
 * given id, an entry's match is the best over its owners of:
 *   PERFECT (20)      the owner equals the id (FQDN/RFC822 without regard
 *                     to case, DNs as X.509 names); or both are %any
 *   ONE_WILDCARD (19) an FQDN/RFC822 owner "*suffix" whose suffix ends the
 *                     id (the id at least as long as the owner)
 *   ANY (1)           the owner is %any (or "*") and the id is not %any
 *   NONE (0)          otherwise
 * An entry whose match is NONE for both ids (of those given) is skipped.
 * The best entry has the highest peer match, and among those the highest
 * me match; on a tie the entry written last wins (strongSwan keeps newer
 * entries first). So "me peer : PSK" beats "peer : PSK" beats ": PSK";
 * note that an entry naming only me (peer match NONE) ranks below ": PSK".
 * Returns the secret (owned by cfg, not NUL-terminated in general) with
 * its length in *len, or NULL when no entry matches (always NULL when
 * both ids are NULL, as in strongSwan). */
const uint8_t *config_psk(const struct config *cfg, const struct ident *me,
                          const struct ident *peer, size_t *len);

/* true when the conn's right= names one host to dial (an address or a DNS
 * name, conf_host_is_specific()), not %any/%any4/%any6/empty: strongSwan
 * can only initiate such conns */
bool config_conn_initiates(const struct peer_cfg *pc);

/* resolves a file name as strongSwan does: absolute as is, else under
 * DIR/sub (e.g. "ipsec.d/certs") */
void config_path(const struct config *cfg, const char *sub, const char *name,
                 char *out, size_t outlen);

#endif
