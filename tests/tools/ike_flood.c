/* ike_flood: the stranger's flood for tests/interop/t_flood.sh. Sends
 * IKE_SA_INIT requests with a random SPI, nonce and MODP-2048 KE (each
 * one a full Diffie-Hellman for a server that answers it) from every
 * address of a range, round robin, as fast as it can (or at --rate per
 * second) for --duration seconds, never answering a COOKIE. Counts what
 * comes back: COOKIE notifies, IKE_SA_INIT responses with a KE, other
 * notifies. Prints one line:
 *   sent N replies R cookies C responses K other O
 * Usage: ike_flood --to ADDR --from FIRST-LAST [--duration S] [--rate PPS]
 * (IPv4 only; the addresses must be configured on this host). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "crypto/algs.h"
#include "src/ike_msg.h"

#define MAX_SRC 1024
#define KE_LEN 256            /* MODP-2048 */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: fast, and only has to make requests differ */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rand_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rng();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t build(uint8_t *buf, size_t cap)
{
	struct ike_hdr h = { .version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	rand_fill(h.spi_i, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, cap, &h);
	struct ike_prop p = { .num = 1, .proto = PROTO_IKE };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_ENCR, .id = ENCR_AES_CBC, .keybits = 256 };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_INTEG, .id = AUTH_HMAC_SHA2_256_128 };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_PRF, .id = PRF_HMAC_SHA2_256 };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_DH, .id = MODP_2048 };
	ike_wr_sa(&w, &p);
	uint8_t ke[KE_LEN], nonce[32], natd[20];
	rand_fill(ke, sizeof(ke));
	ke[0] &= 0x7f;                /* below the prime */
	rand_fill(nonce, sizeof(nonce));
	rand_fill(natd, sizeof(natd));
	ike_wr_ke(&w, MODP_2048, ke, sizeof(ke));
	ike_wr_nonce(&w, nonce, sizeof(nonce));
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	return ike_wr_finish(&w);
}

static unsigned long n_replies, n_cookies, n_responses, n_other;

static void drain(int fd)
{
	static uint8_t buf[4096];
	static struct ike_msg m;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		n_replies++;
		if (ike_parse(buf, (size_t)n, &m) != IKE_OK)
			n_other++;
		else if (ike_find_notify(&m, N_COOKIE))
			n_cookies++;
		else if (m.has_ke)
			n_responses++;
		else
			n_other++;
	}
}

int main(int argc, char **argv)
{
	const char *to = NULL, *from = NULL;
	double duration = 10, rate = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--to"))
			to = argv[i + 1];
		else if (!strcmp(argv[i], "--from"))
			from = argv[i + 1];
		else if (!strcmp(argv[i], "--duration"))
			duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
	}
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(500) };
	char first[64], *dash;
	if (!to || !from || inet_pton(AF_INET, to, &dst.sin_addr) != 1 ||
	    snprintf(first, sizeof(first), "%s", from) >= (int)sizeof(first) ||
	    !(dash = strchr(first, '-')) || duration <= 0 || duration > 600) {
		fprintf(stderr, "usage: ike_flood --to ADDR --from FIRST-LAST [--duration S] "
		        "[--rate PPS]\n");
		return 2;
	}
	*dash = '\0';
	struct in_addr a, b;
	if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1 ||
	    ntohl(b.s_addr) < ntohl(a.s_addr) || ntohl(b.s_addr) - ntohl(a.s_addr) >= MAX_SRC) {
		fprintf(stderr, "ike_flood: bad range %s\n", from);
		return 2;
	}
	static int fds[MAX_SRC];
	int n = 0;
	for (uint32_t ip = ntohl(a.s_addr); ip <= ntohl(b.s_addr); ip++) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ip) };
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			fprintf(stderr, "ike_flood: bind %s: %s\n", inet_ntoa(src.sin_addr),
			        strerror(errno));
			return 1;
		}
		fds[n++] = fd;
	}
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || !rng_state)
		rng_state = 0x9e3779b97f4a7c15ull;
	unsigned long sent = 0;
	double t0 = now(), end = t0 + duration;
	uint8_t buf[1024];
	for (int i = 0;; i = (i + 1) % n) {
		double t = now();
		if (t >= end)
			break;
		if (rate > 0 && sent >= (t - t0) * rate) {
			usleep(1000);
			continue;
		}
		size_t len = build(buf, sizeof(buf));
		if (sendto(fds[i], buf, len, 0, (struct sockaddr *)&dst, sizeof(dst)) >= 0)
			sent++;
		else if (errno == EAGAIN || errno == ENOBUFS) {
			struct pollfd pf = { fds[i], POLLOUT, 0 };
			poll(&pf, 1, 10);
		}
		if (sent % 256 == 0)
			for (int k = 0; k < n; k++)
				drain(fds[k]);
	}
	usleep(200000);
	for (int k = 0; k < n; k++) {
		drain(fds[k]);
		close(fds[k]);
	}
	printf("sent %lu replies %lu cookies %lu responses %lu other %lu\n", sent, n_replies,
	       n_cookies, n_responses, n_other);
	return 0;
}
