/* The process lifecycle as a pure table: [state][event] -> {next state, action}. */
#ifndef DROVER_FSM_H
#define DROVER_FSM_H

#include "proto.h"

enum fsm_event {
	FSM_START,          /* user start, autostart, reload add */
	FSM_STOP,           /* user stop, shutdown, reload remove */
	FSM_UP,             /* startsecs elapsed, or readiness was decided (ready = scoreboard, notify, a probe) */
	FSM_SPAWN_FAILED,   /* fork() itself failed: there is no child */
	FSM_EXIT_RESTART,   /* the child exited and autorestart/exitcodes say: restart it */
	FSM_EXIT_FINAL,     /* the child exited and it stays down (or it was starting: backoff) */
	FSM_TIMER,          /* the state's timer fired: backoff over, fatal_retry due, stop timeout */
	FSM_READY_TIMEOUT,  /* startsecs passed and readiness was not decided (ready = anything but startsecs) */
	FSM_HEARTBEAT_STALE,/* no heartbeat within heartbeat_timeout */
	FSM_HEALTH_FAILED,  /* health_failures liveness checks in a row failed (health_action = restart) */
	FSM_EVENT_MAX
};

enum fsm_action {
	ACT_NONE,          /* nothing besides the state change (or ignore the event) */
	ACT_SPAWN,         /* fork+exec; enter STARTING and arm startsecs */
	ACT_RUNNING,       /* startsecs reached: reset backoff */
	ACT_BACKOFF,       /* a start failed: count it, arm the delay, or go FATAL past startretries */
	ACT_RESPAWN,       /* exited while RUNNING and autorestart says so: spawn again now */
	ACT_KILL,          /* send stopsignal (+SIGCONT), arm stopwaitsecs */
	ACT_KILL_HARD,     /* stop timeout: SIGKILL */
	ACT_STOPPED,       /* the stopping child is gone: cancel timers, maybe start again */
	ACT_CANCEL,        /* cancel the pending timer (BACKOFF/FATAL retry) */
	ACT_ABORT_START,   /* not ready in time: the start failed, SIGKILL (its exit goes to BACKOFF) */
	ACT_RESTART,       /* as ACT_KILL, then start again once stopped */
	ACT_MAX
};

struct fsm_transition {
	enum proc_state next;
	enum fsm_action action;
};

/* The transition for an event in a state; an event that does not apply leaves the state
 * unchanged with ACT_NONE. */
struct fsm_transition fsm_step(enum proc_state state, enum fsm_event event);
const char *fsm_event_to_string(enum fsm_event e);
const char *fsm_action_to_string(enum fsm_action a);

#endif
