/* The event listener protocol (daemon/os/listener.c) on real pipes: READY, the header line and
 * payload written to the listener's stdin, RESULT OK / FAIL, the violations that make a listener
 * UNKNOWN (garbage, READY flood, a result line that never ends, too much), bounded memory for a
 * 1 MB line, input split at every byte, a full stdin pipe finished by the loop, a closed stdin,
 * and the listener's end while it holds an event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/os/listener.h"
#include "util.h"

struct rig {
	struct ev_loop *loop;
	struct listener *l;
	int rd;                 /* the listener's stdin, as the worker reads it */
	int readies, accepted, rejected;
	struct log_subject who;
};

static void on_ready(void *ctx) { ((struct rig *) ctx)->readies++; }
static void on_done(void *ctx, bool ok)
{
	struct rig *r = ctx;
	if (ok)
		r->accepted++;
	else
		r->rejected++;
}
static const struct listener_hooks hooks = { .ready = on_ready, .done = on_done };

static int setup(void **state)
{
	struct rig *r = xcalloc(1, sizeof(*r));
	int fds[2];
	r->who = (struct log_subject) { .name = "rec", .pid = 1, .state = "RUNNING" };
	r->loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	r->rd = fds[0];
	r->l = listener_new(r->loop, &hooks, r, &r->who);
	listener_attach(r->l, fds[1]);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	listener_free(r->l);
	close(r->rd);
	ev_loop_destroy(r->loop);
	free(r);
	return 0;
}

static void feed(struct rig *r, const char *s)
{
	listener_feed(r->l, s, strlen(s));
}

static const struct listener_event ev = {
	.server = "supervisor", .serial = 7, .pool = "rec", .pool_serial = 3, .name = "PROCESS_STATE_RUNNING",
	.payload = "processname:a groupname:a from_state:STARTING pid:42", .len = 52,
};

