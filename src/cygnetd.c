/* cygnetd: the IKEv2/IPsec server. Runs in the foreground and logs to
 * stderr (what containers and systemd want). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <event2/event.h>
#include <openssl/rand.h>
#include "src/auth_limit.h"
#include "src/client.h"
#include "src/config.h"
#include "src/ctl.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/firstrun.h"
#include "src/helper.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/lease_store.h"
#include "src/log.h"
#include "src/updown.h"
#include "src/net.h"
#include "src/pool.h"
#include "src/privs.h"
#include "src/reload.h"
#include "src/sdnotify.h"
#include "src/version.h"
#include "tun/tun.h"

#ifndef CYGNET_CONFDIR
#define CYGNET_CONFDIR "/etc/cygnet"
#endif
#ifndef CYGNET_STATEDIR
#define CYGNET_STATEDIR "/var/lib/cygnet"
#endif

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: cygnetd [-c DIR] [--check-config] [--debug LEVEL] [--syslog] [--ctl PATH]\n"
	        "               [--state-dir DIR] [--server-id NAME] [--pool CIDR]...\n"
	        "               [--vpn-user NAME]\n"
	        "  -c, --config DIR   configuration dir with ipsec.conf, ipsec.secrets and\n"
	        "                     ipsec.d/ (default " CYGNET_CONFDIR ")\n"
	        "  --check-config     validate the configuration and exit\n"
	        "  --debug LEVEL      log level -1..4 for every subsystem (overrides charondebug)\n"
	        "  --syslog           log to syslog instead of stderr\n"
	        "  --ctl PATH         control socket for cygnetctl (default " CTL_DEFAULT_PATH ")\n"
	        "  --state-dir DIR    where address leases are kept across restarts (default\n"
	        "                     " CYGNET_STATEDIR "; created mode 0700)\n"
	        "  first start (DIR has no ipsec.conf: cygnet creates a working one):\n"
	        "  --server-id NAME   DNS name or IP address clients dial (default: this host's\n"
	        "                     first global address)\n"
	        "  --pool CIDR        client address pool, IPv4 and/or IPv6 (default: a random\n"
	        "                     10.x.y.0/24 and a random ULA /112)\n"
	        "  --vpn-user NAME    the first user (default vpnuser)\n"
	        "  -V, --version      print the version\n");
}

static void warn_forwarding(void)
{
	static const char *const files[] = {
		"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding",
	};
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		int v = 1;
		if (f) {
			if (fscanf(f, "%d", &v) != 1)
				v = 1;
			fclose(f);
		}
		if (v == 0)
			log_err(LOG_DMN, "IPv%d forwarding is off (%s = 0): clients reach only this "
			        "host, not the networks behind it", i ? 6 : 4, files[i]);
	}
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	log_err(LOG_DMN, "signal %d: deleting every IKE_SA and stopping", (int)sig);
	daemon_stop(d, 0);
}

static void hup_done(struct daemon *d, bool ok, const char *msg, void *arg)
{
	/* reload has logged the outcome */
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	log_err(LOG_DMN, "SIGHUP: reloading the configuration");
	reload_start(arg, false, hup_done, NULL);
}

