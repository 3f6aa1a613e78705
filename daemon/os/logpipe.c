/* Worker output: every worker's stdout and stderr come through pipes that droverd reads from
 * the event loop, writes to the log files (rotated as supervisord does), keeps the last 64 KiB
 * of in memory (droverctl tail) and copies to `droverctl tail -f` followers (FIFOs).
 *
 * Contract:
 * - droverd never blocks on output: its pipe and FIFO ends are O_NONBLOCK, and a watcher reads
 *   at most READ_CHUNK bytes per loop iteration (libev io watchers are level-triggered: the rest
 *   comes next iteration, after the control queue and the other pipes had their turn).
 * - The worker's write end is blocking (a separate file description): a worker that writes
 *   faster than droverd drains waits in write(2); nothing is lost in the pipe.
 * - A log write that fails (ENOSPC, EIO, a file that cannot be opened) drops those bytes: they
 *   are counted (logpipe_dropped), said once per episode (rate-limited) and again, with the
 *   count, when writing works again.
 * - A pipe is read until EOF (a grandchild may hold its write end after the worker is gone),
 *   then its watcher is stopped and it is closed: a worker that closes its stdout costs nothing
 *   afterwards (no busy loop on a pipe that keeps reporting POLLHUP, as supervisord had). A read
 *   error closes it as well (the writer then gets EPIPE instead of blocking forever).
 * - Rotation, as supervisord: once the file holds maxbytes, NAME.i -> NAME.(i+1) for
 *   i = backups-1 .. 1, NAME -> NAME.1, then a fresh NAME; backups = 0 truncates NAME. Unlike
 *   supervisord (which checks after each write), drover cuts a write at the last newline that
 *   fits, so a file never exceeds maxbytes and lines are not split (a line longer than what is
 *   left of an empty file is split at maxbytes).
 * - Followers get bytes with non-blocking writes: what a slow one cannot take is skipped, one
 *   whose reader is gone (EPIPE, or POLLERR seen by a 1 s check) is closed.
 * - Timestamps (log_timestamps): each line in the log file starts with the time droverd read
 *   its first byte; the in-memory tail and followers get the worker's bytes as they are.
 */
#include "os/logpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/log.h"
#include "os/ring.h"
#include "os/stdsink.h"
#include "util.h"

#define READ_CHUNK         (64u * 1024)        /* per watcher per loop iteration */
#define READERS_MAX        8                   /* pipes per stream kept open for old workers' descendants */
#define DRAIN_MAX          (1u << 20)          /* bytes read synchronously from one pipe when freed */
#define FOLLOW_PIPE_SIZE   (256 * 1024)        /* FIFO buffer asked for a follower: slack for bursts */
#define FOLLOW_CHECK_S     1.0                 /* how often gone followers are looked for */
#define WARN_INTERVAL_NS   (60 * NSEC_PER_SEC) /* one drop / rotate warning per stream per minute */
#define MARKS_MAX          64                  /* time marks per stream (1 KiB) */
#define MARK_GAP_NS        (100 * NSEC_PER_MSEC)   /* tail --since is this exact */


struct stream;

/* One pipe droverd reads: the current worker's, or one a previous worker's descendant still holds. */
struct reader {
	struct reader *next;
	struct stream *st;
	int fd;
	ev_io io;
};

struct follower {
	int fd;                 /* -1: free */
	uint64_t skipped;       /* bytes it could not take */
};

/* One stream (stdout or stderr) of one process: pipes, log file, tail, followers. */
struct stream {
	struct stream *next, *prev;   /* every logpipe: SIGUSR1, follower checks */
	struct logpipe *owner;
	int stream;
	struct reader *readers;        /* newest first */
	size_t nreaders;

	int file_fd;                   /* -1: no file (NONE, or it cannot be opened) */
	char *path;                    /* the file wanted when last opened; NULL = NONE */
	int open_errno;                /* the open failure last logged, 0 = none */
	uint64_t size;                 /* bytes in the current file */
	bool regular;                  /* rotatable: the path itself is a regular file (see st_open_file) */
	enum stdsink_kind sink;        /* the file is droverd's own stdout/stderr (STDSINK_NONE: not) */
	bool bol;                      /* the file ends with a newline (or is empty) */
	bool mid_line;                 /* the output so far ends inside a line (timestamps: no stamp next) */
	uint64_t dropped;              /* bytes that did not reach the file, in all */
	uint64_t dropping;             /* ... in the current failure episode */
	bool drop_said;                /* the current episode was logged */
	uint64_t drop_warned_ns, rotate_warned_ns;

