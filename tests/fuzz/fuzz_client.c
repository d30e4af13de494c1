/* libFuzzer target: cygnet as a client (src/client_init.c,
 * src/client_auth.c) fed with hostile server responses.
 *
 * Two daemons live in the process, no sockets: the server is the
 * first-run configuration of fuzz_sa.h (fuzz_d: certificate from its own
 * CA, one EAP user, IPv4 and IPv6 pools); the client (cli_d) has two
 * conns to it, written here to a temporary dir that is removed after
 * loading:
 *   "eap": leftauth=eap-mschapv2 as the server's user, rightid = the
 *          server's address (its certificate's), the server's CA in
 *          ipsec.d/cacerts, leftsourceip=%config4,%config6,
 *          rightsubnet=0.0.0.0/0;
 *   "psk": leftauth=psk, rightauth=psk (": PSK" in ipsec.secrets),
 *          leftsourceip=%config4, rightsubnet=10.0.0.0/8,2001:db8::/32.
 * Every input starts one IKE_SA with client_probe (no conn state, no
 * helper, no scripts) and ends with every IKE_SA of both daemons gone.
 * "real" below means: the client's outstanding request is handed to the
 * server's ike_input and the server's answer (as it would have sent it)
 * is what the client gets, so whole exchanges run in process.
 *
 * Input: byte 0 picks the mode (% 3); the rest is split at "FUZZ".
 *  0  IKE_SA_INIT responses (conn eap): up to 4 parts, each a datagram
 *     fed to the client's ike_input from the server's port 500 with its
 *     SPIi replaced by the client's (so it reaches client_init_response:
 *     COOKIE, INVALID_KE_PAYLOAD, errors, proposal/KE/nonce checks, keys,
 *     then the first IKE_AUTH request); an empty part is "real".
 *  1  IKE_AUTH responses, conn eap; 2  the same, conn psk. IKE_SA_INIT
 *     runs real, then up to 8 rounds, one per part, each answering the
 *     client's outstanding IKE_AUTH request (msgid, SPIs and protection
 *     done here with the IKE_SA's real keys). The first byte of a part
 *     (% 4) says how its plaintext, the inner payload chain, is made:
 *       0  real, then the rest as overwrites: offset (2 bytes, big
 *          endian, modulo the plaintext's length), then bytes written
 *          there (what the server's signature or MAC does not cover:
 *          EAP, CP, SA, TS, notifies survive; an empty rest is the real
 *          answer unchanged);
 *       1  real, then the rest appended: the next-payload type of its
 *          first payload, then payloads;
 *       2  the rest alone: next-payload type, then payloads;
 *       3  as 2, behind a valid authentication of the server made here
 *          when the harness can make one: conn psk: IDr (the server's
 *          address) and the PSK AUTH; conn eap after EAP-Success: the
 *          AUTH from the MSK; else nothing in front.
 *
 * Besides the sanitizers, one check: after each answer the client's
 * IKE_SA is established, gone, or waiting for the answer to a request
 * of its own (a setup that stops with nothing outstanding would hang).
 *
 * CYGNET_FUZZ_CLIENT_DUMP=DIR (replay or fuzzer) writes the real answers
 * seen (init-N: IKE_SA_INIT datagrams; auth-N: next-payload type and
 * plaintext chain of IKE_AUTH answers) to DIR, to make seeds from.
 * CYGNET_FUZZ_CLIENT_LOG=1 turns both daemons' logs on (stderr).
 * Seeds: tests/fuzz/corpus/client/ */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <openssl/pem.h>
#include "tests/fuzz/fuzz_sa.h"
#include "crypto/cert.h"
#include "crypto/prf.h"
#include "crypto/sig.h"
#include "src/client.h"
#include "src/client_int.h"
#include "src/ike_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLI_PSK "fuzz: the client's PSK"
#define MAX_ROUNDS 8

