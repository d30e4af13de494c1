/* "cygnetctl profile NAME": everything one user needs to connect, for
 * every platform, derived from the server's own configuration (one conn
 * of ipsec.conf or swanctl.conf, its server certificate, the CA in
 * ipsec.d/cacerts):
 *   NAME.mobileconfig  Apple configuration profile (macOS, iOS): IKEv2
 *                      VPN payload with EAP, the CA as a root payload
 *   NAME.sswan         strongSwan VPN Client for Android profile (JSON,
 *                      type ikev2-eap, the CA embedded)
 *   NAME.ps1           PowerShell script for Windows 10/11: CA import,
 *                      Add-VpnConnection, Set-VpnConnectionIPsecConfiguration
 *   NAME.txt           server, identity, user and the steps per platform
 * The proposals are the conn's first ike=/esp= proposal in each client's
 * names; a password goes into the files only when given. Files are
 * written mode 0600 (temporary file + rename: never through a symlink).
 * contrib/cygnet-mobileconfig and contrib/cygnet-windows are wrappers
 * over "--format ... --out -". */
#ifndef CYGNET_CLI_PROFILE_H
#define CYGNET_CLI_PROFILE_H

/* argv[0] is "profile". Exit status 0, 1 (a message on stderr), 2 usage. */
int cli_profile(int argc, char **argv, const char *confdir);

extern const char cli_profile_usage[];

#endif
