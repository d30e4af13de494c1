/* CREATE_CHILD_SA: new CHILD_SAs, CHILD_SA rekeying and IKE_SA rekeying
 * (RFC 7296 §1.3, §2.8) as responder, and the answers to the rekeyings
 * the server starts itself (rekey=yes). */
#ifndef CYGNET_REKEY_H
#define CYGNET_REKEY_H

#include "src/ike_sa.h"

struct daemon;
struct ike_msg;

/* with rekey=yes: starts the lifetime timers of an established IKE_SA */
void rekey_start(struct ike_sa *sa);
/* starts the once-a-second lifetime check of sa, if not running (a
 * client's reauthentication at sa->rekey_at, RFC 4478, even with rekey=no) */
void rekey_start_timer(struct ike_sa *sa);
/* a response to our own CREATE_CHILD_SA request (or the DELETE that
 * follows our CHILD_SA rekey) */
void rekey_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                    enum req_kind kind);
/* The data path's report on a CHILD_SA's outbound sequence numbers (by
 * its IKE_SA id and our inbound SPI): near their end (exhausted false),
 * a rekey is started as soon as no other exchange of ours is in flight
 * when the conn has rekey=yes; used up (exhausted true), outbound packets
 * are being dropped. Logs one line each. */
void rekey_child_seq(struct daemon *d, uint32_t ike_id, uint32_t spi_in, bool exhausted);

#endif
