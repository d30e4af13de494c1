/* Following a server's REDIRECT (RFC 5685) as a client: the checks of
 * the notify data and the loop limit (client_int.h). client.c moves the
 * conn; client_init.c and client_auth.c find the notify. */
#include <netinet/in.h>
#include <string.h>
#include "conf/ipsec_conf.h"
#include "src/client_int.h"

static bool usable_v4(const uint8_t *a)
{
	/* 0/8, 127/8, multicast, reserved and broadcast */
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static bool usable_v6(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) != 0 && !(memcmp(a, zero, 15) == 0 && a[15] == 1) &&
	       a[0] != 0xff && !(memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff);
}

int client_redirect_parse(const uint8_t *data, size_t len, const uint8_t *ni, size_t ni_len,
                          struct redirect_gw *gw, const char **why)
{
	const uint8_t *nonce;
	size_t nonce_len;
	if (redirect_data_parse(data, len, gw, &nonce, &nonce_len) != 0) {
		*why = "malformed GW identity";
		return -1;
	}
	if (ni) {
		if (nonce_len != ni_len || !nonce || memcmp(nonce, ni, ni_len) != 0) {
			*why = "its Nonce Data is not our Ni (not an answer to our IKE_SA_INIT)";
			return -1;
		}
	} else if (nonce_len) {
		*why = "Nonce Data in a REDIRECT outside IKE_SA_INIT";
		return -1;
	}
	switch (gw->type) {
	case GW_IPV4:
		if (!usable_v4(gw->id)) {
			*why = "the new gateway's IPv4 address is not a unicast address";
			return -1;
		}
		break;
	case GW_IPV6:
		if (!usable_v6(gw->id)) {
			*why = "the new gateway's IPv6 address is not a unicast address";
			return -1;
		}
		break;
	default: {
		char name[REDIRECT_GW_MAX + 1];
		memcpy(name, gw->id, gw->len);
		name[gw->len] = '\0';
		if (memchr(gw->id, 0, gw->len) || !conf_redirect_host_ok(name)) {
			*why = "the new gateway's name is not a DNS name";
			return -1;
		}
		break;
	}
	}
	return 0;
}

bool client_redirect_allowed(uint64_t times[CLIENT_REDIRECT_MAX], uint64_t now)
{
	int recent = 0, slot = 0;
	for (int i = 0; i < CLIENT_REDIRECT_MAX; i++) {
		if (times[i] && now - times[i] < CLIENT_REDIRECT_WINDOW && times[i] <= now)
			recent++;
		if (times[i] < times[slot])
			slot = i;
	}
	if (recent >= CLIENT_REDIRECT_MAX)
		return false;
	times[slot] = now ? now : 1;
	return true;
}

void client_redirect_gw_of(const struct sockaddr_storage *addr, struct redirect_gw *gw)
{
	memset(gw, 0, sizeof(*gw));
	if (addr->ss_family == AF_INET) {
		gw->type = GW_IPV4;
		gw->len = 4;
		memcpy(gw->id, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	} else {
		gw->type = GW_IPV6;
		gw->len = 16;
		memcpy(gw->id, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
	}
}
