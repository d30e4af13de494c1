/* Loading the configuration dir into runtime structures. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "crypto/cert.h"
#include "crypto/sig.h"
#include "conf/conf_files.h"
#include "conf/conf_util.h"
#include "conf/conf_values.h"
#include "conf/swanctl_conf.h"
#include "src/config.h"
#include "src/log.h"
#include "src/pool.h"

void config_path(const struct config *cfg, const char *sub, const char *name,
                 char *out, size_t outlen)
{
	if (name[0] == '/')
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "%s/%s/%s", cfg->dir, sub, name);
}

static void range_name(const struct conf_range *r, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	inet_ntop(r->family, r->from, a, sizeof(a));
	inet_ntop(r->family, r->to, b, sizeof(b));
	snprintf(out, outlen, "%s-%s", a, b);
}

static struct pool *pool_for(struct config *cfg, const struct conf_range *r)
{
	size_t alen = r->family == AF_INET ? 4 : 16;
	for (int i = 0; i < cfg->n_pools; i++) {
		struct pool *p = cfg->pools[i];
		if (pool_family(p) == r->family && pool_contains(p, r->from) &&
		    pool_contains(p, r->to)) {
			char name[128];
			range_name(r, name, sizeof(name));
			if (strcmp(name, pool_name(p)) == 0)
				return p;
		}
	}
	if (cfg->n_pools == CFG_MAX_POOLS)
		return NULL;
	char name[128];
	range_name(r, name, sizeof(name));
	(void)alen;
	struct pool *p = pool_new(name, r->family, r->from, r->to);
	if (p)
		cfg->pools[cfg->n_pools++] = p;
	return p;
}

/* ---- pools by name (RADIUS's Framed-Pool) ---- */

/* the name of pc's rightsourceip range i: swanctl's pool section, or the
 * conn's own name (ipsec.conf) */
static const char *range_label(const struct config *cfg, const struct peer_cfg *pc, int i)
{
	if (cfg->conf->swanctl)
		return pc->conn->pool_name[i];
	return pc->conn->name;
}

static struct pool *range_pool(const struct peer_cfg *pc, int i)
{
	return pc->conn->right.sourceip[i].family == AF_INET ? pc->pool4 : pc->pool6;
}

/* some conn for any client uses p */
static bool pool_shared(const struct config *cfg, const struct pool *p)
{
	for (int i = 0; i < cfg->n_peers; i++) {
		const struct peer_cfg *pc = &cfg->peers[i];
		if (!pc->client && (pc->pool4 == p || pc->pool6 == p) && ident_is_any(&pc->remote_id))
			return true;
	}
	return false;
}

struct pool *config_pool_named(const struct config *cfg, const char *name, int family,
                               int *why)
{
	struct pool *found = NULL;
	bool named = false, fam = false;
	for (int i = 0; i < cfg->n_peers && !found; i++) {
		const struct peer_cfg *pc = &cfg->peers[i];
		for (int k = 0; !pc->client && k < pc->conn->right.n_sourceip; k++) {
			struct pool *p = range_pool(pc, k);
			const char *l = range_label(cfg, pc, k);
			if (!p || !*l || strcmp(l, name) != 0)
				continue;
			named = true;
			if (pool_family(p) != family)
				continue;
			fam = true;
			if (pool_shared(cfg, p)) {
				found = p;
				break;
			}
		}
	}
	/* the range as written: exactly one range, the pool of that range */
	struct conf_range r[CONF_MAX_NETS];
	int n = 0;
	bool c = false;
	char e[256], text[128];
	if (!found && !named && strchr(name, '%') == NULL &&
	    cv_sourceip_list(name, r, &n, &c, e, sizeof(e)) == 0 && n == 1 && !c) {
		range_name(&r[0], text, sizeof(text));
		for (int i = 0; i < cfg->n_pools; i++) {
			if (strcmp(pool_name(cfg->pools[i]), text) != 0)
				continue;
			named = true;
			if (pool_family(cfg->pools[i]) != family)
				continue;
			fam = true;
			if (pool_shared(cfg, cfg->pools[i]))
				found = cfg->pools[i];
		}
	}
	if (!found && why)
		*why = !named ? CFG_POOL_UNKNOWN : !fam ? CFG_POOL_FAMILY : CFG_POOL_PRIVATE;
	return found;
}

void config_pool_names(const struct config *cfg, char *out, size_t outlen)
{
	size_t used = 0;
	bool cut = false;
	if (!outlen)
		return;
	out[0] = '\0';
	for (int i = 0; i < cfg->n_peers; i++) {
		const struct peer_cfg *pc = &cfg->peers[i];
		for (int k = 0; !pc->client && k < pc->conn->right.n_sourceip; k++) {
			struct pool *p = range_pool(pc, k);
			const char *l = range_label(cfg, pc, k);
			if (!p || !*l || !pool_shared(cfg, p))
				continue;
			/* once per name */
			bool seen = false;
			for (int j = 0; j <= i && !seen; j++) {
				const struct peer_cfg *q = &cfg->peers[j];
				for (int m = 0; !q->client && m < q->conn->right.n_sourceip && !seen; m++) {
					if (j == i && m >= k)
						break;
					seen = range_pool(q, m) && pool_shared(cfg, range_pool(q, m)) &&
					       strcmp(range_label(cfg, q, m), l) == 0;
				}
			}
			if (seen)
				continue;
			size_t need = strlen(l) + (used ? 2 : 0);
			if (used + need + 4 >= outlen) {
				cut = true;
				continue;
			}
			used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", l);
		}
	}
	if (cut && used + 4 < outlen)
		snprintf(out + used, outlen - used, "...");
	else if (!used)
		snprintf(out, outlen, "none");
}

/* appends src's proposals to dst (up to PROP_MAX) */
static void props_append(struct proposal_list *dst, const struct proposal_list *src)
{
	for (int i = 0; i < src->n && dst->n < PROP_MAX; i++)
		dst->p[dst->n++] = src->p[i];
}

static void effective_props(struct proposal_list *out, const struct proposal_list *conf,
                            bool set, enum prop_proto proto)
{
	struct proposal_list def;
	proposal_defaults(proto, &def);
	memset(out, 0, sizeof(*out));
	if (!set) {
		*out = def;
		return;
	}
	props_append(out, conf);
	if (!conf->strict)
		props_append(out, &def);
	out->strict = conf->strict;
}

/* one line per keyword as written: a %default key is shared by conns */
static bool pending_seen(const struct ipsec_conf *conf, int upto, const struct conf_pending *p)
{
	for (int i = 0; i < upto; i++) {
		const struct conf_conn *c = &conf->conns[i];
		for (int j = 0; j < c->n_pending; j++)
			if (c->pending[j].file == p->file && c->pending[j].line == p->line)
				return true;
	}
	return false;
}

