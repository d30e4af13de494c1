/* "cygnetctl user add|del|list" (cli_user.h). */
#include "src/cli_user.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf/secrets.h"
#include "src/cli_ctl.h"
#include "src/cli_pw.h"
#include "src/cli_secrets.h"
#include "src/cli_status.h"
#include "src/escape.h"

const char cli_user_usage[] =
	"  user add NAME [--password-stdin] [--nt-hash]\n"
	"                         add NAME : EAP \"password\" to ipsec.secrets (a random\n"
	"                         password, printed once, unless read from stdin);\n"
	"                         --nt-hash stores NAME : NTLM 0x<NT hash> instead\n"
	"  user del NAME          remove NAME's secret and end NAME's sessions\n"
	"  user list [--json]     the users in ipsec.secrets and who is online\n";

/* An alphabet every client's password field and every keyboard has,
 * without look-alikes (0 O o, 1 l I): 56 characters, so 20 of them are
 * 116 bits. */
static const char pw_alphabet[] = "ABCDEFGHJKLMNPRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
#define PW_GEN_LEN 20

static int gen_password(char *out)
{
	size_t n = sizeof(pw_alphabet) - 1, o = 0;
	unsigned char b[64];
	/* rejection sampling: bytes below the largest multiple of n only */
	unsigned limit = 256 - 256 % (unsigned)n;
	while (o < PW_GEN_LEN) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return -1;
		for (size_t i = 0; i < sizeof(b) && o < PW_GEN_LEN; i++)
			if (b[i] < limit)
				out[o++] = pw_alphabet[b[i] % n];
	}
	out[o] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

static void secrets_path(const char *confdir, char *out, size_t len)
{
	snprintf(out, len, "%s/ipsec.secrets", confdir);
}

/* the daemon reads swanctl.conf's secrets when the dir has no ipsec.conf */
static bool uses_swanctl(const char *confdir)
{
	char a[4200], b[4200];
	struct stat st;
	snprintf(a, sizeof(a), "%s/ipsec.conf", confdir);
	snprintf(b, sizeof(b), "%s/swanctl.conf", confdir);
	return stat(a, &st) != 0 && stat(b, &st) == 0;
}

/* reload the daemon; prints what happened. 0 when reloaded, 1 when it
 * is not running, -1 when the reload failed */
static int reload(const char *sock)
{
	char err[512], *ans = NULL;
	enum ctl_result r = ctl_call(sock, "reload", 60, &ans, err, sizeof(err));
	int rc = -1;

	if (r == CTL_NOT_RUNNING) {
		fprintf(stderr, "cygnetctl: cygnetd is not running (%s): the change takes effect "
		        "at its next start\n", err);
		rc = 1;
	} else if (r == CTL_OK) {
		fprintf(stderr, "cygnetd reloaded: %s", ans);
		rc = 0;
	} else {
		fprintf(stderr, "cygnetctl: the file is changed, but cygnetd did not reload it: %s%s",
		        r == CTL_ERROR ? ans : err, r == CTL_ERROR ? "" : "\n");
	}
	free(ans);
	return rc;
}

