/* A worker's NOTIFY_SOCKET (see notifysock.h).
 *
 * One socket per process, not one per instance with the sender told apart by SO_PASSCRED alone:
 * - the socket names the process, so a datagram needs no lookup from pid to process, and a
 *   descendant that outlived its parent (re-parented to droverd as subreaper) or a pid that was
 *   reused still cannot speak for another worker;
 * - the file is owned by the worker's user with mode 0600, so the kernel already refuses other
 *   users before droverd reads anything, and workers of other programs never learn its name;
 * - a flood fills only that socket's receive queue: other workers' messages still get through,
 *   and the reads per loop iteration are bounded per socket.
 * Credentials are still checked on every datagram (SO_PASSCRED): the sender must be the worker or
 * in its tree (same session, which the worker's setsid() started, or a parent chain up to it).
 * The cost is one descriptor per notify process, which the raised RLIMIT_NOFILE covers.
 *
 * systemd-notify waits (BARRIER=1: it passes a pipe and waits for droverd to close it) until its
 * message was processed, so its sender is still alive when its credentials are checked. Every
 * descriptor a datagram carries is closed at once. */
#include "os/notifysock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/log.h"
#include "os/procfs.h"
#include "util.h"

#define READS_PER_WAKE   64     /* datagrams read per socket per loop iteration */
#define TREE_DEPTH_MAX   64     /* parent links followed from a sender up to the worker */
#define FDS_MAX          253    /* SCM_MAX_FD: descriptors one datagram can carry */
#define USEC_MAX         (UINT64_C(86400) * 365 * 1000000)

struct notifysock {
	int fd;
	ev_io io;
	pid_t owner;
	bool waiting;   /* a spawn is on its way: messages wait, unread, for its pid (io stopped) */
	bool in_callback, closing;
	char address[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1];   /* "@..." when abstract */
	const struct notifysock_hooks *hooks;
	void *ctx;
	uint64_t drops[NOTIFY_DROP_MAX];
};

static struct ev_loop *loop;
static char *dir;               /* run_dir/INSTANCE.notify; NULL: abstract names only */
static char instance[64];
static unsigned long next_id;
static char rbuf[NOTIFY_MSG_MAX + 1];

static const char *const drop_names[NOTIFY_DROP_MAX] = {
	"foreign sender", "no credentials", "oversized", "malformed", "MAINPID outside the worker's tree",
	"no worker",
};

const char *notify_drop_to_string(enum notify_drop d)
{
	return (unsigned) d < NOTIFY_DROP_MAX ? drop_names[d] : "?";
}

/* ---- the protocol ---------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	uint32_t cp = len == 2 ? (s[0] & 0x1fu) : len == 3 ? (s[0] & 0x0fu) : (s[0] & 0x07u);
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3fu);
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;   /* overlong, out of range, surrogate */
	return len;
}

static int parse_u64(const char *v, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t x = 0;
	if (n == 0 || n > 20)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, (uint64_t) (v[i] - '0'), &x))
			return -EBADMSG;
	}
	if (x > max)
		return -EBADMSG;
	*ret = x;
	return 0;
}

static bool key_is(const char *line, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

int notifysock_parse(const char *buf, size_t len, struct notify_msg *ret)
{
	struct notify_msg m;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < len; ) {
		size_t n = utf8_seq((const unsigned char *) buf + i, len - i);
		if (n == 0 || buf[i] == '\0')
			return -EBADMSG;
		i += n;
	}
	for (size_t off = 0; off < len; ) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t) (nl - line) : len - off;
		off += ll + (nl ? 1 : 0);
		if (ll == 0)
			continue;
		const char *eq = memchr(line, '=', ll);
		if (!eq || eq == line)
			return -EBADMSG;
		size_t kl = (size_t) (eq - line), vl = ll - kl - 1;
		const char *v = eq + 1;
		uint64_t x;
		if (key_is(line, kl, "READY"))
			m.ready |= vl == 1 && v[0] == '1';
		else if (key_is(line, kl, "RELOADING"))
			m.reloading |= vl == 1 && v[0] == '1';
		else if (key_is(line, kl, "STOPPING"))
			m.stopping |= vl == 1 && v[0] == '1';
		else if (key_is(line, kl, "WATCHDOG")) {
			if (vl == 1 && v[0] == '1')
				m.watchdog = true;
			else if (vl == 7 && memcmp(v, "trigger", 7) == 0)
				m.watchdog_trigger = true;
		} else if (key_is(line, kl, "STATUS")) {
			size_t keep = 0;
			while (keep < vl) {   /* whole UTF-8 sequences only */
				size_t s = utf8_seq((const unsigned char *) v + keep, vl - keep);
				if (keep + s > NOTIFY_STATUS_MAX - 1)
					break;
				keep += s;
			}
			memcpy(m.status, v, keep);
			m.status[keep] = '\0';
			m.have_status = true;
		} else if (key_is(line, kl, "WATCHDOG_USEC")) {
			if (parse_u64(v, vl, USEC_MAX, &x) < 0 || x == 0)
				return -EBADMSG;
			m.watchdog_usec = x;
		} else if (key_is(line, kl, "EXTEND_TIMEOUT_USEC")) {
			if (parse_u64(v, vl, USEC_MAX, &x) < 0)
				return -EBADMSG;
			m.extend_usec = x;
		} else if (key_is(line, kl, "MAINPID")) {
			if (parse_u64(v, vl, INT32_MAX, &x) < 0 || x == 0)
				return -EBADMSG;
			m.mainpid = (pid_t) x;
		} else if (key_is(line, kl, "ERRNO")) {
			if (parse_u64(v, vl, 4095, &x) < 0)
				return -EBADMSG;
			m.errnum = (int) x;
			m.have_errno = true;
		}
		/* other assignments (MONOTONIC_USEC, BARRIER, FDSTORE...) mean nothing here */
	}
	*ret = m;
	return 0;
}

