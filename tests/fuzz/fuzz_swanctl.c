/* libFuzzer target for the swanctl.conf parser (conf/swanctl_lex.c and
 * conf/swanctl_conf.c, with conf/ipsec_conf.c behind it): the input, as
 * text, goes to swanctl_conf_parse under the name of a swanctl.conf in a
 * directory whose includes ("include common.conf", "include conf.d/\*.conf")
 * and key directory (private/) are answered from a snapshot recorded once
 * (conf/conf_files.h replay mode): include globs are fuzzed, the file
 * system is not. The result must be well-formed: error text one line and
 * no result on error; on success every conn named with its file:line,
 * every secret with a value of the stated length, warnings one line each.
 * The same text is then read as a strongswan.conf for its eap-radius
 * section (conf/radius_conf.c): every server found has an address, a
 * secret and ports. Seeds: tests/fuzz/corpus/swanctl/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf_files.h"
#include "conf/radius_conf.h"
#include "conf/swanctl_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct { const char *name, *text; } files[] = {
	{ "swanctl.conf", "connections {\n rw {\n  include common.conf\n }\n}\n"
	                  "include conf.d/*.conf\n" },
	{ "common.conf", "local_addrs = %any\nlocal {\n auth = pubkey\n certs = s.pem\n}\n"
	                 "children {\n c {\n  local_ts = 0.0.0.0/0;::/0\n }\n}\npools = p\n" },
	{ "conf.d/a.conf", "pools {\n p {\n  addrs = 198.19.0.0/24\n  dns = 198.18.0.1\n }\n}\n" },
	{ "conf.d/b.conf", "secrets {\n eap-a {\n  id = alice\n  secret = 0x616c\n }\n}\n"
	                   "include ../more.conf\n" },
	{ "more.conf", "connections { rw { remote { auth = eap-mschapv2\n eap_id = %any } } }\n" },
	{ "private/s.key", "not a key\n" },
};

static char dir[64];

static const char *setup(void)
{
	static struct conf_snapshot *snap;
	char path[256], err[512], cmd[128];

	if (snap)
		return dir;
	snprintf(dir, sizeof(dir), "/tmp/cygnet-fuzzswan-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
		FILE *f = fopen(path, "w");
		if (!f || fputs(files[i].text, f) < 0 || fclose(f) != 0)
			abort();
	}
	snap = conf_snapshot_new();
	if (!snap)
		abort();
	conf_files_record(snap);
	struct ipsec_conf *c;
	struct secrets *s;
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	if (swanctl_conf_load(path, &c, &s, err, sizeof(err)) != 0 || c->n_conns != 1 ||
	    s->n != 2) {
		fprintf(stderr, "fuzz_swanctl setup: %s\n", err);
		abort();
	}
	ipsec_conf_free(c);
	secrets_free(s);
	conf_files_replay(snap);    /* kept for the life of the process */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_swanctl: could not remove %s\n", dir);
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], name[128];
	const char *d = setup();
	struct ipsec_conf *c = NULL;
	struct secrets *s = NULL;

	if (size > 64 * 1024)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	snprintf(name, sizeof(name), "%s/swanctl.conf", d);
	err[0] = '\0';
	int r = swanctl_conf_parse(name, text, &c, &s, err, sizeof(err));
	if (strlen(err) >= sizeof(err) || strchr(err, '\n'))
		abort();
	if (r != 0 && (c || s || !err[0]))
		abort();
	if (r == 0) {
		if (!c || !s || !c->swanctl)
			abort();
		for (int i = 0; i < c->n_conns; i++) {
			const struct conf_conn *k = &c->conns[i];
			if (!k->name || !k->file || k->line < 1)
				abort();
			for (int j = 0; j < k->n_pending; j++)
				if (!k->pending[j].key || !k->pending[j].value || !k->pending[j].file)
					abort();
		}
		for (int i = 0; i < s->n; i++) {
			const struct secret *e = &s->s[i];
			if (!e->value || !e->file || e->n_ids < 0 || (e->n_ids && !e->ids))
				abort();
			volatile uint8_t sum = 0;
			for (size_t j = 0; j < e->value_len; j++)
				sum ^= (uint8_t)e->value[j];
			(void)sum;
		}
		for (int i = 0; i < s->n_warnings; i++)
			if (strchr(s->warnings[i], '\n'))
				abort();
	}
	ipsec_conf_free(c);
	secrets_free(s);

	/* the same syntax read as strongswan.conf for its eap-radius section */
	struct radius_conf rc;
	snprintf(name, sizeof(name), "%s/strongswan.conf", d);
	err[0] = '\0';
	r = radius_conf_parse(name, text, &rc, err, sizeof(err));
	if (strlen(err) >= sizeof(err) || strchr(err, '\n') || (r != 0 && !err[0]))
		abort();
	if (r == 0) {
		if (rc.enabled != (rc.n_servers > 0) || rc.n_servers > RADIUS_MAX_SERVERS)
			abort();
		for (int i = 0; i < rc.n_servers; i++) {
			const struct radius_server_conf *v = &rc.servers[i];
			if (!v->address[0] || !v->secret_len || v->secret_len > RADIUS_SECRET_MAX ||
			    !v->auth_port || !v->acct_port || !v->rt.tries)
				abort();
		}
		for (int i = 0; i < rc.n_warnings; i++)
			if (strchr(rc.warnings[i], '\n'))
				abort();
	}
	radius_conf_free(&rc);
	free(text);
	return 0;
}
