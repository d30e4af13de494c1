/* ipsec.conf: raw sections (conf_lex.c) into struct ipsec_conf.
 *
 * Every keyword has one row in a table saying how its value is checked
 * and stored. A conn's keys are resolved in strongSwan's order: every
 * "conn %default" first, then the conns named by also= (recursively, in
 * order), then the conn's own keys; "key=" resets to the default.
 * Keywords whose behaviour is not built yet are still validated, and
 * recorded in conn->pending so the daemon can say so at startup. */
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

#define ALSO_MAX_DEPTH 32

struct cctx {
	struct ipsec_conf *conf;    /* for warnings */
	struct conf_conn *conn;
	struct conf_end *end;       /* the side a left.../right... key is about */
	enum conf_auth authby;      /* authby= fills leftauth/rightauth left unset */
	/* keys settled after all others (they depend on other keys) */
	const struct conf_kv *left_sourceip, *right_subnet, *closeaction, *right_auth2;
	char *err;
	size_t errlen;
};

typedef int (*conn_fn)(struct cctx *c, const struct conf_kv *kv);

struct conn_key {
	const char *name;
	char side;                  /* 'l', 'r' or 0 */
	bool pending;               /* any value asks for behaviour not built */
	conn_fn fn;                 /* NULL: also= (structural) */
};

/* "file:line: key: reason" */
static int bad(struct cctx *c, const struct conf_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct cctx *c, const struct conf_kv *kv, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conf_errf(c->err, c->errlen, kv->file, kv->line, "%s: %s", kv->key, why);
	return -1;
}

static int oom(char *err, size_t errlen, const struct conf_kv *kv)
{
	conf_errf(err, errlen, kv ? kv->file : "ipsec.conf", kv ? kv->line : 0, "out of memory");
	return -1;
}

static int add_pending(struct conf_pending **arr, int *n, const struct conf_kv *kv,
                       char *err, size_t errlen)
{
	struct conf_pending *na = realloc(*arr, (size_t)(*n + 1) * sizeof(*na));

	if (!na)
		return oom(err, errlen, kv);
	*arr = na;
	na[*n].key = strdup(kv->key);
	na[*n].value = strdup(kv->value);
	na[*n].file = kv->file;
	na[*n].line = kv->line;
	if (!na[*n].key || !na[*n].value) {
		free(na[*n].key);
		free(na[*n].value);
		return oom(err, errlen, kv);
	}
	(*n)++;
	return 0;
}

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

