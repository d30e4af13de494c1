/* The configuration's files, read through one door.
 *
 * Every file the configuration names (ipsec.conf and its includes,
 * ipsec.secrets and its includes, certificates, keys, ipsec.d/cacerts) is
 * read with conf_read_file, conf_list_dir or an include glob. Normally
 * they go to the file system. A process that may read the files (the
 * privileged helper) can record every read into a snapshot; the
 * unprivileged daemon then replays the snapshot and loads exactly the same
 * configuration without opening a file. That is how a reload works after
 * the daemon has dropped its privileges.
 *
 * The mode is per process (the control plane is one thread). */
#ifndef CYGNET_CONF_FILES_H
#define CYGNET_CONF_FILES_H

#include <stddef.h>
#include <stdint.h>

struct conf_snapshot;

struct conf_snapshot *conf_snapshot_new(void);
/* wipes every byte it holds (keys and passwords are in it) and frees */
void conf_snapshot_free(struct conf_snapshot *s);

/* from now on: read the file system and record each answer into s */
void conf_files_record(struct conf_snapshot *s);
/* from now on: answer from s only; what s lacks reads as missing */
void conf_files_replay(const struct conf_snapshot *s);
/* back to reading the file system (the default) */
void conf_files_direct(void);

/* Serialises s into a malloc'd buffer (wipe it after use). 0 or -1. */
int conf_snapshot_encode(const struct conf_snapshot *s, uint8_t **buf, size_t *len);
/* NULL when buf is not a well-formed snapshot */
struct conf_snapshot *conf_snapshot_decode(const uint8_t *buf, size_t len);

/* Largest file read (ipsec.conf, ipsec.secrets, includes, certificates,
 * keys). */
#define CONF_MAX_FILE (4u << 20)

/* Reads a regular file of at most CONF_MAX_FILE bytes into a NUL-terminated
 * malloc'd buffer (wipe it when it may hold a secret). NULL with a reason
 * ("No such file or directory", "not a regular file", ...) in why. */
char *conf_read_file(const char *path, size_t *len, char *why, size_t whylen);

/* The regular files in dir whose names do not start with '.', as full
 * paths sorted by name; a missing dir has none. Free with conf_strv_free.
 * 0, or -1 with a reason in why. */
int conf_list_dir(const char *dir, char ***paths, int *n, char *why, size_t whylen);

#endif
