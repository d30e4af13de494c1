/* Text that is safe to print: peer-supplied bytes (identities, EAP user
 * names, certificate DNs, script output) never reach a log line, a
 * terminal, the control socket or a script's environment as raw bytes.
 *
 * The escaped form keeps printable ASCII (0x20..0x7e) as it is and writes
 * every other byte as \xNN (two lower-case hex digits), so ESC, CR, LF,
 * NUL, DEL and bytes >= 0x80 (UTF-8 included) come out as "\x1b", "\x0d",
 * "\x0a", "\x00", "\x7f", "\xc3\xa9".
 *
 * ESC_BACKSLASH also writes a backslash as "\\": the text then maps back
 * to exactly one byte string (used for IKE identities, whose text form
 * is a key for uniqueids and address leases). Without it a backslash
 * stays as it is ("DOMAIN\user" reads naturally); that is the log
 * writer's choice, whose input already holds escaped identities. */
#ifndef CYGNET_ESCAPE_H
#define CYGNET_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#define ESC_BACKSLASH 1u

/* Writes the escaped form of len bytes at in to out (always
 * NUL-terminated when outlen > 0; an escape sequence is never cut: the
 * text ends before it). Returns the length the whole escaped text needs,
 * without the NUL, like snprintf. */
size_t esc_text(const void *in, size_t len, char *out, size_t outlen, unsigned flags);

/* The inside of a JSON string (RFC 8259 §7, without the quotes) for the
 * NUL-terminated s, in printable ASCII only: '"' and '\\' escaped with a
 * backslash, other bytes below 0x20 and DEL as \u00XX, a valid UTF-8
 * sequence as the \uXXXX of its code point (a surrogate pair above
 * U+FFFF), and each byte that is not part of valid UTF-8 (stray
 * continuation bytes, overlong forms, encoded surrogates, beyond
 * U+10FFFF, a cut-short sequence) as \ufffd, the replacement character:
 * the result is always valid JSON. Output and return as esc_text. */
size_t esc_json(const char *s, char *out, size_t outlen);

/* The inside of a label value of the Prometheus text exposition format
 * (version 0.0.4, without the quotes) for the NUL-terminated s: '\\',
 * '"' and a line feed written as \\, \" and \n, as the format wants;
 * a valid UTF-8 sequence of a printable code point kept as it is (the
 * format is UTF-8); every other byte (other control characters, DEL, C1
 * controls, bidirectional and line-separator formatting characters, bytes
 * that are not valid UTF-8) written as the text \xNN, i.e. "\\xNN" in
 * the label (a parser reads the four characters \xNN). The result holds
 * printable ASCII and printable UTF-8 only. Two names can share a result
 * (the byte 0xff and the text \xff): callers that need one series per
 * value merge equal results. Output and return as esc_text. */
size_t esc_prom(const char *s, char *out, size_t outlen);

/* true when every byte of the NUL-terminated s is printable ASCII */
bool esc_is_clean(const char *s);

#endif