/* value must be one of names[]; *out gets the index */
static int pick(struct cctx *c, const struct conf_kv *kv, const char *const *names,
                int n, int *out)
{
	char list[256] = "", show[CONF_SHOW_LEN];
	size_t pos = 0;

	for (int i = 0; i < n; i++) {
		if (strcmp(kv->value, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; i < n && pos < sizeof(list); i++)
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", i ? ", " : "", names[i]);
	return bad(c, kv, "'%s' is not one of %s", conf_show(kv->value, show, sizeof(show)), list);
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

/* ---- config setup ---- */

static const char *const setup_names[] = {
	"uniqueids", "charondebug", "tun", "user", "strictcrlpolicy", "cachecrls",
	"retransmit_timeout", "retransmit_base", "retransmit_tries",
	"auth_backoff", "auth_backoff_free", "auth_backoff_free_source", "auth_backoff_base",
	"auth_backoff_max", "dns1", "dns2", "nbns1", "nbns2", "mtu", "mssfix",
	"metrics", "redirect_to", "redirect_above", "follow_redirects",
};

/* whole-number settings of config setup: name, where, allowed range */
static const struct setup_num {
	const char *name;
	size_t off;
	uint32_t min, max;
} setup_nums[] = {
	{ "cookie_threshold", offsetof(struct ipsec_conf, cookie_threshold), 0, 1000000 },
	{ "block_threshold", offsetof(struct ipsec_conf, block_threshold), 1, 1000000 },
	{ "init_limit_half_open", offsetof(struct ipsec_conf, init_limit_half_open), 0, 1000000 },
	{ "ikesa_limit", offsetof(struct ipsec_conf, ikesa_limit), 0, 10000000 },
	{ "ikesa_limit_per_source", offsetof(struct ipsec_conf, ikesa_limit_per_source), 0,
	  10000000 },
	{ "half_open_timeout", offsetof(struct ipsec_conf, half_open_timeout), 1, 600 },
	{ "ike_threads", offsetof(struct ipsec_conf, ike_threads), 0, 16 },
	{ "esp_threads", offsetof(struct ipsec_conf, esp_threads), 0, 16 },
	{ "radius_requests_per_source", offsetof(struct ipsec_conf, radius_requests_per_source),
	  0, 100000 },
};

static const struct setup_num *setup_num(const char *k)
{
	for (size_t i = 0; i < sizeof(setup_nums) / sizeof(setup_nums[0]); i++)
		if (strcmp(k, setup_nums[i].name) == 0)
			return &setup_nums[i];
	return NULL;
}

static bool is_setup_key(const char *k)
{
	if (setup_num(k))
		return true;
	for (size_t i = 0; i < sizeof(setup_names) / sizeof(setup_names[0]); i++)
		if (strcmp(k, setup_names[i]) == 0)
			return true;
	return false;
}

/* auth_backoff*: the password-guessing limits (src/auth_limit.h) */
static int setup_backoff(struct ipsec_conf *conf, struct cctx *c, const struct conf_kv *kv)
{
	char why[256];
	uint32_t x;
	if (strcmp(kv->key, "auth_backoff") == 0) {
		if (cv_bool(kv->value, &conf->auth_backoff, why, sizeof(why)) < 0)
			return bad(c, kv, "%s", why);
		return 0;
	}
	if (strcmp(kv->key, "auth_backoff_free") == 0 ||
	    strcmp(kv->key, "auth_backoff_free_source") == 0) {
		if (cv_uint(kv->value, &x, why, sizeof(why)) < 0)
			return bad(c, kv, "%s", why);
		if (x > 100000)
			return bad(c, kv, "expected a number of failures from 0 to 100000");
		if (strcmp(kv->key, "auth_backoff_free") == 0)
			conf->auth_backoff_free = x;
		else
			conf->auth_backoff_free_source = x;
		return 0;
	}
	if (cv_duration(kv->value, &x, why, sizeof(why)) < 0)
		return bad(c, kv, "%s", why);
	if (x < 1 || x > 86400)
		return bad(c, kv, "expected a time from 1 s to 1 day");
	if (strcmp(kv->key, "auth_backoff_base") == 0)
		conf->auth_backoff_base = x;
	else
		conf->auth_backoff_max = x;
	return 0;
}

/* a whole number lo..hi in v; -1 when it is none */
static long setup_whole(const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || x < lo || x > hi)
		return -1;
	return x;
}

/* mtu= and mssfix=: the TUN MTU and MSS clamping; how they go together
 * (and with the conns' IPv6) is checked by check_mtu once all is read */
static int setup_mtu(struct ipsec_conf *conf, struct cctx *c, const struct conf_kv *kv)
{
	const char *v = kv->value;
	if (strcmp(kv->key, "mtu") == 0) {
		long x = *v ? setup_whole(v, CONF_MTU_MIN, CONF_MTU_MAX) : CONF_MTU_DEFAULT;
		if (x < 0)
			return bad(c, kv, "expected the TUN device's MTU in bytes, from %d to %d "
			           "(default %d)", CONF_MTU_MIN, CONF_MTU_MAX, CONF_MTU_DEFAULT);
		conf->mtu = (unsigned)x;
		conf->mtu_file = *v ? kv->file : NULL;
		conf->mtu_line = kv->line;
		return 0;
	}
	if (!*v || strcmp(v, "yes") == 0) {
		conf->mssfix = CONF_MSSFIX_AUTO;
	} else if (strcmp(v, "no") == 0) {
		conf->mssfix = 0;
	} else {
		long x = setup_whole(v, CONF_MSS_MIN, CONF_MTU_MAX - CONF_MSS_OVERHEAD_V4);
		if (x < 0)
			return bad(c, kv, "expected yes, no, or the largest MSS to let through, "
			           "from %d to %d", CONF_MSS_MIN, CONF_MTU_MAX - CONF_MSS_OVERHEAD_V4);
		conf->mssfix = (int)x;
	}
	conf->mssfix_file = kv->file;
	conf->mssfix_line = kv->line;
	return 0;
}

/* metrics=ADDRESS:PORT or [IPv6]:PORT (empty: no listener) */
static int setup_metrics(struct ipsec_conf *conf, struct cctx *c, const struct conf_kv *kv)
{
	char host[64], show[CONF_SHOW_LEN];
	const char *v = kv->value, *port;
	memset(&conf->metrics, 0, sizeof(conf->metrics));
	conf->metrics_port = 0;
	if (!*v)
		return 0;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':' || (size_t)(close - v - 1) >= sizeof(host))
			goto bad;
		memcpy(host, v + 1, (size_t)(close - v - 1));
		host[close - v - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon || (size_t)(colon - v) >= sizeof(host))
			goto bad;
		memcpy(host, v, (size_t)(colon - v));
		host[colon - v] = '\0';
		port = colon + 1;
	}
	long p = setup_whole(port, 1, 65535);
	if (p < 0 || conf_parse_addr(host, &conf->metrics) < 0 ||
	    (v[0] == '[') != (conf->metrics.family == AF_INET6))
		goto bad;
	conf->metrics_port = (uint16_t)p;
	return 0;
bad:
	memset(&conf->metrics, 0, sizeof(conf->metrics));
	return bad(c, kv, "'%s' is not ADDRESS:PORT (127.0.0.1:9813, [::1]:9813)",
	           conf_show(v, show, sizeof(show)));
}

