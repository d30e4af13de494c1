/* Password-guessing limits: per-account and per-address failure counters
 * with exponential back-off, in two bounded tables (see auth_limit.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conf/ipsec_conf.h"
#include "src/auth_limit.h"
#include "src/clock.h"
#include "src/siphash.h"
#include "src/log.h"

#define WAYS 8                       /* entries per set */
#define ACCOUNT_SLOTS 1024
#define ADDR_SLOTS 4096
#define FORGET_MS ((uint64_t)AUTH_LIMIT_FORGET * 1000)

struct entry {
	bool used;
	uint32_t failures;
	uint64_t last;                   /* ms of the last failure or refusal */
	uint64_t until;                  /* backed off until (ms), 0 = not */
	char key[AUTH_LIMIT_KEYMAX];
};

struct table {
	struct entry *e;
	size_t n;                        /* a multiple of WAYS */
	uint8_t kind;                    /* hashed in: accounts and addresses differ */
};

struct auth_limit {
	struct sipkey key;               /* SipHash-2-4 key, random */
	struct table acct, addr;
	uint64_t busy;                   /* logins refused by auth_limit_busy */
	struct ratelog rl_busy;
};

uint64_t auth_limit_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct auth_limit *auth_limit_new(void)
{
	struct auth_limit *al = calloc(1, sizeof(*al));
	if (!al)
		return NULL;
	al->acct = (struct table){ calloc(ACCOUNT_SLOTS, sizeof(struct entry)), ACCOUNT_SLOTS, 1 };
	al->addr = (struct table){ calloc(ADDR_SLOTS, sizeof(struct entry)), ADDR_SLOTS, 2 };
	if (!al->acct.e || !al->addr.e) {
		auth_limit_free(al);
		return NULL;
	}
	sipkey_random(&al->key);
	return al;
}

void auth_limit_free(struct auth_limit *al)
{
	if (!al)
		return;
	free(al->acct.e);
	free(al->addr.e);
	free(al);
}

/* SipHash(kind | key): the set of the table the key lives in */
static size_t set_of(const struct auth_limit *al, const struct table *t, const char *key)
{
	uint8_t buf[1 + 256];
	size_t len = strnlen(key, sizeof(buf) - 1);
	buf[0] = t->kind;
	memcpy(buf + 1, key, len);
	uint64_t h = siphash24(&al->key, buf, len + 1);
	return (size_t)(h % (t->n / WAYS)) * WAYS;
}

static bool forgotten(const struct entry *e, uint64_t now)
{
	return !e->used || (now >= e->until && now >= e->last && now - e->last >= FORGET_MS);
}

/* the live entry for key, or NULL; with create, a new one that takes an
 * empty or forgotten slot of its set, else the least recently active */
