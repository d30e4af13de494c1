/* The first start's CYGNET_* environment variables (docker): see
 * firstrun_opts_from_env in src/firstrun.h. */
#include "src/firstrun.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/pki.h"
#include "src/firstrun_int.h"

static const char *const env_vars[] = {
	"CYGNET_SERVER_ID", "CYGNET_POOLS", "CYGNET_DNS", "CYGNET_USERS", "CYGNET_IPV6",
};

/* the variable's value; NULL when unset or empty */
static const char *env_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Splits value at any of seps into the tokens tok[0..*n), copied into
 * buf from *off on. -1 with "VAR: ..." in err when there are more than
 * max tokens or buf is full. */
static int env_split(const char *var, const char *value, const char *seps, char *buf,
                     size_t buflen, size_t *off, const char **tok, int max, int *n,
                     char *err, size_t errlen)
{
	const char *p = value;

	*n = 0;
	for (;;) {
		size_t len;

		p += strspn(p, seps);
		if (!*p)
			break;
		len = strcspn(p, seps);
		if (*n == max) {
			seterr(err, errlen, "%s: more than %d entries", var, max);
			return -1;
		}
		if (len + 1 > buflen - *off) {
			seterr(err, errlen, "%s: too long", var);
			return -1;
		}
		memcpy(buf + *off, p, len);
		buf[*off + len] = '\0';
		tok[(*n)++] = buf + *off;
		*off += len + 1;
		p += len;
	}
	return 0;
}

int firstrun_opts_from_env(struct firstrun_opts *o, char *err, size_t errlen)
{
	const char *v, *tok[FIRSTRUN_MAX_USERS];
	unsigned char bin[16];
	char perr[256];
	size_t off = 0;
	int n;

	if (!o->server_id && (v = env_get("CYGNET_SERVER_ID"))) {
		if (strlen(v) > 253 || (inet_pton(AF_INET, v, bin) != 1 &&
		                        inet_pton(AF_INET6, v, bin) != 1 && !pki_valid_dns_name(v))) {
			seterr(err, errlen, "CYGNET_SERVER_ID: '%.64s' is neither a DNS name nor an "
			       "IP address", v);
			return -1;
		}
		o->server_id = v;
	}
	if (o->n_pools == 0 && (v = env_get("CYGNET_POOLS"))) {
		if (env_split("CYGNET_POOLS", v, ", \t\n", o->envbuf, sizeof o->envbuf, &off,
		              o->pools, FIRSTRUN_MAX_POOLS, &o->n_pools, err, errlen) < 0)
			return -1;
		for (int i = 0; i < o->n_pools; i++) {
			if (firstrun_check_pool(o->pools[i], perr, sizeof perr) < 0) {
				seterr(err, errlen, "CYGNET_POOLS: %s", perr);
				return -1;
			}
		}
	}
	if (o->n_dns == 0 && (v = env_get("CYGNET_DNS"))) {
		if (env_split("CYGNET_DNS", v, ", \t\n", o->envbuf, sizeof o->envbuf, &off,
		              o->dns, FIRSTRUN_MAX_DNS, &o->n_dns, err, errlen) < 0)
			return -1;
		for (int i = 0; i < o->n_dns; i++) {
			if (inet_pton(AF_INET, o->dns[i], bin) != 1 &&
			    inet_pton(AF_INET6, o->dns[i], bin) != 1) {
				seterr(err, errlen, "CYGNET_DNS: '%.64s' is not an IP address", o->dns[i]);
				return -1;
			}
		}
	}
	if (o->n_users == 0 && (v = env_get("CYGNET_USERS"))) {
		/* white space only: a password may hold a comma */
		if (env_split("CYGNET_USERS", v, " \t\n", o->envbuf, sizeof o->envbuf, &off,
		              tok, FIRSTRUN_MAX_USERS, &n, err, errlen) < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			char *colon = strchr(tok[i], ':');

			o->users[i].name = tok[i];
			o->users[i].password = NULL;
			if (colon) {
				*colon = '\0';
				o->users[i].password = colon + 1;
			}
			if (!firstrun_check_user(o->users[i].name)) {
				seterr(err, errlen, "CYGNET_USERS: user name '%.64s': use 1..63 letters, "
				       "digits, '.', '_', '-', '@' (not first: '-', '@'), then "
				       "optionally ':PASSWORD'", o->users[i].name);
				return -1;
			}
			if (colon && !firstrun_check_password(o->users[i].password)) {
				seterr(err, errlen, "CYGNET_USERS: password of user '%s': use 8..%d "
				       "printable ASCII characters without space, '\"' and '\\'",
				       o->users[i].name, FIRSTRUN_MAX_PASSWORD);
				return -1;
			}
			for (int j = 0; j < i; j++) {
				if (strcmp(o->users[j].name, o->users[i].name) == 0) {
					seterr(err, errlen, "CYGNET_USERS: user '%s' is given twice",
					       o->users[i].name);
					return -1;
				}
			}
		}
		o->n_users = n;
	}
	if (o->ipv6 == FIRSTRUN_IPV6_AUTO && (v = env_get("CYGNET_IPV6"))) {
		if (strcmp(v, "yes") == 0)
			o->ipv6 = FIRSTRUN_IPV6_YES;
		else if (strcmp(v, "no") == 0)
			o->ipv6 = FIRSTRUN_IPV6_NO;
		else if (strcmp(v, "auto") != 0) {
			seterr(err, errlen, "CYGNET_IPV6: '%.16s': use auto, yes or no", v);
			return -1;
		}
	}
	return 0;
}

void firstrun_opts_wipe(struct firstrun_opts *o)
{
	if (o)
		OPENSSL_cleanse(o->envbuf, sizeof o->envbuf);
}

void firstrun_env_clear(void)
{
	for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++) {
		char *v = getenv(env_vars[i]);

		if (v)
			OPENSSL_cleanse(v, strlen(v));
		unsetenv(env_vars[i]);
	}
}

void firstrun_env_names(char *out, size_t outlen)
{
	size_t off = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++) {
		int n;

		if (!env_get(env_vars[i]))
			continue;
		n = snprintf(out + off, outlen - off, "%s%s", off ? ", " : "", env_vars[i]);
		if (n < 0 || (size_t)n >= outlen - off)
			return;
		off += (size_t)n;
	}
}
