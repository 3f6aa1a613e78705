/* droverctl's mq client: the private reply queue, sending a request, reassembling the reply. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* ---- cleanup on fatal signals ------------------------------------------------------------
 * A POSIX queue outlives its creator, so the reply queue (and tail's FIFO) must be removed on
 * every exit path. Normal paths call client_close(); the signals that terminate by default go
 * through on_fatal_signal(), which removes what is registered and re-raises with the default
 * disposition (SA_RESETHAND), so the exit status still says "killed by SIGINT". mq_unlink,
 * unlink and rmdir are plain system calls and safe here. SIGKILL cannot be caught: that leak
 * is the daemon's to sweep. */
static char sig_reply_name[PROTO_NAME_MAX];
static volatile sig_atomic_t sig_reply_armed;
static char sig_fifo[PATH_MAX];
static char sig_fifo_dir[PATH_MAX];
static volatile sig_atomic_t sig_fifo_armed;

static const int fatal_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ,
	SIGABRT,    /* xmalloc() on ENOMEM */
};

static void on_fatal_signal(int sig)
{
	int saved = errno;
	if (sig_reply_armed)
		(void) mq_unlink(sig_reply_name);
	if (sig_fifo_armed) {
		(void) unlink(sig_fifo);
		(void) rmdir(sig_fifo_dir);
	}
	/* SA_RESETHAND restored SIG_DFL: the signal is delivered again once we return. */
	(void) raise(sig);
	errno = saved;
}

void cleanup_install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++) {
		struct sigaction old;
		/* Keep a signal that our parent ignores ignored (nohup, shells' background jobs). */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		(void) sigaction(fatal_signals[i], &sa, NULL);
	}
}

static void block_fatal(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < ELEMENTSOF(fatal_signals); i++)
		sigaddset(&set, fatal_signals[i]);
	(void) sigprocmask(SIG_BLOCK, &set, old);
}

static void unblock_fatal(const sigset_t *old)
{
	(void) sigprocmask(SIG_SETMASK, old, NULL);
}

void cleanup_block_signals(sigset_t *old)
{
	block_fatal(old);
}

void cleanup_restore_signals(const sigset_t *old)
{
	unblock_fatal(old);
}

void cleanup_set_fifo(const char *fifo, const char *dir)
{
	sigset_t old;
	block_fatal(&old);
	(void) strcpy_bounded(sig_fifo, sizeof(sig_fifo), fifo);
	(void) strcpy_bounded(sig_fifo_dir, sizeof(sig_fifo_dir), dir);
	sig_fifo_armed = 1;
	unblock_fatal(&old);
}

