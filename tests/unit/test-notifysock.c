/* The sd_notify datagram parser (daemon/os/notifysock.c): what counts, and what makes a datagram
 * malformed (then nothing of it counts). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "daemon/os/notifysock.h"

static int parse(const char *s, struct notify_msg *m)
{
	return notifysock_parse(s, strlen(s), m);
}

static void test_fields(void **state)
{
	(void) state;
	struct notify_msg m;
	assert_int_equal(parse("READY=1\nSTATUS=serving 3 clients\nWATCHDOG=1\nMAINPID=42\nERRNO=2\n"
	                       "WATCHDOG_USEC=2000000\nEXTEND_TIMEOUT_USEC=5000000\nMONOTONIC_USEC=1\n", &m), 0);
	assert_true(m.ready);
	assert_true(m.watchdog);
	assert_false(m.watchdog_trigger);
	assert_true(m.have_status);
	assert_string_equal(m.status, "serving 3 clients");
	assert_int_equal(m.mainpid, 42);
	assert_true(m.have_errno);
	assert_int_equal(m.errnum, 2);
	assert_int_equal(m.watchdog_usec, 2000000);
	assert_int_equal(m.extend_usec, 5000000);
	assert_int_equal(parse("RELOADING=1\nSTOPPING=1\nWATCHDOG=trigger", &m), 0);
	assert_true(m.reloading);
	assert_true(m.stopping);
	assert_true(m.watchdog_trigger);
	assert_false(m.ready);
	assert_int_equal(parse("READY=0\nBARRIER=1\n\n", &m), 0);   /* READY=0 is not readiness */
	assert_false(m.ready);
	assert_int_equal(parse("", &m), 0);
	assert_int_equal(parse("STATUS=", &m), 0);
	assert_true(m.have_status);
	assert_string_equal(m.status, "");
}

static void test_status_cut(void **state)
{
	(void) state;
	char buf[600] = "STATUS=";
	struct notify_msg m;
	for (int i = 0; i < 200; i++)
		strcat(buf, "\xc3\xa9");   /* é, two bytes: the cut never splits one */
	assert_int_equal(parse(buf, &m), 0);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 2);
}

static void test_malformed(void **state)
{
	(void) state;
	static const char *const bad[] = {
		"READY", "=1", "READY=1\ngarbage", "MAINPID=0", "MAINPID=-1", "MAINPID=abc", "MAINPID=99999999999",
		"ERRNO=5000", "WATCHDOG_USEC=0", "WATCHDOG_USEC=1x", "EXTEND_TIMEOUT_USEC=", "STATUS=\xff\xfe",
		"STATUS=\xc0\x80", "STATUS=\xed\xa0\x80", "STATUS=\xe2\x82",
	};
	struct notify_msg m;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &m) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(notifysock_parse("READY=1\0", 8, &m), -EBADMSG);   /* a NUL byte */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_status_cut),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests_name("notifysock", tests, NULL, NULL);
}
