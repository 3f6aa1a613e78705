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
 *   afterwards (no POLLHUP busy loop, supervisord #589). A read error closes it as well (the
 *   writer then gets EPIPE instead of blocking forever, supervisord #1554).
 * - Rotation, as supervisord: once the file holds maxbytes, NAME.i -> NAME.(i+1) for
 *   i = backups-1 .. 1, NAME -> NAME.1, then a fresh NAME; backups = 0 truncates NAME. Unlike
 *   supervisord (which checks after each write), drover cuts a write at the last newline that
 *   fits, so a file never exceeds maxbytes and lines are not split (a line longer than what is
 *   left of an empty file is split at maxbytes).
 * - Followers get bytes with non-blocking writes: what a slow one cannot take is skipped, one
 *   whose reader is gone (EPIPE, or POLLERR seen by a 1 s check) is closed.
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
#include "core/process.h"
#include "core/supervisor.h"
#include "util.h"

#define READ_CHUNK         (64u * 1024)        /* per watcher per loop iteration */
#define RING_MAX           (64u * 1024)        /* in-memory tail per stream */
#define RING_MIN           4096u               /* first allocation; doubles up to RING_MAX */
#define READERS_MAX        8                   /* pipes per stream kept open for old workers' descendants */
#define DRAIN_MAX          (1u << 20)          /* bytes read synchronously from one pipe when freed */
#define FOLLOW_PIPE_SIZE   (256 * 1024)        /* FIFO buffer asked for a follower: slack for bursts */
#define FOLLOW_CHECK_S     1.0                 /* how often gone followers are looked for */
#define WARN_INTERVAL_NS   (60 * NSEC_PER_SEC) /* one drop / rotate warning per stream per minute */

#define container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))

struct logpipe;

/* One pipe droverd reads: the current worker's, or one a previous worker's descendant still holds. */
struct reader {
	struct reader *next;
	struct logpipe *lp;
	int fd;
	ev_io io;
};

struct follower {
	int fd;                 /* -1: free */
	uint64_t skipped;       /* bytes it could not take */
};

/* One stream (stdout or stderr) of one process: pipes, log file, tail, followers. */
struct logpipe {
	struct logpipe *next, *prev;   /* every logpipe: SIGUSR1, follower checks */
	struct process *p;
	int stream;
	struct reader *readers;        /* newest first */
	size_t nreaders;

	int file_fd;                   /* -1: no file (NONE, or it cannot be opened) */
	char *path;                    /* the file wanted when last opened; NULL = NONE */
	int open_errno;                /* the open failure last logged, 0 = none */
	uint64_t size;                 /* bytes in the current file */
	bool regular;                  /* rotatable: the path itself is a regular file (see lp_open_file) */
	bool bol;                      /* the file ends with a newline (or is empty) */
	uint64_t dropped;              /* bytes that did not reach the file, in all */
	uint64_t dropping;             /* ... in the current failure episode */
	bool drop_said;                /* the current episode was logged */
	uint64_t drop_warned_ns, rotate_warned_ns;

	char *ring;                    /* linear until cap reaches RING_MAX, a ring after that */
	size_t cap, len, head;         /* head: index of the oldest byte */
	bool wrapped;                  /* older bytes were discarded */

	struct follower followers[LOGPIPE_FOLLOWERS_MAX];
	size_t nfollowers;
};

static struct logpipe *all_logpipes;
static size_t total_followers;
static ev_timer follow_timer;
static bool follow_timer_init;
static char readbuf[READ_CHUNK];       /* one loop, one thread: shared by every reader */

static const char *const stream_names[2] = { "stdout", "stderr" };

static const char *lp_name(const struct logpipe *lp)
{
	return lp->p->cfg->fullname;
}

/* The log file this stream should write now (current config), NULL for none. */
static const char *lp_wanted_path(const struct logpipe *lp)
{
	const struct logfile_config *lc;
	if (lp->stream == LOGPIPE_STDERR && lp->p->prog->redirect_stderr)
		return NULL;
	lc = lp->stream == LOGPIPE_STDOUT ? &lp->p->cfg->stdout_log : &lp->p->cfg->stderr_log;
	return lc->kind == LOGFILE_NONE ? NULL : lc->path;
}

static const struct logfile_config *lp_config(const struct logpipe *lp)
{
	return lp->stream == LOGPIPE_STDOUT ? &lp->p->cfg->stdout_log : &lp->p->cfg->stderr_log;
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

static void lp_close_file(struct logpipe *lp)
{
	if (lp->file_fd >= 0)
		(void) close(lp->file_fd);
	lp->file_fd = -1;
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
static void lp_open_file(struct logpipe *lp)
{
	const char *want = lp_wanted_path(lp);
	struct stat st, lst;

	lp_close_file(lp);
	free(lp->path);
	lp->path = want ? xstrdup(want) : NULL;
	lp->size = 0;
	lp->bol = true;
	if (!want) {
		lp->open_errno = 0;
		return;
	}
	int fd = open_log(want);
	if (fd < 0) {
		if (-fd != lp->open_errno)
			log_proc(LOG_WARNING, lp->p, "%s: cannot open %s log file %s: %s (output kept in memory only)",
			         lp_name(lp), stream_names[lp->stream], want, strerror(-fd));
		lp->open_errno = -fd;
		return;
	}
	if (lp->open_errno)
		log_proc(LOG_INFO, lp->p, "%s: %s log file %s opened", lp_name(lp), stream_names[lp->stream], want);
	lp->open_errno = 0;
	lp->file_fd = fd;
	/* Rotation renames the path: only when the path is the regular file written, never a
	 * symlink (stdout_logfile = /dev/stdout -> /proc/self/fd/1 would rename /dev/stdout), a
	 * pipe, a FIFO or a terminal. Those are written, never rotated. */
	lp->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lstat(want, &lst) == 0 &&
	              S_ISREG(lst.st_mode) && lst.st_dev == st.st_dev && lst.st_ino == st.st_ino;
	if (lp->regular)
		lp->size = (uint64_t) st.st_size;
	else if (lp_config(lp)->maxbytes > 0)
		log_proc(LOG_INFO, lp->p, "%s: %s log file %s is not a regular file: it is not rotated",
		         lp_name(lp), stream_names[lp->stream], want);
}

/* Open the file if it is not open, or if the config now names another one. */
static void lp_sync_file(struct logpipe *lp)
{
	const char *want = lp_wanted_path(lp);
	if (!streq_ptr(want, lp->path) || (want && lp->file_fd < 0))
		lp_open_file(lp);
}

static void lp_drop(struct logpipe *lp, size_t n, int err)
{
	lp->dropped += n;
	lp->dropping += n;
	if (!lp->drop_said && warn_due(&lp->drop_warned_ns)) {
		lp->drop_said = true;
		log_proc(LOG_WARNING, lp->p, "%s: cannot write %s log file %s: %s; dropping output (counted)",
		         lp_name(lp), stream_names[lp->stream], lp->path ? lp->path : "?",
		         strerror(err ? err : EIO));
	}
}

static void lp_drop_ended(struct logpipe *lp)
{
	if (lp->drop_said)
		log_proc(LOG_WARNING, lp->p, "%s: %s log file %s written again; dropped %llu bytes (%llu in all)",
		         lp_name(lp), stream_names[lp->stream], lp->path ? lp->path : "?",
		         (unsigned long long) lp->dropping, (unsigned long long) lp->dropped);
	lp->dropping = 0;
	lp->drop_said = false;
}

/* supervisord's doRollover(): NAME.i -> NAME.(i+1), NAME -> NAME.1, fresh NAME; 0 backups: truncate. */
static void lp_rotate(struct logpipe *lp, const struct logfile_config *lc)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	struct stat st, lst;
	int r = 0;

	/* The path must still be the file written (not replaced by a symlink or another file). */
	if (fstat(lp->file_fd, &st) < 0 || lstat(lp->path, &lst) < 0 || !S_ISREG(lst.st_mode) ||
	    lst.st_dev != st.st_dev || lst.st_ino != st.st_ino) {
		log_proc(LOG_WARNING, lp->p, "%s: %s log file %s was replaced: not rotated until reopened (SIGUSR1)",
		         lp_name(lp), stream_names[lp->stream], lp->path);
		lp->regular = false;
		return;
	}
	if (lc->backups > 0) {
		for (int i = lc->backups - 1; i >= 1 && r == 0; i--) {
			snprintf(from, sizeof(from), "%s.%d", lp->path, i);
			snprintf(to, sizeof(to), "%s.%d", lp->path, i + 1);
			if (rename(from, to) < 0 && errno != ENOENT)
				r = -errno;
		}
		snprintf(to, sizeof(to), "%s.1", lp->path);
		if (r == 0 && rename(lp->path, to) < 0)
			r = -errno;
		if (r == 0) {
			int fd = open_log(lp->path);
			lp_close_file(lp);
			if (fd < 0) {
				lp->open_errno = -fd;
				log_proc(LOG_WARNING, lp->p, "%s: cannot open %s log file %s after rotation: %s",
				         lp_name(lp), stream_names[lp->stream], lp->path, strerror(-fd));
			} else
				lp->file_fd = fd;
		}
	} else if (ftruncate(lp->file_fd, 0) < 0)
		r = -errno;
	if (r < 0 && warn_due(&lp->rotate_warned_ns))
		log_proc(LOG_WARNING, lp->p, "%s: cannot rotate %s log file %s: %s (writing on)", lp_name(lp),
		         stream_names[lp->stream], lp->path, strerror(-r));
	/* After a failure too: the next attempt comes after another maxbytes, not at every write. */
	lp->size = 0;
	lp->bol = true;
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

static void lp_file_write(struct logpipe *lp, const char *data, size_t n)
{
	const struct logfile_config *lc = lp_config(lp);
	uint64_t max = lc->maxbytes;

	if (!lp->path)
		return;   /* NONE */
	while (n > 0) {
		size_t chunk = n;
		if (lp->file_fd >= 0 && max > 0 && lp->regular) {
			if (lp->size >= max) {
				lp_rotate(lp, lc);
				continue;   /* re-evaluate: new file, or not rotatable after all */
			}
			uint64_t room = max - lp->size;
			if ((uint64_t) n > room) {
				const char *nl = memrchr(data, '\n', (size_t) room);
				if (nl)
					chunk = (size_t) (nl + 1 - data);
				else if (lp->size > 0 && lp->bol) {
					lp_rotate(lp, lc);   /* the line fits better in a fresh file */
					continue;
				} else
					chunk = (size_t) room;
			}
		}
		if (lp->file_fd < 0) {
			lp_drop(lp, n, lp->open_errno);
			return;
		}
		int err;
		size_t w = write_full(lp->file_fd, data, chunk, &err);
		lp->size += w;
		if (w > 0)
			lp->bol = data[w - 1] == '\n';
		if (w < chunk)
			lp_drop(lp, chunk - w, err);
		else if (lp->dropping)
			lp_drop_ended(lp);
		data += chunk;
		n -= chunk;
	}
}

/* ---- in-memory tail -------------------------------------------------------------------------- */

static void ring_append(struct logpipe *lp, const char *data, size_t n)
{
	if (n >= RING_MAX) {
		data += n - RING_MAX;
		if (lp->len > 0 || n > RING_MAX)
			lp->wrapped = true;
		n = RING_MAX;
		lp->len = 0;
		lp->head = 0;
	}
	if (lp->len + n > lp->cap && lp->cap < RING_MAX) {
		/* Still linear (head == 0): grow by doubling. */
		size_t cap = lp->cap ? lp->cap : RING_MIN;
		while (cap < lp->len + n && cap < RING_MAX)
			cap *= 2;
		if (cap > RING_MAX)
			cap = RING_MAX;
		lp->ring = xrealloc(lp->ring, cap, 1);
		lp->cap = cap;
	}
	if (lp->len + n > lp->cap) {
		size_t discard = lp->len + n - lp->cap;
		lp->head = (lp->head + discard) % lp->cap;
		lp->len -= discard;
		lp->wrapped = true;
	}
	size_t tail = (lp->head + lp->len) % lp->cap;
	size_t first = lp->cap - tail < n ? lp->cap - tail : n;
	memcpy(lp->ring + tail, data, first);
	memcpy(lp->ring, data + first, n - first);
	lp->len += n;
}

/* The last LINES lines (0 = all) of the ring, raw, in a new NUL-terminated buffer. */
static char *ring_lines(const struct logpipe *lp, unsigned lines, size_t *ret_len)
{
	size_t len = lp ? lp->len : 0, start = 0;
	char *buf = xmalloc(len + 1);

	if (len) {
		size_t first = lp->cap - lp->head < len ? lp->cap - lp->head : len;
		memcpy(buf, lp->ring + lp->head, first);
		memcpy(buf + first, lp->ring, len - first);
	}
	if (lp && lp->wrapped) {
		/* the oldest line lost its beginning: start at the next one (if there is one) */
		const char *nl = memchr(buf, '\n', len);
		if (nl && (size_t) (nl + 1 - buf) < len)
			start = (size_t) (nl + 1 - buf);
	}
	if (lines > 0) {
		size_t i = len;
		unsigned seen = 0;
		if (i > start && buf[i - 1] == '\n')
			i--;   /* the newline that ends the last line */
		while (i > start) {
			if (buf[i - 1] == '\n' && ++seen == lines)
				break;
			i--;
		}
		start = i;
	}
	memmove(buf, buf + start, len - start);
	buf[len - start] = '\0';
	*ret_len = len - start;
	return buf;
}

/* ---- followers ------------------------------------------------------------------------------- */

static void follower_close(struct logpipe *lp, size_t i)
{
	struct follower *f = &lp->followers[i];
	if (f->fd < 0)
		return;
	(void) close(f->fd);
	if (f->skipped)
		log_proc(LOG_DEBUG, lp->p, "%s: %s follower gone; it skipped %llu bytes", lp_name(lp),
		         stream_names[lp->stream], (unsigned long long) f->skipped);
	f->fd = -1;
	f->skipped = 0;
	lp->nfollowers--;
	total_followers--;
	if (total_followers == 0 && follow_timer_init)
		ev_timer_stop(sup.loop, &follow_timer);
}

static void follower_write(struct logpipe *lp, size_t i, const char *data, size_t n)
{
	struct follower *f = &lp->followers[i];
	ssize_t w;
	do
		w = write(f->fd, data, n);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		if (errno == EAGAIN)
			f->skipped += n;
		else
			follower_close(lp, i);   /* EPIPE: the reader is gone (SIGPIPE is ignored) */
		return;
	}
	if ((size_t) w < n)
		f->skipped += n - (size_t) w;
}

static void followers_write(struct logpipe *lp, const char *data, size_t n)
{
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX && lp->nfollowers; i++)
		if (lp->followers[i].fd >= 0)
			follower_write(lp, i, data, n);
}

/* A follower whose reader is gone is noticed here even when its process prints nothing. */
static void follow_check_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	for (struct logpipe *lp = all_logpipes; lp; lp = lp->next) {
		for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX && lp->nfollowers; i++) {
			struct pollfd pfd = { .fd = lp->followers[i].fd, .events = 0 };
			if (pfd.fd < 0)
				continue;
			if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
				follower_close(lp, i);
		}
	}
}

