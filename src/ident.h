/* IKE identities: strongSwan's text forms ("@vpn.example.com",
 * "C=CH, O=Org, CN=moon", "198.51.100.1", "user@example.com", "%any")
 * turned into (type, bytes) as carried in ID payloads, and back. */
#ifndef CYGNET_IDENT_H
#define CYGNET_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENT_MAX 512

struct ident {
	uint8_t type;              /* enum id_type; 0 = %any */
	uint8_t data[IDENT_MAX];
	size_t len;
};

/* Parses a strongSwan identity string. 0 on success, -1 (bad DN). */
int ident_parse(const char *s, struct ident *out);
bool ident_is_any(const struct ident *id);
bool ident_eq(const struct ident *a, const struct ident *b);
/* Formats for logs and for matching user names: FQDN / RFC822 as text,
 * addresses as text, DN as "C=.., CN=..". The text is escaped (escape.h,
 * with ESC_BACKSLASH): only printable ASCII, every other byte as \xNN and
 * a backslash as \\, so it is safe in logs, cygnetctl answers and
 * PLUTO_* variables, and two different identities never share a text.
 * A truncated text never ends inside an escape. */
void ident_format(const struct ident *id, char *out, size_t outlen);

#endif
