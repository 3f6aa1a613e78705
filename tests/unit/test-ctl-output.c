/* Unit tests for droverctl without a daemon: JSON escaping, durations, the status table,
 * result lines, global and per-command argument parsing, instance resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cmd.h"
#include "ctl/output.h"
#include "ctl/results.h"
#include "ctl/term.h"
#include "util.h"

/* ---- helpers ---- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static const char *cap_close(struct capture *c)
{
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

static char *json_of(const char *s, size_t len)
{
	struct capture c;
	cap_open(&c);
	json_write_string(c.f, s, len);
	cap_close(&c);
	return c.buf;
}

#define ASSERT_JSON(in, want) do { \
	char *got_ = json_of((in), sizeof(in) - 1); \
	assert_string_equal(got_, (want)); \
	free(got_); \
} while (0)

/* Parse a command line as main() would after the global options; stderr is captured. */
struct parsed {
	int rc;
	struct ctl_ctx ctx;
	struct cmd_args a;
	char *err;
};

static struct parsed parse_words(int argc, char **argv)
{
	struct parsed p;
	struct capture e, o;
	memset(&p, 0, sizeof(p));
	cap_open(&e);
	cap_open(&o);
	p.ctx.err = e.f;
	p.ctx.out = o.f;
	p.ctx.timeout_s = CTL_TIMEOUT_DEFAULT_S;
	p.rc = cmd_parse(&p.ctx, argc, argv, &p.a);
	p.err = (char *) cap_close(&e);
	free((char *) cap_close(&o));
	return p;
}

#define PARSE(...) ({ \
	const char *argv_[] = { __VA_ARGS__ }; \
	parse_words((int) (sizeof(argv_) / sizeof(argv_[0])), (char **) argv_); \
})

static int parse_rc_free(struct parsed p)
{
	free(p.err);
	return p.rc;
}

#define PARSE_RC(...) parse_rc_free(PARSE(__VA_ARGS__))

static void status_rec(struct proto_status *s, const char *name, enum proc_state st, int pid, uint64_t up_ms)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->group, sizeof(s->group), "%.*s", (int) strcspn(name, ":"), name);
	s->state = (uint8_t) st;
	s->pid = pid;
	s->uptime_ms = up_ms;
	s->next_attempt_ms = -1;
}

/* ---- JSON ---- */

