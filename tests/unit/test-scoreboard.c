/* The scoreboard: layout, validation, seqlock and the writers' robust lock (lib/scoreboard.c); and
 * droverd's side with real objects (daemon/os/scoreboard.c): a sealed memfd per incarnation, no
 * descriptor kept, worker round trip through libdrover, garbage flagged and healed, an ended
 * incarnation's writes refused, truncation refused by the seals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "daemon/os/scoreboard.h"
#include "lib/drover.h"
#include "lib/scoreboard.h"
#include "lib/util.h"

/* --- pure helpers ---------------------------------------------------------------------------- */

static void test_layout(void **state)
{
	assert_int_equal(sizeof(struct sb_header), 256);
	assert_int_equal(sizeof(struct sb_slot), 512);
	assert_int_equal(sizeof(struct sb_lock), 64);
	assert_int_equal(offsetof(struct sb_slot, generation), 0);
	assert_int_equal(offsetof(struct sb_slot, seq), 16);
	assert_int_equal(offsetof(struct sb_slot, copy[0]), 32);
	assert_int_equal(offsetof(struct sb_slot, copy[1]), 256);
	assert_int_equal(offsetof(struct sb_copy, checksum), 216);
	assert_int_equal(offsetof(struct sb_worker, status) + SB_STATUS_MAX, sizeof(struct sb_worker));
	char buf[SB_OBJECT_SIZE];
	assert_ptr_equal((char *) sb_object_slot(buf), buf + 256);
	assert_ptr_equal((char *) sb_object_lock(buf), buf + 768);
}

static void test_header(void **state)
{
	static char obj[SB_OBJECT_SIZE] __attribute__((aligned(64)));
	struct sb_header *h = sb_object_header(obj);
	assert_int_equal(sb_object_init(obj, 4, 42), 0);
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE, 4), 0);
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE, 5), -EBADMSG);       /* another slot's */
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE - 1, 4), -EBADMSG);   /* not the object's size */
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE * 2, 4), -EBADMSG);
	h->version = SB_LAYOUT_VERSION + 1;
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE, 4), -EPROTO);
	assert_int_equal(sb_object_init(obj, 4, 42), 0);
	h->magic ^= 1;
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE, 4), -EBADMSG);
	assert_int_equal(sb_object_init(obj, 4, 42), 0);
	h->slot_size = 128;
	assert_int_equal(sb_header_check(h, SB_OBJECT_SIZE, 4), -EBADMSG);
	assert_int_equal(sb_object_slot(obj)->generation, 0);
}

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A child takes the lock of the shared object m and waits, stopped or to be killed. */
static pid_t lock_holder(void *m)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sb_lock(sb_object_lock(m)) < 0)
			_exit(1);
		strcpy(sb_write_begin(sb_object_slot(m))->status, "half written");
		(void) !write(p[1], "x", 1);
		for (;;)
			pause();
	}
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

/* The writers' lock: bounded wait for a live (stopped) holder, handed over when a holder dies. */
static void test_lock(void **state)
{
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(sb_object_init(m, 0, getpid()), 0);
	assert_int_equal(sb_lock(sb_object_lock(m)), 0);
	sb_unlock(sb_object_lock(m));

	pid_t pid = lock_holder(m);
	kill(pid, SIGSTOP);
	long t0 = mono_ms();
	assert_int_equal(sb_lock(sb_object_lock(m)), -ETIMEDOUT);
	long dt = mono_ms() - t0;
	assert_true(dt >= SB_LOCK_TIMEOUT_MS - 5);
	assert_true(dt < SB_LOCK_TIMEOUT_MS + 900);   /* the bound, with room for a loaded machine */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the holder died mid-write: the next writer gets the lock at once and a whole copy */
	t0 = mono_ms();
	assert_int_equal(sb_lock(sb_object_lock(m)), 0);
	assert_true(mono_ms() - t0 < SB_LOCK_TIMEOUT_MS);
	struct sb_worker *w = sb_write_begin(sb_object_slot(m));
	assert_string_equal(w->status, "");
	strcpy(w->status, "whole");
	sb_write_end(sb_object_slot(m), 0);
	sb_unlock(sb_object_lock(m));
	struct sb_snapshot snap;
	struct sb_view v;
	assert_int_equal(sb_slot_read(sb_object_slot(m), &snap), 0);
	snap.c.w.wgen = 1;   /* (the view wants an incarnation) */
	snap.c.checksum = sb_checksum(&snap.c.w, 0);
	assert_int_equal(sb_view_from_copy(&snap, 0, 1, mono_ms() * NSEC_PER_MSEC, &v), 0);
	assert_string_equal(v.status, "whole");
	munmap(m, SB_OBJECT_SIZE);
}

static void write_status(struct sb_slot *s, uint32_t index, uint32_t gen, const char *text)
{
	struct sb_worker *w = sb_write_begin(s);
	if (w->wgen != gen)
		sb_worker_reset(w, gen);
	strncpy(w->status, text, sizeof(w->status));
	sb_write_end(s, index);
}

