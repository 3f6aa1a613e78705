/* droverd's side of spawning (see spawn.h).
 *
 * Why a helper process: a child created by droverd itself gets a copy of droverd's descriptor
 * table (a pidfd, and pipes for logged workers: thousands at scale) and closes it again at exec:
 * two O(N) steps per spawn, so a mass crash cost O(N^2). The helper holds a handful of
 * descriptors, so a spawn costs the same at any N. And every lookup a start makes on a
 * config-named path (the command, the directory, environment files, the user) happens there, so
 * a filesystem that stops answering holds up one helper, never droverd's loop.
 *
 * Who is whose child: the helpers are created by a thread of droverd's that does nothing else
 * (the spawn parent), and create workers with CLONE_PARENT, so a worker's parent is that thread.
 * Two consequences droverd relies on: orphans adopted by droverd (as child subreaper) go to its
 * main thread, whose children list therefore holds orphans only (killtree reads it after every
 * exit: O(orphans), not O(N)); and the reaper's waitid(P_ALL, __WNOTHREAD) on SIGCHLD looks at
 * the main thread's children only, while each worker is reaped from its own pidfd: an exit costs
 * the same at any N too.
 *
 * One request per helper at a time: a request queued behind one stuck on a hung path would be
 * stuck too, and could not be taken back from that helper. A helper is busy until its child has
 * exec'd (EOF on the child's exec-status pipe) or it says it could not make one. Two helpers
 * work at once on machines with two cores or more, and one more for what waits whenever a request
 * in flight has taken over a second (stuck on a path?). A request not done within SPAWN_DEADLINE_S
 * is given up with its helper (sent SIGKILL; its socket is read until it closes, so a child that
 * reports late is found and killed, never left running unknown). */
#include "os/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define stack_fresh(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define stack_fresh(p, n) ((void) (p), (void) (n))
#endif

#include "os/log.h"
#include "os/reap.h"
#include "os/spawn-child.h"
#include "os/spawn-helper.h"
#include "os/spawn-wire.h"
#include "util.h"

#define HELPERS_MAX        8     /* helpers alive at once, those given up on included */
#define SPAWN_SLOW_NS      (1 * NSEC_PER_SEC)   /* a request this old is likely stuck on a path */
#define TRIES_MAX          3     /* a request whose helper died under it this often fails */
#define HELPER_DEATHS_MAX  3     /* helpers in a row that died before serving: spawn in-process */
#define PARENT_STACK       (64 * 1024)

extern char **environ;

struct helper {
	struct helper *next;
	int sock;                    /* requests out; STARTED (from its children) and FAILED in */
	ev_io io;
	pid_t pid;
	int pidfd;                   /* ours, for SIGKILL (the reaper holds its own) */
	struct spawn_job *job;       /* the one request it works on, NULL: idle */
	bool retired;                /* given up on: no more requests, read until its socket closes */
	bool served;                 /* finished a request (tells a crash loop from a death) */
};

enum job_state { JOB_QUEUED, JOB_SENT, JOB_STARTED };

struct spawn_job {
	struct spawn_job *next;      /* the queue, or the jobs in flight */
	uint32_t id;
	enum job_state state;
	const struct spawn_ops *ops; /* NULL: cancelled */
	void *ctx;
	/* what to send (helper), and the descriptors until a child has its own */
	struct spawn_wire_head head;
	char *payload;
	size_t len;
	int fds[SPAWN_FDS_MAX];
	int target[SPAWN_FDS_MAX];
	size_t nfds;
	char what[192];              /* "command X, directory Y": for a deadline's message */
	struct helper *helper;
	unsigned tries;
	uint64_t deadline_ns;        /* 0: none (in-process) */
	/* once the child exists */
	pid_t pid;
	int pidfd;                   /* lent by the reaper */
	int status_fd;
	ev_io status_io;
};

