/* IKEv2 redirect (RFC 5685): sending clients to another node.
 *
 * A client that supports it says so in its IKE_SA_INIT request with
 * REDIRECT_SUPPORTED (16406), or with REDIRECTED_FROM (16408) when another
 * gateway sent it here. cygnet announces nothing itself (the responder
 * sends REDIRECT only to clients that asked for it) and redirects:
 *
 * - new clients at IKE_SA_INIT, without keeping state (like a COOKIE
 *   answer): while draining (`cygnetctl redirect --to HOST`), or by load
 *   (config setup redirect_above=N, redirect_to=HOST[,HOST...]) once N
 *   server IKE_SAs are established. Redirected at IKE_SA_INIT because it
 *   costs an overloaded node nothing (no Diffie-Hellman, no EAP, no
 *   RADIUS round); the REDIRECT is unauthenticated there, so a stranger
 *   spoofing a client only gets that client's own IKE_SA_INIT answered
 *   with our own configured target, as small as a COOKIE answer. A
 *   client that arrives with REDIRECTED_FROM is not redirected by load
 *   again (no ping-pong between two full nodes), only while draining.
 * - established clients with an INFORMATIONAL request carrying REDIRECT
 *   (`cygnetctl redirect --to HOST USER|all`, RFC 5685 §6): the client
 *   connects to HOST, then deletes its IKE_SA here; once it answered,
 *   cygnet waits half_open_timeout seconds for that DELETE (strongSwan's
 *   gateway does the same) and then deletes the IKE_SA itself.
 *
 * The REDIRECT / REDIRECTED_FROM notify data (RFC 5685 §8-9):
 *
 *   GW Ident Type (1) | GW Ident Len (1) | GW Identity | [Nonce Data]
 *
 * type 1: IPv4 address (4 bytes), 2: IPv6 address (16), 3: FQDN; Nonce
 * Data is the client's Ni, only in a REDIRECT answering IKE_SA_INIT. */
#ifndef CYGNET_REDIRECT_H
#define CYGNET_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "src/clock.h"

struct daemon;
struct ike_sa;
struct ike_msg;

enum redirect_gw_type { GW_IPV4 = 1, GW_IPV6 = 2, GW_FQDN = 3 };

#define REDIRECT_GW_MAX 255
/* a GW identity: the longest is an FQDN of 255 bytes */
struct redirect_gw {
	uint8_t type;                     /* enum redirect_gw_type */
	uint8_t len;
	uint8_t id[REDIRECT_GW_MAX];
};

/* Parses a host as an operator writes it (redirect_to=, cygnetctl
 * redirect --to): an IPv4 or IPv6 address, else a DNS name checked by
 * conf_redirect_host_ok. 0, or -1 when text is none of these. */
int redirect_gw_from_text(const char *text, struct redirect_gw *gw);
/* the GW identity as text for logs and answers: an address, or the
 * name escaped (a peer's REDIRECTED_FROM may hold any bytes) */
const char *redirect_gw_format(const struct redirect_gw *gw, char *buf, size_t len);
/* the address family a GW identity is reachable over: AF_INET for type
 * 1, AF_INET6 for type 2, AF_UNSPEC for a name */
int redirect_gw_family(const struct redirect_gw *gw);

/* Writes the notify data for gw, followed by nonce (NULL: none) to out.
 * Returns its length, 0 when it does not fit cap or gw is malformed. */
size_t redirect_data_build(const struct redirect_gw *gw, const uint8_t *nonce,
                           size_t nonce_len, uint8_t *out, size_t cap);
/* Parses notify data: the type must be 1, 2 or 3, the length 4 for
 * IPv4, 16 for IPv6 and 1..255 for a name, and fit in len; what follows
 * is the nonce (*nonce NULL and *nonce_len 0 when nothing follows;
 * nonce may be NULL when the caller does not want it). 0 or -1. */
int redirect_data_parse(const uint8_t *data, size_t len, struct redirect_gw *gw,
                        const uint8_t **nonce, size_t *nonce_len);

/* the daemon's redirect state (struct daemon's redirect) */
struct redirect_state {
	unsigned n_up;                    /* established server IKE_SAs */
	bool drain;                       /* cygnetctl redirect --to HOST [all] */
	struct redirect_gw drain_to;
	unsigned next;                    /* the next of redirect_to= in turn */
	struct ratelog rl_init;           /* "redirected at IKE_SA_INIT" lines */
	uint64_t n_init;                  /* clients redirected at IKE_SA_INIT */
	uint64_t n_moved;                 /* established clients that took a REDIRECT */
};

/* why a new client is redirected */
enum redirect_why { REDIR_NO, REDIR_DRAIN, REDIR_LOAD };

/* The decision for a new client, from plain facts: drain mode; whether a
 * load rule is configured and its threshold; the established server
 * IKE_SAs; whether the client supports redirects and whether another
 * gateway sent it here. A client without support is never redirected;
 * draining redirects every other one; the load rule those that were not
 * redirected before, once n_up >= above. */
enum redirect_why redirect_decide(bool drain, bool load_rule, uint32_t above, unsigned n_up,
                                  bool supported, bool redirected_from);

/* true when the IKE_SA_INIT request m says the client follows redirects
 * (REDIRECT_SUPPORTED or REDIRECTED_FROM) */
bool redirect_supported(const struct ike_msg *m);

/* For an IKE_SA_INIT request from peer (before any state is made): logs a
 * REDIRECTED_FROM, and when the client is to be redirected writes the
 * REDIRECT notify data (the target and the client's nonce) to data
 * (cap >= 2 + 255 + 256) and returns its length; 0: serve it here. */
size_t redirect_at_init(struct daemon *d, const struct ike_msg *m, const struct sockaddr *peer,
                        uint8_t *data, size_t cap);

/* keeps the count of established server IKE_SAs: called by
 * ike_sa_set_state before sa->state changes to st */
void redirect_state_change(struct daemon *d, const struct ike_sa *sa, int st);

/* Asks the established server IKE_SA sa to move to gw (an INFORMATIONAL
 * request with REDIRECT, sent now or as soon as no other request of ours
 * is outstanding; deleted once the client left, see above). -1 when its
 * client does not support redirects or it is not established; 1 when a
 * move is already under way (it keeps its first target); 0 when asked. */
int redirect_move(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *gw);
/* the answer to our REDIRECT request arrived (from ike_sa_response) */
void redirect_answered(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
/* an IKE rekey made n the successor of old (n established): a move of
 * old not answered yet is asked again on n; one the client answered
 * keeps waiting there for the client's DELETE; old's state is freed */
void redirect_rekeyed(struct daemon *d, struct ike_sa *old, struct ike_sa *n);
/* releases the move state of sa (from ike_sa_destroy); NULL-safe */
void redirect_sa_free(struct ike_sa *sa);

/* The control command (ctl.c), args after "redirect": "" (show the
 * state), "--off", "--to HOST" (new clients to HOST), "--to HOST
 * USER|VIP|#ID|all" (move those; "all" also sends new clients to HOST).
 * Writes the answer with put(arg, line) one line at a time; lines that
 * start with "error:" report a refused command. */
void redirect_command(struct daemon *d, const char *args,
                      void (*put)(void *arg, const char *line), void *arg);

#endif
