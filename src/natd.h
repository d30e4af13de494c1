/* NAT detection hashes (RFC 7296 §2.23). */
#ifndef CYGNET_NATD_H
#define CYGNET_NATD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* the address bytes and the port (network order) of a */
void addr_bytes(const struct sockaddr *a, const uint8_t **ip, size_t *iplen,
                uint16_t *port_be);
/* a and b hold the same address (with port: and port); false for
 * different families */
bool addr_eq(const struct sockaddr *a, const struct sockaddr *b, bool port);
/* sets the port (host order) of an AF_INET / AF_INET6 address */
void addr_set_port(struct sockaddr_storage *ss, uint16_t port);
/* "198.18.1.10[4500]" / "2001:db8::1[500]" into buf */
const char *addr_format(const struct sockaddr *a, char *buf, size_t len);
/* the same, or the address alone without with_port ("?" for another
 * family); RADIUS's Called-/Calling-Station-Id */
const char *addr_text(const struct sockaddr *a, bool with_port, char *buf, size_t len);
/* an address one host may have as a virtual IP: not unspecified,
 * loopback, multicast, link-local, IPv4 class E/broadcast or an
 * IPv4-mapped IPv6 address (a 4 or 16 bytes) */
bool addr_unicast(int family, const uint8_t *a);
/* SHA-1(SPIi | SPIr | IP | port) of address a */
void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
               const struct sockaddr *a, uint8_t out[20]);

#endif
