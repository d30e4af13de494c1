/* swanctl.conf into struct ipsec_conf and struct secrets
 * (conf/swanctl_conf.h).
 *
 * The settings tree (conf/swanctl_lex.c) is translated into raw
 * ipsec.conf sections (one "conn" per connection, one "config setup"),
 * which conf/ipsec_conf.c then checks and builds exactly as it does an
 * ipsec.conf. Every key of every section has a row in a table below that
 * says what becomes of it:
 *   MAP      the ipsec.conf keyword named in the row, value as written
 *   FN       a handler (the value needs translating or collecting)
 *   PENDING  accepted; the daemon reports it as not implemented yet
 *   IGNORE   harmless to ignore in cygnet (the reason is in the row)
 *   REFUSE   an error naming file:line (the reason is in the row)
 * A key without a row is an error. Every generated ipsec.conf key carries
 * the swanctl key's file:line; errors and pending lines coming back from
 * conf/ipsec_conf.c are renamed to the swanctl key ("connections.rw.
 * local.auth") and value as written. */
#include "conf/swanctl_conf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_lex.h"
#include "conf/conf_util.h"
#include "conf/conf_values.h"
#include "conf/swanctl_lex.h"
#include "conf/swanctl_secrets.h"

/* one generated ipsec.conf key, to speak of it in swanctl's words */
struct xlat {
	const char *file;
	int file_idx;               /* in the tree's files (for errors after build) */
	int line;
	char *ikey;                 /* the ipsec.conf keyword */
	char *skey;                 /* the swanctl key, dotted */
	char *sval;                 /* its value as written */
};

/* what a conn gets after conf/ipsec_conf.c built it */
struct extra {
	bool no_certreq;
	/* pools = a, b: the name of each rightsourceip range, in order */
	char pool_name[CONF_MAX_NETS][CONF_POOL_NAME_MAX];
	int n_pool_name;
	struct conf_pending *pend;
	int n_pend;
};

struct tr {
	struct sw_tree tree;
	struct conf_raw raw;
	int cap_secs;
	struct xlat *x;
	int n_x, cap_x;
	struct extra *ext;          /* one per conn section of raw */
	int n_ext, cap_ext;
	/* unique: the strictest written (rank), where, and whether they differ */
	int unique_rank;
	const struct sw_node *unique_kv;
	bool unique_differ;
	char dir[1024];             /* the directory of swanctl.conf */
	char *err;
	size_t errlen;
};

/* one connection being translated */
struct cx {
	struct tr *T;
	const struct sw_node *sec;
	int raw_idx;                /* its conf_sec in T->raw */
	int ext_idx;
	char path[320];             /* "connections.NAME" */
	char sub[384];              /* the path of the section being read */
	int round;                  /* the auth round being read (1, 2) */
	bool local;                 /* in a local round (else remote) */
	/* collected, applied at the end */
	const struct sw_node *rekey_time, *reauth_time, *over_time, *rand_time;
	const struct sw_node *dpd_delay, *pools, *keyingtries, *local_addrs, *remote_addrs;
	const struct sw_node *eap_id;
	char eap_id_path[384];
	const struct sw_node *child;
	char child_path[384];
	const struct sw_node *c_rekey, *c_life, *c_rand, *c_dpd_action, *c_start, *c_close;
};

enum kmode { MAP, FN, PENDING, IGNORE, REFUSE };

typedef int (*key_fn)(struct cx *c, const struct sw_node *kv, const char *arg);

struct key {
	const char *name;
	enum kmode mode;
	const char *arg;            /* MAP/FN: the ipsec.conf key; REFUSE: why; IGNORE: why */
	key_fn fn;
};

/* ---- small helpers ---- */

static int oom(struct tr *T, const char *file, int line)
{
	conf_errf(T->err, T->errlen, file, line, "out of memory");
	return -1;
}

