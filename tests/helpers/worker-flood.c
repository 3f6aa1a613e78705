/* worker-flood RATE SECONDS [LINE]: a worker that floods its stdout (tests/e2e/logs-flood.sh).
 * Writes numbered lines of LINE bytes (default 100: "%010lu " + 'x' padding + "\n") at up to
 * RATE bytes per second (0 = as fast as the pipe takes them) for SECONDS, then says on stderr
 * "flood done: LINES lines, BYTES bytes in MS ms" and sleeps until killed. The writes block:
 * back-pressure from droverd is what the test looks at. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	if (argc < 3) {
		fprintf(stderr, "usage: worker-flood RATE SECONDS [LINE]\n");
		return 2;
	}
	double rate = strtod(argv[1], NULL), secs = strtod(argv[2], NULL);
	size_t line = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	if (line < 12 || line > 4096)
		line = 100;
	unsigned long seq = 0;
	unsigned long long bytes = 0;
	double t0 = now_s(), end = t0 + secs;

	signal(SIGPIPE, SIG_DFL);
	while (now_s() < end) {
		size_t n = 0;
		while (n + line <= sizeof(buf)) {
			int k = snprintf(buf + n, line, "%010lu ", ++seq);
			memset(buf + n + k, 'x', line - 1 - (size_t) k);
			buf[n + line - 1] = '\n';
			n += line;
		}
		for (size_t off = 0; off < n; ) {
			ssize_t w = write(1, buf + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				perror("write");
				return 1;
			}
			off += (size_t) w;
		}
		bytes += n;
		if (rate > 0) {
			double due = t0 + (double) bytes / rate, now = now_s();
			if (due > now) {
				struct timespec ts = { (time_t) (due - now), (long) (((due - now) - (double) (time_t) (due - now)) * 1e9) };
				while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
					;
			}
		}
	}
	fprintf(stderr, "flood done: %lu lines, %llu bytes in %.0f ms\n", seq, bytes, (now_s() - t0) * 1000);
	for (;;)
		pause();
}
