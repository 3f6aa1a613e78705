/* The spawn helper process. It holds a handful of descriptors and a small memory, so creating a
 * child here costs the same whatever droverd holds; each child is created with
 * clone(CLONE_VM | CLONE_VFORK | CLONE_PARENT): it borrows the helper's memory until its exec (no
 * copy), and its parent is droverd's, so droverd reaps and signals it as any child of its own.
 * The helper serves one request at a time: droverd never queues a second one here, so a request
 * stuck on a hung path holds up nothing but itself (droverd gives up on it and on this helper).
 *
 * What may allocate (the environment, the user, the command lookup) runs in the child, on the
 * helper's heap: the helper is single-threaded and waits meanwhile, and frees what the child left
 * once the clone returns. A child killed in the middle of that could leave the heap torn, so a
 * child that did not get past it makes the helper exit (droverd starts another one). */
#include "os/spawn-helper.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define stack_fresh(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define stack_fresh(p, n) ((void) (p), (void) (n))
#endif

#include "os/spawn-child.h"
#include "os/spawn-wire.h"
#include "util.h"

#define CHILD_STACK   (1024 * 1024)   /* the child's stack until exec (environment files, NSS) */
#define TARGET_MAX    1023            /* highest descriptor number a request may ask for */

static int sock = SPAWN_HELPER_FD;

static void send_failed(uint32_t id, int err, const char *text)
{
	struct spawn_wire_head h = { .magic = SPAWN_WIRE_MAGIC, .type = SPAWN_WIRE_FAILED, .id = id, .err = err,
	                             .len = (uint32_t) strlen(text) + 1 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *) text, h.len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r;
	do
		r = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		_exit(1);   /* droverd is gone */
}

static int read_memfd(int fd, size_t len, char **ret)
{
	char *buf = xmalloc(len ? len : 1);
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t) got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return -EBADMSG;
		}
		got += (size_t) n;
	}
	*ret = buf;
	return 0;
}

/* The descriptors' numbers in the child: 0..TARGET_MAX, each once. */
static bool targets_valid(const int *target, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (target[i] < 0 || target[i] > TARGET_MAX)
			return false;
		for (size_t k = 0; k < i; k++)
			if (target[k] == target[i])
				return false;
	}
	return true;
}

/* Signals: every disposition back to default (droverd's ignored ones came through its exec),
 * glibc's reserved ones included, so that the children start clean without resetting anything.
 * The mask droverd's spawn thread had (everything blocked) stays: the helper takes no signal but
 * SIGKILL, and each child clears it just before its exec. */
static void signals_default(void)
{
	struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

/* One request: received with its descriptors, run, everything of it closed. false: the helper
 * must exit (droverd closed the socket). */
/* Workers get droverd's resource limits as they are now, as a fork of droverd would give them: an
 * operator may change them on the running droverd (prlimit --pid), after this helper started.
 * The descriptor limit is the exception: workers get droverd's original soft limit, which is this
 * helper's already. Best effort: a hard limit above ours needs privileges we may not have. */
static void limits_follow(pid_t parent)
{
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit want, have;
		if (r == RLIMIT_NOFILE || prlimit(parent, r, NULL, &want) < 0 || getrlimit(r, &have) < 0)
			continue;
		if (want.rlim_cur == have.rlim_cur && want.rlim_max == have.rlim_max)
			continue;
		if (setrlimit(r, &want) < 0 && want.rlim_max > have.rlim_max) {
			want.rlim_max = have.rlim_max;
			if (want.rlim_cur > want.rlim_max)
				want.rlim_cur = want.rlim_max;
			(void) setrlimit(r, &want);
		}
	}
}

