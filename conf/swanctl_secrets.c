/* The secrets of swanctl.conf, and the private keys in its directory,
 * into struct secrets (conf/swanctl_secrets.h; what is read is described
 * in conf/swanctl_conf.h). */
#include "conf/swanctl_secrets.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_lex.h"
#include "conf/conf_util.h"
#include "conf/conf_values.h"
#include "conf/swanctl_conf.h"

/* what the builder reads and where it reports */
struct sx {
	struct sw_tree *tree;
	const char *dir;            /* the directory of swanctl.conf */
	char *err;
	size_t errlen;
};

static int oom(struct sx *T, const char *file, int line)
{
	conf_errf(T->err, T->errlen, file, line, "out of memory");
	return -1;
}


static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* a secret as swanctl reads it: 0x<hex>, 0s<base64> or the text itself.
 * *out malloc'd (NUL-terminated, len in *len); -1 when malformed. */
static int decode_secret(const char *v, char **out, size_t *len)
{
	size_t n = strlen(v), o = 0;
	char *p = malloc(n + 1);

	if (!p)
		return -2;
	if (n >= 2 && v[0] == '0' && v[1] == 'x') {
		if (n == 2 || n % 2)
			goto bad;
		for (size_t i = 2; i < n; i += 2) {
			int hi = conf_hexval(v[i]), lo = conf_hexval(v[i + 1]);
			if (hi < 0 || lo < 0)
				goto bad;
			p[o++] = (char)(hi << 4 | lo);
		}
	} else if (n >= 2 && v[0] == '0' && v[1] == 's') {
		uint32_t acc = 0;
		int bits = 0;
		size_t i = 2;
		for (; i < n && v[i] != '='; i++) {
			int b = b64val(v[i]);
			if (b < 0)
				goto bad;
			acc = (acc << 6) | (uint32_t)b;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				p[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		for (; i < n; i++)
			if (v[i] != '=')
				goto bad;
		if (o == 0)
			goto bad;
	} else {
		memcpy(p, v, n);
		o = n;
	}
	p[o] = '\0';
	*out = p;
	*len = o;
	return 0;
bad:
	explicit_bzero(p, n + 1);
	free(p);
	return -1;
}

/* the copy of a tree file name in s->files */
static const char *sfile(const struct sx *T, const struct secrets *s, const char *file)
{
	for (int i = 0; i < T->tree->n_files && i < s->n_files; i++)
		if (T->tree->files[i] == file)
			return s->files[i];
	return s->n_files ? s->files[0] : "swanctl.conf";
}

static struct secret *new_secret(struct secrets *s, int *cap)
{
	if (conf_grow((void **)&s->s, cap, s->n, sizeof(*s->s)) < 0)
		return NULL;
	struct secret *e = &s->s[s->n];
	memset(e, 0, sizeof(*e));
	return e;
}

/* eap<suffix> / ike<suffix> { secret, id<suffix> } */
static int shared_secret(struct sx *T, struct secrets *s, int *cap, const struct sw_node *sec,
                         enum secret_type type)
{
	char path[300], show[CONF_SHOW_LEN];
	const struct sw_node *sv = NULL;
	struct secret *e = new_secret(s, cap);

	snprintf(path, sizeof(path), "secrets.%s", sec->name);
	if (!e)
		return oom(T, sec->file, sec->line);
	e->type = type;
	e->file = sfile(T, s, sec->file);
	e->line = sec->line;
	s->n++;   /* counted now: secrets_free frees what is filled in */
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *kv = &sec->kids[i];
		if (kv->value && strcmp(kv->name, "secret") == 0) {
			sv = kv;
		} else if (kv->value && strncmp(kv->name, "id", 2) == 0) {
			if (!*kv->value)
				continue;
			if (conf_strv_add(&e->ids, &e->n_ids, kv->value) < 0)
				return oom(T, kv->file, kv->line);
		} else {
			conf_errf(T->err, T->errlen, kv->file, kv->line, "unknown %s '%s' in %s",
			          kv->value ? "keyword" : "section",
			          conf_show(kv->name, show, sizeof(show)), path);
			return -1;
		}
	}
	if (!sv) {
		conf_errf(T->err, T->errlen, sec->file, sec->line, "%s: secret is missing", path);
		return -1;
	}
	int r = decode_secret(sv->value, &e->value, &e->value_len);
	if (r == -2)
		return oom(T, sv->file, sv->line);
	if (r < 0) {
		conf_errf(T->err, T->errlen, sv->file, sv->line, "%s.%s: malformed 0x (hex) or 0s "
		          "(base64) value", path, sv->name);
		return -1;
	}
	e->line = sv->line;
	e->file = sfile(T, s, sv->file);
	if (type == SECRET_EAP && e->n_ids == 0) {
		conf_errf(T->err, T->errlen, sec->file, sec->line, "%s: an EAP secret needs an id "
		          "(the user name)", path);
		return -1;
	}
	return 0;
}

/* private/rsa/ecdsa<suffix> { file, secret }: a key file's passphrase */
struct keypass {
	const struct sw_node *sec, *file, *secret;
	enum secret_type type;
};

static int key_section(struct sx *T, const struct sw_node *sec, enum secret_type type,
                       struct keypass *kp)
{
	char path[300], show[CONF_SHOW_LEN];

	snprintf(path, sizeof(path), "secrets.%s", sec->name);
	memset(kp, 0, sizeof(*kp));
	kp->sec = sec;
	kp->type = type;
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *kv = &sec->kids[i];
		if (kv->value && (strcmp(kv->name, "file") == 0 || strcmp(kv->name, "filename") == 0)) {
			kp->file = kv;
		} else if (kv->value && strcmp(kv->name, "secret") == 0) {
			kp->secret = kv;
		} else {
			conf_errf(T->err, T->errlen, kv->file, kv->line, "unknown %s '%s' in %s",
			          kv->value ? "keyword" : "section",
			          conf_show(kv->name, show, sizeof(show)), path);
			return -1;
		}
	}
	return 0;
}