/* "file:line: path.key: reason" */
static int bad(struct tr *T, const struct sw_node *kv, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(struct tr *T, const struct sw_node *kv, const char *path, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conf_errf(T->err, T->errlen, kv->file, kv->line, "%s%s%s: %s", path, *path ? "." : "",
	          kv->name, why);
	return -1;
}

static int add_pend(struct conf_pending **arr, int *n, const char *key, const char *value,
                    const char *file, int line)
{
	struct conf_pending *na = realloc(*arr, (size_t)(*n + 1) * sizeof(*na));

	if (!na)
		return -1;
	*arr = na;
	na[*n].key = strdup(key);
	na[*n].value = strdup(value);
	na[*n].file = file;
	na[*n].line = line;
	if (!na[*n].key || !na[*n].value) {
		free(na[*n].key);
		free(na[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

/* a swanctl key reported at startup as accepted but not implemented */
static int pend(struct cx *c, const struct sw_node *kv, const char *path)
{
	char key[512];
	struct extra *e = &c->T->ext[c->ext_idx];

	snprintf(key, sizeof(key), "%s.%s", path, kv->name);
	if (add_pend(&e->pend, &e->n_pend, key, kv->value, kv->file, kv->line) < 0)
		return oom(c->T, kv->file, kv->line);
	return 0;
}

/* Appends "ikey=value" to the conn's raw section, remembered as the
 * swanctl key skey (NULL: not written by the user, e.g. a default). */
static int emit_at(struct cx *c, const char *ikey, const char *value, const char *file,
                   int line, const char *skey, const char *sval)
{
	struct tr *T = c->T;
	struct conf_sec *s = &T->raw.secs[c->raw_idx];

	if (conf_grow((void **)&s->kv, &s->cap_kv, s->n_kv, sizeof(*s->kv)) < 0)
		return oom(T, file, line);
	struct conf_kv *kv = &s->kv[s->n_kv];
	kv->key = strdup(ikey);
	kv->value = strdup(value);
	kv->file = file;
	kv->line = line;
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		return oom(T, file, line);
	}
	s->n_kv++;
	if (!skey)
		return 0;
	if (conf_grow((void **)&T->x, &T->cap_x, T->n_x, sizeof(*T->x)) < 0)
		return oom(T, file, line);
	struct xlat *x = &T->x[T->n_x];
	x->file = file;
	x->file_idx = 0;
	for (int i = 0; i < T->tree.n_files; i++)
		if (T->tree.files[i] == file)
			x->file_idx = i;
	x->line = line;
	x->ikey = strdup(ikey);
	x->skey = strdup(skey);
	x->sval = strdup(sval);
	if (!x->ikey || !x->skey || !x->sval) {
		free(x->ikey);
		free(x->skey);
		free(x->sval);
		return oom(T, file, line);
	}
	T->n_x++;
	return 0;
}

/* ikey=value for the key kv of the section at path */
static int emit(struct cx *c, const char *ikey, const char *value, const struct sw_node *kv,
                const char *path)
{
	char skey[512];

	snprintf(skey, sizeof(skey), "%s.%s", path, kv->name);
	return emit_at(c, ikey, value, kv->file, kv->line, skey, kv->value);
}

/* a generated key (a default or a computed value) at the conn's header */
static int emit_gen(struct cx *c, const char *ikey, const char *value, const struct sw_node *at)
{
	const struct sw_node *w = at ? at : c->sec;
	return emit_at(c, ikey, value, w->file, w->line, NULL, NULL);
}

/* splits a comma list into trimmed elements; n elements into e[] (up to
 * max); returns n, or -1 when there are more than max */
static int split(const char *v, char sep, char e[][128], int max)
{
	int n = 0;

	while (*v) {
		while (*v == ' ' || *v == '\t')
			v++;
		size_t l = strcspn(v, (char[]){ sep, '\0' });
		size_t t = l;
		while (t > 0 && (v[t - 1] == ' ' || v[t - 1] == '\t'))
			t--;
		if (t > 0) {
			if (n == max)
				return -1;
			snprintf(e[n], 128, "%.*s", (int)(t < 127 ? t : 127), v);
			n++;
		}
		v += l;
		if (*v == sep)
			v++;
	}
	return n;
}

static int dur(struct cx *c, const struct sw_node *kv, const char *path, uint32_t *out)
{
	char why[128];

	if (cv_duration(kv->value, out, why, sizeof(why)) < 0)
		return bad(c->T, kv, path, "%s", why);
	return 0;
}

static int pick(struct cx *c, const struct sw_node *kv, const char *path,
                const char *const *names, int n)
{
	char list[256] = "", show[CONF_SHOW_LEN];
	size_t pos = 0;

	for (int i = 0; i < n; i++)
		if (strcmp(kv->value, names[i]) == 0)
			return i;
	for (int i = 0; i < n && pos < sizeof(list); i++)
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", i ? ", " : "", names[i]);
	return bad(c->T, kv, path, "'%s' is not one of %s",
	           conf_show(kv->value, show, sizeof(show)), list);
}

static int need_bool(struct cx *c, const struct sw_node *kv, const char *path, bool *out)
{
	char why[128];

	if (cv_bool(kv->value, out, why, sizeof(why)) < 0)
		return bad(c->T, kv, path, "%s", why);
	return 0;
}

/* ---- key handlers ---- */

/* arg names the slot to remember the key in */
static int h_collect(struct cx *c, const struct sw_node *kv, const char *arg)
{
	static const struct { const char *name; size_t off; } slots[] = {
		{ "rekey_time", offsetof(struct cx, rekey_time) },
		{ "reauth_time", offsetof(struct cx, reauth_time) },
		{ "over_time", offsetof(struct cx, over_time) },
		{ "rand_time", offsetof(struct cx, rand_time) },
		{ "dpd_delay", offsetof(struct cx, dpd_delay) },
		{ "pools", offsetof(struct cx, pools) },
		{ "keyingtries", offsetof(struct cx, keyingtries) },
		{ "local_addrs", offsetof(struct cx, local_addrs) },
		{ "remote_addrs", offsetof(struct cx, remote_addrs) },
		{ "c_rekey", offsetof(struct cx, c_rekey) },
		{ "c_life", offsetof(struct cx, c_life) },
		{ "c_rand", offsetof(struct cx, c_rand) },
		{ "c_dpd_action", offsetof(struct cx, c_dpd_action) },
		{ "c_start", offsetof(struct cx, c_start) },
		{ "c_close", offsetof(struct cx, c_close) },
	};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (strcmp(slots[i].name, arg) == 0) {
			*(const struct sw_node **)((char *)c + slots[i].off) = kv;
			return 0;
		}
	}
	return bad(c->T, kv, c->sub, "internal: no slot '%s'", arg);
}

static int h_version(struct cx *c, const struct sw_node *kv, const char *arg)
{
	(void)arg;
	if (strcmp(kv->value, "1") == 0)
		return bad(c->T, kv, c->sub, "IKEv1 is not supported");
	if (strcmp(kv->value, "0") != 0 && strcmp(kv->value, "2") != 0)
		return bad(c->T, kv, c->sub, "expected 0, 1 or 2");
	return 0;   /* 0 (both): cygnet answers IKEv2 only */
}

static int h_port(struct cx *c, const struct sw_node *kv, const char *arg)
{
	(void)arg;
	if (strcmp(kv->value, "500") != 0)
		return bad(c->T, kv, c->sub, "only port 500 is supported (with 4500 for NAT-T)");
	return 0;
}

/* local_addrs / remote_addrs: any wildcard means %any (swanctl's default) */
static int addrs_value(struct cx *c, const struct sw_node *kv, char *out, size_t outlen)
{
	static const char *const any[] = { "%any", "%any4", "%any6", "0.0.0.0/0", "::/0",
	                                   "0.0.0.0", "::" };
	char e[CONF_MAX_NETS][128];
	int n = split(kv->value, ',', e, CONF_MAX_NETS);
	size_t pos = 0;

	if (n < 0)
		return bad(c->T, kv, c->sub, "more than %d addresses", CONF_MAX_NETS);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(any) / sizeof(any[0]); j++) {
			if (strcmp(e[i], any[j]) == 0) {
				snprintf(out, outlen, "%%any");
				return 0;
			}
		}
		if (strpbrk(e[i], " \t"))
			return bad(c->T, kv, c->sub, "'%s' is not an address, subnet or name", e[i]);
		pos += (size_t)snprintf(out + pos, pos < outlen ? outlen - pos : 0, "%s%s",
		                        i ? "," : "", e[i]);
	}
	if (n == 0)
		snprintf(out, outlen, "%%any");
	return 0;
}

/* proposals / esp_proposals: strict unless "default" is in the list */
static int h_props(struct cx *c, const struct sw_node *kv, const char *ikey)
{
	char e[64][128], out[4096];
	int n = split(kv->value, ',', e, 64);
	size_t pos = 0;
	bool with_default = false;
	int kept = 0;

	if (n < 0)
		return bad(c->T, kv, c->sub, "more than 64 proposals");
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(e[i], "default") == 0) {
			with_default = true;
			continue;
		}
		pos += (size_t)snprintf(out + pos, pos < sizeof(out) ? sizeof(out) - pos : 0, "%s%s",
		                        kept++ ? "," : "", e[i]);
	}
	if (kept == 0)
		return 0;   /* "default" or empty: cygnet's defaults */
	if (!with_default && pos + 1 < sizeof(out))
		out[pos] = '!', out[pos + 1] = '\0';
	return emit(c, ikey, out, kv, c->sub);
}

static int h_send_cert(struct cx *c, const struct sw_node *kv, const char *arg)
{
	static const char *const names[] = { "ifasked", "always", "never" };
	(void)arg;
	if (pick(c, kv, c->sub, names, 3) < 0)
		return -1;
	return emit(c, "leftsendcert", kv->value, kv, c->sub);
}

static int h_send_certreq(struct cx *c, const struct sw_node *kv, const char *arg)
{
	bool on;
	(void)arg;
	if (need_bool(c, kv, c->sub, &on) < 0)
		return -1;
	c->T->ext[c->ext_idx].no_certreq = !on;
	return 0;
}

static int h_childless(struct cx *c, const struct sw_node *kv, const char *arg)
{
	static const char *const names[] = { "allow", "never", "prefer", "force" };
	int i = pick(c, kv, c->sub, names, 4);
	(void)arg;
	if (i < 0)
		return -1;
	return i == 0 ? 0 : pend(c, kv, c->sub);
}

