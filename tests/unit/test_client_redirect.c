/* cygnet as a client following a server's REDIRECT (RFC 5685,
 * src/client_int.h): the REDIRECT notify data a client accepts (the
 * Nonce Data must be our Ni at IKE_SA_INIT and absent elsewhere; IPv4,
 * IPv6 and FQDN identities; unusable addresses and names refused), the
 * loop limit (5 within 300 s), the GW identity of an address for
 * REDIRECTED_FROM, and config setup follow_redirects=. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/check.h"
#include "conf/ipsec_conf.h"
#include "src/client_int.h"
#include "src/log.h"

static void test_parse(void)
{
	uint8_t ni[32], data[600];
	struct redirect_gw gw, to;
	const char *why = NULL;
	size_t n;
	for (int i = 0; i < 32; i++)
		ni[i] = (uint8_t)(i * 7 + 1);

	/* at IKE_SA_INIT: the nonce must be ours */
	redirect_gw_from_text("198.18.1.2", &to);
	n = redirect_data_build(&to, ni, sizeof(ni), data, sizeof(data));
	CHECK("init: IPv4 with our Ni", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) == 0 &&
	      gw.type == GW_IPV4 && gw.len == 4 && memcmp(gw.id, "\xc6\x12\x01\x02", 4) == 0);
	uint8_t other[32];
	memcpy(other, ni, 32);
	other[31] ^= 1;
	n = redirect_data_build(&to, other, sizeof(other), data, sizeof(data));
	CHECK("init: another nonce refused", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) != 0 &&
	      strstr(why, "Nonce"));
	n = redirect_data_build(&to, ni, 16, data, sizeof(data));
	CHECK("init: a shorter nonce refused", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) != 0);
	n = redirect_data_build(&to, NULL, 0, data, sizeof(data));
	CHECK("init: no nonce refused", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) != 0);
	/* after IKE_SA_INIT: no nonce */
	CHECK("info: IPv4 without nonce", client_redirect_parse(data, n, NULL, 0, &gw, &why) == 0 &&
	      gw.type == GW_IPV4);
	n = redirect_data_build(&to, ni, sizeof(ni), data, sizeof(data));
	CHECK("info: a nonce refused", client_redirect_parse(data, n, NULL, 0, &gw, &why) != 0);

	/* IPv6 and FQDN */
	redirect_gw_from_text("2001:db8:1::2", &to);
	n = redirect_data_build(&to, ni, sizeof(ni), data, sizeof(data));
	CHECK("init: IPv6", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) == 0 &&
	      gw.type == GW_IPV6 && gw.len == 16 && memcmp(gw.id, to.id, 16) == 0);
	redirect_gw_from_text("vpn-b.example.com", &to);
	n = redirect_data_build(&to, NULL, 0, data, sizeof(data));
	CHECK("info: FQDN", client_redirect_parse(data, n, NULL, 0, &gw, &why) == 0 &&
	      gw.type == GW_FQDN && gw.len == 17 && memcmp(gw.id, "vpn-b.example.com", 17) == 0);
	n = redirect_data_build(&to, ni, sizeof(ni), data, sizeof(data));
	CHECK("init: FQDN with our Ni", client_redirect_parse(data, n, ni, sizeof(ni), &gw, &why) == 0 &&
	      gw.type == GW_FQDN && gw.len == 17);

	/* what a hostile server may send */
	static const struct { const char *name; const char *hex; } bad[] = {
		{ "empty", "" },
		{ "type only", "01" },
		{ "type 0", "0004c6120102" },
		{ "type 4", "0404c6120102" },
		{ "IPv4 of length 5", "0105c612010203" },
		{ "IPv4 cut short", "0104c61201" },
		{ "IPv6 of length 4", "0204c6120102" },
		{ "FQDN of length 0", "0300" },
		{ "FQDN longer than the data", "030a766e702e61" },
		{ "0.0.0.0", "010400000000" },
		{ "127.0.0.1", "01047f000001" },
		{ "multicast", "0104e0000001" },
		{ "broadcast", "0104ffffffff" },
		{ "::", "021000000000000000000000000000000000" },
		{ "::1", "021000000000000000000000000000000001" },
		{ "ff02::1", "0210ff020000000000000000000000000001" },
		{ "v4-mapped", "021000000000000000000000ffffc6120102" },
		{ "FQDN with a NUL", "0305766e0070" },
		{ "FQDN with a space", "0305766e2070" },
		{ "FQDN with a newline", "0305766e0a70" },
		{ "FQDN with a slash", "0305766e2f70" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[80];
		n = check_unhex(bad[i].hex, data);
		snprintf(name, sizeof(name), "refused: %s", bad[i].name);
		why = NULL;
		CHECK(name, client_redirect_parse(data, n, NULL, 0, &gw, &why) != 0 && why);
	}
	/* the longest name, 255 bytes of labels */
	char longname[256];
	memset(longname, 'a', 255);
	for (int i = 63; i < 255; i += 64)
		longname[i] = '.';
	longname[255] = '\0';
	data[0] = GW_FQDN;
	data[1] = 255;
	memcpy(data + 2, longname, 255);
	CHECK("a 255-byte name", client_redirect_parse(data, 257, NULL, 0, &gw, &why) == 0 &&
	      gw.len == 255);
}

