/* Virtual IP pools: order of hand-out, leases kept per identity, reuse,
 * exhaustion, IPv6 ranges and the 2^24 cap. */
#include "tests/unit/check.h"

#include <stdbool.h>
#include <sys/socket.h>

#include "src/pool.h"

static void test_v4(void)
{
	const uint8_t from[4] = { 10, 1, 1, 1 }, to[4] = { 10, 1, 1, 254 };
	struct pool *p = pool_new("10.1.1.0/24", AF_INET, from, to);
	CHECK("v4 new", p != NULL);
	if (!p)
		return;
	CHECK("v4 name, family", strcmp(pool_name(p), "10.1.1.0/24") == 0 && pool_family(p) == AF_INET);
	CHECK("v4 size 254", pool_size(p) == 254);
	CHECK("v4 empty counters", pool_online(p) == 0 && pool_offline(p) == 0);

	uint8_t a[4], b[4], c[4], d[4];
	CHECK("v4 first is from", pool_acquire(p, "alice", a) == 0 && memcmp(a, from, 4) == 0);
	CHECK("v4 second in order", pool_acquire(p, "bob", b) == 0 &&
	      b[0] == 10 && b[1] == 1 && b[2] == 1 && b[3] == 2);
	CHECK("v4 same id second session distinct", pool_acquire(p, "alice", c) == 0 &&
	      c[3] == 3);
	CHECK("v4 counters online", pool_online(p) == 3 && pool_offline(p) == 0);

	pool_release(p, a);
	CHECK("v4 release makes offline", pool_online(p) == 2 && pool_offline(p) == 1);
	pool_release(p, a);
	CHECK("v4 double release harmless", pool_online(p) == 2 && pool_offline(p) == 1);
	CHECK("v4 other id gets a fresh address, not alice's",
	      pool_acquire(p, "carol", d) == 0 && d[3] == 4);
	CHECK("v4 same id gets its address back", pool_acquire(p, "alice", d) == 0 &&
	      memcmp(d, a, 4) == 0 && pool_offline(p) == 0 && pool_online(p) == 4);
	/* alice now has .1 and .3 online: a third session gets a new one */
	CHECK("v4 address never online twice", pool_acquire(p, "alice", d) == 0 && d[3] == 5);

	/* both of alice's sessions end; she comes back twice */
	uint8_t e[4], f[4];
	pool_release(p, a);
	pool_release(p, c);
	CHECK("v4 two offline leases of one id", pool_offline(p) == 2);
	CHECK("v4 reconnects reuse both offline leases",
	      pool_acquire(p, "alice", e) == 0 && pool_acquire(p, "alice", f) == 0 &&
	      memcmp(e, f, 4) != 0 && (e[3] == 1 || e[3] == 3) && (f[3] == 1 || f[3] == 3));

	CHECK("v4 contains first/last", pool_contains(p, from) && pool_contains(p, to));
	const uint8_t out1[4] = { 10, 1, 1, 0 }, out2[4] = { 10, 1, 1, 255 }, out3[4] = { 10, 1, 2, 1 };
	CHECK("v4 contains outside", !pool_contains(p, out1) && !pool_contains(p, out2) &&
	      !pool_contains(p, out3));
	pool_release(p, out2);  /* not ours: ignored */
	CHECK("v4 release outside ignored", pool_online(p) == 5);

	/* lease iteration: address order, with ids */
	uint8_t la[4];
	const char *lid;
	bool on;
	size_t n = 0;
	bool order = true;
	while (pool_lease_at(p, n, la, &lid, &on) == 0) {
		if (la[3] != n + 1 || !on)
			order = false;
		n++;
	}
	CHECK("v4 lease_at iterates all", n == 5 && order);
	CHECK("v4 lease_at ids", pool_lease_at(p, 1, la, &lid, &on) == 0 && strcmp(lid, "bob") == 0);
	pool_free(p);
	pool_free(NULL);
}

static void test_exhaustion(void)
{
	const uint8_t from[4] = { 198, 18, 7, 10 }, to[4] = { 198, 18, 7, 13 };
	struct pool *p = pool_new("small", AF_INET, from, to);
	CHECK("small new", p != NULL && pool_size(p) == 4);
	if (!p)
		return;
	uint8_t a[4][4], x[4];
	char id[16];
	bool ok = true;
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		if (pool_acquire(p, id, a[i]) != 0 || a[i][3] != 10 + i)
			ok = false;
	}
	CHECK("small fill in order", ok);
	CHECK("small exhausted returns -1", pool_acquire(p, "u9", x) == -1 && pool_online(p) == 4);

	/* release u2, then u0: u2's lease is the least recently released,
	 * so a newcomer gets it first */
	pool_release(p, a[2]);
	pool_release(p, a[0]);
	CHECK("small newcomer takes oldest offline lease", pool_acquire(p, "u9", x) == 0 &&
	      memcmp(x, a[2], 4) == 0);
	CHECK("small counters after takeover", pool_online(p) == 3 && pool_offline(p) == 1);
	/* u2's lease is gone: u2 gets u0's (the only offline one left) */
	CHECK("small former owner takes next offline", pool_acquire(p, "u2", x) == 0 &&
	      memcmp(x, a[0], 4) == 0);
	CHECK("small exhausted again", pool_acquire(p, "u0", x) == -1 &&
	      pool_online(p) == 4 && pool_offline(p) == 0);
	const char *lid;
	bool on;
	CHECK("small lease now tied to u9", pool_lease_at(p, 2, x, &lid, &on) == 0 &&
	      strcmp(lid, "u9") == 0 && on && x[3] == 12);
	/* u9 goes offline and comes back: its taken-over lease is its own now */
	pool_release(p, a[2]);
	pool_release(p, a[1]);
	CHECK("small taken-over lease comes back to new owner",
	      pool_acquire(p, "u9", x) == 0 && memcmp(x, a[2], 4) == 0);
	CHECK("small lease_at reports offline", pool_lease_at(p, 1, x, &lid, &on) == 0 &&
	      !on && strcmp(lid, "u1") == 0);
	CHECK("small lease_at past end", pool_lease_at(p, 4, x, &lid, &on) == -1);

	/* a one-address pool */
	struct pool *one = pool_new("one", AF_INET, from, from);
	CHECK("one-address pool", one && pool_size(one) == 1 &&
	      pool_acquire(one, "a", x) == 0 && memcmp(x, from, 4) == 0 &&
	      pool_acquire(one, "a", x) == -1);
	pool_free(one);
	CHECK("reversed range refused", pool_new("bad", AF_INET, to, from) == NULL);
	CHECK("bad family refused", pool_new("bad", 12345, from, to) == NULL);
	pool_free(p);
}