/* ---- who may speak --------------------------------------------------------------------------- */

/* Parent and session of pid, from /proc/PID/stat (the fields after the last ')'). */
static int pid_stat(pid_t pid, pid_t *ret_ppid, pid_t *ret_session)
{
	char buf[512];
	ssize_t n = procfs_read_pid(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int) n;
	char *p = strrchr(buf, ')');
	int ppid, pgrp, session;
	char state;
	if (!p || sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
		return -EBADMSG;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*ret_ppid = ppid;
	*ret_session = session;
	return 0;
}

/* pid is root or a live process of root's tree: in the session root's setsid() began, or with a
 * parent chain up to root. */
static bool in_tree(pid_t pid, pid_t root)
{
	if (pid <= 1 || root <= 1 || pid == getpid())
		return false;
	if (pid == root)
		return true;
	pid_t cur = pid;
	for (int depth = 0; depth < TREE_DEPTH_MAX; depth++) {
		pid_t ppid, session;
		if (pid_stat(cur, &ppid, &session) < 0)
			return false;
		if (session == root || ppid == root)
			return true;
		if (ppid <= 1 || ppid == getpid())
			return false;
		cur = ppid;
	}
	return false;
}

/* ---- the socket -------------------------------------------------------------------------------- */

static void drop(struct notifysock *s, enum notify_drop why)
{
	s->drops[why]++;
	if (s->hooks->dropped)
		s->hooks->dropped(s->ctx, why);
}

static void close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			(void) close(fd);
		}
	}
}

/* Judge and hand over one received datagram of n bytes. */
static void take(struct notifysock *s, struct msghdr *mh, size_t n)
{
	const struct ucred *cred = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
			cred = (const struct ucred *) (void *) CMSG_DATA(c);
	if (n > NOTIFY_MSG_MAX || (mh->msg_flags & MSG_TRUNC)) {
		drop(s, NOTIFY_DROP_OVERSIZED);
		return;
	}
	if (!cred) {
		drop(s, NOTIFY_DROP_NOCRED);
		return;
	}
	pid_t sender = cred->pid;
	if (s->owner <= 0) {
		drop(s, NOTIFY_DROP_NOWORKER);
		return;
	}
	if (!in_tree(sender, s->owner)) {
		drop(s, NOTIFY_DROP_FOREIGN);
		return;
	}
	struct notify_msg m;
	if (notifysock_parse(rbuf, n, &m) < 0) {
		drop(s, NOTIFY_DROP_MALFORMED);
		return;
	}
	if (m.mainpid && !in_tree(m.mainpid, s->owner)) {
		m.mainpid = 0;
		drop(s, NOTIFY_DROP_MAINPID);
	}
	s->in_callback = true;
	s->hooks->message(s->ctx, &m, sender);
	s->in_callback = false;
}

/* One datagram, delivered (or counted as dropped) when deliver: 0, or -EAGAIN when none is queued. */
static int read_one(struct notifysock *s, bool deliver)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} control;
	struct iovec iov = { rbuf, NOTIFY_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
	ssize_t n;
	do
		n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (deliver)
		take(s, &mh, (size_t) n);
	/* Last: a sender waiting for its descriptor to close (BARRIER=1) is alive while it is judged. */
	close_fds(&mh);
	return 0;
}

