/* conf/swanctl_conf.c: seed 003's swanctl.conf and common.conf (copied
 * verbatim from seeds/003, the swanctl part of the guide) load
 * into six conns with the fields its ipsec.conf gives; each key's mapping;
 * errors name the swanctl key with file:line; includes (relative, glob,
 * missing); src/config.c picks swanctl.conf when there is no ipsec.conf.
 * Run from the repository root. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "conf/swanctl_conf.h"
#include "src/config.h"

static char err[768];
static char dir[64];

static const char seed_common[] =
	"      local_addrs  = 0.0.0.0/0,::/0\n"
	"      remote_addrs = 0.0.0.0/0,::/0\n"
	"      local {\n"
	"         auth = pubkey\n"
	"         certs = serverCert_myvpnserver.dyndns.org.pem\n"
	"         id = myvpnserver.dyndns.org\n"
	"      }\n"
	"      children {\n"
	"         ikev2clients {\n"
	"            local_ts  = 0.0.0.0/0;::/0\n"
	"            esp_proposals = default\n"
	"         }\n"
	"      }\n"
	"      pools = strongswanippool \n"
	"      unique = never\n"
	"      version = 2\n"
	"      proposals = default\n";

static const char seed_swanctl[] =
	"connections {\n"
	"   rw-eapmschapv2 {\n"
	"      include ./common.conf\n"
	"      remote-eapmschapv2 {\n"
	"         auth = eap-mschapv2\n"
	"         eap_id = %any\n"
	"      }\n"
	"      send_certreq = no\n"
	"      send_cert = always\n"
	"   }\n"
	"   rw-eapmschapv2ios {\n"
	"      include ./common.conf\n"
	"      remote-eapmschapv2ios {\n"
	"         auth = eap-mschapv2\n"
	"         eap_id = %any\n"
	"      }\n"
	"      send_certreq = no\n"
	"      send_cert = always\n"
	"   }\n"
	"   rw-eaptls {\n"
	"      include ./common.conf\n"
	"      remote-eaptls {\n"
	"         auth = eap-tls\n"
	"         certs = clientCert_myvpnclient.pem\n"
	"      }\n"
	"      send_certreq = no\n"
	"   }\n"
	"   rw-eaptlsios {\n"
	"      include ./common.conf\n"
	"      remote-eaptlsios {\n"
	"         auth = eap-tls\n"
	"         certs = clientCert_myvpnclient.pem\n"
	"         id = myVpnClients\n"
	"      }\n"
	"      send_certreq = no\n"
	"      send_cert = always\n"
	"   }\n"
	"   rw-pubkey {\n"
	"      include ./common.conf\n"
	"      remote-pubkey {\n"
	"         auth = pubkey\n"
	"         certs = clientCert_myvpnclient.pem\n"
	"      }\n"
	"      send_certreq = no\n"
	"   }\n"
	"   rw-pubkeyios {\n"
	"      include ./common.conf\n"
	"      remote-pubkeyios {\n"
	"         auth = pubkey\n"
	"         certs = clientCert_myvpnclient.pem\n"
	"         id = myVpnClients\n"
	"      }\n"
	"      send_certreq = no\n"
	"      send_cert = always\n"
	"   }\n"
	"}\n"
	"\n"
	"secrets {\n"
	"   rsa- {\n"
	"      filename=\"serverKey_myvpnserver.dyndns.org.pem\"\n"
	"   }\n"
	"   eap-remoteuser {\n"
	"      id = remoteusername \n"
	"      secret = secretpassword\n"
	"   }\n"
	"}\n"
	"\n"
	"pools {\n"
	"    strongswanippool {\n"
	"        addrs = 10.0.1.0/24\n"
	"\t# dns = 8.8.8.8\n"
	"    }\n"
	"}\n"
	"\n"
	"# Include config snippets\n"
	"include conf.d/*.conf\n"
	"\n"
	"include /var/swanctl/swanctl.conf\n";

static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("# cannot write %s\n", path);
		exit(1);
	}
}

static const struct conf_conn *conn(const struct ipsec_conf *c, const char *name)
{
	for (int i = 0; c && i < c->n_conns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

static const char *net(const struct conf_net *n)
{
	static char b[4][64];
	static int k;
	char a[INET6_ADDRSTRLEN], *o = b[k++ % 4];
	inet_ntop(n->family, n->addr, a, sizeof(a));
	snprintf(o, 64, "%s/%d", a, n->prefix);
	return o;
}

static bool pending(const struct conf_conn *c, const char *key, const char *value)
{
	for (int i = 0; c && i < c->n_pending; i++)
		if (strcmp(c->pending[i].key, key) == 0 && strcmp(c->pending[i].value, value) == 0)
			return true;
	return false;
}

static int warned(const struct secrets *s, const char *part)
{
	int n = 0;
	for (int i = 0; s && i < s->n_warnings; i++)
		n += strstr(s->warnings[i], part) != NULL;
	return n;
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* text as DIR/x.conf; prints the error when it does not load */
static int parse(const char *text, struct ipsec_conf **c, struct secrets **s)
{
	char name[128];
	snprintf(name, sizeof(name), "%s/x.conf", dir);
	int r = swanctl_conf_parse(name, text, c, s, err, sizeof(err));
	if (r != 0)
		printf("# error: %s\n", err);
	return r;
}

