/* The instance lock (daemon/os/instance.c) with real shm objects, flock and processes.
 * The race between opening the lock object and locking it is made to happen on purpose: this
 * test defines flock() itself (the executable's definition wins over libc's), and on the call
 * it is told to intercept, it first lets the holder unlock and exit (unlink, then close) and a
 * third process take the lock, then does the real flock. */
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
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/os/instance.h"

static char name[64];
static void (*before_flock)(void);   /* the interception, run once */

int flock(int fd, int op)
{
	if (before_flock) {
		void (*f)(void) = before_flock;
		before_flock = NULL;
		f();
	}
	return (int) syscall(SYS_flock, fd, op);
}

/* A process that takes the lock, says so on ready, and on a byte from go unlocks and exits. */
struct holder {
	pid_t pid;
	int go;
};

static struct holder holder_start(void)
{
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char b = instance_lock(name, NULL) == 0 ? 'y' : 'n';
		(void) !write(ready[1], &b, 1);
		if (read(go[0], &b, 1) < 0)
			_exit(1);
		instance_unlock();
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char b = 0;
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	assert_int_equal(b, 'y');
	return (struct holder) { pid, go[1] };
}

static void holder_stop(struct holder *h)
{
	int st;
	(void) !write(h->go, "x", 1);
	close(h->go);
	assert_int_equal(waitpid(h->pid, &st, 0), h->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static struct holder first, third;

/* Between our shm_open and our flock: the first holder unlocks and exits, a third one locks. */
static void switch_holders(void)
{
	holder_stop(&first);
	third = holder_start();
}

static void test_basic(void **state)
{
	(void) state;
	pid_t who = 0;
	first = holder_start();
	assert_int_equal(instance_lock(name, &who), -EBUSY);
	assert_int_equal(who, first.pid);
	holder_stop(&first);
	assert_int_equal(instance_lock(name, &who), 0);
	instance_unlock();
}

/* The lock object we opened was unlinked before we locked it: locking it proves nothing, as
 * the third process holds the lock of the object that has the name now. */
static void test_unlink_window(void **state)
{
	(void) state;
	pid_t who = 0;
	first = holder_start();
	before_flock = switch_holders;
	int r = instance_lock(name, &who);
	assert_null(before_flock);   /* the race did happen */
	if (r == 0)
		instance_unlock();
	holder_stop(&third);
	assert_int_equal(r, -EBUSY);
	assert_int_equal(who, third.pid);
}

static int teardown(void **state)
{
	(void) state;
	char path[80];
	snprintf(path, sizeof(path), "/%s.lock", name);
	shm_unlink(path);
	return 0;
}

int main(void)
{
	snprintf(name, sizeof(name), "t%d_instance_unit", (int) getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_basic, teardown),
		cmocka_unit_test_teardown(test_unlink_window, teardown),
	};
	return cmocka_run_group_tests_name("instance", tests, NULL, NULL);
}
