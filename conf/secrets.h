/* ipsec.secrets (strongSwan format): ": RSA file", ": ECDSA file",
 * ": PRIVATE file", "user : EAP \"secret\"", "user : EAP secret",
 * "user : NTLM 0x<32 hex digits>" (the NT hash of the user's password,
 * RFC 2759 NtPasswordHash, for EAP-MSCHAPv2 without storing the
 * password; also as 0s<base64>: the value must decode to 16 bytes),
 * "[id ...] : PSK \"secret\"" (no ids: any peer), EAP/XAUTH/PSK secrets
 * also as 0x<hex> or 0s<base64> (unquoted, decoded here), "include GLOB"
 * (relative to the including file's directory), comments, and
 * continuation lines indented under an entry. PSK selectors are kept as
 * written; src/config.c parses them as identities (config_psk). */
#ifndef CYGNET_SECRETS_H
#define CYGNET_SECRETS_H

#include <stddef.h>
#include <stdint.h>

enum secret_type { SECRET_RSA, SECRET_ECDSA, SECRET_PRIVATE, SECRET_EAP, SECRET_PSK,
                   SECRET_NTLM };

struct secret {
	enum secret_type type;
	char **ids; int n_ids;      /* selectors before ':' (may be empty) */
	char *value;                /* key file path as written, or the secret
	                             * (SECRET_NTLM: the 16-byte NT hash) */
	size_t value_len;
	char *passphrase;           /* RSA/ECDSA/PRIVATE: the passphrase written after
	                             * the key file ("%prompt" as written), else NULL;
	                             * cygnet does not load encrypted keys yet */
	const char *file;           /* into secrets.files */
	int line;
};

struct secrets {
	struct secret *s; int n;
	char **files; int n_files;
	/* warnings (e.g. an include that matched no file, as strongSwan only
	 * warns there), one "file:line: ..." line each */
	char **warnings; int n_warnings;
};

/* NULL + one "file:line: what is wrong" line in err on failure. */
struct secrets *secrets_load(const char *path, char *err, size_t errlen);
struct secrets *secrets_parse(const char *name, const char *text,
                              char *err, size_t errlen);
/* The ipsec.secrets line for an NT hash, "NAME : NTLM 0x<32 hex>" (no
 * newline), NAME double-quoted (with '"' and '\\' escaped) unless it is
 * one plain word, so secrets_parse reads back exactly name and hash.
 * outlen must be at least 2 * strlen(name) + 45. 0, or -1 for an empty
 * name, a control character in it, or a short buffer. */
int secrets_format_ntlm(const char *name, const uint8_t hash[16], char *out, size_t outlen);

/* wipes every secret value with OPENSSL_cleanse-equivalent explicit_bzero */
void secrets_free(struct secrets *s);

#endif
