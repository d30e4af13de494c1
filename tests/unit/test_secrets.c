/* conf/secrets.c: the seed guides' ipsec.secrets (tests/unit/data, from
 * seeds/000-003) load with the right values; warnings and errors carry
 * file:line. Run from the repository root. */
#include <stdbool.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "conf/secrets.h"

#define D "tests/unit/data/"

static char err[512];

static int is(const struct secret *s, enum secret_type type, const char *ids, const char *value)
{
	char buf[512] = "";
	size_t pos = 0;

	for (int i = 0; i < s->n_ids; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? "|" : "", s->ids[i]);
	if (s->type != type || strcmp(buf, ids) != 0 || s->value_len != strlen(value) ||
	    memcmp(s->value, value, s->value_len) != 0 || s->value[s->value_len] != '\0') {
		printf("# type %d ids '%s' value '%.*s'\n", s->type, buf, (int)s->value_len, s->value);
		return 0;
	}
	return 1;
}

static int fails(const char *text, const char *want)
{
	struct secrets *s = secrets_parse("x.secrets", text, err, sizeof(err));

	if (s) {
		secrets_free(s);
		printf("# parsed: %s\n", text);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return 0;
	}
	return 1;
}

static struct secrets *parse(const char *text)
{
	struct secrets *s = secrets_parse("x.secrets", text, err, sizeof(err));
	if (!s)
		printf("# error: %s\n", err);
	return s;
}

static void seed000(const char *path, const char *name, int incline)
{
	struct secrets *s = secrets_load(path, err, sizeof(err));
	char want[256], check[64];
	bool inc_exists = access("/var/lib/strongswan/ipsec.secrets.inc", F_OK) == 0;

	snprintf(check, sizeof(check), "%s loads", name);
	CHECK(check, s != NULL);
	if (!s) {
		printf("# %s\n", err);
		return;
	}
	snprintf(check, sizeof(check), "%s entries", name);
	CHECK(check, s->n >= 3 &&
	      is(&s->s[s->n - 3], SECRET_RSA, "", "privatekey.pem") &&
	      is(&s->s[s->n - 2], SECRET_EAP, "obama", "SuperPassword123") &&
	      is(&s->s[s->n - 1], SECRET_EAP, "putin", "KremlinSecure666"));
	snprintf(check, sizeof(check), "%s lines", name);
	CHECK(check, s->n >= 3 && s->s[s->n - 3].line == 11 && s->s[s->n - 1].line == 15 &&
	      s->s[s->n - 1].file == s->files[0] && s->s[s->n - 3].passphrase == NULL);
	snprintf(want, sizeof(want), "%s:%d: include '/var/lib/strongswan/ipsec.secrets.inc' matched no file",
	         path, incline);
	snprintf(check, sizeof(check), "%s include warning", name);
	if (inc_exists)
		CHECK(check, s->n_warnings == 0);
	else
		CHECK(check, s->n == 3 && s->n_warnings == 1 && strcmp(s->warnings[0], want) == 0);
	secrets_free(s);
}

static void seed001(void)
{
	struct secrets *s = secrets_load(D "seed001.secrets", err, sizeof(err));

	CHECK("seed001 loads", s != NULL);
	if (!s) {
		printf("# %s\n", err);
		return;
	}
	CHECK("seed001 entries", s->n == 4 &&
	      is(&s->s[0], SECRET_RSA, "", "/etc/ssl/private/vpn-server.key") &&
	      is(&s->s[1], SECRET_EAP, "user1", "password1") &&
	      is(&s->s[2], SECRET_EAP, "user2", "password2") &&
	      is(&s->s[3], SECRET_EAP, "user3", "password3"));
	CHECK("seed001 relative include", s->n_files == 2 &&
	      strcmp(s->files[1], D "ipsec.d/secrets/myvpn") == 0 && s->n == 4 &&
	      s->s[3].file == s->files[1] && s->s[3].line == 2 && s->n_warnings == 0);
	secrets_free(s);
}

static void seed003(void)
{
	struct secrets *s = secrets_load(D "seed003.secrets", err, sizeof(err));

	CHECK("seed003 loads", s && s->n == 2 &&
	      is(&s->s[0], SECRET_RSA, "", "serverKey_myvpnserver.dyndns.org.pem") &&
	      is(&s->s[1], SECRET_EAP, "remoteusername", "secretpassword") && s->s[1].line == 2);
	secrets_free(s);
}