bool conf_redirect_host_ok(const char *s)
{
	uint8_t a[16];
	if (!s || !*s || strlen(s) > 255)
		return false;
	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return true;
	size_t label = 0;
	bool digits = true;             /* the label so far is all digits */
	for (const char *p = s;; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (!*p)
				return !digits;     /* "10.1.2" is no name and no address */
			label = 0;
			digits = true;
			continue;
		}
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9');
		if (!alnum && !(*p == '-' && label > 0))
			return false;
		if (!(*p >= '0' && *p <= '9'))
			digits = false;
		label++;
	}
}

/* redirect_to=HOST[,HOST...] (empty: none) and redirect_above=N (empty:
 * no load rule); that both or neither are given is checked by
 * check_redirect once all is read */
static int setup_redirect(struct ipsec_conf *conf, struct cctx *c, const struct conf_kv *kv)
{
	char show[CONF_SHOW_LEN];
	const char *v = kv->value;
	if (!conf->redirect_file || strcmp(kv->key, "redirect_above") == 0) {
		conf->redirect_file = kv->file;
		conf->redirect_line = kv->line;
	}
	if (strcmp(kv->key, "redirect_above") == 0) {
		conf->redirect_above_set = *v != '\0';
		long x = *v ? setup_whole(v, 0, 10000000) : 0;
		if (x < 0)
			return bad(c, kv, "expected a number of established IKE_SAs from 0 to 10000000");
		conf->redirect_above = (uint32_t)x;
		return 0;
	}
	conf_strv_free(conf->redirect_to, conf->n_redirect_to);
	conf->redirect_to = NULL;
	conf->n_redirect_to = 0;
	for (const char *p = v; *p;) {
		char host[300];
		size_t n = strcspn(p, ", \t");
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, p, n);
		host[n] = '\0';
		if (!conf_redirect_host_ok(host))
			return bad(c, kv, "'%s' is not an IPv4 or IPv6 address or a DNS name (letters, "
			           "digits, '-' and '.', at most 255 characters)",
			           conf_show(host, show, sizeof(show)));
		if (conf->n_redirect_to >= 64)
			return bad(c, kv, "more than 64 hosts");
		if (conf_strv_add(&conf->redirect_to, &conf->n_redirect_to, host) < 0)
			return oom(c->err, c->errlen, kv);
		p += strcspn(p, ", \t");
	}
	return 0;
}