/* text must fail with want (DIR/ stripped from err; NULL: any one-line error) */
static int fails(const char *text, const char *want)
{
	struct ipsec_conf *c;
	struct secrets *s;
	char name[128];
	snprintf(name, sizeof(name), "%s/x.conf", dir);
	if (swanctl_conf_parse(name, text, &c, &s, err, sizeof(err)) == 0) {
		ipsec_conf_free(c);
		secrets_free(s);
		printf("# loaded: %s\n", text);
		return 0;
	}
	size_t dl = strlen(dir);
	const char *e = strncmp(err, dir, dl) == 0 ? err + dl + 1 : err;
	if (want ? strcmp(e, want) != 0 : (!*e || strchr(e, '\n') != NULL)) {
		printf("# got  '%s'\n# want '%s'\n", e, want);
		return 0;
	}
	return c == NULL && s == NULL;
}

static void seed003(void)
{
	struct ipsec_conf *c = NULL;
	struct secrets *s = NULL;
	char path[256];
	bool var_exists = access("/var/swanctl/swanctl.conf", F_OK) == 0;

	put("common.conf", seed_common);
	put("swanctl.conf", seed_swanctl);
	put("x509/serverCert_myvpnserver.dyndns.org.pem", "dummy certificate\n");
	put("x509/clientCert_myvpnclient.pem", "dummy certificate\n");
	put("x509ca/caCert.pem", "dummy CA\n");
	put("private/serverKey_myvpnserver.dyndns.org.pem", "dummy key\n");
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	int r = swanctl_conf_load(path, &c, &s, err, sizeof(err));
	if (r != 0 && strstr(err, "EAP method 'tls' is not supported")) {
		/* eap-tls comes with the ipsec.conf side of issue 12: the error
		 * must still name the swanctl key; the rest is checked with the
		 * method cygnet has */
		char want[256];
		snprintf(want, sizeof(want), "%s/swanctl.conf:23: connections.rw-eaptls."
		         "remote-eaptls.auth: EAP method", dir);
		CHECK("seed003: eap-tls refused (not built yet) naming the swanctl key",
		      strncmp(err, want, strlen(want)) == 0);
		printf("# %s\n", err);
		char *t = strdup(seed_swanctl), *p;
		while ((p = strstr(t, "eap-tls")))
			memcpy(p, "eap-md5", 7);
		put("swanctl.conf", t);
		r = swanctl_conf_load(path, &c, &s, err, sizeof(err));
		if (r != 0 && strstr(err, "EAP method 'md5'")) {
			while ((p = strstr(t, "eap-md5")))
				memcpy(p, "pubkey ", 7);
			put("swanctl.conf", t);
			r = swanctl_conf_load(path, &c, &s, err, sizeof(err));
		}
		free(t);
	}
	if (r != 0)
		printf("# error: %s\n", err);
	CHECK("seed003: swanctl.conf loads", r == 0 && c && s);
	if (r != 0)
		return;
	CHECK("seed003: swanctl layout", c->swanctl);
	CHECK("seed003: six conns", c->n_conns == 6);
	static const char *const names[] = { "rw-eapmschapv2", "rw-eapmschapv2ios", "rw-eaptls",
	                                     "rw-eaptlsios", "rw-pubkey", "rw-pubkeyios" };
	for (int i = 0; i < 6 && i < c->n_conns; i++) {
		const struct conf_conn *k = &c->conns[i];
		char n[96];
		snprintf(n, sizeof(n), "seed003: %s: name and order", names[i]);
		CHECK(n, strcmp(k->name, names[i]) == 0);
		snprintf(n, sizeof(n), "seed003: %s: common.conf (hosts, local round)", names[i]);
		CHECK(n, streq(k->left.host, "%any") && streq(k->right.host, "%any") &&
		      k->left.auth == AUTH_PUBKEY &&
		      streq(k->left.cert, "serverCert_myvpnserver.dyndns.org.pem") &&
		      streq(k->left.id, "myvpnserver.dyndns.org") && k->auto_add &&
		      k->autostart == AUTO_ADD);
		snprintf(n, sizeof(n), "seed003: %s: local_ts 0.0.0.0/0;::/0 is both families", names[i]);
		CHECK(n, k->left.n_subnet == 2 && strcmp(net(&k->left.subnet[0]), "0.0.0.0/0") == 0 &&
		      strcmp(net(&k->left.subnet[1]), "::/0") == 0);
		snprintf(n, sizeof(n), "seed003: %s: pool 10.0.1.0/24", names[i]);
		CHECK(n, k->right.n_sourceip == 1 && k->right.sourceip[0].family == AF_INET &&
		      k->right.sourceip[0].from[3] == 1 && k->right.sourceip[0].to[3] == 254 &&
		      k->right.n_dns == 0);
		snprintf(n, sizeof(n), "seed003: %s: default proposals, swanctl lifetimes", names[i]);
		CHECK(n, !k->ike_set && !k->esp_set && k->rekey && !k->reauth &&
		      k->lifetime == 3960 && k->margintime == 360 && k->rekeyfuzz == 100 &&
		      k->ikelifetime == 14400 + 360 && k->keyingtries == 1 && k->dpdaction == DPD_NONE);
		snprintf(n, sizeof(n), "seed003: %s: send_certreq = no", names[i]);
		CHECK(n, k->no_certreq);
		bool always = strstr(names[i], "ios") || strcmp(names[i], "rw-eapmschapv2") == 0;
		snprintf(n, sizeof(n), "seed003: %s: send_cert", names[i]);
		CHECK(n, k->left.sendcert == (always ? SENDCERT_ALWAYS : SENDCERT_IFASKED));
		bool ios = strstr(names[i], "tlsios") || strstr(names[i], "pubkeyios");
		snprintf(n, sizeof(n), "seed003: %s: remote id", names[i]);
		CHECK(n, ios ? streq(k->right.id, "myVpnClients") : k->right.id == NULL);
	}
	const struct conf_conn *m = conn(c, "rw-eapmschapv2");
	CHECK("seed003: eap-mschapv2 with eap_id %any asks for the identity",
	      m && m->right.auth == AUTH_EAP_MSCHAPV2 && streq(m->eap_identity, "%identity") &&
	      m->right.cert == NULL);
	const struct conf_conn *p = conn(c, "rw-pubkey");
	CHECK("seed003: rw-pubkey: remote pubkey with its certificate",
	      p && p->right.auth == AUTH_PUBKEY && streq(p->right.cert, "clientCert_myvpnclient.pem"));
	CHECK("seed003: unique = never", c->uniqueids == UNIQUE_NEVER);
	/* the files: conns point into swanctl.conf, keys into common.conf */
	CHECK("seed003: conn file:line", p && strstr(p->file, "/swanctl.conf") && p->line == 38);
	/* warnings: the ';' once (common.conf is included six times), the
	 * missing plain include; the glob conf.d/\*.conf that matches nothing
	 * is silent */
	CHECK("seed003: one warning for ';' naming common.conf:10",
	      warned(s, "common.conf:10: local_ts: '0.0.0.0/0;::/0'") == 1 &&
	      warned(s, "would use only '0.0.0.0/0'") == 1);
	CHECK("seed003: missing /var/swanctl/swanctl.conf is a warning",
	      var_exists || warned(s, "swanctl.conf:78: include '/var/swanctl/swanctl.conf'") == 1);
	CHECK("seed003: conf.d/*.conf matching nothing is silent", warned(s, "conf.d") == 0);
	/* secrets: the EAP user and the key found in private/ */
	int eap = -1, key = -1;
	for (int i = 0; i < s->n; i++) {
		if (s->s[i].type == SECRET_EAP)
			eap = i;
		if (s->s[i].type == SECRET_PRIVATE)
			key = i;
	}
	CHECK("seed003: eap-remoteuser", eap >= 0 && s->s[eap].n_ids == 1 &&
	      strcmp(s->s[eap].ids[0], "remoteusername") == 0 && s->s[eap].value_len == 14 &&
	      strcmp(s->s[eap].value, "secretpassword") == 0 && s->s[eap].line == 64);
	CHECK("seed003: private/ key listed", key >= 0 &&
	      strcmp(s->s[key].value, "serverKey_myvpnserver.dyndns.org.pem") == 0 &&
	      s->s[key].passphrase == NULL);
	CHECK("seed003: two secrets", s->n == 2);
	CHECK("seed003: layout dirs", strcmp(swanctl_subdir(true, SUBDIR_CERTS), "x509") == 0 &&
	      strcmp(swanctl_subdir(false, SUBDIR_CACERTS), "ipsec.d/cacerts") == 0 &&
	      strcmp(swanctl_key_subdir(true, SECRET_ECDSA), "ecdsa") == 0);
	ipsec_conf_free(c);
	secrets_free(s);
}

