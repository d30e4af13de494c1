/* The SA tables under concurrent use (src/dp/sa_table.c): reader threads
 * look SAs up without a lock while the control thread adds, deletes and
 * grows the table and frees what was unlinked once every reader has
 * passed a quiescent point after it (the protocol src/dp/dp.c follows).
 * A reader must always find a live SA with the SPI it asked for, or
 * nothing; never a freed one (ASan, valgrind and TSan runs of this test
 * see that; the checks here see wrong SAs). The same for routed SAs (no
 * virtual IP), found by their selectors on the routed chain, which the
 * control thread changes meanwhile too. */
#define _GNU_SOURCE
#include "tests/unit/check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "src/dp/esp.h"

#define READERS 2
#define KEEP 4000               /* SPIs 1..KEEP stay installed throughout */
#define CHURN 20000             /* SPIs added and deleted meanwhile */
#define RUN_MS 1500
#define R_KEEP 8                /* routed SAs installed throughout */
#define R_CHURN 56              /* routed SAs added and deleted meanwhile */
#define R_SPI 0x40000000u       /* routed SA i has SPI R_SPI + i ... */
/* ... and sends 10.200.0.0/16 -> 172.16.0.i */

struct reader {
	pthread_t th;
	struct esp_table *t;
	_Atomic uint64_t seen;      /* the epoch at its last quiescent point */
	int lane;                   /* its own counters in every SA */
	unsigned long lookups, wrong, missing;
};

static atomic_bool stop;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define SA_SIZE (sizeof(struct esp_sa) + READERS * sizeof(struct esp_lane))

static struct esp_sa *sa_alloc(void)
{
	struct esp_sa *sa = aligned_alloc(64, (SA_SIZE + 63) / 64 * 64);
	if (!sa)
		abort();
	memset(sa, 0, SA_SIZE);
	sa->n_lanes = READERS;
	return sa;
}

static struct esp_sa *mk(uint32_t spi)
{
	struct esp_sa *sa = sa_alloc();
	sa->spi_in = spi;
	sa->has_vip4 = true;
	sa->vip4[0] = 10;
	sa->vip4[1] = (uint8_t)(spi >> 16);
	sa->vip4[2] = (uint8_t)(spi >> 8);
	sa->vip4[3] = (uint8_t)spi;
	sa->owner = spi ^ 0x5a5a5a5a;      /* a second field to check */
	return sa;
}

static struct esp_sa *mk_routed(uint32_t i)
{
	struct esp_sa *sa = sa_alloc();
	sa->spi_in = R_SPI + i;
	sa->owner = sa->spi_in ^ 0x5a5a5a5a;
	struct esp_ts l = { .family = AF_INET, .eport = 0xffff, .start = { 10, 200, 0, 0 },
	                    .end = { 10, 200, 255, 255 } };
	struct esp_ts r = { .family = AF_INET, .eport = 0xffff, .start = { 172, 16, 0, (uint8_t)i },
	                    .end = { 172, 16, 0, (uint8_t)i } };
	if (esp_sa_set_ts(sa, &l, 1, &r, 1) != 0)
		abort();
	return sa;
}

/* a packet to routed SA i's destination */
static void routed_lookup(struct reader *r, uint32_t i)
{
	uint8_t pkt[20] = { 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 0, 0, 0, 10, 200, 0, 1,
	                    172, 16, 0, (uint8_t)i };
	struct esp_sa *sa = esp_table_out(r->t, r->lane, pkt, sizeof(pkt));
	r->lookups++;
	if (sa && (sa->spi_in != R_SPI + i || sa->owner != ((R_SPI + i) ^ 0x5a5a5a5a)))
		r->wrong++;
	if (!sa && i < R_KEEP)
		r->missing++;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint32_t x = 12345;
	uint8_t pkt[20] = { 0x45 };
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 64; i++) {
			x = x * 1103515245u + 12345u;
			uint32_t spi = 1 + (x >> 8) % (KEEP + CHURN);
			struct esp_sa *sa = esp_table_by_spi(r->t, spi);
			r->lookups++;
			if (sa && (sa->spi_in != spi || sa->owner != (spi ^ 0x5a5a5a5a)))
				r->wrong++;
			if (!sa && spi <= KEEP)
				r->missing++;
			pkt[16] = 10;
			pkt[17] = (uint8_t)(spi >> 16);
			pkt[18] = (uint8_t)(spi >> 8);
			pkt[19] = (uint8_t)spi;
			sa = esp_table_by_dst(r->t, pkt, sizeof(pkt));
			if (sa && sa->spi_in != spi)
				r->wrong++;
			if (!sa && spi <= KEEP)
				r->missing++;
			routed_lookup(r, (x >> 4) % (R_KEEP + R_CHURN));
		}
		/* a quiescent point: nothing looked up above is held now */
		atomic_store(&r->seen, esp_table_epoch(r->t));
	}
	atomic_store(&r->seen, UINT64_MAX);
	return NULL;
}

struct retired {
	struct esp_sa *sa;
	uint64_t epoch;
};

