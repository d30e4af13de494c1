/* The client files of "cygnetctl profile" (cli_profile.h): the Apple
 * profile (Apple's Configuration Profile Reference, VPN payload of type
 * IKEv2), the strongSwan Android profile (strongSwan docs, "VPN Profile
 * Import for the Android VPN Client"), the Windows PowerShell script
 * (VpnClient module: Add-VpnConnection, Set-VpnConnectionIPsecConfiguration)
 * and the text file. Every value from the configuration is escaped for
 * the format it lands in (XML, JSON, PowerShell single quotes). */
#include "src/cli_profile_int.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/algs.h"
#include "src/escape.h"

/* ---- transform names per client ---- */

struct encr_name {
	uint16_t id, bits;
	const char *ss, *apple, *win_ike, *win_esp;
};

static const struct encr_name encrs[] = {
	{ ENCR_AES_CBC, 128, "aes128", "AES-128", "AES128", "AES128" },
	{ ENCR_AES_CBC, 192, "aes192", NULL, "AES192", "AES192" },
	{ ENCR_AES_CBC, 256, "aes256", "AES-256", "AES256", "AES256" },
	{ ENCR_AES_GCM_16, 128, "aes128gcm16", "AES-128-GCM", "GCMAES128", "GCMAES128" },
	{ ENCR_AES_GCM_16, 192, "aes192gcm16", NULL, NULL, "GCMAES192" },
	{ ENCR_AES_GCM_16, 256, "aes256gcm16", "AES-256-GCM", "GCMAES256", "GCMAES256" },
	{ ENCR_AES_GCM_12, 128, "aes128gcm12", NULL, NULL, NULL },
	{ ENCR_AES_GCM_12, 192, "aes192gcm12", NULL, NULL, NULL },
	{ ENCR_AES_GCM_12, 256, "aes256gcm12", NULL, NULL, NULL },
	{ ENCR_AES_GCM_8, 128, "aes128gcm8", NULL, NULL, NULL },
	{ ENCR_AES_GCM_8, 192, "aes192gcm8", NULL, NULL, NULL },
	{ ENCR_AES_GCM_8, 256, "aes256gcm8", NULL, NULL, NULL },
	{ ENCR_CHACHA20_POLY1305, 0, "chacha20poly1305", "ChaCha20Poly1305", NULL, NULL },
	{ ENCR_3DES, 0, "3des", "3DES", "DES3", "DES3" },
};

struct alg_name {
	uint16_t id;
	const char *ss, *apple, *win_ike, *win_esp;
};

static const struct alg_name integs[] = {
	{ AUTH_HMAC_SHA1_96, "sha1", "SHA1-96", "SHA1", "SHA196" },
	{ AUTH_HMAC_SHA2_256_128, "sha256", "SHA2-256", "SHA256", "SHA256128" },
	{ AUTH_HMAC_SHA2_384_192, "sha384", "SHA2-384", "SHA384", NULL },
	{ AUTH_HMAC_SHA2_512_256, "sha512", "SHA2-512", NULL, NULL },
};

static const struct alg_name prfs[] = {
	{ PRF_HMAC_SHA1, "prfsha1", "SHA1-96", "SHA1", NULL },
	{ PRF_HMAC_SHA2_256, "prfsha256", "SHA2-256", "SHA256", NULL },
	{ PRF_HMAC_SHA2_384, "prfsha384", "SHA2-384", "SHA384", NULL },
	{ PRF_HMAC_SHA2_512, "prfsha512", "SHA2-512", NULL, NULL },
};

/* apple: the group number itself; win_ike: -DHGroup; win_esp: -PfsGroup */
static const struct alg_name dhs[] = {
	{ MODP_1024, "modp1024", "2", "Group2", "PFS2" },
	{ MODP_1536, "modp1536", "5", NULL, NULL },
	{ MODP_2048, "modp2048", "14", "Group14", "PFS2048" },
	{ MODP_3072, "modp3072", "15", NULL, NULL },
	{ MODP_4096, "modp4096", "16", NULL, NULL },
	{ MODP_6144, "modp6144", "17", NULL, NULL },
	{ MODP_8192, "modp8192", "18", NULL, NULL },
	{ ECP_256, "ecp256", "19", "ECP256", "ECP256" },
	{ ECP_384, "ecp384", "20", "ECP384", "ECP384" },
	{ ECP_521, "ecp521", "21", NULL, NULL },
	{ CURVE_25519, "curve25519", "31", NULL, NULL },
};