static struct daemon cli_d;
static struct peer_cfg *cli_eap, *cli_psk;
/* the server as the client sees it and the client as the server does */
static struct sockaddr_in srv500, srv4500, cli500, cli4500;
static const char *dump_dir;
static int dump_n;

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void client_setup(void)
{
	char dir[] = "/tmp/cygnet-fuzzcl-XXXXXX", path[700], err[512], text[2048];
	if (cli_d.cfg)
		return;
	fuzz_daemon_setup();
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/ipsec.d", dir);
	if (mkdir(path, 0700) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/ipsec.d/cacerts", dir);
	if (mkdir(path, 0700) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/ipsec.d/cacerts/ca.pem", dir);
	FILE *f = fopen(path, "w");
	if (!f || !fuzz_d.cfg->cacerts || sk_X509_num(fuzz_d.cfg->cacerts) < 1 ||
	    !PEM_write_X509(f, sk_X509_value(fuzz_d.cfg->cacerts, 0)) || fclose(f) != 0)
		abort();
	put_file(dir, "ipsec.conf",
	         "config setup\n"
	         "conn eap\n"
	         "\tkeyexchange=ikev2\n"
	         "\tright=198.18.0.1\n"
	         "\trightsubnet=0.0.0.0/0\n"
	         "\tleft=198.18.0.2\n"
	         "\tleftsourceip=%config4,%config6\n"
	         "\tleftauth=eap-mschapv2\n"
	         "\tfragmentation=no\n"
	         "\tauto=add\n"
	         "\teap_identity=%identity\n"
	         "conn psk\n"
	         "\tkeyexchange=ikev2\n"
	         "\tright=198.18.0.1\n"
	         "\trightsubnet=10.0.0.0/8,2001:db8::/32\n"
	         "\tleft=198.18.0.2\n"
	         "\tleftsourceip=%config4\n"
	         "\tleftauth=psk\n"
	         "\trightauth=psk\n"
	         "\tfragmentation=no\n"
	         "\tauto=add\n");
	/* eap_identity= the server's user */
	snprintf(path, sizeof(path), "%s/ipsec.conf", dir);
	f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	char *at = strstr(text, "%identity"), conf[2200];
	if (!at)
		abort();
	*at = 0;
	snprintf(conf, sizeof(conf), "%s%s%s", text, fuzz_user, at + strlen("%identity"));
	put_file(dir, "ipsec.conf", conf);
	snprintf(text, sizeof(text), "%s : EAP \"%s\"\n: PSK \"" CLI_PSK "\"\n", fuzz_user,
	         fuzz_pass);
	put_file(dir, "ipsec.secrets", text);
	OPENSSL_cleanse(text, sizeof(text));
	cli_d.cfg = config_load(dir, err, sizeof(err));
	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	if (system(text) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (!cli_d.cfg) {
		fprintf(stderr, "client config: %s\n", err);
		abort();
	}
	for (int i = 0; i < cli_d.cfg->n_peers; i++) {
		if (strcmp(cli_d.cfg->peers[i].name, "eap") == 0)
			cli_eap = &cli_d.cfg->peers[i];
		if (strcmp(cli_d.cfg->peers[i].name, "psk") == 0)
			cli_psk = &cli_d.cfg->peers[i];
	}
	cli_d.base = event_base_new();
	struct dp_params dp = { .base = cli_d.base, .tun_fd = -1, .on_event = daemon_dp_event,
	                        .arg = &cli_d };
	cli_d.dp = cli_d.base ? dp_new(&dp, NULL, 0) : NULL;
	if (!cli_eap || !cli_psk || !cli_d.dp || ike_sa_tables_init(&cli_d) != 0)
		abort();
	/* fuzz_d answers from fuzz_local (198.18.0.1) to fuzz_peer (198.18.0.2) */
	srv500 = srv4500 = fuzz_local;
	cli500 = cli4500 = fuzz_peer;
	srv500.sin_port = cli500.sin_port = htons(500);
	srv4500.sin_port = cli4500.sin_port = htons(4500);
	dump_dir = getenv("CYGNET_FUZZ_CLIENT_DUMP");
	if (getenv("CYGNET_FUZZ_CLIENT_LOG"))
		log_set_level(-1, 2);
}

static void dump(const char *kind, const uint8_t *p, size_t len, int next)
{
	if (!dump_dir)
		return;
	char path[700];
	snprintf(path, sizeof(path), "%s/%s-%d", dump_dir, kind, dump_n++);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	if (next >= 0)
		fputc(next, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

/* the client's IKE_SA of this input, while it lives */
static struct ike_sa *cli_sa(struct ike_sa *sa)
{
	for (struct ike_sa *s = cli_d.sas; s; s = s->next)
		if (s == sa && s->state != IKE_S_DEAD)
			return s;
	return NULL;
}

/* the server's IKE_SA for the client's */
static struct ike_sa *srv_sa(const struct ike_sa *c)
{
	for (struct ike_sa *s = fuzz_d.sas; s; s = s->next)
		if (memcmp(s->spi_i, c->spi_i, 8) == 0 && s->state != IKE_S_DEAD)
			return s;
	return NULL;
}

/* the client's outstanding request to the server (real); false when it
 * has none */
static bool to_server(struct ike_sa *sa, bool init)
{
	if (sa->req_kind == REQ_NONE || !sa->req.buf || sa->req.n < 1)
		return false;
	const struct sockaddr_in *from = init ? &cli500 : &cli4500, *to = init ? &srv500 : &srv4500;
	const uint8_t *p = sa->req.buf;
	for (int i = 0; i < sa->req.n; i++) {
		ike_input(&fuzz_d, p, sa->req.len[i], (const struct sockaddr *)from, sizeof(*from),
		          (const struct sockaddr *)to, sizeof(*to));
		p += sa->req.len[i];
	}
	return true;
}

/* IKE_SA_INIT real: the client's request to the server, its answer back */
static void init_real(struct ike_sa *sa)
{
	if (!to_server(sa, true))
		return;
	struct ike_sa *s = srv_sa(sa);
	if (!s || !s->init_resp)
		return;
	dump("init", s->init_resp, s->init_resp_len, -1);
	ike_input(&cli_d, s->init_resp, s->init_resp_len, (struct sockaddr *)&srv500,
	          sizeof(srv500), (struct sockaddr *)&cli500, sizeof(cli500));
}

/* After every answer: an IKE_SA of ours still being set up always waits
 * for the answer to a request of its own (else nothing would move it on
 * or end it but the half-open timeout) */
static void check_waiting(const struct ike_sa *sa)
{
	if (sa && sa->state != IKE_S_ESTABLISHED && sa->req_kind == REQ_NONE) {
		fprintf(stderr, "fuzz_client: IKE_SA in state %d with no request outstanding\n",
		        (int)sa->state);
		abort();
	}
}

static void init_part(const uint8_t *p, size_t len, void *arg)
{
	struct ike_sa *sa = cli_sa(arg);
	if (!sa)
		return;
	if (!len) {
		init_real(sa);
		check_waiting(cli_sa(arg));
		return;
	}
	static uint8_t dgram[IKE_MAX_MSG];
	if (len > sizeof(dgram))
		len = sizeof(dgram);
	memcpy(dgram, p, len);
	if (len >= 8)
		memcpy(dgram, sa->spi_i, 8);
	ike_input(&cli_d, dgram, len, (struct sockaddr *)&srv500, sizeof(srv500),
	          (struct sockaddr *)&cli500, sizeof(cli500));
	check_waiting(cli_sa(arg));
}

/* Protects chain (next: its first payload's type) as the server's answer
 * to the client's outstanding IKE_AUTH request, with the server side's
 * SK_er/SK_ar (the server's IKE_SA's x_out), and hands it to the client */
static void answer(struct ike_sa *sa, struct xform *x, uint8_t next, const uint8_t *chain,
                   size_t len)
{
	static uint8_t dgram[IKE_MAX_MSG];
	size_t ivlen = xform_iv_len(x), icvlen = xform_icv_len(x), block = xform_block_len(x);
	size_t ctlen = (len + 1 + block - 1) / block * block;
	size_t hdr = IKE_HDR_LEN + 4, total = hdr + ivlen + ctlen + icvlen;
	if (total > sizeof(dgram))
		return;
	memcpy(dgram, sa->spi_i, 8);
	memcpy(dgram + 8, sa->spi_r, 8);
	dgram[16] = PL_SK;
	dgram[17] = 0x20;
	dgram[18] = IKE_AUTH;
	dgram[19] = IKE_FLAG_RESPONSE;
	for (int i = 0; i < 4; i++) {
		dgram[20 + i] = (uint8_t)(sa->req_msgid >> (24 - 8 * i));
		dgram[24 + i] = (uint8_t)(total >> (24 - 8 * i));
	}
	uint8_t *pl = dgram + IKE_HDR_LEN;
	pl[0] = next;
	pl[1] = 0;
	pl[2] = (uint8_t)((total - IKE_HDR_LEN) >> 8);
	pl[3] = (uint8_t)(total - IKE_HDR_LEN);
	uint8_t *iv = dgram + hdr, *ct = iv + ivlen;
	memcpy(ct, chain, len);
	memset(ct + len, 0, ctlen - len - 1);
	ct[ctlen - 1] = (uint8_t)(ctlen - len - 1);
	if (xform_seal(x, dgram, hdr, iv, ct, ctlen, ct + ctlen) != 0)
		abort();
	ike_input(&cli_d, dgram, total, (struct sockaddr *)&srv4500, sizeof(srv4500),
	          (struct sockaddr *)&cli4500, sizeof(cli4500));
}

/* The server's real answer to the client's outstanding request, opened
 * with the client's keys: its chain in out (at most cap bytes), its
 * first payload's type in *next. The length, or 0 when there is none. */
static size_t real_answer(struct ike_sa *sa, uint8_t *out, size_t cap, uint8_t *next)
{
	uint32_t want = sa->req_msgid;
	/* a server that refuses deletes its IKE_SA, and its answer with it:
	 * none then */
	struct ike_sa *s;
	if (!to_server(sa, false) || !(s = srv_sa(sa)) || s->resp.n != 1 || !s->resp.buf)
		return 0;
	static uint8_t dgram[IKE_MAX_MSG];
	size_t len = s->resp.len[0];
	size_t ivlen = xform_iv_len(sa->x_in), icvlen = xform_icv_len(sa->x_in);
	size_t hdr = IKE_HDR_LEN + 4;
	if (len > sizeof(dgram) || len < hdr + ivlen + icvlen + 1)
		return 0;
	memcpy(dgram, s->resp.buf, len);
	uint32_t msgid = (uint32_t)dgram[20] << 24 | (uint32_t)dgram[21] << 16 |
	                 (uint32_t)dgram[22] << 8 | dgram[23];
	if (dgram[16] != PL_SK || msgid != want)
		return 0;          /* not the answer to this request */
	size_t ctlen = len - hdr - ivlen - icvlen;
	uint8_t *iv = dgram + hdr, *ct = iv + ivlen;
	if (xform_open(sa->x_in, dgram, hdr, iv, ct, ctlen, ct + ctlen) != 0)
		return 0;
	size_t pad = ct[ctlen - 1];
	if (pad + 1 > ctlen || ctlen - pad - 1 > cap)
		return 0;
	*next = dgram[IKE_HDR_LEN];
	memcpy(out, ct, ctlen - pad - 1);
	dump("auth", out, ctlen - pad - 1, *next);
	return ctlen - pad - 1;
}

/* appends chain (next: its first type) to the chain p[0..len) (first
 * type *first, our server's, well-formed); the new length */
static size_t append(uint8_t *p, size_t len, size_t cap, uint8_t *first, uint8_t next,
                     const uint8_t *chain, size_t clen)
{
	if (len + clen > cap)
		clen = cap - len;
	size_t last = SIZE_MAX;
	for (size_t at = 0; at + 4 <= len;) {
		size_t plen = (size_t)p[at + 2] << 8 | p[at + 3];
		last = at;
		if (plen < 4)
			break;
		at += plen;
	}
	if (last == SIZE_MAX)
		*first = next;
	else
		p[last] = next;
	memcpy(p + len, chain, clen);
	return len + clen;
}

/* a payload: generic header (next type filled in later by the caller's
 * order) and body */
static size_t put_payload(uint8_t *p, uint8_t next, const uint8_t *body, size_t len)
{
	p[0] = next;
	p[1] = 0;
	p[2] = (uint8_t)((len + 4) >> 8);
	p[3] = (uint8_t)(len + 4);
	memcpy(p + 4, body, len);
	return len + 4;
}

/* kind 3: the server's authentication as the harness can make it in
 * front of the rest; the prefix's length (0: none) */
static size_t valid_prefix(struct ike_sa *sa, bool psk, uint8_t next, uint8_t *out,
                           uint8_t *lead)
{
	uint8_t auth[4 + PRF_MAX_OUT];
	memset(auth, 0, 4);
	auth[0] = AUTHM_PSK;
	if (psk && sa->ini && !sa->ini->server_authed) {
		static const uint8_t idr[8] = { ID_IPV4_ADDR, 0, 0, 0, 198, 18, 0, 1 };
		memcpy(sa->idr_body, idr, sizeof(idr));
		sa->idr_body_len = sizeof(idr);
		if (ike_auth_psk(sa, false, (const uint8_t *)CLI_PSK, strlen(CLI_PSK), auth + 4) != 0)
			return 0;
		size_t n = put_payload(out, PL_AUTH, idr, sizeof(idr));
		*lead = PL_IDR;
		return n + put_payload(out + n, next, auth, 4 + sa->prf_len);
	}
	if (!psk && sa->ini && sa->ini->step == INI_FINAL && sa->ini->peer.have_msk) {
		if (ike_auth_psk(sa, false, sa->ini->peer.msk, sizeof(sa->ini->peer.msk), auth + 4) != 0)
			return 0;
		*lead = PL_AUTH;
		return put_payload(out, next, auth, 4 + sa->prf_len);
	}
	return 0;
}

struct auth_run {
	struct ike_sa *sa;
	bool psk;
};

static void auth_part(const uint8_t *p, size_t len, void *arg)
{
	struct auth_run *r = arg;
	struct ike_sa *sa = cli_sa(r->sa);
	if (!sa || sa->req_kind != REQ_AUTH || !len)
		return;
	struct ike_sa *s = srv_sa(sa);
	if (!s || !s->x_out)
		return;
	static uint8_t plain[IKE_MAX_MSG];
	size_t cap = IKE_MAX_MSG - 256, n = 0;
	uint8_t first = 0, kind = p[0] & 3;
	p++;
	len--;
	if (kind <= 1) {
		if (!(n = real_answer(sa, plain, cap, &first)) || !cli_sa(r->sa))
			return;
		if (kind == 0) {
			if (len >= 3) {
				size_t off = ((size_t)p[0] << 8 | p[1]) % n;
				size_t w = len - 2 < n - off ? len - 2 : n - off;
				memcpy(plain + off, p + 2, w);
			}
		} else if (len) {
			n = append(plain, n, cap, &first, p[0], p + 1, len - 1);
		}
	} else {
		first = len ? p[0] : 0;
		if (len)
			p++, len--;
		if (kind == 3)
			n = valid_prefix(sa, r->psk, first, plain, &first);
		if (len > cap - n)
			len = cap - n;
		memcpy(plain + n, p, len);
		n += len;
	}
	answer(sa, s->x_out, first, plain, n);
	check_waiting(cli_sa(r->sa));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	client_setup();
	if (!size)
		return 0;
	int mode = data[0] % 3;
	struct peer_cfg *pc = mode == 2 ? cli_psk : cli_eap;
	struct ike_sa *sa = client_probe(&cli_d, pc, (struct sockaddr *)&srv500, sizeof(srv500),
	                                 (struct sockaddr *)&cli500, sizeof(cli500));
	if (sa) {
		if (mode == 0) {
			fuzz_split(data + 1, size - 1, 4, init_part, sa);
		} else {
			init_real(sa);
			struct auth_run r = { .sa = sa, .psk = mode == 2 };
			if (cli_sa(sa) && sa->state == IKE_S_INIT_DONE)
				fuzz_split(data + 1, size - 1, MAX_ROUNDS, auth_part, &r);
		}
	}
	for (struct ike_sa *s = cli_d.sas; s; s = s->next)
		ike_sa_set_state(s, IKE_S_DEAD);
	ike_sa_reap(&cli_d);
	cli_d.half_open = 0;
	fuzz_sa_reap_all();
	return 0;
}
