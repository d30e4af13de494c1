/* The RADIUS codec (src/radius.h): RFC 2865 §7.1's Access-Request and
 * Access-Accept (Response Authenticator, built byte for byte); packets
 * made by an independent implementation (Python's hashlib and hmac, the
 * script's output pasted below) for the Message-Authenticator of an
 * EAP Access-Request and Access-Challenge (RFC 3579 §3.2), the
 * Accounting-Request Authenticator (RFC 2866 §3), a Disconnect-Request
 * with a Message-Authenticator (RFC 5176) and an MS-MPPE key (RFC 2548
 * §2.4.2); EAP-Message splitting, vendor attributes, and malformed or
 * tampered packets refused. */
#include "tests/unit/check.h"

#include "src/radius.h"

#define SECRET "s3cr3t-radius"
#define SLEN (sizeof(SECRET) - 1)

/* RFC 2865 §7.1, shared secret "xyzzy5461" */
static const char rfc_req[] =
	"010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d4"
	"13ce3196e43f782a0aee0406c0a80110050600000003";
static const char rfc_accept[] =
	"0200002686fe220e7624ba2a1005f6bf9b55e0b2060600000001" "0f0600000000" "0e06c0a80103";

/* made with Python (hashlib.md5, hmac) from the same fields, SECRET */
static const char py_access_req[] =
	"01070039000102030405060708090a0b0c0d0e0f0107616c6963654f0c0201000a01616c696365"
	"501251a6d122ee3e517b628f0a71da7ae5ec";
static const char py_challenge[] =
	"0b0700377728d25af3db3568d1ce38700d1723424f08010200061a01180973746174652d31"
	"5012a4d1782db3c3be9929cb8eecb994fad9";
static const char py_acct[] =
	"0409002bdf560c8b56b8cfcd2febfd8b803440bc2806000000012c0a6379672d303030310107616c696365";
static const char py_disconnect[] =
	"280300332a3e3612413e912f9f20206221c6fb510107616c6963653706692b89005012c163d1a1fb"
	"120771ee7f83d89cb0b2b6";
static const char py_mppe[] =
	"8123e4f41991870da9ef67e21860f83f41f086583ebcc6edc6c713627967a9fa110a992f45e8c99e"
	"0ee440fa79ddd692028b";

static void rfc2865(void)
{
	uint8_t req[128], acc[128];
	size_t rn = check_unhex(rfc_req, req), an = check_unhex(rfc_accept, acc);
	struct rad_view v, r;
	CHECK("rfc2865 7.1: request parses", rad_parse(req, rn, &v) == 0);
	CHECK("rfc2865 7.1: code, id", v.code == RAD_ACCESS_REQUEST && v.id == 0);
	size_t l;
	const uint8_t *u = rad_find(&v, RAD_USER_NAME, &l);
	CHECK("rfc2865 7.1: User-Name nemo", u && l == 4 && memcmp(u, "nemo", 4) == 0);
	uint32_t port = 0, nas = 0;
	CHECK("rfc2865 7.1: NAS-Port 3", rad_find_u32(&v, RAD_NAS_PORT, &port) == 0 && port == 3);
	CHECK("rfc2865 7.1: NAS-IP-Address", rad_find_u32(&v, RAD_NAS_IP_ADDRESS, &nas) == 0 &&
	      nas == 0xc0a80110);
	CHECK("rfc2865 7.1: accept parses", rad_parse(acc, an, &r) == 0);
	CHECK("rfc2865 7.1: Response Authenticator verifies",
	      rad_verify_response(&r, v.auth, "xyzzy5461", 9, false));
	CHECK("rfc2865 7.1: wrong secret refused",
	      !rad_verify_response(&r, v.auth, "xyzzy5462", 9, false));
	CHECK("rfc2865 7.1: a Message-Authenticator required but missing",
	      !rad_verify_response(&r, v.auth, "xyzzy5461", 9, true));

	/* the same Access-Accept built and signed here */
	struct rad_pkt p;
	uint8_t host[4] = { 192, 168, 1, 3 };
	rad_new(&p, RAD_ACCESS_ACCEPT, 0);
	rad_put_u32(&p, RAD_SERVICE_TYPE, 1);
	rad_put_u32(&p, 15, 0);             /* Login-Service: Telnet */
	rad_put(&p, 14, host, 4);           /* Login-IP-Host */
	CHECK("rfc2865 7.1: accept signed",
	      rad_sign_response(&p, v.auth, "xyzzy5461", 9) == 0);
	CHECK_HEX("rfc2865 7.1: accept byte for byte", p.buf, p.len, rfc_accept);
	acc[25] ^= 1;
	CHECK("rfc2865 7.1: a changed attribute is refused",
	      !rad_verify_response(&r, v.auth, "xyzzy5461", 9, false));
}

