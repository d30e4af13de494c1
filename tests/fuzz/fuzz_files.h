/* For the config parser fuzz targets: a configuration directory with
 * include files is written once to a temporary dir, read once through
 * conf/conf_files.c in record mode, and removed again; from then on every
 * file access of the parsers is answered from that snapshot (replay
 * mode). So "include" lines in fuzzed text work, relative ones find the
 * recorded files, and nothing the fuzzer names ever reaches the file
 * system. fuzz_files_setup returns the directory name the parsed text is
 * to be named under ("<dir>/ipsec.conf" finds "<dir>/conf.d/x.conf"). */
#ifndef CYGNET_FUZZ_FILES_H
#define CYGNET_FUZZ_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf_files.h"
#include "conf/ipsec_conf.h"
#include "conf/secrets.h"

struct fuzz_file { const char *name, *text; };

static const struct fuzz_file fuzz_files[] = {
	{ "ipsec.conf", "config setup\n\tuniqueids=yes\ninclude conf.d/*.conf\n" },
	{ "conf.d/a.conf", "conn %default\n\tkeyexchange=ikev2\n\tleft=%any\n" },
	{ "conf.d/b.conf", "conn roadwarrior\n\tleftsubnet=0.0.0.0/0\n\trightsourceip=198.19.0.0/24\n"
	                   "\trightauth=eap-mschapv2\n\tauto=add\ninclude ../more.conf\n" },
	{ "more.conf", "conn other\n\talso=roadwarrior\n\tright=198.18.0.0/15\n" },
	{ "ipsec.secrets", ": RSA server.key\ninclude secrets.d/*.secrets\n" },
	{ "secrets.d/a.secrets", "alice : EAP \"alice password\"\n" },
	{ "secrets.d/b.secrets", "bob : EAP 0x626f62\ninclude ../more.secrets\n" },
	{ "more.secrets", "carol dave : EAP carol\n" },
};

static char fuzz_dir[64];

static inline void fuzz_files_write(const char *dir)
{
	char path[256];

	for (size_t i = 0; i < sizeof(fuzz_files) / sizeof(fuzz_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, fuzz_files[i].name);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
		FILE *f = fopen(path, "w");
		if (!f || fputs(fuzz_files[i].text, f) < 0 || fclose(f) != 0)
			abort();
	}
}

static inline const char *fuzz_files_setup(void)
{
	char path[256], err[512], cmd[128];
	static struct conf_snapshot *snap;

	if (snap)
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/cygnet-fuzzconf-XXXXXX");
	if (!mkdtemp(fuzz_dir))
		abort();
	fuzz_files_write(fuzz_dir);
	snap = conf_snapshot_new();
	if (!snap)
		abort();
	conf_files_record(snap);
	snprintf(path, sizeof(path), "%s/ipsec.conf", fuzz_dir);
	struct ipsec_conf *c = ipsec_conf_load(path, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/ipsec.secrets", fuzz_dir);
	struct secrets *s = secrets_load(path, err, sizeof(err));
	if (!c || !s || s->n != 4) {
		fprintf(stderr, "fuzz_files_setup: %s (%d secrets)\n", c && s ? "" : err,
		        s ? s->n : -1);
		abort();
	}
	ipsec_conf_free(c);
	secrets_free(s);
	conf_files_replay(snap);    /* kept for the life of the process */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_files_setup: could not remove %s\n", fuzz_dir);
	return fuzz_dir;
}

/* the input as a NUL-terminated text for a parser (the caller frees it);
 * NULL for inputs over 64 KiB (no config file is that large) */
static char *fuzz_text(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return NULL;
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

#endif
