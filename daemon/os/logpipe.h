/* Worker stdin/stdout/stderr: what the child gets on 0, 1, 2, and droverd's side of it: the
 * pipes, the log files with rotation, the in-memory tail and the `tail -f` followers. */
#ifndef DROVER_LOGPIPE_H
#define DROVER_LOGPIPE_H

#include <ev.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/log.h"

/* One process's stdout and stderr (created with the process, freed with it). */
struct logpipe;

#define LOGPIPE_STDOUT 0
#define LOGPIPE_STDERR 1

/* The log file of one stream, as the config says now. */
struct logpipe_file {
	const char *path;       /* NULL: none (NONE) */
	uint64_t maxbytes;      /* rotate at this size, 0 = never */
	int backups;            /* rotated files kept */
	enum log_time timestamps;   /* each line written to the file starts with its RFC 3339 time */
	bool published;         /* read even without a file: its output is published to someone (an
	                         * event listener's protocol, log events) */
};

/* What a spawn needs: in/out/err are the descriptors the child gets as 0, 1, 2 (the write ends
 * of the pipes, blocking), -1 for /dev/null (stdin always; a stream with no log file and no tap:
 * its output is discarded without a pipe); rd_out/rd_err are droverd's read ends (non-blocking),
 * -1 when none (redirect_stderr: err is a copy of out and rd_err is -1). All O_CLOEXEC in droverd. */
struct logpipe_fds {
	int in, out, err;
	int rd_out, rd_err;
};
#define LOGPIPE_FDS_INIT { -1, -1, -1, -1, -1 }

/* The loop every pipe and follower check is watched on (before any logpipe_new). */
void logpipe_init(struct ev_loop *loop);

/* who names the process in log messages (kept current by its owner, outliving the logpipe). */
struct logpipe *logpipe_new(const struct log_subject *who);
/* Drain what is readable now (bounded), close pipes, files, followers; free. NULL is fine. */
void logpipe_free(struct logpipe *lp);
/* The files to write from now on (the strings must stay valid until the next call or the free):
 * taken at the next spawn, and by logpipe_reopen_all(). */
void logpipe_configure(struct logpipe *lp, const struct logpipe_file *out, const struct logpipe_file *err,
                       bool redirect_stderr);

/* Before a spawn: (re)open the log files if needed and make the pipes of the streams whose
 * output is wanted (a log file, or a tap set now). 0 or -errno. */
int logpipe_prepare(struct logpipe *lp, struct logpipe_fds *ret);
/* The spawn is asked for: droverd keeps the read ends (they are set to -1 in fds), and once
 * logpipe_watch() says so reads them from the loop until EOF, even after the worker is gone (a
 * grandchild may hold them). */
void logpipe_attach(struct logpipe *lp, struct logpipe_fds *fds);
/* The worker exists (its pid is known) or never will: what it writes is read from now on, so
 * that nothing it writes is taken for a process without a pid. */
void logpipe_watch(struct logpipe *lp);
/* The worker was reaped: read what its pipes still hold and close those at EOF now, so that
 * their descriptors are free for a respawn (pipes a descendant still holds stay). */
void logpipe_on_exit(struct logpipe *lp);
/* Close whatever is still open in fds (the child's ends after fork, everything on failure). */
void logpipe_fds_close(struct logpipe_fds *fds);

/* SIGUSR1: reopen every log file droverd writes, at the path configured now. */
void logpipe_reopen_all(void);

/* Every byte read from the worker's pipes is also handed to fn (stream LOGPIPE_STDOUT/STDERR;
 * with redirect_stderr both come as stdout), until the tap is removed (fn NULL). One tap. */
typedef void (*logpipe_tap_fn)(void *ctx, int stream, const char *data, size_t n);
void logpipe_set_tap(struct logpipe *lp, logpipe_tap_fn fn, void *ctx);
/* Every chunk read from the newest pipes of lp (the current worker's, not those an earlier
 * worker's descendants still hold) is also handed to fn, after the log file, the tail and the tap
 * got it: the process publishes its output to whoever listens (event listeners, log events). */
void logpipe_set_publish(struct logpipe *lp, logpipe_tap_fn fn, void *ctx);

/* Bytes of the output (both streams) that could not be written to the log file: write errors
 * (ENOSPC, EIO), or a log file that could not be opened. NONE is not counted. */
uint64_t logpipe_dropped(const struct logpipe *lp);

/* LINES as tail(1) takes them: 0 none, LOGPIPE_LINES_ALL everything kept. */
#define LOGPIPE_LINES_ALL UINT_MAX
/* The last LINES lines of stream (LOGPIPE_STDOUT/STDERR) from the 64 KiB
 * in-memory tail, in a new buffer (*ret_text, NUL-terminated, NUL bytes of the output shown as
 * '?'). 0, -ENODATA (stderr of a redirect_stderr process), -ENOSTR (the stream has no log file:
 * its output is discarded), -EINVAL (bad stream). */
int logpipe_tail(const struct logpipe *lp, int stream, unsigned lines, uint64_t since_ns, char **ret_text,
                 size_t *ret_len);

/* Stream stream into the FIFO at fifo_path: first the last LINES lines (as logpipe_tail),
 * then every new byte as it arrives, never blocking (a follower that does not keep up loses
 * bytes; one whose reader is gone is dropped). The FIFO must be private to its creator: an
 * absolute path to a FIFO (not a symlink, one link, no group/other permission bits) in a
 * directory with no group/other permission bits owned by the FIFO's owner (what droverctl's
 * mkdtemp + mkfifo 0600 make); anything else is refused with -EPERM, and only the inode checked
 * is opened (through its O_PATH descriptor), never a path looked up twice. Returns 0, -EPERM,
 * -ENXIO (no reader), -EBUSY (LOGPIPE_FOLLOWERS_MAX followers already), -ENODATA, -ENOSTR, -EINVAL. */
#define LOGPIPE_FOLLOWERS_MAX 16
int logpipe_follow(struct logpipe *lp, int stream, unsigned lines, uint64_t since_ns, const char *fifo_path);

#endif
