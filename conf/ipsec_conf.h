/* ipsec.conf (strongSwan's starter format) parsed into plain structs.
 *
 * Syntax: sections "config setup" and "conn NAME" start at column 0;
 * their "key=value" lines are indented (spaces or tabs); '#' starts a
 * comment outside double quotes; values may be double-quoted;
 * "include FILE" (glob) at column 0. "conn %default" supplies defaults to
 * every conn; "also=NAME" pulls in another conn's keys (before the conn's
 * own keys, recursively, loops detected); "auto=ignore" conns are dropped.
 * Every key is validated; an unknown key or bad value is an error naming
 * file:line. */
#ifndef CYGNET_IPSEC_CONF_H
#define CYGNET_IPSEC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "conf/proposal.h"

#define CONF_MAX_NETS 16
#define CONF_POOL_NAME_MAX 64   /* a swanctl pool name, NUL included */

struct conf_net {          /* a subnet: leftsubnet, rightsubnet */
	int family;            /* AF_INET / AF_INET6 */
	uint8_t addr[16];      /* network order; v4 in the first 4 bytes */
	uint8_t prefix;
};

struct conf_range {        /* a pool: rightsourceip CIDR or "a-b" range */
	int family;
	uint8_t from[16];      /* first usable address */
	uint8_t to[16];        /* last usable address */
	/* CIDR pools skip the network and broadcast address as strongSwan
	 * does (from = net + 1, to = last - 1) unless the prefix is /31, /32,
	 * /127, /128; ranges are used as written. A single address is a
	 * range of one. */
};

struct conf_addr {         /* rightdns, a single address */
	int family;
	uint8_t addr[16];
};

enum sendcert { SENDCERT_IFASKED, SENDCERT_ALWAYS, SENDCERT_NEVER };
/* leftauth= / rightauth= / rightauth2=. "eap" (strongSwan: any EAP method,
 * decided by EAP negotiation) is stored as AUTH_EAP_MSCHAPV2 with the
 * end's auth_eap_any (auth2_eap_any) flag set: cygnet starts EAP-MSCHAPv2,
 * the method every native client has, as strongSwan without eap-dynamic
 * starts its first method; a server may switch to another method it has
 * when the client answers with an EAP-Nak naming it, as strongSwan's
 * eap-dynamic plugin does. */
/* AUTH_EAP_RADIUS (rightauth=eap-radius): the client's whole EAP
 * conversation is relayed to the RADIUS servers of strongswan.conf
 * (src/eap_radius.h), whatever method they run. */
enum conf_auth { AUTH_UNSET, AUTH_PUBKEY, AUTH_EAP_MSCHAPV2, AUTH_PSK, AUTH_EAP_TLS,
                 AUTH_EAP_MD5, AUTH_EAP_RADIUS };
/* strictcrlpolicy= in config setup (strongSwan's meaning): no: a
 * certificate whose CRL is missing or stale is accepted; yes: refused
 * unless a valid CRL says it is good; ifuri: strict only for certificates
 * that name a CRL distribution point */
enum crl_policy { CRL_POLICY_NO, CRL_POLICY_YES, CRL_POLICY_IFURI };
enum dpd_action { DPD_NONE, DPD_CLEAR, DPD_HOLD, DPD_RESTART };
enum frag_mode { FRAG_YES, FRAG_NO, FRAG_ACCEPT, FRAG_FORCE };
enum uniqueids { UNIQUE_YES, UNIQUE_NO, UNIQUE_NEVER, UNIQUE_REPLACE, UNIQUE_KEEP };
/* auto=: what happens to a conn when the configuration is loaded.
 * ignore is not here: such conns are not loaded at all. route is
 * accepted but cygnet has no trap policies, so a route conn acts as an
 * add conn (it stays in the conn's pending list, so the daemon says so
 * at startup). start: the daemon initiates it (config_conn_initiates()
 * must hold). */
enum conf_auto { AUTO_ADD, AUTO_ROUTE, AUTO_START };

