/* The daemon's configuration: ipsec.conf and ipsec.secrets from the config
 * dir, with every file they name resolved as strongSwan resolves it,
 * certificates and keys loaded and checked, pools created. */
#ifndef CYGNET_CONFIG_H
#define CYGNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "conf/ipsec_conf.h"
#include "conf/secrets.h"
#include "src/ident.h"

struct pool;

#define CFG_MAX_POOLS 32

/* one conn, ready for the IKE code */
struct peer_cfg {
	struct conf_conn *conn;         /* parsed (owned by config->conf) */
	const char *name;
	struct ident local_id;          /* leftid, or the certificate's subject */
	struct ident remote_id;         /* rightid, type 0 = %any */
	X509 *cert;                     /* leftcert */
	STACK_OF(X509) *chain;          /* intermediates to send */
	EVP_PKEY *key;                  /* its private key from ipsec.secrets */
	struct pool *pool4, *pool6;     /* from rightsourceip (shared by range) */
	struct proposal_list ike, esp;  /* effective: configured + defaults unless '!' */
	struct config *owner;
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
};

struct config_set {
	struct config *head;
	int members;
};

/* Loads DIR/ipsec.conf and DIR/ipsec.secrets. NULL with one
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
 * same process are never looked at. */
void config_adopt_pools(struct config *cfg, struct config *old);
/* every configuration of cfg's set (cfg's daemon's current one and those
 * its established IKE_SAs still hold), linked by live_next */
struct config *config_live(const struct config *cfg);

/* the EAP secret for a user name, NULL if none; len in *len */
const char *config_eap_secret(const struct config *cfg, const char *user, size_t *len);
/* the same lookup, giving the account name as ipsec.secrets writes it
 * (owned by cfg) and its secret in *secret / *len; NULL if none */
const char *config_eap_account(const struct config *cfg, const char *user, const char **secret,
                               size_t *len);

/* resolves a file name as strongSwan does: absolute as is, else under
 * DIR/sub (e.g. "ipsec.d/certs") */
void config_path(const struct config *cfg, const char *sub, const char *name,
                 char *out, size_t outlen);

#endif