static void log_pending(const struct ipsec_conf *conf, int conn_index,
                        const struct conf_pending *p, int n)
{
	for (int i = 0; i < n; i++) {
		if (conn_index >= 0 && pending_seen(conf, conn_index, &p[i]))
			continue;
		if (strcmp(p[i].key, "auto") == 0 && strcmp(p[i].value, "route") == 0) {
			log_err(LOG_CFG, "%s:%d: auto=route: cygnet has no trap policies, so the conn "
			        "is loaded as with auto=add", p[i].file, p[i].line);
			continue;
		}
		log_err(LOG_CFG, "%s:%d: %s=%s is accepted but not implemented yet: "
		        "cygnet behaves as without it", p[i].file, p[i].line, p[i].key, p[i].value);
	}
}

/* loads every private key named in ipsec.secrets once */
struct keyref {
	EVP_PKEY *key;
	const struct secret *s;
};

static int load_keys(struct config *cfg, struct keyref **out, int *n_out,
                     char *err, size_t errlen)
{
	struct keyref *keys = calloc((size_t)cfg->secrets->n + 1, sizeof(*keys));
	int n = 0;
	if (!keys) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < cfg->secrets->n; i++) {
		const struct secret *s = &cfg->secrets->s[i];
		if (s->type != SECRET_RSA && s->type != SECRET_ECDSA && s->type != SECRET_PRIVATE)
			continue;
		char path[1024], why[1400], reason[256];
		config_path(cfg, swanctl_key_subdir(cfg->conf->swanctl, s->type), s->value, path,
		            sizeof(path));
		size_t len = 0;
		char *text = conf_read_file(path, &len, reason, sizeof(reason));
		EVP_PKEY *k = NULL;
		if (text) {
			k = privkey_parse((const uint8_t *)text, len, path, why, sizeof(why));
			OPENSSL_cleanse(text, len);
			free(text);
		} else {
			snprintf(why, sizeof(why), "%s: %s", path, reason);
		}
		if (!k) {
			snprintf(err, errlen, "%s:%d: %s", s->file, s->line, why);
			goto fail;
		}
		const char *t = privkey_type(k);
		if ((s->type == SECRET_RSA && strcmp(t, "RSA") != 0) ||
		    (s->type == SECRET_ECDSA && strcmp(t, "ECDSA") != 0)) {
			snprintf(err, errlen, "%s:%d: %s is a%s %s key, not %s", s->file, s->line,
			         path, t[0] == 'E' ? "n" : "", t[0] ? t : "unsupported",
			         s->type == SECRET_RSA ? "RSA" : "ECDSA");
			EVP_PKEY_free(k);
			goto fail;
		}
		keys[n].key = k;
		keys[n].s = s;
		n++;
	}
	*out = keys;
	*n_out = n;
	return 0;
fail:
	for (int i = 0; i < n; i++)
		EVP_PKEY_free(keys[i].key);
	free(keys);
	return -1;
}

/* appends every certificate in the file at path to out */
static int read_certs(const char *path, STACK_OF(X509) *out, char *why, size_t whylen)
{
	size_t len = 0;
	char reason[256];
	char *text = conf_read_file(path, &len, reason, sizeof(reason));
	if (!text) {
		snprintf(why, whylen, "%.1024s: %s", path, reason);
		return -1;
	}
	int rc = cert_parse((const uint8_t *)text, len, path, out, why, whylen);
	free(text);
	return rc;
}

