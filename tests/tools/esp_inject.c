/* esp_inject: sends ESP-in-UDP packets (RFC 3948) that a peer's ESP SA
 * authenticates, carrying an inner UDP datagram of our choosing. For the
 * interop tests (tests/interop/t_ts.sh): a real client never sends a
 * packet outside its own selectors, so a test that wants the server to
 * see one must forge it with the client's keys.
 *
 * The outer packet is built whole and sent on a raw IPv4 socket, so it can
 * leave from the UDP port the client's IKE daemon already holds (4500):
 * the server follows the source of authenticated ESP, and another port
 * would move the client's tunnel.
 *
 *   esp_inject --spi HEX --seq N --alg aes256-sha256|aes128-sha256|
 *              aes256-sha1|aes128gcm16|aes256gcm16 --ekey HEX [--akey HEX]
 *              --from IPv4 --to IPv4 [--sport 4500] [--dport 4500]
 *              --isrc IP --idst IP [--iport 9999] [--count N]
 *
 * --ekey is the encryption key as IKE derived it (with the 4-byte salt
 * for GCM), --akey the integrity key; the inner datagram goes from
 * --isrc:40000 to --idst:--iport (IPv4 or IPv6, both the same family),
 * payload "cygnet-esp-inject N". Packet i of --count uses sequence number
 * --seq + i. Exit 0 when every packet was sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/algs.h"
#include "crypto/xform.h"
#include "src/dp/esp.h"

static void usage(void)
{
	fprintf(stderr, "usage: esp_inject --spi HEX --seq N --alg ALG --ekey HEX [--akey HEX]\n"
	        "  --from IPv4 --to IPv4 [--sport 4500] [--dport 4500]\n"
	        "  --isrc IP --idst IP [--iport 9999] [--count N]\n");
	exit(2);
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (*s) {
		unsigned v;
		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		if (n >= max || sscanf(s, "%2x", &v) != 1)
			return 0;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* the inner IPv4 or IPv6 UDP datagram; returns its length */
static size_t inner_packet(uint8_t *p, int fam, const uint8_t *src, const uint8_t *dst,
                           uint16_t dport, const char *payload)
{
	size_t plen = strlen(payload), ulen = 8 + plen, hl = fam == AF_INET ? 20 : 40;
	uint8_t *u = p + hl;
	memset(p, 0, hl + ulen);
	u[0] = 40000 >> 8;
	u[1] = 40000 & 0xff;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	memcpy(u + 8, payload, plen);
	/* UDP checksum over the pseudo header */
	size_t alen = fam == AF_INET ? 4 : 16;
	uint32_t s = sum16(src, alen, 0);
	s = sum16(dst, alen, s);
	s += 17 + (uint32_t)ulen;
	s = sum16(u, ulen, s);
	uint16_t c = fold(s);
	if (c == 0)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	if (fam == AF_INET) {
		size_t tot = 20 + ulen;
		p[0] = 0x45;
		p[2] = (uint8_t)(tot >> 8);
		p[3] = (uint8_t)tot;
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		uint16_t hc = fold(sum16(p, 20, 0));
		p[10] = (uint8_t)(hc >> 8);
		p[11] = (uint8_t)hc;
		return tot;
	}
	p[0] = 0x60;
	p[4] = (uint8_t)(ulen >> 8);
	p[5] = (uint8_t)ulen;
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40 + ulen;
}