static void refresh(struct sb_snapshot *snap, uint32_t index)
{
	snap->c.checksum = sb_checksum(&snap->c.w, index);
}

static void test_latch_and_view(void **state)
{
	struct sb_slot s;
	struct sb_snapshot snap, bad;
	struct sb_view v;
	const uint64_t now = 10 * NSEC_PER_SEC;

	memset(&s, 0, sizeof(s));
	/* nothing written yet */
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), -ENODATA);

	write_status(&s, 3, 1, "hello");
	assert_int_equal(s.seq % 2, 0);
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), 0);
	assert_string_equal(v.status, "hello");
	assert_false(v.ready);
	/* another incarnation's data is not shown; a slot copied to another index fails */
	assert_int_equal(sb_view_from_copy(&snap, 3, 2, now, &v), -ENODATA);
	assert_int_equal(sb_view_from_copy(&snap, 4, 1, now, &v), -EBADMSG);

	/* A writer stopped (or killed) mid-update: readers still get the last whole state. */
	struct sb_worker *w = sb_write_begin(&s);
	assert_int_equal(s.seq % 2, 1);
	strcpy(w->status, "half wr");
	w->counters[0] = 99;
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), 0);
	assert_string_equal(v.status, "hello");
	assert_int_equal(v.counters[0], 0);
	/* the next writer starts from the whole state, not the half-written one */
	w = sb_write_begin(&s);
	assert_string_equal(w->status, "hello");
	assert_int_equal(w->counters[0], 0);
	w->counters[1] = 7;
	sb_write_end(&s, 3);
	assert_int_equal(s.seq % 2, 0);
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), 0);
	assert_int_equal(v.counters[1], 7);
	assert_int_equal(v.ncounters, 0);
	/* a writer killed between its copy and its flip: readers are still on copy[0] */
	memset(&s.copy[1], 0x5a, sizeof(s.copy[1]));
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), 0);
	write_status(&s, 3, 1, "repaired");
	assert_int_equal(sb_slot_read(&s, &snap), 0);
	assert_int_equal(sb_view_from_copy(&snap, 3, 1, now, &v), 0);
	assert_string_equal(v.status, "repaired");
	assert_int_equal(v.counters[1], 7);

	/* a torn or scribbled copy fails the checksum */
	bad = snap;
	bad.c.w.counters[2] ^= 0x100;
	assert_int_equal(sb_view_from_copy(&bad, 3, 1, now, &v), -EBADMSG);

	/* ranges, even with a valid checksum */
	bad = snap;
	bad.c.w.flags = 0x80;
	refresh(&bad, 3);
	assert_int_equal(sb_view_from_copy(&bad, 3, 1, now, &v), -EBADMSG);
	bad = snap;
	bad.c.w.ncounters = 9;
	refresh(&bad, 3);
	assert_int_equal(sb_view_from_copy(&bad, 3, 1, now, &v), -EBADMSG);
	bad = snap;
	bad.c.w.heartbeat_ns = now + NSEC_PER_SEC;   /* from the future */
	refresh(&bad, 3);
	assert_int_equal(sb_view_from_copy(&bad, 3, 1, now, &v), -EBADMSG);

	/* an unterminated status line with control characters: cut, terminated, replaced */
	bad = snap;
	memset(bad.c.w.status, 'x', sizeof(bad.c.w.status));
	bad.c.w.status[0] = '\033';
	bad.c.w.status[1] = '\n';
	refresh(&bad, 3);
	assert_int_equal(sb_view_from_copy(&bad, 3, 1, now, &v), 0);
	assert_int_equal(strlen(v.status), SB_STATUS_MAX - 1);
	assert_int_equal(v.status[0], '?');
	assert_int_equal(v.status[1], '?');
	assert_int_equal(v.status[2], 'x');
}

static void test_checksum(void **state)
{
	struct sb_worker w;
	memset(&w, 0, sizeof(w));
	uint64_t a = sb_checksum(&w, 0);
	assert_int_not_equal(a, 0);   /* an all-zero slot never validates by accident */
	assert_int_not_equal(a, sb_checksum(&w, 1));
	for (size_t i = 0; i < sizeof(w); i++) {
		struct sb_worker x = w;
		((unsigned char *) &x)[i] ^= 1;
		assert_int_not_equal(sb_checksum(&x, 0), a);
	}
}

/* --- droverd's side, real objects ------------------------------------------------------------ */

static int setup_daemon(void **state)
{
	return scoreboard_open(2) < 0 ? -1 : 0;
}

static int teardown_daemon(void **state)
{
	scoreboard_close();
	return 0;
}

/* Descriptors of this process that are scoreboard objects. */
static int count_objects(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char link[300], target[128];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strstr(target, "memfd:drover-scoreboard") != NULL;
	}
	if (d)
		closedir(d);
	return n;
}