static void mappings(void)
{
	struct ipsec_conf *c = NULL;
	struct secrets *s = NULL;

	/* a client: a specific remote, strict proposals, start, DPD, rounds */
	if (parse("connections {\n"
	          " home {\n"
	          "  remote_addrs = vpn.example.com\n"
	          "  local_addrs = 198.18.0.2\n"
	          "  vips = 0.0.0.0, ::\n"
	          "  proposals = aes256-sha256-modp2048\n"
	          "  rekey_time = 0\n"
	          "  reauth_time = 2h\n"
	          "  over_time = 10m\n"
	          "  dpd_delay = 20s\n"
	          "  keyingtries = 0\n"
	          "  encap = yes\n"
	          "  mobike = no\n"
	          "  fragmentation = force\n"
	          "  send_cert = never\n"
	          "  unique = keep\n"
	          "  local { auth = eap-mschapv2\n"
	          "    eap_id = alice\n"
	          "    id = alice@example.com\n"
	          "  }\n"
	          "  remote { id = vpn.example.com\n"
	          "  }\n"
	          "  children { net {\n"
	          "    remote_ts = 10.0.0.0/8, 2001:db8::/32\n"
	          "    esp_proposals = aes128gcm16, default\n"
	          "    start_action = start\n"
	          "    close_action = start\n"
	          "    dpd_action = trap\n"
	          "    rekey_time = 30m\n"
	          "    life_time = 40m\n"
	          "    rand_time = 5m\n"
	          "  } }\n"
	          " }\n"
	          " other { unique = no\n"
	          "  remote { auth = pubkey\n groups = admins, ops }\n"
	          "  remote2 { auth = eap-mschapv2\n eap_id = %any }\n"
	          "  pools = p4, p6\n"
	          "  rekey_time = 1h\n"
	          " }\n"
	          "}\n"
	          "pools {\n"
	          " p4 { addrs = 198.19.0.10-198.19.0.20\n dns = 198.18.0.1\n nbns = 198.18.0.2 }\n"
	          " p6 { addrs = 2001:db8:1::/120\n dns = 2001:db8::1 }\n"
	          "}\n"
	          "secrets {\n"
	          " ike-1 { id-a = alice@example.com\n id-b = vpn.example.com\n secret = 0x6b6579 }\n"
	          " eap-x { id = alice\n secret = \"pass # word\" }\n"
	          " eap-y { id = bob\n secret = 0sYm9i }\n"
	          " ecdsa-k { file = nothere.pem\n secret = unlock }\n"
	          "}\n", &c, &s) != 0) {
		CHECK("mappings load", 0);
		return;
	}
	const struct conf_conn *h = conn(c, "home"), *o = conn(c, "other");
	CHECK("map: hosts", h && streq(h->right.host, "vpn.example.com") &&
	      streq(h->left.host, "198.18.0.2"));
	CHECK("map: vips -> leftsourceip (both families)", h && h->left.want_vip4 && h->left.want_vip6);
	CHECK("map: proposals without default are strict", h && h->ike_set && h->ike.strict);
	CHECK("map: esp_proposals with default are not", h && h->esp_set && !h->esp.strict);
	CHECK("map: reauth_time -> reauth=yes, ikelifetime = reauth_time + child margin",
	      h && h->rekey && h->reauth && h->margintime == 600 && h->ikelifetime == 7200 + 600);
	CHECK("map: child life_time/rekey_time/rand_time", h && h->lifetime == 2400 &&
	      h->rekeyfuzz == 50);
	CHECK("map: dpd_delay with dpd_action trap -> hold", h && h->dpddelay == 20 &&
	      h->dpdaction == DPD_HOLD);
	CHECK("map: start_action start, close_action start -> restart",
	      h && h->autostart == AUTO_START && h->closeaction == DPD_RESTART);
	CHECK("map: keyingtries 0 = forever, encap, mobike, fragmentation",
	      h && h->keyingtries == 0 && h->forceencaps && !h->mobike &&
	      h->fragmentation == FRAG_FORCE);
	CHECK("map: send_cert never", h && h->left.sendcert == SENDCERT_NEVER);
	CHECK("map: local round: eap auth, eap_id, id", h && h->left.auth == AUTH_EAP_MSCHAPV2 &&
	      streq(h->eap_identity, "alice") && streq(h->left.id, "alice@example.com") &&
	      streq(h->right.id, "vpn.example.com") && h->right.auth == AUTH_PUBKEY);
	CHECK("map: remote_ts", h && h->right.n_subnet == 2 &&
	      strcmp(net(&h->right.subnet[1]), "2001:db8::/32") == 0);
	CHECK("map: send_certreq default yes", h && !h->no_certreq);
	CHECK("map: second remote round -> rightauth2",
	      o && o->right.auth == AUTH_PUBKEY && o->right.auth2 == AUTH_EAP_MSCHAPV2 &&
	      streq(o->eap_identity, "%identity") &&
	      !pending(o, "connections.other.remote2.auth", "eap-mschapv2"));
	CHECK("map: no children: over_time/rand_time defaults (10%)", o &&
	      o->margintime == 360 && o->rekeyfuzz == 100 && o->ikelifetime == 3960 && !o->reauth);
	CHECK("map: two pools, their dns", o && o->right.n_sourceip == 2 && o->right.n_dns == 2 &&
	      o->right.sourceip[0].family == AF_INET && o->right.sourceip[1].family == AF_INET6);
	CHECK("map: pool nbns pending", pending(o, "pools.p4.nbns", "198.18.0.2"));
	CHECK("map: remote groups -> rightgroups", o && streq(o->right.groups, "admins, ops"));
	CHECK("map: each range keeps its pool's name (Framed-Pool)", o &&
	      streq(o->pool_name[0], "p4") && streq(o->pool_name[1], "p6"));
	CHECK("map: defaults: left/right %any, keyingtries 1", o && streq(o->left.host, "%any") &&
	      streq(o->right.host, "%any") && o->keyingtries == 1 && o->autostart == AUTO_ADD);
	CHECK("map: unique: strictest (keep) with a warning", c->uniqueids == UNIQUE_KEEP &&
	      warned(s, "x.conf:16: unique: the connections ask for different values") == 1);
	CHECK("map: secrets: PSK with ids, hex", s->n >= 3 && s->s[0].type == SECRET_PSK &&
	      s->s[0].n_ids == 2 && s->s[0].value_len == 3 && memcmp(s->s[0].value, "key", 3) == 0);
	CHECK("map: secrets: quoted EAP secret keeps '#'", s->n >= 3 && s->s[1].type == SECRET_EAP &&
	      strcmp(s->s[1].value, "pass # word") == 0);
	CHECK("map: secrets: base64", s->n >= 3 && strcmp(s->s[2].value, "bob") == 0);
	CHECK("map: passphrase for a missing key file warns",
	      warned(s, "secrets.ecdsa-k: no key file 'nothere.pem'") == 1);
	ipsec_conf_free(c);
	secrets_free(s);
}

