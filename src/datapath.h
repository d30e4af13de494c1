/* The data path glue: ESP-in-UDP datagrams to the TUN device and TUN
 * packets to ESP-in-UDP, through the SA tables of src/esp.h. */
#ifndef CYGNET_DATAPATH_H
#define CYGNET_DATAPATH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct daemon;

/* an ESP packet (UDP payload, SPI first) received from peer */
void datapath_esp_input(struct daemon *d, uint8_t *buf, size_t len,
                        const struct sockaddr *peer, socklen_t peer_len);
/* starts reading the TUN device */
int datapath_start(struct daemon *d);
void datapath_stop(struct daemon *d);

#endif
