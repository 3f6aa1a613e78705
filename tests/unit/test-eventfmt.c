/* supervisord's event payloads (daemon/core/eventfmt.c) and event type names
 * (daemon/conf/event-types.c), byte for byte as supervisord 4.2.5 writes them (its events.py:
 * the field order, Python's repr() of undecodable output). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config-keys.h"
#include "daemon/conf/config.h"
#include "daemon/conf/event-types.h"
#include "daemon/core/eventfmt.h"

/* eventfmt_*(..., &n): the string and its length n, against want. */
#define check(call, n, want) do { char *got_ = (call); check_((got_), (n), (want)); } while (0)
static void check_(char *got, size_t len, const char *want)
{
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(got);
}

static void test_state(void **state)
{
	size_t n;
	char *s;
	s = eventfmt_state(EVENT_PROCESS_STATE_STARTING, "web_0", "web", "BACKOFF", 2, true, 0, &n);
	check(s, n, "processname:web_0 groupname:web from_state:BACKOFF tries:2");
	s = eventfmt_state(EVENT_PROCESS_STATE_BACKOFF, "a", "g", "STARTING", 1, true, 0, &n);
	check(s, n, "processname:a groupname:g from_state:STARTING tries:1");
	s = eventfmt_state(EVENT_PROCESS_STATE_EXITED, "a", "g", "RUNNING", 0, false, 123, &n);
	check(s, n, "processname:a groupname:g from_state:RUNNING expected:0 pid:123");
	s = eventfmt_state(EVENT_PROCESS_STATE_EXITED, "a", "g", "RUNNING", 0, true, 123, &n);
	check(s, n, "processname:a groupname:g from_state:RUNNING expected:1 pid:123");
	s = eventfmt_state(EVENT_PROCESS_STATE_RUNNING, "a", "g", "STARTING", 0, true, 9, &n);
	check(s, n, "processname:a groupname:g from_state:STARTING pid:9");
	s = eventfmt_state(EVENT_PROCESS_STATE_STOPPING, "a", "g", "RUNNING", 0, true, 9, &n);
	check(s, n, "processname:a groupname:g from_state:RUNNING pid:9");
	s = eventfmt_state(EVENT_PROCESS_STATE_STOPPED, "a", "g", "BACKOFF", 0, true, 0, &n);
	check(s, n, "processname:a groupname:g from_state:BACKOFF pid:0");
	s = eventfmt_state(EVENT_PROCESS_STATE_FATAL, "a", "g", "BACKOFF", 3, true, 0, &n);
	check(s, n, "processname:a groupname:g from_state:BACKOFF");
	s = eventfmt_state(EVENT_PROCESS_STATE_UNKNOWN, "a", "g", "RUNNING", 0, true, 5, &n);
	check(s, n, "processname:a groupname:g from_state:RUNNING");
}

static void test_other(void **state)
{
	size_t n;
	check(eventfmt_group("web", &n), n, "groupname:web\n");
	check(eventfmt_tick(1700000005, &n), n, "when:1700000005");
	check(eventfmt_log(EVENT_PROCESS_LOG_STDOUT, "a", "g", 7, "hi\n", 3, &n), n,
	      "processname:a groupname:g pid:7 channel:stdout\nhi\n");
	check(eventfmt_log(EVENT_PROCESS_LOG_STDERR, "a", "g", 7, "h\xc3\xa9", 3, &n), n,
	      "processname:a groupname:g pid:7 channel:stderr\nh\xc3\xa9");
	/* not UTF-8: supervisord writes 'Undecodable: %r' % data */
	check(eventfmt_log(EVENT_PROCESS_LOG_STDOUT, "a", "g", 7, "a\xff\n", 3, &n), n,
	      "processname:a groupname:g pid:7 channel:stdout\nUndecodable: b'a\\xff\\n'");
}

