/* Control socket commands: status, leases and list-certs (text or
 * --json), metrics (Prometheus text, metrics.h), terminate, log-level,
 * reload, redirect (redirect.h).
 * One request line per connection; the answer is built in memory (no
 * size limit but memory: 10 000 sessions are a few MB), escaped (only
 * printable ASCII and line ends leave the daemon; the metrics text also
 * printable UTF-8, see metrics()), and written as
 * the socket becomes writable. Every connection is non-blocking and has
 * a deadline; at most CTL_MAX_CONNS are open at once. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include "crypto/cert.h"
#include "src/auth_limit.h"
#include "src/client.h"
#include "src/config.h"
#include "src/ctl.h"
#include "src/daemon.h"
#include "src/escape.h"
#include "src/dp/dp.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/metrics.h"
#include "src/pool.h"
#include "src/proposal_select.h"
#include "src/redirect.h"
#include "src/radius_dae.h"
#include "src/radius_acct.h"
#include "src/reload.h"


struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (!nb)
			return;
		o->buf = nb;
		o->cap = cap;
	}
}

/* a JSON string of printable ASCII only (esc_json in escape.h) */
static void put_json_str(struct out *o, const char *s)
{
	size_t need = esc_json(s, NULL, 0);
	char *t = malloc(need + 1);
	if (!t)
		return;
	esc_json(s, t, need + 1);
	put(o, "\"%s\"", t);
	free(t);
}

static const char *addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s[%u]", ip, port);
	return buf;
}

static void sa_counters(struct daemon *d, const struct ike_sa *sa, struct esp_counters *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < sa->n_child; i++) {
		struct dp_sa_stats st;
		if (!sa->child[i].installed || dp_sa_stats(d->dp, sa->child[i].spi_in, &st) != 0)
			continue;
		esp_counters_add(t, &st.ctr);
	}
}