struct conf_end {
	char *host;                 /* left= / right=, NULL or "%any" = any */
	char *id;                   /* leftid= / rightid=, NULL = default */
	char *cert;                 /* leftcert= / rightcert= as written (path resolved later) */
	enum sendcert sendcert;     /* default ifasked */
	enum conf_auth auth;        /* leftauth= / rightauth= */
	/* rightauth2= (RFC 4739 second round); leftauth2= stays pending (the
	 * client side of a second round is not built) */
	enum conf_auth auth2;
	struct conf_net subnet[CONF_MAX_NETS]; int n_subnet;
	struct conf_range sourceip[CONF_MAX_NETS]; int n_sourceip;
	bool sourceip_config;       /* rightsourceip=%config / %cfg */
	/* rightsourceip=%radius: virtual IPs from the RADIUS server's
	 * Access-Accept (Framed-IP-Address, Framed-IPv6-Address); the ranges
	 * also listed serve clients RADIUS gives no address */
	bool sourceip_radius;
	/* leftsourceip= on the LEFT end (never set on the right end): the
	 * virtual addresses a client asks the server for in its CP request.
	 * %config4, %any, %any4 and 0.0.0.0 ask for IPv4; %config6, %any6 and
	 * :: for IPv6. Plain %config, %cfg, %modeconfig and %modecfg ask for
	 * one family, chosen as strongSwan's stroke backend chooses it: IPv4
	 * if leftsubnet= is given and has an IPv4 element, else IPv6 if it is
	 * given; otherwise the same test on rightsubnet=; otherwise IPv6 if
	 * left= is an IPv6 address, else IPv4 (so left=%any gives IPv4). For
	 * both families write "%config4,%config6". A literal address (asking
	 * for that address) is not built: the key stays pending. When
	 * rightsourceip= is given too, strongSwan ignores leftsourceip (IKE
	 * negotiates one side's virtual IP): both flags stay false and the key
	 * is pending. */
	bool want_vip4, want_vip6;
	/* leftca= / rightca=: a CA's subject DN as written ("C=CH, O=..,
	 * CN=.."), or "%same" (the other end's value), NULL if not given.
	 * rightca constrains the peer's certificate chain to that CA
	 * (src/config.c resolves it); leftca is recorded only (pending).
	 * ca_file/ca_line: where the key was written, for errors. */
	char *ca;
	const char *ca_file;
	int ca_line;
	struct conf_addr dns[CONF_MAX_NETS]; int n_dns;
	char *updown;               /* leftupdown= */
	/* rightgroups=: the peer must be a member of one of these groups
	 * (comma-separated names as written, NULL: no constraint); groups
	 * come from RADIUS (strongswan.conf's class_group, filter_id).
	 * leftgroups= is recorded only (pending). */
	char *groups;
	/* auth= / auth2= was written as plain "eap" (see enum conf_auth) */
	bool auth_eap_any, auth2_eap_any;
};

/* A keyword that parses and validates but whose behaviour a later version
 * builds: the daemon logs one line per entry at startup. */
struct conf_pending {
	char *key;
	char *value;
	const char *file;           /* points into ipsec_conf.files */
	int line;
};

struct conf_conn {
	char *name;
	const char *file;           /* where "conn NAME" was */
	int line;
	bool auto_add;              /* auto=add/route/start; ignore = not loaded */
	enum conf_auto autostart;   /* which of add/route/start (default add) */
	struct conf_end left, right;
	char *eap_identity;         /* NULL (use IKE id), "%identity", "%any", or a name */
	struct proposal_list ike, esp;
	bool ike_set, esp_set;      /* ike=/esp= given (else defaults) */
	/* later-issue keywords, parsed and validated (strongSwan defaults) */
	enum dpd_action dpdaction;  /* default none */
	uint32_t dpddelay;          /* seconds, default 30 */
	uint32_t dpdtimeout;        /* seconds, default 150 */
	bool rekey;                 /* default yes */
	bool reauth;                /* default yes */
	uint32_t ikelifetime;       /* seconds, default 10800 */
	uint32_t lifetime;          /* seconds, default 3600 (keylife) */
	uint32_t margintime;        /* seconds, default 540 (rekeymargin) */
	uint32_t rekeyfuzz;         /* percent, default 100 */
	enum frag_mode fragmentation; /* default yes */
	bool mobike;                /* default yes */
	bool forceencaps;           /* cygnet always encapsulates */
	/* keyingtries=: how many times an initiator tries to set the IKE_SA
	 * up (and to set up its replacement) before giving up; %forever and
	 * 0 both mean never give up (stored as 0). Default 3. */
	uint32_t keyingtries;
	/* closeaction=: what to do when the peer closes the CHILD_SA (or the
	 * IKE_SA) with a DELETE: none (default), clear, hold, restart. Built
	 * for conns that initiate; on others a value other than none is
	 * pending (as rightsubnet= is) */
	enum dpd_action closeaction;
	struct conf_pending *pending; int n_pending;
	/* swanctl.conf send_certreq = no: send no CERTREQ payloads (ipsec.conf
	 * has no such keyword: always false there) */
	bool no_certreq;
	/* swanctl.conf: the pools section's name of each right.sourceip[i]
	 * ("" for none; ipsec.conf: always "", its pools are named after the
	 * conn), for RADIUS's Framed-Pool (src/config.h, config_pool_named) */
	char pool_name[CONF_MAX_NETS][CONF_POOL_NAME_MAX];
};