/* the first certificate in a file */
static X509 *load_cert(const char *path, char *why, size_t whylen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x = NULL;

	if (!sk)
		snprintf(why, whylen, "out of memory");
	else if (read_certs(path, sk, why, whylen) == 0)
		x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

/* every certificate in every regular file of dir (a missing dir has none) */
static int load_cert_dir(const char *dir, STACK_OF(X509) *out, char *why, size_t whylen)
{
	char **paths = NULL, reason[256];
	int n = 0, rc = 0;

	if (conf_list_dir(dir, &paths, &n, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "%.1024s: %s", dir, reason);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = read_certs(paths[i], out, why, whylen);
	conf_strv_free(paths, n);
	return rc;
}

/* leftcert= and its private key into pc, as every conn that signs loads
 * them; what says which conn in err is "FILE:LINE: conn 'NAME': " */
static int load_local_cert(struct config *cfg, struct peer_cfg *pc, struct conf_conn *c,
                           struct keyref *keys, int n_keys, char *err, size_t errlen)
{
	char path[1024], why[1400];

	config_path(cfg, swanctl_subdir(cfg->conf->swanctl, SUBDIR_CERTS), c->left.cert, path,
	            sizeof(path));
	pc->cert = load_cert(path, why, sizeof(why));
	if (!pc->cert) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftcert: %s", c->file, c->line, c->name, why);
		return -1;
	}
	for (int i = 0; i < n_keys && !pc->key; i++) {
		if (cert_key_matches(pc->cert, keys[i].key)) {
			pc->key = keys[i].key;
			EVP_PKEY_up_ref(pc->key);
		}
	}
	if (!pc->key) {
		snprintf(err, errlen, "%s:%d: conn '%s': no private key in ipsec.secrets matches "
		         "certificate %s", c->file, c->line, c->name, path);
		return -1;
	}
	pc->chain = cert_chain(pc->cert, cfg->cacerts);
	return 0;
}

/* local_id from leftid=, else from the certificate's subject (if any);
 * a leftid the certificate does not confirm is logged (peer_role: who
 * will refuse us for it; NULL: not here) */
static int local_identity(struct peer_cfg *pc, struct conf_conn *c, const char *peer_role,
                          char *err, size_t errlen)
{
	if (c->left.id && strcmp(c->left.id, "%any") != 0) {
		if (ident_parse(c->left.id, &pc->local_id) != 0) {
			snprintf(err, errlen, "%s:%d: conn '%s': leftid '%s' is not a valid identity",
			         c->file, c->line, c->name, c->left.id);
			return -1;
		}
		/* a server's certificate is checked by check_server_certs() */
		if (pc->cert && peer_role &&
		    !cert_has_id(pc->cert, pc->local_id.type, pc->local_id.data, pc->local_id.len)) {
			char subj[256];
			cert_subject_text(pc->cert, subj, sizeof(subj));
			log_err(LOG_CFG, "%s:%d: conn '%s': leftid '%s' is not confirmed by certificate "
			        "'%s': %s that check it will refuse us", c->file, c->line,
			        c->name, c->left.id, subj, peer_role);
		}
		return 0;
	}
	if (!pc->cert)
		return 0;   /* type 0: the local address, decided when we connect */
	size_t dnlen;
	uint8_t *dn = cert_subject_der(pc->cert, &dnlen);
	if (!dn || dnlen > IDENT_MAX) {
		free(dn);
		snprintf(err, errlen, "%s:%d: conn '%s': cannot encode the certificate's subject",
		         c->file, c->line, c->name);
		return -1;
	}
	pc->local_id.type = ID_DER_ASN1_DN;
	memcpy(pc->local_id.data, dn, dnlen);
	pc->local_id.len = dnlen;
	free(dn);
	return 0;
}

static bool has_psk(const struct config *cfg)
{
	for (int i = 0; i < cfg->secrets->n; i++)
		if (cfg->secrets->s[i].type == SECRET_PSK)
			return true;
	return false;
}

/* a server conn: it authenticates with leftauth= pubkey (leftcert=) or
 * psk; its clients with rightauth= (pubkey when not given, as in
 * strongSwan) and maybe rightauth2= (see struct peer_cfg) */
static int setup_server_auth(struct config *cfg, struct peer_cfg *pc, struct conf_conn *c,
                             struct keyref *keys, int n_keys, char *err, size_t errlen)
{
	enum conf_auth la = c->left.auth == AUTH_UNSET ? AUTH_PUBKEY : c->left.auth;
	enum conf_auth ra = c->right.auth == AUTH_UNSET ? AUTH_PUBKEY : c->right.auth;
	enum conf_auth ra2 = c->right.auth2;

	if (la != AUTH_PUBKEY && la != AUTH_PSK) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftauth must be pubkey or psk (how the "
		         "server authenticates; %s is for clients)", c->file, c->line, c->name,
		         conf_auth_name(la));
		return -1;
	}
	if (la == AUTH_PUBKEY && !c->left.cert) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftcert= is missing (the server "
		         "authenticates with its certificate)", c->file, c->line, c->name);
		return -1;
	}
	if (c->left.cert && load_local_cert(cfg, pc, c, keys, n_keys, err, errlen) != 0)
		return -1;
	if ((la == AUTH_PSK || ra == AUTH_PSK || ra2 == AUTH_PSK) && !has_psk(cfg)) {
		snprintf(err, errlen, "%s:%d: conn '%s': %s=psk but ipsec.secrets has no PSK entry",
		         c->file, c->line, c->name, la == AUTH_PSK ? "leftauth" :
		         ra == AUTH_PSK ? "rightauth" : "rightauth2");
		return -1;
	}
	bool certs = ra == AUTH_PUBKEY || ra == AUTH_EAP_TLS || ra2 == AUTH_PUBKEY ||
	             ra2 == AUTH_EAP_TLS;
	if (certs && !c->right.cert && sk_X509_num(cfg->cacerts) == 0) {
		snprintf(err, errlen, "%s:%d: conn '%s': %s=%s but %s/ipsec.d/cacerts holds no CA "
		         "certificate (and rightcert= pins none) to check clients' certificates "
		         "against", c->file, c->line, c->name,
		         ra == AUTH_PUBKEY || ra == AUTH_EAP_TLS ? "rightauth" : "rightauth2",
		         conf_auth_name(ra == AUTH_PUBKEY || ra == AUTH_EAP_TLS ? ra : ra2), cfg->dir);
		return -1;
	}
	if ((ra == AUTH_EAP_RADIUS || ra2 == AUTH_EAP_RADIUS) && !cfg->radius->enabled) {
		snprintf(err, errlen, "%s:%d: conn '%s': %s=eap-radius but %s/strongswan.conf names "
		         "no RADIUS server (charon { plugins { eap-radius { servers { NAME { address, "
		         "secret } } } } })", c->file, c->line, c->name,
		         ra == AUTH_EAP_RADIUS ? "rightauth" : "rightauth2", cfg->dir);
		return -1;
	}
	if (c->right.sourceip_radius && ra != AUTH_EAP_RADIUS && ra2 != AUTH_EAP_RADIUS) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightsourceip=%%radius takes addresses from "
		         "RADIUS, but the conn authenticates its clients with %s, not eap-radius",
		         c->file, c->line, c->name, conf_auth_name(ra2 != AUTH_UNSET ? ra2 : ra));
		return -1;
	}
	/* group memberships come from RADIUS only */
	if (c->right.groups && ra != AUTH_EAP_RADIUS && ra2 != AUTH_EAP_RADIUS) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightgroups=%s, but only RADIUS tells cygnet "
		         "a user's groups (rightauth=eap-radius with class_group or filter_id in "
		         "strongswan.conf)", c->file, c->line, c->name, c->right.groups);
		return -1;
	}
	if (c->right.groups && !cfg->radius->class_group && !cfg->radius->filter_id)
		log_err(LOG_CFG, "%s:%d: conn '%s': rightgroups=%s, but strongswan.conf's eap-radius "
		        "has neither class_group = yes nor filter_id = yes: no user is in a group, so "
		        "none connects with this conn", c->file, c->line, c->name, c->right.groups);
	if ((ra == AUTH_EAP_TLS || ra2 == AUTH_EAP_TLS) &&
	    cfg->conf->strictcrlpolicy != CRL_POLICY_NO) {
		/* EAP-TLS checks CRLs it has, not their absence: refuse rather
		 * than ignore what the setting asks */
		snprintf(err, errlen, "%s:%d: conn '%s': strictcrlpolicy=%s is not built for EAP-TLS "
		         "clients yet (strictcrlpolicy=no checks the CRLs that are loaded)", c->file,
		         c->line, c->name,
		         cfg->conf->strictcrlpolicy == CRL_POLICY_YES ? "yes" : "ifuri");
		return -1;
	}
	return local_identity(pc, c, NULL, err, errlen);
}

/* a client conn: it authenticates with leftauth= (pubkey by default), the
 * server with rightauth= pubkey (default) or psk */
static int setup_client_auth(struct config *cfg, struct peer_cfg *pc, struct conf_conn *c,
                             struct keyref *keys, int n_keys, char *err, size_t errlen)
{
	enum conf_auth la = c->left.auth == AUTH_UNSET ? AUTH_PUBKEY : c->left.auth;

