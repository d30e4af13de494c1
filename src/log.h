/* Logging with per-subsystem levels, like charondebug ("ike 2, cfg 3").
 * Levels: -1 silent, 0 basic, 1 audit (default), 2 control, 3 raw, 4 private.
 * Where a line goes:
 *  - --syslog: syslog(3), facility daemon, level 0 as LOG_NOTICE, the rest
 *    as LOG_INFO;
 *  - stderr that is journald's stream (systemd.exec(5), JOURNAL_STREAM
 *    matches stderr's device and inode): "<3>" for level 0 (errors and
 *    what needs the operator), "<6>" for level 1, "<7>" for debug levels
 *    (sd-daemon(3) prefixes), and no timestamp of its own;
 *  - any other stderr (terminal, file): "2026-11-30 08:35:50.871 [ike] ..."
 *    in local time.
 * Secrets are never passed here. */
#ifndef CYGNET_LOG_H
#define CYGNET_LOG_H

#include <stdarg.h>

enum log_sub {
	LOG_DMN,   /* daemon: start, stop, privileges */
	LOG_CFG,   /* configuration, conn selection, proposals */
	LOG_IKE,   /* IKE SA state */
	LOG_ENC,   /* message encoding/decoding */
	LOG_NET,   /* sockets, packets in/out */
	LOG_ESP,   /* ESP data path */
	LOG_TUN,   /* TUN device, routes */
	LOG_LIB,   /* crypto, certificates */
	LOG_CHD,   /* CHILD_SAs up and down, leftupdown scripts */
	LOG_SUBSYSTEMS
};

/* picks the destination once, before any thread or fork */
void log_init(int use_syslog);
/* "cygnetd: " and the message (which ends with its own newline) on
 * stderr, as an error ("<3>") when stderr is the journal: what stops
 * cygnetd at start, before or after log_init */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sets one subsystem's level, or all with sub < 0 */
void log_set_level(int sub, int level);
int log_get_level(int sub);
/* parses a charondebug string ("ike 2, cfg 3", "any 1"); subsystem names
 * cygnet does not have but strongSwan does (knl, chd, mgr, ...) are
 * accepted and mapped onto the nearest cygnet subsystem. 0 on success,
 * -1 with a reason in err. */
int log_parse_levels(const char *spec, char *err, size_t errlen);

void log_msg(int sub, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_enabled(sub, level) (log_get_level(sub) >= (level))
#define LOG(sub, level, ...) do { if (log_enabled(sub, level)) log_msg(sub, level, __VA_ARGS__); } while (0)
#define log_err(sub, ...)  LOG(sub, 0, __VA_ARGS__)
#define log_info(sub, ...) LOG(sub, 1, __VA_ARGS__)
#define log_dbg(sub, ...)  LOG(sub, 2, __VA_ARGS__)

#endif
