/* conf/radius_conf.c: the eap-radius section of strongswan.conf as
 * Debian lays it out (strongswan.conf including strongswan.d/ files, the
 * plugin's own file strongswan.d/charon/eap-radius.conf), several servers
 * with per-server values and the section's fallbacks, the single-server
 * form, dae, strongSwan's defaults, other sections ignored with one
 * warning each, and errors naming file:line. */
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "conf/radius_conf.h"

static char err[768];
static char dir[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool warned(const struct radius_conf *c, const char *needle)
{
	for (int i = 0; i < c->n_warnings; i++)
		if (strstr(c->warnings[i], needle))
			return true;
	return false;
}

static void debian_layout(void)
{
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/strongswan.d", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/strongswan.d/charon", dir);
	mkdir(sub, 0755);
	put("strongswan.conf",
	    "# strongswan.conf - strongSwan configuration file\n"
	    "charon {\n"
	    "\tload_modular = yes\n"
	    "\tplugins {\n"
	    "\t\tinclude strongswan.d/charon/*.conf\n"
	    "\t}\n"
	    "}\n"
	    "include strongswan.d/*.conf\n");
	put("strongswan.d/starter.conf", "starter {\n\t# load_warning = yes\n}\n");
	put("strongswan.d/charon/kernel-libipsec.conf", "kernel-libipsec {\n\tload = no\n}\n");
	put("strongswan.d/charon/eap-radius.conf",
	    "eap-radius {\n"
	    "    load = yes\n"
	    "    accounting = yes\n"
	    "    accounting_interval = 1m\n"
	    "    nas_identifier = vpn-node-1\n"
	    "    retransmit_timeout = 1.5\n"
	    "    port = 11812\n"
	    "    servers {\n"
	    "        primary {\n"
	    "            address = 198.18.3.10\n"
	    "            secret = testing123\n"
	    "            acct_port = 11813\n"
	    "        }\n"
	    "        backup {\n"
	    "            address = radius2.example\n"
	    "            secret = \"two words\"\n"
	    "            auth_port = 1645\n"
	    "            preference = 10\n"
	    "            nas_identifier = other\n"
	    "            retransmit_tries = 2\n"
	    "            colour = blue\n"
	    "        }\n"
	    "    }\n"
	    "    dae {\n"
	    "        enable = yes\n"
	    "        listen = 198.18.3.1\n"
	    "        secret = daesecret\n"
	    "    }\n"
	    "    xauth {\n"
	    "        foo = bar\n"
	    "    }\n"
	    "}\n");
	struct radius_conf c;
	int rc = radius_conf_load(dir, &c, err, sizeof(err));
	CHECK("debian: loads", rc == 0);
	if (rc)
		printf("# %s\n", err);
	CHECK("debian: enabled, two servers", c.enabled && c.n_servers == 2);
	const struct radius_server_conf *a = &c.servers[0], *b = &c.servers[1];
	CHECK("debian: primary", strcmp(a->name, "primary") == 0 &&
	      strcmp(a->address, "198.18.3.10") == 0 && a->secret_len == 10 &&
	      memcmp(a->secret, "testing123", 10) == 0);
	CHECK("debian: primary takes the section's port", a->auth_port == 11812);
	CHECK("debian: primary acct_port", a->acct_port == 11813);
	CHECK("debian: primary takes the section's nas_identifier",
	      strcmp(a->nas_identifier, "vpn-node-1") == 0);
	CHECK("debian: primary takes the section's retransmits",
	      a->rt.timeout_ms == 1500 && a->rt.base_milli == 1400 && a->rt.tries == 4);
	CHECK("debian: backup's own values", b->auth_port == 1645 && b->acct_port == 1813 &&
	      b->preference == 10 && strcmp(b->nas_identifier, "other") == 0 && b->rt.tries == 2 &&
	      b->rt.timeout_ms == 1500);
	CHECK("debian: quoted secret", b->secret_len == 9 && memcmp(b->secret, "two words", 9) == 0);
	CHECK("debian: accounting every minute", c.accounting && c.accounting_interval == 60);
	CHECK("debian: dae", c.dae.enable && strcmp(c.dae.listen, "198.18.3.1") == 0 &&
	      c.dae.port == 3799 && c.dae.secret_len == 9);
	CHECK("debian: defaults", c.station_id_with_port && c.accounting_close_on_timeout &&
	      !c.eap_start && !c.accounting_requires_vip);
	CHECK("debian: unknown server key warned with file:line",
	      warned(&c, "eap-radius.conf:21: charon.plugins.eap-radius.servers.backup.colour"));
	CHECK("debian: xauth warned", warned(&c, "eap-radius.xauth: not implemented"));
	CHECK("debian: other sections named once",
	      warned(&c, "charon.load_modular: ignored") &&
	      warned(&c, "charon.plugins.kernel-libipsec: ignored") && warned(&c, "starter: ignored"));
	radius_conf_free(&c);
}

