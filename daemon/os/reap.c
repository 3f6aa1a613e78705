/* Reaping (see reap.h). Each child is first peeked at with WNOWAIT, so the clean-up of its
 * process group happens while its pid is still reserved, then reaped.
 *
 * Watched children (workers made by a spawn helper: children of droverd's spawn thread) are
 * reaped one by one from their pidfd's readiness, no other child looked at, so an exit costs the
 * same with ten thousand workers as with ten. On SIGCHLD the main thread's own children (orphans,
 * workers spawned in-process) are reaped in a loop until none is left, so no zombie survives a
 * loop iteration even when a thousand die at once (signals merge).
 *
 * Stops and continues can only be found by asking about every child (a waitid(WSTOPPED) scan,
 * O(N)), and a worker's exit raises SIGCHLD too. So SIGCHLD comes through a signalfd, whose
 * siginfo says what happened: a stop or continue is looked for at once; after an exit, only by a
 * sweep 200 ms later (a stop that came while that SIGCHLD was pending merged into it), never in
 * the way of the respawn and at most five times a second whatever the churn. */
#include "os/reap.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "os/log.h"
#include "util.h"

/* A child droverd holds a pidfd for. */
struct child {
	struct child *hnext;
	pid_t pid;
	int fd;
	bool watch;
	ev_io io;
};

#define STOP_SWEEP_S 0.2   /* after an exit's SIGCHLD, the look for stops merged into it */

static struct ev_loop *loop;
static const struct reap_hooks *hooks;
static int sigfd = -1;
static ev_io sig_io;
static ev_signal sig_w;         /* without a signalfd */
static ev_timer stop_sweep;
static struct child **buckets;   /* by pid; as many buckets as children, at least 64 */
static size_t nbuckets, nchildren;

static void note_stops(void);
static unsigned reap_exits(void);

static void stop_sweep_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	note_stops();
}

static void sigchld_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct signalfd_siginfo si;
	bool stops = false, any = false;
	ssize_t n;
	while ((n = read(sigfd, &si, sizeof(si))) == (ssize_t) sizeof(si)) {
		any = true;
		stops |= si.ssi_code == CLD_STOPPED || si.ssi_code == CLD_CONTINUED || si.ssi_code == CLD_TRAPPED;
	}
	if (stops)
		note_stops();
	else if (any && !ev_is_active(&stop_sweep)) {
		ev_timer_set(&stop_sweep, STOP_SWEEP_S, 0.);
		ev_timer_start(loop, &stop_sweep);
	}
	(void) reap_exits();
}

static void sigchld_plain_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	note_stops();
	(void) reap_exits();
}

void reap_init(struct ev_loop *l, const struct reap_hooks *h)
{
	loop = l;
	hooks = h;
	ev_init(&stop_sweep, stop_sweep_cb);
	/* SIGCHLD blocked in this thread (every other thread of droverd blocks every signal), read
	 * from a signalfd; each child clears its mask before its exec. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) == 0)
		sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd >= 0) {
		ev_io_init(&sig_io, sigchld_cb, sigfd, EV_READ);
		ev_set_priority(&sig_io, EV_MAXPRI - 1);
		ev_io_start(loop, &sig_io);
		return;
	}
	log_warn("signalfd: %s: every SIGCHLD looks for stopped children", strerror(errno));
	(void) sigprocmask(SIG_UNBLOCK, &chld, NULL);
	ev_signal_init(&sig_w, sigchld_plain_cb, SIGCHLD);
	ev_set_priority(&sig_w, EV_MAXPRI - 1);
	ev_signal_start(loop, &sig_w);
}

static size_t bucket_of(pid_t pid, size_t n)
{
	return ((size_t) pid * 2654435761u) & (n - 1);
}

static void table_grow(void)
{
	size_t n = nbuckets ? nbuckets * 2 : 64;
	struct child **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < nbuckets; i++)
		for (struct child *c = buckets[i], *next; c; c = next) {
			next = c->hnext;
			size_t k = bucket_of(c->pid, n);
			c->hnext = b[k];
			b[k] = c;
		}
	free(buckets);
	buckets = b;
	nbuckets = n;
}

static struct child *child_find(pid_t pid)
{
	if (!nbuckets)
		return NULL;
	for (struct child *c = buckets[bucket_of(pid, nbuckets)]; c; c = c->hnext)
		if (c->pid == pid)
			return c;
	return NULL;
}

static void child_unlink(struct child *c)
{
	for (struct child **pp = &buckets[bucket_of(c->pid, nbuckets)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			nchildren--;
			return;
		}
}

static void child_free(struct child *c)
{
	if (c->watch)
		ev_io_stop(loop, &c->io);
	if (c->fd >= 0)
		(void) close(c->fd);
	free(c);
}

/* The wait status waitpid() would have given for a waitid() answer. */
static int wstatus_of(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return 0;
	}
}

/* A watched child whose pidfd is readable: reap it and hand its exit to its owner. Returns 1 when
 * an owner got it, 0 otherwise (not exited after all, nobody's). */