static void status(struct daemon *d, struct out *o, bool json)
{
	uint64_t now = now_sec();
	char peer[80], v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], ike[256];
	if (json)
		put(o, "{\"sas\":[");
	else
		put(o, "Security Associations:\n");
	int n = 0;
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		struct esp_counters t;
		sa_counters(d, sa, &t);
		struct selected sel = { sa->encr, sa->keybits, sa->integ, sa->prf, sa->dh_group, 0 };
		selected_format(&sel, 1, ike, sizeof(ike));
		addr_str(&sa->peer, peer, sizeof(peer));
		/* the client's virtual IPs: the peer's on a server, ours on a
		 * client IKE_SA */
		bool has4 = sa->client ? sa->got.v4 : sa->has_vip4;
		bool has6 = sa->client ? sa->got.v6 : sa->has_vip6;
		if (has4)
			inet_ntop(AF_INET, sa->client ? sa->got.vip4 : sa->vip4, v4, sizeof(v4));
		if (has6)
			inet_ntop(AF_INET6, sa->client ? sa->got.vip6 : sa->vip6, v6, sizeof(v6));
		uint64_t up = now - sa->established;
		if (json) {
			put(o, "%s{\"id\":%u,\"role\":\"%s\",\"conn\":", n ? "," : "", sa->id,
			    sa->client ? "client" : "server");
			put_json_str(o, sa->cfg->name);
			put(o, ",\"user\":");
			put_json_str(o, sa->user);
			if (sa->user_unconfirmed)
				put(o, ",\"user_unconfirmed\":true");
			put(o, ",\"peer\":");
			put_json_str(o, peer);
			put(o, ",\"vip4\":");
			put_json_str(o, has4 ? v4 : "");
			put(o, ",\"vip6\":");
			put_json_str(o, has6 ? v6 : "");
			put(o, ",\"ike\":");
			put_json_str(o, ike);
			if (acct_session_id(sa)) {
				put(o, ",\"acct_session_id\":");
				put_json_str(o, acct_session_id(sa));
			}
			put(o, ",\"established_seconds\":%llu,\"children\":%d,\"bytes_in\":%llu,"
			    "\"packets_in\":%llu,\"bytes_out\":%llu,\"packets_out\":%llu,"
			    "\"drop_auth\":%llu,\"drop_replay\":%llu,\"drop_spoof\":%llu,"
			    "\"drop_malformed\":%llu,\"drop_ts_in\":%llu,\"drop_ts_out\":%llu,"
			    "\"drop_seq\":%llu,\"drop_nomem\":%llu}",
			    (unsigned long long)up, sa->n_child, (unsigned long long)t.bytes_in,
			    (unsigned long long)t.packets_in, (unsigned long long)t.bytes_out,
			    (unsigned long long)t.packets_out, (unsigned long long)t.drop_auth,
			    (unsigned long long)t.drop_replay, (unsigned long long)t.drop_spoof,
			    (unsigned long long)t.drop_malformed, (unsigned long long)t.drop_ts_in,
			    (unsigned long long)t.drop_ts_out, (unsigned long long)t.drop_seq,
			    (unsigned long long)t.drop_nomem);
		} else {
			put(o, "  #%u %s: '%s'%s %s %s, %svirtual IP %s %s, %s, up %llus\n", sa->id,
			    sa->cfg->name, sa->user, sa->user_unconfirmed ? " (unconfirmed)" : "",
			    sa->client ? "to" : "from", peer,
			    sa->client ? "our " : "", has4 ? v4 : "-", has6 ? v6 : "-", ike,
			    (unsigned long long)up);
			for (int i = 0; i < sa->n_child; i++) {
				const struct child_sa *c = &sa->child[i];
				struct dp_sa_stats st;
				if (!c->installed || dp_sa_stats(d->dp, c->spi_in, &st) != 0)
					continue;
				const struct dp_sa_stats *e = &st;
				put(o, "    CHILD_SA %08x_i %08x_o: %llu bytes / %llu packets in, %llu "
				    "bytes / %llu packets out\n", c->spi_in, c->spi_out,
				    (unsigned long long)e->ctr.bytes_in,
				    (unsigned long long)e->ctr.packets_in,
				    (unsigned long long)e->ctr.bytes_out,
				    (unsigned long long)e->ctr.packets_out);
				put(o, "      dropped: %llu auth, %llu replay, %llu spoofed source, "
				    "%llu malformed, %llu outside TS in, %llu outside TS out, "
				    "%llu sequence exhausted\n", (unsigned long long)e->ctr.drop_auth,
				    (unsigned long long)e->ctr.drop_replay,
				    (unsigned long long)e->ctr.drop_spoof,
				    (unsigned long long)e->ctr.drop_malformed,
				    (unsigned long long)e->ctr.drop_ts_in,
				    (unsigned long long)e->ctr.drop_ts_out,
				    (unsigned long long)e->ctr.drop_seq);
			}
		}
		n++;
	}
	bool cookies = d->half_open >= d->cfg->conf->cookie_threshold;
	int jobs = d->jobs ? jobs_pending(d->jobs) : 0;
	struct dp_stats ds;
	dp_stats(d->dp, &ds);
	/* each packet loop's counts (a worker thread's, or the main thread's) */
	char per_loop[DP_MAX_WORKERS * 400] = "";
	size_t pl = 0;
	struct dp_loop_stats ls;
	for (int i = 0; json && dp_loop_stats(d->dp, i, &ls) == 0 && pl < sizeof(per_loop); i++) {
		int w = snprintf(per_loop + pl, sizeof(per_loop) - pl, "%s{\"esp_in\":%llu,"
		                 "\"esp_out\":%llu,\"tun_super_segments\":%llu,\"tun_offload_bad\":%llu,"
		                 "\"tun_coalesced\":%llu,\"pushbacks\":%llu,\"udp_gro\":%llu,"
		                 "\"mss_clamped\":%llu,\"unknown_spi\":%llu,\"tun_write_errors\":%llu,"
		                 "\"send_full\":%llu,\"send_errors\":%llu}", i ? "," : "",
		                 (unsigned long long)ls.esp_in, (unsigned long long)ls.esp_out,
		                 (unsigned long long)ls.tun_super, (unsigned long long)ls.tun_bad,
		                 (unsigned long long)ls.tun_coalesced, (unsigned long long)ls.pushbacks,
		                 (unsigned long long)ls.udp_coalesced, (unsigned long long)ls.mss_clamped,
		                 (unsigned long long)ls.unknown_spi,
		                 (unsigned long long)ls.tun_write_err,
		                 (unsigned long long)ls.send_full, (unsigned long long)ls.send_err);
		if (w < 0 || (size_t)w >= sizeof(per_loop) - pl) {
			per_loop[pl] = 0;   /* never cut one in half */
			break;
		}
		pl += (size_t)w;
	}
	/* RADIUS accounting's counters, when it is on */
	char acct_json[256] = "";
	struct acct_counts ac;
	if (json && acct_counts(d, &ac))
		snprintf(acct_json, sizeof(acct_json), ",\"radius_accounting\":{\"sent\":%llu,"
		         "\"answered\":%llu,\"retried\":%llu,\"queued\":%llu,\"dropped\":%llu}",
		         (unsigned long long)ac.sent, (unsigned long long)ac.answered,
		         (unsigned long long)ac.retried, (unsigned long long)ac.queued,
		         (unsigned long long)ac.dropped);
	if (json)
		put(o, "],\"established\":%d,\"half_open\":%u,\"ike_sas\":%u,"
		    "\"cookies_required\":%s,\"crypto_jobs\":%d,\"dataplane\":{\"esp_sas\":%llu,"
		    "\"retired\":%llu,\"unknown_spi\":%llu,\"tun_write_errors\":%llu,"
		    "\"send_full\":%llu,\"send_errors\":%llu,\"events_dropped\":%llu,"
		    "\"wrong_socket\":%llu,\"threaded\":%s,\"loops\":%d,\"per_loop\":[%s],"
		    "\"deleted_sas\":{\"packets_in\":%llu,\"packets_out\":%llu,\"drop_auth\":%llu,"
		    "\"drop_replay\":%llu,\"drop_spoof\":%llu,\"drop_malformed\":%llu,"
		    "\"drop_ts_in\":%llu,\"drop_ts_out\":%llu,\"drop_seq\":%llu,\"drop_nomem\":%llu}},"
		    "\"ike_send_full\":%llu,\"ike_send_errors\":%llu%s}\n", n, d->half_open, d->n_sas,
		    cookies ? "true" : "false", jobs, (unsigned long long)ds.sas,
		    (unsigned long long)ds.retired, (unsigned long long)ds.unknown_spi,
		    (unsigned long long)ds.tun_write_err, (unsigned long long)ds.send_full,
		    (unsigned long long)ds.send_err, (unsigned long long)ds.events_dropped,
		    (unsigned long long)ds.wrong_socket, ds.threaded ? "true" : "false", ds.loops,
		    per_loop, (unsigned long long)ds.deleted.packets_in,
		    (unsigned long long)ds.deleted.packets_out, (unsigned long long)ds.deleted.drop_auth,
		    (unsigned long long)ds.deleted.drop_replay,
		    (unsigned long long)ds.deleted.drop_spoof,
		    (unsigned long long)ds.deleted.drop_malformed,
		    (unsigned long long)ds.deleted.drop_ts_in,
		    (unsigned long long)ds.deleted.drop_ts_out, (unsigned long long)ds.deleted.drop_seq,
		    (unsigned long long)ds.deleted.drop_nomem,
		    (unsigned long long)d->n_send_full, (unsigned long long)d->n_send_err, acct_json);
	else {
		put(o, "  %d established, %u half-open%s, %d handshake computation%s waiting\n", n,
		    d->half_open, cookies ? " (new clients must return a cookie)" : "", jobs,
		    jobs == 1 ? "" : "s");
		put(o, "  data plane: %d %s, %llu ESP SAs; dropped %llu for unknown SPIs, %llu on "
		    "TUN write errors, %llu on full send buffers, %llu on other send errors\n",
		    ds.loops, ds.threaded ? (ds.loops == 1 ? "worker thread" : "worker threads")
		                          : "main thread", (unsigned long long)ds.sas,
		    (unsigned long long)ds.unknown_spi,
		    (unsigned long long)ds.tun_write_err, (unsigned long long)ds.send_full,
		    (unsigned long long)ds.send_err);
		char cl[2048];
		if (radius_dae_status(d, cl, sizeof(cl)) > 0)
			put(o, "%s", cl);
		if (acct_status(d, cl, sizeof(cl)) > 0)
			put(o, "%s", cl);
		if (client_status(d, cl, sizeof(cl)))
			put(o, "Client conns:\n%s", cl);
	}
}