	if (la == AUTH_EAP_TLS || la == AUTH_EAP_MD5 || la == AUTH_EAP_RADIUS) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftauth=%s: as a client cygnet "
		         "authenticates with pubkey, psk or eap-mschapv2", c->file, c->line, c->name,
		         conf_auth_name(la));
		return -1;
	}
	if (la == AUTH_PUBKEY && !c->left.cert) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftcert= is missing (leftauth=pubkey, "
		         "the default, signs with a certificate)", c->file, c->line, c->name);
		return -1;
	}
	if (c->left.cert && load_local_cert(cfg, pc, c, keys, n_keys, err, errlen) != 0)
		return -1;
	if (local_identity(pc, c, "servers", err, errlen) != 0)
		return -1;
	if (la == AUTH_EAP_MSCHAPV2) {
		const char *user = c->eap_identity;
		size_t len;
		if (!user || strcmp(user, "%identity") == 0 || strcmp(user, "%any") == 0)
			user = c->left.id;
		if (!user || strcmp(user, "%any") == 0) {
			snprintf(err, errlen, "%s:%d: conn '%s': leftauth=eap-mschapv2 needs the user "
			         "name in eap_identity= or leftid=", c->file, c->line, c->name);
			return -1;
		}
		struct eap_cred cred;
		if (config_eap_cred(cfg, user, &cred) && !cred.password) {
			snprintf(err, errlen, "%s:%d: conn '%s': '%s' has an NTLM hash in ipsec.secrets "
			         "(%s:%d); as a client cygnet needs the password (%s : EAP \"password\")",
			         c->file, c->line, c->name, user, cred.entry->file, cred.entry->line,
			         user);
			return -1;
		}
		if (!config_eap_secret(cfg, user, &len)) {
			snprintf(err, errlen, "%s:%d: conn '%s': no EAP secret for '%s' in ipsec.secrets "
			         "(%s : EAP \"password\")", c->file, c->line, c->name, user, user);
			return -1;
		}
	}
	if ((la == AUTH_PSK || c->right.auth == AUTH_PSK) && !has_psk(cfg)) {
		snprintf(err, errlen, "%s:%d: conn '%s': %sauth=psk but ipsec.secrets has no PSK entry",
		         c->file, c->line, c->name, la == AUTH_PSK ? "left" : "right");
		return -1;
	}
	return 0;
}

/* rightca= (or %same: leftca=) into pc->remote_ca */
static int resolve_remote_ca(struct config *cfg, struct peer_cfg *pc, const struct conf_conn *c,
                             char *err, size_t errlen)
{
	const char *dn = c->right.ca;
	struct ident id;

	if (dn && strcmp(dn, "%same") == 0)
		dn = c->left.ca;
	if (!dn || strcmp(dn, "%same") == 0)
		return 0;
	if (ident_parse(dn, &id) != 0 || id.type != ID_DER_ASN1_DN) {
		snprintf(err, errlen, "%s:%d: rightca: '%s' is not a distinguished name "
		         "(\"C=CH, O=Example, CN=Example CA\")", c->right.ca_file, c->right.ca_line, dn);
		return -1;
	}
	const unsigned char *p = id.data;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)id.len);
	for (int i = 0; name && i < sk_X509_num(cfg->cacerts) && !pc->remote_ca; i++) {
		X509 *ca = sk_X509_value(cfg->cacerts, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca), name) == 0 && X509_up_ref(ca) == 1)
			pc->remote_ca = ca;
	}
	X509_NAME_free(name);
	if (!pc->remote_ca) {
		snprintf(err, errlen, "%s:%d: rightca: no CA certificate in %s/ipsec.d/cacerts has "
		         "the subject '%s'", c->right.ca_file, c->right.ca_line, cfg->dir, dn);
		return -1;
	}
	return 0;
}

/* rightid=, else rightcert='s subject, else for a client the right= host
 * (strongSwan's defaults); a rightid that rightcert does not confirm is
 * logged */
static int remote_identity(struct peer_cfg *pc, const struct conf_conn *c, char *err,
                           size_t errlen)
{
	const char *id = c->right.id;

	if (id && strcmp(id, "%any") != 0 && pc->remote_cert) {
		if (ident_parse(id, &pc->remote_id) == 0 &&
		    !cert_has_id(pc->remote_cert, pc->remote_id.type, pc->remote_id.data,
		                 pc->remote_id.len)) {
			char subj[256];
			cert_subject_text(pc->remote_cert, subj, sizeof(subj));
			log_err(LOG_CFG, "%s:%d: conn '%s': rightid '%s' is neither the subject nor a "
			        "subjectAltName of rightcert '%s': a peer using that certificate "
			        "cannot claim it", c->file, c->line, c->name, id, subj);
		}
	}
	if (!id && pc->remote_cert) {
		size_t dnlen;
		uint8_t *dn = cert_subject_der(pc->remote_cert, &dnlen);
		if (!dn || dnlen > IDENT_MAX) {
			free(dn);
			snprintf(err, errlen, "%s:%d: conn '%s': cannot encode rightcert's subject",
			         c->file, c->line, c->name);
			return -1;
		}
		pc->remote_id.type = ID_DER_ASN1_DN;
		memcpy(pc->remote_id.data, dn, dnlen);
		pc->remote_id.len = dnlen;
		free(dn);
		return 0;
	}
	if (!id && pc->client)
		id = c->right.host[0] == '%' ? c->right.host + 1 : c->right.host;
	if (id && ident_parse(id, &pc->remote_id) != 0) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightid '%s' is not a valid identity",
		         c->file, c->line, c->name, id);
		return -1;
	}
	return 0;
}

static int setup_peer(struct config *cfg, struct peer_cfg *pc, struct conf_conn *c,
                      struct keyref *keys, int n_keys, char *err, size_t errlen)
{
	pc->conn = c;
	pc->name = c->name;
	pc->client = conf_host_is_specific(c->right.host) && !conf_auth_is_eap(c->right.auth);
	/* rightauth of a client conn is pubkey, psk or unset (pubkey): EAP
	 * makes it a server conn */
	if (pc->client ? setup_client_auth(cfg, pc, c, keys, n_keys, err, errlen)
	               : setup_server_auth(cfg, pc, c, keys, n_keys, err, errlen))
		return -1;
	if (c->right.cert) {
		char path[1024], why[1400];
		config_path(cfg, swanctl_subdir(cfg->conf->swanctl, SUBDIR_CERTS), c->right.cert, path,
		            sizeof(path));
		pc->remote_cert = load_cert(path, why, sizeof(why));
		if (!pc->remote_cert) {
			snprintf(err, errlen, "%s:%d: conn '%s': rightcert: %s", c->file, c->line,
			         c->name, why);
			return -1;
		}
	}
	if (remote_identity(pc, c, err, errlen) != 0)
		return -1;
	if (resolve_remote_ca(cfg, pc, c, err, errlen) != 0)
		return -1;
	for (int i = 0; i < c->right.n_sourceip; i++) {
		const struct conf_range *r = &c->right.sourceip[i];
		struct pool **slot = r->family == AF_INET ? &pc->pool4 : &pc->pool6;
		if (*slot) {
			snprintf(err, errlen, "%s:%d: conn '%s': rightsourceip has more than one "
			         "IPv%d pool", c->file, c->line, c->name, r->family == AF_INET ? 4 : 6);
			return -1;
		}
		*slot = pool_for(cfg, r);
		if (!*slot) {
			snprintf(err, errlen, "%s:%d: conn '%s': cannot create pool", c->file, c->line, c->name);
			return -1;
		}
	}
	if (c->right.sourceip_config) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightsourceip=%%config asks the server for "
		         "an address; on a server use a pool (CIDR or range)", c->file, c->line, c->name);
		return -1;
	}
	effective_props(&pc->ike, &c->ike, c->ike_set, PROP_IKE);
	effective_props(&pc->esp, &c->esp, c->esp_set, PROP_ESP);
	return 0;
}

