/* Reaping: on SIGCHLD, loop until no exited child is left, so no zombie survives a loop
 * iteration even when a thousand children die at once (signals merge). Each child is first
 * peeked at with WNOWAIT, so the clean-up of its process group happens while its pid is still
 * reserved, then reaped. Orphans adopted as subreaper (or as PID 1) are reaped too. */
#include "os/reap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "os/log.h"
#include "util.h"

static const struct reap_hooks *hooks;

void reap_init(const struct reap_hooks *h)
{
	hooks = h;
}

/* Stops and continues (SIGSTOP/SIGCONT of a worker): recorded, never acted upon: a stopped
 * worker is alive and is not restarted. These events are consumed here; exits are not. */
static void note_stops(void)
{
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WSTOPPED | WCONTINUED | WNOHANG) < 0) {
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
};

unsigned reap_children(void)
{
	struct reaped *v = NULL;
	size_t n = 0, cap = 0;

	note_stops();
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
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
		if (!owner) {
			log_debug("reaped unknown pid %d", (int) pid);
			continue;
		}
		if (owner->ops->reaped)
			owner->ops->reaped(owner, pid);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap, sizeof(*v));
		}
		v[n] = (struct reaped) { owner, pid, wstatus };
		n++;
	}
	for (size_t i = 0; i < n; i++)
		v[i].owner->ops->exited(v[i].owner, v[i].pid, v[i].wstatus);
	free(v);
	return (unsigned) n;
}
