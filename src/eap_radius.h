/* rightauth=eap-radius: the client's EAP conversation relayed to RADIUS
 * (RFC 3579), as strongSwan's eap-radius plugin does, and what the
 * Access-Accept says about the session.
 *
 * Every EAP response of the client goes to the RADIUS servers
 * (src/radius_client.h) in an Access-Request with:
 *   User-Name (the EAP identity, with id_prefix in front when set),
 *   EAP-Message (split in 253-octet pieces), Message-Authenticator,
 *   State (echoed from the last Access-Challenge), NAS-Identifier,
 *   NAS-IP-Address or NAS-IPv6-Address (the server's IKE address),
 *   NAS-Port (the IKE_SA's number), NAS-Port-Type Virtual, Service-Type
 *   Framed, Called-Station-Id (ours) and Calling-Station-Id (the client's
 *   address), written "198.18.1.1[4500]" with station_id_with_port (the
 *   default), else the address alone.
 * The conversation starts with an EAP-Response/Identity: the client's
 * (eap_identity=, an EAP-Identity round with the client first) or one made
 * from its IKE identity; with eap_start = yes an EAP-Start (an empty
 * EAP-Message, RFC 3579 §2.1) lets the RADIUS server ask for it.
 *
 * Access-Challenge: its EAP-Message goes to the client. Access-Accept:
 * EAP-Success to the client, the MSK for the AUTH payloads is
 * MS-MPPE-Recv-Key || MS-MPPE-Send-Key (RFC 2548; none when the server
 * sends no keys: the AUTH then uses SK_pi / SK_pr as RFC 7296 §2.16 says
 * for methods without a key), and the attributes of struct radius_sess are
 * kept. Access-Reject or no answer: EAP-Failure and AUTHENTICATION_FAILED;
 * a reject counts in the password-guessing limits (auth_limit.h) by the
 * client's address (RADIUS accounts are not known here, so not by name),
 * and a backed-off address is refused before RADIUS is asked.
 *
 * While RADIUS works, the IKE_AUTH request stays unanswered: its
 * retransmissions start nothing new (ike_input answers a retransmission
 * only from the response cache, which holds no answer to it yet). */
#ifndef CYGNET_EAP_RADIUS_H
#define CYGNET_EAP_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf/ipsec_conf.h"
#include "src/eap.h"
#include "src/radius.h"

struct daemon;
struct ike_sa;
struct ike_wr;
struct event;

#define RADIUS_MAX_CLASS 8
#define RADIUS_MAX_DNS 4
#define RADIUS_MAX_GROUPS 8

/* What RADIUS said about a session (sa->radius), kept for the life of
 * the session and moved to the IKE_SA it is rekeyed into. Accounting
 * (RFC 2866) reads acct_session_id, nas_port and cls from here. */
struct radius_sess {
	struct ike_sa *sa;                 /* the IKE_SA it belongs to now */
	char acct_session_id[32];          /* "<daemon start>-<first IKE_SA id>" */
	uint32_t nas_port;                 /* the NAS-Port of the Access-Requests */
	char server[340];                  /* the server that accepted */
	uint8_t cls[RADIUS_MAX_CLASS][RAD_ATTR_MAX];  /* Class attributes, in order */
	uint8_t cls_len[RADIUS_MAX_CLASS];
	int n_cls;
	uint32_t session_timeout;          /* Session-Timeout, seconds; 0: none */
	uint32_t interim_interval;         /* Acct-Interim-Interval, seconds; 0: none */
	bool ip4, ip6;                     /* Framed-IP-Address / Framed-IPv6-Address given */
	bool ip4_nas;                      /* 255.255.255.254/.255: the NAS (a pool) chooses */
	uint8_t addr4[4], addr6[16];
	/* Framed-Pool and Framed-IPv6-Pool (RFC 3162), "" without one */
	char framed_pool[RAD_ATTR_MAX + 1], framed_pool6[RAD_ATTR_MAX + 1];
	/* a host route through the TUN device for the virtual IP RADIUS gave
	 * outside every pool (eap_radius_routes), removed with the session */
	bool route4, route6;
	uint8_t rt4[4], rt6[16];
	struct conf_addr dns[RADIUS_MAX_DNS];  /* MS-Primary/Secondary-DNS-Server, */
	int n_dns;                             /* DNS-Server-IPv6-Address */
	struct event *end_timer;           /* Session-Timeout */
	/* group memberships for rightgroups=: Class values (class_group) and,
	 * with Tunnel-Type ESP, Filter-Id values (filter_id), as text */
	char groups[RADIUS_MAX_GROUPS][RAD_ATTR_MAX + 1];
	int n_groups;
	bool name_from_accept;             /* sa->user is the Accept's User-Name as sent */
};

/* The first step for sa (rightauth=eap-radius) without an EAP-Identity
 * round of our own, or with eap_start: the Access-Request goes out, the
 * answer comes later through ike_auth_eap_answer(). w holds the payloads
 * written so far into the response to request msgid (IDr, CERT, AUTH),
 * copied to be completed then. 0, or -1 (logged) when nothing was sent. */