enum which { W_SS, W_APPLE, W_WIN_IKE, W_WIN_ESP };

static const char *pick_name(const struct alg_name *a, size_t n, uint16_t id, enum which w)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].id == id)
			return w == W_SS ? a[i].ss : w == W_APPLE ? a[i].apple
			     : w == W_WIN_IKE ? a[i].win_ike : a[i].win_esp;
	return NULL;
}

static const char *encr_of(const struct prop_xf *x, enum which w)
{
	for (size_t i = 0; i < sizeof(encrs) / sizeof(encrs[0]); i++)
		if (encrs[i].id == x->id && encrs[i].bits == x->keybits)
			return w == W_SS ? encrs[i].ss : w == W_APPLE ? encrs[i].apple
			     : w == W_WIN_IKE ? encrs[i].win_ike : encrs[i].win_esp;
	return NULL;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* the first transform of a list that the client has a name for */
static const char *first_encr(const struct proposal *p, enum which w, bool *aead)
{
	for (int i = 0; i < p->n_encr; i++) {
		const char *s = encr_of(&p->encr[i], w);
		if (s) {
			if (aead)
				*aead = p->encr[i].id != ENCR_AES_CBC && p->encr[i].id != ENCR_3DES;
			return s;
		}
	}
	return NULL;
}

static const char *first_of(const struct prop_xf *x, int n, const struct alg_name *a, size_t na,
                            enum which w)
{
	for (int i = 0; i < n; i++) {
		const char *s = pick_name(a, na, x[i].id, w);
		if (s)
			return s;
	}
	return NULL;
}

void proposal_ss_string(const struct proposal *p, bool ike, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
#define ADD(s) do { if (s) { int _n = snprintf(out + o, outlen - o, "%s%s", o ? "-" : "", (s)); \
		if (_n > 0 && (size_t)_n < outlen - o) o += (size_t)_n; } } while (0)
	for (int i = 0; i < p->n_encr; i++)
		ADD(encr_of(&p->encr[i], W_SS));
	for (int i = 0; i < p->n_integ; i++)
		ADD(pick_name(integs, N(integs), p->integ[i].id, W_SS));
	for (int i = 0; ike && i < p->n_prf; i++)
		ADD(pick_name(prfs, N(prfs), p->prf[i].id, W_SS));
	for (int i = 0; i < p->n_dh; i++)
		ADD(pick_name(dhs, N(dhs), p->dh[i].id, W_SS));
	if (!ike && p->n_esn == 1 && p->esn[0].id == ESN_YES)
		ADD("esn");
#undef ADD
}

static void warn(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "cygnetctl: warning: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
}

/* ---- escaping ---- */

static void xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void json(FILE *f, const char *s)
{
	size_t n = esc_json(s, NULL, 0);
	char buf[2048];
	if (n >= sizeof(buf))
		s = "";
	esc_json(s, buf, sizeof(buf));
	fprintf(f, "\"%s\"", buf);
}

/* a PowerShell single-quoted string: ' doubled; the Unicode single
 * quotation marks PowerShell also reads as quotes, doubled too */
