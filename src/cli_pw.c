/* cygnetctl reading a password from the terminal (no echo) or stdin. */
#include "src/cli_pw.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>

/* the terminal's settings while echo is off, to restore on a signal */
static struct termios saved_tio;
static volatile sig_atomic_t echo_off;

static void restore_echo(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* one line from stdin without its line end into buf (PW_MAX); with tty,
 * prompt on stderr and echo off. Length, or -1 (end of input, too long). */
static int read_line(const char *prompt, bool tty, char *buf)
{
	struct termios tio;
	int len = -1;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
			tio = saved_tio;
			tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) == 0;
		}
	}
	if (fgets(buf, PW_MAX, stdin)) {
		size_t n = strlen(buf);
		bool whole = n > 0 && buf[n - 1] == '\n';
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		len = whole || feof(stdin) ? (int)n : -1;
	}
	if (tty) {
		if (echo_off)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		echo_off = 0;
		fputc('\n', stderr);
	}
	return len;
}

int cli_read_password(char *buf, bool confirm)
{
	char again[PW_MAX];
	bool tty = isatty(STDIN_FILENO);
	int len;

	signal(SIGINT, restore_echo);
	signal(SIGTERM, restore_echo);
	len = read_line("Password: ", tty, buf);
	if (len < 0) {
		fprintf(stderr, "cygnetctl: no password read%s\n",
		        feof(stdin) ? "" : " (longer than 1023 characters)");
		goto fail;
	}
	if (len == 0) {
		fprintf(stderr, "cygnetctl: empty password\n");
		goto fail;
	}
	if (tty && confirm) {
		int n = read_line("Retype password: ", tty, again);
		bool same = n == len && memcmp(buf, again, (size_t)len) == 0;
		OPENSSL_cleanse(again, sizeof(again));
		if (!same) {
			fprintf(stderr, "cygnetctl: the passwords differ\n");
			goto fail;
		}
	}
	return len;
fail:
	OPENSSL_cleanse(buf, PW_MAX);
	return -1;
}