/* The test process is the worker of slot 1's incarnations: it takes each object as its
 * descriptor 10, as a spawned worker would (libdrover attaches once per process and keeps that
 * incarnation's object). */
#define SLOT 1
static struct sb_owner owner;
static const struct log_subject who = { "a:a1", 0, "RUNNING" };

static int incarnation(void)
{
	char v[32];
	owner.generation++;
	owner.pid = 0;
	owner.state = PROC_STARTING;
	int fd = scoreboard_slot_spawn(SLOT, &owner);
	assert_true(fd >= 3);
	assert_int_equal(dup2(fd, SB_FD), SB_FD);
	setenv("DROVER_NAME", "ut", 1);
	snprintf(v, sizeof(v), "%d", SLOT);
	setenv("DROVER_SLOT", v, 1);
	snprintf(v, sizeof(v), "%u", owner.generation);
	setenv("DROVER_GENERATION", v, 1);
	setenv(SB_FD_ENV, "10", 1);
	owner.pid = getpid();
	owner.state = PROC_RUNNING;
	scoreboard_slot_publish(SLOT, &owner);
	return fd;
}

/* The object: a sealed memfd of one page, nothing named, no descriptor left in droverd. */
static void test_daemon_objects(void **state)
{
	owner.generation = 0;
	int fd = incarnation();
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, SB_OBJECT_SIZE);
	int seals = fcntl(fd, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_false(seals & F_SEAL_WRITE);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* it cannot be truncated, grown or unsealed: EPERM, nothing happens */
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, 2 * SB_OBJECT_SIZE), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, SB_OBJECT_SIZE);
	char link[64], target[128];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:drover-scoreboard"));
	close(fd);
	/* droverd keeps the mapping, not the descriptor (descriptor 10 is the worker's, here) */
	assert_int_equal(count_objects(), 1);
	assert_int_equal(scoreboard_get_stats()->objects, 1);
}

static void test_worker_roundtrip(void **state)
{
	struct proto_status s;

	assert_int_equal(drover_attach(), 0);
	assert_int_equal(drover_status("job %d of %s", 7, "x"), 0);
	assert_int_equal(drover_count(2, 5), 0);
	assert_int_equal(drover_count(2, 1), 0);
	assert_int_equal(drover_count(8, 1), -EINVAL);
	assert_int_equal(drover_busy(), 0);
	assert_int_equal(drover_ready(), 0);
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_string_equal(s.status_line, "job 7 of x");
	assert_int_equal(s.ncounters, 3);
	assert_int_equal(s.counters[2], 6);
	assert_true(s.flags & PROTO_ST_READY);
	assert_true(s.flags & PROTO_ST_BUSY);
	assert_true(s.flags & PROTO_ST_HEARTBEAT);
	assert_false(s.flags & PROTO_ST_SLOT_BAD);
	assert_true(s.heartbeat_age_ms < 1000);

	/* a garbage slot is flagged, and the daemon's own fields are restored */
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, SB_FD, 0);
	assert_true(m != MAP_FAILED);
	struct sb_slot *slot = sb_object_slot(m);
	slot->generation = 999;
	slot->copy[slot->seq & 1].w.status[3] ^= 0x55;   /* checksum now wrong */
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_true(s.flags & PROTO_ST_SLOT_BAD);
	assert_int_equal(slot->generation, owner.generation);
	/* the worker's next write heals the slot */
	assert_int_equal(drover_idle(), 0);
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_false(s.flags & PROTO_ST_SLOT_BAD);
	assert_false(s.flags & PROTO_ST_BUSY);
	munmap(m, SB_OBJECT_SIZE);
}

/* The worker is reaped: its object ends. What is left of its tree (this process, attached to
 * that object) gets -ESTALE, and the next incarnation has an object of its own. */
static void test_incarnation_ends(void **state)
{
	scoreboard_slot_exit(SLOT);
	assert_int_equal(scoreboard_get_stats()->objects, 0);
	assert_int_equal(drover_status("stale"), -ESTALE);
	struct sb_view v;
	assert_int_equal(scoreboard_slot_view(SLOT, &v, now_mono_ns()), -ENOENT);
	int fd = incarnation();
	close(fd);
	assert_int_equal(drover_status("still stale"), -ESTALE);
	struct proto_status s;
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_string_equal(s.status_line, "");   /* the old incarnation's reports are not shown */
	scoreboard_slot_release(SLOT);
	assert_int_equal(scoreboard_get_stats()->objects, 0);
	close(SB_FD);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_latch_and_view),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_lock),
	};
	const struct CMUnitTest daemon[] = {
		cmocka_unit_test(test_daemon_objects),
		cmocka_unit_test(test_worker_roundtrip),
		cmocka_unit_test(test_incarnation_ends),
	};
	int r = cmocka_run_group_tests(pure, NULL, NULL);
	return r + cmocka_run_group_tests(daemon, setup_daemon, teardown_daemon);
}