static bool serve_one(char *buf, size_t bufsize, int devnull, void *stack, pid_t parent, unsigned long nofile)
{
	struct spawn_wire_head h;
	union { char buf[CMSG_SPACE(sizeof(int) * (SPAWN_FDS_MAX + 1))]; struct cmsghdr align; } u;
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, bufsize } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;

	int fds[SPAWN_FDS_MAX + 1];
	size_t nfds = spawn_wire_take_fds(&m, fds, ELEMENTSOF(fds));

	char *payload = buf, *big = NULL;
	size_t len = n >= (ssize_t) sizeof(h) ? (size_t) n - sizeof(h) : 0;
	size_t want_fds = h.nfds + !!(h.flags & SPAWN_WIRE_MEMFD);
	struct spawn_wire_req req = { 0 };
	int r = -EBADMSG;
	if (n < (ssize_t) sizeof(h) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || h.magic != SPAWN_WIRE_MAGIC ||
	    h.type != SPAWN_WIRE_REQUEST || h.nfds > SPAWN_FDS_MAX || nfds != want_fds ||
	    !targets_valid(h.target, h.nfds))
		goto out;
	if (h.flags & SPAWN_WIRE_MEMFD) {
		if (len != 0 || h.len > SPAWN_PAYLOAD_MAX || read_memfd(fds[nfds - 1], h.len, &big) < 0)
			goto out;
		payload = big;
		len = h.len;
	}
	r = spawn_wire_unpack(&h, payload, len, &req);
	if (r < 0)
		goto out;

	struct spawn_order o = {
		.req = req, .nfds = h.nfds, .devnull = devnull, .parent = parent, .nofile = 0,
		.report_sock = sock, .id = h.id,
	};
	(void) nofile;   /* the helper's own soft limit is the workers' already */
	for (size_t i = 0; i < h.nfds; i++) {
		o.fd[i] = fds[i];
		o.target[i] = h.target[i];
	}
	/* The child reports itself (STARTED) or its failure (exec-status pipe); a failure to create
	 * it is the helper's to report. */
	/* The last child left its frames on this stack when it exec'd: for ASan, they are gone. */
	stack_fresh(stack, CHILD_STACK);
	limits_follow(parent);
	pid_t pid = clone(spawn_child_main, (char *) stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | CLONE_PARENT, &o);
	int err = errno;
	/* Whatever the child allocated on the shared heap is freed here; if it died before it was
	 * done with the heap (killed while resolving), the heap cannot be trusted any more. */
	if (pid > 0 && o.resolving)
		_exit(0);   /* no clean-up on that heap: droverd sees the socket close and starts another helper */
	spawn_order_clear(&o);
	if (pid < 0) {
		char text[SPAWN_TEXT_MAX];
		snprintf(text, sizeof(text), "spawn error: fork: %s", strerror(err));
		send_failed(h.id, err, text);
	}
	r = 0;
out:
	if (r < 0)
		send_failed(h.id, EBADMSG, "spawn error: the spawn helper got a malformed request");
	spawn_wire_req_clear(&req);
	free(big);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return true;
}

int spawn_helper_main(int argc, char **argv)
{
	int64_t parent, nofile;
	if (argc < 4 || parse_int64(argv[2], 1, INT32_MAX, &parent) < 0 || parse_int64(argv[3], 0, INT64_MAX, &nofile) < 0) {
		fprintf(stderr, "droverd %s: started by hand? This mode is droverd's own.\n", SPAWN_HELPER_ARG);
		return 2;
	}
	/* Gone with droverd's spawn thread, which lives as long as droverd. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != (pid_t) parent)
		return 1;
	signals_default();
	if (nofile > 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = (rlim_t) nofile < rl.rlim_max ? (rlim_t) nofile : rl.rlim_max;
			(void) setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (devnull < 0 || stack == MAP_FAILED)
		return 1;
	size_t bufsize = SPAWN_INLINE_MAX;
	char *buf = xmalloc(bufsize);
	while (serve_one(buf, bufsize, devnull, stack, (pid_t) parent, (unsigned long) nofile))
		;
	free(buf);
	return 0;
}
