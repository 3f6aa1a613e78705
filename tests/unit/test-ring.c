/* The in-memory tail of a worker's output (daemon/os/ring.c): growth, wrap-around, the cut
 * first line, the last N lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/os/ring.h"

static char *lines_of(const struct ring *r, unsigned n)
{
	size_t len;
	char *s = ring_lines(r, n, &len);
	assert_int_equal(strlen(s), len);
	return s;
}

static void test_empty(void **state)
{
	struct ring r = { 0 };
	char *s = lines_of(NULL, 0);
	assert_string_equal(s, "");
	free(s);
	s = lines_of(&r, 3);
	assert_string_equal(s, "");
	free(s);
	ring_append(&r, "", 0);
	assert_int_equal(r.len, 0);
	ring_free(&r);
}

static void test_last_lines(void **state)
{
	struct ring r = { 0 };
	const char *text = "one\ntwo\nthree\nfour";   /* the last line is not finished */
	ring_append(&r, text, strlen(text));
	char *s = lines_of(&r, 0);
	assert_string_equal(s, text);
	free(s);
	s = lines_of(&r, 2);
	assert_string_equal(s, "three\nfour");
	free(s);
	ring_append(&r, "\n", 1);
	s = lines_of(&r, 1);
	assert_string_equal(s, "four\n");
	free(s);
	s = lines_of(&r, 10);
	assert_string_equal(s, "one\ntwo\nthree\nfour\n");
	free(s);
	assert_true(r.cap == RING_MIN);   /* grown only as needed */
	ring_free(&r);
}

static void test_wrap(void **state)
{
	struct ring r = { 0 };
	char line[100];
	/* 2000 numbered lines of 50 bytes: 100 KB through a 64 KiB ring */
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "%04d %044d\n", i, 0);
		ring_append(&r, line, strlen(line));
	}
	assert_int_equal(r.cap, RING_MAX);
	assert_int_equal(r.len, RING_MAX);
	assert_true(r.wrapped);
	size_t len;
	char *s = ring_lines(&r, 0, &len);
	/* whole lines only: the cut oldest one is left out, the newest is last */
	assert_int_equal(len % 50, 0);
	assert_int_equal(len, (RING_MAX / 50) * 50);
	assert_memory_equal(s + len - 50, "1999 ", 5);
	int first = atoi(s);
	assert_int_equal(first, 2000 - (int) (len / 50));
	free(s);
	s = lines_of(&r, 3);
	assert_int_equal(strlen(s), 150);
	assert_memory_equal(s, "1997 ", 5);
	free(s);
	ring_free(&r);
}

static void test_one_huge_write(void **state)
{
	struct ring r = { 0 };
	size_t n = RING_MAX + 1000;
	char *big = malloc(n);
	memset(big, 'x', n);
	memcpy(big + n - 6, "\nlast\n", 6);
	ring_append(&r, "old\n", 4);
	ring_append(&r, big, n);
	assert_int_equal(r.len, RING_MAX);
	assert_true(r.wrapped);
	char *s = lines_of(&r, 0);
	assert_string_equal(s, "last\n");   /* the cut run of x is left out */
	free(s);
	free(big);
	ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_last_lines),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_one_huge_write),
	};
	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