static void psq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		else if ((unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
		         ((unsigned char)s[2] >= 0x98 && (unsigned char)s[2] <= 0x9b)) {
			fwrite(s, 1, 3, f);
			fwrite(s, 1, 3, f);
			s += 2;
			continue;
		}
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* base64 of the CA, in lines of width (0: one line) */
static void b64(FILE *f, const uint8_t *der, int len, int width, const char *pre,
                const char *post)
{
	int n = 4 * ((len + 2) / 3);
	unsigned char *out = malloc((size_t)n + 1);
	if (!out)
		return;
	EVP_EncodeBlock(out, der, len);
	if (!width) {
		fprintf(f, "%s%s%s", pre, out, post);
	} else {
		for (int i = 0; i < n; i += width)
			fprintf(f, "%s%.*s%s\n", pre, width, out + i, post);
	}
	free(out);
}

static void uuid(char *out)
{
	uint8_t b[16];
	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0x5a, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	sprintf(out, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
	        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	        b[13], b[14], b[15]);
}

/* ---- Apple ---- */

static int minutes(uint32_t s)
{
	uint32_t m = s / 60;
	return m < 10 ? 10 : m > 1440 ? 1440 : (int)m;
}

static void pkey(FILE *f, int ind, const char *k)
{
	fprintf(f, "%*s<key>%s</key>\n", ind, "", k);
}

static void pstr(FILE *f, int ind, const char *k, const char *v)
{
	pkey(f, ind, k);
	fprintf(f, "%*s<string>", ind, "");
	xml(f, v);
	fprintf(f, "</string>\n");
}

static void pint(FILE *f, int ind, const char *k, long v)
{
	pkey(f, ind, k);
	fprintf(f, "%*s<integer>%ld</integer>\n", ind, "", v);
}

/* the keys every payload of a profile starts with (version 1) */
static void payload_keys(FILE *f, int ind, const char *type, const char *identifier,
                         const char *uuid)
{
	pstr(f, ind, "PayloadType", type);
	pint(f, ind, "PayloadVersion", 1);
	pstr(f, ind, "PayloadIdentifier", identifier);
	pstr(f, ind, "PayloadUUID", uuid);
}

static void sa_params(FILE *f, const char *key, const char *encr, const char *integ,
                      const char *dh, int life)
{
	pkey(f, 16, key);
	fprintf(f, "%16s<dict>\n", "");
	pstr(f, 20, "EncryptionAlgorithm", encr);
	if (integ)
		pstr(f, 20, "IntegrityAlgorithm", integ);
	pint(f, 20, "DiffieHellmanGroup", atol(dh));
	pint(f, 20, "LifeTimeInMinutes", life);
	fprintf(f, "%16s</dict>\n", "");
}

static int write_apple(const struct pfacts *pf, FILE *f)
{
	const char *cn = pf->conn->name;
	bool aead = false;
	const char *ie = first_encr(&pf->ike, W_APPLE, &aead);
	const char *ii = NULL, *ip = first_of(pf->ike.prf, pf->ike.n_prf, prfs, N(prfs), W_APPLE);
	const char *id = first_of(pf->ike.dh, pf->ike.n_dh, dhs, N(dhs), W_APPLE);
	char vpn_uuid[40], ca_uuid[40], prof_uuid[40], label[400];

	if (!ie) {
		fprintf(stderr, "cygnetctl: conn %s: ike=%s: no encryption algorithm Apple devices "
		        "support (aes128, aes256, aes128gcm16, aes256gcm16, chacha20poly1305, 3des)\n",
		        cn, pf->ike_str);
		return -1;
	}
	/* Apple derives the PRF from IntegrityAlgorithm: with AEAD that is
	 * all it is for */
	if (aead) {
		ii = ip;
	} else {
		ii = first_of(pf->ike.integ, pf->ike.n_integ, integs, N(integs), W_APPLE);
		if (ii && ip && strcmp(ii, ip) != 0)
			warn("ike=%s: Apple uses %s as PRF too", pf->ike_str, ii);
	}
	if (!ii || !id) {
		fprintf(stderr, "cygnetctl: conn %s: ike=%s: no %s Apple devices support\n", cn,
		        pf->ike_str, !ii ? "integrity algorithm/PRF (sha1, sha256, sha384, sha512)"
		                         : "DH group");
		return -1;
	}
	bool eaead = false;
	const char *ee = first_encr(&pf->esp, W_APPLE, &eaead);
	const char *ei = eaead ? NULL : first_of(pf->esp.integ, pf->esp.n_integ, integs,
	                                          N(integs), W_APPLE);
	const char *ed = pf->esp.n_dh ? first_of(pf->esp.dh, pf->esp.n_dh, dhs, N(dhs), W_APPLE)
	                              : id;
	if (!ee || (!eaead && !ei) || !ed) {
		fprintf(stderr, "cygnetctl: conn %s: esp=%s: no %s Apple devices support\n", cn,
		        pf->esp_str, !ee ? "encryption algorithm" : !ed ? "DH group"
		                         : "integrity algorithm (sha1, sha256, sha384, sha512)");
		return -1;
	}
	if (strstr(ie, "3DES") || strstr(ii, "SHA1") || atoi(id) < 14 || strstr(ee, "3DES"))
		warn("ike=%s esp=%s is weak (3DES, SHA-1 or a DH group below 2048 bits)", pf->ike_str,
		     pf->esp_str);
	uuid(vpn_uuid);
	uuid(ca_uuid);
	uuid(prof_uuid);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	        "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	        "<plist version=\"1.0\">\n<dict>\n");
	pkey(f, 4, "PayloadContent");
	fprintf(f, "    <array>\n        <dict>\n");
	snprintf(label, sizeof(label), "%s.vpn", pf->identifier);
	payload_keys(f, 12, "com.apple.vpn.managed", label, vpn_uuid);
	snprintf(label, sizeof(label), "VPN (%s)", pf->name);
	pstr(f, 12, "PayloadDisplayName", label);
	snprintf(label, sizeof(label), "IKEv2 VPN to %s", pf->server);
	pstr(f, 12, "PayloadDescription", label);
	pstr(f, 12, "UserDefinedName", pf->name);
	pstr(f, 12, "VPNType", "IKEv2");
	pkey(f, 12, "IKEv2");
	fprintf(f, "%12s<dict>\n", "");
	pstr(f, 16, "RemoteAddress", pf->server);
	pstr(f, 16, "RemoteIdentifier", pf->remote_id);
	pstr(f, 16, "LocalIdentifier", pf->user);
	pstr(f, 16, "AuthenticationMethod", "None");
	pint(f, 16, "ExtendedAuthEnabled", 1);
	pstr(f, 16, "AuthName", pf->user);
	if (pf->password)
		pstr(f, 16, "AuthPassword", pf->password);
	if (pf->issuer_cn[0])
		pstr(f, 16, "ServerCertificateIssuerCommonName", pf->issuer_cn);
	sa_params(f, "IKESecurityAssociationParameters", ie, ii, id,
	          minutes(pf->conn->ikelifetime));
	sa_params(f, "ChildSecurityAssociationParameters", ee, ei, ed,
	          minutes(pf->conn->lifetime));
	pstr(f, 16, "DeadPeerDetectionRate", pf->dpd);
	pint(f, 16, "EnablePFS", pf->esp.n_dh > 0);
	pint(f, 16, "DisableMOBIKE", 0);
	pint(f, 16, "DisableRedirect", 0);
	pint(f, 16, "EnableCertificateRevocationCheck", 0);
	pint(f, 16, "UseConfigurationAttributeInternalIPSubnet", 0);
	pint(f, 16, "OnDemandEnabled", pf->on_demand);
	if (pf->on_demand) {
		pkey(f, 16, "OnDemandRules");
		fprintf(f, "%16s<array>\n%20s<dict>\n", "", "");
		pstr(f, 24, "Action", "Connect");
		fprintf(f, "%20s</dict>\n%16s</array>\n", "", "");
	}
	fprintf(f, "%12s</dict>\n", "");
	if (pf->v4_default) {
		pkey(f, 12, "IPv4");
		fprintf(f, "%12s<dict>\n", "");
		pint(f, 16, "OverridePrimary", 1);
		fprintf(f, "%12s</dict>\n", "");
	}
	fprintf(f, "        </dict>\n");
	if (pf->ca_der) {
		fprintf(f, "        <dict>\n");
		snprintf(label, sizeof(label), "%s.ca", pf->identifier);
		payload_keys(f, 12, "com.apple.security.root", label, ca_uuid);
		pstr(f, 12, "PayloadDisplayName", pf->ca_cn[0] ? pf->ca_cn : "VPN CA");
		pstr(f, 12, "PayloadDescription", "Certificate authority of the VPN server");
		pstr(f, 12, "PayloadCertificateFileName", "ca.cer");
		pkey(f, 12, "PayloadContent");
		fprintf(f, "%12s<data>\n", "");
		b64(f, pf->ca_der, pf->ca_der_len, 64, "            ", "");
		fprintf(f, "%12s</data>\n", "");
		fprintf(f, "        </dict>\n");
	}
	fprintf(f, "    </array>\n");
	payload_keys(f, 4, "Configuration", pf->identifier, prof_uuid);
	pstr(f, 4, "PayloadDisplayName", pf->name);
	snprintf(label, sizeof(label), "IKEv2 VPN %s for %s (conn %s)", pf->name, pf->user, cn);
	pstr(f, 4, "PayloadDescription", label);
	pkey(f, 4, "PayloadRemovalDisallowed");
	fprintf(f, "    <false/>\n</dict>\n</plist>\n");
	return 0;
}

