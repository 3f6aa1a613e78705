/* fault-writer: a worker that writes lines to stdout and stderr forever and never dies of a
 * failed write (tests/faults/disk-full.sh).
 *
 *   fault-writer [-b BYTES] [-i MS] [-f FILE]
 *     -b BYTES  line length (default 100, at most 4096)
 *     -i MS     pause between lines (default 10; 0 = as fast as possible)
 *     -f FILE   every 100 lines, overwrite FILE with "LINES FAILED_WRITES" (a progress report)
 *
 * SIGPIPE is ignored, so a closed pipe is just a failed write. Exits 111 on a usage error. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4097];
	const char *report = NULL;
	long bytes = 100, ms = 10, lines = 0, failed = 0;
	int c;

	while ((c = getopt(argc, argv, "b:i:f:")) != -1) {
		switch (c) {
		case 'b': bytes = strtol(optarg, NULL, 10); break;
		case 'i': ms = strtol(optarg, NULL, 10); break;
		case 'f': report = optarg; break;
		default:
			fprintf(stderr, "usage: fault-writer [-b BYTES] [-i MS] [-f FILE]\n");
			return 111;
		}
	}
	if (bytes < 2 || bytes > 4096)
		return 111;
	signal(SIGPIPE, SIG_IGN);
	memset(buf, 'x', (size_t) bytes - 1);
	buf[bytes - 1] = '\n';
	for (;;) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		if (write(1, buf, (size_t) bytes) != bytes)
			failed++;
		if (write(2, buf, (size_t) bytes) != bytes)
			failed++;
		lines++;
		if (report && lines % 100 == 0) {
			char line[64];
			int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd >= 0) {
				int n = snprintf(line, sizeof(line), "%ld %ld\n", lines, failed);
				(void) !write(fd, line, (size_t) n);
				close(fd);
			}
		}
		if (ms > 0)
			nanosleep(&ts, NULL);
	}
}