static int setup_kv(struct ipsec_conf *conf, const struct conf_kv *kv, char *err, size_t errlen)
{
	struct conf_conn dummy;
	struct cctx c = { .conn = &dummy, .err = err, .errlen = errlen };
	char why[256];
	const char *v = kv->value;
	char *copy = NULL;
	int i;

	if (strcmp(kv->key, "uniqueids") == 0) {
		static const char *const names[] = { "yes", "no", "never", "replace", "keep" };
		if (!*v) {
			conf->uniqueids = UNIQUE_YES;
			return 0;
		}
		if (pick(&c, kv, names, 5, &i) < 0)
			return -1;
		conf->uniqueids = (enum uniqueids)i;
		return 0;
	}
	const struct setup_num *sn = setup_num(kv->key);
	if (sn) {
		char *end;
		errno = 0;
		unsigned long x = strtoul(v, &end, 10);
		if (!*v || *end || errno || v[0] == '-' || x < sn->min || x > sn->max)
			return bad(&c, kv, "expected a whole number from %u to %u", sn->min, sn->max);
		/* the thread counts are ints (their default, -1, means automatic) */
		if (strcmp(sn->name, "ike_threads") == 0)
			conf->ike_threads = (int)x;
		else if (strcmp(sn->name, "esp_threads") == 0)
			conf->esp_threads = (int)x;
		else
			*(uint32_t *)((char *)conf + sn->off) = (uint32_t)x;
		return 0;
	}
	if (strncmp(kv->key, "auth_backoff", 12) == 0)
		return setup_backoff(conf, &c, kv);
	if (strcmp(kv->key, "mtu") == 0 || strcmp(kv->key, "mssfix") == 0)
		return setup_mtu(conf, &c, kv);
	if (strncmp(kv->key, "retransmit_", 11) == 0) {
		/* strongSwan's charon.retransmit_* settings (strongswan.conf there) */
		char *end;
		double x = strtod(v, &end);
		if (!*v || *end || x != x)
			return bad(&c, kv, "expected a number");
		if (strcmp(kv->key, "retransmit_tries") == 0) {
			if (x < 0 || x > 20 || x != (double)(int)x)
				return bad(&c, kv, "expected a whole number from 0 to 20");
			conf->retransmit_tries = (uint32_t)x;
		} else if (strcmp(kv->key, "retransmit_timeout") == 0) {
			if (x < 0.1 || x > 600)
				return bad(&c, kv, "expected seconds from 0.1 to 600");
			conf->retransmit_timeout = x;
		} else {
			if (x < 1 || x > 10)
				return bad(&c, kv, "expected a factor from 1 to 10");
			conf->retransmit_base = x;
		}
		return 0;
	}
	if (strcmp(kv->key, "strictcrlpolicy") == 0) {
		static const char *const names[] = { "yes", "no", "ifuri" };
		static const enum crl_policy vals[] = { CRL_POLICY_YES, CRL_POLICY_NO,
		                                        CRL_POLICY_IFURI };
		if (!*v) {
			conf->strictcrlpolicy = CRL_POLICY_NO;
			return 0;
		}
		if (pick(&c, kv, names, 3, &i) < 0)
			return -1;
		conf->strictcrlpolicy = vals[i];
		return 0;
	}
	if (strcmp(kv->key, "cachecrls") == 0) {
		static const char *const names[] = { "yes", "no" };
		if (!*v)
			return 0;
		if (pick(&c, kv, names, 2, &i) < 0)
			return -1;
		/* cygnet fetches no CRLs, so it caches none: the daemon says so */
		return add_pending(&conf->pending, &conf->n_pending, kv, err, errlen);
	}
	if (strcmp(kv->key, "follow_redirects") == 0) {
		static const char *const names[] = { "yes", "no" };
		if (!*v) {
			conf->follow_redirects = true;
			return 0;
		}
		if (pick(&c, kv, names, 2, &i) < 0)
			return -1;
		conf->follow_redirects = i == 0;
		return 0;
	}
	if (strcmp(kv->key, "metrics") == 0)
		return setup_metrics(conf, &c, kv);
	if (strncmp(kv->key, "redirect_", 9) == 0)
		return setup_redirect(conf, &c, kv);
	if ((strncmp(kv->key, "dns", 3) == 0 || strncmp(kv->key, "nbns", 4) == 0)) {
		bool nbns = kv->key[0] == 'n';
		struct conf_addr *slot = nbns ? &conf->nbns[kv->key[4] - '1'] : &conf->dns[kv->key[3] - '1'];
		char show[CONF_SHOW_LEN];
		if (!*v) {
			memset(slot, 0, sizeof(*slot));
			return 0;
		}
		if (conf_parse_addr(v, slot) < 0) {
			memset(slot, 0, sizeof(*slot));
			return bad(&c, kv, "'%s' is not an IP address", conf_show(v, show, sizeof(show)));
		}
		if (nbns && slot->family != AF_INET) {
			memset(slot, 0, sizeof(*slot));
			return bad(&c, kv, "a NetBIOS name server must be an IPv4 address "
			           "(IKEv2 has INTERNAL_IP4_NBNS only)");
		}
		return 0;
	}
	if (*v) {
		int r = 0;
		if (strcmp(kv->key, "charondebug") == 0)
			r = cv_charondebug(v, why, sizeof(why));
		else if (strcmp(kv->key, "tun") == 0)
			r = cv_ifname(v, why, sizeof(why));
		else
			r = cv_username(v, why, sizeof(why));
		if (r < 0)
			return bad(&c, kv, "%s", why);
		copy = strdup(v);
		if (!copy)
			return oom(err, errlen, kv);
	} else if (strcmp(kv->key, "tun") == 0) {
		copy = strdup("cygnet0");
		if (!copy)
			return oom(err, errlen, kv);
	}
	if (strcmp(kv->key, "charondebug") == 0) {
		free(conf->charondebug);
		conf->charondebug = copy;
	} else if (strcmp(kv->key, "tun") == 0) {
		free(conf->tun_name);
		conf->tun_name = copy;
	} else {
		free(conf->user);
		conf->user = copy;
	}
	return 0;
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
				if (!is_setup_key(kv->key)) {
					conf_errf(err, errlen, kv->file, kv->line,
					          conn_key(kv->key) ? "keyword '%s' belongs in a conn section"
					                            : "unknown keyword '%s'",
					          conf_show(kv->key, show, sizeof(show)));
					return -1;
				}
				if (setup_kv(conf, kv, err, errlen) < 0)
					return -1;
			} else if (!conn_key(kv->key)) {
				conf_errf(err, errlen, kv->file, kv->line,
				          is_setup_key(kv->key) ? "keyword '%s' belongs in 'config setup'"
				                                : "unknown keyword '%s'",
				          conf_show(kv->key, show, sizeof(show)));
				return -1;
			}
		}
	}
	return 0;
}

