/* "cygnetctl profile NAME" (cli_profile.h): the facts from the server's
 * configuration, then one file per client platform. */
#include "src/cli_profile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf/conf_files.h"
#include "conf/conf_util.h"
#include "conf/secrets.h"
#include "conf/swanctl_conf.h"
#include "crypto/cert.h"
#include "src/cli_profile_int.h"
#include "src/cli_pw.h"
#include "src/cli_secrets.h"

const char cli_profile_usage[] =
	"  profile NAME [--out DIR] [--with-password PW|--password-stdin] [--conn CONN]\n"
	"                         write NAME.mobileconfig (Apple), NAME.sswan (Android\n"
	"                         strongSwan app), NAME.ps1 (Windows), NAME.txt into DIR\n"
	"                         (default .); the password only when given. More:\n"
	"                         --server ADDR --remote-id ID --ca FILE --name LABEL\n"
	"                         --on-demand --format mobileconfig|sswan|ps1|txt (with\n"
	"                         --out -: to stdout) --identifier ID --dpd RATE\n"
	"                         --issuer-cn CN|--no-issuer-cn --all-users --split-tunnel\n"
	"                         --no-ipv6-route\n";

static const char *const ext[PF_N] = { "mobileconfig", "sswan", "ps1", "txt" };

struct popts {
	const char *user, *out, *conn, *server, *remote_id, *ca, *name, *identifier, *dpd;
	const char *issuer_cn;
	bool no_issuer_cn, on_demand, all_users, split, no_v6route, pw_stdin;
	char *password;            /* --with-password (a copy) or stdin */
	bool want[PF_N], any_format;
};

/* ---- the conn ---- */

static bool server_conn(const struct conf_conn *c)
{
	return c->right.auth == AUTH_EAP_MSCHAPV2;
}

static const struct conf_conn *pick_conn(const struct ipsec_conf *conf, const char *want,
                                         const char *file)
{
	const struct conf_conn *hit = NULL;
	int n = 0;
	if (want) {
		for (int i = 0; i < conf->n_conns; i++)
			if (strcmp(conf->conns[i].name, want) == 0)
				return &conf->conns[i];
		fprintf(stderr, "cygnetctl: %s: no conn %s (conns:", file, want);
		for (int i = 0; i < conf->n_conns; i++)
			fprintf(stderr, " %s", conf->conns[i].name);
		fprintf(stderr, ")\n");
		return NULL;
	}
	for (int i = 0; i < conf->n_conns; i++)
		if (server_conn(&conf->conns[i])) {
			hit = &conf->conns[i];
			n++;
		}
	if (n == 1)
		return hit;
	if (n == 0)
		fprintf(stderr, "cygnetctl: %s: no conn with rightauth=eap-mschapv2 (users with "
		        "passwords): choose one with --conn\n", file);
	else {
		fprintf(stderr, "cygnetctl: %s: several conns are for users with passwords, choose "
		        "one with --conn:", file);
		for (int i = 0; i < conf->n_conns; i++)
			if (server_conn(&conf->conns[i]))
				fprintf(stderr, " %s", conf->conns[i].name);
		fprintf(stderr, "\n");
	}
	return NULL;
}

/* ---- certificates ---- */

static X509 *read_cert(const char *path)
{
	char err[512];
	X509 *x;
	STACK_OF(X509) *st = sk_X509_new_null();
	size_t len = 0;
	char *text = st ? conf_read_file(path, &len, err, sizeof(err)) : NULL;
	x = text && cert_parse((const uint8_t *)text, len, path, st, err, sizeof(err)) == 0 &&
	    sk_X509_num(st) > 0 ? sk_X509_shift(st) : NULL;
	free(text);
	sk_X509_pop_free(st, X509_free);
	return x;
}

