/* Telling the service manager how the daemon is doing: systemd's
 * sd_notify datagram protocol (sd_notify(3), "Notify socket" in
 * systemd.service(5)), spoken directly, without libsystemd.
 *
 * The manager passes NOTIFY_SOCKET, the path of an AF_UNIX datagram
 * socket (or an abstract one, written with a leading '@'). Each message is
 * one datagram of newline-separated VAR=value lines: READY=1 when the
 * daemon serves, RELOADING=1 ... READY=1 around a reload, STOPPING=1 at
 * shutdown, STATUS= a line for "systemctl status". The manager checks the
 * sender's PID (NotifyAccess=main): only the daemon's main process sends,
 * never the privileged helper or a script.
 *
 * The socket's address is process state like the log's, kept from
 * sdnotify_init(); without NOTIFY_SOCKET every call is a no-op. */
#ifndef CYGNET_SDNOTIFY_H
#define CYGNET_SDNOTIFY_H

/* Reads NOTIFY_SOCKET and removes it from the environment, so that no
 * child (the helper, leftupdown scripts) can report in the daemon's name.
 * A value that is neither an absolute path nor '@'-abstract, or too long
 * for sun_path, is ignored with a log line. Call once, before any fork. */
void sdnotify_init(void);

/* Sends the lines of fmt (printf-style; each "VAR=value", separated by
 * '\n') as one datagram. 0 when sent, 1 when there is no notify socket,
 * -1 when sending failed (logged at debug level: the daemon serves on
 * regardless). Callers put only trusted text here: STATUS text from
 * elsewhere goes through sdnotify_status(). */
int sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* READY=1 with STATUS= the formatted text, cleaned as sdnotify_status
 * cleans it (so names from the configuration may go in) */
void sdnotify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with MONOTONIC_USEC (systemd >= 253 asks for it) */
void sdnotify_reloading(void);

/* STOPPING=1 */
void sdnotify_stopping(void);

/* STATUS=text, with every byte outside printable ASCII (a newline would
 * start a variable of the sender's choosing) replaced by '?'; text is cut
 * at 200 bytes. */
void sdnotify_status(const char *text);

#endif