/* one pool: text, or a JSON object (n: pools written before it) */
static void put_pool(struct out *o, struct pool *p, bool removed, bool json, int *n)
{
	if (json) {
		put(o, "%s{\"name\":", (*n)++ ? "," : "");
		put_json_str(o, pool_name(p));
		put(o, ",\"family\":%d,\"size\":%zu,\"online\":%zu,\"offline\":%zu,"
		    "\"removed\":%s,\"leases\":[", pool_family(p) == AF_INET ? 4 : 6, pool_size(p),
		    pool_online(p), pool_offline(p), removed ? "true" : "false");
	} else {
		put(o, "pool %s: %zu addresses, %zu online, %zu offline%s\n", pool_name(p),
		    pool_size(p), pool_online(p), pool_offline(p), removed ? " (removed by a reload; "
		    "kept while sessions use it)" : "");
	}
	uint8_t addr[16];
	const char *id;
	bool online;
	for (size_t j = 0; pool_lease_at(p, j, addr, &id, &online) == 0; j++) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(pool_family(p), addr, text, sizeof(text));
		if (json) {
			put(o, "%s{\"address\":\"%s\",\"online\":%s,\"identity\":", j ? "," : "", text,
			    online ? "true" : "false");
			put_json_str(o, id);
			put(o, "}");
		} else {
			put(o, "  %s %s '%s'\n", text, online ? "online " : "offline", id);
		}
	}
	if (json)
		put(o, "]}");
}

