/* IKE message handling as responder: the entry point for received IKE
 * datagrams and the handlers for each exchange. */
#ifndef CYGNET_IKE_H
#define CYGNET_IKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct daemon;
struct ike_sa;
struct ike_msg;

/* a datagram from peer to local (port 500, or 4500 after the non-ESP
 * marker was removed) */
void ike_input(struct daemon *d, const uint8_t *buf, size_t len,
               const struct sockaddr *peer, socklen_t peer_len,
               const struct sockaddr *local, socklen_t local_len);

/* exchange handlers (ike_init.c, ike_auth.c, ike_info.c) */
void ike_init_request(struct daemon *d, const struct ike_msg *m,
                      const struct sockaddr *peer, socklen_t peer_len,
                      const struct sockaddr *local, socklen_t local_len);
void ike_auth_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
void ike_info_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);
void ike_child_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m);

/* answers a protected request with a single error notify */
void ike_reply_notify(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                      uint16_t type, const uint8_t *data, size_t len);

#endif