/* yes/no where yes asks for something not built */
static int h_pend_yes(struct cx *c, const struct sw_node *kv, const char *arg)
{
	bool on;
	(void)arg;
	if (need_bool(c, kv, c->sub, &on) < 0)
		return -1;
	return on ? pend(c, kv, c->sub) : 0;
}

/* a byte/packet count where 0 (the default) means off */
static int h_pend_count(struct cx *c, const struct sw_node *kv, const char *arg)
{
	(void)arg;
	return strcmp(kv->value, "0") == 0 ? 0 : pend(c, kv, c->sub);
}

static int h_vips(struct cx *c, const struct sw_node *kv, const char *arg)
{
	(void)arg;
	return emit(c, "leftsourceip", kv->value, kv, c->sub);
}

static int h_unique(struct cx *c, const struct sw_node *kv, const char *arg)
{
	static const char *const names[] = { "never", "no", "replace", "keep" };
	struct tr *T = c->T;
	int i = pick(c, kv, c->sub, names, 4);
	(void)arg;
	if (i < 0)
		return -1;
	if (T->unique_kv && strcmp(T->unique_kv->value, kv->value) != 0)
		T->unique_differ = true;
	if (!T->unique_kv || i > T->unique_rank) {
		T->unique_kv = kv;
		T->unique_rank = i;
	}
	return 0;
}

/* certs: ipsec.conf has one certificate per end */
static int h_certs(struct cx *c, const struct sw_node *kv, const char *ikey)
{
	char e[CONF_MAX_NETS][128];
	int n = split(kv->value, ',', e, CONF_MAX_NETS);

	if (n == 0)
		return 0;
	if (n != 1)
		return bad(c->T, kv, c->sub, "cygnet takes one certificate per round, not %d",
		           n < 0 ? CONF_MAX_NETS + 1 : n);
	return emit(c, ikey, e[0], kv, c->sub);
}

/* keys only the first round of an end maps; later rounds: pending */
static int h_round1(struct cx *c, const struct sw_node *kv, const char *ikey)
{
	if (c->round != 1)
		return pend(c, kv, c->sub);
	if (strcmp(ikey, "leftcert") == 0 || strcmp(ikey, "rightcert") == 0)
		return h_certs(c, kv, ikey);
	return emit(c, ikey, kv->value, kv, c->sub);
}

static int h_auth(struct cx *c, const struct sw_node *kv, const char *arg)
{
	char key[16];
	(void)arg;
	snprintf(key, sizeof(key), "%sauth%s", c->local ? "left" : "right", c->round == 2 ? "2" : "");
	return emit(c, key, kv->value, kv, c->sub);
}

/* eap_id: the EAP identity (remote %any: ask the client, as eap_identity=
 * %identity does) */
static int h_eap_id(struct cx *c, const struct sw_node *kv, const char *arg)
{
	const char *v = kv->value;
	(void)arg;
	if (c->eap_id && strcmp(c->eap_id->value, kv->value) != 0) {
		return bad(c->T, kv, c->sub, "a different eap_id is already given (%s:%d); cygnet "
		           "has one EAP identity per connection", c->eap_id->file, c->eap_id->line);
	}
	c->eap_id = kv;
	snprintf(c->eap_id_path, sizeof(c->eap_id_path), "%s", c->sub);
	if (!c->local && strcmp(v, "%any") == 0)
		v = "%identity";
	return emit(c, "eap_identity", v, kv, c->sub);
}

static int h_revocation(struct cx *c, const struct sw_node *kv, const char *arg)
{
	static const char *const names[] = { "relaxed", "ifuri", "strict" };
	int i = pick(c, kv, c->sub, names, 3);
	(void)arg;
	if (i < 0)
		return -1;
	return i == 0 ? 0 : pend(c, kv, c->sub);
}

/* local_ts / remote_ts */
static int h_ts(struct cx *c, const struct sw_node *kv, const char *ikey)
{
	char e[CONF_MAX_NETS][128], f[CONF_MAX_NETS][128], out[4096], show[CONF_SHOW_LEN];
	int n = split(kv->value, ',', e, CONF_MAX_NETS);
	size_t pos = 0;
	int kept = 0, dyn = 0;

	if (n < 0)
		return bad(c->T, kv, c->sub, "more than %d traffic selectors", CONF_MAX_NETS);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int m = 1;
		if (strchr(e[i], ';')) {
			m = split(e[i], ';', f, CONF_MAX_NETS);
			if (m < 0)
				return bad(c->T, kv, c->sub, "more than %d traffic selectors", CONF_MAX_NETS);
			if (sw_warn(&c->T->tree, kv->file, kv->line, "%s: '%s': swanctl separates traffic "
			            "selectors with ',', and strongSwan would use only '%s' here (it stops "
			            "reading at ';'); cygnet uses all of them", kv->name,
			            conf_show(e[i], show, sizeof(show)), m > 0 ? f[0] : "") < 0)
				return oom(c->T, kv->file, kv->line);
		} else {
			snprintf(f[0], sizeof(f[0]), "%.127s", e[i]);
		}
		for (int j = 0; j < m; j++) {
			if (strcmp(f[j], "dynamic") == 0) {
				dyn++;
				continue;
			}
			if (strchr(f[j], '['))
				return bad(c->T, kv, c->sub, "protocol/port selectors ('%s') are not "
				           "supported", conf_show(f[j], show, sizeof(show)));
			if (kept == CONF_MAX_NETS)
				return bad(c->T, kv, c->sub, "more than %d traffic selectors", CONF_MAX_NETS);
			pos += (size_t)snprintf(out + pos, pos < sizeof(out) ? sizeof(out) - pos : 0,
			                        "%s%s", kept++ ? "," : "", f[j]);
		}
	}
	if (dyn && kept)
		return bad(c->T, kv, c->sub, "'dynamic' together with subnets is not supported");
	if (kept == 0)
		return 0;   /* dynamic: the end's own (virtual) address, ipsec.conf's default */
	return emit(c, ikey, out, kv, c->sub);
}

static int h_mode(struct cx *c, const struct sw_node *kv, const char *arg)
{
	(void)arg;
	if (strcmp(kv->value, "tunnel") == 0)
		return 0;
	return bad(c->T, kv, c->sub, "mode %s is not supported (only tunnel)", kv->value);
}

/* ---- key tables ---- */

