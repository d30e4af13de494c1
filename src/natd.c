/* NAT detection hashes (RFC 7296 §2.23). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include "src/natd.h"

void addr_bytes(const struct sockaddr *a, const uint8_t **ip, size_t *iplen,
                       uint16_t *port_be)
{
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		*ip = (const uint8_t *)&s->sin_addr;
		*iplen = 4;
		*port_be = s->sin_port;
	} else {
		const struct sockaddr_in6 *s = (const void *)a;
		*ip = (const uint8_t *)&s->sin6_addr;
		*iplen = 16;
		*port_be = s->sin6_port;
	}
}

bool addr_eq(const struct sockaddr *a, const struct sockaddr *b, bool port)
{
	const uint8_t *ia, *ib;
	size_t la, lb;
	uint16_t pa, pb;
	if (a->sa_family != b->sa_family || (a->sa_family != AF_INET && a->sa_family != AF_INET6))
		return false;
	addr_bytes(a, &ia, &la, &pa);
	addr_bytes(b, &ib, &lb, &pb);
	return la == lb && memcmp(ia, ib, la) == 0 && (!port || pa == pb);
}

void addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

const char *addr_text(const struct sockaddr *a, bool with_port, char *buf, size_t len)
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	char text[INET6_ADDRSTRLEN] = "?";
	if (a->sa_family == AF_INET || a->sa_family == AF_INET6) {
		addr_bytes(a, &ip, &iplen, &port);
		inet_ntop(a->sa_family, ip, text, sizeof(text));
	} else {
		port = 0;
	}
	if (with_port)
		snprintf(buf, len, "%s[%u]", text, ntohs(port));
	else
		snprintf(buf, len, "%s", text);
	return buf;
}

const char *addr_format(const struct sockaddr *a, char *buf, size_t len)
{
	return addr_text(a, true, buf, len);
}

/* NAT detection hash, RFC 7296 §2.23: SHA-1(SPIi | SPIr | IP | port) */
void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
               const struct sockaddr *a, uint8_t out[20])
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes(a, &ip, &iplen, &port);
	uint8_t buf[16 + 16 + 2];
	memcpy(buf, spi_i, 8);
	memcpy(buf + 8, spi_r, 8);
	memcpy(buf + 16, ip, iplen);
	memcpy(buf + 16 + iplen, &port, 2);
	unsigned int olen = 20;
	EVP_Digest(buf, 16 + iplen + 2, out, &olen, EVP_sha1(), NULL);
}


bool addr_unicast(int family, const uint8_t *a)
{
	static const uint8_t zero[16];
	if (family == AF_INET)
		return a[0] != 0 && a[0] != 127 && a[0] < 224 && !(a[0] == 169 && a[1] == 254);
	return memcmp(a, zero, 16) != 0 &&                           /* :: */
	       !(memcmp(a, zero, 15) == 0 && a[15] == 1) &&          /* ::1 */
	       a[0] != 0xff &&                                       /* multicast */
	       !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80) &&           /* link-local */
	       !(memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff); /* v4-mapped */
}