static struct ev_loop *loop;
static bool use_helper;
static unsigned busy_max = 1;
static struct helper *helpers;
static size_t nhelpers;
static unsigned helper_deaths;
static struct spawn_job *queue_head, *queue_tail, *inflight;
static uint32_t next_id;
static ev_timer deadline_timer;
static unsigned long child_nofile;
static int devnull = -1;
static char instance[64];

void spawn_set_child_nofile(unsigned long soft)
{
	child_nofile = soft;
}

/* ---- the spawn parent thread ------------------------------------------------------------------ */

/* It creates the helpers, so that they and their children (the workers) are its children. The
 * main thread asks (one byte on cmd) and waits for the answer (one byte on res); the fields in
 * between are written by one side before its byte and read by the other after it. */
static struct {
	bool running;
	pthread_t thread;
	int cmd[2], res[2];
	int exe_fd;                  /* droverd's binary, run as the helper */
	int devnull;
	void *stack;                 /* for the vfork child that execs the helper */
	int sock;                    /* in: the helper's end of its socket */
	char *argv[6];
	char arg_pid[24], arg_nofile[24], arg_name[64];
	pid_t pid;                   /* out */
	int pidfd;
	int err;
} pt = { .cmd = { -1, -1 }, .res = { -1, -1 }, .exe_fd = -1, .devnull = -1 };

/* The vfork child of the spawn thread: the helper's socket on 3, /dev/null on 0 and 1, then
 * droverd's binary in helper mode. It shares droverd's memory while the main thread runs: it
 * only makes system calls with what the thread prepared. */
