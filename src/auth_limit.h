/* Password-guessing limits for EAP logins: failed authentications are
 * counted per account and per source address (IPv4 address, IPv6 /64);
 * after a number of free failures each further failure doubles a back-off
 * delay (auth_backoff_base .. auth_backoff_max seconds, config setup).
 * While an account or an address is backed off, its logins are refused
 * without looking at the password, with the same answer a wrong password
 * gets (the caller makes sure of that). A success clears the account's and
 * the address's entries.
 *
 * Memory is bounded: two fixed-size tables (accounts, addresses), each
 * set-associative, indexed by SipHash-2-4 under a random key chosen at
 * start (names and addresses are chosen by the peer), a full set evicting
 * its least recently active entry. An entry is forgotten once its back-off
 * is over and it has seen no failed or refused attempt for
 * AUTH_LIMIT_FORGET seconds.
 *
 * Only configured accounts are counted by name: a name that is no account
 * can never log in, and counting invented names would let a spray of them
 * push real accounts out of the table; such attempts count against their
 * source address. Times are monotonic milliseconds (auth_limit_now). */
#ifndef CYGNET_AUTH_LIMIT_H
#define CYGNET_AUTH_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ipsec_conf;
struct auth_limit;

#define AUTH_LIMIT_FORGET 3600       /* seconds without a failure */
#define AUTH_LIMIT_KEYMAX 256        /* account names longer than this are cut */

/* a new limiter with a random hash key; NULL when out of memory */
struct auth_limit *auth_limit_new(void);
/* accepts NULL */
void auth_limit_free(struct auth_limit *al);

/* monotonic milliseconds */
uint64_t auth_limit_now(void);

/* Before the password is checked: true when the account (NULL for a name
 * that is no account; claimed is the name the client gave) or the address
 * from is backed off at now. No change, no log. False when the limiter is
 * off (conf->auth_backoff) or al is NULL. */
bool auth_limit_blocked(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now);
/* An attempt refused because auth_limit_blocked said so: logs one
 * "auth-limit: 'NAME' from ADDR: refused without checking the password"
 * line; counts nothing (the password was not tried), keeps the entries
 * from being forgotten. The same table work as auth_limit_failure. */
void auth_limit_refused(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now);
/* A failed authentication (not one refused by auth_limit_blocked): counts
 * it for the account (when not NULL) and the address, and logs one
 * "auth-limit: 'NAME' from ADDR: ..." line. claimed is the name the client
 * gave, for the log when account is NULL. */
void auth_limit_failure(struct auth_limit *al, const struct ipsec_conf *conf,
                        const char *account, const char *claimed,
                        const struct sockaddr *from, uint64_t now);
/* a successful authentication: the account's and the address's entries go */
void auth_limit_success(struct auth_limit *al, const char *account,
                        const struct sockaddr *from, uint64_t now);

/* one entry, for cygnetctl auth-limits */
struct auth_limit_info {
	bool is_addr;                /* else an account */
	const char *key;             /* account name or address text */
	uint32_t failures;
	uint64_t remaining_ms;       /* of the back-off, 0 = not backed off */
	uint64_t idle_ms;            /* since the last failure or refusal */
};
/* Walks the live entries: call with *pos = 0, then again while it
 * returns true. Entries that are forgotten at now are skipped. */
bool auth_limit_next(struct auth_limit *al, size_t *pos, uint64_t now,
                     struct auth_limit_info *out);
/* Removes the entry of an account name or an address ("198.18.1.11",
 * "2001:db8:1::5" or its "/64" form): the number removed (0 or 1 of each). */
int auth_limit_clear(struct auth_limit *al, const char *what, uint64_t now);

/* the text used for an address's entry: "198.18.1.11", "2001:db8:1::/64" */
void auth_limit_addr_key(const struct sockaddr *from, char *out, size_t len);

/* ---- RADIUS requests per source (src/eap_radius.c) ----
 * An unauthenticated IKE peer makes cygnet send Access-Requests; one
 * address opening many IKE_SAs could hold every RADIUS Identifier and the
 * client's queue. eap_radius.c counts the Access-Requests waiting for
 * each source (config setup radius_requests_per_source) and refuses new
 * EAP logins beyond that, with the answer a wrong password gets. */

/* true when a and b are one source as the limits see it: the same IPv4
 * address, the same IPv6 /64 (an IPv4-mapped IPv6 address is IPv4) */
bool auth_limit_same_source(const struct sockaddr *a, const struct sockaddr *b);
/* A new EAP login from `from` refused: `waiting` Access-Requests of that
 * source wait, cap allowed. Counted; logged at most once every
 * AUTH_LIMIT_BUSY_LOG seconds with the number refused since. NULL-safe. */
#define AUTH_LIMIT_BUSY_LOG 10
void auth_limit_busy(struct auth_limit *al, const struct sockaddr *from, unsigned waiting,
                     unsigned cap, uint64_t now);
/* the logins auth_limit_busy refused since start; 0 for NULL */
uint64_t auth_limit_busy_count(const struct auth_limit *al);

#endif
