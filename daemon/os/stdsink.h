/* Log "files" that are droverd's own standard output or error (stdout_logfile = /dev/stdout, as
 * containers and systemd services use): written through a duplicate of droverd's descriptor 1 or
 * 2, never re-opened. Re-opening /proc/self/fd/N fails on a socket (ENXIO: the journal's stream,
 * systemd-run) and, on a regular file opened without O_APPEND, makes a second file offset that
 * overwrites droverd's own lines. A duplicate shares the open file description: the same offset,
 * the same O_APPEND, whatever it is. Its status flags are shared too, so O_NONBLOCK is never set
 * on it (that would reach whoever else holds it, a shell's terminal say); each write avoids
 * blocking by other means (stdsink_write). */
#ifndef DROVER_STDSINK_H
#define DROVER_STDSINK_H

#include <stddef.h>

enum stdsink_kind { STDSINK_NONE, STDSINK_FILE, STDSINK_SOCKET, STDSINK_PIPE, STDSINK_OTHER };

/* 1 for /dev/stdout, /dev/fd/1, /proc/self/fd/1; 2 for the stderr ones; 0 for any other path. */
int stdsink_fd_of(const char *path);
/* A CLOEXEC duplicate of droverd's descriptor STD (1 or 2) and its kind; -errno on failure. */
int stdsink_open(int std, enum stdsink_kind *ret_kind);
/* Write up to N bytes without blocking droverd: a socket with MSG_DONTWAIT, a pipe or FIFO no
 * more than its free space, a terminal or other device only when poll() says it is writable, a
 * regular file in full. Returns the bytes written; *ret_err is the errno that stopped it
 * (EAGAIN: no room now), 0 when all went. */
size_t stdsink_write(int fd, enum stdsink_kind kind, const char *buf, size_t n, int *ret_err);

#endif