void cleanup_clear_fifo(void)
{
	sig_fifo_armed = 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

uint64_t client_random_u64(void)
{
	uint64_t v;
	for (;;) {
		ssize_t n = getrandom(&v, sizeof(v), 0);
		if (n == (ssize_t) sizeof(v))
			return v;
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	/* No getrandom (old kernel, seccomp): the name is still unique by O_EXCL and the pid. */
	v = now_real_ns() ^ (now_mono_ns() << 17) ^ ((uint64_t) getpid() << 40);
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

/* mq_timed*() want an absolute CLOCK_REALTIME time (POSIX); we keep deadlines on the monotonic
 * clock and convert just before each call, so a clock step costs at most one slice. */
static struct timespec realtime_at(uint64_t mono_deadline_ns)
{
	uint64_t now_m = now_mono_ns();
	uint64_t left = mono_deadline_ns > now_m ? mono_deadline_ns - now_m : 0;
	uint64_t abs = now_real_ns() + left;
	struct timespec ts = { .tv_sec = (time_t) (abs / NSEC_PER_SEC), .tv_nsec = (long) (abs % NSEC_PER_SEC) };
	return ts;
}

/* ---- open / close ------------------------------------------------------------------------- */

static int create_reply_queue(struct client *c)
{
	/* A small queue: the per-user RLIMIT_MSGQUEUE budget (800 KiB by default, shared with
	 * every queue of the user, droverd's control queue included) holds ~9 queues of 10 x 8 KiB
	 * but ~45 of 4 x 4 KiB, so many droverctl can run at once. Long replies are fragmented to
	 * our size and flow-controlled by droverd, so a smaller queue costs only a few syscalls. */
	long maxmsg = 4, msgsize = 4096, v;
	/* The kernel refuses attributes above its limits even for root: read them, never assume. */
	if (read_proc_long("/proc/sys/fs/mqueue/msg_max", &v) == 0 && v > 0 && v < maxmsg)
		maxmsg = v;
	if (read_proc_long("/proc/sys/fs/mqueue/msgsize_max", &v) == 0 && v > 0 && v < msgsize)
		msgsize = v;
	if (msgsize < PROTO_MSG_MIN)
		return -EPROTO;

	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
	int r = 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		snprintf(c->reply_name, sizeof(c->reply_name), "/%s.reply.%ld.%016llx",
		         c->instance, (long) getpid(), (unsigned long long) client_random_u64());
		/* Register the name for the signal handler in the same blocked window as the
		 * creation: a signal can never find the queue created but unregistered. */
		sigset_t old;
		block_fatal(&old);
		c->reply = mq_open(c->reply_name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		r = c->reply == (mqd_t) -1 ? -errno : 0;
		if (r == 0) {
			memcpy(sig_reply_name, c->reply_name, sizeof(sig_reply_name));
			sig_reply_armed = 1;
		}
		unblock_fatal(&old);
		if (r == -EEXIST)
			continue;
		/* EMFILE here is mostly RLIMIT_MSGQUEUE (bytes of queues per user, ~800 KB by
		 * default, shared with every other queue of this user): a one-message queue costs
		 * a tenth and still works, smaller messages less again; the daemon fragments to
		 * our size and just delivers a long reply more slowly. */
		if (r == -EMFILE && attr.mq_maxmsg > 1) {
			attr.mq_maxmsg = 1;
			continue;
		}
		if (r == -EMFILE && attr.mq_msgsize / 4 >= PROTO_MSG_MIN) {
			attr.mq_msgsize /= 4;
			continue;
		}
		break;
	}
	if (r < 0)
		return r;
	/* The umask may have taken bits away from 0600; the daemon must be able to write. */
	if (fchmod((int) c->reply, 0600) < 0)
		return -errno;
	/* droverd opens this queue for writing under its own uid: a 0600 queue of ours is closed to
	 * it when it runs as another user (root's droverctl and a droverd running as nobody). The
	 * queue becomes droverd's; mode 0600 keeps everybody else out, and we read through the
	 * descriptor opened above. Not root: we cannot, and say so rather than wait for a reply
	 * that cannot come. */
	if (c->daemon_uid != 0 && c->daemon_uid != geteuid() && fchown((int) c->reply, c->daemon_uid, (gid_t) -1) < 0) {
		c->failed_owner = true;
		return errno == EPERM ? -EPERM : -errno;
	}
	if (mq_getattr(c->reply, &attr) < 0)
		return -errno;
	if (attr.mq_msgsize < PROTO_MSG_MIN)
		return -EPROTO;
	c->reply_msgsize = (size_t) attr.mq_msgsize;
	c->reply_buf = xmalloc(c->reply_msgsize);
	return 0;
}

int client_open(struct client *c, const char *instance)
{
	struct mq_attr attr;
	struct stat st;
	int r;

	memset(c, 0, sizeof(*c));
	c->ctl = c->reply = (mqd_t) -1;
	/* client_close() below keeps this flag for the caller's message. */
	if (strcpy_bounded(c->instance, sizeof(c->instance), instance) < 0)
		return -EINVAL;
	snprintf(c->ctl_name, sizeof(c->ctl_name), "/%s.ctl", instance);

	/* The control queue first: no daemon, no reply queue to create and remove. */
	c->ctl = mq_open(c->ctl_name, O_WRONLY | O_CLOEXEC);
	if (c->ctl == (mqd_t) -1)
		return -errno;
	if (mq_getattr(c->ctl, &attr) < 0 || fstat((int) c->ctl, &st) < 0) {
		r = -errno;
		goto fail;
	}
	c->daemon_uid = st.st_uid;
	if (attr.mq_msgsize < PROTO_MSG_MIN) {
		r = -EPROTO;
		goto fail;
	}
	c->req_cap = attr.mq_msgsize < PROTO_MSG_MAX ? (size_t) attr.mq_msgsize : PROTO_MSG_MAX;
	c->req_buf = xmalloc(c->req_cap);

	r = create_reply_queue(c);
	if (r < 0) {
		c->failed_reply = true;
		goto fail;
	}
	return 0;
fail:
	client_close(c);
	return r;
}

void client_close(struct client *c)
{
	if (!c)
		return;
	if (c->reply != (mqd_t) -1) {
		sigset_t old;
		block_fatal(&old);
		(void) mq_unlink(c->reply_name);
		sig_reply_armed = 0;
		unblock_fatal(&old);
		(void) mq_close(c->reply);
		c->reply = (mqd_t) -1;
	}
	if (c->ctl != (mqd_t) -1) {
		(void) mq_close(c->ctl);
		c->ctl = (mqd_t) -1;
	}
	free(c->req_buf);
	c->req_buf = NULL;
	free(c->reply_buf);
	c->reply_buf = NULL;
}

/* ---- one round trip ----------------------------------------------------------------------- */

/* Is the control queue we sent to still the daemon's? A daemon that exits cleanly unlinks it;
 * one that restarted has created a new queue (another inode) and never saw our request. */
static bool ctl_queue_same(const struct client *c)
{
	struct stat ours, now;
	if (fstat((int) c->ctl, &ours) < 0)
		return true;
	mqd_t q = mq_open(c->ctl_name, O_WRONLY | O_CLOEXEC);
	if (q == (mqd_t) -1)
		return errno != ENOENT;
	bool same = fstat((int) q, &now) < 0 || (now.st_ino == ours.st_ino && now.st_dev == ours.st_dev);
	(void) mq_close(q);
	return same;
}

int client_call(struct client *c, uint16_t type, uint32_t arg1, uint32_t arg2,
                size_t nargs, const char *const *args, uint64_t send_deadline_ns, uint64_t deadline_ns,
                struct proto_reply *ret)
{
	uint32_t id = (uint32_t) client_random_u64();
	ssize_t n = proto_request_encode(c->req_buf, c->req_cap, type, id, c->reply_name,
	                                 arg1, arg2, nargs, args);
	if (n < 0)
		return (int) n;

	/* Blocking descriptor + absolute deadline: a full queue is a timeout, never a hang. */
	for (;;) {
		struct timespec ts = realtime_at(send_deadline_ns);
		if (mq_timedsend(c->ctl, (const char *) c->req_buf, (size_t) n, proto_priority_of(type), &ts) == 0)
			break;
		if (errno == EINTR)
			continue;
		return errno == ETIMEDOUT ? -EBUSY : -errno;
	}

	struct proto_assembler as;
	int r;
	proto_assembler_init(&as, id, type);
	for (;;) {
		uint64_t now = now_mono_ns();
		/* Wake up every second to notice a daemon that went away during a long wait. */
		uint64_t slice = now + NSEC_PER_SEC < deadline_ns ? now + NSEC_PER_SEC : deadline_ns;
		struct timespec ts = realtime_at(slice);
		ssize_t m = mq_timedreceive(c->reply, (char *) c->reply_buf, c->reply_msgsize, NULL, &ts);
		if (m < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ETIMEDOUT) {
				r = -errno;
				break;
			}
			if (now_mono_ns() >= deadline_ns) {
				r = -ETIMEDOUT;
				break;
			}
			if (!ctl_queue_same(c)) {
				r = -ECONNRESET;
				break;
			}
			continue;
		}
		r = proto_assembler_feed(&as, c->reply_buf, (size_t) m);
		if (r < 0) {
			if (r != -EPROTO)
				r = -EBADMSG;
			break;
		}
		if (r == 1) {
			r = proto_reply_decode(&as, ret);
			if (r < 0 && r != -EPROTO)
				r = -EBADMSG;
			break;
		}
	}
	proto_assembler_free(&as);
	return r;
}
