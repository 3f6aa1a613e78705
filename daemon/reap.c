/* Reaping: on SIGCHLD, loop until no exited child is left, so no zombie survives a loop
 * iteration even when a thousand children die at once (signals merge). Each child is first
 * peeked at with WNOWAIT, so the clean-up of its process group happens while its pid is still
 * reserved, then reaped. Orphans adopted as subreaper (or as PID 1) are reaped too. */
#include "reap.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "process.h"
#include "supervisor.h"

static unsigned long unknown_reaped;

unsigned long reap_unknown_count(void) { return unknown_reaped; }

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
		struct process *p = supervisor_find_pid(si.si_pid);
		if (!p)
			continue;
		p->stopped_sig = si.si_code == CLD_STOPPED || si.si_code == CLD_TRAPPED ? si.si_status : 0;
		log_proc(LOG_INFO, p, "%s (pid %d) %s", p->cfg->fullname, (int) si.si_pid,
		         p->stopped_sig ? "stopped by a signal" : "continued");
	}
}

unsigned reap_children(void)
{
	unsigned n = 0;

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
		struct process *p = supervisor_find_pid(pid);
		if (p)
			process_before_reap(p);

		int wstatus;
		pid_t r;
		do
			r = waitpid(pid, &wstatus, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			log_error("waitpid(%d): %s", (int) pid, r < 0 ? strerror(errno) : "not reaped");
			break;
		}
		n++;
		if (p) {
			process_on_exit(p, wstatus);
		} else {
			unknown_reaped++;
			log_debug("reaped unknown pid %d", (int) pid);
		}
	}
	return n;
}