	struct ring tail;              /* the last RING_MAX bytes */
	uint64_t total;                /* bytes ever appended to tail */
	/* When the bytes in tail came (tail --since): a mark per chunk at least MARK_GAP_NS after the
	 * previous one; when full, the marks of bytes no longer kept go, else every other one (the
	 * resolution halves rather than the oldest times being lost). */
	struct mark { uint64_t pos, ns; } marks[MARKS_MAX];
	size_t nmarks;

	struct follower followers[LOGPIPE_FOLLOWERS_MAX];
	size_t nfollowers;
};

/* One process's two streams and what the config says they write. */
struct logpipe {
	const struct log_subject *who;
	logpipe_tap_fn tap;             /* ready = log: the matcher sees the output too */
	void *tap_ctx;
	struct logpipe_file file[2];
	bool redirect_stderr;
	struct stream *streams[2];     /* NULL until the first spawn or tail -f */
	logpipe_tap_fn publish;        /* the current worker's output, for the event module */
	void *publish_ctx;
};

static struct ev_loop *watch_loop;
static struct stream *all_streams;
static size_t total_followers;
static ev_timer follow_timer;
static bool follow_timer_init;
static char readbuf[READ_CHUNK];       /* one loop, one thread: shared by every reader */

static const char *const stream_names[2] = { "stdout", "stderr" };

static const char *st_name(const struct stream *st)
{
	return st->owner->who->name;
}

/* The log file this stream should write now (current config), NULL for none. */
static const char *st_wanted_path(const struct stream *st)
{
	if (st->stream == LOGPIPE_STDERR && st->owner->redirect_stderr)
		return NULL;
	return st->owner->file[st->stream].path;
}

static const struct logpipe_file *st_config(const struct stream *st)
{
	return &st->owner->file[st->stream];
}

static bool warn_due(uint64_t *last)
{
	uint64_t now = now_mono_ns();
	if (*last && now - *last < WARN_INTERVAL_NS)
		return false;
	*last = now;
	return true;
}

/* ---- log file -------------------------------------------------------------------------------- */

static void st_close_file(struct stream *st)
{
	if (st->file_fd >= 0)
		(void) close(st->file_fd);
	st->file_fd = -1;
}

/* O_NONBLOCK does nothing to a regular file, but makes a log "file" that is a pipe, FIFO or
 * terminal (stdout_logfile = /dev/stdout, as in containers) drop instead of blocking droverd. */
static int open_log(const char *path)
{
	int fd;
	do
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* (Re)open the file the config names now; a failure is logged once per distinct error. */
static void st_open_file(struct stream *st)
{
	const char *want = st_wanted_path(st);
	struct stat fst, lst;

	st_close_file(st);
	free(st->path);
	st->path = want ? xstrdup(want) : NULL;
	st->size = 0;
	st->bol = true;
	st->sink = STDSINK_NONE;
	if (!want) {
		st->open_errno = 0;
		return;
	}
	int std = stdsink_fd_of(want);
	int fd = std ? stdsink_open(std, &st->sink) : open_log(want);
	if (fd < 0) {
		if (-fd != st->open_errno)
			log_about(LOG_WARNING, st->owner->who, "%s: cannot open %s log file %s: %s (output kept in memory only)",
			         st_name(st), stream_names[st->stream], want, strerror(-fd));
		st->open_errno = -fd;
		return;
	}
	if (st->open_errno)
		log_about(LOG_INFO, st->owner->who, "%s: %s log file %s opened", st_name(st), stream_names[st->stream], want);
	st->open_errno = 0;
	st->file_fd = fd;
	/* Rotation renames the path: only when the path is the regular file written, never a
	 * symlink (stdout_logfile = /dev/stdout -> /proc/self/fd/1 would rename /dev/stdout), a
	 * pipe, a FIFO or a terminal. Those are written, never rotated. */
	st->regular = !std && fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) && lstat(want, &lst) == 0 &&
	              S_ISREG(lst.st_mode) && lst.st_dev == fst.st_dev && lst.st_ino == fst.st_ino;
	if (st->regular)
		st->size = (uint64_t) fst.st_size;
	else if (st_config(st)->maxbytes > 0)
		log_about(LOG_INFO, st->owner->who, "%s: %s log file %s is not a regular file: it is not rotated",
		         st_name(st), stream_names[st->stream], want);
}

/* Open the file if it is not open, or if the config now names another one. */
static void st_sync_file(struct stream *st)
{
	const char *want = st_wanted_path(st);
	if (!streq_ptr(want, st->path) || (want && st->file_fd < 0))
		st_open_file(st);
}