bool config_conn_initiates(const struct peer_cfg *pc)
{
	return pc && pc->conn && conf_host_is_specific(pc->conn->right.host);
}

/* every PSK selector must be an identity config_psk() can compare */
static int check_psk_selectors(const struct config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->secrets->n; i++) {
		const struct secret *s = &cfg->secrets->s[i];
		struct ident id;
		for (int j = 0; s->type == SECRET_PSK && j < s->n_ids; j++) {
			if (ident_parse(s->ids[j], &id) != 0) {
				snprintf(err, errlen, "%s:%d: PSK selector '%s' is not a valid identity",
				         s->file, s->line, s->ids[j]);
				return -1;
			}
		}
	}
	return 0;
}


/* ---- CRLs (ipsec.d/crls) ---- */

/* every CRL in buf: PEM blocks, else one DER CRL; -1 when none parses */
static int parse_crls(const char *buf, size_t len, STACK_OF(X509_CRL) *out)
{
	int n = 0;
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	X509_CRL *crl;

	if (!bio)
		return -1;
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
		if (!sk_X509_CRL_push(out, crl)) {
			X509_CRL_free(crl);
			break;
		}
		n++;
	}
	BIO_free(bio);
	if (n == 0) {
		const unsigned char *p = (const unsigned char *)buf;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl && !sk_X509_CRL_push(out, crl))
			X509_CRL_free(crl);
		else if (crl)
			n = 1;
	}
	return n > 0 ? 0 : -1;
}

/* the CA certificate of cfg->cacerts whose subject issued crl, NULL if none */
static X509 *crl_issuer(const struct config *cfg, X509_CRL *crl)
{
	for (int i = 0; i < sk_X509_num(cfg->cacerts); i++) {
		X509 *ca = sk_X509_value(cfg->cacerts, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0)
			return ca;
	}
	return NULL;
}

/* ipsec.d/crls into cfg->crls: the files as PEM or DER; see struct config */
static int load_crls(struct config *cfg, char *err, size_t errlen)
{
	char dir[1024], **paths = NULL, reason[256];
	int n = 0;

	cfg->crls = sk_X509_CRL_new_null();
	if (!cfg->crls) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", cfg->dir, swanctl_subdir(cfg->conf->swanctl, SUBDIR_CRLS));
	if (conf_list_dir(dir, &paths, &n, reason, sizeof(reason)) != 0) {
		snprintf(err, errlen, "%.1024s: %s", dir, reason);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		char *text = conf_read_file(paths[i], &len, reason, sizeof(reason));
		STACK_OF(X509_CRL) *got = sk_X509_CRL_new_null();
		if (!text || !got || parse_crls(text, len, got) != 0) {
			log_err(LOG_CFG, "%s: %s: ignored", paths[i],
			        text ? "not a CRL (PEM or DER)" : reason);
			free(text);
			sk_X509_CRL_free(got);
			continue;
		}
		free(text);
		while (sk_X509_CRL_num(got) > 0) {
			X509_CRL *crl = sk_X509_CRL_shift(got);
			char issuer[256] = "";
			X509_NAME_oneline(X509_CRL_get_issuer(crl), issuer, sizeof(issuer));
			X509 *ca = crl_issuer(cfg, crl);
			EVP_PKEY *k = ca ? X509_get0_pubkey(ca) : NULL;
			if (ca && (!k || X509_CRL_verify(crl, k) != 1)) {
				log_err(LOG_CFG, "%s: the CRL of '%s' is not signed by that CA's key: "
				        "ignored", paths[i], issuer);
				X509_CRL_free(crl);
				continue;
			}
			if (!ca)
				log_err(LOG_CFG, "%s: no CA certificate in %s/ipsec.d/cacerts issued the CRL "
				        "of '%s': it is kept but cannot be checked", paths[i], cfg->dir,
				        issuer);
			const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
			if (next && X509_cmp_current_time(next) < 0)
				log_err(LOG_CFG, "%s: the CRL of '%s' is past its nextUpdate%s", paths[i],
				        issuer, cfg->conf->strictcrlpolicy == CRL_POLICY_NO ? "" :
				        ": with strictcrlpolicy the certificates of that CA are refused "
				        "until a fresh one is installed");
			if (!sk_X509_CRL_push(cfg->crls, crl)) {
				X509_CRL_free(crl);
				sk_X509_CRL_pop_free(got, X509_CRL_free);
				conf_strv_free(paths, n);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		sk_X509_CRL_free(got);
	}
	conf_strv_free(paths, n);
	return 0;
}

/* ---- warnings at load ---- */

/* the names of the conns (from index from on) for which same(pc, first)
 * holds, "'a', 'b'" */
static void conn_list(const struct config *cfg, int from,
                      bool (*same)(const struct peer_cfg *, const struct peer_cfg *),
                      char *out, size_t outlen)
{
	size_t o = 0;
	int k = 0;

	out[0] = '\0';
	for (int i = from; i < cfg->n_peers && o < outlen; i++) {
		if (!same(&cfg->peers[from], &cfg->peers[i]))
			continue;
		o += (size_t)snprintf(out + o, outlen - o, "%s'%s'", k++ ? ", " : "",
		                      cfg->peers[i].name);
	}
}

static bool uses_psk(const struct peer_cfg *pc)
{
	const struct conf_conn *c = pc->conn;
	return c->left.auth == AUTH_PSK || c->right.auth == AUTH_PSK || c->right.auth2 == AUTH_PSK;
}

static bool both_psk(const struct peer_cfg *a, const struct peer_cfg *b)
{
	(void)a;
	return uses_psk(b);
}

/* a PSK shorter than 20 characters, when some conn authenticates with a
 * PSK: one line per entry */
static void warn_short_psks(const struct config *cfg)
{
	int first = -1;
	char conns[512];

	for (int i = 0; i < cfg->n_peers && first < 0; i++)
		if (uses_psk(&cfg->peers[i]))
			first = i;
	if (first < 0)
		return;
	conn_list(cfg, first, both_psk, conns, sizeof(conns));
	for (int i = 0; i < cfg->secrets->n; i++) {
		const struct secret *s = &cfg->secrets->s[i];
		if (s->type != SECRET_PSK || s->value_len >= 20)
			continue;
		log_err(LOG_CFG, "%s:%d: this PSK has only %zu characters: anyone who records one "
		        "IKE_AUTH exchange can try to guess it offline; use 20 or more random "
		        "characters (conn%s %s %s PSKs)", s->file, s->line, s->value_len,
		        strchr(conns, ',') ? "s" : "", conns, strchr(conns, ',') ? "use" : "uses");
	}
}

/* true when cert has a dNSName or iPAddress subjectAltName */
static bool has_host_san(X509 *cert)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		found = g->type == GEN_DNS || g->type == GEN_IPADD;
	}
	GENERAL_NAMES_free(sans);
	return found;
}

