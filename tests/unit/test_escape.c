/* Escaping of peer-supplied bytes (issue 9, item 6): esc_text, the IKE
 * identity text of ident_format, the log writer's output and JSON strings
 * for the control socket. JSON rules: RFC 8259 §7; UTF-8 validity:
 * RFC 3629 §3-4 (overlong forms, surrogates and > U+10FFFF are invalid). */
#include "tests/unit/check.h"

#include <unistd.h>

#include "src/escape.h"
#include "src/ident.h"
#include "crypto/cert.h"
#include "src/log.h"

static void test_text(void)
{
	char out[128];
	const char in[] = "a\x1b[31mb\nc\rd\0e\x7f" "f\xff" "g\\h";
	size_t n = esc_text(in, sizeof(in) - 1, out, sizeof(out), 0);
	CHECK("text: ESC NL CR NUL DEL 0xff escaped, backslash kept",
	      strcmp(out, "a\\x1b[31mb\\x0ac\\x0dd\\x00e\\x7ff\\xffg\\h") == 0);
	CHECK("text: returns the full length", n == strlen(out));
	esc_text(in, sizeof(in) - 1, out, sizeof(out), ESC_BACKSLASH);
	CHECK("text: ESC_BACKSLASH doubles a backslash",
	      strcmp(out, "a\\x1b[31mb\\x0ac\\x0dd\\x00e\\x7ff\\xffg\\\\h") == 0);
	/* "ab" + ESC into 5 bytes: "ab" and no half escape */
	n = esc_text("ab\x1b", 3, out, 5, 0);
	CHECK("text: truncation never cuts an escape", strcmp(out, "ab") == 0 && n == 6);
	n = esc_text("ab\x1b", 3, out, 7, 0);
	CHECK("text: exact fit", strcmp(out, "ab\\x1b") == 0 && n == 6);
	CHECK("text: size query with outlen 0", esc_text("\x01\x02", 2, NULL, 0, 0) == 8);
	CHECK("text: printable unchanged", esc_text(" ~az09", 6, out, sizeof(out), 0) == 6 &&
	      strcmp(out, " ~az09") == 0);
	CHECK("clean: printable", esc_is_clean("alice@example.com ~"));
	CHECK("clean: ESC, 0x80 and DEL are not", !esc_is_clean("a\x1b") &&
	      !esc_is_clean("caf\xc3\xa9") && !esc_is_clean("\x7f"));
}

static void test_ident(void)
{
	struct ident id = { .type = ID_FQDN };
	const uint8_t raw[] = { 'e', 'v', 0x1b, ']', '0', ';', 'x', 0x07, '\n', '\r', 0, 0x7f,
	                        0xff, '\\', 'z' };
	memcpy(id.data, raw, sizeof(raw));
	id.len = sizeof(raw);
	char out[256];
	ident_format(&id, out, sizeof(out));
	CHECK("ident: FQDN escaped, backslash doubled",
	      strcmp(out, "ev\\x1b]0;x\\x07\\x0a\\x0d\\x00\\x7f\\xff\\\\z") == 0);
	CHECK("ident: output is clean", esc_is_clean(out));

	/* two identities that used to share a text ("a?" for both) differ */
	struct ident a = { .type = ID_RFC822_ADDR, .len = 2 }, b = a, c = a;
	memcpy(a.data, "a\x1b", 2);
	c.len = 5;
	memcpy(c.data, "a\\x1b", 5);
	char ta[64], tc[64];
	ident_format(&a, ta, sizeof(ta));
	ident_format(&c, tc, sizeof(tc));
	CHECK("ident: ESC and the text \\x1b differ", strcmp(ta, tc) != 0 &&
	      strcmp(ta, "a\\x1b") == 0 && strcmp(tc, "a\\\\x1b") == 0);
	(void)b;

	/* a DN whose CN holds ESC and a newline */
	struct ident dn;
	CHECK("ident: DN parses", ident_parse("O=evil, CN=x\x1b[2Jy\nz", &dn) == 0);
	ident_format(&dn, out, sizeof(out));
	CHECK("ident: DN escaped", strstr(out, "x\\x1b[2Jy\\x0az") != NULL && esc_is_clean(out));

	/* truncation inside ident_format stays clean */
	ident_format(&id, out, 8);
	CHECK("ident: truncated text is clean and short", esc_is_clean(out) && strlen(out) < 8);
}

/* runs log_msg with stderr going to a file and returns what it wrote */
static void logged(const char *arg, char *got, size_t len)
{
	char path[] = "/tmp/cygnet-test-escape.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(2);
	got[0] = '\0';
	if (fd < 0 || saved < 0)
		return;
	fflush(stderr);
	dup2(fd, 2);
	log_msg(LOG_IKE, 0, "user '%s' here", arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, got, len - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static void test_log(void)
{
	char got[512];
	logged("a\x1b[31m\r\nfake line\x7f\xff\\b", got, sizeof(got));
	CHECK("log: ESC CR LF DEL 0xff escaped, backslash kept",
	      strstr(got, "[ike] user 'a\\x1b[31m\\x0d\\x0afake line\\x7f\\xff\\b' here\n") != NULL);
	size_t nl = 0;
	for (char *p = got; *p; p++)
		nl += *p == '\n';
	CHECK("log: one line", nl == 1);
	bool clean = true;
	for (char *p = got; *p; p++)
		if (*p != '\n' && ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e))
			clean = false;
	CHECK("log: only printable ASCII", clean);
	/* a formatted identity: its doubled backslash is not doubled again */
	struct ident id = { .type = ID_FQDN, .len = 3 };
	memcpy(id.data, "a\\b", 3);
	char t[64];
	ident_format(&id, t, sizeof(t));
	logged(t, got, sizeof(got));
	CHECK("log: escaped identity passes unchanged", strstr(got, "user 'a\\\\b' here") != NULL);
}

static void test_json(void)
{
	char out[256];
	esc_json("q\"b\\n\n\x01\x1b\x7f", out, sizeof(out));
	CHECK("json: quote, backslash, controls, DEL",
	      strcmp(out, "q\\\"b\\\\n\\u000a\\u0001\\u001b\\u007f") == 0);
	esc_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", out, sizeof(out));
	CHECK("json: UTF-8 as code points, surrogate pair above U+FFFF",
	      strcmp(out, "caf\\u00e9 \\u20ac \\ud83d\\ude00") == 0);
	esc_json("\xff|\xc0\x80|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82|\x80", out, sizeof(out));
	CHECK("json: invalid bytes become U+FFFD each",
	      strcmp(out, "\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd"
	                  "\\ufffd|\\ufffd\\ufffd|\\ufffd") == 0);
	CHECK("json: output is printable ASCII", esc_is_clean(out));
	size_t n = esc_json("\xe2\x82\xac", out, 6);
	CHECK("json: truncation never cuts an escape", out[0] == '\0' && n == 6);
	CHECK("json: size query", esc_json("\xf0\x9f\x98\x80", NULL, 0) == 12);
	/* a cut-short sequence at the end does not read past the NUL */
	esc_json("x\xf0\x9f", out, sizeof(out));
	CHECK("json: cut short at the end", strcmp(out, "x\\ufffd\\ufffd") == 0);
}

int main(void)
{
	test_text();
	test_ident();
	test_log();
	test_json();
	return check_failed;
}