static void forms(void)
{
	struct secrets *s;

	s = parse("# comment\n"
	          "\"user name\" : EAP \"pass word # not a comment\" # comment\n"
	          "user@example.com 198.18.0.1 : XAUTH bare#comment\n"
	          "2001:db8::1 : PSK 'single \"quoted\"'\n"
	          "esc : EAP \"a\\\"b\\\\c\\d\"\n"
	          ": ECDSA ecdsa.pem \"key pass\"\n"
	          ": PRIVATE any.pem %prompt\n"
	          "hex : EAP 0x414243\n"
	          "b64 : PSK 0sQUJDRA==\n"
	          "quotedhex : EAP \"0x41\"\n"
	          "carol : eap lower\n"
	          "empty : EAP \"\"\n"
	          "cont :\n"
	          "    EAP\n"
	          "\t\"continued\"\n"
	          "  dave : EAP indented\r\n");
	CHECK("forms load", s && s->n == 13);
	if (s && s->n == 13) {
		CHECK("quoted id and secret", is(&s->s[0], SECRET_EAP, "user name", "pass word # not a comment"));
		CHECK("xauth as eap, several ids", is(&s->s[1], SECRET_EAP, "user@example.com|198.18.0.1", "bare"));
		CHECK("ipv6 id, single quotes", is(&s->s[2], SECRET_PSK, "2001:db8::1", "single \"quoted\""));
		CHECK("escapes", is(&s->s[3], SECRET_EAP, "esc", "a\"b\\c\\d"));
		CHECK("ecdsa passphrase", is(&s->s[4], SECRET_ECDSA, "", "ecdsa.pem") &&
		      s->s[4].passphrase && strcmp(s->s[4].passphrase, "key pass") == 0);
		CHECK("private %prompt", is(&s->s[5], SECRET_PRIVATE, "", "any.pem") &&
		      s->s[5].passphrase && strcmp(s->s[5].passphrase, "%prompt") == 0);
		CHECK("0x hex", is(&s->s[6], SECRET_EAP, "hex", "ABC"));
		CHECK("0s base64", is(&s->s[7], SECRET_PSK, "b64", "ABCD"));
		CHECK("quoted 0x is literal", is(&s->s[8], SECRET_EAP, "quotedhex", "0x41"));
		CHECK("type case-insensitive", is(&s->s[9], SECRET_EAP, "carol", "lower"));
		CHECK("empty secret", is(&s->s[10], SECRET_EAP, "empty", ""));
		CHECK("continuation lines", is(&s->s[11], SECRET_EAP, "cont", "continued") && s->s[11].line == 13);
		CHECK("indented complete entry", is(&s->s[12], SECRET_EAP, "dave", "indented") &&
		      s->s[12].line == 16);
		CHECK("lines", s->s[0].line == 2 && s->s[13 - 1].line == 16);
	}
	secrets_free(s);

	s = parse("");
	CHECK("empty file", s && s->n == 0 && s->n_warnings == 0 && s->n_files == 1 &&
	      strcmp(s->files[0], "x.secrets") == 0);
	secrets_free(s);

	s = parse(": RSA a.pem\ninclude /nonexistent/cygnet/*.secrets\ninclude /nonexistent/one.secrets\n");
	CHECK("include warnings", s && s->n == 1 && s->n_warnings == 2 &&
	      strcmp(s->warnings[0], "x.secrets:2: include '/nonexistent/cygnet/*.secrets' matched no file") == 0 &&
	      strcmp(s->warnings[1], "x.secrets:3: include '/nonexistent/one.secrets' matched no file") == 0);
	secrets_free(s);
}

