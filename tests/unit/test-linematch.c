/* log:REGEX matching (daemon/os/linematch.c) and the HTTP status line of a probe (daemon/os/probe.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "daemon/os/linematch.h"
#include "daemon/os/probe.h"

static void test_lines(void **state)
{
	(void) state;
	struct linematch *m;
	assert_int_equal(linematch_new("^Ready to (serve|work)$", &m), 0);
	assert_false(linematch_feed(m, 0, "starting\nRea", 12));
	assert_false(linematch_feed(m, 1, "dy to serve\n", 12));     /* another stream: its own line */
	assert_true(linematch_feed(m, 0, "dy to work\r\nmore", 16));  /* CR LF ends a line too */
	assert_true(linematch_feed(m, 0, "", 0));                     /* stays matched */
	linematch_free(m);

	assert_int_equal(linematch_new("x", &m), 0);
	assert_false(linematch_feed(m, 0, "no line end yet x", 17));  /* only whole lines count */
	linematch_free(m);

	/* a line longer than the bound is matched on its start; the rest is skipped */
	char big[LINEMATCH_LINE_MAX + 100];
	memset(big, 'a', sizeof(big));
	memcpy(big + LINEMATCH_LINE_MAX + 10, "READY", 5);
	assert_int_equal(linematch_new("READY", &m), 0);
	assert_false(linematch_feed(m, 0, big, sizeof(big)));
	assert_false(linematch_feed(m, 0, "\n", 1));
	assert_true(linematch_feed(m, 0, "READY\n", 6));
	linematch_free(m);
	assert_int_equal(linematch_new("(", &m), -EINVAL);
}

static void test_http_status(void **state)
{
	(void) state;
	static const char ok[] = "HTTP/1.1 200 OK\r\n", gone[] = "HTTP/1.0 404\n";
	assert_int_equal(probe_http_status(ok, strlen(ok)), 200);
	assert_int_equal(probe_http_status(gone, strlen(gone)), 404);
	assert_int_equal(probe_http_status("HTTP/1.1 2", 10), 0);     /* more bytes needed */
	assert_int_equal(probe_http_status("HT", 2), 0);
	assert_int_equal(probe_http_status("SSH-2.0\r\n", 9), -EBADMSG);
	assert_int_equal(probe_http_status("HTTP/1.1 20x OK\r\n", 17), -EBADMSG);
	assert_int_equal(probe_http_status("HTTP/1.1 099 X\r\n", 16), -EBADMSG);
	assert_int_equal(probe_http_status("HTTP/1.1 2000\r\n", 15), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_http_status),
	};
	return cmocka_run_group_tests_name("linematch", tests, NULL, NULL);
}