/* the pools of the configuration, then those only an older one (still
 * used by established sessions) has; --json: {"pools":[...]} */
static void leases(struct daemon *d, struct out *o, bool json)
{
	int n = 0;
	if (json)
		put(o, "{\"pools\":[");
	for (int i = 0; i < d->cfg->n_pools; i++)
		put_pool(o, d->cfg->pools[i], false, json, &n);
	for (struct config *c = config_live(d->cfg); c; c = c->live_next) {
		for (int i = 0; c != d->cfg && i < c->n_pools; i++) {
			bool shown = false;
			for (struct config *e = config_live(d->cfg); e != c && !shown; e = e->live_next)
				for (int j = 0; j < e->n_pools && !shown; j++)
					shown = e->pools[j] == c->pools[i];
			for (int j = 0; j < d->cfg->n_pools && !shown; j++)
				shown = d->cfg->pools[j] == c->pools[i];
			if (!shown)
				put_pool(o, c->pools[i], true, json, &n);
		}
	}
	if (json)
		put(o, "]}\n");
}

/* terminate by user name, virtual IP or #id. A user's handshakes that are
 * past the first authentication but not established (EAP going on or
 * done, a second round awaited) end too, without a DELETE: after
 * "cygnetctl user del" a login parked there must not complete. */
static void terminate(struct daemon *d, struct out *o, const char *what)
{
	uint8_t addr[16];
	int fam = inet_pton(AF_INET, what, addr) == 1 ? AF_INET
	        : inet_pton(AF_INET6, what, addr) == 1 ? AF_INET6 : 0;
	unsigned id = what[0] == '#' ? (unsigned)strtoul(what + 1, NULL, 10) : 0;
	int n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		bool pending = sa->state == IKE_S_AUTH2 || sa->state == IKE_S_EAP ||
		               sa->state == IKE_S_EAP_DONE;
		if (pending && !fam && (id ? sa->id == id : strcmp(sa->user, what) == 0)) {
			log_err(LOG_IKE, "%s: '%s' is not logged in yet: handshake ended on request of "
			        "the control socket", ike_sa_tag(sa), sa->user);
			ike_sa_set_state(sa, IKE_S_DEAD);
			continue;
		}
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		bool match = id ? sa->id == id
		           : fam == AF_INET ? sa->has_vip4 && memcmp(sa->vip4, addr, 4) == 0
		           : fam == AF_INET6 ? sa->has_vip6 && memcmp(sa->vip6, addr, 16) == 0
		           : strcmp(sa->user, what) == 0;
		if (!match)
			continue;
		log_err(LOG_IKE, "%s: terminating '%s' on request of the control socket",
		        ike_sa_tag(sa), sa->user);
		acct_set_cause(sa, ACCT_TC_ADMIN_RESET);
		ike_sa_send_delete(d, sa);
		ike_sa_set_state(sa, IKE_S_DEAD);
		n++;
	}
	ike_sa_reap(d);
	put(o, "%d IKE_SA%s terminated\n", n, n == 1 ? "" : "s");
}

static void put_cert(struct out *o, X509 *cert)
{
	char text[4096];
	if (cert && cert_describe(cert, text, sizeof(text)) == 0)
		put(o, "%s", text);
}

/* the server's certificates and the CAs, as `ipsec listcerts` shows them */
static void list_certs(struct daemon *d, struct out *o)
{
	put(o, "List of X.509 End Entity Certificates:\n");
	for (int i = 0; i < d->cfg->n_peers; i++) {
		const struct peer_cfg *pc = &d->cfg->peers[i];
		bool seen = false;
		if (!pc->cert)
			continue;     /* a client conn authenticating with EAP or a PSK */
		for (int j = 0; j < i; j++)
			if (d->cfg->peers[j].cert && X509_cmp(d->cfg->peers[j].cert, pc->cert) == 0)
				seen = true;
		if (seen)
			continue;
		put(o, "\n  conn:      %s\n", pc->name);
		put_cert(o, pc->cert);
		put(o, "  %-10s %s\n", "key:", pc->key && cert_key_matches(pc->cert, pc->key)
		    ? "has private key" : "NO private key");
		for (int j = 0; pc->chain && j < sk_X509_num(pc->chain); j++) {
			put(o, "  sent with intermediate:\n");
			put_cert(o, sk_X509_value(pc->chain, j));
		}
	}
	put(o, "\nList of X.509 CA Certificates:\n");
	for (int i = 0; d->cfg->cacerts && i < sk_X509_num(d->cfg->cacerts); i++) {
		put(o, "\n");
		put_cert(o, sk_X509_value(d->cfg->cacerts, i));
	}
}

