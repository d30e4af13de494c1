/* swanctl.conf's secrets section and key directories (conf/swanctl_conf.h
 * says what is read and how) into the struct secrets ipsec.secrets gives;
 * used by conf/swanctl_conf.c only. */
#ifndef CYGNET_SWANCTL_SECRETS_H
#define CYGNET_SWANCTL_SECRETS_H

#include <stddef.h>
#include "conf/secrets.h"
#include "conf/swanctl_lex.h"

/* The secrets of tree (its "secrets" section, and the key files in dir's
 * private/, rsa/ and ecdsa/ subdirectories, dir being swanctl.conf's
 * directory). 0 with *out set (secrets_free it), or -1 with "file:line:
 * reason" in err. Warnings go to the tree (sw_warn). */
int swanctl_secrets_build(struct sw_tree *tree, const char *dir, struct secrets **out,
                          char *err, size_t errlen);

#endif
