/* Unit-test helpers for tests that check the kernel's state through
 * commands (ip(8), ss(8)): run one, or look for a string in its output.
 * Each prints what it saw when the check fails. */
#ifndef CYGNET_TEST_SHELL_H
#define CYGNET_TEST_SHELL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runs cmd; 1 when its output contains needle as want says (prints the
 * output when not) */
static inline int output_has(const char *cmd, const char *needle, int want)
{
	char out[4096];
	size_t n = 0;
	FILE *f = popen(cmd, "r");
	if (!f)
		return 0;
	while (n < sizeof(out) - 1) {
		size_t r = fread(out + n, 1, sizeof(out) - 1 - n, f);
		if (r == 0)
			break;
		n += r;
	}
	out[n] = 0;
	pclose(f);
	if (!!strstr(out, needle) == want)
		return 1;
	printf("# %s: \"%s\" %s in:\n%s", cmd, needle, want ? "missing" : "present", out);
	return 0;
}

static inline int shows(const char *cmd, const char *needle)
{
	return output_has(cmd, needle, 1);
}

static inline int lacks(const char *cmd, const char *needle)
{
	return output_has(cmd, needle, 0);
}

/* runs cmd; 1 when it exited 0 (prints the status when not) */
static inline int run(const char *cmd)
{
	int r = system(cmd);
	if (r != 0)
		printf("# %s: status %d\n", cmd, r);
	return r == 0;
}

#endif