int eap_radius_begin(struct daemon *d, struct ike_sa *sa, const struct ike_wr *w,
                     uint32_t msgid);
/* An EAP response of the client (the request msgid), relayed: 0 while
 * RADIUS works (the answer comes through ike_auth_eap_answer), -1 with
 * sa->auth_fail set when it cannot be relayed (the caller fails the
 * exchange). */
int eap_radius_relay(struct daemon *d, struct ike_sa *sa, const uint8_t *in, size_t inlen,
                     uint32_t msgid);
/* Whether a RADIUS answer is awaited for sa (the IKE side takes no new
 * request meanwhile). */
bool eap_radius_waiting(const struct ike_sa *sa);
/* Frees the relay's state and cancels its request in flight (the
 * IKE_SA ends or EAP starts over); NULL-safe. sa->radius stays. */
void eap_radius_free_relay(struct ike_sa *sa);

/* Implemented by src/ike_auth.c: the IKE_AUTH response to request msgid
 * once RADIUS answered: prefix (NULL: none) holds the payloads written
 * before the EAP payload; r says what eap (len octets, the EAP packet to
 * send) is: EAP_CONTINUE a request, EAP_SUCCESS (the state moves on to the
 * final AUTH) or EAP_FAILURE (AUTHENTICATION_FAILED, sa->auth_fail says
 * why). */
void ike_auth_eap_answer(struct daemon *d, struct ike_sa *sa, uint32_t msgid,
                         const struct ike_wr *prefix, enum eap_result r, const uint8_t *eap,
                         size_t len);

/* The virtual IPs RADIUS gave sa (conns with rightsourceip=%radius),
 * taken before the pools are asked: each must not be the server's own
 * address nor a virtual IP of another IKE_SA (the sessions sa replaces,
 * ike_auth_replaces, count as holding none); one inside the conn's pool
 * is taken from it (the pool never hands it to anyone else meanwhile).
 * Then Framed-Pool (RFC 2869) for each family the client asked for and
 * Framed-IP(v6)-Address did not give: an address of the pool it names
 * (config_pool_named in src/config.h); a name without a pool of that
 * family leaves it to the conn's pool, unless it has a pool of none of
 * them. Sets sa->has_vip4/6 (and sa->pool4/6 for pool addresses).
 * 0; -1 with a reason in why when RADIUS's address is unusable (the login
 * is refused: AUTHENTICATION_FAILED); -2 with a reason when the Framed-Pool
 * names no usable pool or its pool is exhausted (INTERNAL_ADDRESS_FAILURE,
 * never a silent fallback to another pool). Nothing is held on failure. */
int eap_radius_vips(struct daemon *d, struct ike_sa *sa, char *why, size_t whylen);
/* sa's addresses are final (the session will be established): a host
 * route through the TUN device (helper_host_route) for each virtual IP
 * RADIUS gave outside every pool, so that replies reach the client; it is
 * removed when the session ends (eap_radius_sess_free), kept through a
 * rekey (eap_radius_move), and kept when another session routes the same
 * address (a later login of the same user that replaced this one). */
void eap_radius_routes(struct daemon *d, struct ike_sa *sa);
/* Implemented by src/ike_auth.c: o is one of the sessions sa replaces
 * once it is established (uniqueids=yes/replace, or INITIAL_CONTACT with
 * uniqueids=no) */
bool ike_auth_replaces(struct daemon *d, const struct ike_sa *sa, const struct ike_sa *o);
/* true when the session is a member of one of groups (rightgroups=: a
 * comma-separated list; NULL, no constraint, is always true) */
bool eap_radius_member(const struct ike_sa *sa, const char *groups);
/* RADIUS servers do not answer: an accounting record of sa went
 * unanswered with accounting_close_on_timeout (or, sa NULL, Access-Requests
 * of several clients did). all (strongswan.conf's close_all_on_timeout =
 * yes, when the servers answered nobody) deletes every client's IKE_SA
 * (they reconnect, with DNS round-robin to a node that reaches RADIUS),
 * else only sa's. The caller reaps. */
void eap_radius_timeout(struct daemon *d, struct ike_sa *sa, bool all);
/* The DNS servers for sa's CP reply: RADIUS's, when it sent any (they
 * replace rightdns); the count written to out (0: use the conn's). */
int eap_radius_dns(const struct ike_sa *sa, struct conf_addr *out, int max);
/* sa is established: starts the Session-Timeout timer (the session is
 * deleted then), and returns the AUTH_LIFETIME (RFC 4478) to announce
 * when the conn has reauth=yes (0: none from RADIUS). */
uint32_t eap_radius_established(struct daemon *d, struct ike_sa *sa);
/* sa was rekeyed into n: the session's RADIUS state moves along */
void eap_radius_move(struct ike_sa *from, struct ike_sa *to);
/* frees sa->radius (NULL-safe) */
void eap_radius_sess_free(struct ike_sa *sa);

#endif