static void test_json_plain(void **state)
{
	ASSERT_JSON("", "\"\"");
	ASSERT_JSON("web:web_00", "\"web:web_00\"");
	ASSERT_JSON("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
}

static void test_json_control(void **state)
{
	ASSERT_JSON("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	ASSERT_JSON("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	ASSERT_JSON("\x1b[31mred", "\"\\u001b[31mred\"");
	/* An embedded NUL is data, not the end. */
	char *got = json_of("a\0b", 3);
	assert_string_equal(got, "\"a\\u0000b\"");
	free(got);
}

static void test_json_utf8_valid(void **state)
{
	ASSERT_JSON("caf\xc3\xa9", "\"caf\xc3\xa9\"");                 /* é */
	ASSERT_JSON("\xe2\x82\xac", "\"\xe2\x82\xac\"");                /* € */
	ASSERT_JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");        /* U+1F600 */
	ASSERT_JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");        /* U+10FFFF */
}

static void test_json_utf8_invalid(void **state)
{
	ASSERT_JSON("\xff", "\"\\ufffd\"");
	ASSERT_JSON("a\x80z", "\"a\\ufffdz\"");                         /* stray continuation */
	ASSERT_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"");                  /* overlong '/' */
	ASSERT_JSON("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");       /* overlong 3-byte */
	ASSERT_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");       /* surrogate D800 */
	ASSERT_JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");   /* > U+10FFFF */
	ASSERT_JSON("\xe2\x82", "\"\\ufffd\\ufffd\"");                  /* truncated at the end */
	ASSERT_JSON("\xe2\x82x", "\"\\ufffd\\ufffdx\"");                /* truncated mid-string */
}

static void test_json_writer(void **state)
{
	struct capture c;
	struct json j;
	cap_open(&c);
	json_init(&j, c.f);
	json_begin_object(&j, NULL);
	json_str(&j, "a", "x");
	json_begin_array(&j, "b");
	json_int(&j, NULL, -1);
	json_uint(&j, NULL, 18446744073709551615ULL);
	json_begin_object(&j, NULL);
	json_end_object(&j);
	json_end_array(&j);
	json_bool(&j, "t", true);
	json_null(&j, "n");
	json_seconds(&j, "s", 1500);
	json_seconds(&j, "z", 7);
	json_end_object(&j);
	json_finish(&j);
	assert_string_equal(cap_close(&c),
		"{\"a\":\"x\",\"b\":[-1,18446744073709551615,{}],\"t\":true,\"n\":null,\"s\":1.500,\"z\":0.007}\n");
	free(c.buf);
}

/* ---- durations ---- */

static void test_uptime(void **state)
{
	char b[64];
	format_uptime(b, sizeof(b), 0);
	assert_string_equal(b, "0:00:00");
	format_uptime(b, sizeof(b), 62);
	assert_string_equal(b, "0:01:02");
	format_uptime(b, sizeof(b), 86399);
	assert_string_equal(b, "23:59:59");
	format_uptime(b, sizeof(b), 86400 + 3661);
	assert_string_equal(b, "1 day, 1:01:01");
	format_uptime(b, sizeof(b), 3 * 86400);
	assert_string_equal(b, "3 days, 0:00:00");
	format_age(b, sizeof(b), 300);
	assert_string_equal(b, "0.3s");
	format_age(b, sizeof(b), 59999);
	assert_string_equal(b, "59.9s");
	format_age(b, sizeof(b), 61000);
	assert_string_equal(b, "0:01:01");
	format_exit(b, sizeof(b), 3);
	assert_string_equal(b, "exit status 3");
	format_exit(b, sizeof(b), -9);
	assert_string_equal(b, "killed by SIGKILL");
}

/* ---- status ---- */

static void test_status_describe(void **state)
{
	struct proto_status s;
	char b[1024];

	status_rec(&s, "web", PROC_RUNNING, 1234, 62500);
	status_describe(&s, b, sizeof(b));
	assert_string_equal(b, "pid 1234, uptime 0:01:02");

	s.restarts = 2;
	s.flags = PROTO_ST_HEARTBEAT | PROTO_ST_BUSY;
	s.heartbeat_age_ms = 1200;
	s.ncounters = 2;
	s.counters[0] = 10;
	s.counters[1] = 20;
	snprintf(s.status_line, sizeof(s.status_line), "serving\n\x1b[2J");
	status_describe(&s, b, sizeof(b));
	assert_string_equal(b, "pid 1234, uptime 0:01:02, restarts 2, busy, heartbeat 1.2s ago, counters 10/20"
	                       " | serving\\n\\x1b[2J");

	status_rec(&s, "db", PROC_BACKOFF, 0, 0);
	s.flags = PROTO_ST_EXITED;
	s.exitstatus = 1;
	s.next_attempt_ms = 2000;
	status_describe(&s, b, sizeof(b));
	assert_string_equal(b, "exit status 1, next attempt in 2.0s");

	snprintf(s.description, sizeof(s.description), "Exited too quickly (process log may have details)");
	s.state = PROC_FATAL;
	s.next_attempt_ms = -1;
	status_describe(&s, b, sizeof(b));
	assert_string_equal(b, "Exited too quickly (process log may have details)");

	status_rec(&s, "x", PROC_STOPPED, 0, 0);
	status_describe(&s, b, sizeof(b));
	assert_string_equal(b, "");
}

/* supervisorctl's table: names padded to the longest + 3 (at least 33), states to 10. */
static void test_status_table_aligned(void **state)
{
	struct proto_status st[3];
	struct capture c;
	status_rec(&st[0], "a", PROC_RUNNING, 1, 1000);
	status_rec(&st[1], "group:long_process_name", PROC_STOPPED, 0, 0);
	status_rec(&st[2], "mid:x", PROC_STARTING, 22, 0);
	cap_open(&c);
	status_print_table(c.f, st, 3);
	assert_string_equal(cap_close(&c),
		"a                                RUNNING   pid 1, uptime 0:00:01\n"
		"group:long_process_name          STOPPED   \n"
		"mid:x                            STARTING  pid 22, uptime 0:00:00\n");
	free(c.buf);

	char longname[41];
	memset(longname, 'n', 40);
	longname[40] = '\0';
	status_rec(&st[0], longname, PROC_FATAL, 0, 0);
	cap_open(&c);
	status_print_table(c.f, st, 2);
	const char *out = cap_close(&c);
	assert_memory_equal(out + 43, "FATAL     \n", 11);
	assert_memory_equal(strchr(out, '\n') + 1 + 43, "STOPPED   \n", 11);
	free(c.buf);
}

/* Colour and width count visible columns: escapes take none, a UTF-8 sequence one; a cut inside a
 * colour ends it. */
/* status_sort: by pattern, group, name, stable (equal keys keep the daemon's order), whatever the
 * order of the input: checked against a plain insertion sort on shuffled tables. */
static int sort_ref_cmp(const struct proto_status *x, const struct proto_status *y)
{
	if (x->pattern != y->pattern)
		return x->pattern < y->pattern ? -1 : 1;
	int c = strcmp(x->group, y->group);
	if (c)
		return c;
	return strcmp(strchr(x->name, ':') + 1, strchr(y->name, ':') + 1);
}

static void test_status_sort(void **state)
{
	enum { N = 600 };
	struct proto_status *st = calloc(N, sizeof(*st)), *ref = calloc(N, sizeof(*ref));
	assert_non_null(st);
	assert_non_null(ref);
	unsigned seed = 7;
	for (int round = 0; round < 6; round++) {
		size_t n = round == 0 ? 0 : round == 1 ? 1 : (size_t) (N - round);
		for (size_t i = 0; i < n; i++) {
			char name[64];
			seed = seed * 1103515245u + 12345u;
			/* few distinct keys: many ties, so stability shows */
			snprintf(name, sizeof(name), "g%u:p%u", (seed >> 16) % 5, (seed >> 8) % 7);
			status_rec(&st[i], name, PROC_RUNNING, (int) i + 1, 0);
			st[i].pattern = round >= 4 ? (uint16_t) ((seed >> 4) % 3) : PROTO_PATTERN_NONE;
		}
		if (round == 3) {   /* in order already */
			for (size_t i = 1; i < n; i++)
				for (size_t j = i; j > 0 && sort_ref_cmp(&st[j - 1], &st[j]) > 0; j--) {
					struct proto_status t = st[j];
					st[j] = st[j - 1];
					st[j - 1] = t;
				}
		}
		memcpy(ref, st, n * sizeof(*st));
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && sort_ref_cmp(&ref[j - 1], &ref[j]) > 0; j--) {
				struct proto_status t = ref[j];
				ref[j] = ref[j - 1];
				ref[j - 1] = t;
			}
		status_sort(st, n);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(st[i].name, ref[i].name);
			assert_int_equal(st[i].pid, ref[i].pid);   /* the same record: ties kept their order */
			assert_int_equal(st[i].pattern, ref[i].pattern);
		}
	}
	free(st);
	free(ref);
}