#define CONF_MTU_DEFAULT 1390      /* README "MTU and MSS": ESP of the worst default suite over IPv6 in 1500 */
#define CONF_MTU_MIN 576
#define CONF_MTU_MIN_V6 1280        /* RFC 8200 §5; Linux turns IPv6 off below it */
#define CONF_MTU_MAX 9000
#define CONF_MSSFIX_AUTO (-1)
#define CONF_MSS_MIN 536            /* RFC 9293 §3.7.1: what a SYN without MSS implies */
#define CONF_MSS_OVERHEAD_V4 40     /* IPv4 and TCP headers: MTU - 40 is the MSS that fits */

struct ipsec_conf {
	/* config setup */
	enum uniqueids uniqueids;   /* default yes */
	char *charondebug;          /* as written, validated: "ike 2, cfg 3" */
	char *tun_name;             /* cygnet: tun=NAME, default "cygnet0" */
	char *user;                 /* cygnet: user=NAME to drop to */
	/* requests we send: first retransmission after retransmit_timeout
	 * seconds, each next one retransmit_base times later, give up after
	 * retransmit_tries retransmissions (strongSwan: 4 s, 1.8, 5) */
	double retransmit_timeout, retransmit_base;
	uint32_t retransmit_tries;
	/* who may start an IKE_SA (strongSwan's charon.* names where it has
	 * them): cookies once cookie_threshold IKE_SAs are half open; at most
	 * block_threshold half-open IKE_SAs per source address and
	 * init_limit_half_open in all; ikesa_limit IKE_SAs in all and
	 * ikesa_limit_per_source per address (0 = no limit); an IKE_SA that is
	 * not established after half_open_timeout seconds is dropped */
	uint32_t cookie_threshold, block_threshold, init_limit_half_open;
	uint32_t ikesa_limit, ikesa_limit_per_source, half_open_timeout;
	int ike_threads;            /* crypto worker threads; -1 = automatic */
	int esp_threads;            /* packet worker threads; -1 = one per CPU, 0 = none */
	/* cygnet: mtu= the TUN device's MTU, CONF_MTU_MIN..CONF_MTU_MAX, at
	 * least CONF_MTU_MIN_V6 when a conn carries IPv6 (a pool, a virtual
	 * IP asked for, a remote subnet); default CONF_MTU_DEFAULT. mssfix=:
	 * MSS clamping of TCP SYNs (src/dp/mss.h): CONF_MSSFIX_AUTO (yes: MTU
	 * - 40 / MTU - 60, the default), 0 (no), or N (IPv4 N, IPv6 N - 20;
	 * 536 <= N <= mtu - 40). Where each was written (file NULL: not). */
	unsigned mtu;
	int mssfix;
	const char *mtu_file, *mssfix_file;
	int mtu_line, mssfix_line;
	/* password-guessing limits (src/auth_limit.h): after auth_backoff_free
	 * failed logins of an account (auth_backoff_free_source of an address),
	 * each further failure doubles a back-off from auth_backoff_base up to
	 * auth_backoff_max seconds; defaults yes, 5, 20, 2, 900 */
	bool auth_backoff;
	uint32_t auth_backoff_free, auth_backoff_free_source;
	uint32_t auth_backoff_base, auth_backoff_max;
	/* Access-Requests one client address (IPv6: /64) may have waiting
	 * for RADIUS at once; more new EAP logins are refused (0: no cap;
	 * default 8; src/eap_radius.c) */
	uint32_t radius_requests_per_source;
	struct conf_pending *pending; int n_pending;
	struct conf_conn *conns; int n_conns;   /* auto=ignore and %default excluded */
	char **files; int n_files;  /* every file read (file names in errors point here) */
	enum crl_policy strictcrlpolicy;    /* default no */
	/* dns1=, dns2= (IPv4 or IPv6) and nbns1=, nbns2= (IPv4: INTERNAL_IP4_NBNS)
	 * in config setup, strongSwan 4's names: sent to every client of a
	 * server conn without rightdns= (rightdns= replaces dns1/dns2 for its
	 * conn). family 0: not set. */
	struct conf_addr dns[2], nbns[2];
	/* metrics=ADDRESS:PORT ([IPv6]:PORT): the HTTP listener serving
	 * GET /metrics (src/metrics_http.h); family 0: none (the default) */
	struct conf_addr metrics;
	uint16_t metrics_port;
	/* cygnet: redirect_to=HOST[,HOST...] and redirect_above=N (RFC 5685,
	 * src/redirect.h): once N IKE_SAs are established, a new client that
	 * supports redirects is sent at IKE_SA_INIT to the next HOST (an IPv4
	 * or IPv6 address or a DNS name, see conf_redirect_host_ok). Both or
	 * neither: redirect_above_set false is the default (no load rule).
	 * redirect_file/line: where redirect_above= (else redirect_to=) was. */
	char **redirect_to; int n_redirect_to;
	uint32_t redirect_above;
	bool redirect_above_set;
	const char *redirect_file; int redirect_line;
	/* follow_redirects=yes|no (strongSwan's charon.follow_redirects, a
	 * config setup key here): our client conns announce
	 * REDIRECT_SUPPORTED and follow a server's REDIRECT (RFC 5685,
	 * src/client.h); default yes */
	bool follow_redirects;
	/* things that load but deserve a line in the log, one
	 * "file:line: ..." each (e.g. leftsubnet=a;b, see cv_net_list) */
	char **warnings; int n_warnings;
	/* loaded from swanctl.conf (conf/swanctl_conf.h): certificates, CAs,
	 * CRLs and keys are in the swanctl layout (swanctl_subdir()) */
	bool swanctl;
};