static void errors(void)
{
	CHECK("err: unknown conn keyword",
	      fails("connections {\n a {\n  bogus = 1\n }\n}\n",
	            "x.conf:3: unknown keyword 'bogus' in connections.a"));
	CHECK("err: unknown section in a conn",
	      fails("connections {\n a {\n  foo {\n  }\n }\n}\n",
	            "x.conf:3: unknown section 'foo' in connections.a"));
	CHECK("err: unknown top-level section",
	      fails("conections {\n}\n", "x.conf:1: unknown section 'conections' (expected the "
	            "sections connections, secrets and pools)"));
	CHECK("err: a value checked by the ipsec.conf code names the swanctl key",
	      fails("connections {\n a {\n  local {\n   auth = bogus\n  }\n }\n}\n",
	            "x.conf:4: connections.a.local.auth: unknown authentication method 'bogus' "
	            "(expected pubkey, psk, eap-mschapv2, eap-tls, eap-md5, eap-radius or eap)"));
	CHECK("err: bad subnet in local_ts",
	      fails("connections {\n a {\n  children {\n   c {\n    local_ts = 10.0.0.0/33\n"
	            "   }\n  }\n }\n}\n", NULL));
	CHECK("err: IKEv1", fails("connections {\n a {\n  version = 1\n }\n}\n",
	                           "x.conf:3: connections.a.version: IKEv1 is not supported"));
	{
		struct ipsec_conf *rc = NULL;
		struct secrets *rs = NULL;
		int r = parse("connections {\n r {\n  remote { auth = eap-radius\n eap_id = %any }\n"
		              "  pools = radius, p4\n }\n}\npools {\n p4 { addrs = 10.3.0.0/24 }\n}\n",
		              &rc, &rs);
		const struct conf_conn *x = r == 0 ? conn(rc, "r") : NULL;
		CHECK("map: pools = radius -> rightsourceip=%radius (with the other pools)",
		      x && x->right.auth == AUTH_EAP_RADIUS && x->right.sourceip_radius &&
		      x->right.n_sourceip == 1);
		CHECK("map: %radius takes no name, p4's range keeps it", x &&
		      streq(x->pool_name[0], "p4") && !x->pool_name[1][0]);
		ipsec_conf_free(rc);
		secrets_free(rs);
	}
	CHECK("err: unknown pool", fails("connections {\n a {\n  pools = nope\n }\n}\n",
	                                 "x.conf:3: connections.a.pools: no pool 'nope' in the "
	                                 "pools section"));
	CHECK("err: bad pool addrs at its line",
	      fails("pools {\n p {\n  addrs = 10.0.0.300/24\n }\n}\n", NULL));
	CHECK("err: two children",
	      fails("connections {\n a {\n  children {\n   x {\n   }\n   y {\n   }\n  }\n }\n}\n",
	            "x.conf:6: connections.a.children.y: cygnet has one child per connection "
	            "(x is the first; make another connection)"));
	CHECK("err: unterminated quote", fails("secrets {\n eap-a {\n  secret = \"abc\n }\n}\n",
	                                       "x.conf:3: unterminated quoted value"));
	CHECK("err: section not closed", fails("connections {\n a {\n}\n",
	                                       "x.conf:1: section 'connections' is not closed with "
	                                       "'}' in this file"));
	CHECK("err: stray }", fails("}\n", "x.conf:1: '}' without a section to close"));
	CHECK("err: section references", fails("connections {\n a : b {\n }\n}\n",
	                                       "x.conf:2: section references ('a : ...') are not "
	                                       "supported"));
	CHECK("err: key and section of one name",
	      fails("connections {\n a {\n }\n a = 1\n}\n", NULL));
	CHECK("err: EAP secret without id", fails("secrets {\n eap-a {\n  secret = x\n }\n}\n",
	                                          "x.conf:2: secrets.eap-a: an EAP secret needs an "
	                                          "id (the user name)"));
	CHECK("err: NTLM not yet", fails("secrets {\n ntlm-a {\n  secret = 0x00\n }\n}\n",
	                                 "x.conf:2: secrets.ntlm-a: NTLM secrets are not supported "
	                                 "yet (write the password in an eap<suffix> section)"));
	CHECK("err: bad hex secret", fails("secrets {\n ike {\n  secret = 0xzz\n }\n}\n",
	                                   "x.conf:3: secrets.ike.secret: malformed 0x (hex) or 0s "
	                                   "(base64) value"));
	CHECK("err: life_time not above rekey_time",
	      fails("connections {\n a {\n  children {\n   c {\n    rekey_time = 1h\n"
	            "    life_time = 1h\n   }\n  }\n }\n}\n",
	            "x.conf:6: connections.a.children.c.life_time: life_time must be longer than "
	            "rekey_time"));
	CHECK("err: a mapped ipsec.conf value (fragmentation)",
	      fails("connections {\n a {\n  fragmentation = maybe\n }\n}\n",
	            "x.conf:3: connections.a.fragmentation: 'maybe' is not one of yes, no, accept, "
	            "force"));
	CHECK("err: mode transport", fails("connections {\n a {\n  children {\n   c {\n"
	                                   "    mode = transport\n   }\n  }\n }\n}\n",
	                                   "x.conf:5: connections.a.children.c.mode: mode transport "
	                                   "is not supported (only tunnel)"));
	put("loop.conf", "include loop.conf\n");
	CHECK("err: include loop", fails("include loop.conf\n", "loop.conf:1: includes nested "
	                                 "more than 16 deep (an include loop?)"));
}