/* escape_line copies runs of plain bytes at once: the same text as byte by byte, cut at the same
 * place, for every output size. */
static void escape_ref(char *out, size_t size, const char *s)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		char tmp[5];
		size_t n;
		if (c == '\n') { tmp[0] = '\\'; tmp[1] = 'n'; n = 2; }
		else if (c == '\\') { tmp[0] = '\\'; tmp[1] = '\\'; n = 2; }
		else if (c < 0x20 || c >= 0x7f) { snprintf(tmp, sizeof(tmp), "\\x%02x", c); n = 4; }
		else { tmp[0] = (char) c; n = 1; }
		if (o + n >= size)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o] = '\0';
}

static void test_escape_line(void **state)
{
	char got[64], want[64];
	escape_line(got, sizeof(got), "web:web_00 a\\b\nc\x1b\xc3\xa9");
	assert_string_equal(got, "web:web_00 a\\\\b\\nc\\x1b\\xc3\\xa9");
	unsigned seed = 11;
	for (int round = 0; round < 2000; round++) {
		char in[24];
		size_t len = (size_t) round % sizeof(in);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned v = (seed >> 16) % 10;
			in[i] = v < 6 ? (char) ('a' + v) : v == 6 ? '\\' : v == 7 ? '\n' : v == 8 ? (char) 0x80 : '\t';
		}
		in[len] = '\0';
		for (size_t size = 1; size <= 40; size++) {
			memset(got, 'X', sizeof(got));
			escape_line(got, size, in);
			escape_ref(want, size, in);
			assert_string_equal(got, want);
		}
	}
}

static void test_term_cut(void **state)
{
	struct capture c;
	assert_int_equal(term_visible_width("ab\033[32mRUN\033[0m  x"), 8);
	assert_int_equal(term_visible_width("\xc3\xa9t\xc3\xa9"), 3);
	cap_open(&c);
	term_put_line(c.f, "ab\033[32mRUNNING\033[0m xyz", 5);
	term_put_line(c.f, "ab\033[32mRUN\033[0m xyz", 5);
	term_put_line(c.f, "\xc3\xa9t\xc3\xa9z", 3);
	term_put_line(c.f, "short", 0);
	term_put_line(c.f, "short", 80);
	assert_string_equal(cap_close(&c),
		"ab\033[32mRUN\033[0m\n"
		"ab\033[32mRUN\033[0m\n"
		"\xc3\xa9t\xc3\xa9\n"
		"short\nshort\n");
	free(c.buf);

	struct proto_status st[2];
	struct table_style style = { .width = 0, .color = true };
	status_rec(&st[0], "a", PROC_RUNNING, 1, 1000);
	status_rec(&st[1], "b", PROC_STOPPED, 0, 0);
	cap_open(&c);
	status_print_table_style(c.f, st, 2, &style, NULL, NULL);
	assert_string_equal(cap_close(&c),
		"a                                \033[32mRUNNING\033[0m   pid 1, uptime 0:00:01\n"
		"b                                STOPPED   \n");
	free(c.buf);
	style.width = 36;
	cap_open(&c);
	status_print_table_style(c.f, st, 1, &style, NULL, NULL);
	assert_string_equal(cap_close(&c), "a                                \033[32mRUN\033[0m\n");
	free(c.buf);
}

static void test_status_table_escapes_names(void **state)
{
	struct proto_status st;
	struct capture c;
	status_rec(&st, "evil\x1b]0;x\x07", PROC_RUNNING, 5, 0);
	cap_open(&c);
	status_print_table(c.f, &st, 1);
	const char *out = cap_close(&c);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "evil\\x1b]0;x\\x07"));
	free(c.buf);
}