static void st_drop(struct stream *st, size_t n, int err)
{
	st->dropped += n;
	st->dropping += n;
	if (!st->drop_said && warn_due(&st->drop_warned_ns)) {
		st->drop_said = true;
		log_about(LOG_WARNING, st->owner->who, "%s: cannot write %s log file %s: %s; dropping output (counted)",
		         st_name(st), stream_names[st->stream], st->path ? st->path : "?",
		         strerror(err ? err : EIO));
	}
}

static void st_drop_ended(struct stream *st)
{
	if (st->drop_said)
		log_about(LOG_WARNING, st->owner->who, "%s: %s log file %s written again; dropped %llu bytes (%llu in all)",
		         st_name(st), stream_names[st->stream], st->path ? st->path : "?",
		         (unsigned long long) st->dropping, (unsigned long long) st->dropped);
	st->dropping = 0;
	st->drop_said = false;
}

/* supervisord's doRollover(): NAME.i -> NAME.(i+1), NAME -> NAME.1, fresh NAME; 0 backups: truncate. */
static void st_rotate(struct stream *st, const struct logpipe_file *lc)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	struct stat fst, lst;
	int r = 0;

	/* The path must still be the file written (not replaced by a symlink or another file). */
	if (fstat(st->file_fd, &fst) < 0 || lstat(st->path, &lst) < 0 || !S_ISREG(lst.st_mode) ||
	    lst.st_dev != fst.st_dev || lst.st_ino != fst.st_ino) {
		log_about(LOG_WARNING, st->owner->who, "%s: %s log file %s was replaced: not rotated until reopened (SIGUSR1)",
		         st_name(st), stream_names[st->stream], st->path);
		st->regular = false;
		return;
	}
	if (lc->backups > 0) {
		for (int i = lc->backups - 1; i >= 1 && r == 0; i--) {
			snprintf(from, sizeof(from), "%s.%d", st->path, i);
			snprintf(to, sizeof(to), "%s.%d", st->path, i + 1);
			if (rename(from, to) < 0 && errno != ENOENT)
				r = -errno;
		}
		snprintf(to, sizeof(to), "%s.1", st->path);
		if (r == 0 && rename(st->path, to) < 0)
			r = -errno;
		if (r == 0) {
			int fd = open_log(st->path);
			st_close_file(st);
			if (fd < 0) {
				st->open_errno = -fd;
				log_about(LOG_WARNING, st->owner->who, "%s: cannot open %s log file %s after rotation: %s",
				         st_name(st), stream_names[st->stream], st->path, strerror(-fd));
			} else
				st->file_fd = fd;
		}
	} else if (ftruncate(st->file_fd, 0) < 0)
		r = -errno;
	if (r < 0 && warn_due(&st->rotate_warned_ns))
		log_about(LOG_WARNING, st->owner->who, "%s: cannot rotate %s log file %s: %s (writing on)", st_name(st),
		         stream_names[st->stream], st->path, strerror(-r));
	/* After a failure too: the next attempt comes after another maxbytes, not at every write. */
	st->size = 0;
	st->bol = true;
}

/* Write all of buf to fd; returns the bytes written, *ret_err the errno that stopped it. */
static size_t write_full(int fd, const char *buf, size_t n, int *ret_err)
{
	size_t done = 0;
	*ret_err = 0;
	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			*ret_err = errno;
			break;
		}
		if (w == 0) {
			*ret_err = EIO;
			break;
		}
		done += (size_t) w;
	}
	return done;
}

static void st_file_write(struct stream *st, const char *data, size_t n)
{
	const struct logpipe_file *lc = st_config(st);
	uint64_t max = lc->maxbytes;

	if (!st->path)
		return;   /* NONE */
	while (n > 0) {
		size_t chunk = n;
		if (st->file_fd >= 0 && max > 0 && st->regular) {
			if (st->size >= max) {
				st_rotate(st, lc);
				continue;   /* re-evaluate: new file, or not rotatable after all */
			}
			uint64_t room = max - st->size;
			if ((uint64_t) n > room) {
				const char *nl = memrchr(data, '\n', (size_t) room);
				if (nl)
					chunk = (size_t) (nl + 1 - data);
				else if (st->size > 0 && st->bol) {
					st_rotate(st, lc);   /* the line fits better in a fresh file */
					continue;
				} else
					chunk = (size_t) room;
			}
		}
		if (st->file_fd < 0) {
			st_drop(st, n, st->open_errno);
			return;
		}
		int err;
		size_t w = st->sink != STDSINK_NONE ? stdsink_write(st->file_fd, st->sink, data, chunk, &err)
		                                    : write_full(st->file_fd, data, chunk, &err);
		st->size += w;
		if (w > 0)
			st->bol = data[w - 1] == '\n';
		if (w < chunk)
			st_drop(st, chunk - w, err);
		else if (st->dropping)
			st_drop_ended(st);
		data += chunk;
		n -= chunk;
	}
}

