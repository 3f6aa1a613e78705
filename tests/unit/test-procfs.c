/* /proc readers (daemon/os/procfs.c), on the real /proc: whole reads past any fixed buffer,
 * stat fields, and the children-list parser that must never make up a pid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/os/procfs.h"
#include "util.h"

struct pids {
	pid_t v[16];
	size_t n;
};

static void add(pid_t pid, void *data)
{
	struct pids *p = data;
	assert_true(p->n < 16);
	p->v[p->n++] = pid;
}

static void test_parse(void **state)
{
	(void) state;
	struct pids p = { .n = 0 };
	procfs_parse_pids("1 22 333 ", add, &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.v[0], 1);
	assert_int_equal(p.v[1], 22);
	assert_int_equal(p.v[2], 333);

	/* Junk, signs, overflow and zero are skipped as whole tokens, never read in part. */
	p.n = 0;
	procfs_parse_pids("12a 5 -7 99999999999 0 2147483647 8", add, &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.v[0], 5);
	assert_int_equal(p.v[1], 2147483647);
	assert_int_equal(p.v[2], 8);   /* a whole read: the last token is complete */

	p.n = 0;
	procfs_parse_pids("", add, &p);
	procfs_parse_pids("   \n", add, &p);
	assert_int_equal(p.n, 0);
}

/* More children than a 4 KiB read holds: the whole list comes back, every token intact. */
static void test_children_whole(void **state)
{
	(void) state;
	enum { N = 1200 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	char path[64], *list;
	size_t len;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int) getpid());
	assert_int_equal(procfs_read_whole(path, &list, &len), 0);
	assert_int_equal(strlen(list), len);
	size_t count = 0;
	for (char *s = list, *e; *s; s = e) {   /* an independent count of the tokens */
		long v = strtol(s, &e, 10);
		if (e == s)
			break;
		count += v > 0;
	}
	assert_int_equal(count, N);
	for (int i = 0; i < N; i++) {
		char tok[16];
		snprintf(tok, sizeof(tok), "%d ", (int) kids[i]);
		assert_non_null(strstr(list, tok));
	}
	free(list);
	for (int i = 0; i < N; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < N; i++)
		waitpid(kids[i], NULL, 0);
}

static void test_stat(void **state)
{
	(void) state;
	pid_t ppid = 0, pgid = 0;
	assert_int_equal(procfs_stat(getpid(), &ppid, &pgid), 0);
	assert_int_equal(ppid, getppid());
	assert_int_equal(pgid, getpgrp());
	assert_true(procfs_stat(0, &ppid, &pgid) < 0);
}

static void test_whole_errors(void **state)
{
	(void) state;
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(procfs_read_whole("/proc/self/no-such-file", &buf, &len), -ENOENT);
	assert_null(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_children_whole),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_whole_errors),
	};
	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
