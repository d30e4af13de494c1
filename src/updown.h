/* CHILD_SA up and down events: one log line each, and the conn's
 * leftupdown command, run by the privileged helper with strongSwan's
 * PLUTO_* environment once per pair of traffic selectors of one family
 * (up-client for IPv4, up-client-v6 for IPv6, down-... when it goes).
 * A rekey is neither: the replacement keeps the CHILD_SA's reqid.
 * Runs wait in the daemon (see updown.c): the helper holds at most 4 at
 * once; a down cancels its waiting up; at most 8 ups of one user wait; a
 * down event is never dropped. PLUTO_* values are printable ASCII only
 * (escape.h). */
#ifndef CYGNET_UPDOWN_H
#define CYGNET_UPDOWN_H

#include <stdbool.h>

struct daemon;
struct ike_sa;
struct child_sa;

void updown_child(struct daemon *d, const struct ike_sa *sa, const struct child_sa *c, bool up);

/* The helper finished (ran, refused or failed) one run it was handed:
 * the next waiting one goes. Called by helper.c. */
void updown_helper_done(struct daemon *d);
/* The helper is gone: nothing it held will be reported. */
void updown_helper_lost(struct daemon *d);
/* Hands every waiting run to the helper now (at shutdown, before
 * helper_stop, so that the down events of the last sessions run). */
void updown_flush(struct daemon *d);

#endif