/* The file gets each line with its time first: one stamp per chunk read (the lines of one read
 * came at the same moment), the stamped chunk written at once. */
static void st_file_write_stamped(struct stream *st, const char *data, size_t n)
{
	enum log_time t = st_config(st)->timestamps;
	if (t == LOG_TIME_NONE || !st->path) {
		st_file_write(st, data, n);
		return;
	}
	char stamp[RFC3339_MAX + 1];
	size_t slen = format_rfc3339(stamp, sizeof(stamp) - 1, now_real_ns(), t == LOG_TIME_UTC);
	stamp[slen++] = ' ';
	size_t lines = 1;
	for (const char *q = data; (q = memchr(q, '\n', (size_t) (data + n - q))); q++)
		lines++;
	char *buf = xmalloc(n + lines * slen), *w = buf;
	for (size_t i = 0; i < n;) {
		if (!st->mid_line) {
			memcpy(w, stamp, slen);
			w += slen;
		}
		const char *nl = memchr(data + i, '\n', n - i);
		size_t len = nl ? (size_t) (nl + 1 - (data + i)) : n - i;
		memcpy(w, data + i, len);
		w += len;
		i += len;
		st->mid_line = !nl;
	}
	st_file_write(st, buf, (size_t) (w - buf));
	free(buf);
}

/* ---- followers ------------------------------------------------------------------------------- */

static void follower_close(struct stream *st, size_t i)
{
	struct follower *f = &st->followers[i];
	if (f->fd < 0)
		return;
	(void) close(f->fd);
	if (f->skipped)
		log_about(LOG_DEBUG, st->owner->who, "%s: %s follower gone; it skipped %llu bytes", st_name(st),
		         stream_names[st->stream], (unsigned long long) f->skipped);
	f->fd = -1;
	f->skipped = 0;
	st->nfollowers--;
	total_followers--;
	if (total_followers == 0 && follow_timer_init)
		ev_timer_stop(watch_loop, &follow_timer);
}

static void follower_write(struct stream *st, size_t i, const char *data, size_t n)
{
	struct follower *f = &st->followers[i];
	ssize_t w;
	do
		w = write(f->fd, data, n);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		if (errno == EAGAIN)
			f->skipped += n;
		else
			follower_close(st, i);   /* EPIPE: the reader is gone (SIGPIPE is ignored) */
		return;
	}
	if ((size_t) w < n)
		f->skipped += n - (size_t) w;
}

static void followers_write(struct stream *st, const char *data, size_t n)
{
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX && st->nfollowers; i++)
		if (st->followers[i].fd >= 0)
			follower_write(st, i, data, n);
}

/* A follower whose reader is gone is noticed here even when its process prints nothing. */
static void follow_check_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	for (struct stream *st = all_streams; st; st = st->next) {
		for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX && st->nfollowers; i++) {
			struct pollfd pfd = { .fd = st->followers[i].fd, .events = 0 };
			if (pfd.fd < 0)
				continue;
			if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
				follower_close(st, i);
		}
	}
}

/* ---- one stream ------------------------------------------------------------------------------ */

static void st_mark(struct stream *st, size_t n)
{
	uint64_t now = now_real_ns();
	if (st->nmarks > 0 && now >= st->marks[st->nmarks - 1].ns && now - st->marks[st->nmarks - 1].ns < MARK_GAP_NS) {
		st->total += n;
		return;
	}
	if (st->nmarks == MARKS_MAX) {
		uint64_t oldest = st->total - st->tail.len;   /* position of the oldest byte kept */
		size_t drop = 0;
		while (drop + 1 < st->nmarks && st->marks[drop + 1].pos <= oldest)
			drop++;
		if (drop == 0) {
			for (size_t i = 0; i < MARKS_MAX / 2; i++)
				st->marks[i] = st->marks[2 * i];
			st->nmarks = MARKS_MAX / 2;
		} else {
			memmove(st->marks, st->marks + drop, (st->nmarks - drop) * sizeof(st->marks[0]));
			st->nmarks -= drop;
		}
	}
	st->marks[st->nmarks++] = (struct mark) { .pos = st->total, .ns = now };
	st->total += n;
}

static void st_output(struct stream *st, const char *data, size_t n)
{
	st_mark(st, n);
	ring_append(&st->tail, data, n);
	st_file_write_stamped(st, data, n);
	if (st->nfollowers)
		followers_write(st, data, n);
	if (st->owner->tap)
		st->owner->tap(st->owner->tap_ctx, st->stream, data, n);
}

