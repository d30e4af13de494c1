/* ipsec.conf's "config setup" section: every keyword's check and where
 * its value goes in struct ipsec_conf (the fields' meaning: ipsec_conf.h),
 * the defaults, and the checks that need the whole file (mtu= against
 * mssfix= and the conns, redirect_above= with redirect_to=). The
 * sections and conns: ipsec_conf.c; the interface between the two:
 * ipsec_int.h. */
#include "conf/ipsec_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf_values.h"

int ipsec_setup_defaults(struct ipsec_conf *conf)
{
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
	conf->radius_requests_per_source = 8;
	conf->mtu = CONF_MTU_DEFAULT;
	conf->mssfix = CONF_MSSFIX_AUTO;
	conf->auth_backoff = true;
	conf->auth_backoff_free = 5;
	conf->auth_backoff_free_source = 20;
	conf->auth_backoff_base = 2;
	conf->auth_backoff_max = 900;
	conf->tun_name = strdup("cygnet0");
	return conf->tun_name ? 0 : -1;
}

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

bool ipsec_setup_key(const char *k)
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

int ipsec_setup_kv(struct ipsec_conf *conf, const struct conf_kv *kv, char *err, size_t errlen)
{
	struct conf_conn dummy;
	struct cctx c = { .conn = &dummy, .err = err, .errlen = errlen };
	char why[256];
	const char *v = kv->value;
	char *copy = NULL;
	int i = 0;

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

int ipsec_setup_check(const struct ipsec_conf *conf, char *err, size_t errlen)
{
	return check_mtu(conf, err, errlen) < 0 || check_redirect(conf, err, errlen) < 0 ? -1 : 0;
}