static int parse_alg(const char *s, uint16_t *encr, uint16_t *bits, uint16_t *integ)
{
	static const struct {
		const char *name;
		uint16_t encr, bits, integ;
	} algs[] = {
		{ "aes128-sha256", ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128 },
		{ "aes256-sha256", ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128 },
		{ "aes128-sha1", ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96 },
		{ "aes256-sha1", ENCR_AES_CBC, 256, AUTH_HMAC_SHA1_96 },
		{ "aes128gcm16", ENCR_AES_GCM_16, 128, AUTH_NONE },
		{ "aes256gcm16", ENCR_AES_GCM_16, 256, AUTH_NONE },
	};
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strcmp(s, algs[i].name) == 0) {
			*encr = algs[i].encr;
			*bits = algs[i].bits;
			*integ = algs[i].integ;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spi", 1, NULL, 's' }, { "seq", 1, NULL, 'q' }, { "alg", 1, NULL, 'A' },
		{ "ekey", 1, NULL, 'e' }, { "akey", 1, NULL, 'a' }, { "from", 1, NULL, 'f' },
		{ "to", 1, NULL, 't' }, { "sport", 1, NULL, 'S' }, { "dport", 1, NULL, 'D' },
		{ "isrc", 1, NULL, 'i' }, { "idst", 1, NULL, 'o' }, { "iport", 1, NULL, 'p' },
		{ "count", 1, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	uint32_t spi = 0;
	unsigned long long seq = 0;
	uint16_t encr = 0, bits = 0, integ = 0, sport = 4500, dport = 4500, iport = 9999;
	uint8_t ekey[64], akey[64];
	size_t elen = 0, alen = 0;
	const char *from = NULL, *to = NULL, *isrc = NULL, *idst = NULL;
	int count = 1, c, rc = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': spi = (uint32_t)strtoul(optarg, NULL, 16); break;
		case 'q': seq = strtoull(optarg, NULL, 10); break;
		case 'A': if (parse_alg(optarg, &encr, &bits, &integ) != 0) usage(); break;
		case 'e': elen = unhex(optarg, ekey, sizeof(ekey)); break;
		case 'a': alen = unhex(optarg, akey, sizeof(akey)); break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'S': sport = (uint16_t)atoi(optarg); break;
		case 'D': dport = (uint16_t)atoi(optarg); break;
		case 'i': isrc = optarg; break;
		case 'o': idst = optarg; break;
		case 'p': iport = (uint16_t)atoi(optarg); break;
		case 'n': count = atoi(optarg); break;
		default: usage();
		}
	}
	if (!spi || !seq || !encr || !from || !to || !isrc || !idst || count < 1 || count > 1000 ||
	    seq + (unsigned long long)count - 1 > ESP_SEQ_MAX)
		usage();
	if (elen != xform_encr_keylen(encr, bits) || alen != xform_integ_keylen(integ)) {
		fprintf(stderr, "esp_inject: key lengths %zu/%zu, the algorithm needs %zu/%zu\n",
		        elen, alen, xform_encr_keylen(encr, bits), xform_integ_keylen(integ));
		return 2;
	}
	struct in_addr o_src, o_dst;
	uint8_t i_src[16], i_dst[16];
	int fam = strchr(isrc, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(AF_INET, from, &o_src) != 1 || inet_pton(AF_INET, to, &o_dst) != 1 ||
	    inet_pton(fam, isrc, i_src) != 1 || inet_pton(fam, idst, i_dst) != 1)
		usage();

	/* only the outbound direction is used; the inbound keys are the same */
	struct esp_sa *sa = esp_sa_new(spi, spi, encr, bits, integ, ekey, alen ? akey : NULL, ekey,
	                               alen ? akey : NULL);
	OPENSSL_cleanse(ekey, sizeof(ekey));
	OPENSSL_cleanse(akey, sizeof(akey));
	if (!sa) {
		fprintf(stderr, "esp_inject: cannot make the SA\n");
		return 1;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);   /* IP_HDRINCL implied */
	if (fd < 0) {
		perror("esp_inject: raw socket");
		goto out;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_addr = o_dst };
	for (int i = 0; i < count; i++) {
		static uint8_t ip[256], pkt[ESP_MAX_PACKET];
		char payload[64];
		snprintf(payload, sizeof(payload), "cygnet-esp-inject %d", i);
		size_t iplen = inner_packet(ip, fam, i_src, i_dst, iport, payload);
		sa->seq_out = seq + (unsigned long long)i - 1;
		uint8_t *esp = pkt + 28;
		long elen2 = esp_encap(sa, ip, iplen, esp, sizeof(pkt) - 28);
		if (elen2 < 0) {
			fprintf(stderr, "esp_inject: esp_encap failed\n");
			goto out;
		}
		size_t ulen = 8 + (size_t)elen2, tot = 20 + ulen;
		uint8_t *h = pkt, *u = pkt + 20;
		memset(h, 0, 28);
		h[0] = 0x45;
		h[2] = (uint8_t)(tot >> 8);
		h[3] = (uint8_t)tot;
		h[8] = 64;
		h[9] = 17;
		memcpy(h + 12, &o_src, 4);
		memcpy(h + 16, &o_dst, 4);
		u[0] = (uint8_t)(sport >> 8);
		u[1] = (uint8_t)sport;
		u[2] = (uint8_t)(dport >> 8);
		u[3] = (uint8_t)dport;
		u[4] = (uint8_t)(ulen >> 8);
		u[5] = (uint8_t)ulen;
		/* UDP checksum 0: allowed over IPv4 (RFC 768, RFC 3948 §2.1) */
		if (sendto(fd, pkt, tot, 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)tot) {
			perror("esp_inject: sendto");
			goto out;
		}
	}
	printf("esp_inject: sent %d packet(s), SPI %08x, seq %llu..%llu, %s -> %s port %u\n",
	       count, spi, seq, seq + (unsigned long long)count - 1, isrc, idst, iport);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	esp_sa_free(sa);
	return rc;
}