static void test_limit(void)
{
	uint64_t t[CLIENT_REDIRECT_MAX] = { 0 };
	uint64_t now = 1000;
	bool all = true;
	for (int i = 0; i < 5; i++)
		all &= client_redirect_allowed(t, now + (uint64_t)i);
	CHECK("limit: 5 redirects in a row", all);
	CHECK("limit: the 6th within 300 s refused", !client_redirect_allowed(t, now + 10));
	CHECK("limit: still refused at 299 s after the first",
	      !client_redirect_allowed(t, now + 299));
	CHECK("limit: one more once the first is 300 s old", client_redirect_allowed(t, now + 300));
	CHECK("limit: then refused again", !client_redirect_allowed(t, now + 300));
	CHECK("limit: two more after the next expire", client_redirect_allowed(t, now + 302) &&
	      client_redirect_allowed(t, now + 302) && !client_redirect_allowed(t, now + 302));
	uint64_t z[CLIENT_REDIRECT_MAX] = { 0 };
	all = true;
	for (int i = 0; i < 5; i++)
		all &= client_redirect_allowed(z, 0);
	CHECK("limit: at clock 0 counted too", all && !client_redirect_allowed(z, 1));
	uint64_t w[CLIENT_REDIRECT_MAX] = { 0 };
	all = true;
	for (int i = 0; i < 20; i++)
		all &= client_redirect_allowed(w, 5000 + 100 * (uint64_t)i);
	CHECK("limit: one every 100 s never refused", all);
}

static void test_gw_of(void)
{
	struct sockaddr_storage ss;
	struct redirect_gw gw;
	uint8_t out[64];
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(4500);
	inet_pton(AF_INET, "198.18.1.1", &s4->sin_addr);
	client_redirect_gw_of(&ss, &gw);
	size_t n = redirect_data_build(&gw, NULL, 0, out, sizeof(out));
	CHECK_HEX("REDIRECTED_FROM of an IPv4 server", out, n, "0104c6120101");
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1::1", &s6->sin6_addr);
	client_redirect_gw_of(&ss, &gw);
	n = redirect_data_build(&gw, NULL, 0, out, sizeof(out));
	CHECK_HEX("REDIRECTED_FROM of an IPv6 server", out, n, "021020010db8000100000000000000000001");
}

static void test_conf(void)
{
	char err[512];
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", "config setup\n    uniqueids=no\n", err,
	                                        sizeof(err));
	CHECK("conf: follow_redirects on by default", c && c->follow_redirects);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    follow_redirects=no\n", err, sizeof(err));
	CHECK("conf: follow_redirects=no", c && !c->follow_redirects);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    follow_redirects=yes\n", err, sizeof(err));
	CHECK("conf: follow_redirects=yes", c && c->follow_redirects);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    uniqueids=no\n    follow_redirects=maybe\n",
	                     err, sizeof(err));
	CHECK("conf: a bad value named with file:line", !c && strstr(err, "x.conf:3"));
}

int main(void)
{
	log_set_level(-1, -1);
	test_parse();
	test_limit();
	test_gw_of();
	test_conf();
	CHECK_DONE();
}
