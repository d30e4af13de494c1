#ifndef CYGNET_VERSION_H
#define CYGNET_VERSION_H
#define CYGNET_VERSION "0.1.0"
#endif
