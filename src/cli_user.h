/* "cygnetctl user add|del|list": the users of ipsec.secrets (EAP, XAUTH
 * and NTLM entries) managed in one command each. The file is edited as
 * cli_secrets.h describes, then the running daemon reloads it over the
 * control socket; del also ends the user's sessions. Without a running
 * daemon the edit stands and takes effect at its next start. */
#ifndef CYGNET_CLI_USER_H
#define CYGNET_CLI_USER_H

/* argv[0] is "user"; confdir holds ipsec.secrets, sock is the control
 * socket. Exit status: 0 done, 1 failed (a message on stderr), 2 usage. */
int cli_user(int argc, char **argv, const char *confdir, const char *sock);

/* the usage lines of "user" for cygnetctl's help */
extern const char cli_user_usage[];

#endif