/* Output read from pipe rd: the stream's, then published when rd is the newest pipe. */
static void rd_output(struct reader *rd, const char *data, size_t n)
{
	struct stream *st = rd->st;
	st_output(st, data, n);
	if (st->owner->publish && rd == st->readers)
		st->owner->publish(st->owner->publish_ctx, st->stream, data, n);
}

static struct stream *st_get(struct logpipe *lp, int stream)
{
	struct stream *st = lp->streams[stream];
	if (st)
		return st;
	st = xcalloc(1, sizeof(*st));
	st->owner = lp;
	st->stream = stream;
	st->file_fd = -1;
	st->bol = true;
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX; i++)
		st->followers[i].fd = -1;
	st->next = all_streams;
	if (all_streams)
		all_streams->prev = st;
	all_streams = st;
	lp->streams[stream] = st;
	return st;
}

/* With no pipe left, the log file is closed too: a stopped (or FATAL) process holds no
 * descriptor; the next spawn opens the file again (at the path the config names then). */
static void st_release_if_idle(struct stream *st)
{
	if (st->nreaders == 0)
		st_close_file(st);
}

static void reader_close(struct reader *rd)
{
	struct stream *st = rd->st;
	ev_io_stop(watch_loop, &rd->io);
	(void) close(rd->fd);
	for (struct reader **pp = &st->readers; *pp; pp = &(*pp)->next)
		if (*pp == rd) {
			*pp = rd->next;
			break;
		}
	st->nreaders--;
	free(rd);
	st_release_if_idle(st);
}

/* One read (at most READ_CHUNK) per wakeup; EOF or an error ends the pipe for good. */
static void reader_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct reader *rd = container_of(w, struct reader, io);
	ssize_t n;
	do
		n = read(rd->fd, readbuf, sizeof(readbuf));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		rd_output(rd, readbuf, (size_t) n);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		log_about(LOG_WARNING, rd->st->owner->who, "%s: reading the %s pipe failed: %s; closing it", st_name(rd->st),
		         stream_names[rd->st->stream], strerror(errno));
	reader_close(rd);
}

/* Read what is in the pipe now (at most DRAIN_MAX). true: EOF or an error (the pipe is done),
 * false: empty for now (a descendant still holds the write end) or the bound was reached. */
static bool reader_drain(struct reader *rd)
{
	size_t total = 0;
	while (total < DRAIN_MAX) {
		ssize_t n = read(rd->fd, readbuf, sizeof(readbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0)
			return true;
		rd_output(rd, readbuf, (size_t) n);
		total += (size_t) n;
	}
	return false;
}

static void reader_add(struct stream *st, int fd)
{
	if (st->nreaders >= READERS_MAX) {
		struct reader *old = st->readers;
		while (old->next)
			old = old->next;
		log_about(LOG_WARNING, st->owner->who, "%s: %zu %s pipes still held open by earlier workers' descendants; "
		         "closing the oldest", st_name(st), st->nreaders, stream_names[st->stream]);
		reader_close(old);
	}
	struct reader *rd = xcalloc(1, sizeof(*rd));
	rd->st = st;
	rd->fd = fd;
	ev_io_init(&rd->io, reader_cb, fd, EV_READ);   /* started by logpipe_watch() */
	rd->next = st->readers;
	st->readers = rd;
	st->nreaders++;
}

static void st_free(struct stream *st)
{
	if (!st)
		return;
	while (st->readers) {
		(void) reader_drain(st->readers);   /* output written just before the end is kept */
		reader_close(st->readers);
	}
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX; i++)
		follower_close(st, i);
	if (st->dropping && st->drop_said)
		log_about(LOG_WARNING, st->owner->who, "%s: %s: dropped %llu bytes of output in all", st_name(st),
		         stream_names[st->stream], (unsigned long long) st->dropped);
	st_close_file(st);
	if (st->prev)
		st->prev->next = st->next;
	else
		all_streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st->path);
	ring_free(&st->tail);
	free(st);
}

/* ---- spawn ----------------------------------------------------------------------------------- */

/* droverd's end non-blocking, the worker's end blocking (O_NONBLOCK is per open file description,
 * and the two ends of a pipe are two descriptions). */
static int make_pipe(int *ret_rd, int *ret_wr)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	int fl = fcntl(fds[1], F_GETFL);
	if (fl < 0 || fcntl(fds[1], F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int r = -errno;
		(void) close(fds[0]);
		(void) close(fds[1]);
		return r;
	}
	*ret_rd = fds[0];
	*ret_wr = fds[1];
	return 0;
}