static void test_status_json(void **state)
{
	struct proto_status st[2];
	struct capture c;
	status_rec(&st[0], "web:web_00", PROC_RUNNING, 42, 1500);
	st[0].flags = PROTO_ST_READY | PROTO_ST_HEARTBEAT;
	st[0].heartbeat_age_ms = 250;
	st[0].ncounters = 1;
	st[0].counters[0] = 9;
	st[0].flags |= PROTO_ST_READY_VIA;
	st[0].ready_via = PROTO_CHECK_NOTIFY;
	st[0].ready_after_ms = 800;
	strcpy(st[0].ready_detail, "READY=1");
	st[0].health_check = PROTO_CHECK_HTTP;
	st[0].health_result = PROTO_HEALTH_FAILED;
	st[0].health_age_ms = 12;
	st[0].health_latency_ms = 3;
	st[0].health_failures = 2;
	st[0].health_failures_max = 3;
	strcpy(st[0].health_detail, "HTTP 503");
	st[0].notify_dropped = 7;
	status_rec(&st[1], "db", PROC_FATAL, 0, 0);
	st[1].flags = PROTO_ST_EXITED;
	st[1].exitstatus = -15;
	st[1].next_attempt_ms = 30000;
	st[1].since_ms = 1764753243250u;   /* 2025-12-03T09:14:03.250Z */
	st[1].restarts_manual = 2;
	setenv("TZ", "UTC", 1);
	tzset();
	cap_open(&c);
	status_print_json(c.f, st, 2);
	assert_string_equal(cap_close(&c),
		"[{\"name\":\"web:web_00\",\"group\":\"web\",\"state\":\"RUNNING\",\"pid\":42,\"uptime\":1.500,"
		"\"restarts\":0,\"restarts_manual\":0,\"since\":null,\"exitstatus\":null,\"ready\":true,\"heartbeat_age\":0.250,\"status\":\"\","
		"\"counters\":[9],\"description\":\"\",\"busy\":false,\"log_dropped\":0,\"next_attempt\":null,\"slot_bad\":false,"
		"\"ready_via\":\"notify\",\"ready_after\":0.800,\"ready_detail\":\"READY=1\",\"health\":{\"check\":\"http\","
		"\"result\":\"failed\",\"age\":0.012,\"latency\":0.003,\"failures\":2,\"failures_max\":3,"
		"\"detail\":\"HTTP 503\"},\"notify_dropped\":7},"
		"{\"name\":\"db\",\"group\":\"db\",\"state\":\"FATAL\",\"pid\":0,\"uptime\":0.000,"
		"\"restarts\":0,\"restarts_manual\":2,\"since\":\"2025-12-03T09:14:03.250+00:00\",\"exitstatus\":-15,\"ready\":false,\"heartbeat_age\":null,\"status\":\"\","
		"\"counters\":[],\"description\":\"killed by SIGTERM\",\"busy\":false,\"log_dropped\":0,\"next_attempt\":30.000,"
		"\"slot_bad\":false,\"ready_via\":null,\"ready_after\":null,\"ready_detail\":\"\",\"health\":null,"
		"\"notify_dropped\":0}]\n");
	free(c.buf);

	/* the table says the same in words */
	cap_open(&c);
	status_print_table(c.f, st, 1);
	assert_string_equal(cap_close(&c), "web:web_00                       RUNNING   pid 42, uptime 0:00:01, ready via notify 0.8s after spawn, "
	                                   "health: http HTTP 503, 2/3 failures, 0.0s ago, notify dropped 7, idle, "
	                                   "heartbeat 0.2s ago, counters 9\n");
	free(c.buf);

	cap_open(&c);
	status_print_json(c.f, NULL, 0);
	assert_string_equal(cap_close(&c), "[]\n");
	free(c.buf);
}

