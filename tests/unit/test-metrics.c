/* Unit tests of the metrics text (daemon/ctl-server/metrics-text.c): both dialects, every family's
 * samples from status records, label escaping, what is left out for processes without a worker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-server/metrics-text.h"

#define NOW_MS 1800000000123ull

static const struct metrics_daemon daemon_numbers = {
	.instance = "web", .version = "1.2.3", .start_time_ms = 1799999000500ull,
	.control_requests = 42, .control_bad = 3, .replies_dropped = 1, .reloads = 5, .reload_failures = 2,
};

static void set(struct proto_status *s, const char *name, const char *group, enum proc_state state, int pid)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->group, sizeof(s->group), "%s", group);
	s->state = (uint8_t) state;
	s->pid = pid;
}

/* Three processes: a RUNNING scoreboard worker, a FATAL one, a STOPPED one with a hostile name. */
static size_t sample(struct proto_status st[3])
{
	set(&st[0], "app:app_0", "app", PROC_RUNNING, 100);
	st[0].uptime_ms = 60000;
	st[0].restarts = 4;
	st[0].restarts_manual = 2;
	st[0].flags = PROTO_ST_READY | PROTO_ST_HEARTBEAT;
	st[0].heartbeat_age_ms = 1500;
	st[0].ncounters = 2;
	st[0].counters[0] = 7;
	st[0].counters[1] = 123456789012ull;
	st[0].log_dropped = 99;
	set(&st[1], "crasher", "crasher", PROC_FATAL, 0);
	st[1].flags = PROTO_ST_EXITED;
	st[1].exitstatus = -9;
	st[1].restarts = 3;
	set(&st[2], "odd\"na\\me", "g\nx", PROC_STOPPED, 0);
	return 3;
}

