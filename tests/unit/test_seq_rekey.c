/* The data path's report that a CHILD_SA's outbound sequence numbers near
 * their end (issue 9 item 8): rekey_child_seq schedules the CHILD_SA's
 * rekey at once when the conn has rekey=yes, changes nothing with
 * rekey=no, and leaves a CHILD_SA that is already being replaced alone.
 * The esp_seq_event() side is in test_esp. */
#include <arpa/inet.h>
#include <event2/event.h>
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "conf/ipsec_conf.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/esp.h"
#include "src/firstrun.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/rekey.h"

static struct daemon d;

int main(void)
{
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	if (!d.cfg || !d.base || !d.dp)
		CHECK_DONE();

	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(4500) };
	inet_pton(AF_INET, "198.18.0.2", &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, sizeof(peer),
	                               (struct sockaddr *)&local, sizeof(local));
	CHECK("ike_sa", sa != NULL);
	if (!sa)
		CHECK_DONE();
	ike_sa_set_cfg(sa, &d.cfg->peers[0]);
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	struct conf_conn *conn = sa->cfg->conn;
	sa->n_child = 1;
	struct child_sa *c = &sa->child[0];
	c->spi_in = 0xc0ffee01;
	c->spi_out = 0xc0ffee02;
	c->created = now_sec();

	conn->rekey = true;
	rekey_child_seq(&d, sa->id, 0xdeadbeef, false);
	CHECK("unknown CHILD_SA: nothing scheduled", c->rekey_at == 0 && c->expire_at == 0);
	rekey_child_seq(&d, sa->id + 1000, c->spi_in, false);
	CHECK("unknown IKE_SA: nothing scheduled", c->rekey_at == 0);
	rekey_child_seq(&d, sa->id, c->spi_in, false);
	uint64_t now = now_sec();
	CHECK("rekey=yes: near end schedules the rekey now",
	      c->rekey_at != 0 && c->rekey_at <= now && c->expire_at == c->created + conn->lifetime);
	c->rekey_at = UINT64_MAX;       /* as after our rekey, deleted next */
	rekey_child_seq(&d, sa->id, c->spi_in, false);
	CHECK("a CHILD_SA being replaced is left alone", c->rekey_at == UINT64_MAX);
	c->rekey_at = c->expire_at = 0;
	rekey_child_seq(&d, sa->id, c->spi_in, true);
	CHECK("exhausted: only logged", c->rekey_at == 0 && c->expire_at == 0);

	conn->rekey = false;
	rekey_child_seq(&d, sa->id, c->spi_in, false);
	CHECK("rekey=no: nothing scheduled", c->rekey_at == 0 && c->expire_at == 0);
	conn->rekey = true;

	sa->n_child = 0;
	ike_sa_set_state(sa, IKE_S_DEAD);
	testd_close(&d, dir);
	CHECK_DONE();
}