static void socket_free(struct notifysock *s)
{
	ev_io_stop(loop, &s->io);
	(void) close(s->fd);
	if (s->address[0] == '/')
		(void) unlink(s->address);
	free(s);
}

static void read_some(struct notifysock *s)
{
	if (s->waiting && s->owner <= 0) {
		ev_io_stop(loop, &s->io);   /* until notifysock_set_owner(): no busy loop meanwhile */
		return;
	}
	for (int i = 0; i < READS_PER_WAKE && !s->closing; i++)
		if (read_one(s, true) < 0)
			break;
	if (s->closing)
		socket_free(s);
}

static void io_cb(struct ev_loop *l, ev_io *w, int revents)
{
	read_some(container_of(w, struct notifysock, io));
}

void notifysock_poll(struct notifysock *s)
{
	if (s && !s->in_callback)
		read_some(s);
}

void notifysock_discard(struct notifysock *s)
{
	if (!s)
		return;
	/* bounded: a sender that keeps writing cannot hold droverd here */
	for (int i = 0; i < 4 * READS_PER_WAKE; i++)
		if (read_one(s, false) < 0)
			break;
}

int notifysock_init(struct ev_loop *l, const char *run_dir, const char *name)
{
	loop = l;
	strcpy_bounded(instance, sizeof(instance), name);
	free(dir);
	dir = xasprintf("%s/%s.notify", run_dir, name);
	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		int r = -errno;
		free(dir);
		dir = NULL;
		return r;
	}
	/* We hold the instance lock: whatever is in there is a dead droverd's. */
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				(void) unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	return 0;
}

void notifysock_shutdown(void)
{
	if (dir)
		(void) rmdir(dir);
	free(dir);
	dir = NULL;
}

int notifysock_open(uid_t uid, gid_t gid, const struct notifysock_hooks *hooks, void *ctx, struct notifysock **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	struct notifysock *s = xcalloc(1, sizeof(*s));
	int one = 1, r;

	s->hooks = hooks;
	s->ctx = ctx;
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		r = -errno;
		free(s);
		return r;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail;
	unsigned long id = ++next_id;
	int n = dir ? snprintf(s->address, sizeof(s->address), "%s/%lu", dir, id) : -1;
	if (n > 0 && (size_t) n < sizeof(sa.sun_path)) {
		(void) unlink(s->address);
		memcpy(sa.sun_path, s->address, (size_t) n);
		salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + (size_t) n + 1);
	} else {
		/* run_dir too long for a socket path: an abstract name (no file, no permission bits:
		 * the credentials check alone decides) */
		n = snprintf(s->address, sizeof(s->address), "@drover/%s/notify/%d/%lu", instance, (int) getpid(), id);
		memcpy(sa.sun_path + 1, s->address + 1, (size_t) n - 1);
		salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + (size_t) n);
	}
	if (bind(s->fd, (struct sockaddr *) &sa, salen) < 0)
		goto fail;
	if (s->address[0] == '/') {
		if (uid != (uid_t) -1 && chown(s->address, uid, gid) < 0)
			goto fail;
		if (chmod(s->address, 0600) < 0)
			goto fail;
	}
	ev_io_init(&s->io, io_cb, s->fd, EV_READ);
	ev_io_start(loop, &s->io);
	*ret = s;
	return 0;
fail:
	r = -errno;
	(void) close(s->fd);
	if (s->address[0] == '/')
		(void) unlink(s->address);
	free(s);
	return r;
}

struct notifysock *notifysock_close(struct notifysock *s)
{
	if (!s)
		return NULL;
	if (s->in_callback) {   /* freed when its read loop returns */
		s->closing = true;
		s->owner = 0;
		return NULL;
	}
	socket_free(s);
	return NULL;
}

const char *notifysock_address(const struct notifysock *s)
{
	return s->address;
}

void notifysock_set_owner(struct notifysock *s, pid_t pid)
{
	if (!s)
		return;
	s->owner = pid;
	if (s->waiting) {
		s->waiting = false;
		if (!s->closing)
			ev_io_start(loop, &s->io);   /* what waited is read (or dropped, pid 0) now */
	}
}

void notifysock_expect(struct notifysock *s)
{
	if (!s)
		return;
	s->owner = 0;
	s->waiting = true;
}

uint64_t notifysock_drops(const struct notifysock *s, enum notify_drop why)
{
	return s && (unsigned) why < NOTIFY_DROP_MAX ? s->drops[why] : 0;
}

uint64_t notifysock_drops_total(const struct notifysock *s)
{
	uint64_t n = 0;
	for (int i = 0; s && i < NOTIFY_DROP_MAX; i++)
		n += s->drops[i];
	return n;
}