/* ---- Android (strongSwan app) ---- */

static int write_sswan(const struct pfacts *pf, FILE *f)
{
	char u[40];
	uuid(u);
	for (char *p = u; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	fprintf(f, "{\n  \"uuid\": \"%s\",\n  \"name\": ", u);
	json(f, pf->name);
	fprintf(f, ",\n  \"type\": \"ikev2-eap\",\n  \"remote\": {\n    \"addr\": ");
	json(f, pf->server);
	fprintf(f, ",\n    \"id\": ");
	json(f, pf->remote_id);
	if (pf->ca_der)
		b64(f, pf->ca_der, pf->ca_der_len, 0, ",\n    \"cert\": \"", "\"");
	fprintf(f, "\n  },\n  \"local\": {\n    \"eap_id\": ");
	json(f, pf->user);
	fprintf(f, "\n  },\n  \"ike-proposal\": ");
	json(f, pf->ike_str);
	fprintf(f, ",\n  \"esp-proposal\": ");
	json(f, pf->esp_str);
	fprintf(f, "\n}\n");
	return 0;
}

/* ---- Windows ---- */

static int write_ps1(const struct pfacts *pf, FILE *f)
{
	const char *cn = pf->conn->name;
	const char *all = pf->all_users ? " -AllUserConnection" : "";
	const char *ie = first_encr(&pf->ike_win, W_WIN_IKE, NULL);
	const char *ii = first_of(pf->ike_win.prf, pf->ike_win.n_prf, prfs, N(prfs), W_WIN_IKE);
	const char *id = first_of(pf->ike_win.dh, pf->ike_win.n_dh, dhs, N(dhs), W_WIN_IKE);
	bool eaead = false;
	const char *ee = first_encr(&pf->esp, W_WIN_ESP, &eaead);
	const char *ea = eaead ? ee : first_of(pf->esp.integ, pf->esp.n_integ, integs, N(integs),
	                                       W_WIN_ESP);
	const char *pfs = pf->esp.n_dh ? first_of(pf->esp.dh, pf->esp.n_dh, dhs, N(dhs), W_WIN_ESP)
	                               : "None";

	if (!ie || !ii || !id) {
		fprintf(stderr, "cygnetctl: conn %s: ike=%s: no %s Windows supports\n", cn, pf->ike_win_str,
		        !ie ? "encryption algorithm (aes128, aes192, aes256, aes128gcm16, aes256gcm16, "
		              "3des)" : !ii ? "integrity algorithm/PRF (sha1, sha256, sha384)"
		        : "DH group (modp1024, modp2048, ecp256, ecp384)");
		return -1;
	}
	if (!ee || !ea || !pfs) {
		fprintf(stderr, "cygnetctl: conn %s: esp=%s: no %s Windows supports\n", cn, pf->esp_str,
		        !ee ? "encryption algorithm (aes128, aes192, aes256, aes128gcm16, aes192gcm16, "
		              "aes256gcm16, 3des)" : !ea ? "integrity algorithm for ESP (sha1, sha256)"
		        : "PFS group (modp1024, modp2048, ecp256, ecp384)");
		return -1;
	}
	if (strstr(ie, "DES3") || strcmp(ii, "SHA1") == 0 || strcmp(id, "Group2") == 0 ||
	    strstr(ee, "DES3") || strcmp(ea, "SHA196") == 0)
		warn("ike=%s esp=%s is weak (3DES, SHA-1 or MODP-1024)", pf->ike_win_str, pf->esp_str);
	if (!pf->conn->eap_identity)
		warn("conn %s has no eap_identity: Windows sends its IP address as IKE identity, "
		     "set eap_identity=%s", cn, "%identity");

	/* a UTF-8 byte order mark: without it Windows PowerShell 5.1 reads
	 * the file in the ANSI code page, where bytes of UTF-8 characters
	 * (0x82, 0x91, 0x92 in cp1252) are quotes and end psq's strings */
	fputs("\xef\xbb\xbf", f);
	fprintf(f, "# cygnet IKEv2 VPN for Windows 10/11, made by cygnetctl profile\n"
	        "# from conn %s: ike=%s esp=%s\n", cn, pf->ike_win_str, pf->esp_str);
	fprintf(f, "# Run it in PowerShell%s:\n"
	        "#   powershell -ExecutionPolicy Bypass -File %s.ps1\n",
	        pf->ca_der || pf->all_users ? " as Administrator" : " as the user who will connect",
	        pf->base);
	if (pf->ca_der || pf->all_users)
		fprintf(f, "#Requires -RunAsAdministrator\n");
	fprintf(f, "$ErrorActionPreference = 'Stop'\n$Name = ");
	psq(f, pf->name);
	fprintf(f, "\n$Server = ");
	psq(f, pf->server);
	fprintf(f, "\n\n");
	if (pf->ca_der) {
		fprintf(f, "# The CA that issued the server certificate, as a trusted root of the "
		        "machine\n$CaFile = Join-Path $env:TEMP 'cygnet-ca.cer'\n"
		        "[IO.File]::WriteAllBytes($CaFile, [Convert]::FromBase64String(\n");
		int n = 4 * ((pf->ca_der_len + 2) / 3);
		unsigned char *out = malloc((size_t)n + 1);
		if (!out)
			return -1;
		EVP_EncodeBlock(out, pf->ca_der, pf->ca_der_len);
		for (int i = 0; i < n; i += 76)
			fprintf(f, "    '%.*s'%s\n", 76, out + i, i + 76 < n ? " +" : "))");
		free(out);
		fprintf(f, "Import-Certificate -FilePath $CaFile -CertStoreLocation "
		        "Cert:\\LocalMachine\\Root | Out-Null\nRemove-Item $CaFile\n\n");
	}
	fprintf(f, "# Replace an earlier connection of the same name\n"
	        "if (Get-VpnConnection -Name $Name%s -ErrorAction SilentlyContinue) {\n"
	        "    Remove-VpnConnection -Name $Name%s -Force\n}\n\n", all, all);
	fprintf(f, "# IKEv2 with EAP (EAP-MSCHAPv2: Windows asks for user name and password)\n"
	        "Add-VpnConnection -Name $Name -ServerAddress $Server -TunnelType Ikev2 `\n"
	        "    -AuthenticationMethod Eap -EncryptionLevel Required -RememberCredential `\n"
	        "    -SplitTunneling:%s%s -Force\n\n", pf->split ? "$true" : "$false", all);
	fprintf(f, "# The server's proposal (ike=%s, esp=%s), instead of\n"
	        "# Windows' default 3DES/SHA-1/MODP-1024 offers\n"
	        "Set-VpnConnectionIPsecConfiguration -ConnectionName $Name%s `\n"
	        "    -EncryptionMethod %s -IntegrityCheckMethod %s -DHGroup %s `\n"
	        "    -CipherTransformConstants %s -AuthenticationTransformConstants %s `\n"
	        "    -PfsGroup %s -Force\n", pf->ike_win_str, pf->esp_str, all, ie, ii, id, ee, ea, pfs);
	if (pf->v6route && !pf->split && pf->v6_default)
		fprintf(f, "\n# Windows does not install an IPv6 default route for IKEv2 connections, "
		        "and\n# Add-VpnConnectionRoute refuses ::/0: two halves make the same route.\n"
		        "Add-VpnConnectionRoute -ConnectionName $Name%s -DestinationPrefix '::/1'\n"
		        "Add-VpnConnectionRoute -ConnectionName $Name%s -DestinationPrefix '8000::/1'\n",
		        all, all);
	if (pf->split) {
		const struct conf_end *l = &pf->conn->left;
		fprintf(f, "\n# split tunnel: the server's leftsubnet through the tunnel\n");
		for (int i = 0; i < l->n_subnet; i++) {
			const struct conf_net *s = &l->subnet[i];
			char a[64];
			if (s->prefix == 0) {
				/* the cmdlet refuses default routes: two halves each */
				const char *h1 = s->family == AF_INET ? "0.0.0.0/1" : "::/1";
				const char *h2 = s->family == AF_INET ? "128.0.0.0/1" : "8000::/1";
				fprintf(f, "Add-VpnConnectionRoute -ConnectionName $Name%s -DestinationPrefix "
				        "'%s'\nAdd-VpnConnectionRoute -ConnectionName $Name%s "
				        "-DestinationPrefix '%s'\n", all, h1, all, h2);
				continue;
			}
			inet_ntop(s->family, s->addr, a, sizeof(a));
			fprintf(f, "Add-VpnConnectionRoute -ConnectionName $Name%s -DestinationPrefix "
			        "'%s/%u'\n", all, a, s->prefix);
		}
	}
	fprintf(f, "\nWrite-Host \"VPN connection '$Name' to $Server is set up.\"\n");
	if (pf->user[0]) {
		fprintf(f, "Write-Host ('Connect from Settings > Network > VPN, sign in as ' + ");
		psq(f, pf->user);
		fprintf(f, " + '.')\n");
	} else {
		fprintf(f, "Write-Host 'Connect from Settings > Network > VPN with your user name and "
		        "password.'\n");
	}
	return 0;
}

/* ---- text ---- */

static int write_txt(const struct pfacts *pf, FILE *f)
{
	const char *u = pf->user;
	fprintf(f, "VPN %s: IKEv2 with user name and password (EAP-MSCHAPv2)\n\n"
	        "  Server address  %s\n  Remote ID       %s\n  User name       %s\n"
	        "  Password        %s\n  CA certificate  %s\n  Proposals       IKE %s, ESP %s\n\n",
	        pf->name, pf->server, pf->remote_id, u,
	        pf->password ? pf->password : "(the one you were given)",
	        pf->ca_der ? (pf->ca_cn[0] ? pf->ca_cn : "at the end of this file")
	                   : "none needed (a public CA)",
	        pf->ike_str, pf->esp_str);
	fprintf(f, "iOS, macOS  open %s.mobileconfig (AirDrop, mail or Files) and install it\n"
	        "            under Settings > General > VPN & Device Management (macOS: System\n"
	        "            Settings > Privacy & Security > Profiles). It holds the CA and the\n"
	        "            settings; connect under Settings > VPN.\n"
	        "Android     install the strongSwan VPN Client app, open %s.sswan with it\n"
	        "            (or: profile list menu > Import VPN profile), enter the password\n"
	        "            when connecting.\n"
	        "Windows     run %s.ps1 in PowerShell as Administrator:\n"
	        "              powershell -ExecutionPolicy Bypass -File %s.ps1\n"
	        "            then connect under Settings > Network > VPN and sign in.\n"
	        "Linux       strongSwan or NetworkManager-strongswan: type IKEv2 EAP, the server\n"
	        "            and identity above, the CA below as the certificate.\n",
	        pf->base, pf->base, pf->base, pf->base);
	if (pf->ca_der) {
		fprintf(f, "\nThe CA certificate:\n-----BEGIN CERTIFICATE-----\n");
		b64(f, pf->ca_der, pf->ca_der_len, 64, "", "");
		fprintf(f, "-----END CERTIFICATE-----\n");
	}
	return 0;
}

int profile_write(enum pformat fmt, const struct pfacts *pf, FILE *f)
{
	switch (fmt) {
	case PF_MOBILECONFIG: return write_apple(pf, f);
	case PF_SSWAN: return write_sswan(pf, f);
	case PF_PS1: return write_ps1(pf, f);
	case PF_TXT: return write_txt(pf, f);
	default: return -1;
	}
}
