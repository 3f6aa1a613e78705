/* bench/sb-update: cost of one scoreboard update (drover_status + drover_count) through the real
 * libdrover, without droverd: it builds the objects droverd would (lib/scoreboard.h layout), then
 * forks workers pinned to CPUs. Cases:
 *   1 worker;
 *   2 workers on 2 cores, one semaphore per slot (what drover does);
 *   2 workers on 2 cores, one shared semaphore (what a lock stripe shared by two slots costs:
 *     /NAME.sb.1 is a hard link to /NAME.sb.0).
 * Prints one line per case: "sb-update CASE: N ns/update". Usage: sb-update [ITERATIONS]
 * Build: cc -std=gnu11 -D_GNU_SOURCE -O2 -I. -Ilib bench/sb-update.c build/libdrover.a -lrt -lpthread */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drover.h"
#include "scoreboard.h"

static char instance[40];

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void cleanup(void)
{
	char name[80];
	sb_shm_name(name, sizeof(name), instance);
	shm_unlink(name);
	for (uint32_t k = 0; k < 2; k++) {
		sb_sem_name(name, sizeof(name), instance, k);
		sem_unlink(name);
	}
}

/* What droverd's scoreboard_open + scoreboard_on_spawn do, minimally. */
static int setup(int shared_lock)
{
	char name[80], path[160], path0[160];
	cleanup();
	sb_shm_name(name, sizeof(name), instance);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t) sb_size(2)) < 0)
		return -1;
	void *m = mmap(NULL, sb_size(2), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	sb_header_init(m, 2, getpid(), 1);
	for (uint32_t k = 0; k < 2; k++) {
		sb_slot_at(m, k)->generation = 1;
		sb_sem_name(name, sizeof(name), instance, k);
		if (shared_lock && k == 1) {
			snprintf(path0, sizeof(path0), "/dev/shm/sem.%s.sb.0", instance);
			snprintf(path, sizeof(path), "/dev/shm/sem.%s.sb.1", instance);
			if (link(path0, path) < 0)
				return -1;
			continue;
		}
		sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
		if (s == SEM_FAILED)
			return -1;
		sem_close(s);
	}
	munmap(m, sb_size(2));
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void) sched_setaffinity(0, sizeof(set), &set);
}

/* One worker: attach, warm up, time n updates, report ns per update on the pipe. */
static void worker(int slot, long n, int out)
{
	char v[16];
	pin(slot);
	setenv("DROVER_NAME", instance, 1);
	snprintf(v, sizeof(v), "%d", slot);
	setenv("DROVER_SLOT", v, 1);
	setenv("DROVER_GENERATION", "1", 1);
	if (drover_attach() < 0)
		_exit(1);
	for (long i = 0; i < 10000; i++)
		if (drover_status("req %ld", i) < 0 || drover_count(0, 1) < 0)
			_exit(2);
	uint64_t t0 = mono_ns();
	for (long i = 0; i < n; i++) {
		drover_status("req %ld", i);
		drover_count(0, 1);
	}
	double ns = (double) (mono_ns() - t0) / (double) n;
	(void) !write(out, &ns, sizeof(ns));
	_exit(0);
}

static int run_case(const char *label, int nworkers, int shared_lock, long n)
{
	int p[2];
	double sum = 0, ns;
	if (setup(shared_lock) < 0 || pipe(p) < 0) {
		perror("sb-update: setup");
		return 1;
	}
	for (int w = 0; w < nworkers; w++)
		if (fork() == 0)
			worker(w, n, p[1]);
	close(p[1]);
	int got = 0;
	while (got < nworkers && read(p[0], &ns, sizeof(ns)) == (ssize_t) sizeof(ns)) {
		sum += ns;
		got++;
	}
	close(p[0]);
	while (wait(NULL) > 0)
		;
	cleanup();
	if (got != nworkers) {
		fprintf(stderr, "sb-update: %s: a worker failed\n", label);
		return 1;
	}
	printf("sb-update %s: %.0f ns/update\n", label, sum / nworkers);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	int r = 0;
	snprintf(instance, sizeof(instance), "bench%d", (int) getpid());
	r |= run_case("1 worker", 1, 0, n);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		r |= run_case("2 workers/2 cores, semaphore per slot", 2, 0, n);
		r |= run_case("2 workers/2 cores, one shared semaphore", 2, 1, n);
	}
	return r;
}
