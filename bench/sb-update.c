/* bench/sb-update: cost of one scoreboard update (drover_status + drover_count) through the real
 * libdrover, without droverd: it builds the objects droverd would (lib/scoreboard.h: a sealed
 * memfd per worker, handed over as descriptor 10), then forks workers pinned to CPUs. Cases:
 *   1 worker;
 *   2 workers on 2 cores, an object (and a lock) per worker (what drover does);
 *   2 workers on 2 cores, one object shared by both (what a lock and cache lines shared by two
 *     writers cost).
 * Prints one line per case: "sb-update CASE: N ns/update". Usage: sb-update [ITERATIONS]
 * Build: cc -std=gnu11 -D_GNU_SOURCE -O2 -I. -Ilib bench/sb-update.c build/libdrover.a build/libcommon.a -lrt -lpthread */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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

static int objects[2] = { -1, -1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void cleanup(void)
{
	for (int k = 0; k < 2; k++)
		if (objects[k] >= 0)
			close(objects[k]);
	objects[0] = objects[1] = -1;
}

/* What droverd's scoreboard_slot_spawn does, minimally: slot k's object, generation 1. */
static int object_new(uint32_t k)
{
	int fd = memfd_create("drover-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, SB_OBJECT_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -1;
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || sb_object_init(m, k, getpid()) < 0)
		return -1;
	sb_object_slot(m)->generation = 1;
	munmap(m, SB_OBJECT_SIZE);
	return fd;
}

static int setup(int shared)
{
	cleanup();
	objects[0] = object_new(0);
	objects[1] = shared ? -1 : object_new(1);
	return objects[0] < 0 || (!shared && objects[1] < 0) ? -1 : 0;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void) sched_setaffinity(0, sizeof(set), &set);
}

/* One worker: attach, warm up, time n updates, report ns per update on the pipe. */
static void worker(int cpu, int shared, long n, int out)
{
	int slot = shared ? 0 : cpu;
	pin(cpu);
	if (dup2(objects[slot], SB_FD) < 0)
		_exit(1);
	setenv("DROVER_NAME", "bench", 1);
	setenv("DROVER_SLOT", slot ? "1" : "0", 1);
	setenv("DROVER_GENERATION", "1", 1);
	setenv(SB_FD_ENV, "10", 1);
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

static int run_case(const char *label, int nworkers, int shared, long n)
{
	int p[2];
	double sum = 0, ns;
	if (setup(shared) < 0 || pipe(p) < 0) {
		perror("sb-update: setup");
		return 1;
	}
	for (int w = 0; w < nworkers; w++)
		if (fork() == 0)
			worker(w, shared, n, p[1]);
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
	r |= run_case("1 worker", 1, 0, n);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		r |= run_case("2 workers/2 cores, an object per worker", 2, 0, n);
		r |= run_case("2 workers/2 cores, one shared object", 2, 1, n);
	}
	return r;
}