static const struct key conn_keys[] = {
	{ "version", FN, NULL, h_version },
	{ "local_addrs", FN, "local_addrs", h_collect },
	{ "remote_addrs", FN, "remote_addrs", h_collect },
	{ "local_port", FN, NULL, h_port },
	{ "remote_port", FN, NULL, h_port },
	{ "proposals", FN, "ike", h_props },
	{ "vips", FN, NULL, h_vips },
	{ "aggressive", MAP, "aggressive", NULL },
	{ "pull", IGNORE, "IKEv1 Mode Config push/pull only", NULL },
	{ "dscp", PENDING, NULL, NULL },
	{ "encap", MAP, "forceencaps", NULL },
	{ "mobike", MAP, "mobike", NULL },
	{ "dpd_delay", FN, "dpd_delay", h_collect },
	{ "dpd_timeout", MAP, "dpdtimeout", NULL },
	{ "fragmentation", MAP, "fragmentation", NULL },
	{ "childless", FN, NULL, h_childless },
	{ "send_certreq", FN, NULL, h_send_certreq },
	{ "send_cert", FN, NULL, h_send_cert },
	{ "ocsp", PENDING, NULL, NULL },
	{ "ppk_id", PENDING, NULL, NULL },
	{ "ppk_required", FN, NULL, h_pend_yes },
	{ "keyingtries", FN, "keyingtries", h_collect },
	{ "unique", FN, NULL, h_unique },
	{ "reauth_time", FN, "reauth_time", h_collect },
	{ "rekey_time", FN, "rekey_time", h_collect },
	{ "over_time", FN, "over_time", h_collect },
	{ "rand_time", FN, "rand_time", h_collect },
	{ "pools", FN, "pools", h_collect },
	{ "if_id_in", PENDING, NULL, NULL },
	{ "if_id_out", PENDING, NULL, NULL },
	{ "mediation", REFUSE, "mediation is not supported", NULL },
	{ "mediated_by", REFUSE, "mediation is not supported", NULL },
	{ "mediation_peer", REFUSE, "mediation is not supported", NULL },
};

static const struct key local_keys[] = {
	{ "round", IGNORE, "orders the rounds (read before)", NULL },
	{ "certs", FN, "leftcert", h_round1 },
	{ "pubkeys", PENDING, NULL, NULL },
	{ "auth", FN, NULL, h_auth },
	{ "id", FN, "leftid", h_round1 },
	{ "eap_id", FN, NULL, h_eap_id },
	{ "aaa_id", PENDING, NULL, NULL },
	{ "xauth_id", REFUSE, "XAuth is IKEv1 only, and IKEv1 is not supported", NULL },
};

static const struct key remote_keys[] = {
	{ "round", IGNORE, "orders the rounds (read before)", NULL },
	{ "id", FN, "rightid", h_round1 },
	{ "eap_id", FN, NULL, h_eap_id },
	{ "groups", FN, "rightgroups", h_round1 },
	{ "cert_policy", PENDING, NULL, NULL },
	{ "certs", FN, "rightcert", h_round1 },
	{ "cacerts", PENDING, NULL, NULL },
	{ "ca_id", FN, "rightca", h_round1 },
	{ "pubkeys", PENDING, NULL, NULL },
	{ "revocation", FN, NULL, h_revocation },
	{ "auth", FN, NULL, h_auth },
};

static const struct key child_keys[] = {
	{ "local_ts", FN, "leftsubnet", h_ts },
	{ "remote_ts", FN, "rightsubnet", h_ts },
	{ "esp_proposals", FN, "esp", h_props },
	{ "ah_proposals", REFUSE, "AH is not supported (cygnet does ESP in UDP)", NULL },
	{ "rekey_time", FN, "c_rekey", h_collect },
	{ "life_time", FN, "c_life", h_collect },
	{ "rand_time", FN, "c_rand", h_collect },
	{ "rekey_bytes", FN, NULL, h_pend_count },
	{ "life_bytes", FN, NULL, h_pend_count },
	{ "rand_bytes", FN, NULL, h_pend_count },
	{ "rekey_packets", FN, NULL, h_pend_count },
	{ "life_packets", FN, NULL, h_pend_count },
	{ "rand_packets", FN, NULL, h_pend_count },
	{ "updown", MAP, "leftupdown", NULL },
	{ "hostaccess", FN, NULL, h_pend_yes },
	{ "mode", FN, NULL, h_mode },
	{ "policies", IGNORE, "cygnet installs no kernel policies", NULL },
	{ "policies_fwd_out", IGNORE, "cygnet installs no kernel policies", NULL },
	{ "priority", IGNORE, "the priority of kernel policies, which cygnet does not install",
	  NULL },
	{ "hw_offload", IGNORE, "kernel ESP offload; cygnet does ESP in userspace", NULL },
	{ "dpd_action", FN, "c_dpd_action", h_collect },
	{ "start_action", FN, "c_start", h_collect },
	{ "close_action", FN, "c_close", h_collect },
	{ "ipcomp", MAP, "compress", NULL },
	{ "inactivity", MAP, "inactivity", NULL },
	{ "reqid", MAP, "reqid", NULL },
	{ "mark_in", MAP, "mark_in", NULL },
	{ "mark_out", MAP, "mark_out", NULL },
	{ "mark_in_sa", FN, NULL, h_pend_yes },
	{ "set_mark_in", PENDING, NULL, NULL },
	{ "set_mark_out", PENDING, NULL, NULL },
	{ "if_id_in", PENDING, NULL, NULL },
	{ "if_id_out", PENDING, NULL, NULL },
	{ "label", PENDING, NULL, NULL },
	{ "label_mode", PENDING, NULL, NULL },
	{ "interface", PENDING, NULL, NULL },
	{ "tfc_padding", FN, NULL, h_pend_count },
	{ "replay_window", PENDING, NULL, NULL },
	{ "copy_df", PENDING, NULL, NULL },
	{ "copy_ecn", PENDING, NULL, NULL },
	{ "copy_dscp", PENDING, NULL, NULL },
	{ "sha256_96", FN, NULL, h_pend_yes },
	{ "per_cpu_sas", PENDING, NULL, NULL },
};

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct key *find_key(const struct key *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* one key of a section at c->sub, by its table row */
static int do_key(struct cx *c, const struct key *t, int n, const struct sw_node *kv)
{
	char show[CONF_SHOW_LEN];
	const struct key *k = find_key(t, n, kv->name);

	if (!k) {
		conf_errf(c->T->err, c->T->errlen, kv->file, kv->line, "unknown keyword '%s' in %s",
		          conf_show(kv->name, show, sizeof(show)), c->sub);
		return -1;
	}
	if (!*kv->value && k->mode != REFUSE)
		return 0;   /* "key =": the default */
	switch (k->mode) {
	case MAP: return emit(c, k->arg, kv->value, kv, c->sub);
	case FN: return k->fn(c, kv, k->arg);
	case PENDING: return pend(c, kv, c->sub);
	case IGNORE: return 0;
	case REFUSE: return bad(c->T, kv, c->sub, "%s", k->arg);
	}
	return 0;
}

static int section_keys(struct cx *c, const struct sw_node *sec, const struct key *t, int n,
                        const char *what)
{
	char show[CONF_SHOW_LEN];

	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *kv = &sec->kids[i];
		if (!kv->value) {
			conf_errf(c->T->err, c->T->errlen, kv->file, kv->line, "unknown section '%s' in "
			          "%s%s", conf_show(kv->name, show, sizeof(show)), c->sub, what);
			return -1;
		}
		if (do_key(c, t, n, kv) < 0)
			return -1;
	}
	return 0;
}

/* ---- auth rounds ---- */

struct round {
	const struct sw_node *sec;
	uint32_t n;                 /* round = (default 0) */
	int order;
};

static int round_cmp(const void *a, const void *b)
{
	const struct round *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->order - y->order;
}

