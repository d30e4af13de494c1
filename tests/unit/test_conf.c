/* conf/ipsec_conf.c: the seed guides' ipsec.conf files (tests/unit/data,
 * taken from seeds/000-003) load with the right values; every error is
 * one "file:line: ..." line. Run from the repository root. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "tests/unit/check.h"
#include "conf/ipsec_conf.h"
#include "crypto/algs.h"

#define D "tests/unit/data/"

static char err[512];

/* "key=value@line key=value@line ..." */
static const char *pend_str(const struct conf_pending *p, int n)
{
	static char buf[2048];
	size_t pos = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s=%s@%d", i ? " " : "",
		                        p[i].key, p[i].value, p[i].line);
	return buf;
}

static const char *addr_str(int family, const uint8_t *a)
{
	static char bufs[4][INET6_ADDRSTRLEN];
	static int k;
	char *b = bufs[k++ % 4];

	inet_ntop(family, a, b, INET6_ADDRSTRLEN);
	return b;
}

static int net_is(const struct conf_net *n, const char *addr, int prefix)
{
	return strcmp(addr_str(n->family, n->addr), addr) == 0 && n->prefix == prefix;
}

static int range_is(const struct conf_range *r, const char *from, const char *to)
{
	return strcmp(addr_str(r->family, r->from), from) == 0 &&
	       strcmp(addr_str(r->family, r->to), to) == 0;
}

static int dns_is(const struct conf_addr *a, const char *s)
{
	return strcmp(addr_str(a->family, a->addr), s) == 0;
}

