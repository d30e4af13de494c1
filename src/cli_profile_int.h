/* Inside "cygnetctl profile": the facts the client files are written
 * from (cli_profile.c gathers them, cli_profile_fmt.c writes them). */
#ifndef CYGNET_CLI_PROFILE_INT_H
#define CYGNET_CLI_PROFILE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "conf/ipsec_conf.h"
#include "conf/proposal.h"

enum pformat { PF_MOBILECONFIG, PF_SSWAN, PF_PS1, PF_TXT, PF_N };

struct pfacts {
	const char *user;          /* "" for a Windows script without a user */
	const char *password;      /* NULL: the device asks */
	const struct conf_conn *conn;
	char server[256];          /* what the device dials */
	char remote_id[256];       /* the server's identity (RemoteIdentifier) */
	char name[300];            /* shown in the VPN settings */
	char base[256];            /* the files' name without extension */
	char identifier[300];      /* Apple PayloadIdentifier */
	uint8_t *ca_der;           /* the CA to trust, NULL: a public CA */
	int ca_der_len;
	char ca_cn[256];
	char issuer_cn[256];       /* Apple ServerCertificateIssuerCommonName, "" none */
	/* the first proposal of ike= / esp= (or the client's default) */
	struct proposal ike, esp;
	char ike_str[256], esp_str[256];   /* strongSwan syntax */
	/* Windows' IKE proposal: the same when ike= is given, else CBC (the
	 * proposal Windows' own defaults are closest to) */
	struct proposal ike_win;
	char ike_win_str[256];
	bool v4_default, v6_default;       /* everything through the tunnel */
	/* options */
	bool on_demand, all_users, split, v6route;
	char dpd[8];               /* Apple rate: None Low Medium High */
};

/* Writes one format to f; 0, or -1 with a message on stderr (e.g. a
 * proposal the platform cannot do). warn prints "cygnetctl: warning: ..." */
int profile_write(enum pformat fmt, const struct pfacts *pf, FILE *f);

/* strongSwan's text form of one proposal ("aes256gcm16-prfsha256-ecp256") */
void proposal_ss_string(const struct proposal *p, bool ike, char *out, size_t outlen);

#endif
