/* Reloading the configuration: the helper reads the files, the daemon
 * loads the same configuration from the snapshot and switches to it for
 * new IKE_SAs. Established IKE_SAs keep the configuration they came from
 * (its conn, certificate and proposals) until they end, and keep their
 * leases: pools with the same range carry over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf_files.h"
#include "src/client.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/mss.h"
#include "src/eap.h"
#include "src/helper.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/radius_dae.h"
#include "src/reload.h"
#include "src/sdnotify.h"

struct reload {
	bool purge;
	reload_done done;
	void *arg;
};

static bool has_conn(const struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_peers; i++)
		if (strcmp(cfg->peers[i].name, name) == 0)
			return true;
	return false;
}

static bool has_user(const struct config *cfg, const char *name)
{
	size_t len;
	return config_eap_secret(cfg, name, &len) != NULL;
}

/* "user a, b added; user c removed" for the log and the answer: names of
 * other's EAP users that cfg lacks */
static int user_diff(const struct config *cfg, const struct config *other, char *out,
                     size_t len)
{
	int n = 0;
	size_t used = strlen(out);
	for (int i = 0; i < other->secrets->n; i++) {
		const struct secret *s = &other->secrets->s[i];
		for (int j = 0; s->type == SECRET_EAP && j < s->n_ids; j++) {
			if (has_user(cfg, s->ids[j]))
				continue;
			if (used + strlen(s->ids[j]) + 8 < len) {
				used += (size_t)snprintf(out + used, len - used, "%s'%s'", n ? ", " : "",
				                         s->ids[j]);
			}
			n++;
		}
	}
	return n;
}

/* setup values that only a restart applies */
static void warn_restart(const struct ipsec_conf *a, const struct ipsec_conf *b)
{
	const char *ta = a->tun_name ? a->tun_name : "", *tb = b->tun_name ? b->tun_name : "";
	const char *ua = a->user ? a->user : "", *ub = b->user ? b->user : "";
	if (strcmp(ta, tb) != 0)
		log_err(LOG_CFG, "reload: config setup tun= changed: takes effect when cygnetd "
		        "is restarted");
	if (strcmp(ua, ub) != 0)
		log_err(LOG_CFG, "reload: config setup user= changed: takes effect when cygnetd "
		        "is restarted");
	if (a->ike_threads != b->ike_threads)
		log_err(LOG_CFG, "reload: config setup ike_threads= changed: takes effect when "
		        "cygnetd is restarted");
	if (a->metrics.family != b->metrics.family || a->metrics_port != b->metrics_port ||
	    memcmp(a->metrics.addr, b->metrics.addr, sizeof(a->metrics.addr)) != 0)
		log_err(LOG_CFG, "reload: config setup metrics= changed: takes effect when cygnetd "
		        "is restarted (its socket is bound before privileges are dropped)");
	if (a->esp_threads != b->esp_threads)
		log_err(LOG_CFG, "reload: config setup esp_threads= changed: takes effect when "
		        "cygnetd is restarted");
}

/* mtu= needs a restart (the TUN device keeps the MTU it was opened
 * with); mssfix= applies at once, against that MTU */
static void apply_mtu_mss(struct daemon *d, const struct ipsec_conf *a, const struct ipsec_conf *b)
{
	if (a->mtu != b->mtu && b->mtu != d->tun_mtu)
		log_err(LOG_CFG, "reload: config setup mtu= changed: takes effect when cygnetd "
		        "is restarted (the TUN device keeps MTU %u)", d->tun_mtu);
	if (a->mssfix == b->mssfix || !d->dp)
		return;
	uint16_t mss4, mss6;
	mss_limits(d->tun_mtu, b->mssfix, &mss4, &mss6);
	dp_set_mss(d->dp, mss4, mss6);
	if (mss4 || mss6)
		log_err(LOG_CFG, "reload: TCP SYNs through the tunnel: MSS clamped to %u (IPv4), "
		        "%u (IPv6)", mss4, mss6);
	else
		log_err(LOG_CFG, "reload: TCP SYNs through the tunnel: MSS not clamped (mssfix=no)");
}

