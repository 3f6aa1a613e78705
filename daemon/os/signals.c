/* droverd's signal dispositions (the table is in signals.h). Ordinary signals go through libev
 * watchers. The fault signals cannot: a handler that returns from a real SIGSEGV re-executes the
 * faulting instruction forever. Their handler tells a fault (or droverd's own abort()) from a
 * signal another process sent: the first gets the default action at once (a core, as before);
 * the second asks the loop for a graceful shutdown. If the loop does not take the request within
 * LIVENESS_S (it is wedged: systemd's watchdog sends SIGABRT exactly then), the signal's default
 * action follows after all, so a core dump and a prompt restart are not lost. */
#include "os/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/log.h"
#include "util.h"

#define LIVENESS_S 3

enum action { ACT_SHUTDOWN, ACT_RELOAD, ACT_REOPEN, ACT_LOG_IGNORE };

static const struct { int sig; enum action act; } watched[] = {
	{ SIGTERM, ACT_SHUTDOWN }, { SIGINT, ACT_SHUTDOWN }, { SIGQUIT, ACT_SHUTDOWN },
	/* the soft CPU limit: SIGKILL follows at the hard one, so stop the workers while we can */
	{ SIGXCPU, ACT_SHUTDOWN },
	/* what LXC and some container runtimes send their init to stop */
	{ SIGPWR, ACT_SHUTDOWN },
	{ SIGHUP, ACT_RELOAD },
	{ SIGUSR1, ACT_REOPEN }, { SIGUSR2, ACT_REOPEN },
	{ SIGVTALRM, ACT_LOG_IGNORE }, { SIGPROF, ACT_LOG_IGNORE }, { SIGIO, ACT_LOG_IGNORE },
	{ SIGSTKFLT, ACT_LOG_IGNORE },
};
static const int ignored[] = { SIGPIPE, SIGTTIN, SIGTTOU, SIGXFSZ };
static const int faults[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

#define NRT 32   /* SIGRTMIN..SIGRTMAX is at most 32 signals wide */
static ev_signal watchers[ELEMENTSOF(watched)], rt_watchers[NRT];
static size_t nrt;
static ev_async fault_wake;
static struct ev_loop *loop;
static const struct signal_actions *actions;

static struct sigaction fault_prev[ELEMENTSOF(faults)];   /* what each fault signal had before us */
static volatile sig_atomic_t fault_pending;   /* a fault signal another process sent, not yet taken */
static volatile sig_atomic_t fault_sender;

static const char *sig_name(int sig, char *buf, size_t size)
{
	const char *s = signal_to_string(sig);
	if (sig == SIGSTKFLT)
		s = "STKFLT";
	if (strcmp(s, "?") != 0)
		snprintf(buf, size, "SIG%s", s);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}

static void on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	char name[32];
	enum action act = ACT_LOG_IGNORE;
	for (size_t i = 0; i < ELEMENTSOF(watched); i++)
		if (w == &watchers[i])
			act = watched[i].act;
	sig_name(w->signum, name, sizeof(name));
	switch (act) {
	case ACT_SHUTDOWN:
		log_info("received %s: shutting down", name);
		actions->shutdown(w->signum);
		break;
	case ACT_RELOAD:
		actions->reload(w->signum);
		break;
	case ACT_REOPEN:
		log_info("received %s: reopening log files", name);
		actions->reopen_logs(w->signum);
		break;
	case ACT_LOG_IGNORE:
		log_info("received %s: ignored (it has no meaning for droverd)", name);
		break;
	}
}

/* What SIG did before us, now: the default action, or the sanitizer's report in an ASan build.
 * Returning from a real fault re-executes it; a signal droverd raised itself is raised again and,
 * as it is blocked in its own handler, lands on return. */