static int user_add(const char *confdir, const char *sock, const char *name, bool from_stdin,
                    bool nt_hash)
{
	char path[4200], err[1024], pw[PW_MAX], line[2 * PW_MAX + 64];
	struct secrets *all = NULL;
	struct sedit e;
	char *text = NULL;
	size_t tlen = 0;
	int lock = -1, rc = 1;

	memset(&e, 0, sizeof(e));
	if (user_name_check(name, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetctl: '%s': %s\n", name, err);
		return 1;
	}
	if (uses_swanctl(confdir)) {
		fprintf(stderr, "cygnetctl: %s uses swanctl.conf, whose secrets section holds the "
		        "users: edit it there\n", confdir);
		return 1;
	}
	if (from_stdin ? cli_read_password(pw, true) < 0 : gen_password(pw) != 0) {
		if (!from_stdin)
			fprintf(stderr, "cygnetctl: no random bytes\n");
		goto out;
	}
	if (user_secret_line(name, pw, nt_hash, line, sizeof(line), err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		goto out;
	}
	secrets_path(confdir, path, sizeof(path));
	lock = sedit_lock(confdir, err, sizeof(err));
	if (lock < 0 || sedit_open(path, confdir, true, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		goto out;
	}
	/* every file the secrets include, for a user of that name */
	all = secrets_parse(e.path, e.text, err, sizeof(err));
	if (!all) {
		fprintf(stderr, "cygnetctl: %s (fix it first)\n", err);
		goto out;
	}
	for (int i = 0; i < all->n; i++) {
		if (secret_is_user(&all->s[i], name)) {
			fprintf(stderr, "cygnetctl: '%s' already has a password at %s:%d\n", name,
			        all->s[i].file, all->s[i].line);
			goto out;
		}
	}
	if (secrets_text_append(e.path, e.text, e.len, line, &text, &tlen, err, sizeof(err)) != 0 ||
	    sedit_commit(&e, text, tlen, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		goto out;
	}
	sedit_unlock(lock);
	lock = -1;
	fprintf(stderr, "added user '%s' to %s%s\n", name, path,
	        nt_hash ? " (as the NT hash of the password)" : "");
	if (e.st.st_ino && (e.st.st_mode & 077))
		fprintf(stderr, "cygnetctl: warning: %s is readable by others (mode %04o): chmod 600 "
		        "it\n", path, (unsigned)(e.st.st_mode & 07777));
	if (!from_stdin)
		printf("password: %s\n", pw);
	fflush(stdout);
	rc = reload(sock) < 0 ? 1 : 0;
	fprintf(stderr, "Profiles for the devices: cygnetctl profile %s [--out DIR]\n", name);
out:
	sedit_unlock(lock);
	sedit_free(&e);
	secrets_free(all);
	wipe_free_buf(text, tlen + 1);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static int user_del(const char *confdir, const char *sock, const char *name)
{
	char path[4200], err[1024], shown[4096];
	int lock, rc = 1, removed = 0;

	if (uses_swanctl(confdir)) {
		fprintf(stderr, "cygnetctl: %s uses swanctl.conf, whose secrets section holds the "
		        "users: edit it there\n", confdir);
		return 1;
	}
	secrets_path(confdir, path, sizeof(path));
	lock = sedit_lock(confdir, err, sizeof(err));
	if (lock < 0) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		return 1;
	}
	/* one entry at a time, in whichever file holds it, until none is left */
	for (int round = 0; round < 64; round++) {
		struct sedit e, f;
		struct secrets *all;
		char *text = NULL;
		size_t tlen = 0;
		int hit = -1, r = -1;

		if (sedit_open(path, confdir, false, &e, err, sizeof(err)) != 0) {
			sedit_free(&e);
			fprintf(stderr, "cygnetctl: %s\n", err);
			goto out;
		}
		all = secrets_parse(e.path, e.text, err, sizeof(err));
		sedit_free(&e);
		if (!all) {
			fprintf(stderr, "cygnetctl: %s (fix it first)\n", err);
			goto out;
		}
		for (int i = 0; i < all->n && hit < 0; i++)
			if (secret_is_user(&all->s[i], name))
				hit = i;
		if (hit < 0) {
			secrets_free(all);
			break;
		}
		const struct secret *s = &all->s[hit];
		if (s->n_ids > 1) {
			fprintf(stderr, "cygnetctl: %s:%d gives one password to several names: edit it "
			        "by hand\n", s->file, s->line);
			secrets_free(all);
			goto out;
		}
		snprintf(shown, sizeof(shown), "%s:%d", s->file, s->line);
		if (sedit_open(s->file, confdir, false, &f, err, sizeof(err)) == 0 &&
		    secrets_text_remove(s->file, f.text, f.len, s->line, &text, &tlen, err,
		                        sizeof(err)) == 0 &&
		    sedit_commit(&f, text, tlen, err, sizeof(err)) == 0)
			r = 0;
		sedit_free(&f);
		wipe_free_buf(text, tlen + 1);
		secrets_free(all);
		if (r != 0) {
			fprintf(stderr, "cygnetctl: %s\n", err);
			goto out;
		}
		fprintf(stderr, "removed %s\n", shown);
		removed++;
	}
	sedit_unlock(lock);
	lock = -1;
	if (!removed) {
		fprintf(stderr, "cygnetctl: no user '%s' in %s or the files it includes\n", name, path);
		goto out;
	}
	int rl = reload(sock);
	rc = rl < 0 ? 1 : 0;
	if (rl == 0 && user_name_check(name, err, sizeof(err)) != 0) {
		/* terminate would read it as an address, or it is no one line */
		fprintf(stderr, "cygnetctl: end the sessions of this user with cygnetctl terminate "
		        "#ID (cygnetctl status shows them): %s\n", err);
		rc = 1;
	} else if (rl == 0) {
		/* after the reload, so that the user cannot log in again */
		char cmd[300], *ans = NULL;
		snprintf(cmd, sizeof(cmd), "terminate %s", name);
		if (ctl_call(sock, cmd, 30, &ans, err, sizeof(err)) == CTL_OK) {
			fprintf(stderr, "sessions of '%s': %s", name, ans);
		} else {
			fprintf(stderr, "cygnetctl: ending the sessions of '%s' failed: %s\n", name,
			        ans ? ans : err);
			rc = 1;
		}
		free(ans);
	}
out:
	sedit_unlock(lock);
	return rc;
}

static void put_json(const char *s)
{
	char buf[2048];
	esc_json(s, buf, sizeof(buf));
	printf("\"%s\"", buf);
}

static int user_list(const char *confdir, const char *sock, bool json)
{
	char path[4200], err[1024], *ans = NULL;
	struct secrets *all;
	struct session *ss = NULL;
	int nss = 0, shown = 0;
	bool running = false;

	secrets_path(confdir, path, sizeof(path));
	all = secrets_load(path, err, sizeof(err));
	if (!all) {
		fprintf(stderr, "cygnetctl: %s\n", err);
		return 1;
	}
	enum ctl_result r = ctl_call(sock, "status --json", 10, &ans, err, sizeof(err));
	if (r == CTL_OK && status_sessions_parse(ans, strlen(ans), &ss, &nss) == 0)
		running = true;
	else if (r == CTL_NOT_RUNNING)
		fprintf(stderr, "cygnetctl: cygnetd is not running: nobody is online\n");
	else
		fprintf(stderr, "cygnetctl: cannot tell who is online: %s\n",
		        r == CTL_OK ? "unreadable status answer" : r == CTL_ERROR ? ans : err);
	free(ans);
	if (json)
		printf("{\"daemon_running\":%s,\"users\":[", running ? "true" : "false");
	else
		printf("%-20s %-9s %-8s %s\n", "USER", "SECRET", "ONLINE", "SESSIONS");
	for (int i = 0; i < all->n; i++) {
		const struct secret *s = &all->s[i];
		if (s->type != SECRET_EAP && s->type != SECRET_NTLM)
			continue;
		for (int k = 0; k < s->n_ids; k++) {
			const char *u = s->ids[k];
			bool dup = false;
			/* the first entry of a name is the one that counts */
			for (int j = 0; j < i && !dup; j++)
				dup = secret_is_user(&all->s[j], u);
			for (int j = 0; j < k && !dup; j++)
				dup = strcmp(s->ids[j], u) == 0;
			if (dup)
				continue;
			int on = 0;
			for (int j = 0; j < nss; j++)
				on += strcmp(ss[j].role, "client") != 0 && strcmp(ss[j].user, u) == 0;
			if (json) {
				printf("%s{\"name\":", shown ? "," : "");
				put_json(u);
				printf(",\"secret\":\"%s\",\"file\":", s->type == SECRET_NTLM ? "ntlm" : "password");
				put_json(s->file);
				printf(",\"line\":%d,\"online\":%s,\"sessions\":[", s->line,
				       on ? "true" : "false");
				for (int j = 0, m = 0; j < nss; j++) {
					if (strcmp(ss[j].role, "client") == 0 || strcmp(ss[j].user, u) != 0)
						continue;
					printf("%s{\"id\":%u,\"peer\":", m++ ? "," : "", ss[j].id);
					put_json(ss[j].peer);
					printf(",\"vip4\":");
					put_json(ss[j].vip4);
					printf(",\"vip6\":");
					put_json(ss[j].vip6);
					printf(",\"established_seconds\":%llu,\"bytes_in\":%llu,"
					       "\"bytes_out\":%llu}",
					       (unsigned long long)ss[j].established_seconds,
					       (unsigned long long)ss[j].bytes_in,
					       (unsigned long long)ss[j].bytes_out);
				}
				printf("]}");
			} else {
				char name[1100];
				esc_text(u, strlen(u), name, sizeof(name), 0);
				printf("%-20s %-9s %-8s", name, s->type == SECRET_NTLM ? "NT hash" : "password",
				       !running ? "?" : on ? "yes" : "no");
				for (int j = 0; j < nss; j++) {
					char peer[600];
					if (strcmp(ss[j].role, "client") == 0 || strcmp(ss[j].user, u) != 0)
						continue;
					esc_text(ss[j].peer, strlen(ss[j].peer), peer, sizeof(peer), 0);
					printf(" #%u %s%s%s%s%s", ss[j].id, peer, ss[j].vip4[0] ? " " : "",
					       ss[j].vip4, ss[j].vip6[0] ? " " : "", ss[j].vip6);
				}
				printf("\n");
			}
			shown++;
		}
	}
	if (json)
		printf("]}\n");
	else if (!shown)
		printf("(no users in %s)\n", path);
	free(ss);
	secrets_free(all);
	return 0;
}

int cli_user(int argc, char **argv, const char *confdir, const char *sock)
{
	const char *sub = argc > 1 ? argv[1] : "";
	const char *name = NULL;
	bool from_stdin = false, nt = false, json = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0 && strcmp(sub, "add") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "--nt-hash") == 0 && strcmp(sub, "add") == 0)
			nt = true;
		else if (strcmp(argv[i], "--json") == 0 && strcmp(sub, "list") == 0)
			json = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])
			goto usage;
		else if (!name && strcmp(sub, "list") != 0)
			name = argv[i];
		else
			goto usage;
	}
	if (strcmp(sub, "list") == 0)
		return user_list(confdir, sock, json);
	if (!name)
		goto usage;
	if (strcmp(sub, "add") == 0)
		return user_add(confdir, sock, name, from_stdin, nt);
	if (strcmp(sub, "del") == 0)
		return user_del(confdir, sock, name);
usage:
	fprintf(stderr, "usage: cygnetctl [-c CONFDIR] [-s SOCKET]\n%s", cli_user_usage);
	return 2;
}
