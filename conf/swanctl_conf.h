/* swanctl.conf (strongSwan's vici configuration, swanctl.conf(5)) read
 * into the structs ipsec.conf and ipsec.secrets give, so everything
 * downstream works unchanged.
 *
 * Syntax (strongswan.conf(5)): "name { ... }" sections, "key = value"
 * (the value runs to the end of the line or an unquoted '#' or '}', so
 * "remote { auth = pubkey }" is one line; double quotes allow '#', '}',
 * outer blanks and \" \\ \n \t escapes), '#' comments, and
 * "include PATTERN" anywhere (a glob relative to the including file's
 * directory; the included statements belong to the section the include is
 * written in). A section written twice is one section (later keys win);
 * a key written twice keeps the last value. A plain include that names no
 * file, as in strongSwan, is a warning, not an error; a glob that matches
 * nothing is silent. Section references ("a : b { }") are refused.
 *
 * What is read: the sections connections, secrets and pools. Each
 * connection becomes one conf_conn (auto=add unless start_action says
 * otherwise), its keys translated to the ipsec.conf keyword with the same
 * meaning and then checked by the ipsec.conf code (conf/ipsec_conf.c), so
 * both files mean the same; errors and "not implemented yet" lines name
 * the swanctl key and its file:line. The translation, key by key, is the
 * table at the top of conf/swanctl_conf.c; the points where swanctl's
 * model differs from ipsec.conf's:
 *  - lifetimes: ipsec.conf has one margintime/rekeyfuzz for IKE and CHILD
 *    SAs. From the child: lifetime = life_time, margintime = life_time -
 *    rekey_time, rekeyfuzz = rand_time / margintime. The IKE_SA rekeys
 *    (or with reauth_time, reauthenticates) at rekey_time (reauth_time) as
 *    swanctl says: ikelifetime = that time + margintime; so its hard end
 *    and its random spread follow the child's margin, not over_time and
 *    rand_time (those apply only when the connection has no child).
 *    rekey_time = reauth_time = 0 gives rekey=no; both non-zero: cygnet
 *    reauthenticates at reauth_time and does not rekey in between (the
 *    rekey_time is reported as not implemented).
 *  - unique is per connection in swanctl, uniqueids global in cygnet:
 *    the strictest value written wins (never < no < replace < keep), with
 *    a warning when connections differ; none written is swanctl's "no".
 *  - keyingtries defaults to 1 (swanctl), not 3 (ipsec.conf); dpd_delay
 *    defaults to 0 (no DPD); a child's dpd_action (default clear) is the
 *    conn's dpdaction once dpd_delay is set; trap maps to hold.
 *  - one child per connection (ipsec.conf's model); none is allowed.
 *  - "0.0.0.0/0;::/0" in local_ts/remote_ts: swanctl splits lists at ','
 *    only and strongSwan then reads just "0.0.0.0/0" (its address parser
 *    stops at ';'); cygnet takes both, as its author meant, with one
 *    warning saying what strongSwan would have done.
 *
 * Secrets: eap<suffix> { id<suffix>, secret } are EAP secrets, ike<suffix>
 * PSKs (ids as selectors, none = any peer), secrets 0x<hex> and 0s<base64>
 * decoded as swanctl does. Private keys are, as swanctl loads them, every
 * file in DIR/private (SECRET_PRIVATE), DIR/rsa (SECRET_RSA) and
 * DIR/ecdsa (SECRET_ECDSA), the value being the file name relative to
 * that directory; a private/rsa/ecdsa<suffix> { file, secret } section
 * gives the passphrase of that file ("filename" is read as "file": seed
 * 003 writes it). The swanctl layout (ipsec_conf.swanctl): certificates
 * in DIR/x509, CA certificates in DIR/x509ca, CRLs in DIR/x509crl, keys as
 * above; swanctl_subdir() names them. */
#ifndef CYGNET_SWANCTL_CONF_H
#define CYGNET_SWANCTL_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/ipsec_conf.h"
#include "conf/secrets.h"

/* Reads path (DIR/swanctl.conf) and its includes, and lists the key
 * directories next to it. On success returns 0, *conf and *secrets set
 * (the caller frees them with ipsec_conf_free / secrets_free),
 * (*conf)->swanctl true, and every warning of the load as one
 * "file:line: ..." line in (*secrets)->warnings. On error returns -1,
 * both NULL, and one "file:line: what is wrong" line in err. */
int swanctl_conf_load(const char *path, struct ipsec_conf **conf, struct secrets **secrets,
                      char *err, size_t errlen);
/* The same for text in memory; name is used in messages and to find
 * includes and the key directories (its directory is DIR). */
int swanctl_conf_parse(const char *name, const char *text, struct ipsec_conf **conf,
                       struct secrets **secrets, char *err, size_t errlen);

/* where the configuration's files live under DIR, by layout */
enum conf_subdir {
	SUBDIR_CERTS,       /* ipsec.d/certs    | x509   */
	SUBDIR_CACERTS,     /* ipsec.d/cacerts  | x509ca */
	SUBDIR_CRLS,        /* ipsec.d/crls     | x509crl */
	SUBDIR_PRIVATE,     /* ipsec.d/private  | private */
	SUBDIR_RSA,         /* ipsec.d/private  | rsa */
	SUBDIR_ECDSA,       /* ipsec.d/private  | ecdsa */
};
/* the directory (relative to DIR) for kind in the ipsec.conf layout
 * (swanctl false) or the swanctl one; never NULL */
const char *swanctl_subdir(bool swanctl, enum conf_subdir kind);
/* the directory a private key secret of type t is relative to */
const char *swanctl_key_subdir(bool swanctl, enum secret_type t);

#endif
