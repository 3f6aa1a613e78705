/* Exit policies (see exitpolicy.h).
 *
 * shutdown_on, per program:
 *   fatal       the process entered FATAL (it gave up starting);
 *   unexpected  it ended on its own with a code not in exitcodes (or by a signal), or went FATAL;
 *   exit        it ended on its own in any way, or went FATAL.
 * "On its own": it was STARTING or RUNNING when it ended, not being stopped by droverd (a stop,
 * a restart, a reload or the shutdown is no reason to shut down). The lifecycle does not respawn
 * an exit that decides a shutdown (program_exit_shuts_down()).
 *
 * shutdown_when_all_exited ([drover]): once every autostart program other than the event listeners
 * has run and is down for good (EXITED, FATAL, or STOPPED), droverd shuts down with status 0 when
 * each of them ended as expected, else with the status of the one that failed first.
 *
 * The status passed on: the exit code, 128 + N for a signal N; for FATAL the last exit's status,
 * or 1 when that was 0 or it never ran (a FATAL process did not succeed). */
#include "core/exitpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/log.h"
#include "util.h"

static void (*shutdown_fn)(void);
static bool all_exited;         /* [drover] shutdown_when_all_exited */
static bool decided;            /* a policy decided the shutdown (the first one wins) */
static bool due;                /* ... and it is still to be started */
static int status;
static bool all_check;          /* a counted process changed state: check whether all have exited */

/* The worker the last reap took from a process that was not being stopped: its next state
 * change tells how that exit is taken (EXITED, BACKOFF, FATAL). */
static const struct process *ended_on_own;

/* Processes whose last outcome is a failure, for shutdown_when_all_exited's status. */
struct failure {
	const struct process *p;
	uint64_t seq;
	int status;
};
static struct failure *failures;
static size_t nfailures;
static uint64_t seq;

static int fatal_status(const struct process *p)
{
	int code = p->have_exit ? wstatus_exit_code(p->exit_wstatus) : 1;
	return code ? code : 1;
}

static void decide(const struct process *p, int st, const char *why)
{
	if (decided || process_shutting_down())
		return;
	decided = due = true;
	status = st;
	log_proc(LOG_NOTICE, p, "%s %s: shutting down; droverd exits with status %d", p->cfg->fullname, why, st);
}

static void failure_forget(const struct process *p)
{
	for (size_t i = 0; i < nfailures; i++)
		if (failures[i].p == p) {
			failures[i] = failures[--nfailures];
			return;
		}
}

static void failure_record(const struct process *p, int st)
{
	failure_forget(p);
	failures = xrealloc(failures, nfailures + 1, sizeof(*failures));
	failures[nfailures++] = (struct failure) { p, ++seq, st };
}

static bool counted(const struct process *p)
{
	return p->prog->autostart && p->prog->kind != PROGRAM_LISTENER && !p->removed;
}

static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	if (p->pid == 0 && old > 0 && (p->state == PROC_STARTING || p->state == PROC_RUNNING))
		ended_on_own = p;
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	bool own = ended_on_own == p;
	ended_on_own = NULL;
	char why[200];

	if (own && program_exit_shuts_down(p->prog, p->exit_wstatus)) {
		char how[96];
		wstatus_describe(p->exit_wstatus, how, sizeof(how));
		snprintf(why, sizeof(why), "ended on its own (%s; shutdown_on = %s)", how,
		         p->prog->shutdown_on == SHUTDOWN_ON_EXIT ? "exit" : "unexpected");
		decide(p, wstatus_exit_code(p->exit_wstatus), why);
	} else if (p->state == PROC_FATAL && p->prog->shutdown_on != SHUTDOWN_ON_NEVER) {
		decide(p, fatal_status(p), "entered FATAL (shutdown_on)");
	}

	if (!all_exited || !counted(p))
		return;
	all_check = true;
	if (p->state == PROC_EXITED) {
		bool expected = WIFEXITED(p->exit_wstatus) && program_exitcode_expected(p->prog, WEXITSTATUS(p->exit_wstatus));
		if (expected)
			failure_forget(p);
		else
			failure_record(p, wstatus_exit_code(p->exit_wstatus));
	} else if (p->state == PROC_FATAL) {
		failure_record(p, fatal_status(p));
	} else if (p->state == PROC_STARTING || p->state == PROC_STOPPED) {
		failure_forget(p);
	}
}

static void on_gone(void *ctx, struct process *p)
{
	if (ended_on_own == p)
		ended_on_own = NULL;
	failure_forget(p);
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	all_exited = cfg->shutdown_when_all_exited;
	all_check = all_exited;
}

/* Every counted process has run and is down for good. */
static bool all_have_exited(void)
{
	size_t n = 0;
	for (size_t i = 0; i < tab.n; i++) {
		const struct process *p = tab.procs[i];
		if (!counted(p))
			continue;
		if (!process_is_stopped(p) || (p->spawns == 0 && p->state != PROC_FATAL))
			return false;
		n++;
	}
	return n > 0;
}

static bool settle(void *ctx)
{
	if (all_check && !decided && !process_shutting_down()) {
		all_check = false;
		if (all_have_exited()) {
			const struct failure *first = NULL;
			for (size_t i = 0; i < nfailures; i++)
				if (!first || failures[i].seq < first->seq)
					first = &failures[i];
			decided = due = true;
			status = first ? first->status : 0;
			if (first)
				log_msg(LOG_NOTICE, "every program has exited (shutdown_when_all_exited); %s failed first: shutting down, "
				           "droverd exits with status %d", first->p->cfg->fullname, status);
			else
				log_msg(LOG_NOTICE, "every program has exited as expected (shutdown_when_all_exited): shutting down");
		}
	}
	if (!due)
		return false;
	due = false;
	if (!process_shutting_down())
		shutdown_fn();
	return true;
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .pid_changed = on_pid_changed, .gone = on_gone,
	.config_applied = on_config_applied, .settle = settle,
};

void exitpolicy_init(const struct drover_config *cfg, void (*shutdown)(void))
{
	shutdown_fn = shutdown;
	on_config_applied(NULL, cfg);
	events_subscribe(&subscriber);
}

void exitpolicy_stop(void)
{
	events_unsubscribe(&subscriber);
	free(failures);
	failures = NULL;
	nfailures = 0;
}

int exitpolicy_status(void)
{
	return decided ? status : 0;
}