/* ---- one stream ------------------------------------------------------------------------------ */

static void lp_output(struct logpipe *lp, const char *data, size_t n)
{
	ring_append(lp, data, n);
	lp_file_write(lp, data, n);
	if (lp->nfollowers)
		followers_write(lp, data, n);
}

static struct logpipe *lp_get(struct process *p, int stream)
{
	struct logpipe *lp = p->logs[stream];
	if (lp)
		return lp;
	lp = xcalloc(1, sizeof(*lp));
	lp->p = p;
	lp->stream = stream;
	lp->file_fd = -1;
	lp->bol = true;
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX; i++)
		lp->followers[i].fd = -1;
	lp->next = all_logpipes;
	if (all_logpipes)
		all_logpipes->prev = lp;
	all_logpipes = lp;
	p->logs[stream] = lp;
	return lp;
}

/* With no pipe left, the log file is closed too: a stopped (or FATAL) process holds no
 * descriptor; the next spawn opens the file again (at the path the config names then). */
static void lp_release_if_idle(struct logpipe *lp)
{
	if (lp->nreaders == 0)
		lp_close_file(lp);
}

static void reader_close(struct reader *rd)
{
	struct logpipe *lp = rd->lp;
	ev_io_stop(sup.loop, &rd->io);
	(void) close(rd->fd);
	for (struct reader **pp = &lp->readers; *pp; pp = &(*pp)->next)
		if (*pp == rd) {
			*pp = rd->next;
			break;
		}
	lp->nreaders--;
	free(rd);
	lp_release_if_idle(lp);
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
		lp_output(rd->lp, readbuf, (size_t) n);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		log_proc(LOG_WARNING, rd->lp->p, "%s: reading the %s pipe failed: %s; closing it", lp_name(rd->lp),
		         stream_names[rd->lp->stream], strerror(errno));
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
		lp_output(rd->lp, readbuf, (size_t) n);
		total += (size_t) n;
	}
	return false;
}

