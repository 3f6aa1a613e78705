/* The event module (daemon/core/events.c): subscribers are told in the order they subscribed,
 * settle runs round after round until none acted, and the settle watcher runs once per loop
 * iteration, after the iteration's callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/core/events.h"

static char trace[256];

static void note(const char *s)
{
	strncat(trace, s, sizeof(trace) - strlen(trace) - 1);
}

static void a_state(void *ctx, struct process *p, enum proc_state old) { note("a"); }
static void b_state(void *ctx, struct process *p, enum proc_state old) { note("b"); }
static void a_gone(void *ctx, struct process *p) { note("A"); }

/* b has work for two rounds; each round of b gives a one more. */
static int a_work, b_work;
static bool a_settle(void *ctx)
{
	if (!a_work)
		return false;
	a_work--;
	note("1");
	return true;
}
static bool b_settle(void *ctx)
{
	if (!b_work)
		return false;
	b_work--;
	a_work++;
	note("2");
	return true;
}

static struct events_subscriber a = { .state_changed = a_state, .gone = a_gone, .settle = a_settle };
static struct events_subscriber b = { .state_changed = b_state, .settle = b_settle };

static void test_order(void **state)
{
	trace[0] = '\0';
	events_subscribe(&a);
	events_subscribe(&b);
	events_state_changed(NULL, PROC_STOPPED);
	events_gone(NULL);
	events_pid_changed(NULL, 0);   /* nobody listens: nothing */
	assert_string_equal(trace, "abA");
	events_unsubscribe(&a);
	events_state_changed(NULL, PROC_STOPPED);
	assert_string_equal(trace, "abAb");
	events_unsubscribe(&b);
	events_unsubscribe(&b);   /* twice: harmless */
}

static void test_settle_until_quiet(void **state)
{
	trace[0] = '\0';
	events_subscribe(&a);
	events_subscribe(&b);
	b_work = 2;
	events_settle();
	/* round 1: a idle, b acts (a gets work); round 2: a acts, b acts; round 3: a acts; round 4: none */
	assert_string_equal(trace, "2121");
	assert_int_equal(a_work, 0);
	assert_int_equal(b_work, 0);
	events_unsubscribe(&a);
	events_unsubscribe(&b);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	note("t");
	b_work = 1;   /* recorded in a callback: done by the settle step of this iteration */
}

static bool c_settle(void *ctx)
{
	note("s");
	if (strchr(trace, '2'))
		ev_break(ctx, EVBREAK_ALL);
	return false;
}

static void test_watcher(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct events_subscriber c = { .settle = c_settle, .ctx = loop };
	ev_timer t;
	trace[0] = '\0';
	events_subscribe(&b);
	events_subscribe(&c);
	events_start(loop);
	ev_timer_init(&t, timer_cb, 0.001, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	/* before the timer: one settle (nothing); after it: b acts, then a quiet round ends it */
	assert_string_equal(trace, "st2ss");
	events_stop();
	events_unsubscribe(&b);
	events_unsubscribe(&c);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_settle_until_quiet),
		cmocka_unit_test(test_watcher),
	};
	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
