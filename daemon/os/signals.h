/* droverd's answer to every catchable signal but SIGCHLD (main.c reaps on that one).
 *
 *   reload:    HUP
 *   reopen:    USR1, USR2 (supervisord reopens its logs on USR2, logrotate scripts send either)
 *   shutdown:  TERM, INT, QUIT, XCPU, PWR; ABRT, SEGV, BUS, ILL, FPE, TRAP, SYS when another
 *              process sends them (a real fault, or abort(), still kills droverd at once)
 *   ignored:   PIPE, TTIN, TTOU, XFSZ (a write error instead), ALRM; VTALRM, PROF, IO, STKFLT and
 *              the real-time signals are logged and ignored
 *   default:   TSTP (stops droverd, CONT resumes it), CONT, WINCH, URG
 * So no signal but SIGKILL ends droverd without stopping its workers in order. */
#ifndef DROVER_SIGNALS_H
#define DROVER_SIGNALS_H

#include <ev.h>

struct signal_actions {
	void (*shutdown)(int sig);      /* stop every worker in order, then leave the loop */
	void (*reload)(int sig);
	void (*reopen_logs)(int sig);
};

/* Install every disposition above on LOOP; ACTIONS must outlive signals_stop(). */
void signals_start(struct ev_loop *loop, const struct signal_actions *actions);
/* Stop the watchers (teardown); the dispositions of ignored signals stay. */
void signals_stop(void);

#endif
