/* Leases across restarts (src/lease_store.h): the file written from pools
 * restores the same user -> address bindings and the same order of reuse
 * into fresh pools; hostile or damaged lines are refused one by one;
 * and fresh addresses skip restored ones. */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/config.h"
#include "src/lease_store.h"
#include "src/log.h"
#include "src/pool.h"

static struct pool *v4pool(void)
{
	const uint8_t from[4] = { 198, 19, 0, 1 }, to[4] = { 198, 19, 0, 254 };
	return pool_new("198.19.0.1-198.19.0.254", AF_INET, from, to);
}

static struct pool *v6pool(void)
{
	uint8_t from[16], to[16];
	inet_pton(AF_INET6, "2001:db8:ffff::1", from);
	inet_pton(AF_INET6, "2001:db8:ffff::ffff", to);
	return pool_new("2001:db8:ffff::1-2001:db8:ffff::ffff", AF_INET6, from, to);
}

/* the file lease_store_format writes for pools, as a malloc'd string */
static char *format(struct pool *const *pools, int n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int rc = lease_store_format(f, pools, n);
	fclose(f);
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int acquire(struct pool *p, const char *id, char *text)
{
	uint8_t a[16];
	if (pool_acquire(p, id, a) != 0)
		return -1;
	inet_ntop(pool_family(p), a, text, INET6_ADDRSTRLEN);
	return 0;
}

static void test_roundtrip(void)
{
	struct pool *old[2] = { v4pool(), v6pool() };
	char a4[64], b4[64], c4[64], a6[64], e4[64];
	uint8_t addr[16];
	/* identities with a space, a percent sign, UTF-8 and an escape byte */
	const char *eve = "eve 100%\x1b[31m \xc3\xa9";
	acquire(old[0], "alice", a4);
	acquire(old[0], "bob", b4);
	acquire(old[0], "carol", c4);
	acquire(old[0], eve, e4);
	acquire(old[1], "alice", a6);
	/* release order: carol, then alice; bob and eve stay online */
	inet_pton(AF_INET, c4, addr);
	pool_release(old[0], addr);
	inet_pton(AF_INET, a4, addr);
	pool_release(old[0], addr);
	CHECK("lease dirty after changes", pool_take_dirty(old[0]) && !pool_take_dirty(old[0]));

	size_t len;
	char *text = format(old, 2, &len);
	CHECK("lease format", text != NULL);
	if (!text)
		return;
	CHECK("lease format escapes identities",
	      strstr(text, " eve%20100%25%1B[31m%20%C3%A9\n") != NULL && !strchr(text, '\x1b'));
	CHECK("lease format: offline in release order, online last",
	      strstr(text, "carol") < strstr(text, "alice") && strstr(text, "alice") < strstr(text, "bob"));

	struct pool *fresh[2] = { v4pool(), v6pool() };
	struct lease_read r;
	CHECK("lease parse", lease_store_parse(text, len, fresh, 2, &r) == 0);
	CHECK("lease parse restores 5", r.restored == 5 && r.garbled == 0 && r.refused == 0 &&
	      r.unknown_pool == 0);
	CHECK("lease restored are offline", pool_online(fresh[0]) == 0 && pool_offline(fresh[0]) == 4);
	CHECK("lease restore is not a change", !pool_take_dirty(fresh[0]));

	/* users come back in the opposite order: each gets its address */
	char got[64];
	CHECK("lease eve back", acquire(fresh[0], eve, got) == 0 && strcmp(got, e4) == 0);
	CHECK("lease carol back", acquire(fresh[0], "carol", got) == 0 && strcmp(got, c4) == 0);
	CHECK("lease bob back", acquire(fresh[0], "bob", got) == 0 && strcmp(got, b4) == 0);
	CHECK("lease alice back", acquire(fresh[0], "alice", got) == 0 && strcmp(got, a4) == 0);
	CHECK("lease alice v6 back", acquire(fresh[1], "alice", got) == 0 && strcmp(got, a6) == 0);
	/* a new user gets a fresh address, none of the restored ones */
	CHECK("lease new user fresh", acquire(fresh[0], "dave", got) == 0 &&
	      strcmp(got, "198.19.0.5") == 0);
	free(text);
	for (int i = 0; i < 2; i++) {
		pool_free(old[i]);
		pool_free(fresh[i]);
	}
}

/* the order of reuse survives: in a full pool, the least recently
 * released address goes first, as before the restart */
static void test_reuse_order(void)
{
	const uint8_t from[4] = { 10, 0, 0, 1 }, to[4] = { 10, 0, 0, 3 };
	struct pool *p = pool_new("10.0.0.1-10.0.0.3", AF_INET, from, to);
	char x[64], y[64], z[64], got[64];
	uint8_t a[4];
	acquire(p, "x", x);
	acquire(p, "y", y);
	acquire(p, "z", z);
	inet_pton(AF_INET, y, a);
	pool_release(p, a);
	inet_pton(AF_INET, x, a);
	pool_release(p, a);
	size_t len;
	char *text = format(&p, 1, &len);
	struct pool *q = pool_new("10.0.0.1-10.0.0.3", AF_INET, from, to);
	struct lease_read r;
	CHECK("reuse parse", text && lease_store_parse(text, len, &q, 1, &r) == 0 && r.restored == 3);
	CHECK("reuse: full pool takes y's (released first)", acquire(q, "w", got) == 0 &&
	      strcmp(got, y) == 0);
	CHECK("reuse: then x's", acquire(q, "v", got) == 0 && strcmp(got, x) == 0);
	CHECK("reuse: then z's (online at the restart: released last)",
	      acquire(q, "u", got) == 0 && strcmp(got, z) == 0);
	CHECK("reuse: then none", acquire(q, "t", got) != 0);
	free(text);
	pool_free(p);
	pool_free(q);
}

static void test_hostile(void)
{
	struct pool *p = v4pool();
	char longline[LEASE_LINE_MAX + 100];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	memcpy(longline, "198.19.0.1-198.19.0.254 198.19.0.9 ", 35);
	char text[8192];
	int n = snprintf(text, sizeof(text),
	                 "# comment\n"
	                 "\n"
	                 LEASE_VERSION_LINE "\n"
	                 "198.19.0.1-198.19.0.254 198.19.0.7 alice\n"      /* 4: ok */
	                 "198.19.0.1-198.19.0.254 198.19.0.7 bob\n"        /* 5: twice */
	                 "198.19.0.1-198.19.0.254 10.0.0.1 carol\n"        /* 6: outside */
	                 "198.19.0.1-198.19.0.254 198.19.1.1 carol\n"      /* 7: outside */
	                 "198.19.0.1-198.19.0.254 2001:db8::1 carol\n"     /* 8: garbled */
	                 "198.19.0.1-198.19.0.254 198.19.0.8\n"            /* 9: 2 fields */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a b\n"        /* 10: 4 fields */
	                 "198.19.0.1-198.19.0.254  198.19.0.8 a\n"         /* 11: empty */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a \n"         /* 12: trailing */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a%%2\n"      /* 13: bad % */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a%%zz\n"      /* 14: bad % */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a%%00b\n"      /* 15: NUL */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 caf\xc3\xa9\n" /* 16: raw */
	                 "198.19.0.1-198.19.0.254 198.19.0.8 a\tb\n"       /* 17: tab */
	                 "10.9.9.0-10.9.9.255 10.9.9.1 dave\n"             /* 18: unknown */
	                 "%s\n"                                            /* 19: long */
	                 "198.19.0.1-198.19.0.254 198.19.0.10 eve",        /* 20: ok, no \n */
	                 longline);
	struct lease_read r;
	CHECK("hostile parse", lease_store_parse(text, (size_t)n, &p, 1, &r) == 0);
	CHECK("hostile 2 restored", r.restored == 2);
	CHECK("hostile 3 refused", r.refused == 3);
	CHECK("hostile 11 garbled", r.garbled == 11);
	CHECK("hostile 1 unknown pool", r.unknown_pool == 1);
	CHECK("hostile first bad is line 5", r.first_bad == 5);
	char got[64];
	CHECK("hostile alice kept", acquire(p, "alice", got) == 0 && strcmp(got, "198.19.0.7") == 0);
	CHECK("hostile eve kept", acquire(p, "eve", got) == 0 && strcmp(got, "198.19.0.10") == 0);
	CHECK("hostile bob fresh", acquire(p, "bob", got) == 0 && strcmp(got, "198.19.0.1") == 0);

	/* a NUL inside a line */
	static const char nul[] = LEASE_VERSION_LINE "\n198.19.0.1-198.19.0.254 198.19.0.20 x\0y\n";
	struct pool *q = v4pool();
	CHECK("nul byte garbled", lease_store_parse(nul, sizeof(nul) - 1, &q, 1, &r) == 0 &&
	      r.garbled == 1 && r.restored == 0);
	pool_free(q);

	/* no version line: nothing at all */
	static const char nov[] = "198.19.0.1-198.19.0.254 198.19.0.30 zed\n";
	q = v4pool();
	CHECK("no version line refused", lease_store_parse(nov, sizeof(nov) - 1, &q, 1, &r) != 0 &&
	      pool_offline(q) == 0);
	static const char v2[] = "cygnet-leases 2\n198.19.0.1-198.19.0.254 198.19.0.30 zed\n";
	CHECK("other version refused", lease_store_parse(v2, sizeof(v2) - 1, &q, 1, &r) != 0 &&
	      pool_offline(q) == 0);
	CHECK("empty file refused", lease_store_parse("", 0, &q, 1, &r) != 0);
	pool_free(q);
	pool_free(p);
}

/* the state dir: created 0700, an existing one made 0700, a symbolic
 * link or a missing parent refused; the file read back into a config's
 * pools */
static void test_dir(void)
{
	char base[] = "/tmp/cygnet-test-leases.XXXXXX", dir[128], link[128], path[160], err[256];
	struct stat st;
	if (!mkdtemp(base)) {
		CHECK("dir mkdtemp", 0);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/state", base);
	struct lease_store *ls = lease_store_open(dir, getuid(), getgid(), err, sizeof(err));
	CHECK("dir created", ls != NULL && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	      (st.st_mode & 07777) == 0700);

	/* a lease file, read into the pools of a configuration */
	struct pool *old = v4pool();
	char a4[64];
	acquire(old, "alice", a4);
	snprintf(path, sizeof(path), "%s/" LEASE_FILE, dir);
	FILE *f = fopen(path, "w");
	CHECK("dir file written", f && lease_store_format(f, &old, 1) == 0);
	if (f)
		fclose(f);
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.pools[0] = v4pool();
	cfg.n_pools = 1;
	if (ls)
		lease_store_load(ls, &cfg);
	char got[64];
	CHECK("dir load restores", pool_offline(cfg.pools[0]) == 1 &&
	      acquire(cfg.pools[0], "alice", got) == 0 && strcmp(got, a4) == 0);
	lease_store_free(ls);
	pool_free(old);
	pool_free(cfg.pools[0]);

	chmod(dir, 0755);
	ls = lease_store_open(dir, getuid(), getgid(), err, sizeof(err));
	CHECK("dir existing made 0700", ls && stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
	lease_store_free(ls);

	snprintf(link, sizeof(link), "%s/link", base);
	CHECK("dir symlink made", symlink(dir, link) == 0);
	ls = lease_store_open(link, getuid(), getgid(), err, sizeof(err));
	CHECK("dir symlink refused", ls == NULL && strstr(err, "symbolic link"));
	lease_store_free(ls);

	snprintf(path, sizeof(path), "%s/no/such", base);
	ls = lease_store_open(path, getuid(), getgid(), err, sizeof(err));
	CHECK("dir missing parent refused", ls == NULL && strstr(err, "cannot create"));
	lease_store_free(ls);

	snprintf(path, sizeof(path), "%s/" LEASE_FILE, dir);
	unlink(path);
	unlink(link);
	rmdir(dir);
	rmdir(base);
}

int main(void)
{
	test_roundtrip();
	test_reuse_order();
	test_hostile();
	log_set_level(-1, -1);
	test_dir();
	CHECK_DONE();
}