void logpipe_init(struct ev_loop *loop)
{
	watch_loop = loop;
}

struct logpipe *logpipe_new(const struct log_subject *who)
{
	struct logpipe *lp = xcalloc(1, sizeof(*lp));
	lp->who = who;
	return lp;
}

void logpipe_configure(struct logpipe *lp, const struct logpipe_file *out, const struct logpipe_file *err,
                       bool redirect_stderr)
{
	lp->file[LOGPIPE_STDOUT] = *out;
	lp->file[LOGPIPE_STDERR] = *err;
	lp->redirect_stderr = redirect_stderr;
}

/* Is this stream's output wanted at all? A stream with no log file (NONE), no tap and nobody it
 * is published to goes straight to /dev/null: no pipe, no descriptor, nothing to read. */
static bool st_captured(const struct logpipe *lp, int stream)
{
	return lp->file[stream].path != NULL || lp->file[stream].published || lp->tap != NULL;
}

int logpipe_prepare(struct logpipe *lp, struct logpipe_fds *ret)
{
	struct logpipe_fds f = LOGPIPE_FDS_INIT;   /* -1: the child gets /dev/null there */
	int r;

	if (st_captured(lp, LOGPIPE_STDOUT)) {
		st_sync_file(st_get(lp, LOGPIPE_STDOUT));
		if ((r = make_pipe(&f.rd_out, &f.out)) < 0)
			goto fail;
	} else if (lp->streams[LOGPIPE_STDOUT]) {
		st_sync_file(lp->streams[LOGPIPE_STDOUT]);   /* closes a file no longer used */
	}
	if (lp->redirect_stderr) {
		if (f.out >= 0 && (f.err = fcntl(f.out, F_DUPFD_CLOEXEC, 3)) < 0) {
			r = -errno;
			goto fail;
		}
		if (lp->streams[LOGPIPE_STDERR])
			st_sync_file(lp->streams[LOGPIPE_STDERR]);   /* closes a stderr file no longer used */
	} else if (st_captured(lp, LOGPIPE_STDERR)) {
		st_sync_file(st_get(lp, LOGPIPE_STDERR));
		if ((r = make_pipe(&f.rd_err, &f.err)) < 0)
			goto fail;
	} else if (lp->streams[LOGPIPE_STDERR]) {
		st_sync_file(lp->streams[LOGPIPE_STDERR]);
	}
	*ret = f;
	return 0;
fail:
	logpipe_fds_close(&f);
	for (int s = 0; s < 2; s++)
		if (lp->streams[s])
			st_release_if_idle(lp->streams[s]);   /* a spawn that failed holds no log file */
	return r;
}

void logpipe_attach(struct logpipe *lp, struct logpipe_fds *fds)
{
	if (fds->rd_out >= 0) {
		reader_add(st_get(lp, LOGPIPE_STDOUT), fds->rd_out);
		fds->rd_out = -1;
	}
	if (fds->rd_err >= 0) {
		reader_add(st_get(lp, LOGPIPE_STDERR), fds->rd_err);
		fds->rd_err = -1;
	}
}

void logpipe_watch(struct logpipe *lp)
{
	for (int s = 0; s < 2; s++)
		for (struct reader *rd = lp->streams[s] ? lp->streams[s]->readers : NULL; rd; rd = rd->next)
			if (!ev_is_active(&rd->io))
				ev_io_start(watch_loop, &rd->io);
}

void logpipe_on_exit(struct logpipe *lp)
{
	for (int s = 0; s < 2; s++) {
		struct stream *st = lp->streams[s];
		struct reader *rd = st ? st->readers : NULL;
		while (rd) {
			struct reader *next = rd->next;
			if (reader_drain(rd))
				reader_close(rd);
			rd = next;
		}
	}
}

void logpipe_fds_close(struct logpipe_fds *fds)
{
	int *all[] = { &fds->in, &fds->out, &fds->err, &fds->rd_out, &fds->rd_err };
	for (size_t i = 0; i < ELEMENTSOF(all); i++) {
		if (*all[i] >= 0)
			(void) close(*all[i]);
		*all[i] = -1;
	}
}

void logpipe_free(struct logpipe *lp)
{
	if (!lp)
		return;
	for (int s = 0; s < 2; s++)
		st_free(lp->streams[s]);
	free(lp);
}