/* an ASN1_TIME as 2024-05-01T12:00:00Z */
static void put_json_time(struct out *o, const ASN1_TIME *t)
{
	struct tm tm;
	char text[32] = "";
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	put_json_str(o, text);
}

/* the facts of cert_describe (crypto/cert.h) as one JSON object's members */
static void put_cert_json(struct out *o, X509 *cert)
{
	char buf[1024];
	if (cert_subject_text(cert, buf, sizeof(buf)) != 0)
		buf[0] = '\0';
	put(o, "\"subject\":");
	put_json_str(o, buf);
	BIO *b = BIO_new(BIO_s_mem());
	buf[0] = '\0';
	if (b && X509_NAME_print_ex(b, X509_get_issuer_name(cert), 0, XN_FLAG_SEP_CPLUS_SPC |
	                            ASN1_STRFLGS_UTF8_CONVERT | XN_FLAG_FN_SN) >= 0) {
		char *p;
		long l = BIO_get_mem_data(b, &p);
		snprintf(buf, sizeof(buf), "%.*s", (int)l, p);
	}
	BIO_free(b);
	put(o, ",\"issuer\":");
	put_json_str(o, buf);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	put(o, ",\"serial\":");
	put_json_str(o, hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	put(o, ",\"not_before\":");
	put_json_time(o, X509_get0_notBefore(cert));
	put(o, ",\"not_after\":");
	put_json_time(o, X509_get0_notAfter(cert));
	put(o, ",\"valid_now\":%s,\"alt_names\":[",
	    X509_cmp_current_time(X509_get0_notBefore(cert)) < 0 &&
	    X509_cmp_current_time(X509_get0_notAfter(cert)) > 0 ? "true" : "false");
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		buf[0] = '\0';
		if (g->type == GEN_DNS || g->type == GEN_EMAIL)
			snprintf(buf, sizeof(buf), "%.*s", ASN1_STRING_length(g->d.ia5),
			         (const char *)ASN1_STRING_get0_data(g->d.ia5));
		else if (g->type == GEN_IPADD && (ASN1_STRING_length(g->d.ip) == 4 ||
		                                  ASN1_STRING_length(g->d.ip) == 16))
			inet_ntop(ASN1_STRING_length(g->d.ip) == 4 ? AF_INET : AF_INET6,
			          ASN1_STRING_get0_data(g->d.ip), buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "(type %d)", g->type);
		put(o, "%s", i ? "," : "");
		put_json_str(o, buf);
	}
	GENERAL_NAMES_free(sans);
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	put(o, "],\"key_type\":\"%s\",\"key_bits\":%d", !pk ? "" :
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ? "RSA" :
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "ECDSA" : "other",
	    pk ? EVP_PKEY_get_bits(pk) : 0);
}

/* list-certs --json: {"end_entity":[{"conn":..., <cert>, "has_private_key":
 * ..., "intermediates":[{<cert>}]}], "cas":[{<cert>}]} */
static void list_certs_json(struct daemon *d, struct out *o)
{
	put(o, "{\"end_entity\":[");
	int n = 0;
	for (int i = 0; i < d->cfg->n_peers; i++) {
		const struct peer_cfg *pc = &d->cfg->peers[i];
		bool seen = false;
		for (int j = 0; pc->cert && j < i; j++)
			if (d->cfg->peers[j].cert && X509_cmp(d->cfg->peers[j].cert, pc->cert) == 0)
				seen = true;
		if (!pc->cert || seen)
			continue;
		put(o, "%s{\"conn\":", n++ ? "," : "");
		put_json_str(o, pc->name);
		put(o, ",");
		put_cert_json(o, pc->cert);
		put(o, ",\"has_private_key\":%s,\"intermediates\":[",
		    pc->key && cert_key_matches(pc->cert, pc->key) ? "true" : "false");
		for (int j = 0; pc->chain && j < sk_X509_num(pc->chain); j++) {
			put(o, "%s{", j ? "," : "");
			put_cert_json(o, sk_X509_value(pc->chain, j));
			put(o, "}");
		}
		put(o, "]}");
	}
	put(o, "],\"cas\":[");
	for (int i = 0; d->cfg->cacerts && i < sk_X509_num(d->cfg->cacerts); i++) {
		put(o, "%s{", i ? "," : "");
		put_cert_json(o, sk_X509_value(d->cfg->cacerts, i));
		put(o, "}");
	}
	put(o, "]}\n");
}

static void log_level(struct out *o, const char *spec)
{
	char err[256];
	if (log_parse_levels(spec, err, sizeof(err)) != 0) {
		put(o, "error: %s\n", err);
		return;
	}
	log_err(LOG_DMN, "log levels changed by the control socket: %s", spec);
	put(o, "log levels set: %s\n", spec);
}