/* serverAuth (1), else ikeIntermediate (2), else 0 */
static int server_eku(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	int got = 0;

	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char oid[64];
		if (OBJ_obj2nid(o) == NID_server_auth)
			got = 1;
		else if (got == 0 && OBJ_obj2txt(oid, sizeof(oid), o, 1) > 0 &&
		         strcmp(oid, "1.3.6.1.5.5.8.2.2") == 0)
			got = 2;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return got;
}

static bool server_with_cert(const struct peer_cfg *pc)
{
	return !pc->client && pc->cert;
}

static bool same_cert(const struct peer_cfg *a, const struct peer_cfg *b)
{
	return server_with_cert(a) && server_with_cert(b) && X509_cmp(a->cert, b->cert) == 0;
}

static bool same_cert_id(const struct peer_cfg *a, const struct peer_cfg *b)
{
	return same_cert(a, b) && ident_eq(&a->local_id, &b->local_id);
}

/* what Windows and Apple clients check in a server's certificate: that
 * a subjectAltName names the server (they match the name they dial
 * against the SANs, not the CN) and the serverAuth EKU (macOS/iOS need
 * it; Windows needs it or ikeIntermediate). One line per certificate (and
 * leftid) and problem, naming the conns. */
static void check_server_certs(const struct config *cfg)
{
	for (int i = 0; i < cfg->n_peers; i++) {
		const struct peer_cfg *pc = &cfg->peers[i];
		const struct conf_conn *c = pc->conn;
		char conns[512], subj[256], id[300];
		bool seen_cert = false, seen_id = false;

		if (!server_with_cert(pc))
			continue;
		for (int j = 0; j < i; j++) {
			seen_cert |= same_cert(&cfg->peers[j], pc);
			seen_id |= same_cert_id(&cfg->peers[j], pc);
		}
		cert_subject_text(pc->cert, subj, sizeof(subj));
		if (!seen_id) {
			uint8_t t = pc->local_id.type;
			conn_list(cfg, i, same_cert_id, conns, sizeof(conns));
			if ((t == ID_FQDN || t == ID_IPV4_ADDR || t == ID_IPV6_ADDR) &&
			    !cert_has_id(pc->cert, t, pc->local_id.data, pc->local_id.len)) {
				ident_format(&pc->local_id, id, sizeof(id));
				log_err(LOG_CFG, "%s:%d: conn %s: leftid '%s' is not a subjectAltName of "
				        "certificate '%s' (%s): Windows and macOS clients match the server "
				        "name against the SANs, not the CN, and will refuse the server",
				        c->file, c->line, conns, id, subj, c->left.cert);
			} else if (t != ID_FQDN && t != ID_IPV4_ADDR && t != ID_IPV6_ADDR &&
			           t != ID_RFC822_ADDR && !has_host_san(pc->cert)) {
				log_err(LOG_CFG, "%s:%d: conn %s: certificate '%s' (%s) has no DNS or IP "
				        "subjectAltName: Windows and macOS clients match the server name "
				        "they dial against the SANs, not the CN, and will refuse the server",
				        c->file, c->line, conns, subj, c->left.cert);
			}
		}
		if (!seen_cert) {
			int eku = server_eku(pc->cert);
			conn_list(cfg, i, same_cert, conns, sizeof(conns));
			if (eku != 1)
				log_err(LOG_CFG, "%s:%d: conn %s: certificate '%s' (%s) lacks the serverAuth "
				        "extended key usage: macOS and iOS clients refuse it%s", c->file,
				        c->line, conns, subj, c->left.cert, eku == 2 ? " (Windows accepts "
				        "its ikeIntermediate)" : ", and Windows needs serverAuth or "
				        "ikeIntermediate");
		}
	}
}

/* ---- per-user addresses ---- */

/* the reservation of a conn's single address in another conn's pool */
static void reserve_one(struct pool *big, const char *conn, const uint8_t *addr, int family)
{
	char id[300], text[INET6_ADDRSTRLEN];
	uint8_t got[16];
	const char *holder = NULL;
	bool online = false;
	uint8_t a[16];

	snprintf(id, sizeof(id), "%%reserved:%s", conn);
	inet_ntop(family, addr, text, sizeof(text));
	for (size_t j = 0; pool_lease_at(big, j, a, &holder, &online) == 0; j++) {
		if (memcmp(a, addr, family == AF_INET ? 4 : 16) != 0)
			continue;
		if (strncmp(holder, "%reserved:", 10) == 0 && online)
			return;     /* reserved already (a pool a reload adopted) */
		log_err(LOG_CFG, "pool %s: cannot reserve %s for conn '%s': '%s' holds it; it is "
		        "handed to no one else once released, but only a restart frees it",
		        pool_name(big), text, conn, holder);
		return;
	}
	if (pool_restore(big, id, addr) != 0 || pool_acquire(big, id, got) != 0 ||
	    memcmp(got, addr, family == AF_INET ? 4 : 16) != 0)
		log_err(LOG_CFG, "pool %s: cannot reserve %s for conn '%s'", pool_name(big), text,
		        conn);
	else
		log_dbg(LOG_CFG, "pool %s: %s reserved for conn '%s'", pool_name(big), text, conn);
}

/* every single-address rightsourceip that lies in another pool is
 * reserved there (see config_adopt_pools in config.h) */
static void reserve_static(struct config *cfg)
{
	for (int i = 0; i < cfg->n_peers; i++) {
		const struct conf_conn *c = cfg->peers[i].conn;
		for (int k = 0; k < c->right.n_sourceip; k++) {
			const struct conf_range *r = &c->right.sourceip[k];
			if (memcmp(r->from, r->to, sizeof(r->from)) != 0)
				continue;
			for (int j = 0; j < cfg->n_pools; j++) {
				struct pool *p = cfg->pools[j];
				if (pool_family(p) == r->family && pool_size(p) > 1 &&
				    pool_contains(p, r->from))
					reserve_one(p, c->name, r->from, r->family);
			}
		}
	}
}

/* overlapping pools (other than a single address inside another) may hand
 * out one address twice: logged once per pair */
