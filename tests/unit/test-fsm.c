/* Every cell of the lifecycle table (daemon/core/fsm.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/core/fsm.h"

struct cell { enum proc_state from; enum fsm_event ev; enum proc_state to; enum fsm_action act; };

/* The whole table, written out: any change to fsm.c must change this too. */
static const struct cell cells[] = {
	{ PROC_STOPPED, FSM_START, PROC_STARTING, ACT_SPAWN },
	{ PROC_STOPPED, FSM_STOP, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_UP, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_SPAWN_FAILED, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_EXIT_RESTART, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_EXIT_FINAL, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_TIMER, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_READY_TIMEOUT, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_HEARTBEAT_STALE, PROC_STOPPED, ACT_NONE },
	{ PROC_STOPPED, FSM_HEALTH_FAILED, PROC_STOPPED, ACT_NONE },

	{ PROC_STARTING, FSM_START, PROC_STARTING, ACT_NONE },
	{ PROC_STARTING, FSM_STOP, PROC_STOPPING, ACT_KILL },
	{ PROC_STARTING, FSM_UP, PROC_RUNNING, ACT_RUNNING },
	{ PROC_STARTING, FSM_SPAWN_FAILED, PROC_BACKOFF, ACT_BACKOFF },
	{ PROC_STARTING, FSM_EXIT_RESTART, PROC_BACKOFF, ACT_BACKOFF },
	{ PROC_STARTING, FSM_EXIT_FINAL, PROC_BACKOFF, ACT_BACKOFF },
	{ PROC_STARTING, FSM_TIMER, PROC_STARTING, ACT_NONE },
	{ PROC_STARTING, FSM_READY_TIMEOUT, PROC_STARTING, ACT_ABORT_START },
	{ PROC_STARTING, FSM_HEARTBEAT_STALE, PROC_STARTING, ACT_NONE },
	{ PROC_STARTING, FSM_HEALTH_FAILED, PROC_STARTING, ACT_NONE },

	{ PROC_RUNNING, FSM_START, PROC_RUNNING, ACT_NONE },
	{ PROC_RUNNING, FSM_STOP, PROC_STOPPING, ACT_KILL },
	{ PROC_RUNNING, FSM_UP, PROC_RUNNING, ACT_NONE },
	{ PROC_RUNNING, FSM_SPAWN_FAILED, PROC_RUNNING, ACT_NONE },
	{ PROC_RUNNING, FSM_EXIT_RESTART, PROC_EXITED, ACT_RESPAWN },
	{ PROC_RUNNING, FSM_EXIT_FINAL, PROC_EXITED, ACT_NONE },
	{ PROC_RUNNING, FSM_TIMER, PROC_RUNNING, ACT_NONE },
	{ PROC_RUNNING, FSM_READY_TIMEOUT, PROC_RUNNING, ACT_NONE },
	{ PROC_RUNNING, FSM_HEARTBEAT_STALE, PROC_STOPPING, ACT_RESTART },
	{ PROC_RUNNING, FSM_HEALTH_FAILED, PROC_STOPPING, ACT_RESTART },

	{ PROC_BACKOFF, FSM_START, PROC_STARTING, ACT_SPAWN },
	{ PROC_BACKOFF, FSM_STOP, PROC_STOPPED, ACT_CANCEL },
	{ PROC_BACKOFF, FSM_UP, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_SPAWN_FAILED, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_EXIT_RESTART, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_EXIT_FINAL, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_TIMER, PROC_STARTING, ACT_SPAWN },
	{ PROC_BACKOFF, FSM_READY_TIMEOUT, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_HEARTBEAT_STALE, PROC_BACKOFF, ACT_NONE },
	{ PROC_BACKOFF, FSM_HEALTH_FAILED, PROC_BACKOFF, ACT_NONE },

	{ PROC_STOPPING, FSM_START, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_STOP, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_UP, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_SPAWN_FAILED, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_EXIT_RESTART, PROC_STOPPED, ACT_STOPPED },
	{ PROC_STOPPING, FSM_EXIT_FINAL, PROC_STOPPED, ACT_STOPPED },
	{ PROC_STOPPING, FSM_TIMER, PROC_STOPPING, ACT_KILL_HARD },
	{ PROC_STOPPING, FSM_READY_TIMEOUT, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_HEARTBEAT_STALE, PROC_STOPPING, ACT_NONE },
	{ PROC_STOPPING, FSM_HEALTH_FAILED, PROC_STOPPING, ACT_NONE },

	{ PROC_EXITED, FSM_START, PROC_STARTING, ACT_SPAWN },
	{ PROC_EXITED, FSM_STOP, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_UP, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_SPAWN_FAILED, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_EXIT_RESTART, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_EXIT_FINAL, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_TIMER, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_READY_TIMEOUT, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_HEARTBEAT_STALE, PROC_EXITED, ACT_NONE },
	{ PROC_EXITED, FSM_HEALTH_FAILED, PROC_EXITED, ACT_NONE },

	{ PROC_FATAL, FSM_START, PROC_STARTING, ACT_SPAWN },
	{ PROC_FATAL, FSM_STOP, PROC_FATAL, ACT_CANCEL },
	{ PROC_FATAL, FSM_UP, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_SPAWN_FAILED, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_EXIT_RESTART, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_EXIT_FINAL, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_TIMER, PROC_STARTING, ACT_SPAWN },
	{ PROC_FATAL, FSM_READY_TIMEOUT, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_HEARTBEAT_STALE, PROC_FATAL, ACT_NONE },
	{ PROC_FATAL, FSM_HEALTH_FAILED, PROC_FATAL, ACT_NONE },
};

static void test_every_cell(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		struct fsm_transition t = fsm_step(cells[i].from, cells[i].ev);
		if (t.next != cells[i].to || t.action != cells[i].act)
			fail_msg("%s + %s: got %s/%s, want %s/%s", proc_state_to_string(cells[i].from),
			         fsm_event_to_string(cells[i].ev), proc_state_to_string(t.next),
			         fsm_action_to_string(t.action), proc_state_to_string(cells[i].to),
			         fsm_action_to_string(cells[i].act));
	}
}

static void test_unknown_is_inert(void **state)
{
	(void) state;
	for (int ev = 0; ev < FSM_EVENT_MAX; ev++) {
		struct fsm_transition t = fsm_step(PROC_UNKNOWN, (enum fsm_event) ev);
		assert_int_equal(t.next, PROC_UNKNOWN);
		assert_int_equal(t.action, ACT_NONE);
	}
}

static void test_out_of_range(void **state)
{
	(void) state;
	struct fsm_transition t = fsm_step((enum proc_state) 99, FSM_START);
	assert_int_equal(t.action, ACT_NONE);
	t = fsm_step(PROC_RUNNING, (enum fsm_event) 99);
	assert_int_equal(t.next, PROC_RUNNING);
	assert_int_equal(t.action, ACT_NONE);
	assert_string_equal(fsm_event_to_string((enum fsm_event) 99), "?");
}

/* Every (state, event) of the real states is covered above: 7 states x 10 events. */
static void test_table_complete(void **state)
{
	(void) state;
	assert_int_equal(sizeof(cells) / sizeof(cells[0]), (PROC_STATE_MAX - 1) * FSM_EVENT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_unknown_is_inert),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_table_complete),
	};
	return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}