static void errors(void)
{
	CHECK("err unknown type", fails("a : EAP x\nbob : FOO bar\n", "x.secrets:2: unknown secret type 'FOO'"));
	CHECK("err unsupported type", fails("bob : PIN 1234\n", "x.secrets:1: secret type 'PIN' is not supported"));
	CHECK("err NTLM too short", fails("bob : NTLM 0x00\n", "x.secrets:1: NTLM: expected the "
	      "16-byte NT hash as 0x and 32 hex digits (cygnetctl hash-password NAME prints the line)"));
	CHECK("err NTLM as a password", fails("bob : NTLM \"0123456789abcdef\"\n", "x.secrets:1: NTLM: "
	      "expected the 16-byte NT hash as 0x and 32 hex digits (cygnetctl hash-password NAME "
	      "prints the line)"));
	CHECK("err NTLM bad hex", fails("bob : NTLM 0x44EBBA8D5312B8D611474411F56989AG\n",
	      "x.secrets:1: NTLM: malformed 0x (hex) or 0s (base64) secret"));
	CHECK("err missing quote", fails("\nbob : EAP \"secret\n", "x.secrets:2: missing closing quote"));
	CHECK("err no colon", fails("bob EAP secret\n",
	      "x.secrets:1: expected 'SELECTORS : TYPE SECRET' (with whitespace around ':')"));
	CHECK("err colon glued", fails("bob: EAP secret\n",
	      "x.secrets:1: expected 'SELECTORS : TYPE SECRET' (with whitespace around ':')"));
	CHECK("err no type", fails("bob :\n\n", "x.secrets:1: missing secret type after ':'"));
	CHECK("err no secret", fails("bob : EAP\nalice : EAP x\n", "x.secrets:1: EAP: missing secret"));
	CHECK("err no key file", fails(": RSA\n", "x.secrets:1: RSA: missing private key file name"));
	CHECK("err extra", fails("bob : EAP one two\n", "x.secrets:1: EAP: unexpected text after the secret"));
	CHECK("err extra key", fails(": RSA k.pem pass more\n",
	      "x.secrets:1: RSA: unexpected text after the passphrase"));
	CHECK("err bad hex", fails("bob : PSK 0xabc\n", "x.secrets:1: PSK: malformed 0x (hex) or 0s (base64) secret"));
	CHECK("err bad base64", fails("bob : PSK 0s!!\n", "x.secrets:1: PSK: malformed 0x (hex) or 0s (base64) secret"));
	CHECK("err include form", fails("include a b\n",
	      "x.secrets:1: expected 'include FILE' with one file name or pattern"));
	CHECK("err message hides secret", fails("bob : EAP \"hunter2\" extra\n",
	      "x.secrets:1: EAP: unexpected text after the secret") && !strstr(err, "hunter2"));
	CHECK("err missing file", secrets_load(D "nope.secrets", err, sizeof(err)) == NULL &&
	      strcmp(err, D "nope.secrets: cannot read: No such file or directory") == 0);
	CHECK("err include loop", secrets_load(D "loop.secrets", err, sizeof(err)) == NULL &&
	      strcmp(err, D "loop.secrets:2: includes nested more than 16 deep (an include loop?)") == 0);
}

/* NTLM entries (strongSwan's NT hash secret) and the line cygnetctl
 * hash-password prints for them, read back */
static void ntlm(void)
{
	/* RFC 2759 §9.2: NtPasswordHash("clientPass") */
	static const uint8_t h[16] = { 0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
	                               0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE };
	struct secrets *s = parse("User : NTLM 0x44EBBA8D5312B8D611474411F56989AE\n"
	                          "\"two words\" : NTLM 0sROu6jVMSuNYRR0QR9WmJrg==\n");
	CHECK("ntlm entries", s && s->n == 2 && s->s[0].type == SECRET_NTLM &&
	      s->s[0].value_len == 16 && memcmp(s->s[0].value, h, 16) == 0 && s->s[0].n_ids == 1 &&
	      strcmp(s->s[0].ids[0], "User") == 0 && s->s[1].type == SECRET_NTLM &&
	      s->s[1].value_len == 16 && memcmp(s->s[1].value, h, 16) == 0 &&
	      strcmp(s->s[1].ids[0], "two words") == 0);
	secrets_free(s);

	static const char *const names[] = { "User", "CORP\\bob", "two words", "say \"hi\"",
	                                     "a#b", "include", ":", "back\\slash quoted", "'q" };
	char line[256];
	bool all = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = NULL;
		if (secrets_format_ntlm(names[i], h, line, sizeof(line)) == 0)
			s = secrets_parse("f.secrets", line, err, sizeof(err));
		bool ok = s && s->n == 1 && s->s[0].type == SECRET_NTLM && s->s[0].n_ids == 1 &&
		          strcmp(s->s[0].ids[0], names[i]) == 0 && s->s[0].value_len == 16 &&
		          memcmp(s->s[0].value, h, 16) == 0;
		if (!ok)
			printf("# '%s' -> '%s'\n", names[i], line);
		all &= ok;
		secrets_free(s);
	}
	CHECK("ntlm lines read back", all);
	CHECK("ntlm line form", secrets_format_ntlm("User", h, line, sizeof(line)) == 0 &&
	      strcmp(line, "User : NTLM 0x44ebba8d5312b8d611474411f56989ae") == 0);
	CHECK("ntlm line quoted", secrets_format_ntlm("a b", h, line, sizeof(line)) == 0 &&
	      strncmp(line, "\"a b\" : NTLM 0x", 15) == 0);
	CHECK("ntlm line refusals", secrets_format_ntlm("", h, line, sizeof(line)) < 0 &&
	      secrets_format_ntlm("a\nb", h, line, sizeof(line)) < 0 &&
	      secrets_format_ntlm("User", h, line, 20) < 0);
}

int main(void)
{
	ntlm();
	seed000(D "seed000.secrets", "seed000", 8);
	seed000(D "seed002.secrets", "seed002", 8);
	seed001();
	seed003();
	forms();
	errors();
	secrets_free(NULL);
	CHECK_DONE();
}
