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
#include "src/redirect.h"

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
	/* RFC 5685: REDIRECTED_FROM in our IKE_SA_INIT (another gateway sent
	 * us here), else REDIRECT_SUPPORTED (follow_redirects=yes) */
	bool redirected;
	struct redirect_gw redirected_from;
};

/* ---- following a server's REDIRECT (RFC 5685, client_redirect.c) ---- */

#define CLIENT_REDIRECT_MAX 5      /* redirects followed ... */
#define CLIENT_REDIRECT_WINDOW 300 /* ... within this many seconds (strongSwan's) */

/* Checks a server's REDIRECT notify data: a well-formed GW identity
 * (RFC 5685 §8: IPv4, IPv6 or an FQDN) that is a usable address (not
 * unspecified, loopback, multicast or broadcast) or a DNS name
 * (conf_redirect_host_ok); with ni (the REDIRECT answers our
 * IKE_SA_INIT) the Nonce Data must equal ni, without ni there must be
 * none. 0 with *gw, or -1 with *why (a static string). */
int client_redirect_parse(const uint8_t *data, size_t len, const uint8_t *ni, size_t ni_len,
                          struct redirect_gw *gw, const char **why);
/* The REDIRECT of an answer to sa's IKE_SA_INIT (ni: our Ni) or IKE_AUTH
 * (ni NULL), parsed as above: 0 when there is none to follow (none, a
 * probe, follow_redirects=no), 1 with *gw, -1 with *why. */
int client_redirect_of(const struct daemon *d, const struct ike_sa *sa, const struct ike_msg *m,
                       const uint8_t *ni, size_t ni_len, struct redirect_gw *gw,
                       const char **why);
/* The loop limit: times holds when the last redirects were followed (0:
 * unused). true, with now recorded, when fewer than CLIENT_REDIRECT_MAX
 * of them are within CLIENT_REDIRECT_WINDOW seconds before now; false
 * (nothing recorded) otherwise. */
bool client_redirect_allowed(uint64_t times[CLIENT_REDIRECT_MAX], uint64_t now);
/* the GW identity of an address (the gateway that redirects us, for
 * REDIRECTED_FROM) */
void client_redirect_gw_of(const struct sockaddr_storage *addr, struct redirect_gw *gw);

/* client.c: the server of sa (not yet established, at IKE_SA_INIT or in
 * IKE_AUTH after it authenticated) sends us to gw. 0: sa is ended (end
 * and state set by the caller's rules: the caller marks it dead) and
 * the conn connects to gw with REDIRECTED_FROM; -1: not followed (the
 * loop limit, a probe, the conn gone), why says so. */
int client_redirect_setup(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *gw,
                          char *why, size_t len);
/* client_init.c: client_init_start with REDIRECTED_FROM from (NULL: none) */
int client_init_start_from(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *from);

/* our address towards peer as the kernel picks it now (a UDP socket
 * connected to it: no packet is sent), with port; 0, or -1 (errno) */
int client_route_source(const struct sockaddr_storage *peer, socklen_t peer_len, uint16_t port,
                        struct sockaddr_storage *local, socklen_t *local_len);

#endif
