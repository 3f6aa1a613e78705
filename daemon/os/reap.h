/* SIGCHLD -> waitid/waitpid loop -> FSM events. The only reaping path (no ev_child anywhere). */
#ifndef DROVER_REAP_H
#define DROVER_REAP_H

/* Reap every exited child now; returns how many were reaped. */
unsigned reap_children(void);
unsigned long reap_unknown_count(void);

#endif
