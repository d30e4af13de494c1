/* Parsers for single ipsec.conf values: yes/no, durations, addresses,
 * subnet and pool lists, charondebug. Each returns 0 on success or -1
 * with a short reason (no file:line; the caller adds it) in why.
 * Internal to conf/. */
#ifndef CYGNET_CONF_VALUES_H
#define CYGNET_CONF_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/ipsec_conf.h"

int cv_bool(const char *v, bool *out, char *why, size_t whylen);
/* "90", "90s", "35m", "3h", "1d" into seconds (fits uint32) */
int cv_duration(const char *v, uint32_t *out, char *why, size_t whylen);
/* a decimal number without sign, fits uint32 */
int cv_uint(const char *v, uint32_t *out, char *why, size_t whylen);
/* "100%" or "100" */
int cv_percent(const char *v, uint32_t *out, char *why, size_t whylen);

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (/32, /128); host
 * bits are cleared as strongSwan does. Lists are comma-separated;
 * cv_net_list also takes ';' as a separator (seed 003 writes
 * "0.0.0.0/0;::/0"), which strongSwan does not: its subnet parser reads
 * the prefix length with atoi() and stops at the ';', so it takes only
 * the first subnet. The caller warns about it. */
int cv_net(const char *s, struct conf_net *out, char *why, size_t whylen);
int cv_net_list(const char *v, struct conf_net *arr, int *n, char *why, size_t whylen);

/* rightsourceip: CIDR pools, single addresses, "a-b" ranges and the
 * %config family (sets *config). */
int cv_sourceip_list(const char *v, struct conf_range *arr, int *n, bool *config,
                     char *why, size_t whylen);

/* leftsourceip: what a client asks for (see want_vip4/6 in ipsec_conf.h).
 * Every element is one of: %config4, %any, %any4, 0.0.0.0 (sets v4);
 * %config6, %any6, :: (sets v6); %config, %cfg, %modeconfig, %modecfg
 * (sets plain: the caller picks the family); another IP address (sets
 * literal). Anything else is an error. */
struct cv_vip {
	bool v4, v6, plain, literal;
};
int cv_vip_list(const char *v, struct cv_vip *out, char *why, size_t whylen);

/* rightdns: comma-separated addresses. With allow_config, "%config",
 * "%config4" and "%config6" are accepted and skipped (leftdns). */
int cv_addr_list(const char *v, struct conf_addr *arr, int *n, bool allow_config,
                 char *why, size_t whylen);

/* charondebug: "ike 2, cfg 3" with strongSwan's subsystems, levels -1..4 */
int cv_charondebug(const char *v, char *why, size_t whylen);

/* tun=: a Linux interface name, 1..15 of [A-Za-z0-9_.-] */
int cv_ifname(const char *v, char *why, size_t whylen);
/* user=: a POSIX-ish user name, 1..32 of [A-Za-z0-9_.-], not starting with '-' */
int cv_username(const char *v, char *why, size_t whylen);

#endif