static struct entry *find(struct auth_limit *al, struct table *t, const char *key,
                          uint64_t now, bool create)
{
	size_t s = set_of(al, t, key);
	struct entry *victim = NULL;
	for (size_t i = s; i < s + WAYS; i++) {
		struct entry *e = &t->e[i];
		if (forgotten(e, now)) {
			e->used = false;
			if (!victim || victim->used)
				victim = e;
			continue;
		}
		if (strncmp(e->key, key, sizeof(e->key) - 1) == 0)
			return e;
		if (!victim || (victim->used && e->last < victim->last))
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

void auth_limit_addr_key(const struct sockaddr *from, char *out, size_t len)
{
	if (from->sa_family == AF_INET) {
		if (!inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, out, (socklen_t)len))
			snprintf(out, len, "?");
	} else if (from->sa_family == AF_INET6) {
		/* one host of IPv6 usually has a whole /64 */
		struct in6_addr a = ((const struct sockaddr_in6 *)from)->sin6_addr;
		char t[INET6_ADDRSTRLEN];
		memset(a.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a, t, sizeof(t));
		snprintf(out, len, "%s/64", t);
	} else {
		snprintf(out, len, "?");
	}
}

static uint64_t remaining(const struct entry *e, uint64_t now)
{
	return e && e->until > now ? e->until - now : 0;
}

/* seconds, rounded up, for the log and cygnetctl */
static unsigned long long secs(uint64_t ms)
{
	return (unsigned long long)((ms + 999) / 1000);
}

bool auth_limit_blocked(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now)
{
	if (!al || !conf->auth_backoff)
		return false;
	char addr[64];
	auth_limit_addr_key(from, addr, sizeof(addr));
	/* a name that is no account is looked up too (it has no entry): the
	 * same work either way */
	struct entry *a = find(al, &al->acct, account ? account : claimed, now, false);
	struct entry *s = find(al, &al->addr, addr, now, false);
	return (account && remaining(a, now)) || remaining(s, now);
}

void auth_limit_refused(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now)
{
	if (!al || !conf->auth_backoff)
		return;
	char addr[64], why[160];
	auth_limit_addr_key(from, addr, sizeof(addr));
	struct entry *a = find(al, &al->acct, account ? account : claimed, now, false);
	struct entry *s = find(al, &al->addr, addr, now, false);
	if (!account)
		a = NULL;
	uint64_t ra = remaining(a, now), rs = remaining(s, now);
	if (a)
		a->last = now;
	if (s)
		s->last = now;
	if (ra && rs)
		snprintf(why, sizeof(why), "account %llu s, address %llu s", secs(ra), secs(rs));
	else
		snprintf(why, sizeof(why), "%s %llu s", ra ? "account" : "address", secs(ra ? ra : rs));
	log_info(LOG_IKE, "auth-limit: '%s' from %s: refused without checking the password "
	         "(backed off: %s more)", account ? account : claimed, addr, why);
}

/* one more failure of an entry whose first `free` failures cost nothing */
static void count(struct entry *e, uint32_t free_n, const struct ipsec_conf *conf, uint64_t now)
{
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last = now;
	if (e->failures <= free_n)
		return;
	uint32_t steps = e->failures - free_n - 1;
	uint64_t delay = conf->auth_backoff_base;
	while (steps-- && delay < conf->auth_backoff_max)
		delay *= 2;
	if (delay > conf->auth_backoff_max)
		delay = conf->auth_backoff_max;
	e->until = now + delay * 1000;
}

static void describe(char *out, size_t len, const char *what, const struct entry *e,
                     uint32_t free_n, uint64_t now)
{
	uint64_t r = remaining(e, now);
	if (r)
		snprintf(out, len, "%s %u failure%s, next attempt allowed in %llu s", what,
		         e->failures, e->failures == 1 ? "" : "s", secs(r));
	else
		snprintf(out, len, "%s %u failure%s (%u free)", what, e->failures,
		         e->failures == 1 ? "" : "s", free_n);
}

void auth_limit_failure(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now)
{
	if (!al || !conf->auth_backoff)
		return;
	char addr[64], da[200] = "", ds[160];
	auth_limit_addr_key(from, addr, sizeof(addr));
	if (account) {
		struct entry *a = find(al, &al->acct, account, now, true);
		count(a, conf->auth_backoff_free, conf, now);
		describe(da, sizeof(da), "account", a, conf->auth_backoff_free, now);
	} else {
		find(al, &al->acct, claimed, now, false);   /* the same work */
		snprintf(da, sizeof(da), "no such account");
	}
	struct entry *s = find(al, &al->addr, addr, now, true);
	count(s, conf->auth_backoff_free_source, conf, now);
	describe(ds, sizeof(ds), "address", s, conf->auth_backoff_free_source, now);
	log_info(LOG_IKE, "auth-limit: '%s' from %s: %s; %s", account ? account : claimed, addr, da,
	         ds);
}

void auth_limit_success(struct auth_limit *al, const char *account, const struct sockaddr *from,
                        uint64_t now)
{
	if (!al)
		return;
	char addr[64];
	auth_limit_addr_key(from, addr, sizeof(addr));
	struct entry *e = account ? find(al, &al->acct, account, now, false) : NULL;
	if (e)
		e->used = false;
	e = find(al, &al->addr, addr, now, false);
	if (e)
		e->used = false;
}

bool auth_limit_next(struct auth_limit *al, size_t *pos, uint64_t now,
                     struct auth_limit_info *out)
{
	if (!al)
		return false;
	for (; *pos < al->acct.n + al->addr.n; (*pos)++) {
		bool is_addr = *pos >= al->acct.n;
		const struct entry *e = is_addr ? &al->addr.e[*pos - al->acct.n] : &al->acct.e[*pos];
		if (forgotten(e, now))
			continue;
		*out = (struct auth_limit_info){ is_addr, e->key, e->failures, remaining(e, now),
		                                 now > e->last ? now - e->last : 0 };
		(*pos)++;
		return true;
	}
	return false;
}

int auth_limit_clear(struct auth_limit *al, const char *what, uint64_t now)
{
	if (!al)
		return 0;
	int n = 0;
	struct entry *e = find(al, &al->acct, what, now, false);
	if (e) {
		e->used = false;
		n++;
	}
	/* an address as written, or as its entry is named */
	char key[64];
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char plain[INET6_ADDRSTRLEN + 4];
	snprintf(plain, sizeof(plain), "%s", what);
	char *slash = strchr(plain, '/');
	if (slash && strcmp(slash, "/64") == 0)
		*slash = '\0';
	if (inet_pton(AF_INET, plain, &s4->sin_addr) == 1 && !slash)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, plain, &s6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	snprintf(key, sizeof(key), "%s", what);
	if (ss.ss_family)
		auth_limit_addr_key((struct sockaddr *)&ss, key, sizeof(key));
	e = find(al, &al->addr, key, now, false);
	if (e) {
		e->used = false;
		n++;
	}
	if (n)
		log_err(LOG_IKE, "auth-limit: '%s' cleared on request of the control socket", what);
	return n;
}

/* the address of a as 4 or 16 octets (IPv4-mapped IPv6 as IPv4): its
 * family, 0 when it has none */
static int source_of(const struct sockaddr *a, const uint8_t **p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (a->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		return AF_INET;
	}
	if (a->sa_family != AF_INET6)
		return 0;
	*p = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
	if (memcmp(*p, mapped, sizeof(mapped)) == 0) {
		*p += 12;
		return AF_INET;
	}
	return AF_INET6;
}

bool auth_limit_same_source(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *x, *y;
	int fa = source_of(a, &x), fb = source_of(b, &y);
	if (!fa || fa != fb)
		return false;
	return memcmp(x, y, fa == AF_INET ? 4 : 8) == 0;
}

void auth_limit_busy(struct auth_limit *al, const struct sockaddr *from, unsigned waiting,
                     unsigned cap, uint64_t now)
{
	if (!al)
		return;
	al->busy++;
	unsigned more;
	if (!ratelog_ok(&al->rl_busy, now / 1000, AUTH_LIMIT_BUSY_LOG, &more))
		return;
	char addr[64];
	auth_limit_addr_key(from, addr, sizeof(addr));
	log_err(LOG_IKE, "auth-limit: a login from %s refused without asking RADIUS: %u "
	        "Access-Requests of that address wait (radius_requests_per_source = %u); %u "
	        "more such refusals since the last line", addr, waiting, cap, more);
}

uint64_t auth_limit_busy_count(const struct auth_limit *al)
{
	return al ? al->busy : 0;
}
