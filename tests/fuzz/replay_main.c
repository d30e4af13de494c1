/* main() for replaying a libFuzzer target without libFuzzer: every file
 * named on the command line (a directory: every regular file in it, in
 * name order) is read and passed once to LLVMFuzzerTestOneInput, as the
 * fuzzer would. Built with the normal compiler and, where it has them,
 * ASan and UBSan with recovery off, so a crash, a sanitizer finding or an
 * abort() of the target's own checks ends the process non-zero.
 * Prints "ok fuzz_replay/NAME (N inputs)" when every input passed; NAME
 * is the program's name without its "replay_" prefix.
 * Used by make check (tests/fuzz/replay.sh). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		uint8_t *nb = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int bad = ferror(f) || !buf;
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		return -1;
	}
	/* an exact-size copy, as libFuzzer hands it over */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "# %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int keep(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	long n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			printf("not ok fuzz_replay/%s: %s: %s\n", name, argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0) {
				printf("not ok fuzz_replay/%s: cannot read %s\n", name, argv[i]);
				return 1;
			}
			n++;
			continue;
		}
		struct dirent **ents;
		int ne = scandir(argv[i], &ents, keep, alphasort);
		if (ne < 0) {
			printf("not ok fuzz_replay/%s: %s: %s\n", name, argv[i], strerror(errno));
			return 1;
		}
		int failed = 0;
		for (int j = 0; j < ne; j++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
			if (!failed && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) != 0)
					failed = 1;
				else
					n++;
			}
			free(ents[j]);
		}
		free(ents);
		if (failed) {
			printf("not ok fuzz_replay/%s: cannot read a file of %s\n", name, argv[i]);
			return 1;
		}
	}
	if (n == 0) {
		printf("not ok fuzz_replay/%s: no inputs\n", name);
		return 1;
	}
	printf("ok fuzz_replay/%s (%ld inputs)\n", name, n);
	return 0;
}
