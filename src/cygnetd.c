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
#include "src/dp/mss.h"
#include "src/firstrun.h"
#include "src/helper.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/lease_store.h"
#include "src/log.h"
#include "src/metrics.h"
#include "src/metrics_http.h"
#include "src/updown.h"
#include "src/net.h"
#include "src/pool.h"
#include "src/privs.h"
#include "src/radius_dae.h"
#include "src/radius_client.h"
#include "src/radius_acct.h"
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
	        "               [--dns ADDR]... [--vpn-user NAME]... [--ipv6|--no-ipv6]\n"
	        "               [--init-only] [--reissue-server-cert] [--print-network]\n"
	        "  -c, --config DIR   configuration dir with ipsec.conf, ipsec.secrets and\n"
	        "                     ipsec.d/ (default " CYGNET_CONFDIR ")\n"
	        "  --check-config     validate the configuration and exit\n"
	        "  --debug LEVEL      log level -1..4 for every subsystem (overrides charondebug)\n"
	        "  --syslog           log to syslog instead of stderr\n"
	        "  --ctl PATH         control socket for cygnetctl (default " CTL_DEFAULT_PATH ")\n"
	        "  --state-dir DIR    where address leases are kept across restarts (default\n"
	        "                     " CYGNET_STATEDIR "; created mode 0700)\n"
	        "  first start (DIR has no ipsec.conf: cygnet creates a working one); each\n"
	        "  flag's default is the CYGNET_* variable named, when set:\n"
	        "  --server-id NAME   DNS name or IP address clients dial (CYGNET_SERVER_ID;\n"
	        "                     default: a public address of this host, else a private one)\n"
	        "  --pool CIDR        client address pool, IPv4 and/or IPv6 (CYGNET_POOLS;\n"
	        "                     default: a random 10.x.y.0/24, and a random ULA /112 with IPv6)\n"
	        "  --dns ADDR         resolver pushed to clients (CYGNET_DNS; default 1.1.1.1,\n"
	        "                     and 2606:4700:4700::1111 with IPv6)\n"
	        "  --vpn-user NAME    a user with a random password (CYGNET_USERS=\"NAME[:PASSWORD]\n"
	        "                     ...\"; default vpnuser)\n"
	        "  --ipv6, --no-ipv6  serve IPv6 or not (CYGNET_IPV6=yes|no|auto; default auto:\n"
	        "                     when this host has a public IPv6 address and default route)\n"
	        "  --init-only        create the configuration if there is none, then exit\n"
	        "  --reissue-server-cert  a new server certificate for --server-id from the first\n"
	        "                     start's CA in DIR/ca/, leftid= updated; users kept; exit\n"
	        "  --print-network    print the TUN device, its MTU and the pools' prefixes, exit\n"
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

/* --reissue-server-cert: see firstrun_reissue. The new name comes from
 * --server-id, else CYGNET_SERVER_ID. */
