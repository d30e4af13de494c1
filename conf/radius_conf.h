/* The RADIUS settings of strongSwan's eap-radius plugin, read as a
 * strongSwan user wrote them: the section charon { plugins { eap-radius
 * { ... } } } of strongswan.conf in the config dir (its includes
 * followed, such as Debian's include of every file in strongswan.d/ and
 * strongswan.d/charon/eap-radius.conf; syntax as conf/swanctl_lex.h
 * reads it).
 *
 * What is read, with strongSwan's defaults and meaning:
 *   servers { NAME { address, secret, auth_port (or port; 1812),
 *       acct_port (1813), nas_identifier, preference (0), sockets (1),
 *       retransmit_timeout, retransmit_base, retransmit_tries } }
 *       several RADIUS servers; per-server settings fall back to the
 *       section's. Without a servers section, server + secret (+ port,
 *       nas_identifier) name one.
 *   nas_identifier (strongSwan), port (1812), sockets (1)
 *   retransmit_timeout (2.0 s), retransmit_base (1.4),
 *   retransmit_tries (4): request i (1..tries) waits timeout * base^(i-1)
 *   accounting (no), accounting_interval (0: none unless the server sends
 *   Acct-Interim-Interval), accounting_requires_vip (no),
 *   accounting_send_class (no), accounting_close_on_timeout (yes; whether
 *   it was written is kept: radius_acct.h)
 *   station_id_with_port (yes), eap_start (no), id_prefix,
 *   close_all_on_timeout (no), class_group (no), filter_id (no)
 *   dae { enable (no), listen (0.0.0.0), port (3799), secret }, and two
 *   keys of cygnet's own in dae { } (strongSwan has neither and ignores
 *   them): clients (a comma- or space-separated list of addresses and
 *   prefixes, "198.18.2.10, 2001:db8:2::/64": only these may send
 *   Disconnect/CoA-Requests; unset: any address with the secret, as in
 *   strongSwan) and require_event_timestamp (no: requests without an
 *   Event-Timestamp are dropped when yes, RFC 5176 §5 Replay Protection)
 *   load (yes: "load = no" switches RADIUS off, as it unloads the plugin)
 *   trust_user_name (no; cygnet's own): the Access-Accept's User-Name
 *   names the user even when it repeats the name cygnet sent after a
 *   tunnelled EAP method (src/eap_radius.c: for RADIUS servers set up to
 *   return the authenticated name)
 * Unknown keys in the section are reported as warnings with file:line
 * (strongSwan ignores them silently); known keys cygnet does not act on
 * (xauth, forward) are warnings saying so. Every other section of the
 * file (charon's other settings, libtls, starter, ...) is ignored with one
 * warning naming it: cygnet's own settings are in ipsec.conf. A missing
 * strongswan.conf is no error (no RADIUS). */
#ifndef CYGNET_RADIUS_CONF_H
#define CYGNET_RADIUS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RADIUS_MAX_SERVERS 16
#define RADIUS_NAS_ID_MAX 253
#define RADIUS_SECRET_MAX 128
#define RADIUS_DAE_CLIENTS_MAX 32

/* an address prefix of dae.clients */
struct radius_prefix {
	int family;                     /* AF_INET, AF_INET6 */
	uint8_t addr[16];               /* host bits zero */
	uint8_t len;                    /* prefix length */
};

struct radius_retransmit {
	uint32_t timeout_ms;            /* the first wait */
	uint32_t base_milli;            /* the factor, in thousandths (1400 = 1.4) */
	uint32_t tries;
};

struct radius_server_conf {
	char name[64];                  /* the section's name ("" for server=) */
	char address[256];              /* a host name or an address, as written */
	char secret[RADIUS_SECRET_MAX + 1];
	size_t secret_len;
	uint16_t auth_port, acct_port;
	char nas_identifier[RADIUS_NAS_ID_MAX + 1];
	int preference;
	uint32_t sockets;
	struct radius_retransmit rt;
	char where[300];                /* "file:line" of its section, for messages */
};

struct radius_conf {
	bool enabled;                   /* a usable eap-radius section with a server */
	struct radius_server_conf servers[RADIUS_MAX_SERVERS];
	int n_servers;
	char nas_identifier[RADIUS_NAS_ID_MAX + 1];
	struct radius_retransmit rt;
	bool accounting;
	uint32_t accounting_interval;   /* seconds, 0: none */
	bool accounting_requires_vip, accounting_send_class, accounting_close_on_timeout;
	bool accounting_close_on_timeout_set;   /* the key was written (cygnet's default
	                                           differs from strongSwan's: radius_acct.h) */
	bool station_id_with_port, eap_start, close_all_on_timeout;
	bool class_group, filter_id;
	bool trust_user_name;
	char id_prefix[64];
	struct {
		bool enable;
		char listen[64];
		uint16_t port;
		char secret[RADIUS_SECRET_MAX + 1];
		size_t secret_len;
		/* cygnet's own keys (strongSwan has neither; it ignores
		 * unknown keys): */
		struct radius_prefix clients[RADIUS_DAE_CLIENTS_MAX];
		int n_clients;          /* 0: any address that has the secret */
		bool require_timestamp; /* require_event_timestamp */
	} dae;
	char **warnings;                /* "file:line: ..." */
	int n_warnings;
};

/* Reads DIR/strongswan.conf into c (zeroed first). 0 (also when the file
 * does not exist: c->enabled false), or -1 with "file:line: reason" in
 * err. radius_conf_free c either way. */
int radius_conf_load(const char *dir, struct radius_conf *c, char *err, size_t errlen);
/* The same for text (name is used in messages and for includes). */
int radius_conf_parse(const char *name, const char *text, struct radius_conf *c, char *err,
                      size_t errlen);
/* Reads one dae.clients entry, "ADDR" or "ADDR/LEN" (IPv4 or IPv6; host
 * bits beyond LEN refused), into p: 0, or -1 with the reason in why. */
int radius_prefix_parse(const char *text, struct radius_prefix *p, char *why, size_t whylen);
/* true when a (family AF_INET/AF_INET6, 4 or 16 octets) is inside p */
bool radius_prefix_match(const struct radius_prefix *p, int family, const uint8_t *a);

/* wipes the secrets, frees the warnings */
void radius_conf_free(struct radius_conf *c);

#endif