static struct proto_result res_of(const char *name, int32_t result, enum proc_state state, uint16_t pattern)
{
	struct proto_result r = { .result = result, .state = (uint8_t) state, .pattern = pattern };
	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

static void test_result_lines(void **state)
{
	static const struct result_words start = { "started", "starting", "started", 300 };
	static const struct result_words wait = { NULL, NULL, "RUNNING", 0.5 };
	struct proto_result r;
	struct capture c;
	cap_open(&c);
#define LINE(name, code, st, w) (r = res_of((name), (code), (st), 0), result_print_line(c.f, &r, (w)))
	LINE("web:web_00", 0, PROC_RUNNING, &start);
	LINE("web:web_01", -EINPROGRESS, PROC_STARTING, &start);
	LINE("b", -EALREADY, PROC_RUNNING, &start);
	LINE("x", -ENOENT, PROC_UNKNOWN, &start);
	LINE("web", -EIO, PROC_FATAL, &start);
	LINE("web", -EIO, PROC_EXITED, &start);
	LINE("web", -EIO, PROC_STOPPED, &start);
	LINE("s", -ESRCH, PROC_STOPPED, &start);
	LINE("y", -EPERM, PROC_RUNNING, &start);
	LINE("z", -ETIMEDOUT, PROC_BACKOFF, &start);
	LINE("gone", -EIDRM, PROC_STOPPED, &start);
	LINE("late", -ESHUTDOWN, PROC_STOPPED, &start);
	LINE("end", -ECANCELED, PROC_STARTING, &start);
	LINE("esc\x1b", 0, PROC_RUNNING, &start);
	LINE("w", 0, PROC_STOPPED, &wait);
	LINE("w", -ETIMEDOUT, PROC_STOPPED, &wait);
#undef LINE
	assert_string_equal(cap_close(&c),
		"web:web_00: started\n"
		"web:web_01: starting\n"
		"b: ERROR (already started)\n"
		"x: ERROR (no such process)\n"
		"web: ERROR (spawn error)\n"
		"web: ERROR (abnormal termination)\n"
		"web: ERROR (stopped)\n"
		"s: ERROR (not running)\n"
		"y: ERROR (Operation not permitted)\n"
		"z: ERROR (not started after 300 s: BACKOFF)\n"
		"gone: ERROR (removed by reload)\n"
		"late: ERROR (shutting down)\n"
		"end: ERROR (droverd is shutting down)\n"
		"esc\\x1b: started\n"
		"w: STOPPED\n"
		"w: ERROR (not RUNNING after 0.5 s: STOPPED)\n");
	free(c.buf);
}

/* supervisorctl's order and exit status: pattern by pattern, each pattern's processes or its
 * error line; a group form leaves out what is already in the state; the last result that sets
 * an exit status wins (unknown name 1, unknown group 2 for start, spawn error 7). */
static void test_print_results(void **state)
{
	const char *patterns[] = { "a", "nope", "g:*", "x:*", "b", "web" };
	struct proto_result recs[6];
	struct proto_reply rep = { .type = PROTO_START };
	struct ctl_ctx ctx = { 0 };
	struct capture o, e;

	recs[0] = res_of("a", -EALREADY, PROC_RUNNING, 0);
	recs[1] = res_of("g:c", -EALREADY, PROC_RUNNING, 2);     /* quiet: g:* is a group form */
	recs[2] = res_of("g:d", 0, PROC_RUNNING, 2);
	recs[3] = res_of("b", -EIO, PROC_FATAL, 4);
	recs[4] = res_of("web:web_0", -EALREADY, PROC_RUNNING, 5);   /* a name of several: a group form */
	recs[5] = res_of("web:web_1", -EIO, PROC_EXITED, 5);
	rep.results = recs;
	rep.nrecords = 6;
	rep.unmatched[0] = 1;
	rep.unmatched[1] = 3;
	rep.nunmatched = 2;
	cap_open(&o);
	cap_open(&e);
	ctx.out = o.f;
	ctx.err = e.f;
	assert_int_equal(results_print(&ctx, &rep, patterns, 6, &result_policy_start), CTL_EXIT_DEAD);
	assert_int_equal(results_print(&ctx, &rep, patterns, 4, &result_policy_start), CTL_EXIT_USAGE);
	assert_int_equal(results_print(&ctx, &rep, patterns, 1, &result_policy_start), CTL_EXIT_OK);
	ctx.json = true;
	assert_int_equal(results_print(&ctx, &rep, patterns, 3, &result_policy_start), CTL_EXIT_FAILED);
	assert_string_equal(cap_close(&o),
		"a: ERROR (already started)\nnope: ERROR (no such process)\ng:d: started\nx: ERROR (no such group)\n"
		"b: ERROR (spawn error)\nweb:web_1: ERROR (abnormal termination)\n"
		"a: ERROR (already started)\nnope: ERROR (no such process)\ng:d: started\nx: ERROR (no such group)\n"
		"a: ERROR (already started)\n"
		"[{\"name\":\"a\",\"ok\":false,\"message\":\"ERROR (already started)\"},"
		"{\"name\":\"nope\",\"ok\":false,\"message\":\"ERROR (no such process)\"},"
		"{\"name\":\"g:c\",\"ok\":false,\"message\":\"ERROR (already started)\"},"
		"{\"name\":\"g:d\",\"ok\":true,\"message\":\"started\"}]\n");
	assert_string_equal(cap_close(&e), "");
	free(o.buf);
	free(e.buf);

	/* stop: "not running" of a single name is printed and harmless; signal: it exits 7 */
	const char *one[] = { "s", "t:" };
	recs[0] = res_of("s", -ESRCH, PROC_STOPPED, 0);
	recs[1] = res_of("t:u", -ESRCH, PROC_EXITED, 1);
	rep.nrecords = 2;
	rep.nunmatched = 0;
	cap_open(&o);
	ctx.out = o.f;
	ctx.json = false;
	assert_int_equal(results_print(&ctx, &rep, one, 2, &result_policy_stop), CTL_EXIT_OK);
	assert_int_equal(results_print(&ctx, &rep, one, 2, &result_policy_signal), CTL_EXIT_DEAD);
	assert_string_equal(cap_close(&o), "s: ERROR (not running)\ns: ERROR (not running)\n");
	free(o.buf);
}

/* A waited restart reads as supervisorctl's stop, then start. */
static void test_print_restart(void **state)
{
	const char *patterns[] = { "a", "b", "nope", "g:*" };
	struct proto_result recs[4];
	struct proto_reply rep = { .type = PROTO_RESTART };
	struct ctl_ctx ctx = { 0 };
	struct capture o;

	recs[0] = res_of("a", 0, PROC_RUNNING, 0);
	recs[0].flags = PROTO_RES_WAS_UP;
	recs[1] = res_of("b", -EIO, PROC_FATAL, 1);
	recs[2] = res_of("g:c", 0, PROC_RUNNING, 3);
	recs[2].flags = PROTO_RES_WAS_UP;
	recs[3] = res_of("g:d", 0, PROC_RUNNING, 3);
	rep.results = recs;
	rep.nrecords = 4;
	rep.unmatched[0] = 2;
	rep.nunmatched = 1;
	cap_open(&o);
	ctx.out = o.f;
	assert_int_equal(results_print_restart(&ctx, &rep, patterns, 4, 300), CTL_EXIT_FAILED);
	assert_string_equal(cap_close(&o),
		"a: stopped\nb: ERROR (not running)\nnope: ERROR (no such process)\ng:c: stopped\n"
		"a: started\nb: ERROR (spawn error)\nnope: ERROR (no such process)\ng:c: started\ng:d: started\n");
	free(o.buf);
}

/* ---- argument parsing ---- */

static void test_parse_commands_usage(void **state)
{
	assert_int_equal(PARSE_RC("bogus"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("status", "--bogus"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("start"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("stop", "--no-wait"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("restart", "--timeout"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("start", "web", "--timeout", "x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("start", "web", "--timeout", "0"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("start", "web", "-x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("signal"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("signal", "TERM"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("reload", "x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("shutdown", "now"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("version", "x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "web", "stdin"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "web", "stdout", "x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-n", "-1", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-n", "many", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-n"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("wait"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("wait", "RUNNING"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("wait", "UP", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("wait", "RUNNING", "web", "--no-wait"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("wait", "RUNNING", "web", "--timeout", "-1"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("report"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("report", "--busy", "--idle"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("report", "--status"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("report", "--ready", "extra"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("help", "a", "b"), CTL_EXIT_USAGE);

	char long_status[PROTO_STATUS_LINE_MAX + 1];
	memset(long_status, 'x', sizeof(long_status) - 1);
	long_status[sizeof(long_status) - 1] = '\0';
	assert_int_equal(PARSE_RC("report", "--status", long_status), CTL_EXIT_USAGE);

	/* More patterns than one request carries. */
	char *many[PROTO_ARGS_MAX + 2];
	many[0] = (char *) "status";
	for (int i = 1; i < PROTO_ARGS_MAX + 2; i++)
		many[i] = (char *) "p";
	struct parsed p = parse_words(PROTO_ARGS_MAX + 2, many);
	assert_int_equal(p.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(p.err, "too many arguments"));
	free(p.err);
}

static void test_parse_usage_message(void **state)
{
	struct parsed p = PARSE("start", "web", "--bogus");
	assert_int_equal(p.rc, CTL_EXIT_USAGE);
	assert_non_null(strstr(p.err, "droverctl: start: unknown option '--bogus'"));
	assert_non_null(strstr(p.err, "usage: droverctl [options] start PATTERN..."));
	free(p.err);

	/* a bad signal name is not a usage error: as supervisorctl, each name's result (exit 1) */
	p = PARSE("signal", "BOGUS", "web");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.signo, -1);
	free(p.err);
	p = PARSE("signal", "0", "web");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.signo, 0);
	free(p.err);

	p = PARSE("frobnicate");
	assert_non_null(strstr(p.err, "droverctl: unknown command 'frobnicate'"));
	free(p.err);
}

static void test_parse_commands_ok(void **state)
{
	struct parsed p;

	p = PARSE("status");
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.a.cmd->name, "status");
	assert_int_equal(p.a.npos, 0);
	free(p.err);

	p = PARSE("status", "web", "db:*", "--json");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.npos, 2);
	assert_string_equal(p.a.pos[1], "db:*");
	assert_true(p.ctx.json);
	free(p.err);

	p = PARSE("start", "web", "--no-wait", "db");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.no_wait);
	assert_int_equal(p.a.npos, 2);
	assert_true(p.a.wait_s < 0);
	free(p.err);

	p = PARSE("stop", "all", "--timeout", "2.5");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.wait_s > 2.49 && p.a.wait_s < 2.51);
	/* one meaning everywhere: the whole command waits at most that long */
	assert_true(p.ctx.limit_s > 2.49 && p.ctx.limit_s < 2.51);
	assert_true(p.ctx.timeout_s > 2.49 && p.ctx.timeout_s < 2.51);
	free(p.err);
	p = PARSE("stop", "all");
	assert_true(p.ctx.limit_s <= 0);
	assert_true(p.ctx.timeout_s == CTL_TIMEOUT_DEFAULT_S);
	free(p.err);
	/* taken by every command, status too */
	p = PARSE("status", "--timeout", "1");
	assert_int_equal(p.rc, 0);
	assert_true(p.ctx.limit_s > 0.99 && p.ctx.limit_s < 1.01);
	free(p.err);

	p = PARSE("restart", "--timeout=7", "--", "-odd-name");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.npos, 1);
	assert_string_equal(p.a.pos[0], "-odd-name");
	free(p.err);

	p = PARSE("signal", "TERM", "web");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.signo, SIGTERM);
	free(p.err);
	p = PARSE("signal", "SIGKILL", "web", "db");
	assert_int_equal(p.a.signo, SIGKILL);
	assert_int_equal(p.a.npos, 3);
	free(p.err);
	p = PARSE("signal", "10", "web");
	assert_int_equal(p.a.signo, 10);
	free(p.err);
	p = PARSE("signal", "hup", "web");
	assert_int_equal(p.a.signo, SIGHUP);
	free(p.err);

	p = PARSE("pid");
	assert_int_equal(p.rc, 0);
	free(p.err);
	p = PARSE("pid", "web");
	assert_int_equal(p.rc, 0);
	free(p.err);

	p = PARSE("tail", "web");
	assert_int_equal(p.rc, 0);
	assert_false(p.a.follow);
	assert_int_equal(p.a.lines, CTL_TAIL_LINES_DEFAULT);
	assert_int_equal(p.a.stream, 0);
	free(p.err);
	p = PARSE("tail", "-f", "-n", "50", "web", "stderr");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.follow);
	assert_int_equal(p.a.lines, 50);
	assert_int_equal(p.a.stream, 1);
	free(p.err);
	p = PARSE("tail", "-n0", "web", "stdout");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.lines, 0);
	free(p.err);
	/* supervisorctl's byte form */
	p = PARSE("tail", "-1600", "web", "stderr");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.bytes_set);
	assert_int_equal(p.a.bytes, 1600);
	assert_int_equal(p.a.npos, 2);
	assert_int_equal(p.a.stream, 1);
	free(p.err);
	p = PARSE("tail", "web", "-0");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.bytes_set);
	assert_int_equal(p.a.bytes, 0);
	free(p.err);
	p = PARSE("tail", "--", "-5");
	assert_int_equal(p.rc, 0);
	assert_false(p.a.bytes_set);
	assert_string_equal(p.a.pos[0], "-5");
	free(p.err);
	assert_int_equal(PARSE_RC("tail", "-5", "-6", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-5x", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-f", "-5", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("tail", "-n", "3", "-5", "web"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("start", "-5", "web"), CTL_EXIT_USAGE);   /* only tail takes it */

	p = PARSE("pid", "a", "b");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.npos, 2);
	free(p.err);
	assert_int_equal(PARSE_RC("update", "g", "h"), 0);
	assert_int_equal(PARSE_RC("reread", "x"), CTL_EXIT_USAGE);
	assert_int_equal(PARSE_RC("avail", "x"), CTL_EXIT_USAGE);

	p = PARSE("wait", "running", "web:*", "--timeout", "3");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.state, PROC_RUNNING);
	assert_true(p.a.wait_s > 2.99 && p.a.wait_s < 3.01);
	assert_int_equal(p.a.npos, 2);
	free(p.err);
	p = PARSE("wait", "STOPPED", "all");
	assert_int_equal(p.a.state, PROC_STOPPED);
	assert_true(p.a.wait_s < 0);
	free(p.err);

	p = PARSE("report", "--ready", "--heartbeat", "--busy", "--status", "-serving 3 clients");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.a.report, CTL_REPORT_READY | CTL_REPORT_HEARTBEAT | CTL_REPORT_BUSY | CTL_REPORT_STATUS);
	assert_string_equal(p.a.status_text, "-serving 3 clients");
	free(p.err);
	p = PARSE("report", "--status=idle now", "--idle");
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.a.status_text, "idle now");
	free(p.err);

	p = PARSE("stop", "-h");
	assert_int_equal(p.rc, 0);
	assert_true(p.a.help);
	free(p.err);

	p = PARSE("help", "status");
	assert_int_equal(p.rc, 0);
	free(p.err);
}

static void test_parse_global(void **state)
{
	struct ctl_ctx ctx = { 0 };
	struct ctl_globals g;
	struct capture e;
	int idx;
	cap_open(&e);
	ctx.err = e.f;

	const char *a1[] = { "droverctl", "-n", "x", "--json", "--timeout", "0.5", "status", "--timeout", "9" };
	assert_int_equal(cmd_parse_global(&ctx, 9, (char **) a1, &g, &idx), 0);
	assert_string_equal(g.name, "x");
	assert_true(g.json);
	assert_true(g.timeout_s > 0.49 && g.timeout_s < 0.51);
	assert_int_equal(idx, 6);

	const char *a2[] = { "droverctl", "--name=y", "-cfile.ini", "version" };
	assert_int_equal(cmd_parse_global(&ctx, 4, (char **) a2, &g, &idx), 0);
	assert_string_equal(g.name, "y");
	assert_string_equal(g.config, "file.ini");
	assert_int_equal(idx, 3);
	assert_true(g.timeout_s < 0);   /* not given */

	const char *a3[] = { "droverctl" };
	assert_int_equal(cmd_parse_global(&ctx, 1, (char **) a3, &g, &idx), 0);
	assert_int_equal(idx, 1);

	const char *bad1[] = { "droverctl", "--timeout", "0", "status" };
	assert_int_equal(cmd_parse_global(&ctx, 4, (char **) bad1, &g, &idx), CTL_EXIT_USAGE);
	const char *bad2[] = { "droverctl", "--timeout", "soon", "status" };
	assert_int_equal(cmd_parse_global(&ctx, 4, (char **) bad2, &g, &idx), CTL_EXIT_USAGE);
	const char *bad3[] = { "droverctl", "-x", "status" };
	assert_int_equal(cmd_parse_global(&ctx, 3, (char **) bad3, &g, &idx), CTL_EXIT_USAGE);
	const char *bad4[] = { "droverctl", "-n" };
	assert_int_equal(cmd_parse_global(&ctx, 2, (char **) bad4, &g, &idx), CTL_EXIT_USAGE);
	const char *bad5[] = { "droverctl", "--timeout", "1e9", "status" };
	assert_int_equal(cmd_parse_global(&ctx, 4, (char **) bad5, &g, &idx), CTL_EXIT_USAGE);
	const char *bad6[] = { "droverctl", "--timeout", "nan", "status" };
	assert_int_equal(cmd_parse_global(&ctx, 4, (char **) bad6, &g, &idx), CTL_EXIT_USAGE);
	cap_close(&e);
	free(e.buf);
}

static void test_usage_lists_commands(void **state)
{
	struct capture c;
	cap_open(&c);
	cmd_usage(c.f);
	const char *u = cap_close(&c);
	const char *cmds[] = { "status", "start", "stop", "restart", "signal", "pid", "reload", "reread",
	                       "update", "avail", "shutdown", "tail", "wait", "report", "version", "help" };
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		char needle[32];
		snprintf(needle, sizeof(needle), "\n  %s", cmds[i]);
		assert_non_null(strstr(u, needle));
		assert_non_null(cmd_find(cmds[i]));
	}
	assert_null(strstr(u, "_names"));
	assert_null(cmd_find("nosuch"));
	free(c.buf);
}

/* ---- instance resolution ---- */

static char *write_temp(const char *content)
{
	char *path = xstrdup("/tmp/test-ctl-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
	close(fd);
	return path;
}

/* -c FILE: the name as droverd reads it (its own config reader). Regressions: "name = x # note"
 * was "invalid instance name", and "Name = x" (keys are case-insensitive) silently gave the
 * default instance. */
static void test_instance_from_config(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "; comment\n[program:web]\ncommand = /bin/true\n[drover]\n  name = prod-1 ; inline\nlog_dir=/x\n", "prod-1" },
		{ "[drover]\nname = prod-2 # inline, the other way\n", "prod-2" },
		{ "[drover]\nName = cased\n", "cased" },
		{ "[DROVER]\nname = upper\n", NULL },            /* a section of another name: the default */
		{ "[drover]\nlog_dir = /x\n[program:a]\ncommand=/bin/true\n", "drover" },
		{ "[ drover ]\nname: colon\n", "colon" },
		{ "[drover]\nname = x%(ENV_TEST_CTL_SUFFIX)s\n", "xsfx" },
		/* errors elsewhere do not hide the name: droverctl -c F reload must reach droverd */
		{ "[drover]\nname = still\n[program:broken]\nautostart = maybe\n", "still" },
	};
	struct ctl_ctx ctx = { 0 };
	struct capture e;
	cap_open(&e);
	ctx.err = e.f;
	setenv("TEST_CTL_SUFFIX", "sfx", 1);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *p = write_temp(cases[i].text);
		int r = instance_resolve(&ctx, NULL, p);
		if (r != 0)
			fail_msg("case %zu: instance_resolve returned %d", i, r);
		assert_string_equal(ctx.instance, cases[i].want ? cases[i].want : "drover");
		unlink(p);
		free(p);
	}
	unsetenv("TEST_CTL_SUFFIX");
	cap_close(&e);
	free(e.buf);
}

static void test_instance_resolve(void **state)
{
	struct ctl_ctx ctx = { 0 };
	struct capture e;
	char *p;
	cap_open(&e);
	ctx.err = e.f;

	unsetenv("DROVER_NAME");
	assert_int_equal(instance_resolve(&ctx, NULL, NULL), 0);
	assert_string_equal(ctx.instance, "drover");

	setenv("DROVER_NAME", "fromenv", 1);
	assert_int_equal(instance_resolve(&ctx, NULL, NULL), 0);
	assert_string_equal(ctx.instance, "fromenv");

	p = write_temp("[drover]\nname = fromfile\n");
	assert_int_equal(instance_resolve(&ctx, NULL, p), 0);
	assert_string_equal(ctx.instance, "fromfile");
	assert_int_equal(instance_resolve(&ctx, "fromopt", p), 0);
	assert_string_equal(ctx.instance, "fromopt");
	unlink(p);
	free(p);

	p = write_temp("[drover]\nname = bad/name\n");
	assert_int_equal(instance_resolve(&ctx, NULL, p), CTL_EXIT_USAGE);
	unlink(p);
	free(p);
	p = write_temp("[drover]\nname =\n");
	assert_int_equal(instance_resolve(&ctx, NULL, p), CTL_EXIT_USAGE);
	unlink(p);
	free(p);

	assert_int_equal(instance_resolve(&ctx, "has space", NULL), CTL_EXIT_USAGE);
	assert_int_equal(instance_resolve(&ctx, "x123456789012345678901234567890123", NULL), CTL_EXIT_USAGE);
	assert_int_equal(instance_resolve(&ctx, NULL, "/nonexistent.ini"), CTL_EXIT_USAGE);
	setenv("DROVER_NAME", "../etc", 1);
	assert_int_equal(instance_resolve(&ctx, NULL, NULL), CTL_EXIT_USAGE);
	unsetenv("DROVER_NAME");

	cap_close(&e);
	free(e.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain),
		cmocka_unit_test(test_json_control),
		cmocka_unit_test(test_json_utf8_valid),
		cmocka_unit_test(test_json_utf8_invalid),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_uptime),
		cmocka_unit_test(test_status_describe),
		cmocka_unit_test(test_status_table_aligned),
		cmocka_unit_test(test_status_table_escapes_names),
		cmocka_unit_test(test_status_sort),
		cmocka_unit_test(test_escape_line),
		cmocka_unit_test(test_term_cut),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_result_lines),
		cmocka_unit_test(test_print_results),
		cmocka_unit_test(test_print_restart),
		cmocka_unit_test(test_parse_commands_usage),
		cmocka_unit_test(test_parse_usage_message),
		cmocka_unit_test(test_parse_commands_ok),
		cmocka_unit_test(test_parse_global),
		cmocka_unit_test(test_usage_lists_commands),
		cmocka_unit_test(test_instance_from_config),
		cmocka_unit_test(test_instance_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
