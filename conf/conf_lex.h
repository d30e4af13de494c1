/* ipsec.conf into raw sections of key=value pairs, includes expanded.
 * Values are unquoted, comments removed; nothing is validated beyond the
 * syntax. Internal to conf/. */
#ifndef CYGNET_CONF_LEX_H
#define CYGNET_CONF_LEX_H

#include <stddef.h>

struct conf_kv {
	char *key;
	char *value;             /* "" for "key=" (reset to the default) */
	const char *file;        /* into conf_raw.files */
	int line;
};

enum conf_sec_kind { SEC_SETUP, SEC_CONN };

struct conf_sec {
	enum conf_sec_kind kind;
	char *name;              /* conn name; NULL for config setup */
	const char *file;
	int line;
	struct conf_kv *kv; int n_kv, cap_kv;
};

struct conf_raw {
	struct conf_sec *secs; int n_secs, cap_secs;
	char **files; int n_files;
};

/* Appends the sections of path (and its includes) to raw. 0, or -1 with
 * one "file:line: ..." line in err. */
int conf_lex_file(struct conf_raw *raw, const char *path, char *err, size_t errlen);
/* Same for text already in memory; name is used in messages and to
 * resolve relative includes. */
int conf_lex_text(struct conf_raw *raw, const char *name, const char *text,
                  char *err, size_t errlen);
/* Builds an ipsec_conf from raw sections (conf/ipsec_conf.c does the
 * checking, exactly as for ipsec.conf; conf/swanctl_conf.c feeds it its
 * translation). Takes raw's file list (kv file names must point into it);
 * raw keeps its sections, the caller frees them. NULL with one
 * "file:line: ..." line in err. */
struct ipsec_conf;
struct ipsec_conf *ipsec_conf_from_raw(struct conf_raw *raw, char *err, size_t errlen);
/* Frees sections and the file list (NULL-safe). */
void conf_raw_free(struct conf_raw *raw);

#endif
