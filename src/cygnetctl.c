/* cygnetctl: asks the running cygnetd over its control socket; the
 * commands user (cli_user.h), profile (cli_profile.h) and hash-password
 * work on the config dir's files (with or without a running daemon). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <openssl/crypto.h>
#include "conf/secrets.h"
#include "crypto/mschap.h"
#include "src/cli_profile.h"
#include "src/cli_pw.h"
#include "src/cli_user.h"
#include "src/ctl.h"
#include "src/version.h"

/* ---- hash-password ---- */

/* "cygnetctl hash-password [NAME]": the ipsec.secrets line
 * "NAME : NTLM 0x<NT hash>" for a password read from the terminal
 * (twice, without echo) or from stdin when it is no terminal (the first
 * line). Without NAME, only the 0x<hash> value. */
static int hash_password(const char *name)
{
	char pw[PW_MAX], line[2 * PW_MAX];
	uint8_t hash[16];
	int rc = 1, len;

	len = cli_read_password(pw, true);
	if (len < 0)
		goto out;
	if (mschap_nt_hash(pw, (size_t)len, hash) != 0) {
		fprintf(stderr, "cygnetctl: the password is not valid UTF-8 of at most 256 "
		        "characters (RFC 2759)\n");
		goto out;
	}
	if (!name) {
		printf("0x");
		for (int i = 0; i < 16; i++)
			printf("%02x", hash[i]);
		printf("\n");
		rc = 0;
	} else if (secrets_format_ntlm(name, hash, line, sizeof(line)) != 0) {
		fprintf(stderr, "cygnetctl: '%s' cannot be an account name\n", name);
	} else {
		printf("%s\n", line);
		rc = 0;
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cygnetctl [-c CONFDIR] [-s SOCKET] COMMAND\n"
	        "  status [--json]        established IKE_SAs: user, address, virtual IPs,\n"
	        "                         algorithms, uptime, bytes and packets\n"
	        "  leases [--json]        address pools and their leases\n"
	        "  list-certs [--json]    the server's certificates and CAs\n"
	        "  metrics                counters and gauges in the Prometheus text format\n"
	        "  log-level SUBSYS LEVEL change a log level (\"ike 2\", \"any 1\")\n"
	        "  terminate USER|VIP|#ID end sessions (the client gets a DELETE)\n"
	        "  up NAME                connect conn NAME (cygnet as a client)\n"
	        "  down NAME              close conn NAME and stop keeping it up\n"
	        "  reload [--purge]       read ipsec.conf and ipsec.secrets again; tunnels\n"
	        "                         stay up; --purge ends sessions of removed users\n"
	        "                         and conns\n"
	        "  auth-limits [--json]   failed logins: backed-off accounts and addresses\n"
	        "  auth-limits --clear NAME|ADDR  lift the back-off of one account or address\n"
	        "  redirect               where new clients go, moves under way\n"
	        "  redirect --to HOST [USER|VIP|#ID|all]  send new clients (no target, or\n"
	        "                         all) to HOST (an address or DNS name); move the\n"
	        "                         named established clients there (RFC 5685)\n"
	        "  redirect --off         serve new clients here again\n"
	        "  hash-password [NAME]   read a password (from the terminal without echo,\n"
	        "                         or stdin) and print the ipsec.secrets line\n"
	        "                         NAME : NTLM 0x<its NT hash> (runs without cygnetd)\n"
	        "%s%s"
	        "  version\n"
	        "  -c CONFDIR             the config dir of user and profile (default "
	        CYGNET_CONFDIR ")\n"
	        "  -s SOCKET              control socket (default " CTL_DEFAULT_PATH ")\n",
	        cli_user_usage, cli_profile_usage);
}

int main(int argc, char **argv)
{
	const char *path = CTL_DEFAULT_PATH, *confdir = CYGNET_CONFDIR;
	int i = 1;
	while (i + 1 < argc && (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0)) {
		if (argv[i][1] == 's')
			path = argv[i + 1];
		else
			confdir = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
		printf("cygnet %s\n", CYGNET_VERSION);
		return 0;
	}
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[i], "user") == 0)
		return cli_user(argc - i, argv + i, confdir, path);
	if (strcmp(argv[i], "profile") == 0)
		return cli_profile(argc - i, argv + i, confdir);
	if (strcmp(argv[i], "hash-password") == 0) {
		if (argc - i > 2) {
			usage(stderr);
			return 2;
		}
		return hash_password(i + 1 < argc ? argv[i + 1] : NULL);
	}
	char cmd[512];
	size_t len = 0;
	for (; i < argc; i++) {
		int n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", len ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(cmd) - len) {
			fprintf(stderr, "cygnetctl: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	if (strcmp(cmd, "status") != 0 && strcmp(cmd, "status --json") != 0 &&
	    strcmp(cmd, "leases") != 0 && strcmp(cmd, "leases --json") != 0 &&
	    strcmp(cmd, "list-certs --json") != 0 && strcmp(cmd, "metrics") != 0 &&
	    strncmp(cmd, "terminate ", 10) != 0 &&
	    strncmp(cmd, "up ", 3) != 0 && strncmp(cmd, "down ", 5) != 0 &&
	    strcmp(cmd, "list-certs") != 0 && strncmp(cmd, "log-level ", 10) != 0 &&
	    strcmp(cmd, "reload") != 0 && strcmp(cmd, "reload --purge") != 0 &&
	    strcmp(cmd, "auth-limits") != 0 && strcmp(cmd, "auth-limits --json") != 0 &&
	    strncmp(cmd, "auth-limits --clear ", 20) != 0 && strcmp(cmd, "redirect") != 0 &&
	    strncmp(cmd, "redirect ", 9) != 0) {
		usage(stderr);
		return 2;
	}
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(un.sun_path)) {
		fprintf(stderr, "cygnetctl: socket path too long\n");
		return 2;
	}
	strcpy(un.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0) {
		fprintf(stderr, "cygnetctl: cannot reach cygnetd at %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cmd[len++] = '\n';
	if (write(fd, cmd, len) != (ssize_t)len) {
		fprintf(stderr, "cygnetctl: write: %s\n", strerror(errno));
		return 1;
	}
	char buf[4096];
	ssize_t n;
	int rc = 0, first = 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 6 && memcmp(buf, "error:", 6) == 0)
			rc = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "cygnetctl: no answer from cygnetd\n");
		return 1;
	}
	return rc;
}
