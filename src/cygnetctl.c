/* cygnetctl: the control tool. This version only reports its version; the
 * control socket (status, reload, terminate, leases) comes with the
 * operations work. */
#include <stdio.h>
#include <string.h>
#include "src/version.h"

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "-V") == 0 ||
	                  strcmp(argv[1], "--version") == 0)) {
		printf("cygnet %s\n", CYGNET_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: cygnetctl version\n"
	        "cygnetctl's control commands (status, reload, terminate, leases) are not built "
	        "yet.\n");
	return argc == 1 ? 0 : 2;
}
