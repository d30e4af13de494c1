/* cygnetctl user's editing of ipsec.secrets (src/cli_secrets.h): names
 * and passwords that would not read back are refused; an appended line
 * and a removed entry leave every other byte (comments, blank lines,
 * order, continuation lines) as it was; the file editor refuses symlinks
 * out of the config dir and keeps the file's mode. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "src/cli_secrets.h"
#include "tests/unit/check.h"

static char dir[256];

static void put(const char *name, const char *text, mode_t mode)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

int main(void)
{
	char err[512], line[2100], *out = NULL, p[512];
	size_t outlen = 0;

	/* names and passwords */
	CHECK("name plain", user_name_check("alice", err, sizeof(err)) == 0);
	CHECK("name utf-8", user_name_check("j\xc3\xbcrgen@example.com", err, sizeof(err)) == 0);
	CHECK("name space", user_name_check("a b", err, sizeof(err)) != 0);
	CHECK("name quote", user_name_check("a\"b", err, sizeof(err)) != 0);
	CHECK("name newline", user_name_check("a\nreload", err, sizeof(err)) != 0);
	CHECK("name bad utf-8", user_name_check("a\xc3(", err, sizeof(err)) != 0);
	CHECK("name overlong utf-8", user_name_check("a\xc0\xaf", err, sizeof(err)) != 0);
	CHECK("name ip", user_name_check("198.18.0.1", err, sizeof(err)) != 0);
	CHECK("name ipv6", user_name_check("2001:db8::1", err, sizeof(err)) != 0);
	CHECK("name #id", user_name_check("#3", err, sizeof(err)) != 0);
	CHECK("name colon", user_name_check(":", err, sizeof(err)) != 0);
	CHECK("name include", user_name_check("include", err, sizeof(err)) != 0);
	CHECK("name %any", user_name_check("%any", err, sizeof(err)) != 0);
	CHECK("password spaces ok", user_password_check("Carol Secret 3", err, sizeof(err)) == 0);
	CHECK("password quote", user_password_check("a\"b", err, sizeof(err)) != 0);
	CHECK("password backslash", user_password_check("a\\", err, sizeof(err)) != 0);
	CHECK("password tab", user_password_check("a\tb", err, sizeof(err)) != 0);
	CHECK("password C1 control", user_password_check("a\xc2\x85", err, sizeof(err)) != 0);
	CHECK("password empty", user_password_check("", err, sizeof(err)) != 0);
	memset(line, 'x', 257);
	line[257] = '\0';
	CHECK("password 257 characters", user_password_check(line, err, sizeof(err)) != 0);
	line[256] = '\0';
	CHECK("password 256 characters", user_password_check(line, err, sizeof(err)) == 0);
	CHECK("line eap", user_secret_line("carol", "pw 1'#", false, line, sizeof(line), err,
	                                   sizeof(err)) == 0 &&
	      strcmp(line, "carol : EAP \"pw 1'#\"") == 0);
	CHECK("line ntlm (RFC 2759 9.2)", user_secret_line("User", "clientPass", true, line,
	                                                   sizeof(line), err, sizeof(err)) == 0 &&
	      strcmp(line, "User : NTLM 0x44ebba8d5312b8d611474411f56989ae") == 0);

	/* append and remove keep everything else */
	const char *text =
		"# users\n"
		": RSA key.pem\n"
		"\n"
		"alice : EAP \"a\"   # trailing\n"
		"bob\n"
		"   : EAP \"b\"\n"
		"# between\n"
		"carol : EAP \"c\"";   /* no final newline */
	CHECK("append", secrets_text_append("/nonexistent/ipsec.secrets", text, strlen(text),
	                                    "dave : EAP \"d\"", &out, &outlen, err, sizeof(err)) == 0);
	CHECK("append keeps bytes, adds newline",
	      out && outlen == strlen(text) + 16 && memcmp(out, text, strlen(text)) == 0 &&
	      strcmp(out + strlen(text), "\ndave : EAP \"d\"\n") == 0);
	free(out);
	CHECK("remove one line", secrets_text_remove("/nonexistent/ipsec.secrets", text, strlen(text),
	                                             4, &out, &outlen, err, sizeof(err)) == 0);
	CHECK("remove one line keeps the rest", out && strcmp(out,
	      "# users\n: RSA key.pem\n\nbob\n   : EAP \"b\"\n# between\ncarol : EAP \"c\"") == 0);
	free(out);
	CHECK("remove continued entry", secrets_text_remove("/nonexistent/ipsec.secrets", text,
	                                                    strlen(text), 5, &out, &outlen, err,
	                                                    sizeof(err)) == 0);
	CHECK("remove continued entry: both lines", out && strcmp(out,
	      "# users\n: RSA key.pem\n\nalice : EAP \"a\"   # trailing\n# between\n"
	      "carol : EAP \"c\"") == 0);
	free(out);
	CHECK("remove last line without newline",
	      secrets_text_remove("/nonexistent/ipsec.secrets", text, strlen(text), 8, &out, &outlen,
	                          err, sizeof(err)) == 0 &&
	      strcmp(out + outlen - 10, "# between\n") == 0);
	free(out);
	CHECK("remove: no entry there", secrets_text_remove("/nonexistent/ipsec.secrets", text,
	                                                    strlen(text), 3, &out, &outlen, err,
	                                                    sizeof(err)) != 0);

	/* the file editor */
	snprintf(dir, sizeof(dir), "%s/test_cli_secrets.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
	                                                                          : "/tmp");
	CHECK("tmpdir", mkdtemp(dir) != NULL);
	chmod(dir, 0700);
	put("ipsec.secrets", "# top\nalice : EAP \"a\"\ninclude more.secrets\n", 0640);
	put("more.secrets", "bob : EAP \"b\"\n", 0600);
	int lock = sedit_lock(dir, err, sizeof(err));
	CHECK("lock", lock >= 0);
	CHECK("lock is exclusive", sedit_lock(dir, err, sizeof(err)) < 0);
	struct sedit e;
	snprintf(p, sizeof(p), "%s/ipsec.secrets", dir);
	CHECK("open", sedit_open(p, dir, false, &e, err, sizeof(err)) == 0 && e.len == 43);
	CHECK("commit", sedit_commit(&e, "x : EAP \"y\"\n", 12, err, sizeof(err)) == 0);
	struct stat st;
	CHECK("commit keeps mode", stat(p, &st) == 0 && (st.st_mode & 07777) == 0640 &&
	      st.st_size == 12);
	CHECK("commit refuses a replaced file", sedit_commit(&e, "z", 1, err, sizeof(err)) != 0);
	sedit_free(&e);
	sedit_unlock(lock);

	/* symlinks: inside the dir followed, outside refused */
	char other[300], link[512];
	snprintf(other, sizeof(other), "%s.other", dir);
	mkdir(other, 0700);
	snprintf(link, sizeof(link), "%s/outside.secrets", other);
	FILE *f = fopen(link, "w");
	fputs("eve : EAP \"e\"\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/ipsec.secrets", dir);
	unlink(p);
	CHECK("symlink out", symlink(link, p) == 0);
	CHECK("symlink out refused", sedit_open(p, dir, false, &e, err, sizeof(err)) != 0 &&
	      strstr(err, "outside"));
	sedit_free(&e);
	unlink(p);
	CHECK("symlink in", symlink("more.secrets", p) == 0);
	CHECK("symlink in followed", sedit_open(p, dir, false, &e, err, sizeof(err)) == 0 &&
	      strstr(e.path, "/more.secrets"));
	CHECK("commit through an inner symlink replaces the target",
	      sedit_commit(&e, "bob : EAP \"c\"\n", 14, err, sizeof(err)) == 0 &&
	      lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
	sedit_free(&e);
	/* a directory others can write */
	chmod(dir, 0777);
	snprintf(p, sizeof(p), "%s/more.secrets", dir);
	CHECK("world-writable dir refused", sedit_open(p, dir, false, &e, err, sizeof(err)) != 0 &&
	      strstr(err, "writable"));
	sedit_free(&e);
	chmod(dir, 0700);
	/* a missing file is created (0600) when asked */
	snprintf(p, sizeof(p), "%s/new.secrets", dir);
	CHECK("missing file", sedit_open(p, dir, true, &e, err, sizeof(err)) == 0 && e.len == 0);
	CHECK("new file 0600", sedit_commit(&e, "a : EAP \"b\"\n", 12, err, sizeof(err)) == 0 &&
	      stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
	sedit_free(&e);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, other);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	CHECK_DONE();
}
