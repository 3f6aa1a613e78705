/* The scoreboard: layout, validation, seqlock (lib/scoreboard.c); and droverd's side against real
 * shm objects (daemon/os/scoreboard.c): worker round trip through libdrover, truncation repair with
 * the SIGBUS guard, lock recovery after a holder's death. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	assert_int_equal(offsetof(struct sb_slot, generation), 0);
	assert_int_equal(offsetof(struct sb_slot, lock_owner), 12);
	assert_int_equal(offsetof(struct sb_slot, seq), 16);
	assert_int_equal(offsetof(struct sb_slot, copy[0]), 32);
	assert_int_equal(offsetof(struct sb_slot, copy[1]), 256);
	assert_int_equal(offsetof(struct sb_copy, checksum), 216);
	assert_int_equal(offsetof(struct sb_worker, status) + SB_STATUS_MAX, sizeof(struct sb_worker));
	assert_int_equal(sb_size(0), 256);
	assert_int_equal(sb_size(3), 256 + 3 * 512);
	char buf[1024];
	assert_ptr_equal((char *) sb_slot_at(buf, 1), buf + 768);
}

static void test_names(void **state)
{
	char b[64];
	assert_int_equal(sb_shm_name(b, sizeof(b), "web-1"), 0);
	assert_string_equal(b, "/web-1.scoreboard");
	assert_int_equal(sb_sem_name(b, sizeof(b), "web-1", 17), 0);
	assert_string_equal(b, "/web-1.sb.17");
	assert_int_equal(sb_shm_name(b, sizeof(b), "../x"), -EINVAL);
	assert_int_equal(sb_shm_name(b, sizeof(b), ""), -EINVAL);
	assert_int_equal(sb_sem_name(b, 8, "web", 1), -ENAMETOOLONG);
}

static void test_header(void **state)
{
	struct sb_header h;
	sb_header_init(&h, 4, 42, 1);
	assert_int_equal(sb_header_check(&h, sb_size(4)), 0);
	assert_int_equal(sb_header_check(&h, sb_size(4) + 4096), 0);
	assert_int_equal(sb_header_check(&h, sb_size(3)), -EBADMSG);   /* nslots beyond the file */
	assert_int_equal(sb_header_check(&h, 100), -EBADMSG);
	h.version = SB_LAYOUT_VERSION + 1;
	assert_int_equal(sb_header_check(&h, sb_size(4)), -EPROTO);
	sb_header_init(&h, 4, 42, 1);
	h.magic ^= 1;
	assert_int_equal(sb_header_check(&h, sb_size(4)), -EBADMSG);
	sb_header_init(&h, SB_SLOTS_MAX + 1, 42, 1);
	assert_int_equal(sb_header_check(&h, SIZE_MAX), -EBADMSG);
	sb_header_init(&h, 4, 42, 1);
	h.slot_size = 128;
	assert_int_equal(sb_header_check(&h, sb_size(4)), -EBADMSG);
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

static struct ev_loop *loop;
static char instance[40];

static int setup_daemon(void **state)
{
	snprintf(instance, sizeof(instance), "ut%d_sb", (int) getpid());
	loop = ev_loop_new(EVFLAG_AUTO);
	return scoreboard_open(loop, instance, 2, NULL) < 0 ? -1 : 0;
}

static int teardown_daemon(void **state)
{
	scoreboard_close();
	ev_loop_destroy(loop);
	return 0;
}

static void shm_file(char *buf, size_t size)
{
	snprintf(buf, size, "/dev/shm/%s.scoreboard", instance);
}

static void test_daemon_objects(void **state)
{
	char path[128];
	struct stat st;
	shm_file(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, sb_size(2));
	assert_int_equal(st.st_mode & 0777, 0600);
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/dev/shm/sem.%s.sb.%d", instance, k);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0007, 0);
	}
	/* growing keeps the inode */
	shm_file(path, sizeof(path));
	struct stat before;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(scoreboard_resize(5, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_ino, before.st_ino);
	assert_int_equal(st.st_size, sb_size(5));
	snprintf(path, sizeof(path), "/dev/shm/sem.%s.sb.4", instance);
	assert_int_equal(stat(path, &st), 0);
}

/* The test process is the worker of slot 1's incarnation (libdrover attaches once per process,
 * so the generation stays what it was at the first call). */
#define SLOT 1
static struct sb_owner owner;
static const struct log_subject who = { "a:a1", 0, "RUNNING" };

static void worker(void)
{
	static bool done;
	char v[32];
	if (!done) {
		owner.generation++;
		scoreboard_slot_spawn(SLOT, NULL, &owner);
		setenv("DROVER_NAME", instance, 1);
		snprintf(v, sizeof(v), "%d", SLOT);
		setenv("DROVER_SLOT", v, 1);
		snprintf(v, sizeof(v), "%u", owner.generation);
		setenv("DROVER_GENERATION", v, 1);
		done = true;
	}
	owner.pid = getpid();
	owner.state = PROC_RUNNING;
	scoreboard_slot_publish(SLOT, &owner);
}

