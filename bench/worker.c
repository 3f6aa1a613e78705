/* bench/worker.c — the one worker binary every supervisor runs in `make bench`.
 *
 * At start it takes a CLOCK_MONOTONIC timestamp (first thing in main), appends one line "PID NS\n" to the file
 * named by $BENCH_TS (or argv[1]) with a single write() on an O_APPEND descriptor, so lines from concurrent
 * workers never interleave, then waits in pause() until a signal ends it.  It writes nothing to stdout/stderr.
 *
 * runit, s6 and daemontools run it through a `run` symlink with no arguments: the file name then comes from the
 * environment, which every supervisor passes down to its workers.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);

	/* The environment first: s6-supervise runs ./run with the service name as argv[1]. */
	const char *path = getenv("BENCH_TS");
	if ((!path || !*path) && argc > 1)
		path = argv[1];
	if (path && *path) {
		char line[64];
		int n = snprintf(line, sizeof line, "%ld %lld\n", (long)getpid(),
		                 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) != n)
				_exit(111);
			close(fd);
		}
	}
	for (;;)
		pause();
}