static struct radius_conf c;

static int parse(const char *text)
{
	radius_conf_free(&c);
	int rc = radius_conf_parse("s.conf", text, &c, err, sizeof(err));
	if (rc)
		printf("# %s\n", err);
	return rc;
}

static int refused(const char *text, const char *want)
{
	radius_conf_free(&c);
	if (radius_conf_parse("s.conf", text, &c, err, sizeof(err)) == 0) {
		printf("# accepted: %s\n", text);
		return 0;
	}
	if (!strstr(err, want)) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return 0;
	}
	return 1;
}

#define RAD(x) "charon {\n plugins {\n  eap-radius {\n" x "  }\n }\n}\n"

static void forms(void)
{
	CHECK("single: parses", parse(RAD("server = 198.18.3.10\nsecret = s\nport = 1645\n")) == 0);
	CHECK("single: one server", c.enabled && c.n_servers == 1 &&
	      strcmp(c.servers[0].address, "198.18.3.10") == 0 && c.servers[0].auth_port == 1645 &&
	      c.servers[0].acct_port == 1813 &&
	      strcmp(c.servers[0].nas_identifier, "strongSwan") == 0);
	CHECK("single: strongSwan's retransmit defaults", c.servers[0].rt.timeout_ms == 2000 &&
	      c.servers[0].rt.base_milli == 1400 && c.servers[0].rt.tries == 4);
	CHECK("none: no error, off", parse(RAD("accounting = yes\n")) == 0 && !c.enabled &&
	      warned(&c, "no server"));
	CHECK("load = no: off", parse(RAD("load = no\nserver = a\nsecret = b\n")) == 0 &&
	      !c.enabled && warned(&c, "load = no"));
	CHECK("no eap-radius at all: off", parse("charon {\n threads = 4\n}\n") == 0 && !c.enabled);
	CHECK("error: server without secret",
	      refused(RAD("server = 198.18.3.10\n"), "s.conf:4: charon.plugins.eap-radius.server: "
	                                            "no secret"));
	CHECK("error: a servers entry without address",
	      refused(RAD("servers {\n a {\n secret = x\n }\n}\n"), "s.conf:5: charon.plugins."
	              "eap-radius.servers.a: address is missing"));
	CHECK("error: bad port", refused(RAD("server = a\nsecret = b\nport = 70000\n"),
	                                 "s.conf:6: charon.plugins.eap-radius.port: 70000 is not"));
	CHECK("error: dae without secret", refused(RAD("dae {\n enable = yes\n}\n"),
	                                           "dae: enable = yes needs a secret"));
	CHECK("error: bad boolean", refused(RAD("accounting = perhaps\n"),
	                                    "charon.plugins.eap-radius.accounting"));
	CHECK("error: bad retransmit_base", refused(RAD("retransmit_base = 0.5\n"),
	                                            "retransmit_base: not in 1..10"));
	CHECK("error: bad interval", refused(RAD("accounting_interval = soon\n"),
	                                     "accounting_interval"));
	CHECK("error: servers as a value", refused(RAD("servers = x\n"), "must be a section"));
	radius_conf_free(&c);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cygnet-radconf-XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK("mkdtemp", 0);
		CHECK_DONE();
	}
	struct radius_conf none;
	CHECK("missing strongswan.conf: no error, off",
	      radius_conf_load(dir, &none, err, sizeof(err)) == 0 && !none.enabled);
	radius_conf_free(&none);
	debian_layout();
	forms();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	CHECK_DONE();
}
