/* Privilege dropping with libcap-ng. */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <cap-ng.h>
#include "src/log.h"
#include "src/privs.h"

int privs_check_start(char *err, size_t errlen)
{
	if (geteuid() == 0)
		return 0;
	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN)) {
		snprintf(err, errlen, "missing capability CAP_NET_ADMIN (needed for the TUN device "
		         "and its routes); run as root or grant CAP_NET_ADMIN and "
		         "CAP_NET_BIND_SERVICE");
		return -1;
	}
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_BIND_SERVICE)) {
		snprintf(err, errlen, "missing capability CAP_NET_BIND_SERVICE (needed for UDP "
		         "ports 500 and 4500)");
		return -1;
	}
	return 0;
}

/* reads Cap* lines of /proc/self/status: 0 when all are zero */
static int caps_all_zero(char *which, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int rc = 0;
	if (!f)
		return 0;   /* no /proc: trust libcap-ng */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		char name[32];
		if (sscanf(line, "Cap%31[A-Za-z]:\t%llx", name, &v) == 2 && strcmp(name, "Bnd") != 0 &&
		    v != 0) {
			snprintf(which, len, "Cap%s is %llx", name, v);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

/* the user privs_drop switches to (NULL: none, it stays who it is), and
 * whether it may switch; -1 when a named user does not exist */
static int target(const char *user, const struct passwd **pwp, bool *can_switch, char *err,
                  size_t errlen)
{
	capng_get_caps_process();
	*can_switch = geteuid() == 0 || (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) &&
	                                 capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID));
	const struct passwd *pw = NULL;
	if (user) {
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "user '%s' (config setup user=) does not exist", user);
			return -1;
		}
	} else if (*can_switch) {
		pw = getpwnam("cygnet");
		if (!pw)
			pw = getpwnam("nobody");
	}
	*pwp = pw;
	return 0;
}

int privs_target(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	const struct passwd *pw;
	bool can_switch;
	if (target(user, &pw, &can_switch, err, errlen) != 0)
		return -1;
	*uid = can_switch && pw ? pw->pw_uid : geteuid();
	*gid = can_switch && pw ? pw->pw_gid : getegid();
	return 0;
}

int privs_drop(const char *user, char *err, size_t errlen)
{
	const struct passwd *pw;
	bool can_switch;
	if (target(user, &pw, &can_switch, err, errlen) != 0)
		return -1;
	capng_clear(CAPNG_SELECT_BOTH);
	if (can_switch && pw) {
		int rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
		                         CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
		if (rc != 0) {
			snprintf(err, errlen, "switching to user '%s' failed (libcap-ng %d): %s",
			         pw->pw_name, rc, strerror(errno));
			return -1;
		}
	} else {
		if (user && pw && pw->pw_uid != geteuid()) {
			snprintf(err, errlen, "cannot switch to user '%s' without root or "
			         "CAP_SETUID/CAP_SETGID", user);
			return -1;
		}
		if (capng_apply(CAPNG_SELECT_BOTH) != 0) {
			snprintf(err, errlen, "clearing capabilities failed: %s", strerror(errno));
			return -1;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	char which[64];
	if (caps_all_zero(which, sizeof(which)) != 0 || (geteuid() == 0 && can_switch && pw &&
	                                                 pw->pw_uid != 0)) {
		snprintf(err, errlen, "privileges are still there after dropping them (%s)",
		         geteuid() == 0 ? "still root" : which);
		return -1;
	}
	/* a change of ids resets "dumpable" to fs.suid_dumpable: set it again */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	log_info(LOG_DMN, "running as %s (uid %u) with no capabilities",
	         pw ? pw->pw_name : "the starting user", (unsigned)geteuid());
	return 0;
}

int privs_helper(char *err, size_t errlen)
{
	static const int keep[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_DAC_OVERRIDE,
	                            CAP_DAC_READ_SEARCH };
	bool have[sizeof(keep) / sizeof(keep[0])];
	capng_get_caps_process();
	/* of those, what we have (a service manager or container may have
	 * bounded it further) */
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, (unsigned)keep[i]);
	bool admin = have[0];
	capng_clear(CAPNG_SELECT_BOTH);
	if (geteuid() == 0) {
		/* what a root script gets on exec is the bounding set */
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (have[i])
				capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				             CAPNG_BOUNDING_SET, (unsigned)keep[i]);
		if (capng_apply(CAPNG_SELECT_BOTH) != 0 && capng_apply(CAPNG_SELECT_CAPS) != 0) {
			snprintf(err, errlen, "reducing the helper's capabilities failed: %s",
			         strerror(errno));
			return -1;
		}
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	} else {
		/* started with ambient capabilities: scripts inherit NET_ADMIN
		 * through the ambient set, nothing else */
		if (admin)
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE,
			             CAP_NET_ADMIN);
		if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
			snprintf(err, errlen, "reducing the helper's capabilities failed: %s",
			         strerror(errno));
			return -1;
		}
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (admin)
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

void privs_no_core(void)
{
	struct rlimit rl = { 0, 0 };
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &rl);
}

int privs_lock_memory(bool quiet)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) {
		if (!quiet)
			log_info(LOG_DMN, "memory not locked: the memlock limit is %llu KiB, not "
			         "unlimited (LimitMEMLOCK=infinity, ulimit -l unlimited or docker "
			         "--ulimit memlock=-1 lock keys and passwords in RAM)",
			         (unsigned long long)(rl.rlim_cur / 1024));
		return 0;
	}
	int flags = MCL_CURRENT | MCL_FUTURE;
#ifdef MCL_ONFAULT
	flags |= MCL_ONFAULT;   /* lock what is used, not every reserved page */
#endif
	if (mlockall(flags) != 0) {
		if (!quiet)
			log_info(LOG_DMN, "memory not locked: mlockall: %s", strerror(errno));
		return 0;
	}
	if (!quiet)
		log_info(LOG_DMN, "memory locked (mlockall): keys and passwords are never swapped out");
	return 1;
}