int main(void)
{
	struct esp_table *t = esp_table_new();
	CHECK("table", t != NULL);
	if (!t)
		return 1;
	for (uint32_t s = 1; s <= KEEP; s++)
		esp_table_add(t, mk(s));
	static struct esp_sa *routed[R_KEEP + R_CHURN];
	for (uint32_t i = 0; i < R_KEEP; i++)
		if (esp_table_add(t, routed[i] = mk_routed(i)) != 0)
			abort();
	static struct reader rd[READERS];
	for (int i = 0; i < READERS; i++) {
		rd[i].t = t;
		rd[i].lane = i;
		atomic_init(&rd[i].seen, esp_table_epoch(t));
		pthread_create(&rd[i].th, NULL, reader_main, &rd[i]);
	}
	static struct esp_sa *live[CHURN];
	static struct retired ret[CHURN * 4 + R_CHURN * 4];
	size_t n_ret = 0;
	unsigned long adds = 0, dels = 0, freed = 0, r_adds = 0;
	uint32_t x = 777;
	uint64_t end = now_ms() + RUN_MS;
	while (now_ms() < end) {
		for (int k = 0; k < 256; k++) {
			x = x * 1664525u + 1013904223u;
			uint32_t i = (x >> 8) % CHURN;
			if (live[i]) {
				esp_table_del(t, live[i]);
				if (n_ret < sizeof(ret) / sizeof(ret[0]))
					ret[n_ret++] = (struct retired){ live[i], esp_table_epoch(t) };
				else
					abort();
				live[i] = NULL;
				dels++;
			} else {
				live[i] = mk(KEEP + 1 + i);
				if (esp_table_add(t, live[i]) != 0)
					abort();
				adds++;
			}
		}
		/* the routed chain: a few SAs in and out per round */
		for (int k = 0; k < 8; k++) {
			x = x * 1664525u + 1013904223u;
			uint32_t i = R_KEEP + (x >> 8) % R_CHURN;
			if (routed[i]) {
				esp_table_del(t, routed[i]);
				if (n_ret < sizeof(ret) / sizeof(ret[0]))
					ret[n_ret++] = (struct retired){ routed[i], esp_table_epoch(t) };
				else
					abort();
				routed[i] = NULL;
				dels++;
			} else {
				if (esp_table_add(t, routed[i] = mk_routed(i)) != 0)
					abort();
				r_adds++;
			}
		}
		/* the grace period: the oldest epoch any reader may still be in */
		uint64_t safe = UINT64_MAX;
		for (int r = 0; r < READERS; r++) {
			uint64_t s = atomic_load(&rd[r].seen);
			if (s < safe)
				safe = s;
		}
		esp_table_reclaim(t, safe);
		size_t j = 0;
		for (size_t i = 0; i < n_ret; i++) {
			if (ret[i].epoch <= safe) {
				memset(ret[i].sa, 0xdd, SA_SIZE);      /* poison */
				free(ret[i].sa);
				freed++;
			} else {
				ret[j++] = ret[i];
			}
		}
		n_ret = j;
	}
	atomic_store(&stop, true);
	unsigned long lookups = 0, wrong = 0, missing = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(rd[i].th, NULL);
		lookups += rd[i].lookups;
		wrong += rd[i].wrong;
		missing += rd[i].missing;
	}
	printf("# %lu lookups by %d readers, %lu adds (%lu routed), %lu deletes, "
	       "%lu SAs freed under way\n", lookups, READERS, adds + r_adds, r_adds, dels, freed);
	CHECK("readers ran and SAs were freed while they did", lookups > 1000 && freed > 100);
	CHECK("routed SAs came and went meanwhile", r_adds > 100);
	CHECK("no reader found a wrong or freed SA", wrong == 0);
	CHECK("no reader missed an SA that stayed installed", missing == 0);
	bool all = true;
	for (uint32_t s = 1; s <= KEEP; s++)
		all &= esp_table_by_spi(t, s) != NULL;
	for (uint32_t i = 0; i < CHURN; i++)
		all &= esp_table_by_spi(t, KEEP + 1 + i) == live[i];
	for (uint32_t i = 0; i < R_KEEP + R_CHURN; i++) {
		uint8_t pkt[20] = { 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 0, 0, 0, 10, 200, 0, 1,
		                    172, 16, 0, (uint8_t)i };
		all &= esp_table_by_spi(t, R_SPI + i) == routed[i] &&
		       esp_table_out(t, 0, pkt, sizeof(pkt)) == routed[i];
	}
	CHECK("table consistent afterwards", all);
	for (uint32_t s = 1; s <= KEEP; s++) {
		struct esp_sa *sa = esp_table_by_spi(t, s);
		esp_table_del(t, sa);
		free(sa);
	}
	for (uint32_t i = 0; i < CHURN; i++)
		if (live[i]) {
			esp_table_del(t, live[i]);
			free(live[i]);
		}
	for (uint32_t i = 0; i < R_KEEP + R_CHURN; i++)
		if (routed[i]) {
			esp_table_del(t, routed[i]);
			free(routed[i]);
		}
	for (size_t i = 0; i < n_ret; i++)
		free(ret[i].sa);
	esp_table_free(t);
	CHECK_DONE();
}
