/* Inside the ipsec.conf parser (conf/ipsec_conf.c: sections, conns;
 * conf/ipsec_setup.c: config setup): the per-key context and the error,
 * pending and choice helpers both use, static inline (no symbols outside
 * the parser), and what ipsec_conf.c calls in ipsec_setup.c. Nothing
 * else includes this. */
#ifndef CYGNET_IPSEC_INT_H
#define CYGNET_IPSEC_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_lex.h"
#include "conf/conf_util.h"
#include "conf/ipsec_conf.h"

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

/* "file:line: key: reason" */
static inline int __attribute__((format(printf, 3, 4)))
bad(struct cctx *c, const struct conf_kv *kv, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conf_errf(c->err, c->errlen, kv->file, kv->line, "%s: %s", kv->key, why);
	return -1;
}

static inline int oom(char *err, size_t errlen, const struct conf_kv *kv)
{
	conf_errf(err, errlen, kv ? kv->file : "ipsec.conf", kv ? kv->line : 0, "out of memory");
	return -1;
}

static inline int add_pending(struct conf_pending **arr, int *n, const struct conf_kv *kv,
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

/* value must be one of names[]; *out gets the index */
static inline int pick(struct cctx *c, const struct conf_kv *kv, const char *const *names,
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

/* ---- config setup (ipsec_setup.c) ---- */

/* config setup's defaults in a zeroed conf (tun=cygnet0 allocated); 0,
 * or -1 when out of memory */
int ipsec_setup_defaults(struct ipsec_conf *conf);

/* true when k is a config setup keyword */
bool ipsec_setup_key(const char *k);

/* Checks and applies one config setup key=value to conf; 0, or -1 with
 * "file:line: key: reason" in err. */
int ipsec_setup_kv(struct ipsec_conf *conf, const struct conf_kv *kv, char *err, size_t errlen);

/* Once every section is read: mtu= against mssfix= and the conns'
 * IPv6, redirect_above= with redirect_to=; 0, or -1 with "file:line:
 * ..." (the line that set the value) in err. */
int ipsec_setup_check(const struct ipsec_conf *conf, char *err, size_t errlen);

#endif
