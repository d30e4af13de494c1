/* Inside first-run (src/firstrun.c, src/firstrun_env.c): what both halves
 * share. Nothing else includes this. */
#ifndef CYGNET_FIRSTRUN_INT_H
#define CYGNET_FIRSTRUN_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the formatted message to err (errlen bytes, truncated, always
 * terminated); does nothing when err is NULL or errlen is 0. Static
 * inline: one source, and no symbol outside first-run. */
static inline void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