/* the address family a conn's tunnel carries IPv6 in: an IPv6 pool, an
 * IPv6 virtual IP asked for, or an IPv6 remote subnet routed to it */
static bool conn_carries_ipv6(const struct conf_conn *cn)
{
	for (int i = 0; i < cn->right.n_sourceip; i++)
		if (cn->right.sourceip[i].family == AF_INET6)
			return true;
	for (int i = 0; i < cn->right.n_subnet; i++)
		if (cn->right.subnet[i].family == AF_INET6)
			return true;
	return cn->left.want_vip6;
}

/* mtu= against mssfix= and the conns: an MSS that does not fit the MTU,
 * or an MTU below IPv6's minimum (Linux turns IPv6 off on such a device)
 * while a conn carries IPv6, is an error at the line that set it */
static int check_mtu(const struct ipsec_conf *conf, char *err, size_t errlen)
{
	unsigned fit = conf->mtu - CONF_MSS_OVERHEAD_V4;
	if (conf->mssfix > 0 && (unsigned)conf->mssfix > fit) {
		conf_errf(err, errlen, conf->mssfix_file, conf->mssfix_line, "mssfix: %d does not "
		          "fit the TUN MTU (mtu=%u leaves %u for a TCP segment over IPv4): lower it, "
		          "or write mssfix=yes", conf->mssfix, conf->mtu, fit);
		return -1;
	}
	if (conf->mtu >= CONF_MTU_MIN_V6)
		return 0;
	for (int i = 0; i < conf->n_conns; i++) {
		if (!conn_carries_ipv6(&conf->conns[i]))
			continue;
		char show[CONF_SHOW_LEN];
		conf_errf(err, errlen, conf->mtu_file, conf->mtu_line, "mtu: %u is below %d, the "
		          "least IPv6 allows (RFC 8200), but conn '%s' carries IPv6 (an IPv6 pool, "
		          "virtual IP or rightsubnet)", conf->mtu, CONF_MTU_MIN_V6,
		          conf_show(conf->conns[i].name, show, sizeof(show)));
		return -1;
	}
	return 0;
}

/* redirect_above= and redirect_to= go together: one without the other
 * would do nothing */
static int check_redirect(const struct ipsec_conf *conf, char *err, size_t errlen)
{
	if (conf->redirect_above_set && !conf->n_redirect_to) {
		conf_errf(err, errlen, conf->redirect_file, conf->redirect_line, "redirect_above: "
		          "no redirect_to=HOST[,HOST...] to send the clients to");
		return -1;
	}
	if (!conf->redirect_above_set && conf->n_redirect_to) {
		conf_errf(err, errlen, conf->redirect_file, conf->redirect_line, "redirect_to: "
		          "set redirect_above=N too (new clients go elsewhere once N IKE_SAs are "
		          "established; 0: always)");
		return -1;
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
	conf->uniqueids = UNIQUE_YES;
	conf->retransmit_timeout = 4.0;
	conf->retransmit_base = 1.8;
	conf->retransmit_tries = 5;
	conf->cookie_threshold = 10;
	conf->block_threshold = 5;
	conf->init_limit_half_open = 1000;
	conf->ikesa_limit = 50000;
	conf->ikesa_limit_per_source = 500;
	conf->half_open_timeout = 30;
	conf->follow_redirects = true;
	conf->ike_threads = -1;
	conf->esp_threads = -1;
	conf->mtu = CONF_MTU_DEFAULT;
	conf->mssfix = CONF_MSSFIX_AUTO;
	conf->auth_backoff = true;
	conf->auth_backoff_free = 5;
	conf->auth_backoff_free_source = 20;
	conf->auth_backoff_base = 2;
	conf->auth_backoff_max = 900;
	conf->radius_requests_per_source = 8;
	conf->tun_name = strdup("cygnet0");
	if (!conf->tun_name) {
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
	if (check_mtu(conf, err, errlen) < 0 || check_redirect(conf, err, errlen) < 0)
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
