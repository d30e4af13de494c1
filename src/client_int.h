/* What the client's setup exchanges (client_init.c, client_auth.c) keep
 * between messages: struct ike_ini, hung off the IKE_SA until it is
 * established. Private to the client files. */
#ifndef CYGNET_CLIENT_INT_H
#define CYGNET_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "src/eap_peer.h"
#include "src/ike_msg.h"

struct dh;

#define INI_MAX_COOKIE 64
#define INI_MAX_RETRIES 3          /* COOKIE or INVALID_KE answers per attempt */

enum ini_step {
	INI_INIT,          /* IKE_SA_INIT sent */
	INI_AUTH,          /* the first IKE_AUTH sent */
	INI_EAP,           /* an EAP response sent */
	INI_FINAL,         /* the AUTH from the MSK sent */
};

struct ike_ini {
	enum ini_step step;
	/* IKE_SA_INIT */
	uint16_t group;                   /* of our KE */
	struct dh *dh;
	uint8_t cookie[INI_MAX_COOKIE];
	size_t cookie_len;
	int retries;                      /* COOKIE and INVALID_KE answers so far */
	/* the first CHILD_SA as we proposed it */
	uint32_t child_spi;               /* our inbound SPI */
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int n_tsi, n_tsr;
	/* authentication */
	bool eap;                         /* leftauth=eap-*: AUTH from the MSK */
	struct eap_peer peer;
	bool server_authed;               /* the server's AUTH verified */
	char why[256];                    /* why the setup failed, for client.c */
	bool got_auth_lifetime;
	uint32_t auth_lifetime;           /* RFC 4478, seconds */
};

/* our address towards peer as the kernel picks it now (a UDP socket
 * connected to it: no packet is sent), with port; 0, or -1 (errno) */
int client_route_source(const struct sockaddr_storage *peer, socklen_t peer_len, uint16_t port,
                        struct sockaddr_storage *local, socklen_t *local_len);

#endif
