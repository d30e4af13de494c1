/* Logging: stderr with timestamps in the foreground, syslog otherwise;
 * stderr connected to journald gets priority prefixes instead of
 * timestamps (log.h). Every line is escaped on its way out (escape.h):
 * whatever a caller formats into it, only printable ASCII reaches the
 * terminal, the journal or syslog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "src/escape.h"
#include "src/log.h"

static int levels[LOG_SUBSYSTEMS] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
static int syslog_mode;
static int journal_mode;

static const char *const names[LOG_SUBSYSTEMS] = {
	"dmn", "cfg", "ike", "enc", "net", "esp", "tun", "lib", "chd",
};

/* strongSwan subsystem names cygnet maps onto its own */
static const struct { const char *name; int sub; } aliases[] = {
	{ "mgr", LOG_IKE }, { "job", LOG_DMN },
	{ "knl", LOG_TUN }, { "asn", LOG_LIB }, { "tls", LOG_LIB },
	{ "esp", LOG_ESP }, { "tnc", LOG_CFG }, { "imc", LOG_CFG },
	{ "imv", LOG_CFG }, { "pts", LOG_CFG }, { "app", LOG_DMN },
};

/* systemd.exec(5), $JOURNAL_STREAM: "DEVICE:INODE" of the stream the
 * manager connected to the journal; it counts only while stderr is still
 * that stream (a shell redirection started from the unit is not). */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;
	struct stat st;
	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(int use_syslog)
{
	syslog_mode = use_syslog;
	journal_mode = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog("cygnetd", LOG_PID, LOG_DAEMON);
}


void log_fatal(const char *fmt, ...)
{
	va_list ap;
	fputs(stderr_is_journal() ? "<3>cygnetd: " : "cygnetd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void log_set_level(int sub, int level)
{
	if (sub < 0) {
		for (int i = 0; i < LOG_SUBSYSTEMS; i++)
			levels[i] = level;
	} else if (sub < LOG_SUBSYSTEMS) {
		levels[sub] = level;
	}
}

int log_get_level(int sub)
{
	return sub >= 0 && sub < LOG_SUBSYSTEMS ? levels[sub] : -1;
}

static int sub_by_name(const char *name, size_t len)
{
	for (int i = 0; i < LOG_SUBSYSTEMS; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return i;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].name) == len && strncasecmp(aliases[i].name, name, len) == 0)
			return aliases[i].sub;
	if (len == 3 && strncasecmp(name, "any", 3) == 0)
		return -1;
	return -2;
}

int log_parse_levels(const char *spec, char *err, size_t errlen)
{
	int parsed[LOG_SUBSYSTEMS];
	memcpy(parsed, levels, sizeof(parsed));
	const char *p = spec;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *name = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		size_t namelen = (size_t)(p - name);
		while (*p == ' ' || *p == '\t')
			p++;
		char *end;
		long lvl = strtol(p, &end, 10);
		if (end == p || lvl < -1 || lvl > 4) {
			snprintf(err, errlen, "charondebug: '%.*s' needs a level from -1 to 4",
			         (int)namelen, name);
			return -1;
		}
		p = end;
		int sub = sub_by_name(name, namelen);
		if (sub == -2) {
			snprintf(err, errlen, "charondebug: unknown subsystem '%.*s'",
			         (int)namelen, name);
			return -1;
		}
		if (sub == -1) {
			for (int i = 0; i < LOG_SUBSYSTEMS; i++)
				parsed[i] = (int)lvl;
		} else {
			parsed[sub] = (int)lvl;
		}
	}
	memcpy(levels, parsed, sizeof(parsed));
	return 0;
}

void log_msg(int sub, int level, const char *fmt, ...)
{
	char raw[2048], line[4 * sizeof(raw)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* a backslash stays: identities in raw are already escaped with
	 * theirs doubled (ident_format), a second pass would double it again */
	esc_text(raw, (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1, line, sizeof(line), 0);
	const char *name = sub >= 0 && sub < LOG_SUBSYSTEMS ? names[sub] : "???";
	if (syslog_mode) {
		syslog(level <= 0 ? LOG_NOTICE : LOG_INFO, "[%s] %s", name, line);
		return;
	}
	if (journal_mode) {
		/* sd-daemon(3) prefixes; the journal stamps the time itself */
		fprintf(stderr, "<%d>[%s] %s\n", level <= 0 ? LOG_ERR : level == 1 ? LOG_INFO :
		        LOG_DEBUG, name, line);
		return;
	}
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02d %02d:%02d:%02d.%03ld [%s] %s\n", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	        (long)(tv.tv_usec / 1000), name, line);
}
