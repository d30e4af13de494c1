/* The first start as a container runs it (src/firstrun.c): CYGNET_*
 * environment variables as defaults for the flags, the choice of the
 * server identity (public before private, over made-up interface lists),
 * IPv6 only with IPv6 connectivity (made-up /proc/net/ipv6_route text),
 * several users, given resolvers, and --reissue-server-cert. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* nftw */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/firstrun.h"
#include "tests/unit/check.h"
#include "tests/unit/dir_files.h"

static char base[64];

static void clear_env(void)
{
	unsetenv("CYGNET_SERVER_ID");
	unsetenv("CYGNET_POOLS");
	unsetenv("CYGNET_DNS");
	unsetenv("CYGNET_USERS");
	unsetenv("CYGNET_IPV6");
}

/* firstrun_opts_from_env with one variable set to value; 0/-1, err */
static int env_one(struct firstrun_opts *o, const char *var, const char *value,
                   char *err, size_t errlen)
{
	clear_env();
	memset(o, 0, sizeof *o);
	setenv(var, value, 1);
	err[0] = '\0';
	return firstrun_opts_from_env(o, err, errlen);
}

static void test_env(void)
{
	struct firstrun_opts o;
	char err[512], names[128];

	clear_env();
	memset(&o, 0, sizeof o);
	CHECK("env: nothing set", firstrun_opts_from_env(&o, err, sizeof err) == 0 &&
	      !o.server_id && !o.n_pools && !o.n_dns && !o.n_users && o.ipv6 == FIRSTRUN_IPV6_AUTO);
	firstrun_env_names(names, sizeof names);
	CHECK("env names: none", names[0] == '\0');

	CHECK("env: server id", env_one(&o, "CYGNET_SERVER_ID", "vpn.example.com", err,
	                                sizeof err) == 0 && strcmp(o.server_id, "vpn.example.com") == 0);
	CHECK("env: server id bad, named", env_one(&o, "CYGNET_SERVER_ID", "a b", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_SERVER_ID: ", 18) == 0);
	CHECK("env: empty is unset", env_one(&o, "CYGNET_SERVER_ID", "", err, sizeof err) == 0 &&
	      !o.server_id);

	CHECK("env: pools comma and space", env_one(&o, "CYGNET_POOLS",
	      " 10.9.0.0/24, fd00:9::/112 ", err, sizeof err) == 0 && o.n_pools == 2 &&
	      strcmp(o.pools[0], "10.9.0.0/24") == 0 && strcmp(o.pools[1], "fd00:9::/112") == 0);
	CHECK("env: pool bad, named", env_one(&o, "CYGNET_POOLS", "10.9.0.1/24", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_POOLS: ", 14) == 0 && strstr(err, "host bits"));
	CHECK("env: too many pools", env_one(&o, "CYGNET_POOLS",
	      "10.1.0.0/24 10.2.0.0/24 10.3.0.0/24 10.4.0.0/24 10.5.0.0/24", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_POOLS: ", 14) == 0);

	CHECK("env: dns", env_one(&o, "CYGNET_DNS", "9.9.9.9,2620:fe::fe", err, sizeof err) == 0 &&
	      o.n_dns == 2 && strcmp(o.dns[1], "2620:fe::fe") == 0);
	CHECK("env: dns bad, named", env_one(&o, "CYGNET_DNS", "dns.quad9.net", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_DNS: ", 12) == 0);

	CHECK("env: users", env_one(&o, "CYGNET_USERS", "alice bob:Bob-Pass,1234 carol", err,
	                            sizeof err) == 0 && o.n_users == 3 &&
	      strcmp(o.users[0].name, "alice") == 0 && !o.users[0].password &&
	      strcmp(o.users[1].name, "bob") == 0 &&
	      strcmp(o.users[1].password, "Bob-Pass,1234") == 0 && !o.users[2].password);
	CHECK("env: user name bad, named", env_one(&o, "CYGNET_USERS", "al;ice", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_USERS: ", 14) == 0);
	CHECK("env: short password refused, not echoed",
	      env_one(&o, "CYGNET_USERS", "alice:s3cr", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_USERS: ", 14) == 0 && !strstr(err, "s3cr"));
	CHECK("env: empty password refused",
	      env_one(&o, "CYGNET_USERS", "alice:", err, sizeof err) < 0);
	CHECK("env: quote in password refused",
	      env_one(&o, "CYGNET_USERS", "alice:abc\"defgh", err, sizeof err) < 0);
	CHECK("env: backslash in password refused",
	      env_one(&o, "CYGNET_USERS", "alice:abc\\defgh", err, sizeof err) < 0);
	CHECK("env: user twice refused",
	      env_one(&o, "CYGNET_USERS", "alice alice", err, sizeof err) < 0 && strstr(err, "twice"));
	firstrun_opts_wipe(&o);

	CHECK("env: ipv6 yes", env_one(&o, "CYGNET_IPV6", "yes", err, sizeof err) == 0 &&
	      o.ipv6 == FIRSTRUN_IPV6_YES);
	CHECK("env: ipv6 no", env_one(&o, "CYGNET_IPV6", "no", err, sizeof err) == 0 &&
	      o.ipv6 == FIRSTRUN_IPV6_NO);
	CHECK("env: ipv6 auto", env_one(&o, "CYGNET_IPV6", "auto", err, sizeof err) == 0 &&
	      o.ipv6 == FIRSTRUN_IPV6_AUTO);
	CHECK("env: ipv6 bad, named", env_one(&o, "CYGNET_IPV6", "maybe", err, sizeof err) < 0 &&
	      strncmp(err, "CYGNET_IPV6: ", 13) == 0);

	/* flags win: a field already set is left alone, others still filled */
	clear_env();
	setenv("CYGNET_SERVER_ID", "env.example.com", 1);
	setenv("CYGNET_POOLS", "10.9.0.0/24", 1);
	setenv("CYGNET_USERS", "dave", 1);
	setenv("CYGNET_IPV6", "no", 1);
	memset(&o, 0, sizeof o);
	o.server_id = "flag.example.com";
	o.users[0].name = "erin";
	o.n_users = 1;
	o.ipv6 = FIRSTRUN_IPV6_YES;
	CHECK("env: flags win", firstrun_opts_from_env(&o, err, sizeof err) == 0 &&
	      strcmp(o.server_id, "flag.example.com") == 0 && o.n_users == 1 &&
	      strcmp(o.users[0].name, "erin") == 0 && o.ipv6 == FIRSTRUN_IPV6_YES &&
	      o.n_pools == 1 && strcmp(o.pools[0], "10.9.0.0/24") == 0);
	firstrun_env_names(names, sizeof names);
	CHECK("env names: listed, no values", strcmp(names, "CYGNET_SERVER_ID, CYGNET_POOLS, "
	      "CYGNET_USERS, CYGNET_IPV6") == 0);
	clear_env();
}

/* ---- made-up interface lists ---- */

struct fake_if {
	struct ifaddrs ifa;
	struct sockaddr_storage ss;
};

static struct fake_if fakes[8];

/* a list of "NAME ADDR [down]" entries; "lo" is a loopback */
static struct ifaddrs *fake_ifs(const char *const *spec, int n)
{
	memset(fakes, 0, sizeof fakes);
	for (int i = 0; i < n && i < 8; i++) {
		char name[16], addr[64], state[8] = "";
		struct fake_if *f = &fakes[i];

		sscanf(spec[i], "%15s %63s %7s", name, addr, state);
		f->ifa.ifa_name = strdup(name);
		f->ifa.ifa_flags = strcmp(state, "down") == 0 ? 0 : IFF_UP;
		if (strcmp(name, "lo") == 0)
			f->ifa.ifa_flags |= IFF_LOOPBACK;
		if (strchr(addr, ':')) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&f->ss;

			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, addr, &s6->sin6_addr);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&f->ss;

			s4->sin_family = AF_INET;
			inet_pton(AF_INET, addr, &s4->sin_addr);
		}
		f->ifa.ifa_addr = (struct sockaddr *)&f->ss;
		f->ifa.ifa_next = i + 1 < n ? &fakes[i + 1].ifa : NULL;
	}
	return n ? &fakes[0].ifa : NULL;
}

static void free_fakes(void)
{
	for (int i = 0; i < 8; i++)
		free(fakes[i].ifa.ifa_name);
	memset(fakes, 0, sizeof fakes);
}

/* "ADDR public|private" or "none" for the interface list spec */
static void pick(const char *name, const char *const *spec, int n, const char *want, bool want_pub)
{
	char id[64] = "", err[128] = "";
	bool pub = !want_pub;
	int rc = firstrun_pick_server_id(fake_ifs(spec, n), id, sizeof id, &pub, err, sizeof err);

	if (!want) {
		CHECK(name, rc < 0 && err[0]);
	} else {
		if (rc != 0 || strcmp(id, want) != 0 || pub != want_pub)
			printf("# %s: got '%s' %s\n", name, id, pub ? "public" : "private");
		CHECK(name, rc == 0 && strcmp(id, want) == 0 && pub == want_pub);
	}
	free_fakes();
}

static void test_identity(void)
{
	static const char *const docker[] = { "lo 127.0.0.1", "lo ::1", "eth0 172.17.0.2",
	                                      "eth0 fe80::42:acff:fe11:2" };
	static const char *const vps[] = { "lo 127.0.0.1", "eth1 10.0.0.5", "eth0 203.0.114.7",
	                                   "eth0 2a01:4f8:1:2::1" };
	static const char *const v6pub[] = { "eth0 192.168.1.20", "eth0 fd12::1",
	                                     "eth0 2a01:4f8:1:2::1" };
	static const char *const cgnat[] = { "eth0 100.64.3.4", "eth1 fd12::1" };
	static const char *const down[] = { "eth0 198.51.99.1 down", "eth1 10.1.1.1" };
	static const char *const special[] = { "eth0 198.18.1.1", "eth1 192.0.2.1",
	                                        "eth2 2001:db8::1" };
	static const char *const onlylo[] = { "lo 127.0.0.1", "eth0 fe80::1" };

	pick("identity: docker, private address certified but flagged", docker, 4,
	     "172.17.0.2", false);
	pick("identity: public IPv4 before private", vps, 4, "203.0.114.7", true);
	pick("identity: public IPv6 before private IPv4", v6pub, 3, "2a01:4f8:1:2::1", true);
	pick("identity: CGNAT is private, before ULA", cgnat, 2, "100.64.3.4", false);
	pick("identity: a down interface is skipped", down, 2, "10.1.1.1", false);
	pick("identity: benchmarking and documentation ranges are private", special, 3,
	     "198.18.1.1", false);
	pick("identity: nothing usable", onlylo, 2, NULL, false);
}

static void test_ipv6_detect(void)
{
	static const char *const pub6[] = { "lo ::1", "eth0 198.51.99.1", "eth0 2a01:4f8:1:2::1" };
	static const char *const ula6[] = { "eth0 198.51.99.1", "eth0 fd00:1::2" };
	static const char *const doc6[] = { "eth0 198.51.99.1", "eth0 2001:db8:1::1" };
	static const char *const v4[] = { "eth0 198.51.99.1" };
	/* fields: dst plen src splen nexthop metric refcnt use flags dev */
	static const char routes_default[] =
		"2a0104f8000100020000000000000000 40 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"fe800000000000000000000000000001 00000400 00000002 00000000 00450003     eth0\n";
	static const char routes_none[] =
		"2a0104f8000100020000000000000000 40 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

	CHECK("ipv6: public address + default route", firstrun_ipv6_connected(fake_ifs(pub6, 3),
	                                                                       routes_default));
	free_fakes();
	CHECK("ipv6: public address, only a reject default on lo",
	      !firstrun_ipv6_connected(fake_ifs(pub6, 3), routes_none));
	free_fakes();
	CHECK("ipv6: public address, no route table", !firstrun_ipv6_connected(fake_ifs(pub6, 3), NULL));
	free_fakes();
	CHECK("ipv6: ULA only", !firstrun_ipv6_connected(fake_ifs(ula6, 2), routes_default));
	free_fakes();
	CHECK("ipv6: documentation prefix only", !firstrun_ipv6_connected(fake_ifs(doc6, 2),
	                                                                   routes_default));
	free_fakes();
	CHECK("ipv6: IPv4 only host", !firstrun_ipv6_connected(fake_ifs(v4, 1), routes_default));
	free_fakes();
	CHECK("ipv6: garbage route text", !firstrun_ipv6_connected(fake_ifs(pub6, 3),
	                                                           "00 00 x\n\n junk"));
	free_fakes();
}

/* ---- whole first starts ---- */

static int create(const char *name, struct firstrun_opts *o, struct firstrun_result *res,
                  char *dir, char **conf, char **secrets)
{
	char err[512] = "";
	int rc;

	snprintf(dir, PATH_MAX, "%s/%s", base, name);
	rc = firstrun_create(dir, o, res, err, sizeof err);
	if (rc != 0)
		printf("# %s: %s\n", name, err);
	*conf = rc == 0 ? slurp(dir, "ipsec.conf") : NULL;
	*secrets = rc == 0 ? slurp(dir, "ipsec.secrets") : NULL;
	return rc;
}

static void test_create_variants(void)
{
	struct firstrun_opts o;
	struct firstrun_result res;
	char dir[PATH_MAX], line[256], *conf, *secrets, *out = NULL;
	size_t outlen = 0;
	FILE *mem;

	/* IPv6 switched off, no pools: one random IPv4 pool, v4 DNS, 0.0.0.0/0 */
	memset(&o, 0, sizeof o);
	o.server_id = "vpn.example.com";
	o.ipv6 = FIRSTRUN_IPV6_NO;
	CHECK("no ipv6: create", create("noipv6", &o, &res, dir, &conf, &secrets) == 0);
	CHECK("no ipv6: one IPv4 pool", res.n_pools == 1 && !strchr(res.pools[0], ':') && !res.ipv6);
	CHECK("no ipv6: subnet", conf && strstr(conf, "\tleftsubnet=0.0.0.0/0\n"));
	CHECK("no ipv6: dns", conf && strstr(conf, "\trightdns=1.1.1.1\n"));
	CHECK("no ipv6: no ::/0 anywhere", conf && !strstr(conf, "::/0") && !strstr(conf, "2606:"));
	mem = open_memstream(&out, &outlen);
	if (mem) {
		firstrun_print(mem, &res);
		fclose(mem);
	}
	CHECK("no ipv6: banner says IPv4 only", out && strstr(out, "IPv4 only: IPv6 was switched off"));
	CHECK("no ipv6: name given, no warning", out && !strstr(out, "WARNING"));
	free(out);
	out = NULL;
	firstrun_result_wipe(&res);
	free(conf);
	free(secrets);

	/* IPv6 asked for with only an IPv4 pool: a ULA pool is added */
	memset(&o, 0, sizeof o);
	o.server_id = "198.51.99.7";
	o.pools[0] = "10.44.0.0/24";
	o.n_pools = 1;
	o.ipv6 = FIRSTRUN_IPV6_YES;
	CHECK("yes ipv6: create", create("yesipv6", &o, &res, dir, &conf, &secrets) == 0);
	CHECK("yes ipv6: ULA added", res.n_pools == 2 && strcmp(res.pools[0], "10.44.0.0/24") == 0 &&
	      strncmp(res.pools[1], "fd", 2) == 0 && res.ipv6);
	CHECK("yes ipv6: subnet both", conf && strstr(conf, "\tleftsubnet=0.0.0.0/0,::/0\n"));
	CHECK("yes ipv6: dns both", conf &&
	      strstr(conf, "\trightdns=1.1.1.1,2606:4700:4700::1111\n"));
	firstrun_result_wipe(&res);
	free(conf);
	free(secrets);

	/* several users (one password given), resolvers given */
	memset(&o, 0, sizeof o);
	o.server_id = "vpn.example.com";
	o.pools[0] = "10.45.0.0/24";
	o.n_pools = 1;
	o.users[0].name = "alice";
	o.users[1].name = "bob";
	o.users[1].password = "Bob-Pass,1234";
	o.n_users = 2;
	o.dns[0] = "9.9.9.9";
	o.dns[1] = "2620:fe::fe";
	o.n_dns = 2;
	CHECK("users: create", create("users", &o, &res, dir, &conf, &secrets) == 0);
	CHECK("users: two", res.n_users == 2 && res.users[0].generated && !res.users[1].generated &&
	      strcmp(res.user, "alice") == 0 && strcmp(res.password, res.users[0].password) == 0);
	snprintf(line, sizeof line, "\nalice : EAP \"%s\"\n", res.users[0].password);
	CHECK("users: alice's line", secrets && strstr(secrets, line));
	CHECK("users: bob's line", secrets && strstr(secrets, "\nbob : EAP \"Bob-Pass,1234\"\n"));
	CHECK("users: resolvers as given", conf && strstr(conf, "\trightdns=9.9.9.9,2620:fe::fe\n") &&
	      !strstr(conf, "Cloudflare"));
	mem = open_memstream(&out, &outlen);
	if (mem) {
		firstrun_print(mem, &res);
		fclose(mem);
	}
	CHECK("users: banner shows the generated password", out && strstr(out, res.users[0].password));
	CHECK("users: banner hides the given password", out && !strstr(out, "Bob-Pass,1234") &&
	      strstr(out, "User name       bob\n"));
	free(out);
	out = NULL;
	firstrun_result_wipe(&res);
	free(conf);
	free(secrets);
}

/* a private identity is flagged in the banner, loudly, with the way out */
static void test_private_banner(void)
{
	struct firstrun_result r;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;

	memset(&r, 0, sizeof r);
	snprintf(r.dir, sizeof r.dir, "/etc/cygnet");
	snprintf(r.server_id, sizeof r.server_id, "172.17.0.2");
	r.server_id_detected = r.server_id_private = true;
	r.n_users = 1;
	snprintf(r.users[0].name, sizeof r.users[0].name, "vpnuser");
	r.n_pools = 1;
	snprintf(r.pools[0], sizeof r.pools[0], "10.1.2.0/24");
	mem = open_memstream(&out, &outlen);
	if (mem) {
		firstrun_print(mem, &r);
		fclose(mem);
	}
	CHECK("banner: private warning", out && strstr(out, "WARNING: the server identity 172.17.0.2 "
	                                               "is a PRIVATE address"));
	CHECK("banner: how to fix", out && strstr(out, "--reissue-server-cert") &&
	      strstr(out, "CYGNET_SERVER_ID"));
	CHECK("banner: IPv4 only explained", out && strstr(out, "no IPv6 connectivity"));
	free(out);
}

static void test_reissue(void)
{
	struct firstrun_opts o;
	struct firstrun_result res;
	char dir[PATH_MAX], path[PATH_MAX + 32], old[256] = "", err[512] = "";
	char *conf = NULL, *secrets = NULL, *key = NULL, *ca = NULL, *conf2 = NULL;
	char *secrets2 = NULL, *key2 = NULL, *ca2 = NULL, *want = NULL;
	X509 *cert = NULL, *cacert = NULL;
	struct stat st;
	FILE *f;
	int n = -1, rc;

	memset(&o, 0, sizeof o);
	o.server_id = "172.17.0.2";
	o.pools[0] = "10.46.0.0/24";
	o.n_pools = 1;
	if (create("reissue", &o, &res, dir, &conf, &secrets) != 0) {
		CHECK("reissue: create", 0);
		return;
	}
	firstrun_result_wipe(&res);
	/* an operator's own leftid for something else, and a quoted one */
	snprintf(path, sizeof path, "%s/ipsec.conf", dir);
	f = fopen(path, "a");
	if (f) {
		fputs("\nconn other\n\tleftid=@other.example.com\n\tauto=ignore\n"
		      "conn quoted\n\tleftid = \"172.17.0.2\" # the old one\n\tauto=ignore\n", f);
		fclose(f);
	}
	chmod(path, 0640);
	free(conf);
	conf = slurp(dir, "ipsec.conf");
	key = slurp(dir, "ipsec.d/private/server.key");
	ca = slurp(dir, "ipsec.d/cacerts/ca.pem");

	CHECK("reissue: bad name refused",
	      firstrun_reissue(dir, "not a name", old, sizeof old, &n, err, sizeof err) < 0);
	rc = firstrun_reissue(dir, "vpn.example.net", old, sizeof old, &n, err, sizeof err);
	if (rc != 0)
		printf("# reissue: %s\n", err);
	CHECK("reissue: ok", rc == 0);
	CHECK("reissue: old id", strcmp(old, "172.17.0.2") == 0);
	CHECK("reissue: two leftid lines", n == 2);
	cert = load_cert(dir, "ipsec.d/certs/server.pem");
	cacert = load_cert(dir, "ipsec.d/cacerts/ca.pem");
	CHECK("reissue: new SAN", cert && X509_check_host(cert, "vpn.example.net", 0, 0, NULL) == 1);
	CHECK("reissue: old SAN gone", cert && X509_check_ip_asc(cert, "172.17.0.2", 0) != 1);
	CHECK("reissue: signed by the same CA", cert && cacert &&
	      X509_verify(cert, X509_get0_pubkey(cacert)) == 1);
	conf2 = slurp(dir, "ipsec.conf");
	secrets2 = slurp(dir, "ipsec.secrets");
	key2 = slurp(dir, "ipsec.d/private/server.key");
	ca2 = slurp(dir, "ipsec.d/cacerts/ca.pem");
	CHECK("reissue: secrets unchanged", secrets && secrets2 && strcmp(secrets, secrets2) == 0);
	CHECK("reissue: key unchanged", key && key2 && strcmp(key, key2) == 0);
	CHECK("reissue: CA unchanged", ca && ca2 && strcmp(ca, ca2) == 0);
	/* the expected text: exactly the three lines changed */
	if (conf) {
		want = calloc(1, strlen(conf) + 256);
		if (want) {
			const char *p = conf;
			char *w = want;

			while (*p) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
				const char *rep = NULL;

				if (strncmp(p, "\tleftid=172.17.0.2\n", len) == 0 && len == 19)
					rep = "\tleftid=@vpn.example.net\n";
				else if (strncmp(p, "\tleftid = \"172.17.0.2\" # the old one\n", len) == 0)
					rep = "\tleftid = @vpn.example.net # the old one\n";
				else if (strncmp(p, "\t# 172.17.0.2; clients must", 27) == 0)
					rep = "\t# vpn.example.net; clients must use exactly that as the "
					      "server address/remote ID.\n";
				if (rep) {
					strcpy(w, rep);
					w += strlen(rep);
				} else {
					memcpy(w, p, len);
					w += len;
				}
				p += len;
			}
		}
	}
	if (want && conf2 && strcmp(want, conf2) != 0)
		printf("# got:\n%s# want:\n%s", conf2, want);
	CHECK("reissue: ipsec.conf changed in those lines only", want && conf2 &&
	      strcmp(want, conf2) == 0);
	CHECK("reissue: ipsec.conf mode kept", stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
	snprintf(path, sizeof path, "%s/ipsec.conf.new", dir);
	CHECK("reissue: no temporary left", access(path, F_OK) < 0);

	/* a symlinked ipsec.conf is refused, nothing changes */
	{
		char real[PATH_MAX], link[PATH_MAX + 32], *c3;

		snprintf(real, sizeof real, "%s/real.conf", base);
		snprintf(link, sizeof link, "%s/ipsec.conf", dir);
		rename(link, real);
		CHECK("reissue: symlink made", symlink(real, link) == 0);
		CHECK("reissue: symlinked ipsec.conf refused",
		      firstrun_reissue(dir, "vpn2.example.net", old, sizeof old, &n, err,
		                       sizeof err) < 0 && strstr(err, "symlink"));
		X509_free(cert);
		cert = load_cert(dir, "ipsec.d/certs/server.pem");
		CHECK("reissue: refused run left the certificate",
		      cert && X509_check_host(cert, "vpn.example.net", 0, 0, NULL) == 1);
		c3 = slurp(base, "real.conf");
		CHECK("reissue: refused run left the target", c3 && conf2 && strcmp(c3, conf2) == 0);
		free(c3);
	}
	/* a configuration without the first start's CA */
	snprintf(path, sizeof path, "%s/ca/ca.key", dir);
	unlink(path);
	CHECK("reissue: no CA, refused", firstrun_reissue(dir, "vpn3.example.net", old, sizeof old,
	                                                  &n, err, sizeof err) < 0 &&
	      strstr(err, "first start"));

	X509_free(cert);
	X509_free(cacert);
	free(conf);
	free(secrets);
	free(key);
	free(ca);
	free(conf2);
	free(secrets2);
	free(key2);
	free(ca2);
	free(want);
}

int main(void)
{
	snprintf(base, sizeof base, "/tmp/cygnet-firstrun-env-XXXXXX");
	if (!mkdtemp(base)) {
		printf("not ok mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_env();
	test_identity();
	test_ipv6_detect();
	test_create_variants();
	test_private_banner();
	test_reissue();
	rm_tree(base);
	CHECK_DONE();
}