/* What the listener finds on its stdin now. */
static char *drain(struct rig *r)
{
	static char buf[4096];
	int fl = fcntl(r->rd, F_GETFL);
	fcntl(r->rd, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = read(r->rd, buf, sizeof(buf) - 1);
	fcntl(r->rd, F_SETFL, fl);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_ok_and_fail(void **state)
{
	struct rig *r = *state;
	assert_int_equal(listener_state(r->l), LISTENER_ACKNOWLEDGED);
	assert_int_equal(listener_send(r->l, &ev), -EAGAIN);          /* not READY yet */
	feed(r, "READY\n");
	assert_int_equal(r->readies, 1);
	assert_int_equal(listener_state(r->l), LISTENER_READY);
	assert_int_equal(listener_send(r->l, &ev), 0);
	assert_int_equal(listener_state(r->l), LISTENER_BUSY);
	assert_string_equal(drain(r), "ver:3.0 server:supervisor serial:7 pool:rec poolserial:3 "
	                              "eventname:PROCESS_STATE_RUNNING len:52\n"
	                              "processname:a groupname:a from_state:STARTING pid:42");
	feed(r, "RESULT 2\nOK");
	assert_int_equal(r->accepted, 1);
	assert_int_equal(listener_state(r->l), LISTENER_ACKNOWLEDGED);
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	feed(r, "RESULT 4\nFAIL");
	assert_int_equal(r->rejected, 1);
	assert_int_equal(listener_state(r->l), LISTENER_ACKNOWLEDGED);
	/* anything but exactly OK rejects: OKX, ok, an empty result */
	const char *const answers[] = { "RESULT 3\nOKX", "RESULT 2\nok", "RESULT 0\n", "RESULT 1\nO" };
	for (size_t i = 0; i < ELEMENTSOF(answers); i++) {
		feed(r, "READY\n");
		assert_int_equal(listener_send(r->l, &ev), 0);
		feed(r, answers[i]);
		assert_int_equal(r->rejected, 2 + (int) i);
		assert_int_equal(listener_state(r->l), LISTENER_ACKNOWLEDGED);
	}
	assert_int_equal(r->accepted, 1);
	/* blanks around the length, as Python's int() takes them */
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	feed(r, "RESULT  2 \nOK");
	assert_int_equal(r->accepted, 2);
	assert_int_equal(listener_counters(r->l)->violations, 0);
}

/* The same conversation one byte at a time: nothing depends on how the pipe cuts it. */
static void test_bytewise(void **state)
{
	struct rig *r = *state;
	const char *script = "READY\n";
	for (const char *c = script; *c; c++)
		listener_feed(r->l, c, 1);
	assert_int_equal(listener_send(r->l, &ev), 0);
	script = "RESULT 2\nOKREADY\n";
	for (const char *c = script; *c; c++)
		listener_feed(r->l, c, 1);
	assert_int_equal(r->accepted, 1);
	assert_int_equal(listener_state(r->l), LISTENER_READY);
	assert_int_equal(r->readies, 2);
}

static void test_violations(void **state)
{
	struct rig *r = *state;
	/* garbage where READY is due */
	feed(r, "HELLO!\n");
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(listener_send(r->l, &ev), -EAGAIN);
	feed(r, "READY\n");   /* too late: UNKNOWN until the next worker */
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(listener_counters(r->l)->violations, 1);

	/* a READY flood: more while READY */
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	close(r->rd);
	r->rd = fds[0];
	listener_attach(r->l, fds[1]);
	assert_int_equal(listener_state(r->l), LISTENER_ACKNOWLEDGED);
	feed(r, "READY\nREADY\n");
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);

	/* a bad result line rejects the event in flight */
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	close(r->rd);
	r->rd = fds[0];
	listener_attach(r->l, fds[1]);
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	feed(r, "RESULT two\nOK");
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(r->rejected, 1);

	/* too much: after the result, bytes that are not READY */
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	close(r->rd);
	r->rd = fds[0];
	listener_attach(r->l, fds[1]);
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	feed(r, "RESULT 2\nOKAND MORE");
	assert_int_equal(r->accepted, 1);
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(listener_counters(r->l)->violations, 4);
}

/* A 1 MB line in place of a result: UNKNOWN once the line passes the bound, fed in 64 KiB
 * chunks as the pipe reader hands them over; nothing of it is kept. */
static void test_big_line(void **state)
{
	struct rig *r = *state;
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	char *chunk = xmalloc(65536);
	memset(chunk, 'x', 65536);
	for (int i = 0; i < 16; i++)
		listener_feed(r->l, chunk, 65536);
	free(chunk);
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(r->rejected, 1);
	assert_int_equal(listener_counters(r->l)->violations, 1);
}

/* A stdin pipe that is full: the event waits for room (the loop writes the rest); a listener
 * that answers before it has read everything is fine. */
static void test_full_pipe(void **state)
{
	struct rig *r = *state;
	size_t big = 200 * 1024;
	char *payload = xmalloc(big);
	memset(payload, 'p', big);
	struct listener_event e = ev;
	e.payload = payload;
	e.len = big;
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &e), 0);
	assert_int_equal(listener_state(r->l), LISTENER_BUSY);
	/* read it all, turning the loop between reads */
	size_t got = 0, head = strlen("ver:3.0 server:supervisor serial:7 pool:rec poolserial:3 "
	                              "eventname:PROCESS_STATE_RUNNING len:204800\n");
	char buf[65536];
	int fl = fcntl(r->rd, F_GETFL);
	fcntl(r->rd, F_SETFL, fl | O_NONBLOCK);
	for (int spins = 0; spins < 10000 && got < big + head; spins++) {
		ssize_t n = read(r->rd, buf, sizeof(buf));
		if (n > 0)
			got += (size_t) n;
		ev_run(r->loop, EVRUN_NOWAIT);
	}
	assert_int_equal(got, big + head);   /* the header line, then every byte of the payload */
	feed(r, "RESULT 2\nOK");
	assert_int_equal(r->accepted, 1);
	free(payload);
}

/* The listener closed its stdin: the send fails, nothing is lost (the event is the caller's). */
static void test_closed_stdin(void **state)
{
	struct rig *r = *state;
	feed(r, "READY\n");
	close(r->rd);
	r->rd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(listener_send(r->l, &ev), -EPIPE);
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	assert_int_equal(r->rejected, 0);
}

/* The worker ends while it holds an event: the event is rejected (its pool queues it again). */
static void test_detach_busy(void **state)
{
	struct rig *r = *state;
	feed(r, "READY\n");
	assert_int_equal(listener_send(r->l, &ev), 0);
	feed(r, "RESULT 2\n");   /* half an answer */
	listener_detach(r->l);
	assert_int_equal(r->rejected, 1);
	assert_int_equal(listener_state(r->l), LISTENER_UNKNOWN);
	listener_feed(r->l, "OK", 2);   /* a descendant writes on: nobody hears */
	assert_int_equal(r->accepted, 0);
}

static void test_payload_len(void **state)
{
	(void) state;
	assert_int_equal(listener_payload_len("abc", 3), 3);
	assert_int_equal(listener_payload_len("h\xc3\xa9llo \xe2\x82\xac", 10), 7);   /* héllo € */
	assert_int_equal(listener_payload_len("", 0), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_and_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytewise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_violations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach_busy, setup, teardown),
		cmocka_unit_test(test_payload_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
