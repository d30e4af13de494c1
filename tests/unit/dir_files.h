/* Unit-test helpers for tests that check the files a function wrote into
 * a directory (first-run's configurations): a path in it, a whole file, a
 * PEM certificate or key, the tree removed afterwards. Define _GNU_SOURCE
 * before the first #include (nftw). A helper that fails returns NULL or an
 * empty path, so the check that uses it fails. */
#ifndef CYGNET_TEST_DIR_FILES_H
#define CYGNET_TEST_DIR_FILES_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

/* "dir/rel" into out; "" when it does not fit */
static inline void path_in(char *out, size_t outlen, const char *dir, const char *rel)
{
	int n = snprintf(out, outlen, "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0';
}

/* dir/rel opened for reading; NULL when it cannot be */
static inline FILE *open_in(const char *dir, const char *rel)
{
	char p[PATH_MAX];

	path_in(p, sizeof p, dir, rel);
	return fopen(p, "r");
}

/* the whole of dir/rel, NUL-terminated, for the caller to free; NULL when
 * it cannot be read */
static inline char *slurp(const char *dir, const char *rel)
{
	char *buf = NULL;
	FILE *f = open_in(dir, rel);
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* the PEM certificate in dir/rel (X509_free), or NULL */
static inline X509 *load_cert(const char *dir, const char *rel)
{
	FILE *f = open_in(dir, rel);
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return c;
}

/* the PEM private key in dir/rel (EVP_PKEY_free), or NULL */
static inline EVP_PKEY *load_key(const char *dir, const char *rel)
{
	FILE *f = open_in(dir, rel);
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* path and everything below it, symbolic links not followed */
static inline void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