static const struct conf_conn *conn(const struct ipsec_conf *c, const char *name)
{
	for (int i = 0; c && i < c->n_conns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

static int streq_or_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* parses text, expects failure with exactly want */
static int fails(const char *text, const char *want)
{
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", text, err, sizeof(err));

	if (c) {
		ipsec_conf_free(c);
		printf("# parsed: %s\n", text);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return 0;
	}
	return 1;
}

static int load_fails(const char *path, const char *want)
{
	struct ipsec_conf *c = ipsec_conf_load(path, err, sizeof(err));

	if (c) {
		ipsec_conf_free(c);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return 0;
	}
	return 1;
}

static struct ipsec_conf *parse(const char *text)
{
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", text, err, sizeof(err));
	if (!c)
		printf("# error: %s\n", err);
	return c;
}

static void seed000(void)
{
	struct ipsec_conf *c = ipsec_conf_load(D "seed000.conf", err, sizeof(err));
	const struct conf_conn *w, *a;

	CHECK("seed000 loads", c != NULL);
	if (!c) {
		printf("# %s\n", err);
		return;
	}
	CHECK("seed000 uniqueids=no", c->uniqueids == UNIQUE_NO);
	CHECK("seed000 charondebug commented out", c->charondebug == NULL);
	CHECK("seed000 tun default", strcmp(c->tun_name, "cygnet0") == 0 && c->user == NULL);
	CHECK("seed000 no setup pending", c->n_pending == 0);
	CHECK("seed000 two conns", c->n_conns == 2);
	CHECK("seed000 files", c->n_files == 1 && strcmp(c->files[0], D "seed000.conf") == 0);
	w = conn(c, "ikev2-mschapv2");
	a = conn(c, "ikev2-mschapv2-apple");
	CHECK("seed000 conn names", w && a && w == &c->conns[0]);
	if (!w || !a)
		goto out;
	CHECK("seed000 conn file:line", w->file == c->files[0] && w->line == 42 && a->line == 46);
	CHECK("seed000 auto=add", w->auto_add && a->auto_add);
	CHECK("seed000 ike from %default", w->ike_set && w->ike.n == 2 && !w->ike.strict &&
	      w->ike.p[0].encr[0].id == ENCR_AES_CBC && w->ike.p[0].encr[0].keybits == 256 &&
	      w->ike.p[0].dh[0].id == MODP_1024 && w->ike.p[1].dh[0].id == MODP_2048 &&
	      w->ike.p[1].prf[0].id == PRF_HMAC_SHA2_256);
	CHECK("seed000 esp default", !w->esp_set && w->esp.n == 0);
	CHECK("seed000 dpd", w->dpdaction == DPD_CLEAR && w->dpddelay == 35 && w->dpdtimeout == 2000);
	CHECK("seed000 rekey/reauth no", !w->rekey && !w->reauth);
	CHECK("seed000 fragmentation", w->fragmentation == FRAG_YES);
	CHECK("seed000 strongSwan defaults", w->ikelifetime == 10800 && w->lifetime == 3600 &&
	      w->margintime == 540 && w->rekeyfuzz == 100 && w->mobike && !w->forceencaps);
	CHECK("seed000 leftcert without inline comment",
	      streq_or_null(w->left.cert, "tunnel.zhovner.com.crt"));
	CHECK("seed000 leftsendcert", w->left.sendcert == SENDCERT_ALWAYS &&
	      w->right.sendcert == SENDCERT_IFASKED);
	CHECK("seed000 leftsubnet", w->left.n_subnet == 2 &&
	      w->left.subnet[0].family == AF_INET && net_is(&w->left.subnet[0], "0.0.0.0", 0) &&
	      w->left.subnet[1].family == AF_INET6 && net_is(&w->left.subnet[1], "::", 0));
	CHECK("seed000 eap_identity", streq_or_null(w->eap_identity, "%identity"));
	CHECK("seed000 rightsourceip pools", w->right.n_sourceip == 2 && !w->right.sourceip_config &&
	      range_is(&w->right.sourceip[0], "10.1.1.1", "10.1.1.254") &&
	      range_is(&w->right.sourceip[1], "2a00:1450:400c:c05::1", "2a00:1450:400c:c05::fffe"));
	CHECK("seed000 rightdns", w->right.n_dns == 2 && dns_is(&w->right.dns[0], "8.8.8.8") &&
	      w->right.dns[1].family == AF_INET6 && dns_is(&w->right.dns[1], "2001:4860:4860::8888"));
	CHECK("seed000 rightauth", w->right.auth == AUTH_EAP_MSCHAPV2 && w->left.auth == AUTH_UNSET &&
	      a->right.auth == AUTH_EAP_MSCHAPV2);
	CHECK("seed000 leftid", w->left.id == NULL && streq_or_null(a->left.id, "tunnel.zhovner.com"));
	CHECK("seed000 hosts unset", w->left.host == NULL && w->right.host == NULL);
	/* every keyword of seed 000 is honoured: nothing pending */
	CHECK("seed000 nothing pending", w->n_pending == 0 && a->n_pending == 0);
out:
	ipsec_conf_free(c);
}

static void seed001(void)
{
	struct ipsec_conf *c = ipsec_conf_load(D "seed001.conf", err, sizeof(err));
	const struct conf_conn *v;

	CHECK("seed001 loads", c != NULL);
	if (!c) {
		printf("# %s\n", err);
		return;
	}
	CHECK("seed001 setup", c->uniqueids == UNIQUE_NO && streq_or_null(c->charondebug, "cfg 2"));
	v = conn(c, "myvpn");
	CHECK("seed001 one conn", c->n_conns == 1 && v);
	if (!v)
		goto out;
	CHECK("seed001 hosts", streq_or_null(v->left.host, "%any") && streq_or_null(v->right.host, "%any"));
	CHECK("seed001 leftsubnet order", v->left.n_subnet == 2 && net_is(&v->left.subnet[0], "::", 0) &&
	      net_is(&v->left.subnet[1], "0.0.0.0", 0));
	CHECK("seed001 leftauth", v->left.auth == AUTH_PUBKEY && v->right.auth == AUTH_EAP_MSCHAPV2);
	CHECK("seed001 leftcert", streq_or_null(v->left.cert, "/etc/ssl/private/vpn-server.crt"));
	CHECK("seed001 sendcert", v->left.sendcert == SENDCERT_ALWAYS && v->right.sendcert == SENDCERT_NEVER);
	CHECK("seed001 pools", v->right.n_sourceip == 2 &&
	      range_is(&v->right.sourceip[0], "192.0.2.1", "192.0.2.126") &&
	      range_is(&v->right.sourceip[1], "2001:db8::1", "2001:db8::ffff:fffe"));
	CHECK("seed001 dns", v->right.n_dns == 4 && dns_is(&v->right.dns[0], "192.0.2.200") &&
	      dns_is(&v->right.dns[1], "192.0.2.201") && dns_is(&v->right.dns[2], "2001:db8:8000::53:1") &&
	      dns_is(&v->right.dns[3], "2001:db8:8000::53:2"));
	CHECK("seed001 eap_identity", streq_or_null(v->eap_identity, "%any"));
	CHECK("seed001 updown", streq_or_null(v->left.updown, "/etc/strongswan.d/proxyndp.updown"));
	CHECK("seed001 dpd", v->dpdaction == DPD_CLEAR && v->dpddelay == 2400 && v->dpdtimeout == 150);
	CHECK("seed001 rekey no, reauth default", !v->rekey && v->reauth);
	CHECK("seed001 ike strict", v->ike_set && v->ike.strict && v->ike.n == 1 &&
	      v->ike.p[0].n_encr == 3 && v->ike.p[0].n_integ == 3 && v->ike.p[0].n_prf == 3 &&
	      v->ike.p[0].n_dh == 4 && v->ike.p[0].dh[3].id == MODP_1024);
	CHECK("seed001 esp strict", v->esp_set && v->esp.strict && v->esp.n == 1 &&
	      v->esp.p[0].n_integ == 3 && v->esp.p[0].n_dh == 0 && v->esp.p[0].esn[0].id == ESN_NO);
	CHECK("seed001 nothing pending (leftupdown is built)", v->n_pending == 0);
out:
	ipsec_conf_free(c);
}

static void seed002(void)
{
	struct ipsec_conf *c = ipsec_conf_load(D "seed002.conf", err, sizeof(err));
	const struct conf_conn *w;

	CHECK("seed002 loads", c != NULL);
	if (!c) {
		printf("# %s\n", err);
		return;
	}
	w = conn(c, "ikev2-mschapv2");
	CHECK("seed002 uniqueids default", c->uniqueids == UNIQUE_YES);
	CHECK("seed002 conns", c->n_conns == 2 && w && conn(c, "ikev2-mschapv2-apple"));
	CHECK("seed002 proposals default", w && !w->ike_set && !w->esp_set);
	CHECK("seed002 pools", w && w->right.n_sourceip == 2 && w->left.n_subnet == 2 &&
	      w->right.n_dns == 2 && w->dpdaction == DPD_CLEAR);
	ipsec_conf_free(c);
}

static void seed000_client(void)
{
	struct ipsec_conf *c = ipsec_conf_load(D "seed000-client.conf", err, sizeof(err));
	const struct conf_conn *v = conn(c, "my-super-vpn");

	CHECK("seed000 client loads", c && v);
	if (!v) {
		printf("# %s\n", err);
		goto out;
	}
	CHECK("seed000 client spaces around =", v->dpdaction == DPD_RESTART && v->dpddelay == 30);
	CHECK("seed000 client values", v->left.auth == AUTH_EAP_MSCHAPV2 &&
	      !v->left.sourceip_config && v->left.n_sourceip == 0 &&
	      v->left.want_vip4 && v->left.want_vip6 && v->autostart == AUTO_START &&
	      v->keyingtries == 0 &&
	      streq_or_null(v->right.host, "q.zhovner.com") && v->right.n_subnet == 2 &&
	      streq_or_null(v->eap_identity, "x220"));
	/* auto=start, keyingtries, leftsourceip=%any,%any6 (both families, as
	 * strongSwan reads them) and rightsubnet of an initiating conn are built */
	CHECK("seed000 client nothing pending", v->n_pending == 0);
out:
	ipsec_conf_free(c);
}

static void seed003(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *p, *ios, *ms;

	/* as written: "leftsubnet=0.0.0.0/0;::/0" is read as both subnets,
	 * with one warning (every conn inherits the %default line) */
	c = ipsec_conf_load(D "seed003.conf", err, sizeof(err));
	CHECK("seed003 as written loads", c && c->n_conns == 5);
	if (c) {
		const struct conf_conn *tls = conn(c, "rwEAPTLS"), *tios = conn(c, "rwEAPTLSIOS");
		p = conn(c, "rwPUBKEY");
		CHECK("seed003 ';': both subnets", p && p->left.n_subnet == 2 &&
		      net_is(&p->left.subnet[0], "0.0.0.0", 0) && net_is(&p->left.subnet[1], "::", 0));
		CHECK("seed003 ';': one warning", c->n_warnings == 1 && strcmp(c->warnings[0],
		      D "seed003.conf:11: leftsubnet=0.0.0.0/0;::/0: ';' read as a list separator "
		      "(cygnet takes every subnet); strongSwan separates lists with ',' only and would "
		      "have read just the first subnet, 0.0.0.0/0") == 0);
		CHECK("seed003 eap-tls conns", tls && tios && tls->right.auth == AUTH_EAP_TLS &&
		      tios->right.auth == AUTH_EAP_TLS && streq_or_null(tios->right.id, "myVpnClients") &&
		      streq_or_null(tls->right.cert, "clientCert_myvpnclient.pem"));
		bool none = true;
		for (int i = 0; i < c->n_conns; i++)
			none &= c->conns[i].n_pending == 0;
		CHECK("seed003 as written: nothing pending", none && c->n_pending == 0);
	} else {
		printf("# %s\n", err);
	}
	ipsec_conf_free(c);
	c = ipsec_conf_load(D "seed003-comma.conf", err, sizeof(err));
	CHECK("seed003 with ',': loads without warnings", c && c->n_conns == 5 && c->n_warnings == 0);
	ipsec_conf_free(c);
	c = ipsec_conf_load(D "seed003-noeaptls.conf", err, sizeof(err));
	CHECK("seed003 without eap-tls loads", c != NULL);
	if (!c) {
		printf("# %s\n", err);
		return;
	}
	p = conn(c, "rwPUBKEY");
	ios = conn(c, "rwPUBKEYIOS");
	ms = conn(c, "rwEAPMSCHAPV2");
	CHECK("seed003 conns", c->n_conns == 3 && p && ios && ms);
	if (!p || !ios || !ms)
		goto out;
	CHECK("seed003 %default", streq_or_null(p->left.id, "myvpnserver.dyndns.org") &&
	      streq_or_null(ms->left.cert, "serverCert_myvpnserver.dyndns.org.pem") &&
	      p->left.auth == AUTH_PUBKEY && p->left.n_subnet == 2 &&
	      p->right.n_sourceip == 1 && range_is(&p->right.sourceip[0], "10.0.1.1", "10.0.1.254") &&
	      p->right.n_dns == 0);
	CHECK("seed003 esp", p->esp_set && p->esp.n == 2 && !p->esp.strict &&
	      p->esp.p[0].n_dh == 2 && p->esp.p[0].dh[0].id == MODP_3072 && p->esp.p[1].n_dh == 0);
	CHECK("seed003 ike", p->ike_set && p->ike.n == 1 && p->ike.p[0].n_prf == 2);
	CHECK("seed003 rightauth pubkey", p->right.auth == AUTH_PUBKEY &&
	      streq_or_null(p->right.cert, "clientCert_myvpnclient.pem"));
	CHECK("seed003 rightid", streq_or_null(ios->right.id, "myVpnClients") && p->right.id == NULL);
	CHECK("seed003 sendcert", ms->left.sendcert == SENDCERT_ALWAYS &&
	      ms->right.sendcert == SENDCERT_NEVER && p->left.sendcert == SENDCERT_IFASKED);
	CHECK("seed003 rightcert no longer pending", p->n_pending == 0 && ms->n_pending == 0);
out:
	ipsec_conf_free(c);
}

static void seed004(void)
{
	CHECK("seed004 garbled list", load_fails(D "seed004-garbled.conf",
	      D "seed004-garbled.conf:9: leftsubnet: empty element in list '::/0,'"));
	CHECK("seed004 garbled rightsourceip", fails("conn v\n auto=add\n rightsourceip=,2001:db8::/96\n",
	      "x.conf:3: rightsourceip: empty element in list ',2001:db8::/96'"));
	/* %radius (rightauth=eap-radius's addresses) comes out of the list */
	struct ipsec_conf *r = parse("conn v\n auto=add\n rightauth=eap-radius\n"
	                             " rightsourceip=10.1.0.0/24, %radius ,2001:db8::/96\n");
	const struct conf_conn *rc = r ? conn(r, "v") : NULL;
	CHECK("%radius with pools", rc && rc->right.auth == AUTH_EAP_RADIUS &&
	      rc->right.sourceip_radius && rc->right.n_sourceip == 2);
	ipsec_conf_free(r);
	r = parse("conn v\n auto=add\n rightauth=eap-radius\n rightsourceip=%radius\n");
	rc = r ? conn(r, "v") : NULL;
	CHECK("%radius alone", rc && rc->right.sourceip_radius && rc->right.n_sourceip == 0);
	ipsec_conf_free(r);
	CHECK("%radius, then garbage", fails("conn v\n auto=add\n rightsourceip=%radius,%pool\n",
	      "x.conf:3: rightsourceip: named pools ('%pool') are not supported"));
	CHECK("seed004 garbled rightdns", fails("conn v\n auto=add\n rightdns=,,2001:db8:8000::53:1\n",
	      "x.conf:3: rightdns: empty element in list ',,2001:db8:8000::53:1'"));
}

static void syntax(void)
{
	struct ipsec_conf *c;

	CHECK("err unknown keyword", fails("conn a\n\tauto=add\n\tleftcertt=x.crt\n",
	      "x.conf:3: unknown keyword 'leftcertt'"));
	CHECK("err unknown keyword in unused %default", fails("conn %default\n  bogus=1\n",
	      "x.conf:2: unknown keyword 'bogus'"));
	CHECK("err setup key in conn", fails("conn a\n  uniqueids=no\n",
	      "x.conf:2: keyword 'uniqueids' belongs in 'config setup'"));
	CHECK("err conn key in setup", fails("config setup\n  leftcert=a\n",
	      "x.conf:2: keyword 'leftcert' belongs in a conn section"));
	CHECK("err unknown setup key", fails("config setup\n  plutodebug=all\n",
	      "x.conf:2: unknown keyword 'plutodebug'"));
	CHECK("err key at column 0", fails("# hi\nleft=%any\n",
	      "x.conf:2: 'left=' outside a section (keywords must be indented under "
	      "'config setup' or 'conn NAME')"));
	CHECK("err key at column 0 ends section", fails("conn a\n  auto=add\nright=%any\n",
	      "x.conf:3: 'right=' outside a section (keywords must be indented under "
	      "'config setup' or 'conn NAME')"));
	CHECK("err indented before section", fails("\n  left=%any\n",
	      "x.conf:2: 'left=' outside a section"));
	CHECK("err no =", fails("conn a\n  auto add\n", "x.conf:2: expected 'keyword=value'"));
	CHECK("err junk line", fails("hello world\n",
	      "x.conf:1: syntax error: expected 'config setup', 'conn NAME' or 'include FILE', not 'hello'"));
	CHECK("err config other", fails("config foo\n", "x.conf:1: expected 'config setup'"));
	CHECK("err conn without name", fails("conn\n", "x.conf:1: expected 'conn NAME' with a name of one word"));
	CHECK("err ca section", fails("ca myca\n  cacert=ca.pem\n",
	      "x.conf:1: ca sections are not supported (put CA certificates in ipsec.d/cacerts)"));
	CHECK("err unterminated quote", fails("conn a\n  leftid=\"abc\n",
	      "x.conf:2: unterminated quoted string"));
	CHECK("err duplicate key", fails("conn a\n  auto=add\n  left=%any\n  left=1.2.3.4\n",
	      "x.conf:4: duplicate keyword 'left' (already set at x.conf:3)"));
	CHECK("err duplicate conn", fails("conn a\n  auto=add\n\nconn a\n  auto=add\n",
	      "x.conf:4: duplicate conn 'a' (first defined at x.conf:1)"));
	CHECK("err include missing", fails("include /nonexistent/cygnet-test.conf\n",
	      "x.conf:1: include '/nonexistent/cygnet-test.conf': No such file or directory"));

	c = parse("# comment\r\nconfig setup\r\n  charondebug = \"ike 2, cfg 3\"  # trailing\r\n"
	          "  uniqueids=replace\nconn a\n  leftid=\"C=US, O=a#b, CN=x\"\n  auto=add\n"
	          "  rightid = \"quoted \\\"inner\\\"\" # c\n  eap_identity = two   words\n");
	CHECK("quotes, CRLF, comments", c && streq_or_null(c->charondebug, "ike 2, cfg 3") &&
	      c->uniqueids == UNIQUE_REPLACE && c->n_conns == 1 &&
	      streq_or_null(c->conns[0].left.id, "C=US, O=a#b, CN=x") &&
	      streq_or_null(c->conns[0].right.id, "quoted \"inner\"") &&
	      streq_or_null(c->conns[0].eap_identity, "two words"));
	ipsec_conf_free(c);

	c = parse("");
	CHECK("empty file", c && c->n_conns == 0 && c->uniqueids == UNIQUE_YES &&
	      strcmp(c->tun_name, "cygnet0") == 0 && c->n_files == 1 && strcmp(c->files[0], "x.conf") == 0);
	ipsec_conf_free(c);

	c = parse("conn g\n  rightgroups = admins, net ops\n  leftgroups=x\n  auto=add\n");
	CHECK("rightgroups kept, leftgroups pending", c && c->n_conns == 1 &&
	      streq_or_null(c->conns[0].right.groups, "admins, net ops") &&
	      strcmp(pend_str(c->conns[0].pending, c->conns[0].n_pending), "leftgroups=x@3") == 0);
	ipsec_conf_free(c);
	CHECK("rightgroups empty element", fails("conn g\n  rightgroups=a,,b\n  auto=add\n",
	      "x.conf:2: rightgroups: expected group names separated by commas"));

	c = parse("conn a\n  left=%any\nconn b\n  auto=ignore\nconn c\n  auto=route\n");
	CHECK("auto default ignore", c && c->n_conns == 1 && conn(c, "c") &&
	      c->conns[0].autostart == AUTO_ROUTE && c->conns[0].auto_add &&
	      strcmp(pend_str(c->conns[0].pending, c->conns[0].n_pending), "auto=route@6") == 0);
	ipsec_conf_free(c);
}

static void setup(void)
{
	struct ipsec_conf *c;

	c = parse("config setup\n  tun=vpn0\n  user=cygnet\n  strictcrlpolicy=yes\n  cachecrls=no\n"
	          "  uniqueids=keep\n");
	CHECK("setup values", c && streq_or_null(c->tun_name, "vpn0") && streq_or_null(c->user, "cygnet") &&
	      c->uniqueids == UNIQUE_KEEP);
	CHECK("setup pending", c && strcmp(pend_str(c->pending, c->n_pending),
	      "cachecrls=no@5") == 0 && c->pending[0].file == c->files[0]);
	CHECK("strictcrlpolicy stored", c && c->strictcrlpolicy == CRL_POLICY_YES);
	ipsec_conf_free(c);
	c = parse("config setup\n  strictcrlpolicy=ifuri\n");
	CHECK("strictcrlpolicy ifuri", c && c->strictcrlpolicy == CRL_POLICY_IFURI && c->n_pending == 0);
	ipsec_conf_free(c);
	c = parse("conn a\n  auto=add\n");
	CHECK("strictcrlpolicy default no, no dns/nbns", c && c->strictcrlpolicy == CRL_POLICY_NO &&
	      c->dns[0].family == 0 && c->dns[1].family == 0 && c->nbns[0].family == 0 &&
	      c->nbns[1].family == 0);
	ipsec_conf_free(c);
	/* strongSwan 4's dns1/dns2/nbns1/nbns2 (seed 003 has them in its
	 * strongswan.conf) */
	c = parse("config setup\n  dns1=10.0.0.1\n  dns2=2001:db8::53\n  nbns1=10.0.0.1\n"
	          "  nbns2=10.0.0.2\n");
	CHECK("dns1 dns2 nbns1 nbns2", c && dns_is(&c->dns[0], "10.0.0.1") &&
	      dns_is(&c->dns[1], "2001:db8::53") && dns_is(&c->nbns[0], "10.0.0.1") &&
	      dns_is(&c->nbns[1], "10.0.0.2") && c->n_pending == 0);
	ipsec_conf_free(c);
	c = parse("config setup\n  dns1=\n");
	CHECK("dns1= resets", c && c->dns[0].family == 0);
	CHECK("err nbns IPv6", fails("config setup\n  nbns1=2001:db8::1\n",
	      "x.conf:2: nbns1: a NetBIOS name server must be an IPv4 address (IKEv2 has "
	      "INTERNAL_IP4_NBNS only)"));
	CHECK("err dns2 not an address", fails("config setup\n  dns2=dns.example.com\n",
	      "x.conf:2: dns2: 'dns.example.com' is not an IP address"));
	CHECK("err dns3 unknown", fails("config setup\n  dns3=10.0.0.3\n",
	      "x.conf:2: unknown keyword 'dns3'"));
	CHECK("err dns1 in a conn", fails("conn a\n  dns1=10.0.0.3\n",
	      "x.conf:2: keyword 'dns1' belongs in 'config setup'"));
	ipsec_conf_free(c);
	c = parse("config setup\n  tun=\n  uniqueids=\n  charondebug=\n");
	CHECK("setup reset", c && streq_or_null(c->tun_name, "cygnet0") && c->uniqueids == UNIQUE_YES &&
	      c->charondebug == NULL);
	ipsec_conf_free(c);
	CHECK("err uniqueids", fails("config setup\n  uniqueids=maybe\n",
	      "x.conf:2: uniqueids: 'maybe' is not one of yes, no, never, replace, keep"));
	CHECK("err tun name", fails("config setup\n  tun=this-name-is-too-long\n",
	      "x.conf:2: tun: expected an interface name of 1 to 15 characters [A-Za-z0-9_.-]"));
	CHECK("err tun chars", fails("config setup\n  tun=a/b\n",
	      "x.conf:2: tun: expected an interface name of 1 to 15 characters [A-Za-z0-9_.-]"));
	CHECK("err user", fails("config setup\n  user=-root\n",
	      "x.conf:2: user: expected a user name of 1 to 32 characters [A-Za-z0-9_.-]"));
	CHECK("err charondebug subsystem", fails("config setup\n  charondebug=\"ike 2, foo 1\"\n",
	      "x.conf:2: charondebug: unknown subsystem 'foo'"));
	CHECK("err charondebug level", fails("config setup\n  charondebug=\"cfg 5\"\n",
	      "x.conf:2: charondebug: 'cfg 5': level must be -1..4"));
	CHECK("err charondebug form", fails("config setup\n  charondebug=cfg\n",
	      "x.conf:2: charondebug: 'cfg': expected 'subsystem level'"));
	c = parse("config setup\n  charondebug=\"dmn -1,any 4\"\n");
	CHECK("charondebug -1", c && streq_or_null(c->charondebug, "dmn -1,any 4"));
	ipsec_conf_free(c);
	CHECK("err strictcrlpolicy", fails("config setup\n  strictcrlpolicy=sometimes\n",
	      "x.conf:2: strictcrlpolicy: 'sometimes' is not one of yes, no, ifuri"));
}

static void also(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *x, *y;

	c = parse("conn base\n  auto=ignore\n  leftcert=base.crt\n  rightdns=198.18.0.53\n"
	          "  dpdaction=clear\n  inactivity=2h\n"
	          "conn mid\n  also=base\n  leftid=mid\n  rightauth=eap\n  auto=ignore\n"
	          "conn x\n  also=mid\n  leftid=x\n  auto=add\n"
	          "conn y\n  also=base\n  also=mid\n  leftcert=y.crt\n  auto=add\n  dpdaction=\n"
	          "  inactivity=\n"
	          "conn %default\n  rightsourceip=198.18.1.0/24\n  leftcert=default.crt\n");
	x = conn(c, "x");
	y = conn(c, "y");
	CHECK("also loads", c && c->n_conns == 2 && x && y && !conn(c, "base") && !conn(c, "mid"));
	if (x && y) {
		CHECK("also chain", streq_or_null(x->left.cert, "base.crt") &&
		      streq_or_null(x->left.id, "x") && x->right.auth == AUTH_EAP_MSCHAPV2 &&
		      x->right.n_dns == 1 && dns_is(&x->right.dns[0], "198.18.0.53"));
		CHECK("%default after conns applies", x->right.n_sourceip == 1 &&
		      range_is(&x->right.sourceip[0], "198.18.1.1", "198.18.1.254"));
		CHECK("also: own keys override", streq_or_null(y->left.cert, "y.crt") &&
		      streq_or_null(y->left.id, "mid"));
		CHECK("key= resets to default", x->dpdaction == DPD_CLEAR && y->dpdaction == DPD_NONE &&
		      y->n_pending == 0);
		CHECK("also pending points at base", strcmp(pend_str(x->pending, x->n_pending),
		      "inactivity=2h@6") == 0);
	}
	ipsec_conf_free(c);

	c = parse("conn base\n  rightauth=eap-gtc\n  auto=ignore\nconn tls\n  also=base\n"
	          "conn ok\n  auto=add\n");
	CHECK("ignored conns need no honourable values", c && c->n_conns == 1 && conn(c, "ok"));
	ipsec_conf_free(c);
	CHECK("err ignored conn: auto value checked", fails("conn a\n  auto=adde\n",
	      "x.conf:2: auto: 'adde' is not one of ignore, add, route, start"));
	CHECK("err ignored conn: keyword checked", fails("conn a\n  auto=ignore\n  rigthauth=psk\n",
	      "x.conf:3: unknown keyword 'rigthauth'"));
	CHECK("err inherited value checked in user", fails("conn base\n  rightauth=eap-gtc\n"
	      "conn a\n  also=base\n  auto=add\n",
	      "x.conf:2: rightauth: EAP method 'gtc' is not supported (eap-mschapv2, eap-tls, "
	      "eap-md5, eap-radius or eap are)"));

	c = parse("conn %default\n  auto=add\nconn %default\n  leftid=d2\nconn a\n  rightid=r\n");
	CHECK("several %default", c && c->n_conns == 1 && c->conns[0].auto_add &&
	      streq_or_null(c->conns[0].left.id, "d2"));
	ipsec_conf_free(c);

	CHECK("err also loop", fails("conn a\n  auto=add\n  also=b\nconn b\n  also=c\nconn c\n  also=a\n",
	      "x.conf:7: also=a makes a loop (conn 'a' includes itself)"));
	CHECK("err also self", fails("conn a\n  also=a\n",
	      "x.conf:2: also=a makes a loop (conn 'a' includes itself)"));
	CHECK("err also missing", fails("conn a\n  auto=add\n  also=nothere\n",
	      "x.conf:3: also: no conn 'nothere'"));
	CHECK("err in also'd conn names its line", fails("conn base\n  dpddelay=soon\nconn a\n  also=base\n  auto=add\n",
	      "x.conf:2: dpddelay: expected a duration (number with optional s, m, h or d)"));
}

static void values(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *v;

	c = parse("conn v\n  auto=add\n"
	          "  rightsourceip=198.18.0.10-198.18.0.20, 198.18.5.5 ,198.18.6.0/31,%config,2001:db8::/127,"
	          "198.18.7.9/24\n"
	          "  leftsubnet=198.18.2.3/15,2001:db8::1\n"
	          "  dpddelay=1h\n  dpdtimeout=2m\n  ikelifetime=1d\n  keylife=90\n  rekeymargin=3m\n"
	          "  rekeyfuzz=50%\n  rightauth2=eap-mschapv2\n  leftauth=rsa\n  closeaction=restart\n"
	          "  mark=0x10/0xff\n  reqid=5\n  rightca=\"C=US, O=yyy, CN=xxxx\"\n  mobike=no\n"
	          "  compress=no\n  fragmentation=no\n  forceencaps=yes\n  type=tunnel\n  keyexchange=ike\n"
	          "  leftfirewall=no\n  rightfirewall=yes\n  inactivity=300s\n  aggressive=no\n"
	          "  leftdns=%config4,198.18.0.1\n  dpdaction=none\n");
	v = conn(c, "v");
	CHECK("values load", v != NULL);
	if (v) {
		CHECK("range", v->right.n_sourceip == 5 &&
		      range_is(&v->right.sourceip[0], "198.18.0.10", "198.18.0.20") &&
		      range_is(&v->right.sourceip[1], "198.18.5.5", "198.18.5.5") &&
		      range_is(&v->right.sourceip[2], "198.18.6.0", "198.18.6.1") &&
		      range_is(&v->right.sourceip[3], "2001:db8::", "2001:db8::1") &&
		      range_is(&v->right.sourceip[4], "198.18.7.9", "198.18.7.254") &&
		      v->right.sourceip_config);
		CHECK("host bits masked", v->left.n_subnet == 2 && net_is(&v->left.subnet[0], "198.18.0.0", 15) &&
		      net_is(&v->left.subnet[1], "2001:db8::1", 128));
		CHECK("durations", v->dpddelay == 3600 && v->dpdtimeout == 120 && v->ikelifetime == 86400 &&
		      v->lifetime == 90 && v->margintime == 180 && v->rekeyfuzz == 50);
		CHECK("auth2", v->right.auth2 == AUTH_EAP_MSCHAPV2 && v->left.auth == AUTH_PUBKEY);
		CHECK("features off", !v->mobike && v->fragmentation == FRAG_NO && v->forceencaps);
		CHECK("leftdns", v->left.n_dns == 1 && dns_is(&v->left.dns[0], "198.18.0.1"));
		CHECK("closeaction", v->closeaction == DPD_RESTART && v->keyingtries == 3);
		CHECK("rightca as written", streq_or_null(v->right.ca, "C=US, O=yyy, CN=xxxx") &&
		      v->right.ca_line == 16 && v->right.ca_file == c->files[0] && v->left.ca == NULL);
		CHECK("values pending", strcmp(pend_str(v->pending, v->n_pending),
		      "mark=0x10/0xff@14 "
		      "reqid=5@15 rightfirewall=yes@24 inactivity=300s@25 "
		      "leftdns=%config4,198.18.0.1@27 closeaction=restart@13") == 0);
	}
	ipsec_conf_free(c);

	c = parse("conn a\n  auto=add\n  authby=secret\n  rightauth=eap-mschapv2\n");
	CHECK("authby fills unset", c && c->n_conns == 1 && c->conns[0].left.auth == AUTH_PSK &&
	      c->conns[0].right.auth == AUTH_EAP_MSCHAPV2);
	ipsec_conf_free(c);

#define BAD(name, line, want) CHECK(name, fails("conn a\n  auto=add\n  " line "\n", "x.conf:3: " want))
	BAD("err ike algorithm", "ike=aes257-sha256-modp2048", "ike: unknown algorithm 'aes257'");
	BAD("err esp", "esp=aes128", "esp: esp proposal without an integrity algorithm");
	BAD("err ikev1", "keyexchange=ikev1", "keyexchange: IKEv1 is not supported");
	BAD("err keyexchange", "keyexchange=ikev3", "keyexchange: expected ikev2");
	BAD("err type", "type=transport", "type: type=transport is not supported (only tunnel)");
	BAD("err aggressive", "aggressive=yes",
	    "aggressive: aggressive mode is IKEv1 only, and IKEv1 is not supported");
	BAD("err eap-gtc", "rightauth=eap-gtc",
	    "rightauth: EAP method 'gtc' is not supported (eap-mschapv2, eap-tls, eap-md5, eap-radius or eap are)");
	BAD("err auth", "leftauth=magic",
	    "leftauth: unknown authentication method 'magic' (expected pubkey, psk, eap-mschapv2, "
	    "eap-tls, eap-md5, eap-radius or eap)");
	BAD("err ';' in rightsourceip", "rightsourceip=10.0.1.0/24;fd00::/64",
	    "rightsourceip: '10.0.1.0/24;fd00::/64' is not an address or subnet (separate list "
	    "elements with ',')");
	BAD("err ';' empty element", "leftsubnet=10.0.0.0/8;",
	    "leftsubnet: empty element in list '10.0.0.0/8;'");
	BAD("err xauth", "rightauth2=xauth", "rightauth2: XAuth is IKEv1 only, and IKEv1 is not supported");
	BAD("err sendcert", "leftsendcert=sometimes",
	    "leftsendcert: 'sometimes' is not one of ifasked, always, yes, never, no");
	BAD("err auto", "dpdaction=explode", "dpdaction: 'explode' is not one of none, clear, hold, restart");
	BAD("err bool", "rekey=maybe", "rekey: expected yes or no");
	BAD("err fragmentation", "fragmentation=always",
	    "fragmentation: 'always' is not one of yes, no, accept, force");
	BAD("err duration", "dpddelay=10x", "dpddelay: expected a duration (number with optional s, m, h or d)");
	BAD("err duration overflow", "ikelifetime=99999999d", "ikelifetime: duration too long");
	BAD("err rekeyfuzz", "rekeyfuzz=lots", "rekeyfuzz: expected a percentage such as 100%");
	BAD("err keyingtries", "keyingtries=often", "keyingtries: expected a number or %forever");
	BAD("err mark", "mark=12/zz", "mark: expected value[/mask] or %unique");
	BAD("err reqid", "reqid=0", "reqid: expected a number greater than 0");
	BAD("err subnet", "leftsubnet=10.0.0.0/33", "leftsubnet: bad prefix length in '10.0.0.0/33'");
	BAD("err subnet addr", "leftsubnet=10.0.0/8", "leftsubnet: '10.0.0/8' is not an address or subnet");
	BAD("err dns", "rightdns=8.8.8", "rightdns: '8.8.8' is not an IP address");
	BAD("err dns config on right", "rightdns=%config", "rightdns: '%config' is not an IP address");
	BAD("err range order", "rightsourceip=10.0.0.9-10.0.0.1", "rightsourceip: range '10.0.0.9-10.0.0.1' ends before it starts");
	BAD("err range family", "rightsourceip=10.0.0.1-2001:db8::1", "rightsourceip: range '10.0.0.1-2001:db8::1' mixes IPv4 and IPv6");
	BAD("err named pool", "rightsourceip=%mypool", "rightsourceip: named pools ('%mypool') are not supported");
	BAD("err host", "left=a b", "left: expected one address, hostname or %any");
	BAD("err authby", "authby=xauthpsk", "authby: XAuth is IKEv1 only, and IKEv1 is not supported");
	{
		char big[1024] = "conn a\n  auto=add\n  rightdns=";
		for (int i = 0; i < 17; i++)
			strcat(big, i ? ",198.18.0.1" : "198.18.0.1");
		strcat(big, "\n");
		CHECK("err too many dns", fails(big, "x.conf:3: rightdns: too many list elements (at most 16)"));
	}
#undef BAD
}

/* the keys a client conn needs (src/config.c builds on them) */
static void client_keys(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *v;

	c = parse("conn a\n  auto=add\n  right=%any\nconn s\n  auto=start\n  right=vpn.example.com\n");
	CHECK("defaults", c && c->n_conns == 2 && c->conns[0].autostart == AUTO_ADD &&
	      c->conns[0].keyingtries == 3 && c->conns[0].closeaction == DPD_NONE &&
	      !c->conns[0].left.want_vip4 && !c->conns[0].left.want_vip6 &&
	      c->conns[0].left.ca == NULL && c->conns[0].right.ca == NULL &&
	      c->conns[1].autostart == AUTO_START && c->conns[1].n_pending == 0);
	ipsec_conf_free(c);

	c = parse("conn a\n  auto=add\n  keyingtries=%forever\nconn b\n  auto=add\n  keyingtries=7\n"
	          "conn c\n  auto=add\n  keyingtries=0\n  closeaction=clear\n"
	          "conn d\n  auto=add\n  closeaction=hold\n");
	CHECK("keyingtries", c && conn(c, "a")->keyingtries == 0 && conn(c, "b")->keyingtries == 7 &&
	      conn(c, "c")->keyingtries == 0);
	CHECK("closeaction values", c && conn(c, "c")->closeaction == DPD_CLEAR &&
	      conn(c, "d")->closeaction == DPD_HOLD);
	CHECK("closeaction pending on a responder", c &&
	      strcmp(pend_str(conn(c, "c")->pending, conn(c, "c")->n_pending),
	             "closeaction=clear@10") == 0);
	ipsec_conf_free(c);
	c = parse("conn a\n  auto=add\n  right=198.18.0.1\n  closeaction=restart\n");
	CHECK("closeaction built on an initiator", c && c->conns[0].closeaction == DPD_RESTART &&
	      c->conns[0].n_pending == 0);
	ipsec_conf_free(c);

	/* leftsourceip: which families a client asks for */
	struct { const char *keys; bool v4, v6; } vips[] = {
		{ "leftsourceip=%config4", true, false },
		{ "leftsourceip=%config6", false, true },
		{ "leftsourceip=%config4,%config6", true, true },
		{ "leftsourceip=%any,%any6", true, true },
		{ "leftsourceip=%any4, ::", true, true },
		{ "leftsourceip=0.0.0.0", true, false },
		/* plain %config: the family of leftsubnet, else rightsubnet, else left= */
		{ "leftsourceip=%config", true, false },
		{ "leftsourceip=%cfg\n  left=2001:db8::1", false, true },
		{ "leftsourceip=%modeconfig\n  left=198.18.0.1", true, false },
		{ "leftsourceip=%modecfg\n  rightsubnet=2001:db8::/32", false, true },
		{ "leftsourceip=%config\n  rightsubnet=::/0,0.0.0.0/0", true, false },
		{ "leftsourceip=%config\n  leftsubnet=2001:db8:1::/48\n  rightsubnet=0.0.0.0/0", false, true },
		{ "leftsourceip=%config,%config6\n  left=%any", true, true },
	};
	for (size_t i = 0; i < sizeof(vips) / sizeof(vips[0]); i++) {
		char text[512], name[96];
		snprintf(text, sizeof(text), "conn a\n  auto=add\n  right=198.18.0.2\n  %s\n", vips[i].keys);
		snprintf(name, sizeof(name), "vip %zu: %.60s", i, vips[i].keys);
		for (char *q = name; *q; q++)
			if (*q == '\n')
				*q = ';';
		c = parse(text);
		CHECK(name, c && c->n_conns == 1 && c->conns[0].left.want_vip4 == vips[i].v4 &&
		      c->conns[0].left.want_vip6 == vips[i].v6 && c->conns[0].n_pending == 0 &&
		      !c->conns[0].right.want_vip4 && !c->conns[0].right.want_vip6);
		ipsec_conf_free(c);
	}
	c = parse("conn a\n  auto=add\n  leftsourceip=198.18.0.9\n");
	CHECK("vip literal address pending", c && !c->conns[0].left.want_vip4 &&
	      strcmp(pend_str(c->conns[0].pending, c->conns[0].n_pending),
	             "leftsourceip=198.18.0.9@3") == 0);
	ipsec_conf_free(c);
	c = parse("conn a\n  auto=add\n  leftsourceip=10.1.0.0/24\n");
	CHECK("vip subnet (accepted before) pending", c &&
	      strcmp(pend_str(c->conns[0].pending, c->conns[0].n_pending),
	             "leftsourceip=10.1.0.0/24@3") == 0);
	ipsec_conf_free(c);
	c = parse("conn a\n  auto=add\n  leftsourceip=%config\n  rightsourceip=198.18.9.0/24\n");
	CHECK("vip with rightsourceip ignored as strongSwan does, pending", c &&
	      !c->conns[0].left.want_vip4 && !c->conns[0].left.want_vip6 &&
	      strcmp(pend_str(c->conns[0].pending, c->conns[0].n_pending),
	             "leftsourceip=%config@3") == 0);
	ipsec_conf_free(c);

	/* rightsubnet: built for a conn that can initiate, pending otherwise */
	c = parse("conn a\n  auto=add\n  right=vpn.example.com\n  rightsubnet=0.0.0.0/0,::/0\n"
	          "conn b\n  auto=add\n  rightsubnet=198.18.4.0/24\n"
	          "conn d\n  auto=add\n  right=%any\n  rightsubnet=198.18.4.0/24\n");
	v = conn(c, "a");
	CHECK("rightsubnet client", v && v->n_pending == 0 && v->right.n_subnet == 2 &&
	      net_is(&v->right.subnet[0], "0.0.0.0", 0) && net_is(&v->right.subnet[1], "::", 0));
	CHECK("rightsubnet server pending", c &&
	      strcmp(pend_str(conn(c, "b")->pending, conn(c, "b")->n_pending),
	             "rightsubnet=198.18.4.0/24@7") == 0 &&
	      strcmp(pend_str(conn(c, "d")->pending, conn(c, "d")->n_pending),
	             "rightsubnet=198.18.4.0/24@11") == 0);
	ipsec_conf_free(c);

	c = parse("conn a\n  auto=add\n  leftca=\"C=CH, O=Left, CN=L\"\n  rightca=%same\n");
	v = c ? &c->conns[0] : NULL;
	CHECK("leftca/rightca kept as written, leftca pending", v &&
	      streq_or_null(v->left.ca, "C=CH, O=Left, CN=L") && streq_or_null(v->right.ca, "%same") &&
	      v->left.ca_line == 3 && v->right.ca_line == 4 &&
	      strcmp(pend_str(v->pending, v->n_pending), "leftca=C=CH, O=Left, CN=L@3") == 0);
	ipsec_conf_free(c);

	/* which right= can be dialled */
	struct { const char *host; bool yes; } hosts[] = {
		{ "198.18.0.1", true }, { "2001:db8::1", true }, { "vpn.example.com", true },
		{ "%vpn.example.com", true }, { "%198.18.0.1", true }, { "my-vpn", true }, { NULL, false }, { "", false },
		{ "%any", false }, { "%any4", false }, { "%any6", false }, { "%defaultroute", false },
		{ "198.18.0.0/24", false }, { "198.18.0.1-198.18.0.9", false },
		{ "198.18.0.1,198.18.0.2", false }, { "2001:db8::1-2001:db8::9", false },
		{ "a b", false }, { "vpn!", false },
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char name[96];
		snprintf(name, sizeof(name), "host %s", hosts[i].host ? hosts[i].host : "(null)");
		CHECK(name, conf_host_is_specific(hosts[i].host) == hosts[i].yes);
	}

#define BAD(name, line, want) CHECK(name, fails("conn a\n  auto=add\n  " line "\n", "x.conf:3: " want))
	BAD("err closeaction", "closeaction=later", "closeaction: 'later' is not one of none, clear, hold, restart");
	BAD("err keyingtries negative", "keyingtries=-1", "keyingtries: expected a number or %forever");
	BAD("err leftsourceip word", "leftsourceip=%pool",
	    "leftsourceip: '%pool' is not %config, %config4, %config6 or an IP address");
	BAD("err leftsourceip empty element", "leftsourceip=%config4,",
	    "leftsourceip: empty element in list '%config4,'");
#undef BAD
}

static void includes(void)
{
	struct ipsec_conf *c = ipsec_conf_load(D "inc/main.conf", err, sizeof(err));
	const struct conf_conn *a = conn(c, "a"), *b = conn(c, "b");

	CHECK("include glob loads", c && c->n_conns == 2 && a && b && c->uniqueids == UNIQUE_NEVER);
	CHECK("include files recorded", c && c->n_files == 3 &&
	      strcmp(c->files[1], D "inc/conns/a.conf") == 0 && strcmp(c->files[2], D "inc/conns/b.conf") == 0);
	CHECK("include: %default and also across files", a && b && a->right.auth == AUTH_EAP_MSCHAPV2 &&
	      b->right.n_sourceip == 1 && b->right.n_dns == 1 && b->file == c->files[2] && b->line == 1);
	ipsec_conf_free(c);
	CHECK("err include literal missing", load_fails(D "inc/missing.conf",
	      D "inc/missing.conf:2: include 'does-not-exist.conf': No such file or directory"));
	CHECK("err include loop", load_fails(D "inc/loop.conf",
	      D "inc/loop.conf:3: includes nested more than 16 deep (an include loop?)"));
	CHECK("err in included file names it", load_fails(D "inc/badinc.conf",
	      D "inc/conns/bad.inc:3: unknown keyword 'leftcertt'"));
	CHECK("err missing file", load_fails(D "nope.conf",
	      D "nope.conf: cannot read: No such file or directory"));
	CHECK("err directory", load_fails(D "inc", D "inc: cannot read: not a regular file"));
}

/* leftauth/rightauth/rightauth2 values, and what stays pending */
static void auth(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *a, *b, *d, *e;

	c = parse("conn a\n  auto=add\n  rightauth=eap-tls\n  rightauth2=eap-md5\n"
	          "conn b\n  auto=add\n  rightauth=eap\n  rightauth2=eap\n  leftauth=ecdsa\n"
	          "conn d\n  auto=add\n  rightauth=eap-md5\n  leftauth2=eap-mschapv2\n"
	          "conn e\n  auto=add\n  right=198.18.0.1\n  rightauth=pubkey\n  rightauth2=psk\n"
	          "  rightcert=server.pem\n");
	a = conn(c, "a");
	b = conn(c, "b");
	d = conn(c, "d");
	e = conn(c, "e");
	CHECK("auth loads", a && b && d && e);
	if (!a || !b || !d || !e)
		goto out;
	CHECK("eap-tls, rightauth2 eap-md5", a->right.auth == AUTH_EAP_TLS &&
	      a->right.auth2 == AUTH_EAP_MD5 && !a->right.auth_eap_any && a->n_pending == 0);
	CHECK("eap: any method, stored as eap-mschapv2", b->right.auth == AUTH_EAP_MSCHAPV2 &&
	      b->right.auth_eap_any && b->right.auth2 == AUTH_EAP_MSCHAPV2 &&
	      b->right.auth2_eap_any && b->left.auth == AUTH_PUBKEY && !b->left.auth_eap_any);
	CHECK("eap-md5; leftauth2 pending", d->right.auth == AUTH_EAP_MD5 &&
	      strcmp(pend_str(d->pending, d->n_pending), "leftauth2=eap-mschapv2@13") == 0);
	CHECK("rightauth2 of a conn that initiates is pending; rightcert stored",
	      e->right.auth2 == AUTH_PSK && streq_or_null(e->right.cert, "server.pem") &&
	      strcmp(pend_str(e->pending, e->n_pending), "rightauth2=psk@18") == 0);
	CHECK("conf_auth_is_eap", conf_auth_is_eap(AUTH_EAP_TLS) && conf_auth_is_eap(AUTH_EAP_MD5) &&
	      conf_auth_is_eap(AUTH_EAP_MSCHAPV2) && !conf_auth_is_eap(AUTH_PSK) &&
	      !conf_auth_is_eap(AUTH_PUBKEY) && !conf_auth_is_eap(AUTH_UNSET));
	CHECK("conf_auth_name", strcmp(conf_auth_name(AUTH_EAP_MD5), "eap-md5") == 0 &&
	      strcmp(conf_auth_name(AUTH_EAP_TLS), "eap-tls") == 0 &&
	      strcmp(conf_auth_name(AUTH_UNSET), "unset") == 0);
out:
	ipsec_conf_free(c);
}

/* ';' between subnets: both taken, a warning says what strongSwan reads */
static void semicolons(void)
{
	struct ipsec_conf *c;
	const struct conf_conn *a;

	c = parse("conn a\n  auto=add\n  right=198.18.0.1\n"
	          "  rightsubnet=10.1.0.0/16 ; 10.2.0.0/16;2001:db8::/32\n  leftsubnet=10.9.0.1;10.9.0.2\n");
	a = conn(c, "a");
	CHECK("';' subnets", a && a->right.n_subnet == 3 && net_is(&a->right.subnet[0], "10.1.0.0", 16) &&
	      net_is(&a->right.subnet[1], "10.2.0.0", 16) &&
	      net_is(&a->right.subnet[2], "2001:db8::", 32) && a->left.n_subnet == 2);
	CHECK("';' warnings", c && c->n_warnings == 2 &&
	      strcmp(c->warnings[0], "x.conf:4: rightsubnet=10.1.0.0/16 ; 10.2.0.0/16;2001:db8::/32: "
	             "';' read as a list separator (cygnet takes every subnet); strongSwan separates "
	             "lists with ',' only and would have read just the first subnet, 10.1.0.0/16") == 0 &&
	      strcmp(c->warnings[1], "x.conf:5: leftsubnet=10.9.0.1;10.9.0.2: ';' read as a list "
	             "separator (cygnet takes every subnet); strongSwan separates lists with ',' only "
	             "and would have skipped '10.9.0.1' as an invalid subnet") == 0);
	ipsec_conf_free(c);
	c = parse("conn a\n  auto=add\n  leftsubnet=10.0.0.0/8,10.1.0.0/16\n");
	CHECK("',' gives no warning", c && c->n_warnings == 0 && c->conns[0].left.n_subnet == 2);
	ipsec_conf_free(c);
}

static void addr(void)
{
	struct conf_addr a;

	CHECK("addr v4", conf_parse_addr("198.18.0.1", &a) == 0 && a.family == AF_INET &&
	      a.addr[0] == 198 && a.addr[3] == 1);
	CHECK("addr v6", conf_parse_addr("2001:db8::1", &a) == 0 && a.family == AF_INET6 &&
	      a.addr[0] == 0x20 && a.addr[15] == 1);
	CHECK("addr bad", conf_parse_addr("198.18.0", &a) < 0 && conf_parse_addr("", &a) < 0 &&
	      conf_parse_addr("2001:db8::1::", &a) < 0 && conf_parse_addr(NULL, &a) < 0);
}

int main(void)
{
	seed000();
	seed000_client();
	seed001();
	seed002();
	seed003();
	seed004();
	syntax();
	setup();
	also();
	values();
	client_keys();
	includes();
	auth();
	semicolons();
	addr();
	ipsec_conf_free(NULL);
	CHECK_DONE();
}
