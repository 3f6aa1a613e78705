/* sb-worker: a C worker linked with libdrover that reports to the scoreboard (e2e tests).
 *
 *   -s TEXT   status line "TEXT #N" each iteration (default "working")
 *   -i MS     iteration interval (default 100); each iteration: busy, status, count(0,1),
 *             count(1,10), idle
 *   -H        heartbeat each iteration
 *   -S MS     stop heartbeating MS milliseconds after start (keep running); with -f, append
 *             "stopped PID MONOTONIC_MS" to FILE at that moment
 *   -r        report ready (after -R MS milliseconds); with -f, append "ready PID MONOTONIC_MS"
 *             to FILE just before
 *   -f FILE   event log (one O_APPEND write per line)
 *   -t        tight loop: drover_status + drover_count(0, 1) as fast as possible, no sleeping
 *   -o N      outside mode: expects no droverd; calls every API N times; exit 0 when each call
 *             returned -ENOENT and took < 2 us on average; prints only on failure
 *
 * Exits 111 on a usage error; 2 when a report fails unexpectedly (the error is printed). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drover.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}


static void event(const char *path, const char *what)
{
	char line[128];
	if (!path)
		return;
	int n = snprintf(line, sizeof(line), "%s %d %llu\n", what, (int) getpid(), (unsigned long long) mono_ms());
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, (size_t) n);
		close(fd);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* -ESTALE / -ETIMEDOUT are tolerated (a restart raced us); anything else is a bug. */
static void check(int r, const char *what)
{
	if (r == 0 || r == -ESTALE || r == -ETIMEDOUT)
		return;
	fprintf(stderr, "sb-worker: %s: %s\n", what, strerror(-r));
	exit(2);
}

static int outside(long n)
{
	/* The cost is CPU time: on a loaded machine a preemption in the middle would count as calls. */
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long bad = 0;
	for (long i = 0; i < n; i++) {
		bad += drover_attach() != -ENOENT;
		bad += drover_ready() != -ENOENT;
		bad += drover_heartbeat() != -ENOENT;
		bad += drover_busy() != -ENOENT;
		bad += drover_idle() != -ENOENT;
		bad += drover_status("x %ld", i) != -ENOENT;
		bad += drover_count(0, 1) != -ENOENT;
	}
	double per = (double) (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / (double) (n * 7);
	if (bad || per > 2000) {
		fprintf(stderr, "sb-worker -o: %ld unexpected results, %.1f ns per call\n", bad, per);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *text = "working", *file = NULL;
	unsigned interval = 100, ready_after = 0;
	long stop_hb_after = -1, outside_n = 0;
	int c, hb = 0, ready = 0, tight = 0;

	while ((c = getopt(argc, argv, "s:i:HS:rR:f:to:")) != -1) {
		switch (c) {
		case 's': text = optarg; break;
		case 'i': interval = (unsigned) atoi(optarg); break;
		case 'H': hb = 1; break;
		case 'S': stop_hb_after = atol(optarg); break;
		case 'r': ready = 1; break;
		case 'R': ready_after = (unsigned) atoi(optarg); break;
		case 'f': file = optarg; break;
		case 't': tight = 1; break;
		case 'o': outside_n = atol(optarg); break;
		default: return 111;
		}
	}
	if (outside_n > 0)
		return outside(outside_n);

	uint64_t start = mono_ms();
	if (tight) {
		if (ready)
			check(drover_ready(), "ready");
		for (unsigned long i = 0;; i++) {
			check(drover_status("%s %lu", text, i), "status");
			check(drover_count(0, 1), "count");
		}
	}
	if (ready) {
		if (ready_after)
			sleep_ms(ready_after);
		event(file, "ready");
		check(drover_ready(), "ready");
	}
	bool stopped = false;
	for (unsigned long i = 0;; i++) {
		if (hb && !stopped) {
			if (stop_hb_after >= 0 && mono_ms() - start >= (uint64_t) stop_hb_after) {
				stopped = true;
				event(file, "stopped");
			} else {
				check(drover_heartbeat(), "heartbeat");
			}
		}
		check(drover_busy(), "busy");
		check(drover_status("%s #%lu", text, i), "status");
		check(drover_count(0, 1), "count");
		check(drover_count(1, 10), "count");
		check(drover_idle(), "idle");
		sleep_ms(interval);
	}
}
