/* cygnet as a client: the conns we initiate (right= a specific host).
 *
 * A conn with auto=start is connected when the daemon starts and kept
 * connected; `cygnetctl up NAME` / `down NAME` do the same by hand for
 * any conn that can initiate. One struct client per such conn holds what
 * the connection needs between IKE_SAs: whether we want it up, failed
 * attempts in a row (keyingtries, back-off), the retry timer, the name
 * of the server resolved off the event loop, and the virtual IPs, routes
 * and DNS servers installed through the privileged helper (they belong to
 * the connection, not to one IKE_SA: a reauthentication or an IKE_SA
 * rekey keeps them).
 *
 * What happens when an IKE_SA of ours ends (struct ike_sa.end):
 *  - we ended it (down, daemon stop): nothing more;
 *  - the server deleted it: closeaction=restart connects again, anything
 *    else leaves the conn down (strongSwan's behaviour);
 *  - the server stopped answering: dpdaction=restart connects again, else
 *    down;
 *  - the setup failed (no answer, refused proposals, a network error):
 *    tried again with back-off (2 s doubling up to 60 s) until keyingtries
 *    attempts in all (0 = %forever);
 *  - the setup failed on authentication (our credentials refused by a
 *    server that has authenticated itself, or the server's identity or
 *    certificate not the one configured): never tried again by itself,
 *    whatever keyingtries says (a refusal before the server proved itself
 *    may be anyone's: a failed attempt): a wrong password
 *    does not heal, and retrying it trips the server's password-guessing
 *    limits. One log line says why and that it gave up. */
#ifndef CYGNET_CLIENT_H
#define CYGNET_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct daemon;
struct ike_sa;
struct ike_msg;
struct ike_ini;
struct peer_cfg;

/* connects every auto=start conn of the current configuration (at start
 * and after a reload: conns already known are left alone) */
void client_start_all(struct daemon *d);
/* cygnetctl up / down: 0 with a one-line answer in msg, or -1 with the
 * reason (no such conn, the conn cannot initiate) */
int client_up(struct daemon *d, const char *name, char *msg, size_t len);
int client_down(struct daemon *d, const char *name, char *msg, size_t len);
/* status lines for cygnetctl: one per client conn ("NAME: up, ..." ) */
size_t client_status(struct daemon *d, char *out, size_t len);
/* the daemon stops: timers cancelled, routes and DNS removed (the IKE_SAs
 * are deleted by daemon_stop); then client_free_all frees them */
void client_stop_all(struct daemon *d);
void client_free_all(struct daemon *d);

/* One IKE_SA of conn pc to the server at peer from our address local,
 * outside the conn's lifecycle (no struct client, no retries, no
 * addresses, routes or scripts): the handshake load generator's. The
 * outcome goes to d->probe_done once. NULL when it could not start. */
struct ike_sa *client_probe(struct daemon *d, struct peer_cfg *pc, const struct sockaddr *peer,
                            socklen_t peer_len, const struct sockaddr *local,
                            socklen_t local_len);

/* hooks of the IKE code */
/* an IKE_SA of ours is established (its CHILD_SA installed) */
void client_sa_up(struct daemon *d, struct ike_sa *sa);
/* an IKE_SA of ours is being freed (sa->end says why) */
void client_sa_gone(struct daemon *d, struct ike_sa *sa);
/* our request got no answer (kind: its name; for how long): the peer is
 * dead, or the server never answered the setup; marks the SA dead */
void client_no_answer(struct daemon *d, struct ike_sa *sa, const char *kind, uint64_t secs);
/* time to reauthenticate (ikelifetime with reauth=yes, or the server's
 * AUTH_LIFETIME, RFC 4478): the IKE_SA is deleted and a new one made at
 * once (break before make, strongSwan's default); the connection's
 * addresses and routes stay */
void client_reauth(struct daemon *d, struct ike_sa *sa);

/* RFC 5685 (config setup follow_redirects=yes, the default): our
 * IKE_SA_INIT carries REDIRECT_SUPPORTED, or REDIRECTED_FROM (the old
 * gateway's address) when another gateway sent us. A REDIRECT is followed
 * - answering our IKE_SA_INIT, only with our Ni as its Nonce Data (one
 *   without is ignored as if lost);
 * - in the last IKE_AUTH answer, the server authenticated: that IKE_SA is
 *   deleted;
 * - in an INFORMATIONAL request on an established IKE_SA (this
 *   function, after ike_info.c answered it): make before break, the old
 *   IKE_SA stays until the new one is up, then is deleted; when the new
 *   gateway lies inside rightsubnet (our IKE packets to it would go into
 *   the tunnel) the old one is deleted first. A new gateway that fails
 *   leaves us with the old one.
 * The new gateway (an address, or a DNS name resolved off the event loop
 * as right= is) is used with the same conn: it must prove the same
 * identity (rightid). A failure there is a failed attempt, tried again
 * with back-off from right=. At most 5 redirects within 300 s
 * (client_int.h); one more fails the attempt (one log line) or, on an
 * established IKE_SA, is ignored. The helper's host route follows the
 * new server's address. */
void client_redirect_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);

/* our own address moves (client_move.c): the netlink watch, opened at
 * start (0, or -1 logged: no MOBIKE moves then) and closed at the end;
 * the answer to our UPDATE_SA_ADDRESSES */
int client_move_open(struct daemon *d);
void client_move_close(struct daemon *d);
void client_move_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);

/* the setup exchanges (client_init.c, client_auth.c) */
/* sends our IKE_SA_INIT for a new IKE_SA of ours (cfg, peer and local
 * set); 0, or -1 (sa marked dead) */
int client_init_start(struct daemon *d, struct ike_sa *sa);
void client_init_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
/* sends our first IKE_AUTH request; 0 or -1 (sa marked dead) */
int client_auth_start(struct daemon *d, struct ike_sa *sa);
void client_auth_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
/* frees the setup state (NULL-safe, secrets wiped) */
void client_ini_free(struct ike_ini *ini);

#endif