static void eap_exchange(void)
{
	static const uint8_t ra[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t eap[] = { 2, 1, 0, 10, 1, 'a', 'l', 'i', 'c', 'e' };
	struct rad_pkt p;
	rad_new(&p, RAD_ACCESS_REQUEST, 7);
	rad_put_str(&p, RAD_USER_NAME, "alice");
	rad_put_split(&p, RAD_EAP_MESSAGE, eap, sizeof(eap));
	rad_put_msg_auth(&p);
	CHECK("access-request signed", rad_sign_request(&p, SECRET, SLEN, ra) == 0);
	CHECK_HEX("access-request: Message-Authenticator as Python's hmac", p.buf, p.len,
	          py_access_req);

	uint8_t ch[128];
	size_t n = check_unhex(py_challenge, ch);
	struct rad_view v;
	CHECK("challenge parses", rad_parse(ch, n, &v) == 0 && v.code == RAD_ACCESS_CHALLENGE);
	CHECK("challenge: Response and Message-Authenticator verify",
	      rad_verify_response(&v, ra, SECRET, SLEN, true));
	uint8_t e[64];
	long el = rad_concat(&v, RAD_EAP_MESSAGE, e, sizeof(e));
	CHECK("challenge: EAP-Message", el == 6 && e[0] == 1 && e[4] == 26);
	size_t sl;
	const uint8_t *st = rad_find(&v, RAD_STATE, &sl);
	CHECK("challenge: State", st && sl == 7 && memcmp(st, "state-1", 7) == 0);
	/* the Message-Authenticator's own bytes changed, the response
	 * authenticator recomputed: still refused */
	ch[n - 1] ^= 0x80;
	struct rad_pkt re;
	memcpy(re.buf, ch, n);
	re.len = n;
	re.ma_off = 0;
	re.overflow = false;
	rad_sign_response(&re, ra, SECRET, SLEN);   /* fixes the MD5, not the HMAC */
	CHECK("challenge: a forged Message-Authenticator is refused",
	      rad_parse(re.buf, re.len, &v) == 0 && !rad_verify_response(&v, ra, SECRET, SLEN, false));

	/* an EAP-Message without a Message-Authenticator is refused */
	rad_new(&re, RAD_ACCESS_CHALLENGE, 7);
	rad_put(&re, RAD_EAP_MESSAGE, e, 6);
	rad_sign_response(&re, ra, SECRET, SLEN);
	CHECK("challenge: EAP without Message-Authenticator refused",
	      rad_parse(re.buf, re.len, &v) == 0 && !rad_verify_response(&v, ra, SECRET, SLEN, false));
}

static void accounting_and_dae(void)
{
	struct rad_pkt p;
	uint8_t one[4] = { 0, 0, 0, 1 };
	rad_new(&p, RAD_ACCT_REQUEST, 9);
	rad_put(&p, RAD_ACCT_STATUS_TYPE, one, 4);
	rad_put_str(&p, RAD_ACCT_SESSION_ID, "cyg-0001");
	rad_put_str(&p, RAD_USER_NAME, "alice");
	CHECK("accounting-request signed", rad_sign_request(&p, SECRET, SLEN, NULL) == 0);
	CHECK_HEX("accounting-request: Authenticator as Python's md5", p.buf, p.len, py_acct);
	struct rad_view v;
	CHECK("accounting-request verifies", rad_parse(p.buf, p.len, &v) == 0 &&
	      rad_verify_request(&v, SECRET, SLEN, false));

	uint8_t d[128];
	size_t n = check_unhex(py_disconnect, d);
	CHECK("disconnect-request parses", rad_parse(d, n, &v) == 0 &&
	      v.code == RAD_DISCONNECT_REQUEST);
	CHECK("disconnect-request: Authenticator and Message-Authenticator verify",
	      rad_verify_request(&v, SECRET, SLEN, true));
	CHECK("disconnect-request: wrong secret refused", !rad_verify_request(&v, "x", 1, false));
	uint32_t ts = 0;
	CHECK("disconnect-request: Event-Timestamp",
	      rad_find_u32(&v, RAD_EVENT_TIMESTAMP, &ts) == 0 && ts == 1764460800);
	/* built here the same way */
	rad_new(&p, RAD_DISCONNECT_REQUEST, 3);
	rad_put_str(&p, RAD_USER_NAME, "alice");
	rad_put_u32(&p, RAD_EVENT_TIMESTAMP, 1764460800);
	rad_put_msg_auth(&p);
	CHECK("disconnect-request signed", rad_sign_request(&p, SECRET, SLEN, NULL) == 0);
	CHECK_HEX("disconnect-request byte for byte", p.buf, p.len, py_disconnect);
	/* the ACK to it */
	rad_new(&p, RAD_DISCONNECT_ACK, 3);
	rad_put_msg_auth(&p);
	struct rad_view a;
	CHECK("disconnect-ack signed and verifies", rad_sign_response(&p, v.auth, SECRET, SLEN) == 0 &&
	      rad_parse(p.buf, p.len, &a) == 0 && rad_verify_response(&a, v.auth, SECRET, SLEN, true));
	CHECK("an Access-Accept is no request", !rad_verify_request(&a, SECRET, SLEN, false));
	/* a request with no Message-Authenticator where one is required */
	rad_new(&p, RAD_DISCONNECT_REQUEST, 4);
	rad_put_str(&p, RAD_USER_NAME, "alice");
	rad_sign_request(&p, SECRET, SLEN, NULL);
	CHECK("disconnect-request without Message-Authenticator: ok unless required",
	      rad_parse(p.buf, p.len, &v) == 0 && rad_verify_request(&v, SECRET, SLEN, false) &&
	      !rad_verify_request(&v, SECRET, SLEN, true));
	/* two Message-Authenticators */
	rad_new(&p, RAD_DISCONNECT_REQUEST, 5);
	rad_put_msg_auth(&p);
	uint8_t z[16] = { 0 };
	rad_put(&p, RAD_MESSAGE_AUTHENTICATOR, z, 16);
	rad_sign_request(&p, SECRET, SLEN, NULL);
	CHECK("two Message-Authenticators refused",
	      rad_parse(p.buf, p.len, &v) == 0 && !rad_verify_request(&v, SECRET, SLEN, false));
}

static void mppe(void)
{
	static const uint8_t ra[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t key[32], val[64], got[64];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x40 + i);
	size_t n = check_unhex(py_mppe, val), kl = 0;
	CHECK("mppe: key recovered", rad_mppe_key(val, n, ra, SECRET, SLEN, got, sizeof(got), &kl) == 0 &&
	      kl == 32 && memcmp(got, key, 32) == 0);
	uint8_t salt[2] = { 0x81, 0x23 }, out[64];
	long hl = rad_mppe_hide(key, 32, salt, ra, SECRET, SLEN, out, sizeof(out));
	CHECK_HEX("mppe: hidden as Python does", out, hl > 0 ? (size_t)hl : 0, py_mppe);
	CHECK("mppe: too small a buffer", rad_mppe_key(val, n, ra, SECRET, SLEN, got, 31, &kl) != 0);
	CHECK("mppe: wrong secret gives garbage or refusal",
	      rad_mppe_key(val, n, ra, "x", 1, got, sizeof(got), &kl) != 0 ||
	      kl != 32 || memcmp(got, key, 32) != 0);
	val[0] &= 0x7f;
	CHECK("mppe: salt without its high bit refused",
	      rad_mppe_key(val, n, ra, SECRET, SLEN, got, sizeof(got), &kl) != 0);
	val[0] |= 0x80;
	CHECK("mppe: not a multiple of 16 refused",
	      rad_mppe_key(val, n - 1, ra, SECRET, SLEN, got, sizeof(got), &kl) != 0);
}

static void building(void)
{
	uint8_t eap[600], back[700];
	for (size_t i = 0; i < sizeof(eap); i++)
		eap[i] = (uint8_t)i;
	struct rad_pkt p;
	rad_new(&p, RAD_ACCESS_REQUEST, 1);
	CHECK("split: 600 octets", rad_put_split(&p, RAD_EAP_MESSAGE, eap, sizeof(eap)) == 0);
	static const uint8_t ms[] = { 'k', 'e', 'y' };
	rad_put_vsa(&p, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_RECV_KEY, ms, 3);
	uint8_t ra[16] = { 0 };
	rad_sign_request(&p, SECRET, SLEN, ra);
	struct rad_view v;
	CHECK("split: parses", rad_parse(p.buf, p.len, &v) == 0);
	CHECK("split: three attributes (253, 253, 94)", rad_count(&v, RAD_EAP_MESSAGE) == 3);
	CHECK("split: joined again", rad_concat(&v, RAD_EAP_MESSAGE, back, sizeof(back)) == 600 &&
	      memcmp(back, eap, 600) == 0);
	CHECK("concat: too small a buffer", rad_concat(&v, RAD_EAP_MESSAGE, back, 599) < 0);
	size_t l;
	const uint8_t *x = rad_find_vsa(&v, RAD_VENDOR_MICROSOFT, RAD_MS_MPPE_RECV_KEY, &l);
	CHECK("vsa: found", x && l == 3 && memcmp(x, "key", 3) == 0);
	CHECK("vsa: other vendor", !rad_find_vsa(&v, 9, RAD_MS_MPPE_RECV_KEY, &l));
	CHECK("vsa: other type", !rad_find_vsa(&v, RAD_VENDOR_MICROSOFT, 16, &l));
	uint8_t big[254] = { 0 };
	CHECK("an attribute over 253 octets refused", rad_put(&p, 1, big, 254) != 0 && p.overflow);
	CHECK("an overflowed packet is not signed", rad_sign_request(&p, SECRET, SLEN, ra) != 0);
	rad_new(&p, RAD_ACCESS_REQUEST, 1);
	int n = 0;
	while (rad_put(&p, RAD_CLASS, big, 253) == 0)
		n++;
	CHECK("the packet stops at 4096 octets", n == 15 && p.len <= RAD_MAX_LEN && p.overflow);
	CHECK("a response code is not signed as a request",
	      (rad_new(&p, RAD_ACCESS_ACCEPT, 1), rad_sign_request(&p, SECRET, SLEN, ra) != 0));
}

static void malformed(void)
{
	uint8_t b[64] = { 1, 0, 0, 20 };
	struct rad_view v;
	CHECK("parse: 19 octets", rad_parse(b, 19, &v) != 0);
	CHECK("parse: bare header", rad_parse(b, 20, &v) == 0 && v.len == 20);
	b[3] = 19;
	CHECK("parse: Length 19", rad_parse(b, 20, &v) != 0);
	b[3] = 30;
	CHECK("parse: Length beyond what arrived", rad_parse(b, 29, &v) != 0);
	b[20] = 1, b[21] = 1;
	CHECK("parse: attribute length 1", rad_parse(b, 30, &v) != 0);
	b[21] = 0;
	CHECK("parse: attribute length 0", rad_parse(b, 30, &v) != 0);
	b[21] = 11;
	CHECK("parse: attribute past Length", rad_parse(b, 40, &v) != 0);
	b[21] = 10;
	CHECK("parse: attribute filling Length exactly", rad_parse(b, 30, &v) == 0);
	CHECK("parse: octets beyond Length ignored", rad_parse(b, 64, &v) == 0 && v.len == 30);
	b[3] = 31;
	CHECK("parse: one octet left for an attribute", rad_parse(b, 40, &v) != 0);
	b[2] = 0x10, b[3] = 0x01;
	CHECK("parse: Length over 4096", rad_parse(b, 64, &v) != 0);
}

int main(void)
{
	rfc2865();
	eap_exchange();
	accounting_and_dae();
	mppe();
	building();
	malformed();
	CHECK_DONE();
}
