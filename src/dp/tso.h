/* Plain IP packets from what a TUN device with offloads hands over
 * (src/dp/tso.c): the virtio-net header every read starts with, partial
 * checksums completed, TCP super-segments cut to the MSS. */
#ifndef CYGNET_TSO_H
#define CYGNET_TSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSO_HDR_LEN 10          /* struct virtio_net_hdr */

struct tso_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* the header at p (TSO_HDR_LEN bytes) */
void tso_hdr_read(const uint8_t *p, struct tso_hdr *h);
/* completes the partial checksum h asks for (NEEDS_CSUM) in pkt; 0, or
 * -1 when its offsets do not fit the packet */
int tso_csum(uint8_t *pkt, size_t len, const struct tso_hdr *h);

typedef void tso_fn(void *arg, uint8_t *seg, size_t len);
/* Cuts a TCP super-segment (h->gso_type TCPv4 or TCPv6, pkt of len bytes
 * with its IP and TCP headers) into segments of at most h->gso_size data
 * bytes, each built in seg (room bytes) with its own IP length (and IPv4
 * id and header checksum), sequence number, flags and TCP checksum, and
 * handed to fn. The number of segments, or -1 when the packet or header
 * is malformed or a segment would not fit room (nothing handed over). */
int tso_split(const uint8_t *pkt, size_t len, const struct tso_hdr *h, uint8_t *seg,
              size_t room, tso_fn *fn, void *arg);

#endif