static void test_v6(void)
{
	/* 2001:db8:1::fffe .. 2001:db8:1::1:0005: crosses a 16-bit boundary */
	uint8_t from[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe };
	uint8_t to[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 5 };
	struct pool *p = pool_new("2001:db8:1::/64", AF_INET6, from, to);
	CHECK("v6 new", p != NULL && pool_family(p) == AF_INET6);
	if (!p)
		return;
	CHECK("v6 size", pool_size(p) == 8);
	uint8_t a[16], want[16];
	bool ok = pool_acquire(p, "x", a) == 0 && memcmp(a, from, 16) == 0;
	ok = ok && pool_acquire(p, "y", a) == 0 && a[13] == 0 && a[14] == 0xff && a[15] == 0xff;
	ok = ok && pool_acquire(p, "z", a) == 0 && a[13] == 1 && a[14] == 0 && a[15] == 0;
	CHECK("v6 in order with carry", ok);
	memcpy(want, a, 16);
	pool_release(p, a);
	CHECK("v6 same id back", pool_acquire(p, "z", a) == 0 && memcmp(a, want, 16) == 0);
	CHECK("v6 contains", pool_contains(p, to) && pool_contains(p, from));
	uint8_t o[16];
	memcpy(o, to, 16);
	o[15] = 6;
	CHECK("v6 contains outside above", !pool_contains(p, o));
	memcpy(o, from, 16);
	o[15] = 0xfd;
	CHECK("v6 contains outside below", !pool_contains(p, o));
	memcpy(o, from, 16);
	o[0] = 0x30;
	CHECK("v6 contains far away", !pool_contains(p, o));
	int n = 0;
	while (pool_acquire(p, "many", a) == 0)
		n++;
	CHECK("v6 exhaustion after 8", n == 5 && pool_online(p) == 8);
	pool_free(p);

	/* a /64 is far more than 2^24: capped, nothing allocated up front */
	uint8_t big_from[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t big_to[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0xff, 0xff, 0xff, 0xff,
	                       0xff, 0xff, 0xff, 0xff };
	p = pool_new("big", AF_INET6, big_from, big_to);
	CHECK("v6 /64 capped to 2^24", p && pool_size(p) == (size_t)1 << 24);
	if (p) {
		uint8_t last[16];
		memcpy(last, big_from, 16);
		/* from + 2^24 - 1 = ::1 + 0xffffff = ::100:0 is the last one */
		last[12] = 1;
		last[15] = 0;
		CHECK("v6 capped last inside", pool_contains(p, last));
		last[15] = 1;
		CHECK("v6 capped range end", !pool_contains(p, last));
		/* many leases: the hash indexes grow */
		bool all = true;
		char id[32];
		for (int i = 0; i < 3000; i++) {
			snprintf(id, sizeof(id), "user%d", i);
			if (pool_acquire(p, id, a) != 0)
				all = false;
		}
		for (int i = 0; i < 3000; i += 2) {
			memcpy(a, big_from, 16);
			a[14] = (uint8_t)((i + 1) >> 8);
			a[15] = (uint8_t)(i + 1);
			pool_release(p, a);
		}
		bool back = true;
		for (int i = 2998; i >= 0; i -= 2) {
			snprintf(id, sizeof(id), "user%d", i);
			if (pool_acquire(p, id, a) != 0 || a[14] != (uint8_t)((i + 1) >> 8) ||
			    a[15] != (uint8_t)(i + 1))
				back = false;
		}
		CHECK("v6 3000 leases", all && pool_online(p) == 3000);
		CHECK("v6 3000 leases come back to their ids", back && pool_offline(p) == 0);
	}
	pool_free(p);

	/* the whole IPv6 space: span does not overflow */
	uint8_t zero[16] = { 0 }, ones[16];
	memset(ones, 0xff, 16);
	p = pool_new("all", AF_INET6, zero, ones);
	CHECK("v6 ::/0 capped", p && pool_size(p) == (size_t)1 << 24);
	pool_free(p);
}

int main(void)
{
	test_v4();
	test_exhaustion();
	test_v6();
	CHECK_DONE();
}