static char *render(enum metrics_format fmt)
{
	struct proto_status st[3];
	size_t n = sample(st), len = 0;
	char *text = NULL;
	assert_int_equal(metrics_render(&daemon_numbers, st, n, NOW_MS, fmt, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void has(const char *text, const char *line)
{
	char *want = NULL;
	if (asprintf(&want, "\n%s\n", line) < 0)
		fail();
	if (!strstr(text, want))
		fail_msg("missing line: %s\n--- text:\n%s", line, text);
	free(want);
}

static void has_not(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected: %s\n--- text:\n%s", part, text);
}

static void test_prometheus(void **state)
{
	(void) state;
	char *t = render(METRICS_PROMETHEUS);
	assert_true(strncmp(t, "# HELP drover_build_info ", 25) == 0);
	has(t, "# TYPE drover_build_info gauge");
	has(t, "drover_build_info{drover=\"web\",version=\"1.2.3\"} 1");
	has(t, "drover_start_time_seconds{drover=\"web\"} 1799999000.500");
	has(t, "drover_processes{drover=\"web\",state=\"RUNNING\"} 1");
	has(t, "drover_processes{drover=\"web\",state=\"FATAL\"} 1");
	has(t, "drover_processes{drover=\"web\",state=\"STOPPED\"} 1");
	has(t, "drover_processes{drover=\"web\",state=\"BACKOFF\"} 0");
	has(t, "# TYPE drover_control_requests_total counter");
	has(t, "drover_control_requests_total{drover=\"web\"} 42");
	has(t, "drover_control_bad_messages_total{drover=\"web\"} 3");
	has(t, "drover_control_replies_dropped_total{drover=\"web\"} 1");
	has(t, "drover_reloads_total{drover=\"web\"} 5");
	has(t, "drover_reload_failures_total{drover=\"web\"} 2");
	has(t, "drover_process_state{drover=\"web\",group=\"app\",process=\"app:app_0\",state=\"RUNNING\"} 1");
	has(t, "drover_process_state{drover=\"web\",group=\"crasher\",process=\"crasher\",state=\"FATAL\"} 1");
	has(t, "drover_process_up{drover=\"web\",group=\"app\",process=\"app:app_0\"} 1");
	has(t, "drover_process_up{drover=\"web\",group=\"crasher\",process=\"crasher\"} 0");
	has(t, "drover_process_ready{drover=\"web\",group=\"app\",process=\"app:app_0\"} 1");
	has(t, "drover_process_ready{drover=\"web\",group=\"crasher\",process=\"crasher\"} 0");
	has(t, "# TYPE drover_process_restarts_total counter");
	has(t, "drover_process_restarts_total{drover=\"web\",group=\"app\",process=\"app:app_0\",reason=\"automatic\"} 4");
	has(t, "drover_process_restarts_total{drover=\"web\",group=\"app\",process=\"app:app_0\",reason=\"manual\"} 2");
	has(t, "drover_process_restarts_total{drover=\"web\",group=\"crasher\",process=\"crasher\",reason=\"automatic\"} 3");
	/* start time = now - uptime, only for a process with a worker */
	has(t, "drover_process_start_time_seconds{drover=\"web\",group=\"app\",process=\"app:app_0\"} 1799999940.123");
	has_not(t, "drover_process_start_time_seconds{drover=\"web\",group=\"crasher\"");
	has(t, "drover_process_heartbeat_age_seconds{drover=\"web\",group=\"app\",process=\"app:app_0\"} 1.500");
	has_not(t, "drover_process_heartbeat_age_seconds{drover=\"web\",group=\"crasher\"");
	has(t, "drover_process_log_dropped_bytes_total{drover=\"web\",group=\"app\",process=\"app:app_0\"} 99");
	has(t, "drover_process_last_exit_status{drover=\"web\",group=\"crasher\",process=\"crasher\"} -9");
	has_not(t, "drover_process_last_exit_status{drover=\"web\",group=\"app\"");
	has(t, "drover_process_reported_total{drover=\"web\",group=\"app\",process=\"app:app_0\",index=\"0\"} 7");
	has(t, "drover_process_reported_total{drover=\"web\",group=\"app\",process=\"app:app_0\",index=\"1\"} 123456789012");
	/* label values escaped as the exposition format wants: \" \\ \n */
	has(t, "drover_process_up{drover=\"web\",group=\"g\\nx\",process=\"odd\\\"na\\\\me\"} 0");
	has_not(t, "# EOF");
	has_not(t, "# UNIT");
	/* every sample line of a family follows its own HELP and TYPE */
	assert_true(strstr(t, "# TYPE drover_process_up gauge") < strstr(t, "drover_process_up{"));
	assert_true(strstr(t, "drover_process_up{") < strstr(t, "# HELP drover_process_ready"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	free(t);
}

static void test_openmetrics(void **state)
{
	(void) state;
	char *t = render(METRICS_OPENMETRICS);
	assert_true(strncmp(t, "# TYPE drover_build info\n", 25) == 0);
	has(t, "drover_build_info{drover=\"web\",version=\"1.2.3\"} 1");
	has(t, "# TYPE drover_start_time_seconds gauge");
	has(t, "# UNIT drover_start_time_seconds seconds");
	has(t, "# TYPE drover_reloads counter");
	has(t, "drover_reloads_total{drover=\"web\"} 5");
	has(t, "# TYPE drover_process_log_dropped_bytes counter");
	has(t, "# UNIT drover_process_log_dropped_bytes bytes");
	has(t, "drover_process_log_dropped_bytes_total{drover=\"web\",group=\"app\",process=\"app:app_0\"} 99");
	has_not(t, "# TYPE drover_reloads_total");
	size_t len = strlen(t);
	assert_true(len > 6 && strcmp(t + len - 6, "# EOF\n") == 0);
	free(t);
}

/* No process at all: the daemon families and every header, nothing else. */
static void test_empty(void **state)
{
	(void) state;
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(metrics_render(&daemon_numbers, NULL, 0, NOW_MS, METRICS_PROMETHEUS, &text, &len), 0);
	has(text, "drover_processes{drover=\"web\",state=\"RUNNING\"} 0");
	has(text, "# TYPE drover_process_up gauge");
	has_not(text, "process=");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