/* every local<suffix> (or remote<suffix>) section, by round then order */
static int rounds(struct cx *c, bool local)
{
	const char *prefix = local ? "local" : "remote";
	size_t pl = strlen(prefix);
	struct round r[8];
	int n = 0;
	char why[128];

	for (int i = 0; i < c->sec->n_kids; i++) {
		const struct sw_node *k = &c->sec->kids[i];
		if (k->value || strncmp(k->name, prefix, pl) != 0)
			continue;
		if (n == 2) {
			conf_errf(c->T->err, c->T->errlen, k->file, k->line, "%s.%s: cygnet has at most "
			          "two authentication rounds per end", c->path, k->name);
			return -1;
		}
		r[n].sec = k;
		r[n].n = 0;
		r[n].order = n;
		const struct sw_node *rn = sw_find(k, "round");
		if (rn && rn->value && *rn->value && cv_uint(rn->value, &r[n].n, why, sizeof(why)) < 0) {
			snprintf(c->sub, sizeof(c->sub), "%s.%s", c->path, k->name);
			return bad(c->T, rn, c->sub, "%s", why);
		}
		n++;
	}
	qsort(r, (size_t)n, sizeof(r[0]), round_cmp);
	for (int i = 0; i < n; i++) {
		const struct sw_node *s = r[i].sec;
		snprintf(c->sub, sizeof(c->sub), "%s.%s", c->path, s->name);
		c->round = i + 1;
		c->local = local;
		for (int j = 0; j < s->n_kids; j++) {
			const struct sw_node *kv = &s->kids[j];
			if (!kv->value) {
				if (local && strncmp(kv->name, "cert", 4) == 0)
					return bad(c->T, kv, c->sub, "smartcard certificates (cert<suffix> "
					           "sections) are not supported");
				conf_errf(c->T->err, c->T->errlen, kv->file, kv->line,
				          "unknown section '%s' in %s", kv->name, c->sub);
				return -1;
			}
			if (do_key(c, local ? local_keys : remote_keys,
			           local ? N(local_keys) : N(remote_keys), kv) < 0)
				return -1;
		}
		/* swanctl's default auth is pubkey; ipsec.conf's rightauth has none */
		const struct sw_node *auth = sw_find(s, "auth");
		if (!local && (!auth || !auth->value || !*auth->value) &&
		    emit_at(c, i == 0 ? "rightauth" : "rightauth2", "pubkey", s->file, s->line,
		            NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

/* ---- children ---- */

static int children(struct cx *c, const struct sw_node *sec)
{
	char path[340];

	snprintf(path, sizeof(path), "%.320s.children", c->path);
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *ch = &sec->kids[i];
		if (ch->value) {
			conf_errf(c->T->err, c->T->errlen, ch->file, ch->line,
			          "%s: expected a child section, not a key '%s'", path, ch->name);
			return -1;
		}
		if (c->child) {
			conf_errf(c->T->err, c->T->errlen, ch->file, ch->line, "%s.%s: cygnet has one "
			          "child per connection (%s is the first; make another connection)",
			          path, ch->name, c->child->name);
			return -1;
		}
		c->child = ch;
		snprintf(c->sub, sizeof(c->sub), "%s.%s", path, ch->name);
		snprintf(c->child_path, sizeof(c->child_path), "%s", c->sub);
		if (section_keys(c, ch, child_keys, N(child_keys), "") < 0)
			return -1;
	}
	return 0;
}

/* ---- what is settled after all keys ---- */

static int emit_u32(struct cx *c, const char *ikey, uint64_t v, const struct sw_node *at)
{
	char buf[32];

	if (v > UINT32_MAX)
		return bad(c->T, at, c->path, "the resulting time is too long");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return emit_gen(c, ikey, buf, at);
}

/* the lifetimes: see conf/swanctl_conf.h for the model */
static int lifetimes(struct cx *c)
{
	uint32_t rk = 14400, ra = 0, over = 0, rnd = 0, margin, fuzz;
	const struct sw_node *at = c->reauth_time ? c->reauth_time
	                         : c->rekey_time ? c->rekey_time : c->sec;

	snprintf(c->sub, sizeof(c->sub), "%s", c->path);
	if ((c->rekey_time && dur(c, c->rekey_time, c->path, &rk) < 0) ||
	    (c->reauth_time && dur(c, c->reauth_time, c->path, &ra) < 0) ||
	    (c->over_time && dur(c, c->over_time, c->path, &over) < 0) ||
	    (c->rand_time && dur(c, c->rand_time, c->path, &rnd) < 0))
		return -1;
	if (!c->over_time)
		over = (rk > ra ? rk : ra) / 10;
	if (!c->rand_time)
		rnd = over;
	margin = over;
	fuzz = over ? (uint32_t)((uint64_t)rnd * 100 / over) : 0;
	if (c->child) {
		uint32_t crk = 3600, clife = 0, crand = 0;
		const char *cp = c->child_path;
		if ((c->c_rekey && dur(c, c->c_rekey, cp, &crk) < 0) ||
		    (c->c_life && dur(c, c->c_life, cp, &clife) < 0) ||
		    (c->c_rand && dur(c, c->c_rand, cp, &crand) < 0))
			return -1;
		if (!c->c_life)
			clife = crk + crk / 10;
		if (crk == 0) {
			if (c->c_rekey && pend(c, c->c_rekey, cp) < 0)
				return -1;
		} else {
			if (clife <= crk)
				return bad(c->T, c->c_life ? c->c_life : c->c_rekey, cp,
				           "life_time must be longer than rekey_time");
			if (!c->c_rand)
				crand = clife - crk;
			margin = clife - crk;
			fuzz = (uint32_t)((uint64_t)crand * 100 / margin);
			const struct sw_node *w = c->c_life ? c->c_life : c->c_rekey ? c->c_rekey : c->child;
			if (emit_u32(c, "lifetime", clife, w) < 0)
				return -1;
		}
	}
	if (emit_u32(c, "margintime", margin, at) < 0 || emit_u32(c, "rekeyfuzz", fuzz, at) < 0)
		return -1;
	if (ra == 0 && rk == 0)
		return emit_gen(c, "rekey", "no", at) < 0 || emit_gen(c, "reauth", "no", at) < 0 ? -1 : 0;
	if (emit_gen(c, "rekey", "yes", at) < 0 || emit_gen(c, "reauth", ra ? "yes" : "no", at) < 0)
		return -1;
	if (ra && rk && c->rekey_time && pend(c, c->rekey_time, c->path) < 0)
		return -1;
	return emit_u32(c, "ikelifetime", (uint64_t)(ra ? ra : rk) + margin, at);
}

static int actions(struct cx *c)
{
	static const char *const starts[] = { "none", "trap", "start" };
	static const char *const autos[] = { "add", "route", "start" };
	static const char *const dpds[] = { "clear", "trap", "restart", "none", "hold" };
	static const char *const dpd_map[] = { "clear", "hold", "restart", "none", "hold" };
	static const char *const closes[] = { "none", "clear", "trap", "start", "hold", "restart" };
	static const char *const close_map[] = { "none", "clear", "hold", "restart", "hold",
	                                         "restart" };
	const char *cp = c->child_path;
	uint32_t delay = 0;
	int i;

	if (c->c_start) {
		if ((i = pick(c, c->c_start, cp, starts, 3)) < 0)
			return -1;
		if (emit(c, "auto", autos[i], c->c_start, cp) < 0)
			return -1;
	} else if (emit_gen(c, "auto", "add", NULL) < 0) {
		return -1;
	}
	if (c->c_close) {
		if ((i = pick(c, c->c_close, cp, closes, 6)) < 0 ||
		    emit(c, "closeaction", close_map[i], c->c_close, cp) < 0)
			return -1;
	}
	i = 0;
	if (c->c_dpd_action && (i = pick(c, c->c_dpd_action, cp, dpds, 5)) < 0)
		return -1;
	if (c->dpd_delay && dur(c, c->dpd_delay, c->path, &delay) < 0)
		return -1;
	if (delay == 0)
		return 0;   /* no DPD: dpdaction=none, ipsec.conf's default */
	if (emit(c, "dpddelay", c->dpd_delay->value, c->dpd_delay, c->path) < 0)
		return -1;
	if (c->c_dpd_action)
		return emit(c, "dpdaction", dpd_map[i], c->c_dpd_action, cp);
	return emit_gen(c, "dpdaction", "clear", c->dpd_delay);
}

/* the ranges of a pool's addrs (as cv_sourceip_list reads them, in order)
 * carry its name, for RADIUS's Framed-Pool; a name too long for
 * CONF_POOL_NAME_MAX is not recorded (no Framed-Pool can name it). -1
 * when the conn has more ranges than rightsourceip takes. */
static int name_ranges(struct cx *c, const char *name, const char *addrs)
{
	struct extra *e = &c->T->ext[c->ext_idx];
	struct conf_range r[CONF_MAX_NETS];
	int n = 0;
	bool cfg = false;
	char why[256];
	if (cv_sourceip_list(addrs, r, &n, &cfg, why, sizeof(why)) < 0)
		return 0;   /* refused where rightsourceip is read */
	for (int i = 0; i < n; i++) {
		if (e->n_pool_name == CONF_MAX_NETS)
			return -1;
		snprintf(e->pool_name[e->n_pool_name++], CONF_POOL_NAME_MAX, "%s",
		         strlen(name) < CONF_POOL_NAME_MAX ? name : "");
	}
	return 0;
}

/* pools = a, b: their addrs and dns, checked where the pools are written */
static int pools(struct cx *c)
{
	const struct sw_node *kv = c->pools;
	const struct sw_node *all = sw_find(&c->T->tree.root, "pools");
	char e[CONF_MAX_NETS][128], ips[4096] = "", dns[4096] = "", show[CONF_SHOW_LEN];
	size_t pi = 0, pd = 0;
	int n;

	if (!kv || !*kv->value)
		return 0;
	n = split(kv->value, ',', e, CONF_MAX_NETS);
	if (n < 0)
		return bad(c->T, kv, c->path, "more than %d pools", CONF_MAX_NETS);
	for (int i = 0; i < n; i++) {
		const struct sw_node *p = sw_find(all, e[i]);
		if (strcmp(e[i], "radius") == 0) {
			/* the eap-radius plugin's addresses: rightsourceip=%radius */
			pi += (size_t)snprintf(ips + pi, pi < sizeof(ips) ? sizeof(ips) - pi : 0,
			                       "%s%%radius", pi ? "," : "");
			continue;
		}
		if (strcmp(e[i], "dhcp") == 0)
			return bad(c->T, kv, c->path, "%s address pools are not supported", e[i]);
		if (!p || p->value)
			return bad(c->T, kv, c->path, "no pool '%s' in the pools section",
			           conf_show(e[i], show, sizeof(show)));
		for (int j = 0; j < p->n_kids; j++) {
			const struct sw_node *a = &p->kids[j];
			char pp[384];
			snprintf(pp, sizeof(pp), "pools.%s", p->name);
			if (!a->value || !*a->value)
				continue;   /* checked by check_pools() */
			if (strcmp(a->name, "addrs") == 0) {
				pi += (size_t)snprintf(ips + pi, pi < sizeof(ips) ? sizeof(ips) - pi : 0,
				                       "%s%s", pi ? "," : "", a->value);
				if (name_ranges(c, p->name, a->value) < 0)
					return bad(c->T, kv, c->path, "more than %d pools", CONF_MAX_NETS);
			}
			else if (strcmp(a->name, "dns") == 0)
				pd += (size_t)snprintf(dns + pd, pd < sizeof(dns) ? sizeof(dns) - pd : 0,
				                       "%s%s", pd ? "," : "", a->value);
			else if (pend(c, a, pp) < 0)
				return -1;
		}
	}
	if (pi >= sizeof(ips) || pd >= sizeof(dns))
		return bad(c->T, kv, c->path, "the pools are too long");
	if (pi && emit(c, "rightsourceip", ips, kv, c->path) < 0)
		return -1;
	if (pd && emit(c, "rightdns", dns, kv, c->path) < 0)
		return -1;
	return 0;
}

/* the pools section on its own: every key known, addrs and dns valid */
static int check_pools(struct tr *T)
{
	static const char *const attrs[] = { "addrs", "dns", "nbns", "dhcp", "netmask", "server",
	                                     "subnet", "split_include", "split_exclude" };
	const struct sw_node *all = sw_find(&T->tree.root, "pools");
	char why[256], show[CONF_SHOW_LEN];

	for (int i = 0; all && i < all->n_kids; i++) {
		const struct sw_node *p = &all->kids[i];
		char path[300];
		snprintf(path, sizeof(path), "pools.%s", p->name);
		if (p->value) {
			conf_errf(T->err, T->errlen, p->file, p->line, "pools: expected a pool section, "
			          "not a key '%s'", conf_show(p->name, show, sizeof(show)));
			return -1;
		}
		for (int j = 0; j < p->n_kids; j++) {
			const struct sw_node *a = &p->kids[j];
			bool known = a->name[0] >= '0' && a->name[0] <= '9';   /* attribute numbers */
			for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++)
				known = known || strcmp(a->name, attrs[k]) == 0;
			if (!a->value || !known) {
				conf_errf(T->err, T->errlen, a->file, a->line, "unknown %s '%s' in %s",
				          a->value ? "keyword" : "section", conf_show(a->name, show, sizeof(show)),
				          path);
				return -1;
			}
			if (strcmp(a->name, "addrs") == 0 && *a->value) {
				struct conf_range r[CONF_MAX_NETS];
				int n = 0;
				bool cfg = false;
				if (cv_sourceip_list(a->value, r, &n, &cfg, why, sizeof(why)) < 0)
					return bad(T, a, path, "%s", why);
				if (cfg)
					return bad(T, a, path, "expected addresses, subnets or ranges");
			} else if (strcmp(a->name, "dns") == 0 && *a->value) {
				struct conf_addr d[CONF_MAX_NETS];
				int n = 0;
				if (cv_addr_list(a->value, d, &n, false, why, sizeof(why)) < 0)
					return bad(T, a, path, "%s", why);
			}
		}
	}
	return 0;
}

/* one connections.NAME into a raw conn section */
static int connection(struct tr *T, const struct sw_node *sec)
{
	struct cx c;
	char buf[1024];

	memset(&c, 0, sizeof(c));
	c.T = T;
	c.sec = sec;
	snprintf(c.path, sizeof(c.path), "connections.%s", sec->name);
	if (sec->value) {
		conf_errf(T->err, T->errlen, sec->file, sec->line,
		          "connections: expected a connection section, not a key '%s'", sec->name);
		return -1;
	}
	if (conf_grow((void **)&T->raw.secs, &T->cap_secs, T->raw.n_secs, sizeof(*T->raw.secs)) < 0 ||
	    conf_grow((void **)&T->ext, &T->cap_ext, T->n_ext, sizeof(*T->ext)) < 0)
		return oom(T, sec->file, sec->line);
	struct conf_sec *s = &T->raw.secs[T->raw.n_secs];
	memset(s, 0, sizeof(*s));
	s->kind = SEC_CONN;
	s->name = strdup(sec->name);
	s->file = sec->file;
	s->line = sec->line;
	if (!s->name)
		return oom(T, sec->file, sec->line);
	c.raw_idx = T->raw.n_secs++;
	memset(&T->ext[T->n_ext], 0, sizeof(T->ext[0]));
	c.ext_idx = T->n_ext++;

	/* the keys of the connection itself; sections after */
	snprintf(c.sub, sizeof(c.sub), "%s", c.path);
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *kv = &sec->kids[i];
		if (!kv->value) {
			if (strncmp(kv->name, "local", 5) == 0 || strncmp(kv->name, "remote", 6) == 0 ||
			    strcmp(kv->name, "children") == 0)
				continue;
			conf_errf(T->err, T->errlen, kv->file, kv->line, "unknown section '%s' in %s",
			          kv->name, c.path);
			return -1;
		}
		snprintf(c.sub, sizeof(c.sub), "%s", c.path);
		if (do_key(&c, conn_keys, N(conn_keys), kv) < 0)
			return -1;
	}
	if (rounds(&c, true) < 0 || rounds(&c, false) < 0)
		return -1;
	const struct sw_node *ch = sw_find(sec, "children");
	if (ch && !ch->value && children(&c, ch) < 0)
		return -1;

	/* swanctl's defaults where ipsec.conf's differ */
	snprintf(c.sub, sizeof(c.sub), "%s", c.path);
	if (c.local_addrs && *c.local_addrs->value) {
		if (addrs_value(&c, c.local_addrs, buf, sizeof(buf)) < 0 ||
		    emit(&c, "left", buf, c.local_addrs, c.path) < 0)
			return -1;
	} else if (emit_gen(&c, "left", "%any", NULL) < 0) {
		return -1;
	}
	if (c.remote_addrs && *c.remote_addrs->value) {
		if (addrs_value(&c, c.remote_addrs, buf, sizeof(buf)) < 0 ||
		    emit(&c, "right", buf, c.remote_addrs, c.path) < 0)
			return -1;
	} else if (emit_gen(&c, "right", "%any", NULL) < 0) {
		return -1;
	}
	if (c.keyingtries && *c.keyingtries->value) {
		if (emit(&c, "keyingtries", c.keyingtries->value, c.keyingtries, c.path) < 0)
			return -1;
	} else if (emit_gen(&c, "keyingtries", "1", NULL) < 0) {
		return -1;
	}
	if (actions(&c) < 0 || lifetimes(&c) < 0 || pools(&c) < 0)
		return -1;
	return 0;
}

/* ---- top level ---- */

/* "file:line: ikey: rest" from conf/ipsec_conf.c into swanctl words */
static void rename_error(struct tr *T, char **files, int n_files)
{
	char prefix[1200], out[1024];

	for (int i = T->n_x - 1; i >= 0 && T->err && T->errlen; i--) {
		const struct xlat *x = &T->x[i];
		const char *file = x->file_idx < n_files ? files[x->file_idx] : "";
		int n = snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", file, x->line, x->ikey);
		if (n < 0 || (size_t)n >= sizeof(prefix) || strncmp(T->err, prefix, (size_t)n) != 0)
			continue;
		snprintf(out, sizeof(out), "%s:%d: %s: %s", file, x->line, x->skey, T->err + n);
		snprintf(T->err, T->errlen, "%s", out);
		return;
	}
}

/* pending lines from conf/ipsec_conf.c in swanctl words; extras added */
static int finish_conns(struct tr *T, struct ipsec_conf *conf)
{
	if (conf->n_conns != T->n_ext) {
		conf_errf(T->err, T->errlen, T->tree.files[0], 0, "internal: %d conns for %d "
		          "connections", conf->n_conns, T->n_ext);
		return -1;
	}
	for (int i = 0; i < conf->n_conns; i++) {
		struct conf_conn *c = &conf->conns[i];
		struct extra *e = &T->ext[i];
		for (int j = 0; j < c->n_pending; j++) {
			struct conf_pending *p = &c->pending[j];
			for (int k = 0; k < T->n_x; k++) {
				const struct xlat *x = &T->x[k];
				if (x->file != p->file || x->line != p->line || strcmp(x->ikey, p->key) != 0)
					continue;
				char *nk = strdup(x->skey), *nv = strdup(x->sval);
				if (!nk || !nv) {
					free(nk);
					free(nv);
					return oom(T, p->file, p->line);
				}
				free(p->key);
				free(p->value);
				p->key = nk;
				p->value = nv;
				break;
			}
		}
		for (int j = 0; j < e->n_pend; j++)
			if (add_pend(&c->pending, &c->n_pending, e->pend[j].key, e->pend[j].value,
			             e->pend[j].file, e->pend[j].line) < 0)
				return oom(T, e->pend[j].file, e->pend[j].line);
		c->no_certreq = e->no_certreq;
		for (int j = 0; j < e->n_pool_name && j < c->right.n_sourceip; j++)
			memcpy(c->pool_name[j], e->pool_name[j], CONF_POOL_NAME_MAX);
		/* send_certreq = no on a conn that sends CERTREQs (a client) */
		if (e->no_certreq && conf_host_is_specific(c->right.host) &&
		    add_pend(&c->pending, &c->n_pending, "send_certreq", "no", c->file, c->line) < 0)
			return oom(T, c->file, c->line);
	}
	return 0;
}

/* config setup: uniqueids from the connections' unique */
static int setup_section(struct tr *T)
{
	if (conf_grow((void **)&T->raw.secs, &T->cap_secs, T->raw.n_secs, sizeof(*T->raw.secs)) < 0)
		return oom(T, T->tree.files[0], 0);
	struct conf_sec *s = &T->raw.secs[T->raw.n_secs];
	memset(s, 0, sizeof(*s));
	s->kind = SEC_SETUP;
	s->file = T->tree.files[0];
	s->line = 1;
	T->raw.n_secs++;
	if (conf_grow((void **)&s->kv, &s->cap_kv, 0, sizeof(*s->kv)) < 0)
		return oom(T, s->file, 0);
	const struct sw_node *u = T->unique_kv;
	s->kv[0].key = strdup("uniqueids");
	s->kv[0].value = strdup(u ? u->value : "no");
	s->kv[0].file = u ? u->file : s->file;
	s->kv[0].line = u ? u->line : 1;
	if (!s->kv[0].key || !s->kv[0].value) {
		free(s->kv[0].key);
		free(s->kv[0].value);
		return oom(T, s->file, 0);
	}
	s->n_kv = 1;
	return 0;
}

static int translate(struct tr *T)
{
	const struct sw_node *root = &T->tree.root;
	char show[CONF_SHOW_LEN];

	for (int i = 0; i < root->n_kids; i++) {
		const struct sw_node *k = &root->kids[i];
		if (!k->value && (strcmp(k->name, "connections") == 0 ||
		                  strcmp(k->name, "secrets") == 0 || strcmp(k->name, "pools") == 0))
			continue;
		if (!k->value && strcmp(k->name, "authorities") == 0)
			conf_errf(T->err, T->errlen, k->file, k->line, "the authorities section is not "
			          "supported yet (put CA certificates in x509ca/)");
		else
			conf_errf(T->err, T->errlen, k->file, k->line, "unknown %s '%s' (expected the "
			          "sections connections, secrets and pools)",
			          k->value ? "keyword" : "section", conf_show(k->name, show, sizeof(show)));
		return -1;
	}
	if (setup_section(T) < 0 || check_pools(T) < 0)
		return -1;
	const struct sw_node *conns = sw_find(root, "connections");
	for (int i = 0; conns && i < conns->n_kids; i++)
		if (connection(T, &conns->kids[i]) < 0)
			return -1;
	/* unique is only known after all connections */
	struct conf_sec *setup = &T->raw.secs[0];
	if (T->unique_kv && strcmp(setup->kv[0].value, T->unique_kv->value) != 0) {
		char *v = strdup(T->unique_kv->value);
		if (!v)
			return oom(T, T->unique_kv->file, T->unique_kv->line);
		free(setup->kv[0].value);
		setup->kv[0].value = v;
		setup->kv[0].file = T->unique_kv->file;
		setup->kv[0].line = T->unique_kv->line;
	}
	if (T->unique_differ &&
	    sw_warn(&T->tree, T->unique_kv->file, T->unique_kv->line, "unique: the connections "
	            "ask for different values; cygnet has one for all and takes the strictest, "
	            "'%s'", T->unique_kv->value) < 0)
		return oom(T, T->unique_kv->file, T->unique_kv->line);
	return 0;
}

static void tr_free(struct tr *T)
{
	for (int i = 0; i < T->n_x; i++) {
		free(T->x[i].ikey);
		free(T->x[i].skey);
		free(T->x[i].sval);
	}
	free(T->x);
	for (int i = 0; i < T->n_ext; i++) {
		for (int j = 0; j < T->ext[i].n_pend; j++) {
			free(T->ext[i].pend[j].key);
			free(T->ext[i].pend[j].value);
		}
		free(T->ext[i].pend);
	}
	free(T->ext);
	conf_raw_free(&T->raw);
	sw_tree_free(&T->tree);
}

static int run(struct tr *T, int lexed, struct ipsec_conf **confp, struct secrets **secp)
{
	struct ipsec_conf *conf = NULL;
	struct secrets *sec = NULL;
	char **names = NULL;        /* the file names, for an error after build */
	int n_names = 0;
	const char *top = T->tree.n_files ? T->tree.files[0] : "swanctl.conf";
	const char *slash = strrchr(top, '/');

	if (lexed < 0)
		goto fail;
	if (slash)
		snprintf(T->dir, sizeof(T->dir), "%.*s", (int)(slash - top), top);
	else
		snprintf(T->dir, sizeof(T->dir), ".");
	if (slash == top)
		snprintf(T->dir, sizeof(T->dir), "/");
	if (translate(T) < 0)
		goto fail;
	if (swanctl_secrets_build(&T->tree, T->dir, &sec, T->err, T->errlen) < 0)
		goto fail;
	for (int i = 0; i < T->tree.n_files; i++)
		if (conf_strv_add(&names, &n_names, T->tree.files[i]) < 0) {
			oom(T, top, 0);
			goto fail;
		}
	/* the raw sections take the tree's file names (kv->file points there) */
	T->raw.files = T->tree.files;
	T->raw.n_files = T->tree.n_files;
	conf = ipsec_conf_from_raw(&T->raw, T->err, T->errlen);
	/* build() took them on success and failure alike */
	if (!T->raw.files) {
		T->tree.files = NULL;
		T->tree.n_files = 0;
	} else {
		T->raw.files = NULL;
		T->raw.n_files = 0;
	}
	if (!conf) {
		rename_error(T, names, n_names);
		goto fail;
	}
	top = conf->files[0];
	conf->swanctl = true;
	if (finish_conns(T, conf) < 0)
		goto fail;
	/* every warning of the load goes where config.c logs them */
	for (int i = 0; i < T->tree.n_warnings; i++)
		if (conf_strv_add(&sec->warnings, &sec->n_warnings, T->tree.warnings[i]) < 0) {
			oom(T, top, 0);
			goto fail;
		}
	conf_strv_free(names, n_names);
	*confp = conf;
	*secp = sec;
	return 0;
fail:
	conf_strv_free(names, n_names);
	ipsec_conf_free(conf);
	secrets_free(sec);
	return -1;
}

int swanctl_conf_parse(const char *name, const char *text, struct ipsec_conf **conf,
                       struct secrets **secrets, char *err, size_t errlen)
{
	struct tr T;
	int r;

	memset(&T, 0, sizeof(T));
	T.err = err;
	T.errlen = errlen;
	*conf = NULL;
	*secrets = NULL;
	r = run(&T, sw_lex_text(&T.tree, name, text, err, errlen), conf, secrets);
	tr_free(&T);
	return r;
}

int swanctl_conf_load(const char *path, struct ipsec_conf **conf, struct secrets **secrets,
                      char *err, size_t errlen)
{
	struct tr T;
	int r;

	memset(&T, 0, sizeof(T));
	T.err = err;
	T.errlen = errlen;
	*conf = NULL;
	*secrets = NULL;
	r = run(&T, sw_lex_file(&T.tree, path, err, errlen), conf, secrets);
	tr_free(&T);
	return r;
}

const char *swanctl_subdir(bool swanctl, enum conf_subdir kind)
{
	switch (kind) {
	case SUBDIR_CERTS: return swanctl ? "x509" : "ipsec.d/certs";
	case SUBDIR_CACERTS: return swanctl ? "x509ca" : "ipsec.d/cacerts";
	case SUBDIR_CRLS: return swanctl ? "x509crl" : "ipsec.d/crls";
	case SUBDIR_PRIVATE: return swanctl ? "private" : "ipsec.d/private";
	case SUBDIR_RSA: return swanctl ? "rsa" : "ipsec.d/private";
	case SUBDIR_ECDSA: return swanctl ? "ecdsa" : "ipsec.d/private";
	}
	return swanctl ? "private" : "ipsec.d/private";
}

const char *swanctl_key_subdir(bool swanctl, enum secret_type t)
{
	return swanctl_subdir(swanctl, t == SECRET_RSA ? SUBDIR_RSA : t == SECRET_ECDSA
	                               ? SUBDIR_ECDSA : SUBDIR_PRIVATE);
}
