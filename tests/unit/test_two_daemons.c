/* Two daemons in one process (what a client and a server side by side in
 * one test need): each has its own data plane, control state and set of
 * configurations; a reload of one adopts the pools of its own earlier
 * configuration and never those of the other, though both name the same
 * range. */
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "src/pool.h"

int main(void)
{
	static struct daemon a, b;
	char dir_a[32], dir_b[32], err[512];
	CHECK("two daemons open", testd_open(&a, dir_a, "vpn-a.example") == 0 &&
	      testd_open(&b, dir_b, "vpn-b.example") == 0);
	if (!a.cfg || !b.cfg)
		return 1;
	CHECK("each its own data plane", a.dp && b.dp && a.dp != b.dp);
	CHECK("each sees only its own configuration",
	      config_live(a.cfg) == a.cfg && !a.cfg->live_next &&
	      config_live(b.cfg) == b.cfg && !b.cfg->live_next);
	CHECK("same pool range in both", a.cfg->n_pools == 1 && b.cfg->n_pools == 1 &&
	      strcmp(pool_name(a.cfg->pools[0]), pool_name(b.cfg->pools[0])) == 0 &&
	      a.cfg->pools[0] != b.cfg->pools[0]);

	/* a's reload: the new configuration joins a's set and takes a's pool */
	struct config *fresh = config_load(a.cfg->dir, err, sizeof(err));
	CHECK("reload of a loads", fresh != NULL);
	if (fresh) {
		config_adopt_pools(fresh, a.cfg);
		CHECK("reload of a: a's pool adopted, not b's",
		      fresh->pools[0] == a.cfg->pools[0] && fresh->pools[0] != b.cfg->pools[0]);
		int n = 0;
		for (struct config *c = config_live(fresh); c; c = c->live_next)
			n++;
		CHECK("reload of a: a's set holds both of a's configurations, b's only b's",
		      n == 2 && config_live(a.cfg) == fresh && config_live(b.cfg) == b.cfg &&
		      !b.cfg->live_next);
		struct config *old = a.cfg;
		a.cfg = fresh;
		config_free(old);
		CHECK("old configuration gone from the set", config_live(a.cfg) == a.cfg &&
		      !a.cfg->live_next);
	}
	testd_close(&a, dir_a);
	testd_close(&b, dir_b);
	CHECK_DONE();
}