/* every file of DIR/sub as a key secret of type t */
static int key_dir(struct sx *T, struct secrets *s, int *cap, enum secret_type t)
{
	char dir[1200], why[256];
	char **paths = NULL;
	int n = 0;
	const char *sub = swanctl_key_subdir(true, t);

	snprintf(dir, sizeof(dir), "%s/%s", T->dir, sub);
	if (conf_list_dir(dir, &paths, &n, why, sizeof(why)) < 0) {
		conf_errf(T->err, T->errlen, dir, 0, "%s", why);
		return -1;
	}
	size_t dl = strlen(dir);
	for (int i = 0; i < n; i++) {
		struct secret *e = new_secret(s, cap);
		const char *name = strncmp(paths[i], dir, dl) == 0 && paths[i][dl] == '/'
		                   ? paths[i] + dl + 1 : paths[i];
		if (!e || !(e->value = strdup(name))) {
			conf_strv_free(paths, n);
			return oom(T, dir, 0);
		}
		e->value_len = strlen(e->value);
		e->type = t;
		e->file = s->files[0];
		e->line = 0;
		s->n++;
	}
	conf_strv_free(paths, n);
	return 0;
}

int swanctl_secrets_build(struct sw_tree *tree, const char *dir, struct secrets **out,
                          char *err, size_t errlen)
{
	struct sx sx = { tree, dir, err, errlen }, *T = &sx;
	struct secrets *s = calloc(1, sizeof(*s));
	const struct sw_node *all = sw_find(&T->tree->root, "secrets");
	struct keypass *kp = NULL;
	int cap = 0, n_kp = 0;
	char show[CONF_SHOW_LEN];

	*out = NULL;
	if (!s)
		return oom(T, T->tree->files[0], 0);
	for (int i = 0; i < T->tree->n_files; i++)
		if (conf_strv_add(&s->files, &s->n_files, T->tree->files[i]) < 0)
			goto oom;
	if (all && all->value) {
		conf_errf(T->err, T->errlen, all->file, all->line, "secrets must be a section");
		goto fail;
	}
	if (all && !(kp = calloc((size_t)all->n_kids + 1, sizeof(*kp))))
		goto oom;
	for (int i = 0; all && i < all->n_kids; i++) {
		static const struct { const char *prefix; int type; const char *refuse; } types[] = {
			{ "eap", SECRET_EAP, NULL },
			{ "ike", SECRET_PSK, NULL },
			{ "private", SECRET_PRIVATE, NULL },
			{ "rsa", SECRET_RSA, NULL },
			{ "ecdsa", SECRET_ECDSA, NULL },
			{ "ntlm", -1, "NTLM secrets are not supported yet (write the password in an "
			              "eap<suffix> section)" },
			{ "xauth", -1, "XAuth is IKEv1 only, and IKEv1 is not supported" },
			{ "ppk", -1, "postquantum preshared keys are not supported" },
			{ "pkcs8", -1, "PKCS#8 key files are not supported yet (put them in private/)" },
			{ "pkcs12", -1, "PKCS#12 containers are not supported" },
			{ "token", -1, "smartcard keys are not supported" },
		};
		const struct sw_node *sec = &all->kids[i];
		int t = -2;
		const char *refuse = NULL;
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			if (strncmp(sec->name, types[k].prefix, strlen(types[k].prefix)) == 0) {
				t = types[k].type;
				refuse = types[k].refuse;
				break;
			}
		}
		if (sec->value || t == -2) {
			conf_errf(T->err, T->errlen, sec->file, sec->line, "unknown %s '%s' in secrets "
			          "(expected eap, ike, private, rsa or ecdsa<suffix> sections)",
			          sec->value ? "keyword" : "section", conf_show(sec->name, show, sizeof(show)));
			goto fail;
		}
		if (refuse) {
			conf_errf(T->err, T->errlen, sec->file, sec->line, "secrets.%s: %s", sec->name,
			          refuse);
			goto fail;
		}
		if (t == SECRET_EAP || t == SECRET_PSK) {
			if (shared_secret(T, s, &cap, sec, (enum secret_type)t) < 0)
				goto fail;
		} else if (key_section(T, sec, (enum secret_type)t, &kp[n_kp++]) < 0) {
			goto fail;
		}
	}
	if (key_dir(T, s, &cap, SECRET_PRIVATE) < 0 || key_dir(T, s, &cap, SECRET_RSA) < 0 ||
	    key_dir(T, s, &cap, SECRET_ECDSA) < 0)
		goto fail;
	/* passphrases onto their key files */
	for (int i = 0; i < n_kp; i++) {
		struct keypass *p = &kp[i];
		struct secret *hit = NULL;
		if (!p->secret || !*p->secret->value)
			continue;   /* nothing to decrypt with: the section changes nothing */
		for (int j = 0; p->file && j < s->n && !hit; j++)
			if (s->s[j].type == p->type && !s->s[j].ids && strcmp(s->s[j].value,
			                                                      p->file->value) == 0)
				hit = &s->s[j];
		if (!hit) {
			if (sw_warn(T->tree, p->sec->file, p->sec->line, "secrets.%s: no key file '%s' "
			            "in %s/%s; the passphrase is not used", p->sec->name,
			            p->file ? conf_show(p->file->value, show, sizeof(show)) : "",
			            T->dir, swanctl_key_subdir(true, p->type)) < 0)
				goto oom;
			continue;
		}
		free(hit->passphrase);
		if (!(hit->passphrase = strdup(p->secret->value)))
			goto oom;
		hit->file = sfile(T, s, p->secret->file);
		hit->line = p->secret->line;
	}
	free(kp);
	*out = s;
	return 0;
oom:
	oom(T, T->tree->files[0], 0);
fail:
	free(kp);
	secrets_free(s);
	return -1;
}