/* auth-limits [--json]: backed-off accounts and addresses (auth_limit.h);
 * auth-limits --clear NAME|ADDR forgets one */
static void auth_limits(struct daemon *d, struct out *o, const char *args)
{
	uint64_t now = auth_limit_now();
	if (strncmp(args, " --clear ", 9) == 0 && args[9]) {
		int n = auth_limit_clear(d->alim, args + 9, now);
		put(o, n ? "%d entr%s cleared\n" : "error: no entry for that name or address\n", n,
		    n == 1 ? "y" : "ies");
		return;
	}
	bool json = strcmp(args, " --json") == 0;
	if (*args && !json) {
		put(o, "error: usage: auth-limits [--json] | auth-limits --clear NAME|ADDR\n");
		return;
	}
	put(o, json ? "{\"auth_limits\":[" : "Failed logins (auth_backoff=%s):\n",
	    d->cfg->conf->auth_backoff ? "yes" : "no");
	struct auth_limit_info e;
	int n = 0;
	for (size_t pos = 0; auth_limit_next(d->alim, &pos, now, &e); n++) {
		if (json) {
			put(o, "%s{\"%s\":", n ? "," : "", e.is_addr ? "address" : "account");
			put_json_str(o, e.key);
			put(o, ",\"failures\":%u,\"backed_off_seconds\":%llu,\"idle_seconds\":%llu}",
			    e.failures, (unsigned long long)(e.remaining_ms + 999) / 1000,
			    (unsigned long long)e.idle_ms / 1000);
		} else {
			put(o, "  %-7s ", e.is_addr ? "address" : "account");
			put_json_str(o, e.key);
			put(o, ": %u failure%s, ", e.failures, e.failures == 1 ? "" : "s");
			if (e.remaining_ms)
				put(o, "backed off for %llu s", (unsigned long long)(e.remaining_ms + 999) / 1000);
			else
				put(o, "not backed off");
			put(o, ", last attempt %llu s ago\n", (unsigned long long)e.idle_ms / 1000);
		}
	}
	unsigned long long busy = (unsigned long long)auth_limit_busy_count(d->alim);
	if (json)
		put(o, "],\"auth_backoff\":%s,\"radius_busy_refused\":%llu}\n",
		    d->cfg->conf->auth_backoff ? "true" : "false", busy);
	else
		put(o, "  %d entr%s; %llu login%s refused while %u RADIUS requests of the address "
		    "waited (radius_requests_per_source)\n", n, n == 1 ? "y" : "ies", busy,
		    busy == 1 ? "" : "s", d->cfg->conf->radius_requests_per_source);
}


/* ---- connections: all I/O is non-blocking and driven by the event loop,
 * so a silent, slow or stalled client costs one slot and nothing else ---- */

#define CTL_MAX_CONNS 16        /* concurrent control connections */
#define CTL_LINE_MAX 512        /* a request is one line, at most this long */
#define CTL_READ_SECONDS 5      /* the whole request line must arrive in this time */
#define CTL_WRITE_SECONDS 10    /* the client must accept some of the answer this often */
#define CTL_REFUSE_LOG_SECONDS 10

enum conn_state { C_READ, C_RELOAD, C_WRITE };

struct conn {
	struct conn *next, **pprev;
	struct daemon *d;
	int fd;                     /* -1 once closed (a reload answer may still come) */
	enum conn_state state;
	struct event *io, *timer;
	char line[CTL_LINE_MAX];
	size_t line_len;
	struct out o;
	size_t off;                 /* of o written */
};

/* the control socket of one daemon (d->ctl) */
struct ctl {
	int listen_fd;
	struct event *listen_ev;
	char sock_path[108];
	struct conn *conns;
	int n_conns;
	uint64_t refused, refused_logged_at;
};

/* unlinks and frees c; while a reload answer is pending only the socket
 * and events go, and reload_answer frees the rest */
static void conn_close(struct conn *c)
{
	if (c->io)
		event_free(c->io);
	if (c->timer)
		event_free(c->timer);
	c->io = c->timer = NULL;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		c->d->ctl->n_conns--;
	}
	if (c->pprev) {
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		c->pprev = NULL;
		c->next = NULL;
	}
	if (c->state == C_RELOAD)
		return;
	free(c->o.buf);
	free(c);
}

/* answers are text: every byte outside printable ASCII but the line ends
 * becomes \xNN (JSON strings are already escaped by put_json_str) */
