/* Unit-test helpers for fake RADIUS servers in the test's own process: a
 * UDP socket on 127.0.0.1 (a free port) read by the test's event loop,
 * each request received and parsed, an answer sent back to its sender.
 * What a fake server answers is the test's (its event callback). */
#ifndef CYGNET_TEST_FAKE_RADIUS_H
#define CYGNET_TEST_FAKE_RADIUS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "conf/radius_conf.h"
#include "src/radius.h"

/* monotonic milliseconds */
static inline uint64_t fake_radius_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* a server NAME of rc at 127.0.0.1:port (auth and accounting) with
 * secret, one socket, the retransmissions given; rc is enabled. The
 * server's entry, for what a test sets beyond that. */
static inline struct radius_server_conf *fake_radius_server(struct radius_conf *rc,
                                                            const char *name, uint16_t port,
                                                            const char *secret,
                                                            struct radius_retransmit rt)
{
	struct radius_server_conf *s = &rc->servers[rc->n_servers++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->address, sizeof(s->address), "127.0.0.1");
	memcpy(s->secret, secret, strlen(secret));
	s->secret_len = strlen(secret);
	s->auth_port = s->acct_port = port;
	s->sockets = 1;
	s->rt = rt;
	rc->enabled = true;
	return s;
}

/* one datagram as a fake server received it */
struct fake_radius_req {
	uint8_t buf[4096];
	struct rad_view v;              /* points into buf */
	struct sockaddr_storage from;
	socklen_t flen;
};

/* A non-blocking UDP socket bound to 127.0.0.1 on a port the kernel
 * picks, read by cb(fd, EV_READ, arg) on base until fake_radius_close:
 * the socket in *fd, its port in *port, the event in *ev. */
static inline void fake_radius_open(struct event_base *base, event_callback_fn cb, void *arg,
                                    int *fd, uint16_t *port, struct event **ev)
{
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(*fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(*fd, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	*ev = event_new(base, *fd, EV_READ | EV_PERSIST, cb, arg);
	event_add(*ev, NULL);
}

static inline void fake_radius_close(int fd, struct event *ev)
{
	event_free(ev);
	close(fd);
}

/* the next datagram on fd into *r; true when it is a well-formed RADIUS
 * packet (r->v filled), false when there is none or it is not */
static inline bool fake_radius_recv(int fd, struct fake_radius_req *r)
{
	r->flen = sizeof(r->from);
	ssize_t n = recvfrom(fd, r->buf, sizeof(r->buf), 0, (struct sockaddr *)&r->from, &r->flen);
	return n > 0 && rad_parse(r->buf, (size_t)n, &r->v) == 0;
}

/* p sent from fd to the sender of r */
static inline void fake_radius_reply(int fd, const struct fake_radius_req *r,
                                     const struct rad_pkt *p)
{
	sendto(fd, p->buf, p->len, 0, (const struct sockaddr *)&r->from, r->flen);
}

#endif
