/* Loading the configuration dir into runtime structures. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include "crypto/cert.h"
#include "crypto/sig.h"
#include "conf/conf_files.h"
#include "conf/conf_util.h"
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
		config_path(cfg, "ipsec.d/private", s->value, path, sizeof(path));
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

static int setup_peer(struct config *cfg, struct peer_cfg *pc, struct conf_conn *c,
                      struct keyref *keys, int n_keys, char *err, size_t errlen)
{
	char path[1024], why[1400];
	pc->conn = c;
	pc->name = c->name;
	if (c->right.auth != AUTH_EAP_MSCHAPV2 && c->right.auth != AUTH_UNSET) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightauth=%s is not supported yet "
		         "(cygnet authenticates users with eap-mschapv2)", c->file, c->line, c->name,
		         c->right.auth == AUTH_PUBKEY ? "pubkey" : "psk");
		return -1;
	}
	if (c->right.auth == AUTH_UNSET) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightauth= is missing (cygnet "
		         "authenticates users with rightauth=eap-mschapv2)", c->file, c->line, c->name);
		return -1;
	}
	if (c->left.auth != AUTH_UNSET && c->left.auth != AUTH_PUBKEY) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftauth must be pubkey (the server "
		         "authenticates with its certificate)", c->file, c->line, c->name);
		return -1;
	}
	if (!c->left.cert) {
		snprintf(err, errlen, "%s:%d: conn '%s': leftcert= is missing (the server "
		         "authenticates with its certificate)", c->file, c->line, c->name);
		return -1;
	}
	config_path(cfg, "ipsec.d/certs", c->left.cert, path, sizeof(path));
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
	size_t dnlen;
	uint8_t *dn = cert_subject_der(pc->cert, &dnlen);
	if (!dn || dnlen > IDENT_MAX) {
		free(dn);
		snprintf(err, errlen, "%s:%d: conn '%s': cannot encode the certificate's subject",
		         c->file, c->line, c->name);
		return -1;
	}
	if (c->left.id && strcmp(c->left.id, "%any") != 0) {
		if (ident_parse(c->left.id, &pc->local_id) != 0) {
			free(dn);
			snprintf(err, errlen, "%s:%d: conn '%s': leftid '%s' is not a valid identity",
			         c->file, c->line, c->name, c->left.id);
			return -1;
		}
		if (!cert_has_id(pc->cert, pc->local_id.type, pc->local_id.data, pc->local_id.len)) {
			char subj[256];
			cert_subject_text(pc->cert, subj, sizeof(subj));
			log_err(LOG_CFG, "%s:%d: conn '%s': leftid '%s' is not confirmed by certificate "
			        "'%s': clients that check it will refuse the server", c->file, c->line,
			        c->name, c->left.id, subj);
		}
	} else {
		pc->local_id.type = ID_DER_ASN1_DN;
		memcpy(pc->local_id.data, dn, dnlen);
		pc->local_id.len = dnlen;
	}
	free(dn);
	if (c->right.id && ident_parse(c->right.id, &pc->remote_id) != 0) {
		snprintf(err, errlen, "%s:%d: conn '%s': rightid '%s' is not a valid identity",
		         c->file, c->line, c->name, c->right.id);
		return -1;
	}
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
	snprintf(path, sizeof(path), "%s/ipsec.conf", dir);
	cfg->conf = ipsec_conf_load(path, err, errlen);
	if (!cfg->conf)
		goto fail;
	snprintf(path, sizeof(path), "%s/ipsec.secrets", dir);
	cfg->secrets = secrets_load(path, err, errlen);
	if (!cfg->secrets)
		goto fail;
	for (int i = 0; i < cfg->secrets->n_warnings; i++)
		log_err(LOG_CFG, "%s", cfg->secrets->warnings[i]);
	cfg->cacerts = sk_X509_new_null();
	snprintf(path, sizeof(path), "%s/ipsec.d/cacerts", dir);
	if (!cfg->cacerts) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load_cert_dir(path, cfg->cacerts, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
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
	}
	free(cfg->peers);
	for (int i = 0; i < cfg->n_pools; i++)
		pool_free(cfg->pools[i]);
	sk_X509_pop_free(cfg->cacerts, X509_free);
	secrets_free(cfg->secrets);
	ipsec_conf_free(cfg->conf);
	free(cfg);
}

const char *config_eap_account(const struct config *cfg, const char *user, const char **secret,
                               size_t *len)
{
	for (int i = 0; i < cfg->secrets->n; i++) {
		const struct secret *s = &cfg->secrets->s[i];
		for (int j = 0; s->type == SECRET_EAP && j < s->n_ids; j++) {
			if (strcmp(s->ids[j], user) == 0) {
				*secret = s->value;
				*len = s->value_len;
				return s->ids[j];
			}
		}
	}
	return NULL;
}

const char *config_eap_secret(const struct config *cfg, const char *user, size_t *len)
{
	const char *secret = NULL;
	return config_eap_account(cfg, user, &secret, len) ? secret : NULL;
}
