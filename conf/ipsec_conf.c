/* ipsec.conf: raw sections (conf_lex.c) into struct ipsec_conf.
 *
 * Every keyword has one row in a table saying how its value is checked
 * and stored. A conn's keys are resolved in strongSwan's order: every
 * "conn %default" first, then the conns named by also= (recursively, in
 * order), then the conn's own keys; "key=" resets to the default.
 * Keywords whose behaviour is not built yet are still validated, and
 * recorded in conn->pending so the daemon can say so at startup. The
 * "config setup" keywords: ipsec_setup.c. */
#include "conf/ipsec_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf_lex.h"
#include "conf/conf_util.h"
#include "conf/conf_values.h"
#include "conf/ipsec_int.h"

#define ALSO_MAX_DEPTH 32

typedef int (*conn_fn)(struct cctx *c, const struct conf_kv *kv);

struct conn_key {
	const char *name;
	char side;                  /* 'l', 'r' or 0 */
	bool pending;               /* any value asks for behaviour not built */
	conn_fn fn;                 /* NULL: also= (structural) */
};

/* one "file:line: text" warning line; the same line twice (a %default
 * key that every conn inherits) is kept once */
static int add_warning(struct cctx *c, const struct conf_kv *kv, const char *text)
{
	char line[640];
	struct ipsec_conf *conf = c->conf;

	if (!conf)
		return 0;
	conf_errf(line, sizeof(line), kv->file, kv->line, "%s", text);
	for (int i = 0; i < conf->n_warnings; i++)
		if (strcmp(conf->warnings[i], line) == 0)
			return 0;
	if (conf_strv_add(&conf->warnings, &conf->n_warnings, line) < 0)
		return oom(c->err, c->errlen, kv);
	return 0;
}

static int pend(struct cctx *c, const struct conf_kv *kv)
{
	return add_pending(&c->conn->pending, &c->conn->n_pending, kv, c->err, c->errlen);
}

static int set_str(struct cctx *c, const struct conf_kv *kv, char **dst)
{
	char *s = strdup(kv->value);

	if (!s)
		return oom(c->err, c->errlen, kv);
	free(*dst);
	*dst = s;
	return 0;
}