static void escape_answer(struct out *o)
{
	size_t extra = 0;
	for (size_t i = 0; i < o->len; i++) {
		unsigned char ch = (unsigned char)o->buf[i];
		if (ch != '\n' && (ch < 0x20 || ch > 0x7e))
			extra += 3;
	}
	if (!extra)
		return;
	char *nb = malloc(o->len + extra + 1);
	if (!nb) {
		o->len = 0;          /* nothing rather than unescaped bytes */
		return;
	}
	size_t j = 0;
	for (size_t i = 0; i < o->len; i++) {
		unsigned char ch = (unsigned char)o->buf[i];
		if (ch != '\n' && (ch < 0x20 || ch > 0x7e))
			j += (size_t)sprintf(nb + j, "\\x%02x", ch);
		else
			nb[j++] = (char)ch;
	}
	nb[j] = '\0';
	free(o->buf);
	o->buf = nb;
	o->len = j;
	o->cap = j + 1;
}

static void arm_timer(struct conn *c, int seconds)
{
	struct timeval tv = { seconds, 0 };
	event_add(c->timer, &tv);
}

/* writes what the socket takes now; true when c is finished (closed) */
static bool write_some(struct conn *c)
{
	while (c->off < c->o.len) {
		ssize_t w = send(c->fd, c->o.buf + c->off, c->o.len - c->off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (w <= 0) {
			conn_close(c);
			return true;
		}
		c->off += (size_t)w;
		arm_timer(c, CTL_WRITE_SECONDS);     /* progress: the client is reading */
	}
	conn_close(c);
	return true;
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_some(arg);
}

/* the answer is built and safe to print: write it as the socket takes it */
static void send_raw(struct conn *c)
{
	c->state = C_WRITE;
	c->off = 0;
	if (c->io)
		event_free(c->io);
	c->io = NULL;
	event_del(c->timer);
	arm_timer(c, CTL_WRITE_SECONDS);
	if (write_some(c))
		return;
	c->io = event_new(c->d->base, c->fd, EV_WRITE | EV_PERSIST, on_writable, c);
	if (!c->io || event_add(c->io, NULL) != 0)
		conn_close(c);
}

/* the answer is built: escape it, write it */
static void send_answer(struct conn *c)
{
	escape_answer(&c->o);
	send_raw(c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	log_dbg(LOG_DMN, "control connection closed: %s", c->state == C_READ
	        ? "no complete request in time" : "the client stopped reading the answer");
	conn_close(c);
}

/* a reload answers when the helper has read the files; the connection
 * may have been closed meanwhile (then only the memory is left to free) */
static void reload_answer(struct daemon *d, bool ok, const char *msg, void *arg)
{
	struct conn *c = arg;
	(void)d;
	c->state = C_WRITE;
	if (c->fd < 0) {
		conn_close(c);
		return;
	}
	put(&c->o, "%s%s\n", ok ? "" : "error: reload failed, the running configuration stays: ",
	    msg);
	send_answer(c);
}

/* cygnetctl up NAME / down NAME: a conn we initiate */
static void up_down(struct daemon *d, struct out *o, bool up, const char *name)
{
	char msg[256];
	int rc = up ? client_up(d, name, msg, sizeof(msg)) : client_down(d, name, msg, sizeof(msg));
	put(o, "%s%s\n", rc ? "error: " : "", msg);
}

/* metrics: the Prometheus text of metrics.h, whole or not at all (its
 * size grows with the users: ~400 bytes each). Sent as rendered:
 * esc_prom left only printable ASCII and printable UTF-8 in it, which
 * escape_answer would turn into \xNN and the text would no longer be
 * the one GET /metrics serves. */
static void metrics(struct daemon *d, struct conn *c)
{
	struct metrics_buf m = { 0 };
	if (metrics_render(d, &m) != 0) {
		put(&c->o, "error: out of memory while rendering the metrics\n");
		send_answer(c);
		return;
	}
	free(c->o.buf);
	c->o.buf = m.buf;
	c->o.len = m.len;
	c->o.cap = m.cap;
	send_raw(c);
}

/* one line of the redirect command's answer (redirect_command) */
static void put_line(void *arg, const char *line)
{
	put(arg, "%s\n", line);
}

/* one request line: dispatch it and build the answer */
static void dispatch(struct conn *c)
{
	struct daemon *d = c->d;
	struct out *o = &c->o;
	char *line = c->line;
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "status") == 0)
		status(d, o, false);
	else if (strcmp(line, "status --json") == 0)
		status(d, o, true);
	else if (strcmp(line, "leases") == 0 || strcmp(line, "leases --json") == 0)
		leases(d, o, line[6] != '\0');
	else if (strcmp(line, "list-certs") == 0)
		list_certs(d, o);
	else if (strcmp(line, "list-certs --json") == 0)
		list_certs_json(d, o);
	else if (strcmp(line, "metrics") == 0) {
		metrics(d, c);
		return;
	}
	else if (strncmp(line, "log-level ", 10) == 0 && line[10])
		log_level(o, line + 10);
	else if (strncmp(line, "terminate ", 10) == 0 && line[10])
		terminate(d, o, line + 10);
	else if ((strncmp(line, "up ", 3) == 0 && line[3]) ||
	         (strncmp(line, "down ", 5) == 0 && line[5]))
		up_down(d, o, line[0] == 'u', line + (line[0] == 'u' ? 3 : 5));
	else if (strncmp(line, "auth-limits", 11) == 0)
		auth_limits(d, o, line + 11);
	else if (strcmp(line, "redirect") == 0 || strncmp(line, "redirect ", 9) == 0)
		redirect_command(d, line + 8, put_line, o);
	else if (strcmp(line, "reload") == 0 || strcmp(line, "reload --purge") == 0) {
		log_info(LOG_DMN, "reload requested on the control socket");
		c->state = C_RELOAD;
		event_del(c->io);
		event_del(c->timer);
		reload_start(d, line[6] != '\0', reload_answer, c);   /* may answer at once */
		return;
	} else
		put(o, "error: unknown command '%s'\n", line);
	send_answer(c);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)what;
	for (;;) {
		size_t room = sizeof(c->line) - 1 - c->line_len;
		ssize_t n = room ? read(fd, c->line + c->line_len, room) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || (n == 0 && room && c->line_len == 0)) {
			conn_close(c);        /* error, or closed without a request */
			return;
		}
		c->line_len += (size_t)n;
		c->line[c->line_len] = '\0';
		bool eof = n == 0 && room;
		if (memchr(c->line, '\n', c->line_len) || eof) {
			dispatch(c);
			return;
		}
		if (!room) {
			put(&c->o, "error: request longer than %d bytes\n", CTL_LINE_MAX - 1);
			send_answer(c);
			return;
		}
	}
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct ctl *t = d->ctl;
	(void)what;
	for (int i = 0; i < CTL_MAX_CONNS + 1; i++) {     /* a few per wakeup */
		int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (s < 0)
			return;
		if (t->n_conns >= CTL_MAX_CONNS) {
			close(s);
			t->refused++;
			uint64_t now = now_sec();
			if (!t->refused_logged_at || now - t->refused_logged_at >= CTL_REFUSE_LOG_SECONDS) {
				log_err(LOG_DMN, "control socket: %d connections open, refused %llu "
				        "more", CTL_MAX_CONNS, (unsigned long long)t->refused);
				t->refused_logged_at = now;
				t->refused = 0;
			}
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(s);
			continue;
		}
		c->d = d;
		c->fd = s;
		t->n_conns++;
		c->next = t->conns;
		if (t->conns)
			t->conns->pprev = &c->next;
		c->pprev = &t->conns;
		t->conns = c;
		c->io = event_new(d->base, s, EV_READ | EV_PERSIST, on_readable, c);
		c->timer = evtimer_new(d->base, on_timeout, c);
		if (!c->io || !c->timer || event_add(c->io, NULL) != 0) {
			conn_close(c);
			continue;
		}
		arm_timer(c, CTL_READ_SECONDS);
	}
}