void logpipe_reopen_all(void)
{
	unsigned n = 0, failed = 0;
	for (struct stream *st = all_streams; st; st = st->next) {
		/* Files in use only: an idle stream opens its file at the next spawn anyway. */
		if (st->file_fd < 0 && st->nreaders == 0)
			continue;
		if (!st->path && !st_wanted_path(st))
			continue;
		st_open_file(st);
		if (st->path) {
			n++;
			failed += st->file_fd < 0;
		}
	}
	log_info("reopened %u log files%s", n, failed ? " (some failed, see above)" : "");
}

void logpipe_set_publish(struct logpipe *lp, logpipe_tap_fn fn, void *ctx)
{
	lp->publish = fn;
	lp->publish_ctx = ctx;
}

void logpipe_set_tap(struct logpipe *lp, logpipe_tap_fn fn, void *ctx)
{
	lp->tap = fn;
	lp->tap_ctx = ctx;
}

uint64_t logpipe_dropped(const struct logpipe *lp)
{
	uint64_t n = 0;
	for (int s = 0; s < 2; s++)
		if (lp->streams[s])
			n += lp->streams[s]->dropped;
	return n;
}

/* ---- droverctl tail -------------------------------------------------------------------------- */

static int stream_check(const struct logpipe *lp, int stream)
{
	if (stream != LOGPIPE_STDOUT && stream != LOGPIPE_STDERR)
		return -EINVAL;
	if (stream == LOGPIPE_STDERR && lp->redirect_stderr)
		return -ENODATA;
	if (!st_captured(lp, stream))
		return -ENOSTR;
	return 0;
}

/* Where the last LINES lines of buf[start..len) begin (LINES 0: all). */
static size_t last_lines_start(const char *buf, size_t start, size_t len, unsigned lines)
{
	if (lines == 0)
		return start;
	size_t i = len;
	unsigned seen = 0;
	if (i > start && buf[i - 1] == '\n')
		i--;   /* the newline that ends the last line */
	while (i > start) {
		if (buf[i - 1] == '\n' && ++seen == lines)
			break;
		i--;
	}
	return i;
}

/* What memory holds of a stream: its last LINES lines (LOGPIPE_LINES_ALL: all; 0: none), of
 * those that came at or after since_ns (wall clock; 0: any): a line that began before and ended
 * after counts, and the marks make it exact to MARK_GAP_NS. A new NUL-terminated buffer. */
static char *st_backlog(const struct stream *st, unsigned lines, uint64_t since_ns, size_t *ret_len)
{
	size_t len;
	if (lines == 0) {
		*ret_len = 0;
		return xstrdup("");
	}
	char *text = ring_lines(st ? &st->tail : NULL, 0, &len);
	size_t start = 0;
	if (since_ns && st) {
		size_t k = 0;
		while (k < st->nmarks && st->marks[k].ns < since_ns)
			k++;
		uint64_t from = k < st->nmarks ? st->marks[k].pos : st->total;   /* none since: nothing */
		uint64_t after = st->total - from;   /* bytes that came since */
		start = after >= len ? 0 : len - (size_t) after;
		while (start > 0 && start < len && text[start - 1] != '\n')
			start--;   /* the line it is in */
	} else if (since_ns) {
		len = 0;   /* nothing ever came */
	}
	start = last_lines_start(text, start, len, lines == LOGPIPE_LINES_ALL ? 0 : lines);
	memmove(text, text + start, len - start);
	text[len - start] = '\0';
	*ret_len = len - start;
	return text;
}

static unsigned count_lines(const char *s, size_t n)
{
	unsigned k = 0;
	for (const char *q = s; (q = memchr(q, '\n', (size_t) (s + n - q))); q++)
		k++;
	return k + (n > 0 && s[n - 1] != '\n');
}

/* The last LINES lines of the log file at path, from its last FILE_TAIL_MAX bytes at most (a
 * bounded read of a local file: the loop is held up no longer than that read). Only a regular
 * file that is not droverd's own output (/dev/stdout and the like). 0 or -errno. */
#define FILE_TAIL_MAX (1u << 20)
static int file_tail(const char *path, unsigned lines, char **ret_text, size_t *ret_len)
{
	struct stat sb;
	if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int r = fstat(fd, &sb) < 0 ? -errno : S_ISREG(sb.st_mode) ? 0 : -EINVAL;
	if (r < 0) {
		close(fd);
		return r;
	}
	off_t from = sb.st_size > (off_t) FILE_TAIL_MAX ? sb.st_size - (off_t) FILE_TAIL_MAX : 0;
	size_t want = (size_t) (sb.st_size - from), got = 0;
	char *buf = xmalloc(want + 1);
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, from + (off_t) got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* truncated meanwhile, or an error: what was read */
		got += (size_t) n;
	}
	close(fd);
	size_t start = 0;
	if (from > 0) {   /* the first line read lost its beginning */
		const char *nl = memchr(buf, '\n', got);
		start = nl ? (size_t) (nl + 1 - buf) : got;
	}
	size_t i = last_lines_start(buf, start, got, lines);
	memmove(buf, buf + i, got - i);
	buf[got - i] = '\0';
	*ret_text = buf;
	*ret_len = got - i;
	return 0;
}

