/* libFuzzer target for the lease file (src/lease_store.h): local input,
 * but read as untrusted. The input is parsed into an IPv4 and an IPv6
 * pool; what was restored is written out again, and that text must parse
 * back completely (every lease restored, nothing garbled or refused).
 * Seeds: tests/fuzz/corpus/leases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "src/lease_store.h"
#include "src/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pools(struct pool **p)
{
	uint8_t a[16], b[16];
	inet_pton(AF_INET, "198.19.0.1", a);
	inet_pton(AF_INET, "198.19.0.254", b);
	p[0] = pool_new("198.19.0.1-198.19.0.254", AF_INET, a, b);
	inet_pton(AF_INET6, "2001:db8:ffff::1", a);
	inet_pton(AF_INET6, "2001:db8:ffff::fffe", b);
	p[1] = pool_new("2001:db8:ffff::1-2001:db8:ffff::fffe", AF_INET6, a, b);
}

static void count(void *arg, const uint8_t *addr, const char *id)
{
	(*(unsigned *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *p[2], *q[2];
	struct lease_read r, r2;
	char *text = NULL;
	size_t len = 0;

	if (size > 256 * 1024)
		return 0;
	pools(p);
	pools(q);
	if (!p[0] || !p[1] || !q[0] || !q[1])
		abort();
	if (lease_store_parse((const char *)data, size, p, 2, &r) == 0) {
		unsigned n = 0;
		pool_each_lease(p[0], count, &n);
		pool_each_lease(p[1], count, &n);
		if (n != r.restored)
			abort();
		FILE *f = open_memstream(&text, &len);
		if (!f || lease_store_format(f, p, 2) != 0)
			abort();
		fclose(f);
		if (lease_store_parse(text, len, q, 2, &r2) != 0 || r2.restored != r.restored ||
		    r2.garbled || r2.refused || r2.unknown_pool)
			abort();
		free(text);
	}
	for (int i = 0; i < 2; i++) {
		pool_free(p[i]);
		pool_free(q[i]);
	}
	return 0;
}
