/* The CHILD_SA's negotiated selectors on their way into the data path:
 * child_sa_install gives the ESP SA TSr as its local (our) side and TSi as
 * the remote (the peer's) side, and child_sa_take_rekey_ts takes the
 * selectors of a CREATE_CHILD_SA response to our own rekey, whose TSi is
 * OUR side (we initiated that exchange), accepting only narrowing. */
#include <arpa/inet.h>
#include "tests/unit/check.h"
#include "crypto/algs.h"
#include "src/child_sa.h"
#include "src/daemon.h"
#include <event2/event.h>
#include "src/dp/dp_int.h"
#include "src/ike_sa.h"

static struct ike_ts ts4(const char *start, const char *end, uint8_t proto, uint16_t sp,
                         uint16_t ep)
{
	struct ike_ts t;
	memset(&t, 0, sizeof(t));
	t.type = TS_IPV4_ADDR_RANGE;
	t.ip_proto = proto;
	t.sport = sp;
	t.eport = ep;
	inet_pton(AF_INET, start, t.start);
	inet_pton(AF_INET, end, t.end);
	return t;
}

/* a child as child_sa_create leaves it: tsi = the client's VIP, tsr =
 * leftsubnet 198.18.2.0/24 */
static void child(struct child_sa *c)
{
	memset(c, 0, sizeof(*c));
	c->tsi[0] = ts4("198.19.0.1", "198.19.0.1", 0, 0, 0xffff);
	c->n_tsi = 1;
	c->tsr[0] = ts4("198.18.2.0", "198.18.2.255", 0, 0, 0xffff);
	c->n_tsr = 1;
}

static void test_take_rekey_ts(void)
{
	static struct child_sa c;
	static struct ike_msg m;
	child(&c);
	memset(&m, 0, sizeof(m));
	/* the response's TSi is our side (narrowed to tcp/443), TSr the peer's */
	m.tsi[0] = ts4("198.18.2.0", "198.18.2.127", 6, 443, 443);
	m.n_tsi = 1;
	m.tsr[0] = ts4("198.19.0.1", "198.19.0.1", 6, 0, 0xffff);
	m.n_tsr = 1;
	CHECK("rekey ts: narrowing accepted", child_sa_take_rekey_ts(&c, &m) == 0);
	CHECK("rekey ts: response TSi becomes our side (tsr)",
	      c.n_tsr == 1 && c.tsr[0].ip_proto == 6 && c.tsr[0].sport == 443 &&
	      c.tsr[0].end[3] == 127);
	CHECK("rekey ts: response TSr becomes the peer's side (tsi)",
	      c.n_tsi == 1 && c.tsi[0].start[0] == 198 && c.tsi[0].start[1] == 19);

	child(&c);
	m.tsi[0] = ts4("198.18.0.0", "198.18.255.255", 0, 0, 0xffff);
	CHECK("rekey ts: wider than ours refused, child unchanged",
	      child_sa_take_rekey_ts(&c, &m) == -1 && c.tsr[0].end[2] == 2 && c.tsr[0].ip_proto == 0);
	/* the roles swapped by mistake: TSi = the peer's VIP is not inside ours */
	m.tsi[0] = ts4("198.19.0.1", "198.19.0.1", 0, 0, 0xffff);
	m.tsr[0] = ts4("198.18.2.0", "198.18.2.255", 0, 0, 0xffff);
	CHECK("rekey ts: swapped roles refused", child_sa_take_rekey_ts(&c, &m) == -1);
	m.n_tsi = 0;
	CHECK("rekey ts: missing TSi refused", child_sa_take_rekey_ts(&c, &m) == -1);
	m.tsi[0] = ts4("198.18.2.0", "198.18.2.255", 0, 0, 0xffff);
	m.n_tsi = 1;
	m.tsr[0] = ts4("198.19.0.1", "198.19.0.1", 0, 1000, 2000);
	CHECK("rekey ts: identical TSi and narrowed ports of TSr accepted",
	      child_sa_take_rekey_ts(&c, &m) == 0 && c.tsi[0].sport == 1000);
}

static void test_install(void)
{
	static struct daemon d;
	static struct ike_sa sa;
	d.base = event_base_new();
	struct dp_params dpp = { .base = d.base, .tun_fd = -1, .on_event = daemon_dp_event,
	                         .arg = &d };
	d.dp = d.base ? dp_new(&dpp, NULL, 0) : NULL;
	sa.d = &d;
	sa.has_vip4 = true;
	inet_pton(AF_INET, "198.19.0.1", sa.vip4);
	struct child_sa *c = &sa.child[0];
	child(c);
	c->spi_in = 0x1234;
	c->spi_out = 0x5678;
	struct dp_sa_params p;
	memset(&p, 0, sizeof(p));
	p.encr = ENCR_AES_CBC;
	p.keybits = 128;
	p.integ = AUTH_HMAC_SHA2_256_128;
	p.has_akey = true;
	memset(p.ekey_in, 7, 16);
	memset(p.ekey_out, 7, 16);
	memset(p.akey_in, 7, 32);
	memset(p.akey_out, 7, 32);
	CHECK("install", d.dp && child_sa_install(&d, &sa, c, &p) == 0 && c->installed);
	static const uint8_t zero[DP_KEY_MAX];
	CHECK("install: the keys handed over are wiped",
	      memcmp(p.ekey_in, zero, DP_KEY_MAX) == 0 && memcmp(p.akey_out, zero, DP_KEY_MAX) == 0);
	/* the data plane's own view of the SA (its private header) */
	const struct esp_sa *e = d.dp ? esp_table_by_spi(d.dp->t, 0x1234) : NULL;
	if (!e)
		goto out;
	CHECK("install: local = TSr (ours), remote = TSi (the peer's)",
	      e->n_ts_local == 1 && e->n_ts_remote == 1 && e->ts_local[0].family == AF_INET &&
	      e->ts_local[0].start[2] == 2 && e->ts_local[0].end[3] == 255 &&
	      e->ts_remote[0].start[1] == 19 && e->ts_remote[0].eport == 0xffff);
	uint8_t pkt[28] = { 0x45, 0, 0, 28 };
	pkt[9] = 17;
	memcpy(pkt + 12, sa.vip4, 4);
	inet_pton(AF_INET, "198.18.2.2", pkt + 16);
	CHECK("install: VIP -> leftsubnet allowed in", esp_ts_allows(e, pkt, sizeof(pkt), true));
	inet_pton(AF_INET, "198.18.3.2", pkt + 16);
	CHECK("install: VIP -> outside refused in", !esp_ts_allows(e, pkt, sizeof(pkt), true));
	struct child_sa *c2 = &sa.child[1];
	child(c2);
	c2->spi_in = 0x1234;
	c2->spi_out = 0x9999;
	CHECK("install: an SPI in use is refused",
	      child_sa_install(&d, &sa, c2, &p) == -1 && !c2->installed && sa.n_child == 1);
	dp_sa_del(d.dp, 0x1234);
	CHECK("delete: gone from the tables at once", !esp_table_by_spi(d.dp->t, 0x1234));
out:
	dp_free(d.dp);
	if (d.base)
		event_base_free(d.base);
}

int main(void)
{
	test_take_rekey_ts();
	test_install();
	CHECK_DONE();
}