int main(int argc, char **argv)
{
	const char *dir = CYGNET_CONFDIR;
	bool check_only = false, use_syslog = false;
	const char *ctl_path = CTL_DEFAULT_PATH;
	const char *state_dir = CYGNET_STATEDIR;
	int debug = -2;
	struct firstrun_opts fo;
	memset(&fo, 0, sizeof(fo));
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "debug", required_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 's' },
		{ "ctl", required_argument, NULL, 'S' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "server-id", required_argument, NULL, 'i' },
		{ "pool", required_argument, NULL, 'p' },
		{ "vpn-user", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "c:d:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'k': check_only = true; break;
		case 'd': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < -1 || v > 4) {
				fprintf(stderr, "cygnetd: --debug needs a level from -1 to 4\n");
				return 2;
			}
			debug = (int)v;
			break;
		}
		case 's': use_syslog = true; break;
		case 'S': ctl_path = optarg; break;
		case 'D': state_dir = optarg; break;
		case 'i': fo.server_id = optarg; break;
		case 'p':
			if (fo.n_pools == (int)(sizeof(fo.pools) / sizeof(fo.pools[0]))) {
				fprintf(stderr, "cygnetd: too many --pool options\n");
				return 2;
			}
			fo.pools[fo.n_pools++] = optarg;
			break;
		case 'u': fo.user = optarg; break;
		case 'V': printf("cygnet %s\n", CYGNET_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(use_syslog);
	sdnotify_init();
	/* before any key or password is read */
	privs_no_core();
	char err[1024];

	if (firstrun_needed(dir)) {
		if (check_only) {
			fprintf(stderr, "cygnetd: %s/ipsec.conf: No such file or directory\n", dir);
			return 1;
		}
		struct firstrun_result res;
		log_err(LOG_DMN, "%s has no ipsec.conf: creating a configuration", dir);
		if (firstrun_create(dir, &fo, &res, err, sizeof(err)) != 0) {
			fprintf(stderr, "cygnetd: %s\n", err);
			return 1;
		}
		firstrun_print(stdout, &res);
		firstrun_result_wipe(&res);
		fflush(stdout);
	} else if (fo.server_id || fo.n_pools || fo.user) {
		log_err(LOG_DMN, "%s/ipsec.conf exists: --server-id, --pool and --vpn-user only "
		        "apply to a first start and are ignored", dir);
	}

	struct config *cfg = config_load(dir, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "cygnetd: %s\n", err);
		return 1;
	}
	if (cfg->conf->charondebug && log_parse_levels(cfg->conf->charondebug, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s/ipsec.conf: %s\n", dir, err);
		config_free(cfg);
		return 1;
	}
	if (debug != -2)
		log_set_level(-1, debug);
	if (check_only) {
		printf("%s: configuration OK (%d conn%s)\n", dir, cfg->n_peers, cfg->n_peers == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}

	static struct daemon d;
	d.cfg = cfg;
	d.move_fd = -1;
	d.debug_cli = debug != -2;
	snprintf(d.tun_name, sizeof(d.tun_name), "%s", cfg->conf->tun_name ? cfg->conf->tun_name : "cygnet0");
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	d.alim = auth_limit_new();
	int rc = 1;
	struct lease_store *leases = NULL;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	if (!d.base || !d.alim || ike_sa_tables_init(&d) != 0) {
		fprintf(stderr, "cygnetd: out of memory\n");
		goto out;
	}
	if (privs_check_start(err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	/* packet threads: one per CPU by default */
	int esp_threads = cfg->conf->esp_threads;
	if (esp_threads < 0) {
		/* the CPUs this process may run on (a container's cpuset), not
		 * all the host has */
		cpu_set_t cpus;
		long n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus)
		                                                       : sysconf(_SC_NPROCESSORS_ONLN);
		esp_threads = n < 1 ? 1 : n > DP_MAX_WORKERS ? DP_MAX_WORKERS : (int)n;
	}
	d.reuseport = esp_threads > 0;
	if (net_open(&d, 500, 4500, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	d.n_tun_fds = esp_threads > 0 ? esp_threads : 1;
	/* with the kernel's checksum and TCP segmentation offloads when it
	 * has them (one read can be a 64 KiB TCP super-segment); else plain */
	unsigned offloads = 0;
	bool vnet = tun_open_offload(d.tun_name, d.n_tun_fds, TUN_MTU, d.tun_fds, &offloads, err,
	                             sizeof(err)) == 0;
	if (!vnet && tun_open(d.tun_name, d.n_tun_fds, TUN_MTU, d.tun_fds, err, sizeof(err)) != 0) {
		d.n_tun_fds = 0;
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	log_info(LOG_TUN, "TUN %s: %d queue%s, %s", d.tun_name, d.n_tun_fds,
	         d.n_tun_fds == 1 ? "" : "s",
	         !vnet ? "no offloads (IFF_VNET_HDR refused)" :
	         offloads & TUN_F_TSO4 ? "TCP segmentation and checksum offload on" :
	         offloads ? "checksum offload on" : "no offloads (TUNSETOFFLOAD refused)");
	if (helper_add_routes(cfg, d.tun_name, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	struct dp_params dpp = { .base = d.base, .tun_fd = d.tun_fds[0], .tun_name = d.tun_name,
	                         .workers = esp_threads, .natt_port = 4500, .tun_vnet = vnet,
	                         .on_event = daemon_dp_event, .arg = &d };
	memcpy(dpp.tun_fds, d.tun_fds, sizeof(dpp.tun_fds));
	for (int i = 0; i < d.n_socks; i++)
		if (d.socks[i].natt && dpp.n_socks < DP_MAX_SOCKS) {
			dpp.sock_fd[dpp.n_socks] = d.socks[i].fd;
			dpp.sock_family[dpp.n_socks++] = d.socks[i].family;
		}
	if (!(d.dp = dp_new(&dpp, err, sizeof(err)))) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	ev_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
	ev_int = evsignal_new(d.base, SIGINT, on_stop, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	if (!ev_term || !ev_int || !ev_hup || event_add(ev_term, NULL) || event_add(ev_int, NULL) ||
	    event_add(ev_hup, NULL)) {
		fprintf(stderr, "cygnetd: cannot set up signal handling\n");
		goto out;
	}
	if (ctl_open(&d, ctl_path, err, sizeof(err)) != 0)
		log_err(LOG_DMN, "%s: running without a control socket (cygnetctl will not "
		        "reach this daemon; choose another path with --ctl)", err);
	warn_forwarding();
	/* the state dir, made the unprivileged user's */
	uid_t uid;
	gid_t gid;
	if (privs_target(cfg->conf->user, &uid, &gid, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	leases = lease_store_open(state_dir, uid, gid, err, sizeof(err));
	if (!leases)
		log_err(LOG_DMN, "%s: running without lease persistence (a restart hands out "
		        "addresses afresh)", err);
	privs_lock_memory(false);
	/* what stays privileged (leftupdown, reloads) moves to the helper */
	if (helper_start(&d, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: privileged helper: %s\n", err);
		goto out;
	}
	/* everything privileged is done: TUN, routes, sockets, keys */
	if (privs_drop(cfg->conf->user, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	/* threads only now: the helper was forked from a single thread */
	int threads = cfg->conf->ike_threads < 0 ? jobs_default_threads() : cfg->conf->ike_threads;
	d.jobs = jobs_new(&d, threads, JOBS_QUEUE);
	if (!d.jobs) {
		fprintf(stderr, "cygnetd: cannot start the crypto worker threads\n");
		goto out;
	}
	if (dp_start(d.dp, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	struct dp_stats ds;
	dp_stats(d.dp, &ds);
	/* the leases of the last run, read (like they are written) by the
	 * unprivileged daemon */
	if (leases) {
		lease_store_load(leases, cfg);
		if (lease_store_start(leases, &d) != 0) {
			fprintf(stderr, "cygnetd: cannot set up the lease timer\n");
			goto out;
		}
	}
	log_err(LOG_DMN, "cygnet %s started: %d conn%s, TUN %s, %d crypto thread%s, %s",
	        CYGNET_VERSION, cfg->n_peers, cfg->n_peers == 1 ? "" : "s", d.tun_name, threads,
	        threads == 1 ? "" : "s", ds.threaded ? "packets on worker threads" :
	        "packets on the main thread");
	sdnotify_ready("serving: %d conns, TUN %s", cfg->n_peers, d.tun_name);
	client_move_open(&d);
	client_start_all(&d);
	event_base_dispatch(d.base);
	rc = d.exit_code;
out:
	jobs_free(d.jobs);
	d.jobs = NULL;
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	if (d.base)
		ike_sa_reap(&d);
	client_free_all(&d);
	client_move_close(&d);
	updown_flush(&d);
	if (leases)
		lease_store_save(leases, d.cfg, false);
	lease_store_free(leases);
	helper_stop(&d, 1500);
	dp_free(d.dp);
	d.dp = NULL;
	ctl_close(&d);
	if (ev_term) event_free(ev_term);
	if (ev_int) event_free(ev_int);
	if (ev_hup) event_free(ev_hup);
	net_close(&d);
	for (int i = 0; i < d.n_tun_fds; i++)
		close(d.tun_fds[i]);
	if (d.n_tun_fds) {
		tun_destroy(d.tun_name);
	}
	ike_sa_tables_free(&d);
	auth_limit_free(d.alim);
	if (d.base)
		event_base_free(d.base);
	config_free(d.cfg);
	if (rc == 0)
		log_err(LOG_DMN, "stopped");
	else if (d.base && d.exit_code)
		log_err(LOG_DMN, "stopped after a fault (exit status %d)", rc);
	return rc;
}
