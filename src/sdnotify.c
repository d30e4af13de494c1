/* The sd_notify datagram protocol without libsystemd (sdnotify.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "src/log.h"
#include "src/sdnotify.h"

/* the manager's socket: set once by sdnotify_init before any thread or
 * fork, read-only afterwards */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

void sdnotify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	if (!e)
		return;
	size_t n = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || n < 2 || n >= sizeof(notify_addr.sun_path)) {
		log_err(LOG_DMN, "NOTIFY_SOCKET is not a socket path cygnet can use: the service "
		        "manager will not hear that cygnetd is ready");
	} else {
		memset(&notify_addr, 0, sizeof(notify_addr));
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, e, n);
		/* abstract: a leading NUL, the length counts exactly the name */
		if (e[0] == '@')
			notify_addr.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
		                         (e[0] == '/' ? 1 : 0));
	}
	unsetenv("NOTIFY_SOCKET");
}

int sdnotify(const char *fmt, ...)
{
	if (!notify_len)
		return 1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_dbg(LOG_DMN, "sd_notify: socket: %s", strerror(errno));
		return -1;
	}
	ssize_t sent = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
	                      (const struct sockaddr *)&notify_addr, notify_len);
	int saved = errno;
	close(fd);
	if (sent != n) {
		log_dbg(LOG_DMN, "sd_notify: %s", sent < 0 ? strerror(saved) : "short send");
		return -1;
	}
	return 0;
}

/* at most 200 bytes of printable ASCII */
static void clean_status(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in && in[i] && i + 1 < len && i < 200; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

void sdnotify_ready(const char *fmt, ...)
{
	char raw[256], s[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	clean_status(raw, s, sizeof(s));
	sdnotify("READY=1\nSTATUS=%s", s);
}

void sdnotify_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
	         (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void sdnotify_stopping(void)
{
	sdnotify("STOPPING=1\nSTATUS=stopping: deleting every IKE_SA");
}

void sdnotify_status(const char *text)
{
	char s[256];
	clean_status(text, s, sizeof(s));
	sdnotify("STATUS=%s", s);
}