static void reader_add(struct logpipe *lp, int fd)
{
	if (lp->nreaders >= READERS_MAX) {
		struct reader *old = lp->readers;
		while (old->next)
			old = old->next;
		log_proc(LOG_WARNING, lp->p, "%s: %zu %s pipes still held open by earlier workers' descendants; "
		         "closing the oldest", lp_name(lp), lp->nreaders, stream_names[lp->stream]);
		reader_close(old);
	}
	struct reader *rd = xcalloc(1, sizeof(*rd));
	rd->lp = lp;
	rd->fd = fd;
	ev_io_init(&rd->io, reader_cb, fd, EV_READ);
	ev_io_start(sup.loop, &rd->io);
	rd->next = lp->readers;
	lp->readers = rd;
	lp->nreaders++;
}

static void lp_free(struct logpipe *lp)
{
	if (!lp)
		return;
	while (lp->readers) {
		(void) reader_drain(lp->readers);   /* output written just before the end is kept */
		reader_close(lp->readers);
	}
	for (size_t i = 0; i < LOGPIPE_FOLLOWERS_MAX; i++)
		follower_close(lp, i);
	if (lp->dropping && lp->drop_said)
		log_proc(LOG_WARNING, lp->p, "%s: %s: dropped %llu bytes of output in all", lp_name(lp),
		         stream_names[lp->stream], (unsigned long long) lp->dropped);
	lp_close_file(lp);
	if (lp->prev)
		lp->prev->next = lp->next;
	else
		all_logpipes = lp->next;
	if (lp->next)
		lp->next->prev = lp->prev;
	free(lp->path);
	free(lp->ring);
	free(lp);
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

int logpipe_prepare(struct process *p, struct logpipe_fds *ret)
{
	struct logpipe_fds f = LOGPIPE_FDS_INIT;
	int r;

	f.in = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f.in < 0) {
		r = -errno;
		goto fail;
	}
	lp_sync_file(lp_get(p, LOGPIPE_STDOUT));
	if ((r = make_pipe(&f.rd_out, &f.out)) < 0)
		goto fail;
	if (p->prog->redirect_stderr) {
		f.err = fcntl(f.out, F_DUPFD_CLOEXEC, 3);
		if (f.err < 0) {
			r = -errno;
			goto fail;
		}
		if (p->logs[LOGPIPE_STDERR])
			lp_sync_file(p->logs[LOGPIPE_STDERR]);   /* closes a stderr file no longer used */
	} else {
		lp_sync_file(lp_get(p, LOGPIPE_STDERR));
		if ((r = make_pipe(&f.rd_err, &f.err)) < 0)
			goto fail;
	}
	*ret = f;
	return 0;
fail:
	logpipe_fds_close(&f);
	for (int s = 0; s < 2; s++)
		if (p->logs[s])
			lp_release_if_idle(p->logs[s]);   /* a spawn that failed holds no log file */
	return r;
}

