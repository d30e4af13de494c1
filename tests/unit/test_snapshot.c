/* conf/conf_files.c: a configuration recorded while loading it from the
 * file system loads again from the snapshot alone (the reload of a
 * daemon that dropped its privileges), with the same certificate, key,
 * conns and secrets; a damaged snapshot is refused. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/unit/check.h"
#include "conf/conf_files.h"
#include "src/config.h"
#include "src/firstrun.h"

static char base[] = "/tmp/cygnet-snapshot-XXXXXX";

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", path);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char dir[256], moved[256], path[PATH_MAX], err[1024] = "";
	struct firstrun_opts o = { .server_id = "vpn.example.org", .pools = { "198.19.0.0/24" },
	                           .n_pools = 1 };
	struct firstrun_result res;

	if (!mkdtemp(base)) {
		printf("not ok mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/conf", base);
	snprintf(moved, sizeof moved, "%s/elsewhere", base);
	int rc = firstrun_create(dir, &o, &res, err, sizeof err);
	CHECK("first-run configuration created", rc == 0);
	if (rc != 0) {
		printf("# %s\n", err);
		rm_rf(base);
		CHECK_DONE();
	}
	firstrun_result_wipe(&res);
	/* an included secrets file and a CA in ipsec.d/cacerts, as operators have */
	snprintf(path, sizeof path, "%s/ipsec.secrets", dir);
	FILE *f = fopen(path, "a");
	if (f) {
		fputs("include extra/*.secrets\n", f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/extra", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/extra/more.secrets", dir);
	CHECK("include written", write_file(path, "alice : EAP \"wonderland\"\n") == 0);

	struct conf_snapshot *snap = conf_snapshot_new();
	conf_files_record(snap);
	struct config *a = config_load(dir, err, sizeof err);
	conf_files_direct();
	CHECK("recorded load", a != NULL);
	if (!a)
		printf("# %s\n", err);

	uint8_t *enc = NULL;
	size_t enclen = 0;
	CHECK("encode", conf_snapshot_encode(snap, &enc, &enclen) == 0 && enclen > 1000);
	conf_snapshot_free(snap);

	/* the files are gone: only the snapshot can answer */
	CHECK("config dir moved away", rename(dir, moved) == 0);
	struct conf_snapshot *back = conf_snapshot_decode(enc, enclen);
	CHECK("decode", back != NULL);
	conf_files_replay(back);
	struct config *b = config_load(dir, err, sizeof err);
	conf_files_direct();
	CHECK("replayed load without the files", b != NULL);
	if (!b)
		printf("# %s\n", err);
	if (a && b) {
		CHECK("same conns", a->n_peers == b->n_peers && a->n_peers == 1 &&
		      strcmp(a->peers[0].name, b->peers[0].name) == 0);
		CHECK("same certificate", X509_cmp(a->peers[0].cert, b->peers[0].cert) == 0);
		CHECK("same private key", EVP_PKEY_eq(a->peers[0].key, b->peers[0].key) == 1);
		CHECK("same CAs", sk_X509_num(a->cacerts) == sk_X509_num(b->cacerts) &&
		      sk_X509_num(b->cacerts) == 1);
		size_t l1 = 0, l2 = 0;
		const char *s1 = config_eap_secret(b, "alice", &l1);
		const char *s2 = config_eap_secret(b, "vpnuser", &l2);
		CHECK("included secret replayed", s1 && l1 == 10 && memcmp(s1, "wonderland", 10) == 0);
		CHECK("main secret replayed", s2 && l2 > 0);
	}
	config_free(b);

	/* a path the snapshot never saw reads as missing, with a reason */
	char why[256] = "";
	conf_files_replay(back);
	char *t = conf_read_file("/etc/hostname", NULL, why, sizeof why);
	conf_files_direct();
	CHECK("unrecorded path is not read", !t && strstr(why, "not read"));
	free(t);
	conf_snapshot_free(back);

	/* every truncation and a flipped length are refused */
	int bad = 0;
	for (size_t cut = 0; cut < enclen; cut += 1 + cut / 8) {
		struct conf_snapshot *s = conf_snapshot_decode(enc, cut);
		if (s) {
			bad++;
			conf_snapshot_free(s);
		}
	}
	CHECK("truncated snapshots refused", bad == 0);
	enc[sizeof("cygnet-snapshot-1") + 4 + 2] ^= 0x80;
	struct conf_snapshot *s = conf_snapshot_decode(enc, enclen);
	CHECK("bad key length refused", s == NULL);
	conf_snapshot_free(s);
	explicit_bzero(enc, enclen);
	free(enc);

	/* and the file system is read directly again */
	CHECK("config dir back", rename(moved, dir) == 0);
	struct config *c = config_load(dir, err, sizeof err);
	CHECK("direct load after replay", c != NULL);
	config_free(c);
	config_free(a);
	rm_rf(base);
	CHECK_DONE();
}