static void test_worker_roundtrip(void **state)
{
	struct proto_status s;

	worker();
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
	struct sb_slot *slot = NULL;
	{
		char name[64];
		snprintf(name, sizeof(name), "/%s.scoreboard", instance);
		int fd = shm_open(name, O_RDWR, 0);
		assert_true(fd >= 0);
		void *m = mmap(NULL, sb_size(2), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		assert_true(m != MAP_FAILED);
		slot = sb_slot_at(m, SLOT);
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
		/* an older incarnation's writes are refused */
		owner.generation++;
		scoreboard_slot_spawn(SLOT, NULL, &owner);
		assert_int_equal(drover_status("stale"), -ESTALE);
		owner.generation--;
		scoreboard_slot_spawn(SLOT, NULL, &owner);
		assert_int_equal(drover_status("current"), 0);
		munmap(m, sb_size(2));
	}
}

static void test_truncation(void **state)
{
	worker();
	struct proto_status s;
	char path[128];
	struct stat st;
	const struct scoreboard_stats *stats = scoreboard_get_stats();
	unsigned long rebuilds = stats->rebuilds, sigbus = stats->sigbus;

	scoreboard_check();   /* cmocka installs its own SIGBUS handler per test: the guard goes back */

	shm_file(path, sizeof(path));
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* no event processing: the daemon touches the truncated mapping first -> SIGBUS, absorbed */
	assert_int_equal(ftruncate(fd, 0), 0);
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_true(stats->sigbus > sigbus);
	assert_true(stats->rebuilds > rebuilds);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, sb_size(5));
	/* same inode, so the worker's mapping works again */
	assert_int_equal(drover_status("after"), 0);
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_string_equal(s.status_line, "after");
	/* truncated to 1 byte, noticed by a check (inotify or the sweep in the daemon) */
	assert_int_equal(ftruncate(fd, 1), 0);
	scoreboard_check();
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, sb_size(5));
	close(fd);

	/* the semaphore file */
	snprintf(path, sizeof(path), "/dev/shm/sem.%s.sb.%d", instance, SLOT);
	assert_int_equal(truncate(path, 0), 0);
	unsigned long repairs = stats->sem_repairs;
	scoreboard_check();
	assert_true(stats->sem_repairs > repairs);
	assert_int_equal(stat(path, &st), 0);
	assert_true((size_t) st.st_size >= sizeof(sem_t));
	assert_int_equal(drover_status("sem ok"), 0);
}

/* A child takes the slot's lock and dies: recovery only when droverd reaps the recorded holder. */
static void hold_and_die(bool record)
{
	char name[64];
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		snprintf(name, sizeof(name), "/%s.sb.%d", instance, SLOT);
		sem_t *sem = sem_open(name, 0);
		snprintf(name, sizeof(name), "/%s.scoreboard", instance);
		int fd = shm_open(name, O_RDWR, 0);
		void *m = mmap(NULL, sb_size(5), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (sem == SEM_FAILED || m == MAP_FAILED || sem_wait(sem) < 0)
			_exit(1);
		if (record)
			sb_slot_at(m, SLOT)->lock_owner = (int32_t) getpid();
		strcpy(sb_write_begin(sb_slot_at(m, SLOT))->status, "dying");   /* mid-write too */
		(void) !write(pipefd[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	close(pipefd[1]);
	/* a live (even stopped) holder keeps its lock: nothing recovers it on time alone */
	kill(pid, SIGSTOP);
	scoreboard_check();
	assert_int_equal(drover_status("blocked"), -ETIMEDOUT);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	scoreboard_slot_exit(SLOT, pid, &who);   /* as the reaper reports it */
}

static void test_lock_recovery(void **state)
{
	worker();
	const struct scoreboard_stats *stats = scoreboard_get_stats();

	assert_int_equal(drover_status("first"), 0);
	unsigned long rec = stats->lock_recoveries;
	hold_and_die(true);
	assert_int_equal(stats->lock_recoveries, rec + 1);
	/* released: writes go through again, and the slot's seq is even */
	worker();
	assert_int_equal(drover_status("again"), 0);
	struct proto_status s;
	memset(&s, 0, sizeof(s));
	scoreboard_slot_status(SLOT, &who, &s);
	assert_string_equal(s.status_line, "again");
	assert_false(s.flags & PROTO_ST_SLOT_BAD);
}

/* Held, holder unknown: a fresh semaphore (this process keeps the old one, like a straggler). */
static void test_lock_replaced(void **state)
{
	worker();
	const struct scoreboard_stats *stats = scoreboard_get_stats();
	char name[64];

	unsigned long rep = stats->sem_replaced;
	hold_and_die(false);
	assert_int_equal(stats->sem_replaced, rep + 1);
	snprintf(name, sizeof(name), "/%s.sb.%d", instance, SLOT);
	sem_t *sem = sem_open(name, 0);
	assert_true(sem != SEM_FAILED);
	int value = -1;
	assert_int_equal(sem_getvalue(sem, &value), 0);
	assert_int_equal(value, 1);
	sem_close(sem);
	worker();
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_latch_and_view),
		cmocka_unit_test(test_checksum),
	};
	const struct CMUnitTest daemon[] = {
		cmocka_unit_test(test_daemon_objects),
		cmocka_unit_test(test_worker_roundtrip),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_lock_recovery),
		cmocka_unit_test(test_lock_replaced),
	};
	int r = cmocka_run_group_tests(pure, NULL, NULL);
	return r + cmocka_run_group_tests(daemon, setup_daemon, teardown_daemon);
}