static void includes(void)
{
	struct ipsec_conf *c = NULL;
	struct secrets *s = NULL;

	put("inc/one.conf", "  remote { auth = eap-mschapv2 }\n  include sub/*.conf\n");
	put("inc/sub/a.conf", "  send_cert = always\n");
	put("inc/sub/b.conf", "  dpd_delay = 5m\n");
	put("inc/secrets.conf", "eap-a { id = a\n secret = b }\n");
	if (parse("connections {\n a {\n  include inc/one.conf\n  include nothere.conf\n"
	          "  include none/*.conf\n }\n}\nsecrets {\n include inc/secrets.conf\n}\n",
	          &c, &s) != 0) {
		CHECK("includes load", 0);
		return;
	}
	const struct conf_conn *a = conn(c, "a");
	CHECK("include: relative to the including file, inside a section",
	      a && a->right.auth == AUTH_EAP_MSCHAPV2);
	CHECK("include: glob relative to the included file", a && a->left.sendcert ==
	      SENDCERT_ALWAYS && a->dpddelay == 300 && a->dpdaction == DPD_CLEAR);
	CHECK("include: missing file is a warning", warned(s, "x.conf:4: include 'nothere.conf': "
	                                                   "No such file") == 1);
	CHECK("include: glob matching nothing is silent", s->n_warnings == 1);
	CHECK("include: files recorded", c->n_files == 5);
	/* s->s[1] is the key seed003() left in DIR/private */
	CHECK("include: secrets in an included file", s->n == 2 && s->s[0].type == SECRET_EAP &&
	      strstr(s->s[0].file, "inc/secrets.conf") && s->s[0].line == 2);
	ipsec_conf_free(c);
	secrets_free(s);
	/* a later key overrides, a reopened section merges */
	if (parse("connections {\n a {\n  local { id = one }\n  send_cert = never\n }\n"
	          " a {\n  local { auth = psk }\n  send_cert = always\n }\n}\n", &c, &s) == 0) {
		a = conn(c, "a");
		CHECK("merge: reopened sections merge, later keys win", c->n_conns == 1 && a &&
		      streq(a->left.id, "one") && a->left.auth == AUTH_PSK &&
		      a->left.sendcert == SENDCERT_ALWAYS);
		ipsec_conf_free(c);
		secrets_free(s);
	} else {
		CHECK("merge loads", 0);
	}
}