static int k_bool(struct cctx *c, const struct conf_kv *kv, bool *out)
{
	char why[128];

	if (cv_bool(kv->value, out, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	return 0;
}

static int k_duration(struct cctx *c, const struct conf_kv *kv, uint32_t *out)
{
	char why[128];

	if (cv_duration(kv->value, out, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	return 0;
}

/* ---- conn keywords ---- */

static int h_auto(struct cctx *c, const struct conf_kv *kv)
{
	static const char *const names[] = { "ignore", "add", "route", "start" };
	static const enum conf_auto vals[] = { AUTO_ADD, AUTO_ADD, AUTO_ROUTE, AUTO_START };
	int i;

	if (pick(c, kv, names, 4, &i) < 0)
		return -1;
	c->conn->auto_add = i != 0;
	c->conn->autostart = vals[i];
	/* route: no trap policies, so it acts as add (and the daemon says so) */
	return i == 2 ? pend(c, kv) : 0;
}

static int h_keyexchange(struct cctx *c, const struct conf_kv *kv)
{
	if (strcmp(kv->value, "ikev2") == 0 || strcmp(kv->value, "ike") == 0)
		return 0;
	if (strcmp(kv->value, "ikev1") == 0)
		return bad(c, kv, "IKEv1 is not supported");
	return bad(c, kv, "expected ikev2");
}

static int h_type(struct cctx *c, const struct conf_kv *kv)
{
	static const char *const other[] = { "transport", "transport_proxy", "passthrough",
	                                     "pass", "drop", "reject" };
	char show[CONF_SHOW_LEN];

	if (strcmp(kv->value, "tunnel") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strcmp(kv->value, other[i]) == 0)
			return bad(c, kv, "type=%s is not supported (only tunnel)", other[i]);
	return bad(c, kv, "unknown type '%s'", conf_show(kv->value, show, sizeof(show)));
}

static int h_host(struct cctx *c, const struct conf_kv *kv)
{
	if (strpbrk(kv->value, " \t"))
		return bad(c, kv, "expected one address, hostname or %%any");
	return set_str(c, kv, &c->end->host);
}

static int h_id(struct cctx *c, const struct conf_kv *kv)
{
	return set_str(c, kv, &c->end->id);
}

static int h_cert(struct cctx *c, const struct conf_kv *kv)
{
	return set_str(c, kv, &c->end->cert);
}

static int h_sendcert(struct cctx *c, const struct conf_kv *kv)
{
	static const char *const names[] = { "ifasked", "always", "yes", "never", "no" };
	static const enum sendcert vals[] = { SENDCERT_IFASKED, SENDCERT_ALWAYS, SENDCERT_ALWAYS,
	                                      SENDCERT_NEVER, SENDCERT_NEVER };
	int i;

	if (pick(c, kv, names, 5, &i) < 0)
		return -1;
	c->end->sendcert = vals[i];
	return 0;
}

bool conf_auth_is_eap(enum conf_auth a)
{
	return a == AUTH_EAP_MSCHAPV2 || a == AUTH_EAP_TLS || a == AUTH_EAP_MD5 ||
	       a == AUTH_EAP_RADIUS;
}

const char *conf_auth_name(enum conf_auth a)
{
	switch (a) {
	case AUTH_PUBKEY: return "pubkey";
	case AUTH_PSK: return "psk";
	case AUTH_EAP_MSCHAPV2: return "eap-mschapv2";
	case AUTH_EAP_TLS: return "eap-tls";
	case AUTH_EAP_MD5: return "eap-md5";
	case AUTH_EAP_RADIUS: return "eap-radius";
	case AUTH_UNSET: break;
	}
	return "unset";
}

/* an auth= value; *any is set for plain "eap" (see enum conf_auth) */
static int parse_auth(struct cctx *c, const struct conf_kv *kv, enum conf_auth *out, bool *any)
{
	const char *v = kv->value;
	char show[CONF_SHOW_LEN];

	*any = false;
	if (strcmp(v, "pubkey") == 0 || strcmp(v, "rsa") == 0 || strcmp(v, "ecdsa") == 0 ||
	    strcmp(v, "rsasig") == 0 || strcmp(v, "ecdsasig") == 0)
		*out = AUTH_PUBKEY;
	else if (strcmp(v, "eap-mschapv2") == 0)
		*out = AUTH_EAP_MSCHAPV2;
	else if (strcmp(v, "eap") == 0)
		*out = AUTH_EAP_MSCHAPV2, *any = true;
	else if (strcmp(v, "eap-tls") == 0)
		*out = AUTH_EAP_TLS;
	else if (strcmp(v, "eap-md5") == 0)
		*out = AUTH_EAP_MD5;
	else if (strcmp(v, "eap-radius") == 0)
		*out = AUTH_EAP_RADIUS;
	else if (strcmp(v, "psk") == 0 || strcmp(v, "secret") == 0)
		*out = AUTH_PSK;
	else if (strncmp(v, "eap-", 4) == 0)
		return bad(c, kv, "EAP method '%s' is not supported (eap-mschapv2, eap-tls, "
		           "eap-md5, eap-radius or eap are)", conf_show(v + 4, show, sizeof(show)));
	else if (strncmp(v, "xauth", 5) == 0)
		return bad(c, kv, "XAuth is IKEv1 only, and IKEv1 is not supported");
	else
		return bad(c, kv, "unknown authentication method '%s' (expected pubkey, psk, "
		           "eap-mschapv2, eap-tls, eap-md5, eap-radius or eap)", conf_show(v, show, sizeof(show)));
	return 0;
}

static int h_auth(struct cctx *c, const struct conf_kv *kv)
{
	return parse_auth(c, kv, &c->end->auth, &c->end->auth_eap_any);
}

static int h_auth2(struct cctx *c, const struct conf_kv *kv)
{
	if (c->end == &c->conn->right)
		c->right_auth2 = kv;    /* pending on a conn that initiates */
	return parse_auth(c, kv, &c->end->auth2, &c->end->auth2_eap_any);
}

static int h_authby(struct cctx *c, const struct conf_kv *kv)
{
	static const char *const names[] = { "pubkey", "rsasig", "ecdsasig", "rsa", "ecdsa",
	                                      "psk", "secret" };
	int i;

	if (strncmp(kv->value, "xauth", 5) == 0)
		return bad(c, kv, "XAuth is IKEv1 only, and IKEv1 is not supported");
	if (pick(c, kv, names, 7, &i) < 0)
		return -1;
	c->authby = i >= 5 ? AUTH_PSK : AUTH_PUBKEY;
	return 0;
}

static int h_subnet(struct cctx *c, const struct conf_kv *kv)
{
	char why[256];

	if (cv_net_list(kv->value, c->end->subnet, &c->end->n_subnet, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	if (strchr(kv->value, ';')) {
		/* strongSwan splits lists at ',' only and reads a subnet's prefix
		 * length with atoi(), which stops at the ';' */
		char text[512], show[CONF_SHOW_LEN], first[CONF_SHOW_LEN];
		size_t fl = strcspn(kv->value, ";,");
		while (fl > 0 && (kv->value[fl - 1] == ' ' || kv->value[fl - 1] == '\t'))
			fl--;
		snprintf(first, sizeof(first), "%.*s", (int)(fl < 64 ? fl : 64), kv->value);
		conf_show(kv->value, show, sizeof(show));
		if (memchr(kv->value, '/', fl))
			snprintf(text, sizeof(text), "%s=%s: ';' read as a list separator (cygnet takes "
			         "every subnet); strongSwan separates lists with ',' only and would have "
			         "read just the first subnet, %s", kv->key, show, first);
		else
			snprintf(text, sizeof(text), "%s=%s: ';' read as a list separator (cygnet takes "
			         "every subnet); strongSwan separates lists with ',' only and would have "
			         "skipped '%s' as an invalid subnet", kv->key, show, first);
		if (add_warning(c, kv, text) < 0)
			return -1;
	}
	if (c->end == &c->conn->right)
		c->right_subnet = kv;   /* pending unless the conn can initiate */
	return 0;
}

static int h_sourceip(struct cctx *c, const struct conf_kv *kv)
{
	char why[256];

	if (c->end == &c->conn->left) {
		c->left_sourceip = kv;  /* checked by settle_left_sourceip() */
		return 0;
	}
	/* %radius (strongSwan's eap-radius pool): taken out of the list,
	 * the rest are ranges as usual */
	char rest[1024];
	size_t used = 0;
	bool radius = false;
	const char *v = kv->value;
	while (*v) {
		size_t n = strcspn(v, ",");
		const char *e = v;
		size_t el = n;
		while (el && (*e == ' ' || *e == '\t'))
			e++, el--;
		while (el && (e[el - 1] == ' ' || e[el - 1] == '\t'))
			el--;
		if (el == 7 && strncmp(e, "%radius", 7) == 0) {
			radius = true;
		} else {
			if (used + n + 2 > sizeof(rest))
				return bad(c, kv, "rightsourceip is too long");
			used += (size_t)snprintf(rest + used, sizeof(rest) - used, "%s%.*s",
			                         used ? "," : "", (int)n, v);
		}
		v += n;
		if (*v == ',')
			v++;
	}
	rest[used] = '\0';
	c->end->sourceip_radius = radius;
	c->end->n_sourceip = 0;
	c->end->sourceip_config = false;
	if ((!radius || used) &&
	    cv_sourceip_list(radius ? rest : kv->value, c->end->sourceip, &c->end->n_sourceip,
	                     &c->end->sourceip_config, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	return 0;
}

static int h_dns(struct cctx *c, const struct conf_kv *kv)
{
	char why[256];

	/* the client side may ask for DNS servers with %config */
	if (cv_addr_list(kv->value, c->end->dns, &c->end->n_dns, c->end == &c->conn->left,
	                 why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	return 0;
}

static int h_updown(struct cctx *c, const struct conf_kv *kv)
{
	return set_str(c, kv, &c->end->updown);
}

static int h_firewall(struct cctx *c, const struct conf_kv *kv)
{
	bool on;

	if (k_bool(c, kv, &on) < 0)
		return -1;
	return on ? pend(c, kv) : 0;
}

static int h_ca(struct cctx *c, const struct conf_kv *kv)
{
	if (set_str(c, kv, &c->end->ca) < 0)
		return -1;
	c->end->ca_file = kv->file;
	c->end->ca_line = kv->line;
	return 0;
}

/* rightgroups=a, b: names without empty elements */
static int h_groups(struct cctx *c, const struct conf_kv *kv)
{
	const char *v = kv->value;
	for (const char *p = v;; p++) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return bad(c, kv, "expected group names separated by commas");
		if (!e)
			break;
		p = e;
	}
	return set_str(c, kv, &c->end->groups);
}

static int h_eap_identity(struct cctx *c, const struct conf_kv *kv)
{
	return set_str(c, kv, &c->conn->eap_identity);
}

static int h_proposal(struct cctx *c, const struct conf_kv *kv)
{
	bool ike = strcmp(kv->key, "ike") == 0;
	char why[256];

	if (proposal_parse(kv->value, ike ? PROP_IKE : PROP_ESP,
	                   ike ? &c->conn->ike : &c->conn->esp, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	if (ike)
		c->conn->ike_set = true;
	else
		c->conn->esp_set = true;
	return 0;
}

static int h_forceencaps(struct cctx *c, const struct conf_kv *kv)
{
	return k_bool(c, kv, &c->conn->forceencaps);
}

static const char *const action_names[] = { "none", "clear", "hold", "restart" };

static int h_dpdaction(struct cctx *c, const struct conf_kv *kv)
{
	int i;

	if (pick(c, kv, action_names, 4, &i) < 0)
		return -1;
	c->conn->dpdaction = (enum dpd_action)i;
	return 0;
}

static int h_closeaction(struct cctx *c, const struct conf_kv *kv)
{
	int i;

	if (pick(c, kv, action_names, 4, &i) < 0)
		return -1;
	c->conn->closeaction = (enum dpd_action)i;
	c->closeaction = i != 0 ? kv : NULL;   /* pending unless the conn can initiate */
	return 0;
}

static int h_dpddelay(struct cctx *c, const struct conf_kv *kv)
{
	return k_duration(c, kv, &c->conn->dpddelay);
}

static int h_dpdtimeout(struct cctx *c, const struct conf_kv *kv)
{
	return k_duration(c, kv, &c->conn->dpdtimeout);
}

static int h_ikelifetime(struct cctx *c, const struct conf_kv *kv)
{
	return k_duration(c, kv, &c->conn->ikelifetime);
}

static int h_lifetime(struct cctx *c, const struct conf_kv *kv)
{
	return k_duration(c, kv, &c->conn->lifetime);
}

static int h_margintime(struct cctx *c, const struct conf_kv *kv)
{
	return k_duration(c, kv, &c->conn->margintime);
}

static int h_inactivity(struct cctx *c, const struct conf_kv *kv)
{
	uint32_t d;

	return k_duration(c, kv, &d);
}

static int h_rekeyfuzz(struct cctx *c, const struct conf_kv *kv)
{
	char why[128];

	if (cv_percent(kv->value, &c->conn->rekeyfuzz, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	return 0;
}

/* yes/no keywords where "yes" asks for something not built */
static int h_feature(struct cctx *c, const struct conf_kv *kv)
{
	bool on;

	if (k_bool(c, kv, &on) < 0)
		return -1;
	if (strcmp(kv->key, "rekey") == 0)
		return c->conn->rekey = on, 0;    /* honoured */
	else if (strcmp(kv->key, "reauth") == 0)
		return c->conn->reauth = on, 0;   /* honoured */
	else if (strcmp(kv->key, "mobike") == 0)
		return c->conn->mobike = on, 0;   /* honoured */
	return on ? pend(c, kv) : 0;
}

static int h_fragmentation(struct cctx *c, const struct conf_kv *kv)
{
	static const char *const names[] = { "yes", "no", "accept", "force" };
	int i;

	if (pick(c, kv, names, 4, &i) < 0)
		return -1;
	c->conn->fragmentation = (enum frag_mode)i;
	return 0;
}

static int h_keyingtries(struct cctx *c, const struct conf_kv *kv)
{
	char why[128];

	if (strcmp(kv->value, "%forever") == 0) {
		c->conn->keyingtries = 0;
		return 0;
	}
	if (cv_uint(kv->value, &c->conn->keyingtries, why, sizeof(why)) < 0)
		return bad(c, kv, "expected a number or %%forever");
	return 0;
}

static int h_aggressive(struct cctx *c, const struct conf_kv *kv)
{
	bool on;

	if (k_bool(c, kv, &on) < 0)
		return -1;
	if (on)
		return bad(c, kv, "aggressive mode is IKEv1 only, and IKEv1 is not supported");
	return 0;
}

static int h_reqid(struct cctx *c, const struct conf_kv *kv)
{
	uint32_t n;
	char why[128];

	if (cv_uint(kv->value, &n, why, sizeof(why)) < 0 || n == 0)
		return bad(c, kv, "expected a number greater than 0");
	return 0;
}

/* a mark value or mask: decimal or 0x-hex, 32 bits */
static bool mark_num(const char *s, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;
	int base = 10;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= len)
		return false;
	for (; i < len; i++) {
		char ch = s[i];
		int d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return false;
		n = n * (uint64_t)base + (uint64_t)d;
		if (n > UINT32_MAX)
			return false;
	}
	return true;
}

static int h_mark(struct cctx *c, const struct conf_kv *kv)
{
	const char *v = kv->value;
	const char *slash = strchr(v, '/');
	size_t vl = slash ? (size_t)(slash - v) : strlen(v);

	if (!((vl == 7 && strncmp(v, "%unique", 7) == 0) ||
	      (vl == 11 && strncmp(v, "%unique-dir", 11) == 0) || mark_num(v, vl)) ||
	    (slash && !mark_num(slash + 1, strlen(slash + 1))))
		return bad(c, kv, "expected value[/mask] or %%unique");
	return 0;
}

static const struct conn_key conn_keys[] = {
	{ "also", 0, false, NULL },
	{ "auto", 0, false, h_auto },
	{ "keyexchange", 0, false, h_keyexchange },
	{ "type", 0, false, h_type },
	{ "authby", 0, false, h_authby },
	{ "left", 'l', false, h_host },
	{ "right", 'r', false, h_host },
	{ "leftid", 'l', false, h_id },
	{ "rightid", 'r', false, h_id },
	{ "leftcert", 'l', false, h_cert },
	{ "rightcert", 'r', false, h_cert },
	{ "leftsendcert", 'l', false, h_sendcert },
	{ "rightsendcert", 'r', false, h_sendcert },
	{ "leftauth", 'l', false, h_auth },
	{ "rightauth", 'r', false, h_auth },
	{ "leftauth2", 'l', true, h_auth2 },
	{ "rightauth2", 'r', false, h_auth2 },
	{ "leftsubnet", 'l', false, h_subnet },
	{ "rightsubnet", 'r', false, h_subnet },
	{ "leftsourceip", 'l', false, h_sourceip },
	{ "rightsourceip", 'r', false, h_sourceip },
	{ "leftdns", 'l', true, h_dns },
	{ "rightdns", 'r', false, h_dns },
	{ "leftupdown", 'l', false, h_updown },
	{ "rightupdown", 'r', true, h_updown },
	{ "leftfirewall", 'l', false, h_firewall },
	{ "rightfirewall", 'r', false, h_firewall },
	{ "leftca", 'l', true, h_ca },
	{ "rightca", 'r', false, h_ca },
	{ "leftgroups", 'l', true, h_groups },
	{ "rightgroups", 'r', false, h_groups },
	{ "eap_identity", 0, false, h_eap_identity },
	{ "ike", 0, false, h_proposal },
	{ "esp", 0, false, h_proposal },
	{ "forceencaps", 0, false, h_forceencaps },
	{ "dpdaction", 0, false, h_dpdaction },
	{ "dpddelay", 0, false, h_dpddelay },
	{ "dpdtimeout", 0, false, h_dpdtimeout },
	{ "rekey", 0, false, h_feature },
	{ "reauth", 0, false, h_feature },
	{ "mobike", 0, false, h_feature },
	{ "compress", 0, false, h_feature },
	{ "fragmentation", 0, false, h_fragmentation },
	{ "ikelifetime", 0, false, h_ikelifetime },
	{ "lifetime", 0, false, h_lifetime },
	{ "keylife", 0, false, h_lifetime },
	{ "margintime", 0, false, h_margintime },
	{ "rekeymargin", 0, false, h_margintime },
	{ "rekeyfuzz", 0, false, h_rekeyfuzz },
	{ "keyingtries", 0, false, h_keyingtries },
	{ "closeaction", 0, false, h_closeaction },
	{ "inactivity", 0, true, h_inactivity },
	{ "aggressive", 0, false, h_aggressive },
	{ "reqid", 0, true, h_reqid },
	{ "mark", 0, true, h_mark },
	{ "mark_in", 0, true, h_mark },
	{ "mark_out", 0, true, h_mark },
};

static const struct conn_key *conn_key(const char *name)
{
	for (size_t i = 0; i < sizeof(conn_keys) / sizeof(conn_keys[0]); i++)
		if (strcmp(conn_keys[i].name, name) == 0)
			return &conn_keys[i];
	return NULL;
}

/* ---- conn resolution ---- */

struct eff {
	const struct conf_kv **kv;
	int n, cap;
};

static int eff_set(struct eff *e, const struct conf_kv *kv)
{
	for (int i = 0; i < e->n; i++) {
		if (strcmp(e->kv[i]->key, kv->key) == 0) {
			e->kv[i] = kv;
			return 0;
		}
	}
	if (conf_grow((void **)&e->kv, &e->cap, e->n, sizeof(*e->kv)) < 0)
		return -1;
	e->kv[e->n++] = kv;
	return 0;
}

static int find_conn(const struct conf_raw *raw, const char *name)
{
	for (int i = 0; i < raw->n_secs; i++)
		if (raw->secs[i].kind == SEC_CONN && strcmp(raw->secs[i].name, name) == 0 &&
		    strcmp(name, "%default") != 0)
			return i;
	return -1;
}

/* Layers section idx (its also= first) onto e. stack holds the sections
 * being applied, to catch loops. */
static int apply_sec(const struct conf_raw *raw, struct eff *e, int idx, int *stack,
                     int depth, char *err, size_t errlen)
{
	const struct conf_sec *sec = &raw->secs[idx];
	char show[CONF_SHOW_LEN];

	stack[depth] = idx;
	for (int k = 0; k < sec->n_kv; k++) {
		const struct conf_kv *kv = &sec->kv[k];
		const char *p = kv->value;

		if (strcmp(kv->key, "also") != 0)
			continue;
		if (!*p) {
			conf_errf(err, errlen, kv->file, kv->line, "also: expected a conn name");
			return -1;
		}
		/* "also=a b" names several conns */
		while (*p) {
			char name[256];
			size_t l = strcspn(p, " ");
			int t;

			snprintf(name, sizeof(name), "%.*s", (int)(l < 255 ? l : 255), p);
			p += l;
			while (*p == ' ')
				p++;
			t = find_conn(raw, name);
			if (t < 0) {
				conf_errf(err, errlen, kv->file, kv->line, "also: no conn '%s'",
				          conf_show(name, show, sizeof(show)));
				return -1;
			}
			for (int s = 0; s <= depth; s++) {
				if (stack[s] == t) {
					conf_errf(err, errlen, kv->file, kv->line,
					          "also=%s makes a loop (conn '%s' includes itself)",
					          conf_show(name, show, sizeof(show)),
					          raw->secs[stack[0]].name);
					return -1;
				}
			}
			if (depth + 1 >= ALSO_MAX_DEPTH) {
				conf_errf(err, errlen, kv->file, kv->line,
				          "also= nested more than %d deep", ALSO_MAX_DEPTH);
				return -1;
			}
			if (apply_sec(raw, e, t, stack, depth + 1, err, errlen) < 0)
				return -1;
		}
	}
	for (int k = 0; k < sec->n_kv; k++) {
		if (strcmp(sec->kv[k].key, "also") == 0)
			continue;
		if (eff_set(e, &sec->kv[k]) < 0)
			return oom(err, errlen, &sec->kv[k]);
	}
	return 0;
}

static void end_free(struct conf_end *e)
{
	free(e->host);
	free(e->id);
	free(e->cert);
	free(e->updown);
	free(e->ca);
	free(e->groups);
}

static void conn_free(struct conf_conn *c)
{
	if (!c)
		return;
	free(c->name);
	end_free(&c->left);
	end_free(&c->right);
	free(c->eap_identity);
	for (int i = 0; i < c->n_pending; i++) {
		free(c->pending[i].key);
		free(c->pending[i].value);
	}
	free(c->pending);
	memset(c, 0, sizeof(*c));
}

static void conn_init(struct conf_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->left.sendcert = SENDCERT_IFASKED;
	c->right.sendcert = SENDCERT_IFASKED;
	c->dpdaction = DPD_NONE;
	c->dpddelay = 30;
	c->dpdtimeout = 150;
	c->rekey = true;
	c->reauth = true;
	c->ikelifetime = 10800;
	c->lifetime = 3600;
	c->margintime = 540;
	c->rekeyfuzz = 100;
	c->fragmentation = FRAG_YES;
	c->mobike = true;
	c->autostart = AUTO_ADD;
	c->keyingtries = 3;
	c->closeaction = DPD_NONE;
}

/* true when some element of nets is IPv4 (strongSwan looks for a '.' in
 * the subnet string) */
static bool has_v4(const struct conf_net *nets, int n)
{
	for (int i = 0; i < n; i++)
		if (nets[i].family == AF_INET)
			return true;
	return false;
}

/* leftsourceip=, once every other key is known: see want_vip4/6 in
 * ipsec_conf.h for the rules (strongSwan's stroke backend) */
static int settle_left_sourceip(struct cctx *c)
{
	struct conf_conn *cn = c->conn;
	const struct conf_kv *kv = c->left_sourceip;
	struct cv_vip vip;
	char why[256];

	if (!kv)
		return 0;
	if (cv_vip_list(kv->value, &vip, why, sizeof(why)) < 0) {
		/* what cygnet accepted before it built leftsourceip (subnets,
		 * ranges: a server's own inner address) stays accepted, pending */
		struct conf_range r[CONF_MAX_NETS];
		char why2[256];
		int n;
		bool cfg;
		if (cv_sourceip_list(kv->value, r, &n, &cfg, why2, sizeof(why2)) < 0)
			return bad(c, kv, "%s", why);
		return pend(c, kv);
	}
	if (cn->right.n_sourceip > 0 || cn->right.sourceip_config || vip.literal)
		return pend(c, kv);
	cn->left.want_vip4 = vip.v4;
	cn->left.want_vip6 = vip.v6;
	if (vip.plain) {
		const struct conf_end *sub = cn->left.n_subnet > 0 ? &cn->left : &cn->right;
		const char *h = cn->left.host, *colon = h ? strchr(h, ':') : NULL;
		const char *comma = h ? strchr(h, ',') : NULL;
		bool v6;

		if (sub->n_subnet > 0)
			v6 = !has_v4(sub->subnet, sub->n_subnet);
		else
			v6 = colon && (!comma || colon < comma);
		if (v6)
			cn->left.want_vip6 = true;
		else
			cn->left.want_vip4 = true;
	}
	return 0;
}

/* Builds conn section idx into *out (freed by the caller on failure). */
static int build_conn(struct ipsec_conf *conf, const struct conf_raw *raw, int idx,
                      struct conf_conn *out, char *err, size_t errlen)
{
	const struct conf_sec *sec = &raw->secs[idx];
	struct cctx c = { .conf = conf, .conn = out, .authby = AUTH_UNSET, .err = err,
	                  .errlen = errlen };
	struct eff e = { 0 };
	int stack[ALSO_MAX_DEPTH];
	int ret = -1;

	conn_init(out);
	out->name = strdup(sec->name);
	if (!out->name) {
		conf_errf(err, errlen, sec->file, sec->line, "out of memory");
		goto out;
	}
	out->file = sec->file;
	out->line = sec->line;
	for (int i = 0; i < raw->n_secs; i++) {
		if (raw->secs[i].kind == SEC_CONN && strcmp(raw->secs[i].name, "%default") == 0 &&
		    apply_sec(raw, &e, i, stack, 0, err, errlen) < 0)
			goto out;
	}
	if (apply_sec(raw, &e, idx, stack, 0, err, errlen) < 0)
		goto out;
	/* auto first: a conn that is not loaded (auto=ignore, strongSwan's
	 * default) is like a commented-out one, its values need not be
	 * honourable; its keywords were checked, and conns that pull it in
	 * with also= validate what they inherit */
	for (int i = 0; i < e.n; i++) {
		if (strcmp(e.kv[i]->key, "auto") == 0 && *e.kv[i]->value &&
		    h_auto(&c, e.kv[i]) < 0)
			goto out;
	}
	if (!out->auto_add) {
		ret = 0;
		goto out;
	}
	for (int i = 0; i < e.n; i++) {
		const struct conf_kv *kv = e.kv[i];
		const struct conn_key *k = conn_key(kv->key);

		/* "key=": default; unknowns were caught earlier; auto is done */
		if (!*kv->value || !k || !k->fn || k->fn == h_auto)
			continue;
		c.end = k->side == 'l' ? &out->left : k->side == 'r' ? &out->right : NULL;
		if (k->fn(&c, kv) < 0)
			goto out;
		if (k->pending && pend(&c, kv) < 0)
			goto out;
	}
	if (settle_left_sourceip(&c) < 0)
		goto out;
	/* rightsubnet= (the remote traffic selector and routes) and
	 * closeaction= are built for a conn that initiates; a responder does
	 * not use them yet */
	if (!conf_host_is_specific(out->right.host) &&
	    ((c.right_subnet && pend(&c, c.right_subnet) < 0) ||
	     (c.closeaction && pend(&c, c.closeaction) < 0)))
		goto out;
	/* rightauth2= asks the peer for a second round: built for a server
	 * (responder) conn; a conn that initiates does not ask for it */
	if (conf_host_is_specific(out->right.host) && c.right_auth2 &&
	    !conf_auth_is_eap(out->right.auth) && pend(&c, c.right_auth2) < 0)
		goto out;
	if (c.authby != AUTH_UNSET) {
		if (out->left.auth == AUTH_UNSET)
			out->left.auth = c.authby;
		if (out->right.auth == AUTH_UNSET)
			out->right.auth = c.authby;
	}
	ret = 0;
out:
	free(e.kv);
	return ret;
}

/* ---- top level ---- */

/* Every keyword known, setup values applied, conn names unique. */
static int check_sections(struct ipsec_conf *conf, const struct conf_raw *raw,
                          char *err, size_t errlen)
{
	char show[CONF_SHOW_LEN];

	for (int i = 0; i < raw->n_secs; i++) {
		const struct conf_sec *sec = &raw->secs[i];

		if (sec->kind == SEC_CONN && strcmp(sec->name, "%default") != 0) {
			for (int j = 0; j < i; j++) {
				if (raw->secs[j].kind == SEC_CONN &&
				    strcmp(raw->secs[j].name, sec->name) == 0) {
					conf_errf(err, errlen, sec->file, sec->line,
					          "duplicate conn '%s' (first defined at %s:%d)",
					          conf_show(sec->name, show, sizeof(show)),
					          raw->secs[j].file, raw->secs[j].line);
					return -1;
				}
			}
		}
		for (int k = 0; k < sec->n_kv; k++) {
			const struct conf_kv *kv = &sec->kv[k];
			if (sec->kind == SEC_SETUP) {
				if (!ipsec_setup_key(kv->key)) {
					conf_errf(err, errlen, kv->file, kv->line,
					          conn_key(kv->key) ? "keyword '%s' belongs in a conn section"
					                            : "unknown keyword '%s'",
					          conf_show(kv->key, show, sizeof(show)));
					return -1;
				}
				if (ipsec_setup_kv(conf, kv, err, errlen) < 0)
					return -1;
			} else if (!conn_key(kv->key)) {
				conf_errf(err, errlen, kv->file, kv->line,
				          ipsec_setup_key(kv->key) ? "keyword '%s' belongs in 'config setup'"
				                                   : "unknown keyword '%s'",
				          conf_show(kv->key, show, sizeof(show)));
				return -1;
			}
		}
	}
	return 0;
}

static struct ipsec_conf *build(struct conf_raw *raw, char *err, size_t errlen)
{
	struct ipsec_conf *conf = calloc(1, sizeof(*conf));
	struct ipsec_conf *ret = NULL;
	struct conf_conn conn;
	int cap = 0;

	memset(&conn, 0, sizeof(conn));
	if (!conf) {
		conf_errf(err, errlen, raw->n_files ? raw->files[0] : "ipsec.conf", 0, "out of memory");
		goto out;
	}
	/* the file names now belong to conf */
	conf->files = raw->files;
	conf->n_files = raw->n_files;
	raw->files = NULL;
	raw->n_files = 0;
	if (ipsec_setup_defaults(conf) < 0) {
		conf_errf(err, errlen, conf->files[0], 0, "out of memory");
		goto out;
	}
	if (check_sections(conf, raw, err, errlen) < 0)
		goto out;
	for (int i = 0; i < raw->n_secs; i++) {
		if (raw->secs[i].kind != SEC_CONN || strcmp(raw->secs[i].name, "%default") == 0)
			continue;
		if (build_conn(conf, raw, i, &conn, err, errlen) < 0)
			goto out;
		if (!conn.auto_add) {   /* auto=ignore (strongSwan's default) */
			conn_free(&conn);
			continue;
		}
		if (conf_grow((void **)&conf->conns, &cap, conf->n_conns, sizeof(*conf->conns)) < 0) {
			conf_errf(err, errlen, conn.file, conn.line, "out of memory");
			goto out;
		}
		conf->conns[conf->n_conns++] = conn;
		memset(&conn, 0, sizeof(conn));
	}
	if (ipsec_setup_check(conf, err, errlen) < 0)
		goto out;
	ret = conf;
	conf = NULL;
out:
	conn_free(&conn);
	ipsec_conf_free(conf);
	return ret;
}

struct ipsec_conf *ipsec_conf_load(const char *path, char *err, size_t errlen)
{
	struct conf_raw raw = { 0 };
	struct ipsec_conf *conf = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		conf_errf(err, errlen, "ipsec.conf", 0, "no file name");
		goto out;
	}
	if (conf_lex_file(&raw, path, err, errlen) < 0)
		goto out;
	conf = build(&raw, err, errlen);
out:
	conf_raw_free(&raw);
	return conf;
}

struct ipsec_conf *ipsec_conf_parse(const char *name, const char *text,
                                    char *err, size_t errlen)
{
	struct conf_raw raw = { 0 };
	struct ipsec_conf *conf = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (conf_lex_text(&raw, name, text, err, errlen) < 0)
		goto out;
	conf = build(&raw, err, errlen);
out:
	conf_raw_free(&raw);
	return conf;
}

void ipsec_conf_free(struct ipsec_conf *c)
{
	if (!c)
		return;
	free(c->charondebug);
	free(c->tun_name);
	free(c->user);
	for (int i = 0; i < c->n_pending; i++) {
		free(c->pending[i].key);
		free(c->pending[i].value);
	}
	free(c->pending);
	conf_strv_free(c->warnings, c->n_warnings);
	conf_strv_free(c->redirect_to, c->n_redirect_to);
	for (int i = 0; i < c->n_conns; i++)
		conn_free(&c->conns[i]);
	free(c->conns);
	conf_strv_free(c->files, c->n_files);
	free(c);
}

struct ipsec_conf *ipsec_conf_from_raw(struct conf_raw *raw, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	return build(raw, err, errlen);
}