static void warn_overlaps(const struct config *cfg)
{
	for (int i = 0; i < cfg->n_pools; i++) {
		struct pool *a = cfg->pools[i];
		uint8_t af[16], at[16];
		if (pool_size(a) <= 1)
			continue;
		char name[128];
		snprintf(name, sizeof(name), "%s", pool_name(a));
		char *dash = strchr(name, '-');
		if (!dash)
			continue;
		*dash = '\0';
		if (inet_pton(pool_family(a), name, af) != 1 ||
		    inet_pton(pool_family(a), dash + 1, at) != 1)
			continue;
		for (int j = i + 1; j < cfg->n_pools; j++) {
			struct pool *b = cfg->pools[j];
			if (pool_family(b) != pool_family(a) || pool_size(b) <= 1)
				continue;
			uint8_t bf[16], bt[16];
			char bn[128];
			snprintf(bn, sizeof(bn), "%s", pool_name(b));
			char *bd = strchr(bn, '-');
			if (!bd)
				continue;
			*bd = '\0';
			if (inet_pton(pool_family(b), bn, bf) != 1 ||
			    inet_pton(pool_family(b), bd + 1, bt) != 1)
				continue;
			if (pool_contains(a, bf) || pool_contains(a, bt) || pool_contains(b, af))
				log_err(LOG_CFG, "pools %s and %s overlap: both may hand out the same "
				        "address (give each conn its own range)", pool_name(a), pool_name(b));
		}
	}
}

/* true when path can be read; false for a file that does not exist (any
 * other failure is true: the loader then reports it) */
static bool file_exists(const char *path)
{
	char why[256];
	size_t len = 0;
	char *text = conf_read_file(path, &len, why, sizeof(why));

	if (!text)
		return strcmp(why, strerror(ENOENT)) != 0;
	OPENSSL_cleanse(text, len);
	free(text);
	return true;
}

/* The connections and secrets: DIR/ipsec.conf and DIR/ipsec.secrets, or,
 * when DIR has no ipsec.conf but a swanctl.conf, that file (with its
 * secrets; conf/swanctl_conf.h). Both present: ipsec.conf, and a line
 * saying swanctl.conf is not read. */
static int load_conns_secrets(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	char path[1024], swan[1024];

	snprintf(path, sizeof(path), "%s/ipsec.conf", dir);
	snprintf(swan, sizeof(swan), "%s/swanctl.conf", dir);
	if (!file_exists(path) && file_exists(swan)) {
		log_info(LOG_CFG, "%s: no ipsec.conf, loading %s", dir, swan);
		snprintf(path, sizeof(path), "%s/ipsec.secrets", dir);
		if (file_exists(path))
			log_err(LOG_CFG, "%s is not read: swanctl.conf holds the secrets", path);
		return swanctl_conf_load(swan, &cfg->conf, &cfg->secrets, err, errlen);
	}
	if (file_exists(swan))
		log_err(LOG_CFG, "%s is not read: %s is loaded (remove one of them)", swan, path);
	cfg->conf = ipsec_conf_load(path, err, errlen);
	if (!cfg->conf)
		return -1;
	snprintf(path, sizeof(path), "%s/ipsec.secrets", dir);
	cfg->secrets = secrets_load(path, err, errlen);
	return cfg->secrets ? 0 : -1;
}

