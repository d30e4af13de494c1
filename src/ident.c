/* IKE identities: text <-> ID payload forms. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <openssl/x509.h>
#include "crypto/cert.h"
#include "src/escape.h"
#include "src/ident.h"

static int parse_dn(const char *s, struct ident *out)
{
	/* "C=CH, O=Org, CN=moon" or "/C=CH/O=Org/CN=moon" */
	X509_NAME *name = X509_NAME_new();
	int rc = -1;
	char buf[IDENT_MAX];
	if (!name || strlen(s) >= sizeof(buf))
		goto out;
	strcpy(buf, s);
	char sep = buf[0] == '/' ? '/' : ',';
	char *save = NULL;
	for (char *tok = strtok_r(buf, sep == '/' ? "/" : ",", &save); tok;
	     tok = strtok_r(NULL, sep == '/' ? "/" : ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok)
			goto out;
		*eq = '\0';
		char *val = eq + 1;
		size_t vl = strlen(val);
		while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
			val[--vl] = '\0';
		char *kl = eq;
		while (kl > tok && (kl[-1] == ' ' || kl[-1] == '\t'))
			*--kl = '\0';
		const char *key = tok;
		if (strcmp(key, "E") == 0 || strcmp(key, "email") == 0)
			key = "emailAddress";
		if (!X509_NAME_add_entry_by_txt(name, key, MBSTRING_UTF8,
		                                (const unsigned char *)val, -1, -1, 0))
			goto out;
	}
	int len = i2d_X509_NAME(name, NULL);
	if (len <= 0 || (size_t)len > sizeof(out->data))
		goto out;
	unsigned char *p = out->data;
	i2d_X509_NAME(name, &p);
	out->type = ID_DER_ASN1_DN;
	out->len = (size_t)len;
	rc = 0;
out:
	X509_NAME_free(name);
	return rc;
}

int ident_parse(const char *s, struct ident *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s || strcmp(s, "%any") == 0 || strcmp(s, "%any6") == 0)
		return 0;
	if (inet_pton(AF_INET, s, out->data) == 1) {
		out->type = ID_IPV4_ADDR;
		out->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->data) == 1) {
		out->type = ID_IPV6_ADDR;
		out->len = 16;
		return 0;
	}
	size_t n = strlen(s);
	if (s[0] == '@') {
		if (s[1] == '#') {        /* @#hex: key id */
			out->type = ID_KEY_ID;
			for (size_t i = 2; s[i] && s[i + 1] && out->len < sizeof(out->data); i += 2) {
				unsigned v;
				if (sscanf(s + i, "%2x", &v) != 1)
					return -1;
				out->data[out->len++] = (uint8_t)v;
			}
			return 0;
		}
		if (s[1] == '@') {        /* @@user@host: RFC822 */
			s += 2;
			out->type = ID_RFC822_ADDR;
		} else {
			s += 1;
			out->type = ID_FQDN;
		}
		n = strlen(s);
		if (n > sizeof(out->data))
			return -1;
		memcpy(out->data, s, n);
		out->len = n;
		return 0;
	}
	if (strchr(s, '=') && (strchr(s, ',') || s[0] == '/' || strncmp(s, "CN=", 3) == 0 ||
	                       strncmp(s, "C=", 2) == 0 || strncmp(s, "O=", 2) == 0))
		return parse_dn(s, out);
	if (strchr(s, '='))
		return parse_dn(s, out);
	if (n > sizeof(out->data))
		return -1;
	out->type = strchr(s, '@') ? ID_RFC822_ADDR : ID_FQDN;
	memcpy(out->data, s, n);
	out->len = n;
	return 0;
}

bool ident_is_any(const struct ident *id)
{
	return id->type == 0;
}

bool ident_eq(const struct ident *a, const struct ident *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	if (a->type == ID_FQDN || a->type == ID_RFC822_ADDR) {
		for (size_t i = 0; i < a->len; i++) {
			uint8_t x = a->data[i], y = b->data[i];
			if (x >= 'A' && x <= 'Z') x += 32;
			if (y >= 'A' && y <= 'Z') y += 32;
			if (x != y)
				return false;
		}
		return true;
	}
	if (a->type == ID_DER_ASN1_DN) {
		const unsigned char *pa = a->data, *pb = b->data;
		X509_NAME *na = d2i_X509_NAME(NULL, &pa, (long)a->len);
		X509_NAME *nb = d2i_X509_NAME(NULL, &pb, (long)b->len);
		bool eq = na && nb && X509_NAME_cmp(na, nb) == 0;
		X509_NAME_free(na);
		X509_NAME_free(nb);
		return eq;
	}
	return memcmp(a->data, b->data, a->len) == 0;
}

void ident_format(const struct ident *id, char *out, size_t outlen)
{
	char tmp[INET6_ADDRSTRLEN];
	switch (id->type) {
	case 0:
		snprintf(out, outlen, "%%any");
		return;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (id->len == (id->type == ID_IPV4_ADDR ? 4u : 16u) &&
		    inet_ntop(id->type == ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, tmp, sizeof(tmp))) {
			snprintf(out, outlen, "%s", tmp);
			return;
		}
		break;
	case ID_FQDN:
	case ID_RFC822_ADDR:
		esc_text(id->data, id->len < sizeof(id->data) ? id->len : sizeof(id->data), out,
		         outlen, ESC_BACKSLASH);
		return;
	case ID_DER_ASN1_DN: {
		const unsigned char *p = id->data;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)id->len);
		if (n) {
			BIO *b = BIO_new(BIO_s_mem());
			if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_UTF8_CONVERT | XN_FLAG_FN_SN) >= 0) {
				char *data;
				long l = BIO_get_mem_data(b, &data);
				esc_text(data, l > 0 ? (size_t)l : 0, out, outlen, ESC_BACKSLASH);
			} else {
				snprintf(out, outlen, "(bad DN)");
			}
			BIO_free(b);
			X509_NAME_free(n);
			return;
		}
		break;
	}
	default:
		break;
	}
	snprintf(out, outlen, "(id type %u, %zu bytes)", id->type, id->len);
}
