/* The daemon's RADIUS client (RFC 2865, 2866, 3579, retransmission as
 * RFC 5080 §2.2.1 asks: the same Identifier and Authenticator for every
 * retransmission to one server), everything on the event loop.
 *
 * Servers come from strongswan.conf's eap-radius section (conf/radius_conf.h).
 * Each gets `sockets` unconnected, non-blocking UDP sockets; a socket has
 * 256 Identifiers. A request goes to one server at a time, in this order:
 * servers that answer before servers that did not answer lately, then
 * higher `preference` first, equal preferences taken in turn (request by
 * request). Try n (1..tries) waits retransmit_timeout * retransmit_base^(n-1);
 * after the last try the server is "not answering" (logged once, avoided
 * for RADC_AVOID_SECONDS) and the next server gets the request, with a new
 * Identifier and Authenticator. When every server has been tried the
 * request fails.
 *
 * A response is taken only from the server's address and the port the
 * request went to, on the socket and with the Identifier the request
 * holds, when its code answers the request's code and its authenticators
 * verify (rad_verify_response; a Message-Authenticator is required in
 * answers to Access-Requests). Anything else is dropped, and the request
 * keeps waiting.
 *
 * Server names that are no addresses are resolved on a crypto worker
 * (jobs.h) when the client is made and again when a server stops
 * answering; a server without an address yet is skipped. Without a
 * daemon (unit tests) only addresses are accepted.
 *
 * Every request's done() is called exactly once, from the event loop and
 * never from inside radius_send, unless the request is cancelled first. */
#ifndef CYGNET_RADIUS_CLIENT_H
#define CYGNET_RADIUS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf/radius_conf.h"
#include "src/radius.h"

struct event_base;
struct daemon;
struct radius_client;
struct radc_req;

/* how long a server that did not answer goes to the end of the order */
#define RADC_AVOID_SECONDS 60
/* requests waiting for a free Identifier, beyond which radius_send fails */
#define RADC_MAX_QUEUED 1024

enum radc_status {
	RADC_ANSWER,        /* v holds the verified response */
	RADC_TIMEOUT,       /* no server answered (why says which were tried) */
	RADC_FAILED,        /* could not be sent (no usable server, queue wait over) */
};

struct radc_answer {
	enum radc_status status;
	const struct rad_view *v;          /* RADC_ANSWER: the response, verified */
	const uint8_t *req_auth;           /* the Request Authenticator it answers */
	const void *secret;                /* the server's shared secret (MS-MPPE keys) */
	size_t slen;
	const char *server;                /* "name (address)" for logs */
	const char *why;                   /* RADC_TIMEOUT / RADC_FAILED */
	uint32_t elapsed_ms;               /* from radius_send to this answer */
	/* RADC_TIMEOUT: a server answered another request of this client
	 * after this one was sent (the servers work; this request's own
	 * conversation, e.g. a realm proxied to a dead home server, does not) */
	bool others_answered;
};

typedef void (*radc_done)(void *arg, const struct radc_answer *a);

/* A client for the servers of rc (copied; rc may go). d may be NULL
 * (tests): then names are refused. NULL with a reason in err when rc has
 * no usable server or a socket cannot be made. Logs nothing. */
struct radius_client *radius_client_new(struct event_base *base, struct daemon *d,
                                        const struct radius_conf *rc, char *err,
                                        size_t errlen);
/* "a (198.18.3.2:1812), b (radius.example:1812, preference 10)" */
void radius_client_describe(const struct radius_client *c, char *out, size_t len);
/* The owner lets go: freed at once when no request or lookup is in
 * flight, else after the last one ended (their done() still called).
 * NULL-safe. */
void radius_client_release(struct radius_client *c);
/* Drops every request without calling done() and frees the client at
 * once (a daemon that stops). NULL-safe. */
void radius_client_free(struct radius_client *c);

/* Sends a request: code (RAD_ACCESS_REQUEST to the auth_port,
 * RAD_ACCT_REQUEST to the acct_port) with the attributes attrs (alen
 * octets of Type-Length-Value, copied), to which the server's
 * NAS-Identifier (unless attrs has one) and, for an Access-Request, a
 * Message-Authenticator are added. A handle for radius_cancel, or NULL
 * (done() will not be called) when the attributes do not fit, no server
 * is usable or too many requests wait. */
struct radc_req *radius_send(struct radius_client *c, uint8_t code, const uint8_t *attrs,
                             size_t alen, radc_done done, void *arg);
/* Forgets a request: done() is not called. NULL-safe. */
void radius_cancel(struct radc_req *r);

/* requests in flight or queued (tests, status) */
int radius_client_pending(const struct radius_client *c);

#endif