SPAWN_CHILD_CODE static int helper_exec_child(void *arg)
{
	int s = pt.sock;
	if (s == SPAWN_HELPER_FD ? fcntl(s, F_SETFD, 0) < 0 : dup2(s, SPAWN_HELPER_FD) < 0)
		goto fail;
	if (dup2(pt.devnull, 0) < 0 || dup2(pt.devnull, 1) < 0)
		goto fail;
	(void) close_range(SPAWN_HELPER_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	syscall(SYS_execveat, pt.exe_fd, "", pt.argv, environ, AT_EMPTY_PATH);
fail:
	pt.err = errno ? errno : EIO;
	_exit(127);
}

static void parent_make_helper(void)
{
	int pidfd = -1;
	pt.err = 0;
	pt.pid = 0;
	pt.pidfd = -1;
	stack_fresh(pt.stack, PARENT_STACK);   /* the last child's frames, for ASan */
	pid_t pid = clone(helper_exec_child, (char *) pt.stack + PARENT_STACK,
	                  CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, NULL, &pidfd);
	if (pid < 0) {
		pt.err = errno;
		return;
	}
	if (pt.err) {   /* the exec failed and the child is gone: reap it (nobody else waits for it) */
		siginfo_t si;
		(void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | __WALL);
		close(pidfd);
		return;
	}
	pt.pid = pid;
	pt.pidfd = pidfd;
}

static void *parent_thread(void *arg)
{
	for (;;) {
		char c;
		ssize_t n = read(pt.cmd[0], &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		parent_make_helper();
		do
			n = write(pt.res[1], &c, 1);
		while (n < 0 && errno == EINTR);
	}
}

static int parent_start(void)
{
	pt.exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	pt.devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	pt.stack = mmap(NULL, PARENT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (pt.exe_fd < 0 || pt.devnull < 0 || pt.stack == MAP_FAILED || pipe2(pt.cmd, O_CLOEXEC) < 0 ||
	    pipe2(pt.res, O_CLOEXEC) < 0)
		return -errno;
	/* Every signal blocked in the thread (it inherits the mask): they are the main thread's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	int r = pthread_create(&pt.thread, &attr, parent_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	pt.running = true;
	return 0;
}

/* Ask the spawn thread for a helper on socket end sock: 0 with *pid, *pidfd, or -errno. */
static int parent_ask(int sock, pid_t *ret_pid, int *ret_pidfd)
{
	pt.sock = sock;
	snprintf(pt.arg_pid, sizeof(pt.arg_pid), "%d", (int) getpid());
	snprintf(pt.arg_nofile, sizeof(pt.arg_nofile), "%lu", child_nofile);
	snprintf(pt.arg_name, sizeof(pt.arg_name), "%s", instance);
	pt.argv[0] = (char *) "droverd";
	pt.argv[1] = (char *) SPAWN_HELPER_ARG;
	pt.argv[2] = pt.arg_pid;
	pt.argv[3] = pt.arg_nofile;
	pt.argv[4] = pt.arg_name;
	pt.argv[5] = NULL;
	char c = 'h';
	ssize_t n;
	do
		n = write(pt.cmd[1], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -EPIPE;
	/* The thread answers once the helper has exec'd: a few milliseconds, unless droverd's own
	 * binary sits on a hung filesystem; then the thread is lost and droverd spawns itself. */
	struct pollfd p = { .fd = pt.res[0], .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, 5000);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		pt.running = false;
		return -ETIMEDOUT;
	}
	do
		n = read(pt.res[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return -EPIPE;
	if (pt.err)
		return -pt.err;
	*ret_pid = pt.pid;
	*ret_pidfd = pt.pidfd;
	return 0;
}

/* ---- jobs ------------------------------------------------------------------------------------- */

static void close_fds(struct spawn_job *j)
{
	for (size_t i = 0; i < j->nfds; i++)
		if (j->fds[i] >= 0)
			(void) close(j->fds[i]);
	j->nfds = 0;
}

static void job_free(struct spawn_job *j)
{
	close_fds(j);
	if (j->status_fd >= 0) {
		ev_io_stop(loop, &j->status_io);
		(void) close(j->status_fd);
	}
	free(j->payload);
	free(j);
}

static void list_remove(struct spawn_job **head, struct spawn_job *j)
{
	for (struct spawn_job **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			return;
		}
}

static void queue_push(struct spawn_job *j, bool front)
{
	j->state = JOB_QUEUED;
	j->next = NULL;
	if (!queue_head) {
		queue_head = queue_tail = j;
	} else if (front) {
		j->next = queue_head;
		queue_head = j;
	} else {
		queue_tail->next = j;
		queue_tail = j;
	}
}

static struct spawn_job *queue_pop(void)
{
	struct spawn_job *j = queue_head;
	if (j) {
		queue_head = j->next;
		if (!queue_head)
			queue_tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void queue_remove(struct spawn_job *j)
{
	struct spawn_job *prev = NULL;
	for (struct spawn_job *x = queue_head; x; prev = x, x = x->next)
		if (x == j) {
			if (prev)
				prev->next = x->next;
			else
				queue_head = x->next;
			if (queue_tail == x)
				queue_tail = prev;
			x->next = NULL;
			return;
		}
}

/* When a request in flight turns slow (SPAWN_SLOW_NS after it was sent). */
static uint64_t slow_at(const struct spawn_job *j)
{
	return j->deadline_ns - (uint64_t) SPAWN_DEADLINE_S * NSEC_PER_SEC + SPAWN_SLOW_NS;
}

/* The timer wakes at the first deadline, and while requests wait in the queue also when a
 * request in flight turns slow: then dispatch() may start another helper for them. */
static void deadline_rearm(void)
{
	uint64_t first = 0, now = now_mono_ns();
	for (struct spawn_job *j = inflight; j; j = j->next) {
		if (!j->deadline_ns)
			continue;
		uint64_t t = j->deadline_ns;
		if (queue_head && slow_at(j) > now && slow_at(j) < t)
			t = slow_at(j);
		if (!first || t < first)
			first = t;
	}
	ev_timer_stop(loop, &deadline_timer);
	if (!first)
		return;
	ev_timer_set(&deadline_timer, first > now ? (double) (first - now) / 1e9 : 0., 0.);
	ev_timer_start(loop, &deadline_timer);
}

/* The final answers. The job has left every list; it is freed after the callback. */
static void job_failed(struct spawn_job *j, int err, const char *reason)
{
	if (j->ops)
		j->ops->failed(j->ctx, err, reason);
	job_free(j);
}

static void helper_retire(struct helper *h, const char *why);
static void dispatch(void);

/* The child's exec answer: EOF (exec'd), or its failure record. */
static void job_exec_answer(struct spawn_job *j, bool now)
{
	struct spawn_failure f;
	int r = spawn_failure_read(j->status_fd, &f);
	if (r == -EAGAIN && !now)
		return;
	list_remove(&inflight, j);
	struct helper *h = j->helper;
	if (h && h->job == j) {   /* the helper's clone has returned: it is free */
		h->job = NULL;
		h->served = true;
		helper_deaths = 0;
	}
	j->helper = NULL;
	if (j->ops) {
		if (r == 0 || r == -EAGAIN)
			j->ops->exec(j->ctx, 0, SPAWN_STAGE_EXEC, NULL);
		else if (r == 1)
			j->ops->exec(j->ctx, f.err, (enum spawn_stage) f.stage, f.text);
		else {
			char text[SPAWN_TEXT_MAX];
			snprintf(text, sizeof(text), "spawn error: reading the exec status: %s", strerror(-r));
			j->ops->exec(j->ctx, -r, SPAWN_STAGE_EXEC, text);
		}
	}
	job_free(j);
	deadline_rearm();
	dispatch();
}

static void status_cb(struct ev_loop *l, ev_io *w, int revents)
{
	job_exec_answer(container_of(w, struct spawn_job, status_io), false);
}

/* The child exists: pid, its pidfd (handed to the reaper) and its exec-status pipe. */
static void job_started(struct spawn_job *j, pid_t pid, int pidfd, int status_fd, bool watch)
{
	(void) reap_adopt(pid, pidfd, watch);
	close_fds(j);
	j->state = JOB_STARTED;
	j->pid = pid;
	j->pidfd = pidfd;
	j->status_fd = status_fd;
	ev_io_init(&j->status_io, status_cb, status_fd, EV_READ);
	ev_io_start(loop, &j->status_io);
	if (!j->ops) {   /* cancelled meanwhile */
		(void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		return;
	}
	j->ops->started(j->ctx, pid, pidfd);
}

/* ---- in-process spawning (no helper) ---------------------------------------------------------- */

/* vfork() in a frame of its own: the child never returns here, and the caller's locals are out
 * of the borrowed frame's way. */
static __attribute__((noinline)) pid_t vfork_child(const struct spawn_order *o, int status_fd)
{
	pid_t pid = vfork();
	if (pid == 0)
		spawn_order_exec(o, status_fd);
	return pid;
}

static struct spawn_job *run_inprocess(struct spawn_job *j, const struct spawn_wire_req *req)
{
	struct spawn_order o = {
		.req = *req, .nfds = j->nfds, .devnull = devnull, .parent = getpid(), .reset_signals = true, .nofile = child_nofile,
		.report_sock = -1,
	};
	memcpy(o.fd, j->fds, sizeof(o.fd));
	memcpy(o.target, j->target, sizeof(o.target));
	struct spawn_failure f;
	int r = spawn_order_prepare(&o, &f);
	if (r < 0) {
		spawn_order_clear(&o);
		job_failed(j, -r, f.text);
		return NULL;
	}
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) < 0) {
		r = errno;
		spawn_order_clear(&o);
		snprintf(f.text, sizeof(f.text), "spawn error: pipe: %s", strerror(r));
		job_failed(j, r, f.text);
		return NULL;
	}
	/* Every signal blocked across vfork(): until the child has reset its dispositions, a
	 * signal would run droverd's handler in the child (and be lost). */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = vfork_child(&o, sp[1]);
	r = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	(void) close(sp[1]);
	spawn_order_clear(&o);
	if (pid < 0) {
		(void) close(sp[0]);
		snprintf(f.text, sizeof(f.text), "spawn error: fork: %s", strerror(r));
		job_failed(j, r, f.text);
		return NULL;
	}
	j->next = inflight;
	inflight = j;
	/* A child of the main thread: reaped on SIGCHLD with the others; its pidfd for signals only. */
	job_started(j, pid, (int) pidfd_open(pid, 0), sp[0], false);
	return j;
}

/* A queued request spawned here after all (the helpers gave out): read back from its payload. */
static void run_inprocess_packed(struct spawn_job *j)
{
	struct spawn_wire_req req;
	if (spawn_wire_unpack(&j->head, j->payload, j->len, &req) < 0) {
		job_failed(j, EBADMSG, "spawn error: malformed request");
		return;
	}
	j->state = JOB_QUEUED;
	(void) run_inprocess(j, &req);
	spawn_wire_req_clear(&req);
}

/* ---- helpers ---------------------------------------------------------------------------------- */

static size_t helpers_working(void)
{
	size_t n = 0;
	for (struct helper *h = helpers; h; h = h->next)
		n += !h->retired;
	return n;
}

/* Helpers that count against busy_max: working, and not on a request that has turned slow. A
 * request stuck on a path that never answers keeps its helper until the deadline; the requests
 * queued behind it get another helper instead of waiting for that (up to HELPERS_MAX). */
static size_t helpers_busy_now(void)
{
	uint64_t now = now_mono_ns();
	size_t n = 0;
	for (struct helper *h = helpers; h; h = h->next)
		n += !h->retired && !(h->job && h->job->deadline_ns && slow_at(h->job) <= now);
	return n;
}

static void helper_cb(struct ev_loop *l, ev_io *w, int revents);

static struct helper *helper_new(void)
{
	if (!pt.running || nhelpers >= HELPERS_MAX)
		return NULL;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("spawn helper: socketpair: %s", strerror(errno));
		return NULL;
	}
	pid_t pid = 0;
	int pidfd = -1;
	int r = parent_ask(sv[1], &pid, &pidfd);
	(void) close(sv[1]);
	if (r < 0) {
		static uint64_t warned_ns;
		uint64_t now = now_mono_ns();
		(void) close(sv[0]);
		if (!warned_ns || now - warned_ns >= 60 * NSEC_PER_SEC) {
			warned_ns = now;
			log_warn("cannot start a spawn helper: %s (spawning in droverd itself meanwhile)", strerror(-r));
		}
		return NULL;
	}
	int fl = fcntl(sv[0], F_GETFL);
	(void) fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
	struct helper *h = xcalloc(1, sizeof(*h));
	h->sock = sv[0];
	h->pid = pid;
	h->pidfd = pidfd;
	(void) reap_adopt(pid, fcntl(pidfd, F_DUPFD_CLOEXEC, 3), true);
	ev_io_init(&h->io, helper_cb, h->sock, EV_READ);
	ev_io_start(loop, &h->io);
	h->next = helpers;
	helpers = h;
	nhelpers++;
	log_debug("spawn helper started: pid %d", (int) pid);
	return h;
}

static void helper_retire(struct helper *h, const char *why)
{
	if (h->retired)
		return;
	h->retired = true;
	log_warn("spawn helper %d: %s: giving it up", (int) h->pid, why);
	(void) pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
}

/* Its socket closed: the helper and every child it made are past the point of reporting. */
static void helper_gone(struct helper *h)
{
	ev_io_stop(loop, &h->io);
	(void) close(h->sock);
	(void) close(h->pidfd);
	for (struct helper **pp = &helpers; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	nhelpers--;
	struct spawn_job *j = h->job;
	if (j) {
		j->helper = NULL;
		if (j->state == JOB_SENT) {   /* no child will report for it: send it again */
			list_remove(&inflight, j);
			j->deadline_ns = 0;
			if (!j->ops)
				job_free(j);
			else if (++j->tries >= TRIES_MAX)
				job_failed(j, EPIPE, "spawn error: the spawn helper died while working on this request");
			else
				queue_push(j, true);
		}
	}
	if (!h->retired && !h->served && ++helper_deaths >= HELPER_DEATHS_MAX && use_helper) {
		log_warn("spawn helpers die before serving a request: spawning in droverd itself from now on");
		use_helper = false;
	}
	if (!h->retired)
		log_warn("spawn helper %d is gone", (int) h->pid);
	free(h);
	deadline_rearm();
}

static int send_job(struct helper *h, struct spawn_job *j)
{
	int fds[SPAWN_FDS_MAX + 1], memfd = -1;
	size_t n = j->nfds;
	memcpy(fds, j->fds, n * sizeof(int));
	struct iovec iov[2] = { { &j->head, sizeof(j->head) }, { j->payload, j->len } };
	int niov = 2;
	j->head.flags &= ~SPAWN_WIRE_MEMFD;
	if (j->len > SPAWN_INLINE_MAX) {
		memfd = memfd_create("drover-spawn", MFD_CLOEXEC);
		if (memfd < 0)
			return -errno;
		size_t off = 0;
		while (off < j->len) {
			ssize_t w = write(memfd, j->payload + off, j->len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int r = w < 0 ? -errno : -EIO;
				close(memfd);
				return r;
			}
			off += (size_t) w;
		}
		fds[n++] = memfd;
		j->head.flags |= SPAWN_WIRE_MEMFD;
		niov = 1;
	}
	union { char buf[CMSG_SPACE(sizeof(int) * (SPAWN_FDS_MAX + 1))]; struct cmsghdr align; } u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t) niov };
	if (n) {
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	ssize_t r;
	do
		r = sendmsg(h->sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	int err = errno;
	if (memfd >= 0)
		close(memfd);
	return r < 0 ? -err : 0;
}

/* Hand queued requests to free helpers (starting helpers up to busy_max). */
static void dispatch(void)
{
	while (queue_head) {
		if (!use_helper) {   /* the helpers gave out: what waits is spawned here */
			struct spawn_job *j = queue_pop();
			run_inprocess_packed(j);
			continue;
		}
		struct helper *h = NULL;
		for (struct helper *x = helpers; x && !h; x = x->next)
			if (!x->retired && !x->job)
				h = x;
		if (!h && helpers_busy_now() < busy_max)
			h = helper_new();
		if (!h && helpers_working() == 0) {   /* none could be started: spawn here meanwhile */
			run_inprocess_packed(queue_pop());
			continue;
		}
		if (!h)
			return;
		struct spawn_job *j = queue_pop();
		int r = send_job(h, j);
		if (r < 0) {
			queue_push(j, true);
			helper_retire(h, strerror(-r));
			continue;
		}
		j->state = JOB_SENT;
		j->helper = h;
		h->job = j;
		j->deadline_ns = now_mono_ns() + (uint64_t) SPAWN_DEADLINE_S * NSEC_PER_SEC;
		j->next = inflight;
		inflight = j;
		deadline_rearm();
	}
}

/* Answers on a helper's socket: STARTED from a child it made, FAILED from the helper. */
static void helper_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct helper *h = container_of(w, struct helper, io);
	for (int round = 0; round < 64; round++) {
		struct spawn_wire_head hd;
		char text[SPAWN_TEXT_MAX + 1];
		union { char buf[CMSG_SPACE(sizeof(int) * 4)]; struct cmsghdr align; } u;
		struct iovec iov[2] = { { &hd, sizeof(hd) }, { text, sizeof(text) - 1 } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		ssize_t n;
		do
			n = recvmsg(h->sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			helper_gone(h);
			dispatch();
			return;
		}
		int fds[4];
		size_t nfds = spawn_wire_take_fds(&m, fds, ELEMENTSOF(fds));
		struct spawn_job *j = NULL;
		for (struct spawn_job *x = inflight; x && !j; x = x->next)
			if (x->id == hd.id && x->state == JOB_SENT && x->helper == h)
				j = x;
		bool ok = n >= (ssize_t) sizeof(hd) && hd.magic == SPAWN_WIRE_MAGIC;
		if (ok && hd.type == SPAWN_WIRE_STARTED && nfds == 2 && hd.pid > 0) {
			if (j) {
				job_started(j, hd.pid, fds[0], fds[1], true);
			} else {
				/* For a request given up already: not wanted, never left running unknown. */
				(void) reap_adopt(hd.pid, fds[0], true);
				(void) pidfd_send_signal(fds[0], SIGKILL, NULL, 0);
				(void) close(fds[1]);
			}
			continue;
		}
		for (size_t i = 0; i < nfds; i++)
			(void) close(fds[i]);
		if (ok && hd.type == SPAWN_WIRE_FAILED && j) {
			size_t tl = (size_t) n - sizeof(hd);
			text[tl < sizeof(text) ? tl : sizeof(text) - 1] = '\0';
			list_remove(&inflight, j);
			h->job = NULL;
			h->served = true;
			j->helper = NULL;
			job_failed(j, hd.err > 0 ? hd.err : EIO, text[0] ? text : "spawn error");
			deadline_rearm();
			dispatch();
			continue;
		}
		if (!ok)
			log_warn("spawn helper %d: malformed answer (%zd bytes)", (int) h->pid, n);
	}
}

/* Requests past their deadline: given up, with their helpers. */
static void deadline_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	uint64_t now = now_mono_ns();
	for (struct spawn_job *j = inflight, *next; j; j = next) {
		next = j->next;
		if (!j->deadline_ns || j->deadline_ns > now)
			continue;
		char text[SPAWN_TEXT_MAX];
		list_remove(&inflight, j);
		struct helper *h = j->helper;
		j->helper = NULL;
		if (h) {
			h->job = NULL;
			helper_retire(h, "a request took too long");
		}
		if (j->state == JOB_SENT) {
			snprintf(text, sizeof(text), "spawn error: no answer within %d s (a hung filesystem? %.120s)",
			         SPAWN_DEADLINE_S, j->what);
			job_failed(j, ETIMEDOUT, text);
			continue;
		}
		/* Its child exists but never reached exec: it waits on a path that does not answer,
		 * perhaps unkillable until it does. SIGKILL is pending for it; the reaper takes it
		 * whenever it dies. */
		(void) pidfd_send_signal(j->pidfd, SIGKILL, NULL, 0);
		snprintf(text, sizeof(text), "spawn error: pid %d did not reach exec within %d s (a hung filesystem? %.120s)",
		         (int) j->pid, SPAWN_DEADLINE_S, j->what);
		if (j->ops)
			j->ops->abandoned(j->ctx, text);
		job_free(j);
	}
	deadline_rearm();
	dispatch();
}

/* ---- the interface ---------------------------------------------------------------------------- */

struct spawn_job *spawn_submit(const struct spawn_request *req, const struct spawn_ops *ops, void *ctx)
{
	struct spawn_job *j = xcalloc(1, sizeof(*j));
	j->id = ++next_id;
	j->ops = ops;
	j->ctx = ctx;
	j->status_fd = -1;
	j->pidfd = -1;
	for (int i = 0; i < 3; i++)
		if (req->stdio[i] >= 0) {
			j->fds[j->nfds] = req->stdio[i];
			j->target[j->nfds++] = i;
		}
	for (size_t i = 0; i < req->nextra; i++) {
		if (j->nfds < SPAWN_FDS_MAX && req->extra[i].target > 2) {
			j->fds[j->nfds] = req->extra[i].fd;
			j->target[j->nfds++] = req->extra[i].target;
		} else {
			(void) close(req->extra[i].fd);
		}
	}
	snprintf(j->what, sizeof(j->what), "command %s%s%s", req->argv[0], req->directory ? ", directory " : "",
	         req->directory ? req->directory : "");
	struct spawn_wire_req wr = { .argv = req->argv, .env = req->env, .directory = req->directory, .user = req->user,
	                             .environment_file = req->environment_file, .daemon_user = req->daemon_user,
	                             .umask = req->umask };
	if (!use_helper)
		return run_inprocess(j, &wr);
	int r = spawn_wire_pack(&wr, j->id, &j->head, &j->payload, &j->len);
	if (r < 0) {
		job_failed(j, -r, "spawn error: the command line and environment are too large");
		return NULL;
	}
	j->head.nfds = (uint32_t) j->nfds;
	for (size_t i = 0; i < j->nfds; i++)
		j->head.target[i] = j->target[i];
	queue_push(j, false);
	dispatch();
	return j;
}

void spawn_cancel(struct spawn_job *j)
{
	if (!j)
		return;
	j->ops = NULL;
	switch (j->state) {
	case JOB_QUEUED:
		queue_remove(j);
		job_free(j);
		break;
	case JOB_SENT:       /* its child, if one comes, is killed when it reports */
		break;
	case JOB_STARTED:    /* the helper stays busy until the child is gone */
		(void) pidfd_send_signal(j->pidfd, SIGKILL, NULL, 0);
		if (j->pidfd < 0)
			(void) kill(j->pid, SIGKILL);   /* unreaped: the pid is still this child's */
		break;
	}
}

void spawn_settle(struct spawn_job *j)
{
	if (j && j->state == JOB_STARTED)
		job_exec_answer(j, true);
}

int spawn_init(struct ev_loop *l, const char *name)
{
	loop = l;
	strcpy_bounded(instance, sizeof(instance), name);
	ev_init(&deadline_timer, deadline_cb);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (devnull < 0)
		return -errno;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	busy_max = ncpu >= 2 ? 2 : 1;

	const char *why = NULL;
	char buf[128];
	const char *env = getenv("DROVER_SPAWN_HELPER");
	int pfd = (int) pidfd_open(getpid(), 0);
	if (env && strcmp(env, "0") == 0)
		why = "DROVER_SPAWN_HELPER=0";
	else if (pfd < 0)
		why = "pidfds are not supported here";
	if (pfd >= 0)
		(void) close(pfd);
	int r;
	if (!why && (r = parent_start()) < 0) {
		snprintf(buf, sizeof(buf), "cannot start the spawn thread: %s", strerror(-r));
		why = buf;
	}
	if (!why) {
		use_helper = true;
		if (!helper_new()) {
			use_helper = false;
			why = "the spawn helper did not start";
		}
	}
	if (why)
		log_info("spawning in droverd itself (%s): a hung path in a start blocks droverd", why);
	else
		log_debug("spawning through a helper process");
	return 0;
}

void spawn_shutdown(void)
{
	struct spawn_job *j;
	while ((j = queue_pop()))
		job_free(j);
	while ((j = inflight)) {
		inflight = j->next;
		job_free(j);
	}
	ev_timer_stop(loop, &deadline_timer);
	/* Each helper reads EOF and exits; wait a little for it (one stuck on a hung path is left). */
	uint64_t until = now_mono_ns() + NSEC_PER_SEC;
	while (helpers) {
		struct helper *h = helpers;
		helpers = h->next;
		ev_io_stop(loop, &h->io);
		(void) close(h->sock);
		struct pollfd p = { .fd = h->pidfd, .events = POLLIN };
		uint64_t now = now_mono_ns();
		if (now < until)
			(void) poll(&p, 1, (int) ((until - now) / NSEC_PER_MSEC));
		/* Reaped by the reaper, which holds it too (a waitid() here left the reaper's entry to
		 * fail with ECHILD at droverd's last reap). */
		(void) close(h->pidfd);
		free(h);
	}
	nhelpers = 0;
	if (devnull >= 0)
		(void) close(devnull);
	devnull = -1;
}

int spawn_check_user(const char *user, char *err, size_t errsize)
{
	return spawn_order_check_user(user, err, errsize);
}