static void name_cn(const X509_NAME *n, char *out, size_t outlen)
{
	out[0] = '\0';
	int i = n ? X509_NAME_get_index_by_NID(n, NID_commonName, -1) : -1;
	if (i < 0)
		return;
	ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	unsigned char *u = NULL;
	int l = ASN1_STRING_to_UTF8(&u, s);
	if (l > 0) {
		snprintf(out, outlen, "%.*s", l, u);
		/* no control characters into the files */
		for (char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	OPENSSL_free(u);
}

/* the certificate's subjectAltName DNS names and addresses; for_ip
 * selects which. The i-th one into out, or -1 when there is none. */
static int cert_san(X509 *x, bool ip, int idx, char *out, size_t outlen)
{
	GENERAL_NAMES *gs = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int found = -1, k = 0;
	for (int i = 0; gs && i < sk_GENERAL_NAME_num(gs); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gs, i);
		if (!ip && g->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
			int l = ASN1_STRING_length(g->d.dNSName);
			if (k++ == idx && l > 0 && (size_t)l < outlen && !memchr(d, 0, (size_t)l)) {
				snprintf(out, outlen, "%.*s", l, d);
				found = 0;
			}
		} else if (ip && g->type == GEN_IPADD) {
			int l = ASN1_STRING_length(g->d.iPAddress);
			if (k++ == idx && (l == 4 || l == 16)) {
				inet_ntop(l == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress),
				          out, (socklen_t)outlen);
				found = 0;
			}
		}
	}
	GENERAL_NAMES_free(gs);
	return found;
}

/* true when name is among the certificate's subjectAltNames */
static bool cert_has_name(X509 *x, const char *name)
{
	uint8_t a[16], b[16];
	char s[256];
	int fam = inet_pton(AF_INET, name, a) == 1 ? AF_INET
	        : inet_pton(AF_INET6, name, a) == 1 ? AF_INET6 : 0;
	for (int i = 0; i < 64; i++) {
		if (cert_san(x, fam != 0, i, s, sizeof(s)) != 0)
			break;
		if (fam ? inet_pton(fam, s, b) == 1 && memcmp(a, b, fam == AF_INET ? 4 : 16) == 0
		        : strcasecmp(s, name) == 0)
			return true;
	}
	return false;
}

/* the CA (in the CA dir) that issued cert; with cert NULL, the only CA */
static X509 *find_ca(const char *cadir, X509 *cert)
{
	char **paths = NULL, why[256];
	int n = 0;
	X509 *hit = NULL, *only = NULL;
	int cas = 0;
	if (conf_list_dir(cadir, &paths, &n, why, sizeof(why)) != 0)
		return NULL;
	for (int i = 0; i < n && !hit; i++) {
		X509 *ca = read_cert(paths[i]);
		if (!ca)
			continue;
		cas++;
		if (cert && X509_check_issued(ca, cert) == X509_V_OK) {
			hit = ca;
			continue;
		}
		if (!only)
			only = ca;
		else
			X509_free(ca);
	}
	conf_strv_free(paths, n);
	if (hit) {
		X509_free(only);
		return hit;
	}
	if (!cert && cas == 1)
		return only;
	X509_free(only);
	return NULL;
}

/* ---- facts ---- */

static void strip_at(const char *id, char *out, size_t outlen)
{
	out[0] = '\0';
	if (!id || !*id || strcmp(id, "%any") == 0 || strchr(id, '=') || strncmp(id, "@#", 2) == 0)
		return;             /* none, or a DN/key ID: no client can dial it */
	snprintf(out, outlen, "%s", id[0] == '@' ? id + 1 : id);
}

static bool net_has_default(const struct conf_end *e, int family)
{
	if (e->n_subnet == 0)
		return true;        /* leftsubnet defaults to everything (0.0.0.0/0,::/0) */
	for (int i = 0; i < e->n_subnet; i++)
		if (e->subnet[i].family == family && e->subnet[i].prefix == 0)
			return true;
	return false;
}

static int first_proposal(const struct proposal_list *l, bool set, const char *dflt,
                          enum prop_proto proto, struct proposal *out)
{
	struct proposal_list d;
	char err[256];
	if (set && l->n > 0) {
		*out = l->p[0];
		return 0;
	}
	if (proposal_parse(dflt, proto, &d, err, sizeof(err)) != 0)
		return -1;
	*out = d.p[0];
	return 0;
}

static void file_base(const char *user, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = user; *p && o + 1 < outlen; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '-' || c == '_' || c == '@' || (c == '.' && o > 0);
		out[o++] = ok ? c : '_';
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, outlen, "vpn");
}

/* The output directory, opened once: every file is made and renamed
 * relative to this descriptor, so a path component swapped for a symlink
 * afterwards changes nothing. The directory itself may not be a symlink
 * and, since the files may hold a password and root may run this, must
 * be writable only by its owner, who is root or the caller (as
 * cygnetctl's edits of the config dir: src/cli_secrets.c). -1 with a
 * message on stderr otherwise. */
