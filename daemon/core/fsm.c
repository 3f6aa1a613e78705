/* The process lifecycle table (supervisord's state machine, exactly). Pure: unit-tested cell by cell. */
#include "core/fsm.h"

#include "util.h"

#define T(n, a) { PROC_##n, ACT_##a }
#define SAME    { PROC_STATE_MAX, ACT_NONE }   /* stay, do nothing */

/* Rows: states in enum order. Columns: START, STOP, UP, SPAWN_FAILED, EXIT_RESTART, EXIT_FINAL, TIMER,
 * READY_TIMEOUT, HEARTBEAT_STALE, HEALTH_FAILED. A stale heartbeat and a failed liveness check restart a
 * RUNNING process through the one stop path (ACT_RESTART: stopsignal, stopwaitsecs, then start). */
static const struct fsm_transition table[PROC_STATE_MAX][FSM_EVENT_MAX] = {
	[PROC_STOPPED]  = { T(STARTING, SPAWN), SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME },
	[PROC_STARTING] = { SAME, T(STOPPING, KILL), T(RUNNING, RUNNING), T(BACKOFF, BACKOFF),
	                    T(BACKOFF, BACKOFF), T(BACKOFF, BACKOFF), SAME, T(STARTING, ABORT_START), SAME, SAME },
	[PROC_RUNNING]  = { SAME, T(STOPPING, KILL), SAME, SAME,
	                    T(EXITED, RESPAWN), T(EXITED, NONE), SAME, SAME, T(STOPPING, RESTART), T(STOPPING, RESTART) },
	[PROC_BACKOFF]  = { T(STARTING, SPAWN), T(STOPPED, CANCEL), SAME, SAME, SAME, SAME, T(STARTING, SPAWN),
	                    SAME, SAME, SAME },
	[PROC_STOPPING] = { SAME, SAME, SAME, SAME, T(STOPPED, STOPPED), T(STOPPED, STOPPED),
	                    T(STOPPING, KILL_HARD), SAME, SAME, SAME },
	[PROC_EXITED]   = { T(STARTING, SPAWN), SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME },
	[PROC_FATAL]    = { T(STARTING, SPAWN), T(FATAL, CANCEL), SAME, SAME, SAME, SAME, T(STARTING, SPAWN),
	                    SAME, SAME, SAME },
	[PROC_UNKNOWN]  = { SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME, SAME },
};

struct fsm_transition fsm_step(enum proc_state state, enum fsm_event event)
{
	struct fsm_transition t = { state, ACT_NONE };
	if ((unsigned) state >= PROC_STATE_MAX || (unsigned) event >= FSM_EVENT_MAX)
		return t;
	if (table[state][event].next == PROC_STATE_MAX)
		return t;
	return table[state][event];
}

static const char *const event_names[FSM_EVENT_MAX] = {
	"start", "stop", "up", "spawn-failed", "exit-restart", "exit-final", "timer", "ready-timeout",
	"heartbeat-stale", "health-failed",
};
static const char *const action_names[ACT_MAX] = {
	"none", "spawn", "running", "backoff", "respawn", "kill", "kill-hard", "stopped", "cancel",
	"abort-start", "restart",
};

const char *fsm_event_to_string(enum fsm_event e)
{
	return (unsigned) e < FSM_EVENT_MAX ? event_names[e] : "?";
}

const char *fsm_action_to_string(enum fsm_action a)
{
	return (unsigned) a < ACT_MAX ? action_names[a] : "?";
}