/* Reads path (and its includes). On error returns NULL and writes exactly
 * one line "file:line: what is wrong" to err. */
struct ipsec_conf *ipsec_conf_load(const char *path, char *err, size_t errlen);
/* Same, from a string (fuzzing, tests); name is used in messages. */
struct ipsec_conf *ipsec_conf_parse(const char *name, const char *text,
                                    char *err, size_t errlen);
void ipsec_conf_free(struct ipsec_conf *c);

/* true for the EAP methods: AUTH_EAP_MSCHAPV2 (and plain "eap"),
 * AUTH_EAP_TLS, AUTH_EAP_MD5, AUTH_EAP_RADIUS */
bool conf_auth_is_eap(enum conf_auth a);
/* the keyword for a method as ipsec.conf writes it ("pubkey", "psk",
 * "eap-mschapv2", "eap-tls", "eap-md5"; "unset" for AUTH_UNSET) */
const char *conf_auth_name(enum conf_auth a);

/* Parses "1.2.3.4" / "2001:db8::1" into a conf_addr; 0 on success. */
int conf_parse_addr(const char *s, struct conf_addr *out);

/* true when host (a left=/right= value) names one peer that can be
 * dialled: an IPv4 or IPv6 address or a DNS name, optionally with
 * strongSwan's '%' prefix on a name ("%vpn.example.com"). false for NULL,
 * "", %any, %any4, %any6, other %words, lists (','), subnets ('/') and
 * address ranges ("a-b"). strongSwan can only initiate to such a host. */
bool conf_host_is_specific(const char *host);

/* true when s is a redirect target as RFC 5685 carries it: an IPv4
 * address (dotted quad), an IPv6 address, or a DNS name of letters,
 * digits, '-' and '.' (labels of 1..63, none starting or ending with
 * '-', the last not all digits), at most 255 characters in all. */
bool conf_redirect_host_ok(const char *s);

#endif