static int open_out_dir(const char *dir)
{
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		fprintf(stderr, "cygnetctl: --out %s: %s\n", dir,
		        errno == ELOOP ? "a symlink (name the directory itself)" : strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		fprintf(stderr, "cygnetctl: --out %s: %s: refusing to write profiles there\n", dir,
		        st.st_uid != 0 && st.st_uid != geteuid() ? "owned by another user"
		        : "writable by its group or others");
		close(dfd);
		return -1;
	}
	return dfd;
}

/* writes one file into the directory dfd (shown as dir): a new temporary
 * file (0600, never an existing one) renamed over name */
static int write_file(int dfd, const char *dir, const char *name, enum pformat fmt,
                      const struct pfacts *pf)
{
	char tmp[400];
	uint8_t rnd[8];
	int fd = -1;
	FILE *f;
	for (int tries = 0; fd < 0 && tries < 10; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			break;
		snprintf(tmp, sizeof(tmp), ".%s.%02x%02x%02x%02x%02x%02x%02x%02x", name, rnd[0],
		         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		fprintf(stderr, "cygnetctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	int rc = profile_write(fmt, pf, f);
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0) {
		fprintf(stderr, "cygnetctl: %s/%s: %s\n", dir, name, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlinkat(dfd, tmp, 0);
	else
		printf("%s/%s\n", dir, name);
	return rc;
}

static int gather(const char *confdir, const struct popts *o, struct ipsec_conf **confp,
                  struct pfacts *pf)
{
	char path[4200], err[1024], id[256], cadir[4200];
	struct ipsec_conf *conf = NULL;
	struct secrets *sec = NULL;
	X509 *cert = NULL, *ca = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/ipsec.conf", confdir);
	if (access(path, F_OK) != 0) {
		char swan[4200];
		snprintf(swan, sizeof(swan), "%s/swanctl.conf", confdir);
		if (access(swan, F_OK) == 0) {
			snprintf(path, sizeof(path), "%s", swan);
			if (swanctl_conf_load(swan, &conf, &sec, err, sizeof(err)) != 0)
				conf = NULL;
			secrets_free(sec);
		}
	}
	if (!conf && strstr(path, "ipsec.conf"))
		conf = ipsec_conf_load(path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		return -1;
	}
	*confp = conf;
	pf->conn = pick_conn(conf, o->conn, path);
	if (!pf->conn)
		return -1;
	const struct conf_conn *c = pf->conn;
	if (c->right.auth != AUTH_EAP_MSCHAPV2)
		fprintf(stderr, "cygnetctl: warning: conn %s: rightauth=%s; these profiles are for "
		        "EAP-MSCHAPv2 users\n", c->name, conf_auth_name(c->right.auth));
	/* the server certificate */
	if (c->left.cert) {
		if (c->left.cert[0] == '/')
			snprintf(path, sizeof(path), "%s", c->left.cert);
		else
			snprintf(path, sizeof(path), "%s/%s/%s", confdir,
			         swanctl_subdir(conf->swanctl, SUBDIR_CERTS), c->left.cert);
		cert = read_cert(path);
		if (!cert)
			fprintf(stderr, "cygnetctl: warning: leftcert=%s cannot be read: remote ID and "
			        "issuer not checked\n", c->left.cert);
	}
	/* identity and address: --remote-id / --server, else leftid, else the
	 * certificate's first DNS name or address */
	strip_at(c->left.id, id, sizeof(id));
	if (!id[0] && cert && cert_san(cert, false, 0, id, sizeof(id)) != 0 &&
	    cert_san(cert, true, 0, id, sizeof(id)) != 0)
		id[0] = '\0';
	snprintf(pf->server, sizeof(pf->server), "%s", o->server ? o->server : id);
	snprintf(pf->remote_id, sizeof(pf->remote_id), "%s",
	         o->remote_id ? o->remote_id : o->server && !c->left.id ? o->server
	         : id[0] ? id : pf->server);
	if (!pf->server[0] || !pf->remote_id[0]) {
		fprintf(stderr, "cygnetctl: conn %s has no leftid= and no readable server certificate "
		        "with a DNS name or address: give --server ADDR\n", c->name);
		goto out;
	}
	if (cert && !cert_has_name(cert, pf->remote_id))
		fprintf(stderr, "cygnetctl: warning: remote ID '%s' is not a subjectAltName of the "
		        "server certificate %s: clients will reject the server\n", pf->remote_id,
		        c->left.cert);
	if (cert && strcmp(pf->server, pf->remote_id) != 0 && !cert_has_name(cert, pf->server))
		fprintf(stderr, "cygnetctl: warning: server address '%s' is not a subjectAltName of "
		        "%s: Windows will reject the server\n", pf->server, c->left.cert);
	/* the CA */
	if (o->ca) {
		ca = read_cert(o->ca);
		if (!ca) {
			fprintf(stderr, "cygnetctl: --ca %s: no certificate in it\n", o->ca);
			goto out;
		}
	} else {
		snprintf(cadir, sizeof(cadir), "%s/%s", confdir,
		         swanctl_subdir(conf->swanctl, SUBDIR_CACERTS));
		ca = find_ca(cadir, cert);
	}
	if (ca) {
		unsigned char *der = NULL;
		pf->ca_der_len = i2d_X509(ca, &der);
		if (pf->ca_der_len <= 0) {
			fprintf(stderr, "cygnetctl: cannot encode the CA certificate\n");
			goto out;
		}
		pf->ca_der = der;
		name_cn(X509_get_subject_name(ca), pf->ca_cn, sizeof(pf->ca_cn));
	}
	if (o->issuer_cn)
		snprintf(pf->issuer_cn, sizeof(pf->issuer_cn), "%s", o->issuer_cn);
	else if (cert && !o->no_issuer_cn)
		name_cn(X509_get_issuer_name(cert), pf->issuer_cn, sizeof(pf->issuer_cn));
	/* proposals: the first configured one, else one within cygnet's
	 * defaults that every client here has */
	if (first_proposal(&c->ike, c->ike_set, "aes256gcm16-prfsha256-ecp256", PROP_IKE,
	                   &pf->ike) != 0 ||
	    first_proposal(&c->esp, c->esp_set, "aes256gcm16", PROP_ESP, &pf->esp) != 0)
		goto out;
	if (first_proposal(&c->ike, c->ike_set, "aes256-sha256-modp2048", PROP_IKE,
	                   &pf->ike_win) != 0)
		goto out;
	proposal_ss_string(&pf->ike_win, true, pf->ike_win_str, sizeof(pf->ike_win_str));
	proposal_ss_string(&pf->ike, true, pf->ike_str, sizeof(pf->ike_str));
	proposal_ss_string(&pf->esp, false, pf->esp_str, sizeof(pf->esp_str));
	pf->v4_default = net_has_default(&c->left, AF_INET);
	pf->v6_default = net_has_default(&c->left, AF_INET6);
	bool pool6 = false;
	for (int i = 0; i < c->right.n_sourceip; i++)
		pool6 |= c->right.sourceip[i].family == AF_INET6;
	pf->v6_default = pf->v6_default && pool6;
	/* DPD: Apple's rates are High (1 min), Medium (10 min), Low (30 min) */
	if (o->dpd)
		snprintf(pf->dpd, sizeof(pf->dpd), "%s", o->dpd);
	else
		snprintf(pf->dpd, sizeof(pf->dpd), "%s", c->dpdaction == DPD_NONE ? "None"
		         : c->dpddelay <= 60 ? "High" : c->dpddelay <= 600 ? "Medium" : "Low");
	rc = 0;
out:
	X509_free(cert);
	X509_free(ca);
	return rc;
}

int cli_profile(int argc, char **argv, const char *confdir)
{
	struct popts o = { 0 };
	struct pfacts pf;
	struct ipsec_conf *conf = NULL;
	char pw[PW_MAX];
	int rc = 1;

	memset(&pf, 0, sizeof(pf));
	pw[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;
		if (strcmp(a, "--out") == 0) val = &o.out;
		else if (strcmp(a, "--conn") == 0) val = &o.conn;
		else if (strcmp(a, "--server") == 0) val = &o.server;
		else if (strcmp(a, "--remote-id") == 0) val = &o.remote_id;
		else if (strcmp(a, "--ca") == 0) val = &o.ca;
		else if (strcmp(a, "--name") == 0) val = &o.name;
		else if (strcmp(a, "--identifier") == 0) val = &o.identifier;
		else if (strcmp(a, "--dpd") == 0) val = &o.dpd;
		else if (strcmp(a, "--issuer-cn") == 0) val = &o.issuer_cn;
		if (val) {
			if (++i >= argc)
				goto usage;
			*val = argv[i];
			continue;
		}
		if (strcmp(a, "--with-password") == 0) {
			if (++i >= argc || o.password)
				goto usage;
			o.password = argv[i];
			fprintf(stderr, "cygnetctl: warning: a password on the command line is seen by "
			        "every local user (ps) and kept in shell history: prefer "
			        "--password-stdin\n");
		} else if (strcmp(a, "--password-stdin") == 0) o.pw_stdin = true;
		else if (strcmp(a, "--no-issuer-cn") == 0) o.no_issuer_cn = true;
		else if (strcmp(a, "--on-demand") == 0) o.on_demand = true;
		else if (strcmp(a, "--all-users") == 0) o.all_users = true;
		else if (strcmp(a, "--split-tunnel") == 0) o.split = true;
		else if (strcmp(a, "--no-ipv6-route") == 0) o.no_v6route = true;
		else if (strcmp(a, "--format") == 0) {
			int k;
			if (++i >= argc)
				goto usage;
			for (k = 0; k < PF_N && strcmp(argv[i], ext[k]) != 0; k++)
				;
			if (k == PF_N)
				goto usage;
			o.want[k] = o.any_format = true;
		} else if (a[0] == '-' && a[1] == '-')
			goto usage;
		else if (!o.user)
			o.user = a;
		else
			goto usage;
	}
	if (!o.user || (o.password && o.pw_stdin))
		goto usage;
	if (o.dpd && strcmp(o.dpd, "None") && strcmp(o.dpd, "Low") && strcmp(o.dpd, "Medium") &&
	    strcmp(o.dpd, "High")) {
		fprintf(stderr, "cygnetctl: --dpd: None, Low, Medium or High\n");
		return 2;
	}
	if (!o.any_format)
		for (int k = 0; k < PF_N; k++)
			o.want[k] = true;
	bool to_stdout = o.out && strcmp(o.out, "-") == 0;
	int nf = 0;
	for (int k = 0; k < PF_N; k++)
		nf += o.want[k];
	if (to_stdout && nf != 1) {
		fprintf(stderr, "cygnetctl: --out - writes one --format to stdout\n");
		return 2;
	}
	{
		char err[256];
		/* an empty name: a Windows script for whoever signs in */
		if (o.user[0] ? user_name_check(o.user, err, sizeof(err)) != 0
		              : !(nf == 1 && o.want[PF_PS1])) {
			fprintf(stderr, "cygnetctl: '%s': %s\n", o.user, o.user[0] ? err : "empty name");
			return 1;
		}
		if (o.pw_stdin) {
			if (cli_read_password(pw, true) < 0)
				return 1;
			o.password = pw;
		}
		if (o.password && user_password_check(o.password, err, sizeof(err)) != 0) {
			fprintf(stderr, "cygnetctl: %s\n", err);
			goto out;
		}
	}
	pf.user = o.user;
	pf.password = o.password;
	pf.on_demand = o.on_demand;
	pf.all_users = o.all_users;
	pf.split = o.split;
	pf.v6route = !o.no_v6route;
	if (gather(confdir, &o, &conf, &pf) != 0)
		goto out;
	snprintf(pf.name, sizeof(pf.name), "%s", o.name ? o.name : pf.remote_id);
	if (o.identifier) {
		snprintf(pf.identifier, sizeof(pf.identifier), "%s", o.identifier);
	} else {
		/* reverse-DNS style; the same user and server give the same one,
		 * so a new profile replaces the installed one */
		snprintf(pf.identifier, sizeof(pf.identifier), "cygnet.%s.%s", pf.remote_id, o.user);
		for (char *p = pf.identifier; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				*p = '-';
	}
	file_base(o.user, pf.base, sizeof(pf.base));
	rc = 0;
	if (to_stdout) {
		for (int k = 0; k < PF_N; k++)
			if (o.want[k] && profile_write((enum pformat)k, &pf, stdout) != 0)
				rc = 1;
		goto out;
	}
	const char *dir = o.out ? o.out : ".";
	int dfd = open_out_dir(dir);
	if (dfd < 0) {
		rc = 1;
		goto out;
	}
	for (int k = 0; k < PF_N; k++) {
		char fname[300];
		if (!o.want[k])
			continue;
		snprintf(fname, sizeof(fname), "%s.%s", pf.base, ext[k]);
		if (write_file(dfd, dir, fname, (enum pformat)k, &pf) != 0) {
			fprintf(stderr, "cygnetctl: %s not written\n", fname);
			rc = 1;
		}
	}
	close(dfd);
	if (pf.password)
		fprintf(stderr, "These files hold %s's password: hand them over privately.\n",
		        o.user);
out:
	OPENSSL_free(pf.ca_der);
	ipsec_conf_free(conf);
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
usage:
	fprintf(stderr, "usage: cygnetctl [-c CONFDIR]\n%s", cli_profile_usage);
	return 2;
}
