/* cygnetctl's side of the control socket: connect, one line, read the
 * answer until EOF. */
#include "src/cli_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#define ANSWER_MAX (1u << 20)

enum ctl_result ctl_call(const char *path, const char *cmd, int timeout_s, char **answer,
                         char *err, size_t errlen)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	enum ctl_result rc = CTL_FAILED;
	char *buf = NULL, *line = NULL;
	size_t len = 0, cap = 0, cl = strlen(cmd);
	int fd = -1;

	if (answer)
		*answer = NULL;
	if (strlen(path) >= sizeof(un.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return CTL_FAILED;
	}
	strcpy(un.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return CTL_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot reach cygnetd at %s: %s", path, strerror(e));
		close(fd);
		return e == ENOENT || e == ECONNREFUSED ? CTL_NOT_RUNNING : CTL_FAILED;
	}
	struct timeval tv = { timeout_s, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	line = malloc(cl + 2);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(line, cmd, cl);
	line[cl] = '\n';
	if (write(fd, line, cl + 1) != (ssize_t)(cl + 1)) {
		snprintf(err, errlen, "write to %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - len < 4097) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;
			if (ncap > ANSWER_MAX + 4097) {
				snprintf(err, errlen, "answer from cygnetd longer than %u bytes", ANSWER_MAX);
				goto out;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "no answer from cygnetd: %s",
			         errno == EAGAIN ? "timed out" : strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == 0) {
		snprintf(err, errlen, "no answer from cygnetd");
		goto out;
	}
	buf[len] = '\0';
	rc = strncmp(buf, "error:", 6) == 0 ? CTL_ERROR : CTL_OK;
	if (answer) {
		*answer = buf;
		buf = NULL;
	}
out:
	free(line);
	free(buf);
	close(fd);
	return rc;
}
