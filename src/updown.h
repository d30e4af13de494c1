/* CHILD_SA up and down events: one log line each, and the conn's
 * leftupdown command, run by the privileged helper with strongSwan's
 * PLUTO_* environment once per pair of traffic selectors of one family
 * (up-client for IPv4, up-client-v6 for IPv6, down-... when it goes).
 * A rekey is neither: the replacement keeps the CHILD_SA's reqid. */
#ifndef CYGNET_UPDOWN_H
#define CYGNET_UPDOWN_H

#include <stdbool.h>

struct daemon;
struct ike_sa;
struct child_sa;

void updown_child(struct daemon *d, const struct ike_sa *sa, const struct child_sa *c, bool up);

#endif