static int reissue_cert(const char *dir, const char *id)
{
	char err[1024], old[256];
	int n;

	if (!id)
		id = getenv("CYGNET_SERVER_ID");
	if (!id || !*id) {
		log_fatal("--reissue-server-cert needs --server-id NAME "
		        "(or CYGNET_SERVER_ID)\n");
		return 2;
	}
	if (firstrun_reissue(dir, id, old, sizeof(old), &n, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		return 1;
	}
	printf("%s/ipsec.d/certs/server.pem: re-issued for %s (was %s); %d leftid= line%s of\n"
	       "%s/ipsec.conf rewritten. Users, keys and the CA are unchanged. A running\n"
	       "cygnetd takes the new certificate with: cygnetctl reload\n",
	       dir, id, old, n, n == 1 ? "" : "s", dir);
	if (n == 0)
		printf("No leftid= in ipsec.conf named %s: set the conns' leftid= to %s%s yourself.\n",
		       old, strchr(id, ':') || strspn(id, "0123456789.") == strlen(id) ? "" : "@", id);
	struct config *cfg = config_load(dir, err, sizeof(err));
	if (!cfg) {
		log_fatal("the re-issued configuration does not load: %s\n", err);
		return 1;
	}
	config_free(cfg);
	return 0;
}

/* --print-network: what the container's entrypoint needs for its NAT
 * table, one "key value" per line: "tun NAME", "mtu N", then "pool4 CIDR" /
 * "pool6 CIDR" for the prefix covering each rightsourceip range */
static void print_network(const struct config *cfg)
{
	char seen[16][INET6_ADDRSTRLEN + 8];
	int n_seen = 0;
	printf("tun %s\n", cfg->conf->tun_name ? cfg->conf->tun_name : "cygnet0");
	printf("mtu %u\n", cfg->conf->mtu);
	for (int i = 0; i < cfg->conf->n_conns; i++) {
		const struct conf_conn *c = &cfg->conf->conns[i];
		for (int j = 0; j < c->right.n_sourceip; j++) {
			const struct conf_range *r = &c->right.sourceip[j];
			uint8_t net[16];
			char text[INET6_ADDRSTRLEN], cidr[sizeof(seen[0])];
			int prefix = pool_cover_prefix(r->family, r->from, r->to, net);
			bool dup = false;
			if (!inet_ntop(r->family, net, text, sizeof(text)))
				continue;
			snprintf(cidr, sizeof(cidr), "%s/%d", text, prefix);
			for (int k = 0; k < n_seen && !dup; k++)
				dup = strcmp(seen[k], cidr) == 0;
			if (dup)
				continue;
			if (n_seen < 16)
				memcpy(seen[n_seen++], cidr, sizeof(cidr));
			printf("pool%d %s\n", r->family == AF_INET ? 4 : 6, cidr);
		}
	}
}

int main(int argc, char **argv)
{
	const char *dir = CYGNET_CONFDIR;
	bool check_only = false, use_syslog = false, init_only = false, reissue = false;
	bool print_net = false;
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
		{ "dns", required_argument, NULL, 'n' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "no-ipv6", no_argument, NULL, '4' },
		{ "init-only", no_argument, NULL, 'I' },
		{ "reissue-server-cert", no_argument, NULL, 'R' },
		{ "print-network", no_argument, NULL, 'P' },
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
				log_fatal("--debug needs a level from -1 to 4\n");
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
				log_fatal("too many --pool options\n");
				return 2;
			}
			fo.pools[fo.n_pools++] = optarg;
			break;
		case 'u':
			if (fo.n_users == FIRSTRUN_MAX_USERS) {
				log_fatal("too many --vpn-user options\n");
				return 2;
			}
			fo.users[fo.n_users++].name = optarg;
			break;
		case 'n':
			if (fo.n_dns == FIRSTRUN_MAX_DNS) {
				log_fatal("too many --dns options\n");
				return 2;
			}
			fo.dns[fo.n_dns++] = optarg;
			break;
		case '6': fo.ipv6 = FIRSTRUN_IPV6_YES; break;
		case '4': fo.ipv6 = FIRSTRUN_IPV6_NO; break;
		case 'I': init_only = true; break;
		case 'R': reissue = true; break;
		case 'P': print_net = true; break;
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

	if (reissue)
		return reissue_cert(dir, fo.server_id);
	if (firstrun_needed(dir) && !print_net) {
		if (check_only) {
			log_fatal("%s/ipsec.conf: No such file or directory\n", dir);
			return 1;
		}
		/* the CYGNET_* variables fill in what no flag gave */
		if (firstrun_opts_from_env(&fo, err, sizeof(err)) != 0) {
			log_fatal("%s\n", err);
			firstrun_opts_wipe(&fo);
			return 2;
		}
		struct firstrun_result res;
		log_err(LOG_DMN, "%s has no ipsec.conf: creating a configuration", dir);
		int frc = firstrun_create(dir, &fo, &res, err, sizeof(err));
		firstrun_opts_wipe(&fo);
		if (frc != 0) {
			log_fatal("%s\n", err);
			return 1;
		}
		firstrun_print(stdout, &res);
		if (res.server_id_private)
			log_err(LOG_DMN, "the server identity %s is a private address: clients on the "
			        "internet cannot use it (see above: --server-id / CYGNET_SERVER_ID, "
			        "--reissue-server-cert)", res.server_id);
		firstrun_result_wipe(&res);
		fflush(stdout);
	} else if (!print_net) {
		char names[128];
		bool flags = fo.server_id || fo.n_pools || fo.n_users || fo.n_dns || fo.ipv6;
		firstrun_env_names(names, sizeof(names));
		if (flags || names[0])
			log_err(LOG_DMN, "%s/ipsec.conf exists: the first-start settings (%s%s%s) are "
			        "ignored", dir, flags ? "flags" : "", flags && names[0] ? ", " : "", names);
	}
	firstrun_env_clear();
	if (init_only)
		return 0;

	struct config *cfg = config_load(dir, err, sizeof(err));
	if (!cfg) {
		log_fatal("%s\n", err);
		return 1;
	}
	if (cfg->conf->charondebug && log_parse_levels(cfg->conf->charondebug, err, sizeof(err)) != 0) {
		log_fatal("%s/ipsec.conf: %s\n", dir, err);
		config_free(cfg);
		return 1;
	}
	if (debug != -2)
		log_set_level(-1, debug);
	if (print_net) {
		print_network(cfg);
		config_free(cfg);
		return 0;
	}
	if (check_only) {
		printf("%s: configuration OK (%d conn%s)\n", dir, cfg->n_peers, cfg->n_peers == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}

	static struct daemon d;
	d.cfg = cfg;
	d.move_fd = -1;
	d.debug_cli = debug != -2;
	d.started = (uint64_t)time(NULL);
	snprintf(d.tun_name, sizeof(d.tun_name), "%s", cfg->conf->tun_name ? cfg->conf->tun_name : "cygnet0");
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	d.alim = auth_limit_new();
	int rc = 1;
	struct lease_store *leases = NULL;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	if (!d.base || !d.alim || ike_sa_tables_init(&d) != 0) {
		log_fatal("out of memory\n");
		goto out;
	}
	if (privs_check_start(err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
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
		log_fatal("%s\n", err);
		goto out;
	}
	d.n_tun_fds = esp_threads > 0 ? esp_threads : 1;
	/* with the kernel's checksum and TCP segmentation offloads when it
	 * has them (one read can be a 64 KiB TCP super-segment); else plain */
	unsigned offloads = 0;
	d.tun_mtu = cfg->conf->mtu;
	bool vnet = tun_open_offload(d.tun_name, d.n_tun_fds, (int)d.tun_mtu, d.tun_fds, &offloads,
	                             err, sizeof(err)) == 0;
	if (!vnet &&
	    tun_open(d.tun_name, d.n_tun_fds, (int)d.tun_mtu, d.tun_fds, err, sizeof(err)) != 0) {
		d.n_tun_fds = 0;
		log_fatal("%s\n", err);
		goto out;
	}
	uint16_t mss4, mss6;
	mss_limits(d.tun_mtu, cfg->conf->mssfix, &mss4, &mss6);
	log_info(LOG_TUN, "TUN %s: MTU %u, %d queue%s, %s", d.tun_name, d.tun_mtu, d.n_tun_fds,
	         d.n_tun_fds == 1 ? "" : "s",
	         !vnet ? "no offloads (IFF_VNET_HDR refused)" :
	         offloads & TUN_F_TSO4 ? "TCP segmentation and checksum offload on" :
	         offloads ? "checksum offload on" : "no offloads (TUNSETOFFLOAD refused)");
	if (mss4 || mss6)
		log_info(LOG_TUN, "TCP SYNs through the tunnel: MSS clamped to %u (IPv4), %u (IPv6)",
		         mss4, mss6);
	else
		log_info(LOG_TUN, "TCP SYNs through the tunnel: MSS not clamped (mssfix=no)");
	if (helper_add_routes(cfg, d.tun_name, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		goto out;
	}
	struct dp_params dpp = { .base = d.base, .tun_fd = d.tun_fds[0], .tun_name = d.tun_name,
	                         .workers = esp_threads, .natt_port = 4500, .tun_vnet = vnet,
	                         .mss4 = mss4, .mss6 = mss6,
	                         .on_event = daemon_dp_event, .arg = &d };
	memcpy(dpp.tun_fds, d.tun_fds, sizeof(dpp.tun_fds));
	for (int i = 0; i < d.n_socks; i++)
		if (d.socks[i].natt && dpp.n_socks < DP_MAX_SOCKS) {
			dpp.sock_fd[dpp.n_socks] = d.socks[i].fd;
			dpp.sock_family[dpp.n_socks++] = d.socks[i].family;
		}
	if (!(d.dp = dp_new(&dpp, err, sizeof(err)))) {
		log_fatal("%s\n", err);
		goto out;
	}
	ev_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
	ev_int = evsignal_new(d.base, SIGINT, on_stop, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	if (!ev_term || !ev_int || !ev_hup || event_add(ev_term, NULL) || event_add(ev_int, NULL) ||
	    event_add(ev_hup, NULL)) {
		log_fatal("cannot set up signal handling\n");
		goto out;
	}
	if (ctl_open(&d, ctl_path, err, sizeof(err)) != 0)
		log_err(LOG_DMN, "%s: running without a control socket (cygnetctl will not "
		        "reach this daemon; choose another path with --ctl)", err);
	/* before the drop: a port below 1024 needs it */
	if (metrics_http_open(&d, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		goto out;
	}
	if (radius_dae_open(&d, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetd: %s\n", err);
		goto out;
	}
	warn_forwarding();
	/* the state dir, made the unprivileged user's */
	uid_t uid;
	gid_t gid;
	if (privs_target(cfg->conf->user, &uid, &gid, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		goto out;
	}
	leases = lease_store_open(state_dir, uid, gid, err, sizeof(err));
	if (!leases)
		log_err(LOG_DMN, "%s: running without lease persistence (a restart hands out "
		        "addresses afresh)", err);
	privs_lock_memory(false);
	/* what stays privileged (leftupdown, reloads) moves to the helper */
	if (helper_start(&d, cfg, err, sizeof(err)) != 0) {
		log_fatal("privileged helper: %s\n", err);
		goto out;
	}
	/* everything privileged is done: TUN, routes, sockets, keys */
	if (privs_drop(cfg->conf->user, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		goto out;
	}
	/* threads only now: the helper was forked from a single thread */
	int threads = cfg->conf->ike_threads < 0 ? jobs_default_threads() : cfg->conf->ike_threads;
	d.jobs = jobs_new(&d, threads, JOBS_QUEUE);
	if (!d.jobs) {
		log_fatal("cannot start the crypto worker threads\n");
		goto out;
	}
	if (dp_start(d.dp, err, sizeof(err)) != 0) {
		log_fatal("%s\n", err);
		goto out;
	}
	struct dp_stats ds;
	dp_stats(d.dp, &ds);
	/* the leases of the last run, read (like they are written) by the
	 * unprivileged daemon */
	if (leases) {
		lease_store_load(leases, cfg);
		if (lease_store_start(leases, &d) != 0) {
			log_fatal("cannot set up the lease timer\n");
			goto out;
		}
	}
	log_err(LOG_DMN, "cygnet %s started: %d conn%s, TUN %s, %d crypto thread%s, %s",
	        CYGNET_VERSION, cfg->n_peers, cfg->n_peers == 1 ? "" : "s", d.tun_name, threads,
	        threads == 1 ? "" : "s", ds.threaded ? "packets on worker threads" :
	        "packets on the main thread");
	sdnotify_ready("serving: %d conns, TUN %s", cfg->n_peers, d.tun_name);
	daemon_radius_apply(&d);
	acct_start(&d);
	client_move_open(&d);
	client_start_all(&d);
	event_base_dispatch(d.base);
	rc = d.exit_code;
out:
	jobs_free(d.jobs);
	d.jobs = NULL;
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next) {
		acct_set_cause(sa, ACCT_TC_NAS_REBOOT);
		ike_sa_set_state(sa, IKE_S_DEAD);
	}
	if (d.base)
		ike_sa_reap(&d);
	acct_free(&d);
	client_free_all(&d);
	radius_client_free(d.radius);
	d.radius = NULL;
	client_move_close(&d);
	updown_flush(&d);
	if (leases)
		lease_store_save(leases, d.cfg, false);
	lease_store_free(leases);
	helper_stop(&d, 1500);
	dp_free(d.dp);
	d.dp = NULL;
	ctl_close(&d);
	metrics_http_close(&d);
	radius_dae_close(&d);
	metrics_users_free(&d);
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