/* sessions whose conn or user the new configuration no longer has */
static int purge(struct daemon *d, const struct config *cfg)
{
	int n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED || !sa->cfg)
			continue;
		bool conn_gone = !has_conn(cfg, sa->cfg->name);
		/* a RADIUS user is RADIUS's business, not ipsec.secrets' */
		bool user_gone = sa->user[0] && !sa->radius && !eap_user_known(cfg, sa->user);
		if (!conn_gone && !user_gone)
			continue;
		log_err(LOG_IKE, "%s: terminating '%s': %s no longer configured", ike_sa_tag(sa),
		        sa->user, conn_gone ? "its conn is" : "the user is");
		ike_sa_send_delete(d, sa);
		ike_sa_set_state(sa, IKE_S_DEAD);
		n++;
	}
	ike_sa_reap(d);
	return n;
}

static void on_snapshot(struct daemon *d, struct conf_snapshot *snap, const char *why,
                        void *arg)
{
	struct reload *r = arg;
	char err[1024], msg[2048];
	struct config *cfg = NULL;

	if (!snap) {
		snprintf(msg, sizeof(msg), "%s", why);
		goto failed;
	}
	conf_files_replay(snap);
	cfg = config_load(d->cfg->dir, err, sizeof(err));
	conf_files_direct();
	conf_snapshot_free(snap);
	if (!cfg) {
		snprintf(msg, sizeof(msg), "%s", err);
		goto failed;
	}
	if (cfg->conf->charondebug && !d->debug_cli &&
	    log_parse_levels(cfg->conf->charondebug, err, sizeof(err)) != 0)
		log_err(LOG_CFG, "reload: charondebug: %s", err);
	warn_restart(d->cfg->conf, cfg->conf);
	apply_mtu_mss(d, d->cfg->conf, cfg->conf);
	config_adopt_pools(cfg, d->cfg);

	char added[512] = "", removed[512] = "";
	int n_added = user_diff(d->cfg, cfg, added, sizeof(added));
	int n_removed = user_diff(cfg, d->cfg, removed, sizeof(removed));
	struct config *old = d->cfg;
	d->cfg = cfg;
	config_free(old);    /* stays while an IKE_SA holds it */
	radius_dae_reload(d);
	int n_purged = r->purge ? purge(d, cfg) : 0;
	client_start_all(d);      /* auto=start conns the reload added */
	daemon_radius_apply(d);   /* requests in flight finish with the old servers */
	snprintf(msg, sizeof(msg), "configuration reloaded: %d conn%s; users added: %s; "
	         "users removed: %s; %d IKE_SA%s terminated", cfg->n_peers,
	         cfg->n_peers == 1 ? "" : "s", n_added ? added : "none",
	         n_removed ? removed : "none", n_purged, n_purged == 1 ? "" : "s");
	log_err(LOG_CFG, "%s", msg);
	sdnotify_ready("serving: %d conns, configuration reloaded", cfg->n_peers);
	r->done(d, true, msg, r->arg);
	free(r);
	return;
failed:
	log_err(LOG_CFG, "reload failed, the running configuration stays: %s", msg);
	sdnotify_ready("serving: %d conns; reload failed: %s", d->cfg->n_peers, msg);
	r->done(d, false, msg, r->arg);
	free(r);
}

void reload_start(struct daemon *d, bool purge_removed, reload_done done, void *arg)
{
	struct reload *r = calloc(1, sizeof(*r));
	if (!r) {
		done(d, false, "out of memory", arg);
		return;
	}
	r->purge = purge_removed;
	r->done = done;
	r->arg = arg;
	log_info(LOG_CFG, "reloading the configuration from %s%s", d->cfg->dir,
	         purge_removed ? " (terminating sessions it no longer allows)" : "");
	sdnotify_reloading();
	helper_reload(d, on_snapshot, r);
}