int ctl_open(struct daemon *d, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(un.sun_path)) {
		snprintf(err, errlen, "control socket path '%s' is too long", path);
		return -1;
	}
	strcpy(un.sun_path, path);
	struct ctl *t = d->ctl ? d->ctl : calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "control socket: out of memory");
		return -1;
	}
	d->ctl = t;
	t->listen_fd = -1;
	char dir[sizeof(un.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "control socket directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->listen_fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	mode_t old = umask(0117);
	int rc = bind(t->listen_fd, (struct sockaddr *)&un, sizeof(un));
	umask(old);
	if (rc != 0 || listen(t->listen_fd, 64) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(t->listen_fd);
		t->listen_fd = -1;
		return -1;
	}
	snprintf(t->sock_path, sizeof(t->sock_path), "%s", path);
	t->listen_ev = event_new(d->base, t->listen_fd, EV_READ | EV_PERSIST, on_accept, d);
	if (!t->listen_ev || event_add(t->listen_ev, NULL) != 0) {
		snprintf(err, errlen, "control socket: event_add failed");
		return -1;
	}
	return 0;
}

void ctl_close(struct daemon *d)
{
	struct ctl *t = d->ctl;
	if (!t)
		return;
	if (t->listen_ev)
		event_free(t->listen_ev);
	t->listen_ev = NULL;
	while (t->conns)
		conn_close(t->conns);
	if (t->listen_fd >= 0) {
		close(t->listen_fd);
		unlink(t->sock_path);   /* may fail without privileges; harmless */
	}
	free(t);
	d->ctl = NULL;
}