/* src/config.c: swanctl.conf when there is no ipsec.conf */
static void which_file(void)
{
	char d2[300], path[400];
	snprintf(d2, sizeof(d2), "%s/cfg", dir);
	mkdir(d2, 0700);
	snprintf(path, sizeof(path), "%s/swanctl.conf", d2);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("connections {\n a {\n  bogus = 1\n }\n}\n", f);
		fclose(f);
	}
	struct config *cfg = config_load(d2, err, sizeof(err));
	CHECK("config_load: no ipsec.conf -> swanctl.conf", !cfg && strstr(err, "swanctl.conf:3: "
	                                                                   "unknown keyword 'bogus'"));
	config_free(cfg);
	snprintf(path, sizeof(path), "%s/ipsec.conf", d2);
	f = fopen(path, "w");
	if (f) {
		fputs("conn x\n\tbogus=1\n", f);
		fclose(f);
	}
	cfg = config_load(d2, err, sizeof(err));
	CHECK("config_load: both -> ipsec.conf", !cfg && strstr(err, "ipsec.conf:2: unknown "
	                                                        "keyword 'bogus'"));
	config_free(cfg);
	/* RADIUS's Framed-Pool names swanctl's pools by their section name */
	unlink(path);
	snprintf(path, sizeof(path), "%s/swanctl.conf", d2);
	f = fopen(path, "w");
	if (f) {
		fputs("connections {\n a {\n  local { auth = psk }\n  remote { auth = psk }\n"
		      "  pools = vip4, vip6\n }\n b {\n  local { auth = psk }\n"
		      "  remote { auth = psk\n id = putin }\n  pools = own\n }\n}\n"
		      "pools {\n vip4 { addrs = 10.3.0.0/24 }\n vip6 { addrs = fd00:3::/120 }\n"
		      " own { addrs = 10.3.0.99 }\n}\n"
		      "secrets {\n ike-1 { secret = 0x0123456789abcdef0123456789abcdef }\n}\n", f);
		fclose(f);
	}
	cfg = config_load(d2, err, sizeof(err));
	int why = 0;
	CHECK("config_load: swanctl pools by name", cfg &&
	      config_pool_named(cfg, "vip4", AF_INET, &why) == cfg->peers[0].pool4 &&
	      config_pool_named(cfg, "vip6", AF_INET6, &why) == cfg->peers[0].pool6 &&
	      config_pool_named(cfg, "10.3.0.0/24", AF_INET, &why) == cfg->peers[0].pool4);
	why = 0;
	CHECK("config_load: swanctl: the conn's name is no pool name", cfg &&
	      !config_pool_named(cfg, "a", AF_INET, &why) && why == CFG_POOL_UNKNOWN);
	why = 0;
	CHECK("config_load: swanctl: a per-identity connection's pool is never picked", cfg &&
	      !config_pool_named(cfg, "own", AF_INET, &why) && why == CFG_POOL_PRIVATE);
	if (!cfg)
		printf("# %s\n", err);
	config_free(cfg);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cygnet-swanctl-XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK("mkdtemp", 0);
		CHECK_DONE();
	}
	seed003();
	mappings();
	errors();
	includes();
	which_file();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	CHECK_DONE();
}