static void default_action(int sig, bool raise_again)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(faults); i++)
		if (faults[i] == sig && fault_prev[i].sa_handler != SIG_IGN)
			dfl = fault_prev[i];
	sigaction(sig, &dfl, NULL);
	if (raise_again)
		raise(sig);
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	if (si->si_code > 0) {               /* from the kernel: a real fault */
		default_action(sig, false);
		return;
	}
	if (si->si_pid == getpid()) {        /* abort(), raise(): droverd's own */
		default_action(sig, true);
		errno = saved;
		return;
	}
	if (!loop)
		return;                          /* after the loop: the workers are down already */
	fault_sender = si->si_pid;
	fault_pending = sig;
	alarm(LIVENESS_S);
	ev_async_send(loop, &fault_wake);
	errno = saved;
}

/* alarm() is droverd's only timer signal: it fires when the loop did not take a fault request. */
static void alarm_handler(int sig, siginfo_t *si, void *uc)
{
	int pending = fault_pending;
	if (si->si_code != SI_KERNEL || !pending)
		return;                          /* sent by another process: ignored */
	default_action(pending, true);
}

static void on_fault_request(struct ev_loop *l, ev_async *w, int revents)
{
	char name[32];
	int sig = fault_pending, from = fault_sender;
	fault_pending = 0;
	alarm(0);
	if (!sig)
		return;
	log_info("received %s from pid %d: shutting down", sig_name(sig, name, sizeof(name)), from);
	actions->shutdown(sig);
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *), struct sigaction *prev)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, prev) < 0)
		log_warn("cannot install a handler for signal %d: %s", sig, strerror(errno));
}

void signals_start(struct ev_loop *l, const struct signal_actions *a)
{
	loop = l;
	actions = a;
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
		signal(ignored[i], SIG_IGN);
	for (size_t i = 0; i < ELEMENTSOF(watched); i++) {
		ev_signal_init(&watchers[i], on_signal, watched[i].sig);
		/* libev runs pending signals in number order: a SIGHUP (1) pending with a SIGTERM (15)
		 * would reload, and spawn, before the shutdown. Priorities put the shutdown first. */
		ev_set_priority(&watchers[i], watched[i].act == ACT_SHUTDOWN ? EV_MAXPRI : 0);
		ev_signal_start(loop, &watchers[i]);
	}
	nrt = 0;
	for (int sig = SIGRTMIN; sig <= SIGRTMAX && nrt < NRT; sig++, nrt++) {
		ev_signal_init(&rt_watchers[nrt], on_signal, sig);
		ev_signal_start(loop, &rt_watchers[nrt]);
	}
	ev_async_init(&fault_wake, on_fault_request);
	ev_set_priority(&fault_wake, EV_MAXPRI);
	ev_async_start(loop, &fault_wake);
	for (size_t i = 0; i < ELEMENTSOF(faults); i++)
		install(faults[i], fault_handler, &fault_prev[i]);
	install(SIGALRM, alarm_handler, NULL);
}

void signals_stop(void)
{
	if (!loop)
		return;
	/* Stopping a watcher gives its signal the default action back, which for most of them is to
	 * terminate: a SIGHUP or a second SIGTERM from here to the exit (under ASan, LeakSanitizer's
	 * scan at exit takes a while) would end a clean stop with status 128 + N instead of 0. So
	 * they are blocked first and ignored once stopped (which discards one already pending). */
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < ELEMENTSOF(watched); i++)
		sigaddset(&set, watched[i].sig);
	for (size_t i = 0; i < nrt; i++)
		sigaddset(&set, SIGRTMIN + (int) i);
	(void) sigprocmask(SIG_BLOCK, &set, NULL);
	for (size_t i = 0; i < ELEMENTSOF(watched); i++) {
		ev_signal_stop(loop, &watchers[i]);
		signal(watched[i].sig, SIG_IGN);
	}
	for (size_t i = 0; i < nrt; i++) {
		ev_signal_stop(loop, &rt_watchers[i]);
		signal(SIGRTMIN + (int) i, SIG_IGN);
	}
	ev_async_stop(loop, &fault_wake);
	alarm(0);
	loop = NULL;
}
