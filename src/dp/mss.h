/* MSS clamping (what OpenVPN's mssfix and iptables' TCPMSS target do):
 * the MSS option of a TCP SYN or SYN-ACK that crosses the tunnel is
 * lowered to what fits the TUN device's MTU, so that neither end of a TCP
 * connection sends segments that would have to be fragmented (or dropped
 * by a path that loses ICMP "packet too big") once encrypted: clients
 * behind PPPoE and mobile networks otherwise hang on large packets.
 *
 * The data plane calls it on packets read from the TUN device before they
 * are encrypted and on decrypted packets before they are written to it,
 * so both ends' SYNs are clamped (src/dp/dp_io.c). What it does, in order:
 *  - only an IPv4 packet that is not a fragment, or an IPv6 packet whose
 *    next header is TCP (no extension headers), carrying TCP with SYN set
 *    and RST clear, whose lengths agree with the buffer; anything else is
 *    left alone (MSS_PASS)
 *  - the options are walked with every length checked (RFC 9293 §3.1: EOL
 *    ends them, NOP is one byte, every other option has a length >= 2 that
 *    fits); an option that does not fit, or an MSS option whose length is
 *    not 4, leaves the whole packet alone (MSS_BAD)
 *  - every MSS option (there is one in practice) above the limit is set
 *    to the limit, and the TCP checksum updated incrementally (RFC 1624
 *    eqn. 3), so a checksum that verified still does and one that did not
 *    still does not; an MSS is never raised
 *  - a SYN without an MSS option is left as it is: its receiver assumes
 *    536 (IPv4) or 1220 (IPv6) bytes (RFC 9293 §3.7.1), which fit any TUN
 *    MTU cygnet allows for that family
 * It never allocates and touches nothing but the MSS values and the TCP
 * checksum. mss_syn is the inline test every packet gets; the walk runs
 * for SYNs only. */
#ifndef CYGNET_DP_MSS_H
#define CYGNET_DP_MSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSS_V4_OVERHEAD 40      /* IPv4 and TCP headers without options */
#define MSS_V6_OVERHEAD 60      /* IPv6 and TCP headers */

enum mss_result {
	MSS_PASS,               /* not a SYN we clamp, or its MSS was small enough */
	MSS_CLAMPED,            /* an MSS option was lowered */
	MSS_BAD,                /* a SYN whose TCP header or options are malformed: untouched */
};

/* the clamp values for a TUN MTU and a config setup mssfix= value (0:
 * none, > 0: N for IPv4 and N - 20 for IPv6, the same packet size, never
 * above what the MTU fits; < 0: from the MTU, MTU - 40 and MTU - 60);
 * 0 in *mss4 / *mss6 means that family is not clamped */
void mss_limits(unsigned mtu, int mssfix, uint16_t *mss4, uint16_t *mss6);

/* A cheap first look, true for what may be a TCP SYN (the version's
 * protocol field says TCP and the flags byte where TCP would start has
 * SYN); mss_clamp checks everything properly. len >= 40 is checked first,
 * so every byte read is inside the packet. */
static inline bool mss_syn(const uint8_t *ip, size_t len)
{
	if (len < 40)
		return false;
	if ((ip[0] >> 4) == 4) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		return ip[9] == 6 && ihl + 20 <= len && (ip[ihl + 13] & 0x02);
	}
	return (ip[0] >> 4) == 6 && len >= 60 && ip[6] == 6 && (ip[53] & 0x02);
}

/* Lowers the MSS of the TCP SYN (or SYN-ACK) in pkt (len bytes, an IPv4
 * or IPv6 packet as a TUN device carries it) to mss4 or mss6 by its
 * family; a limit of 0 leaves that family alone. The packet is changed
 * only when the answer is MSS_CLAMPED (see the list at the top). */
enum mss_result mss_clamp(uint8_t *pkt, size_t len, uint16_t mss4, uint16_t mss6);

#endif