struct config *config_load(const char *dir, char *err, size_t errlen)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct keyref *keys = NULL;
	if (cfg)
		cfg->refs = 1;
	int n_keys = 0;
	char path[1024], why[1400];
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", dir);
	if (load_conns_secrets(cfg, dir, err, errlen) != 0)
		goto fail;
	if (!(cfg->radius = calloc(1, sizeof(*cfg->radius)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (radius_conf_load(dir, cfg->radius, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < cfg->radius->n_warnings; i++)
		log_err(LOG_CFG, "%s", cfg->radius->warnings[i]);
	for (int i = 0; i < cfg->secrets->n_warnings; i++)
		log_err(LOG_CFG, "%s", cfg->secrets->warnings[i]);
	cfg->cacerts = sk_X509_new_null();
	snprintf(path, sizeof(path), "%s/%s", dir, swanctl_subdir(cfg->conf->swanctl, SUBDIR_CACERTS));
	if (!cfg->cacerts) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load_cert_dir(path, cfg->cacerts, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if (check_psk_selectors(cfg, err, errlen) != 0)
		goto fail;
	if (load_crls(cfg, err, errlen) != 0)
		goto fail;
	if (load_keys(cfg, &keys, &n_keys, err, errlen) != 0)
		goto fail;
	if (cfg->conf->n_conns == 0) {
		snprintf(err, errlen, "%s/ipsec.conf: no conn with auto=add", dir);
		goto fail;
	}
	cfg->peers = calloc((size_t)cfg->conf->n_conns, sizeof(*cfg->peers));
	if (!cfg->peers) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	log_pending(cfg->conf, -1, cfg->conf->pending, cfg->conf->n_pending);
	for (int i = 0; i < cfg->conf->n_warnings; i++)
		log_err(LOG_CFG, "%s", cfg->conf->warnings[i]);
	for (int i = 0; i < cfg->conf->n_conns; i++) {
		struct conf_conn *c = &cfg->conf->conns[i];
		cfg->n_peers = i + 1;
		if (setup_peer(cfg, &cfg->peers[i], c, keys, n_keys, err, errlen) != 0)
			goto fail;
		log_pending(cfg->conf, i, c->pending, c->n_pending);
	}
	for (int i = 0; i < n_keys; i++)
		EVP_PKEY_free(keys[i].key);
	free(keys);
	for (int i = 0; i < cfg->n_peers; i++)
		cfg->peers[i].owner = cfg;
	warn_short_psks(cfg);
	check_server_certs(cfg);
	reserve_static(cfg);
	warn_overlaps(cfg);
	if (!(cfg->set = calloc(1, sizeof(*cfg->set)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cfg->set->head = cfg;
	cfg->set->members = 1;
	return cfg;
fail:
	if (keys) {
		for (int i = 0; i < n_keys; i++)
			EVP_PKEY_free(keys[i].key);
		free(keys);
	}
	config_free(cfg);
	return NULL;
}

struct config *config_live(const struct config *cfg)
{
	return cfg->set ? cfg->set->head : NULL;
}

/* takes cfg out of its set; frees the set when it was the last member */
static void set_leave(struct config *cfg)
{
	struct config_set *set = cfg->set;
	if (!set)
		return;
	for (struct config **pp = &set->head; *pp; pp = &(*pp)->live_next) {
		if (*pp == cfg) {
			*pp = cfg->live_next;
			break;
		}
	}
	cfg->live_next = NULL;
	cfg->set = NULL;
	if (--set->members == 0)
		free(set);
}

void config_ref(struct config *cfg)
{
	cfg->refs++;
}

void config_adopt_pools(struct config *cfg, struct config *old)
{
	if (old->set && cfg->set != old->set) {
		set_leave(cfg);
		cfg->set = old->set;
		cfg->live_next = old->set->head;
		old->set->head = cfg;
		old->set->members++;
	}
	for (int i = 0; i < cfg->n_pools; i++) {
		struct pool *fresh = cfg->pools[i], *kept = NULL;
		for (struct config *o = config_live(cfg); o && !kept; o = o->live_next)
			for (int j = 0; o != cfg && j < o->n_pools && !kept; j++)
				if (pool_family(o->pools[j]) == pool_family(fresh) &&
				    strcmp(pool_name(o->pools[j]), pool_name(fresh)) == 0)
					kept = o->pools[j];
		if (!kept)
			continue;
		cfg->pools[i] = pool_ref(kept);
		for (int k = 0; k < cfg->n_peers; k++) {
			if (cfg->peers[k].pool4 == fresh)
				cfg->peers[k].pool4 = kept;
			if (cfg->peers[k].pool6 == fresh)
				cfg->peers[k].pool6 = kept;
		}
		pool_free(fresh);
	}
	reserve_static(cfg);
}

void config_free(struct config *cfg)
{
	if (!cfg || --cfg->refs > 0)
		return;
	set_leave(cfg);
	for (int i = 0; i < cfg->n_peers; i++) {
		X509_free(cfg->peers[i].cert);
		sk_X509_pop_free(cfg->peers[i].chain, X509_free);
		EVP_PKEY_free(cfg->peers[i].key);
		X509_free(cfg->peers[i].remote_ca);
		X509_free(cfg->peers[i].remote_cert);
	}
	sk_X509_CRL_pop_free(cfg->crls, X509_CRL_free);
	free(cfg->peers);
	for (int i = 0; i < cfg->n_pools; i++)
		pool_free(cfg->pools[i]);
	sk_X509_pop_free(cfg->cacerts, X509_free);
	secrets_free(cfg->secrets);
	ipsec_conf_free(cfg->conf);
	if (cfg->radius) {
		radius_conf_free(cfg->radius);
		free(cfg->radius);
	}
	free(cfg);
}

bool config_eap_cred(const struct config *cfg, const char *user, struct eap_cred *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < cfg->secrets->n; i++) {
		const struct secret *s = &cfg->secrets->s[i];
		if (s->type != SECRET_EAP && s->type != SECRET_NTLM)
			continue;
		for (int j = 0; j < s->n_ids; j++) {
			if (strcmp(s->ids[j], user) != 0)
				continue;
			out->account = s->ids[j];
			out->entry = s;
			if (s->type == SECRET_NTLM) {
				out->nt_hash = (const uint8_t *)s->value;
			} else {
				out->password = s->value;
				out->password_len = s->value_len;
			}
			return true;
		}
	}
	return false;
}

const char *config_eap_account(const struct config *cfg, const char *user, const char **secret,
                               size_t *len)
{
	struct eap_cred cred;

	if (!config_eap_cred(cfg, user, &cred) || !cred.password)
		return NULL;
	*secret = cred.password;
	*len = cred.password_len;
	return cred.account;
}

/* the addresses of list that are set (family != 0), up to max */
static int addrs_set(const struct conf_addr *list, int n, struct conf_addr *out, int max)
{
	int k = 0;
	for (int i = 0; i < n && k < max; i++)
		if (list[i].family)
			out[k++] = list[i];
	return k;
}

int config_conn_dns(const struct peer_cfg *pc, struct conf_addr *out, int max)
{
	const struct conf_end *r = &pc->conn->right;

	if (r->n_dns > 0)
		return addrs_set(r->dns, r->n_dns, out, max);
	return addrs_set(pc->owner->conf->dns, 2, out, max);
}

int config_conn_nbns(const struct peer_cfg *pc, struct conf_addr *out, int max)
{
	return addrs_set(pc->owner->conf->nbns, 2, out, max);
}

const char *config_eap_secret(const struct config *cfg, const char *user, size_t *len)
{
	const char *secret = NULL;
	return config_eap_account(cfg, user, &secret, len) ? secret : NULL;
}

/* strongSwan's id_match_t values */
enum { MATCH_NONE = 0, MATCH_ANY = 1, MATCH_ONE_WILDCARD = 19, MATCH_PERFECT = 20 };

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* how well id matches owner (a secret's selector), as strongSwan's
 * identification_t.matches(id, owner) */
static int id_match(const struct ident *id, const struct ident *owner)
{
	if (ident_is_any(owner))
		return ident_is_any(id) ? MATCH_PERFECT : MATCH_ANY;
	if (ident_is_any(id) || id->type != owner->type)
		return MATCH_NONE;
	if (ident_eq(id, owner))
		return MATCH_PERFECT;
	if ((owner->type == ID_FQDN || owner->type == ID_RFC822_ADDR) && owner->len > 0 &&
	    owner->data[0] == '*') {
		size_t n = owner->len - 1;   /* the suffix after '*' */
		if (n == 0)
			return MATCH_ANY;
		if (id->len < owner->len)
			return MATCH_NONE;
		for (size_t i = 0; i < n; i++)
			if (lower(id->data[id->len - n + i]) != lower(owner->data[1 + i]))
				return MATCH_NONE;
		return MATCH_ONE_WILDCARD;
	}
	return MATCH_NONE;
}

/* the best match of id over s's selectors (none: the one owner %any) */
static int owner_match(const struct secret *s, const struct ident *id)
{
	struct ident owner;
	int best = MATCH_NONE;

	if (s->n_ids == 0) {
		memset(&owner, 0, sizeof(owner));
		return id_match(id, &owner);
	}
	for (int i = 0; i < s->n_ids; i++) {
		if (ident_parse(s->ids[i], &owner) != 0)
			continue;   /* config_load refused such files */
		int m = id_match(id, &owner);
		if (m > best)
			best = m;
	}
	return best;
}

const uint8_t *config_psk(const struct config *cfg, const struct ident *me,
                          const struct ident *peer, size_t *len)
{
	const struct secret *found = NULL;
	int best_me = MATCH_NONE, best_peer = MATCH_NONE;

	/* newest first, as strongSwan's credential set lists them: on a tie
	 * the entry written last wins */
	for (int i = cfg->secrets->n - 1; i >= 0; i--) {
		const struct secret *s = &cfg->secrets->s[i];
		if (s->type != SECRET_PSK)
			continue;
		int m_me = me ? owner_match(s, me) : MATCH_NONE;
		int m_peer = peer ? owner_match(s, peer) : MATCH_NONE;
		if ((me || peer) && m_me == MATCH_NONE && m_peer == MATCH_NONE)
			continue;
		if (m_peer > best_peer || (m_peer == best_peer && m_me > best_me)) {
			found = s;
			best_me = m_me;
			best_peer = m_peer;
		}
		if (best_me == MATCH_PERFECT && best_peer == MATCH_PERFECT)
			break;
	}
	if (!found)
		return NULL;
	*len = found->value_len;
	return (const uint8_t *)found->value;
}