int logpipe_tail(const struct logpipe *lp, int stream, unsigned lines, uint64_t since_ns, char **ret_text,
                 size_t *ret_len)
{
	size_t len;
	int r = stream_check(lp, stream);
	if (r < 0)
		return r;
	const struct stream *st = lp->streams[stream];
	char *text = st_backlog(st, lines, since_ns, &len);
	/* Fewer lines kept in memory than asked for (more than 64 KiB ago, or before droverd
	 * started): the log file has them, if there is one. */
	const char *path = lp->file[stream].path;
	if (!since_ns && lines > 0 && lines != LOGPIPE_LINES_ALL && path && (!st || st->sink == STDSINK_NONE) &&
	    count_lines(text, len) < lines) {
		char *ft = NULL;
		size_t flen = 0;
		if (file_tail(path, lines, &ft, &flen) == 0) {
			if (count_lines(ft, flen) > count_lines(text, len)) {
				free(text);
				text = ft;
				len = flen;
			} else
				free(ft);
		}
	}
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = '?';   /* the reply's message is a string: no NUL */
	*ret_text = text;
	*ret_len = len;
	return 0;
}

/* Open fifo_path for writing only if it is a private FIFO (see logpipe.h); the inode checked
 * through an O_PATH descriptor is the one opened (re-opened through /proc/self/fd). */
static int fifo_open_private(const char *path, int *ret_fd)
{
	char dir[PATH_MAX], proc[64];
	struct stat dst, fst, wst;
	int dfd = -1, ffd = -1, wfd = -1, r;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (strcpy_bounded(dir, sizeof(dir), path) < 0)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	const char *base = path + (slash - dir) + 1;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (slash == dir)
		slash[1] = '\0';   /* "/fifo": the directory is "/" */
	else
		*slash = '\0';

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = -EPERM;
	if (fstat(dfd, &dst) < 0 || !S_ISDIR(dst.st_mode) || (dst.st_mode & 077))
		goto out;
	ffd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (ffd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(ffd, &fst) < 0 || !S_ISFIFO(fst.st_mode) || fst.st_nlink != 1 || (fst.st_mode & 077) ||
	    fst.st_uid != dst.st_uid)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ffd);
	wfd = open(proc, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (wfd < 0 && errno == ENOENT)   /* no /proc: by name again, then compare the inode */
		wfd = openat(dfd, base, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (wfd < 0) {
		r = -errno;   /* ENXIO: nobody has the read end open */
		goto out;
	}
	if (fstat(wfd, &wst) < 0 || !S_ISFIFO(wst.st_mode) || wst.st_dev != fst.st_dev || wst.st_ino != fst.st_ino) {
		(void) close(wfd);
		wfd = -1;
		goto out;
	}
	*ret_fd = wfd;
	r = 0;
out:
	if (ffd >= 0)
		(void) close(ffd);
	(void) close(dfd);
	return r;
}

int logpipe_follow(struct logpipe *lp, int stream, unsigned lines, uint64_t since_ns, const char *fifo_path)
{
	struct stream *st;
	size_t slot = 0, len;
	int fd, r;

	if ((r = stream_check(lp, stream)) < 0)
		return r;
	st = st_get(lp, stream);
	if (st->nfollowers >= LOGPIPE_FOLLOWERS_MAX)
		return -EBUSY;
	if ((r = fifo_open_private(fifo_path, &fd)) < 0)
		return r;
	(void) fcntl(fd, F_SETPIPE_SZ, FOLLOW_PIPE_SIZE);   /* best effort: more slack for a slow reader */
	while (st->followers[slot].fd >= 0)
		slot++;
	st->followers[slot].fd = fd;
	st->followers[slot].skipped = 0;
	st->nfollowers++;
	if (total_followers++ == 0) {
		if (!follow_timer_init) {
			ev_timer_init(&follow_timer, follow_check_cb, FOLLOW_CHECK_S, FOLLOW_CHECK_S);
			follow_timer_init = true;
		}
		ev_timer_start(watch_loop, &follow_timer);
	}
	/* Like tail -f: the last lines first, then what comes, with nothing lost or doubled between. */
	char *text = st_backlog(st, lines, since_ns, &len);
	if (len)
		follower_write(st, slot, text, len);
	free(text);
	return 0;
}