/* Python 3.11: repr(b"...") for the same bytes. */
static void test_repr(void **state)
{
	static const struct { const char *in; size_t n; const char *out; } cases[] = {
		{ "abc", 3, "b'abc'" },
		{ "it's", 4, "b\"it's\"" },
		{ "'\"", 2, "b'\\'\"'" },
		{ "\t\r\n\\", 4, "b'\\t\\r\\n\\\\'" },
		{ "\x00\x1f\x7f\x80\xff", 5, "b'\\x00\\x1f\\x7f\\x80\\xff'" },
		{ "", 0, "b''" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		check(eventfmt_bytes_repr(cases[i].in, cases[i].n, &n), n, cases[i].out);
	}
}

static void test_utf8(void **state)
{
	assert_true(eventfmt_utf8_valid("plain", 5));
	assert_true(eventfmt_utf8_valid("\xe2\x82\xac\xf0\x9f\x98\x80", 7));   /* € 😀 */
	assert_false(eventfmt_utf8_valid("\xc0\xaf", 2));                       /* overlong '/' */
	assert_false(eventfmt_utf8_valid("\xed\xa0\x80", 3));                   /* a surrogate */
	assert_false(eventfmt_utf8_valid("\xf4\x90\x80\x80", 4));               /* above U+10FFFF */
	assert_false(eventfmt_utf8_valid("\xe2\x82", 2));                       /* cut short */
	assert_false(eventfmt_utf8_valid("\x80", 1));
}

static uint32_t events(const char *v)
{
	uint32_t m = 0;
	char *err = NULL;
	struct config_value_ctx ctx = { .here = "/" };
	struct program_config p = { 0 };
	int r = config_key_parse(&program_keys[PK_EVENTS], v, &ctx, &p, &err);
	free(err);
	m = p.events;
	return r < 0 ? (uint32_t) r : m;
}

static void test_types(void **state)
{
	assert_int_equal(events("PROCESS_STATE"),
	                 EVENT_BIT(EVENT_PROCESS_STATE_STOPPED) | EVENT_BIT(EVENT_PROCESS_STATE_EXITED) |
	                 EVENT_BIT(EVENT_PROCESS_STATE_STARTING) | EVENT_BIT(EVENT_PROCESS_STATE_STOPPING) |
	                 EVENT_BIT(EVENT_PROCESS_STATE_BACKOFF) | EVENT_BIT(EVENT_PROCESS_STATE_FATAL) |
	                 EVENT_BIT(EVENT_PROCESS_STATE_RUNNING) | EVENT_BIT(EVENT_PROCESS_STATE_UNKNOWN));
	assert_int_equal(events("tick_60 , process_log_stderr,"), EVENT_BIT(EVENT_TICK_60) | EVENT_BIT(EVENT_PROCESS_LOG_STDERR));
	assert_int_equal(events("EVENT"), (EVENT_BIT(EVENT_TYPE_MAX - 1) << 1) - 1);
	assert_int_equal(events("TICK,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP"),
	                 EVENT_BIT(EVENT_TICK_5) | EVENT_BIT(EVENT_TICK_60) | EVENT_BIT(EVENT_TICK_3600) |
	                 EVENT_BIT(EVENT_SUPERVISOR_STATE_CHANGE_RUNNING) |
	                 EVENT_BIT(EVENT_SUPERVISOR_STATE_CHANGE_STOPPING) |
	                 EVENT_BIT(EVENT_PROCESS_GROUP_ADDED) | EVENT_BIT(EVENT_PROCESS_GROUP_REMOVED));
	assert_int_equal(events("PROCESS_STATE,TICK_7"), (uint32_t) -EINVAL);
	assert_int_equal(events(" , "), (uint32_t) -ENODATA);
	assert_int_equal(event_type_lookup("tick_7"), 0);
	assert_string_equal(event_type_name(EVENT_PROCESS_STATE_RUNNING), "PROCESS_STATE_RUNNING");
	assert_int_equal(event_types_emitted() & EVENT_BIT(EVENT_PROCESS_COMMUNICATION_STDOUT), 0);
	assert_true(event_types_emitted() & EVENT_BIT(EVENT_PROCESS_GROUP_REMOVED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_repr),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