void logpipe_attach(struct process *p, struct logpipe_fds *fds)
{
	if (fds->rd_out >= 0) {
		reader_add(lp_get(p, LOGPIPE_STDOUT), fds->rd_out);
		fds->rd_out = -1;
	}
	if (fds->rd_err >= 0) {
		reader_add(lp_get(p, LOGPIPE_STDERR), fds->rd_err);
		fds->rd_err = -1;
	}
}

void logpipe_on_exit(struct process *p)
{
	for (int s = 0; s < 2; s++) {
		struct logpipe *lp = p->logs[s];
		struct reader *rd = lp ? lp->readers : NULL;
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

void logpipe_free(struct process *p)
{
	for (int s = 0; s < 2; s++) {
		lp_free(p->logs[s]);
		p->logs[s] = NULL;
	}
}

void logpipe_reopen_all(void)
{
	unsigned n = 0, failed = 0;
	for (struct logpipe *lp = all_logpipes; lp; lp = lp->next) {
		/* Files in use only: an idle stream opens its file at the next spawn anyway. */
		if (lp->file_fd < 0 && lp->nreaders == 0)
			continue;
		if (!lp->path && !lp_wanted_path(lp))
			continue;
		lp_open_file(lp);
		if (lp->path) {
			n++;
			failed += lp->file_fd < 0;
		}
	}
	log_info("reopened %u log files%s", n, failed ? " (some failed, see above)" : "");
}

uint64_t logpipe_dropped(const struct process *p)
{
	uint64_t n = 0;
	for (int s = 0; s < 2; s++)
		if (p->logs[s])
			n += p->logs[s]->dropped;
	return n;
}

/* ---- droverctl tail -------------------------------------------------------------------------- */

static int stream_check(const struct process *p, int stream)
{
	if (stream != LOGPIPE_STDOUT && stream != LOGPIPE_STDERR)
		return -EINVAL;
	if (stream == LOGPIPE_STDERR && p->prog->redirect_stderr)
		return -ENODATA;
	return 0;
}

int logpipe_tail(const struct process *p, int stream, unsigned lines, char **ret_text, size_t *ret_len)
{
	size_t len;
	int r = stream_check(p, stream);
	if (r < 0)
		return r;
	char *text = ring_lines(p->logs[stream], lines, &len);
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

int logpipe_follow(struct process *p, int stream, unsigned lines, const char *fifo_path)
{
	struct logpipe *lp;
	size_t slot = 0, len;
	int fd, r;

	if ((r = stream_check(p, stream)) < 0)
		return r;
	lp = lp_get(p, stream);
	if (lp->nfollowers >= LOGPIPE_FOLLOWERS_MAX)
		return -EBUSY;
	if ((r = fifo_open_private(fifo_path, &fd)) < 0)
		return r;
	(void) fcntl(fd, F_SETPIPE_SZ, FOLLOW_PIPE_SIZE);   /* best effort: more slack for a slow reader */
	while (lp->followers[slot].fd >= 0)
		slot++;
	lp->followers[slot].fd = fd;
	lp->followers[slot].skipped = 0;
	lp->nfollowers++;
	if (total_followers++ == 0) {
		if (!follow_timer_init) {
			ev_timer_init(&follow_timer, follow_check_cb, FOLLOW_CHECK_S, FOLLOW_CHECK_S);
			follow_timer_init = true;
		}
		ev_timer_start(sup.loop, &follow_timer);
	}
	/* Like tail -f: the last lines first, then what comes, with nothing lost or doubled between. */
	char *text = ring_lines(lp, lines, &len);
	if (len)
		follower_write(lp, slot, text, len);
	free(text);
	return 0;
}