static unsigned watched_reap(struct child *c)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t) c->fd, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0) {
		if (errno == EINTR)
			return 0;   /* level-triggered: next iteration */
		log_error("waitid(pidfd of %d): %s", (int) c->pid, strerror(errno));
		child_unlink(c);
		child_free(c);
		return 0;
	}
	if (si.si_pid == 0)
		return 0;   /* not exited after all */
	pid_t pid = c->pid;
	struct reap_owner *owner = hooks->exiting(pid);
	int r;
	do {
		memset(&si, 0, sizeof(si));
		r = waitid(P_PIDFD, (id_t) c->fd, &si, WEXITED | WNOHANG | __WALL);
	} while (r < 0 && errno == EINTR);
	if (r < 0 || si.si_pid == 0) {
		log_error("waitid(pidfd of %d): %s", (int) pid, r < 0 ? strerror(errno) : "not reaped");
		return 0;
	}
	ev_io_stop(loop, &c->io);
	c->watch = false;
	child_unlink(c);
	/* The pidfd stays open through the hooks: whoever borrowed it may still use it there. */
	if (owner) {
		if (owner->ops->reaped)
			owner->ops->reaped(owner, pid);
		owner->ops->exited(owner, pid, wstatus_of(&si));
	} else {
		log_debug("reaped unknown pid %d", (int) pid);
	}
	child_free(c);
	return owner != NULL;
}

static void watch_cb(struct ev_loop *l, ev_io *w, int revents)
{
	(void) watched_reap(container_of(w, struct child, io));
}

/* Teardown: the watched children that exited while nothing ran the loop. */
static unsigned reap_watched_now(void)
{
	struct child **v = NULL;
	size_t n = 0;
	unsigned claimed = 0;
	for (size_t i = 0; i < nbuckets; i++)
		for (struct child *c = buckets[i]; c; c = c->hnext)
			if (c->watch) {
				v = xrealloc(v, n + 1, sizeof(*v));
				v[n++] = c;
			}
	for (size_t i = 0; i < n; i++)   /* each owner may release others' entries: look them up again */
		if (child_find(v[i]->pid) == v[i])
			claimed += watched_reap(v[i]);
	free(v);
	return claimed;
}

int reap_adopt(pid_t pid, int pidfd, bool watch)
{
	if (pidfd < 0)
		return watch ? -EBADF : 0;
	if (nchildren >= nbuckets)
		table_grow();
	struct child *c = xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->fd = pidfd;
	c->watch = watch;
	size_t k = bucket_of(pid, nbuckets);
	c->hnext = buckets[k];
	buckets[k] = c;
	nchildren++;
	if (watch) {
		ev_io_init(&c->io, watch_cb, pidfd, EV_READ);
		ev_io_start(loop, &c->io);
	}
	return 0;
}

/* Stops and continues (SIGSTOP/SIGCONT of a worker): recorded, never acted upon: a stopped
 * worker is alive and is not restarted. These events are consumed here; exits are not. Every
 * child of every thread (__WALL): a scan of all of them, on a stop's SIGCHLD or a sweep. */
static void note_stops(void)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WSTOPPED | WCONTINUED | WNOHANG | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (si.si_pid == 0)
			return;
		hooks->stopped(si.si_pid, si.si_code == CLD_STOPPED || si.si_code == CLD_TRAPPED ? si.si_status : 0);
	}
}

/* Reap in two passes: first collect every child that is dead now (its group cleaned up while
 * its pid is still reserved, its owner told at once that the pid is gone), then act on the
 * exits. Acting (a respawn) inside the collecting loop would let a crash loop whose children die
 * at once keep it busy forever, starving the event loop; children that die meanwhile are the
 * next SIGCHLD's business. In the second pass every pid of the batch is free, and a respawn may
 * take one that a later entry still carries: each exit goes to the owner that claimed it, never
 * to whoever has its pid by then. */
struct reaped {
	struct reap_owner *owner;
	pid_t pid;
	int wstatus;
	struct child *held;   /* its pidfd, out of the table (a respawn may get the same pid) */
};

unsigned reap_children(void)
{
	note_stops();
	unsigned n = reap_exits();
	return n + reap_watched_now();
}

static unsigned reap_exits(void)
{
	struct reaped *v = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		/* The main thread's children only (__WNOTHREAD): not the spawn thread's (the helpers and
		 * their workers), each of which is reaped from its pidfd. */
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WNOTHREAD) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_error("waitid: %s", strerror(errno));
			break;
		}
		if (si.si_pid == 0)
			break;   /* children exist, none has exited */

		pid_t pid = si.si_pid;
		struct reap_owner *owner = hooks->exiting(pid);

		int wstatus;
		pid_t r;
		do
			r = waitpid(pid, &wstatus, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			log_error("waitpid(%d): %s", (int) pid, r < 0 ? strerror(errno) : "not reaped");
			break;
		}
		struct child *held = child_find(pid);
		if (held)
			child_unlink(held);
		if (!owner) {
			log_debug("reaped unknown pid %d", (int) pid);
			if (held)
				child_free(held);
			continue;
		}
		if (owner->ops->reaped)
			owner->ops->reaped(owner, pid);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap, sizeof(*v));
		}
		v[n] = (struct reaped) { owner, pid, wstatus, held };
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].owner->ops->exited(v[i].owner, v[i].pid, v[i].wstatus);
		if (v[i].held)   /* its pidfd was lent through the hooks */
			child_free(v[i].held);
	}
	free(v);
	return (unsigned) n;
}

void reap_shutdown(void)
{
	ev_timer_stop(loop, &stop_sweep);
	if (sigfd >= 0) {
		ev_io_stop(loop, &sig_io);
		(void) close(sigfd);
		sigfd = -1;
	} else {
		ev_signal_stop(loop, &sig_w);
	}
	for (size_t i = 0; i < nbuckets; i++)
		for (struct child *c = buckets[i], *next; c; c = next) {
			next = c->hnext;
			child_free(c);
		}
	free(buckets);
	buckets = NULL;
	nbuckets = nchildren = 0;
}
