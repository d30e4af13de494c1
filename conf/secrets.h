/* ipsec.secrets (strongSwan format): ": RSA file", ": ECDSA file",
 * ": PRIVATE file", "user : EAP \"secret\"", "user : EAP secret",
 * "[id ...] : PSK \"secret\"" (no ids: any peer), EAP/XAUTH/PSK secrets
 * also as 0x<hex> or 0s<base64> (unquoted, decoded here), "include GLOB"
 * (relative to the including file's directory), comments, and
 * continuation lines indented under an entry. PSK selectors are kept as
 * written; src/config.c parses them as identities (config_psk). */
#ifndef CYGNET_SECRETS_H
#define CYGNET_SECRETS_H

#include <stddef.h>

enum secret_type { SECRET_RSA, SECRET_ECDSA, SECRET_PRIVATE, SECRET_EAP, SECRET_PSK };

struct secret {
	enum secret_type type;
	char **ids; int n_ids;      /* selectors before ':' (may be empty) */
	char *value;                /* key file path as written, or the secret */
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
/* wipes every secret value with OPENSSL_cleanse-equivalent explicit_bzero */
void secrets_free(struct secrets *s);

#endif
