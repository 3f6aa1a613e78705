/* fault-graceful: a worker that handles SIGTERM by exiting 0, logging what it receives
 * (tests/faults/sigstop-worker.sh).
 *
 *   fault-graceful [-d MS] FILE
 *             append "PID SIGNAME MONOTONIC_S" to FILE for each TERM and CONT received, "PID start
 *             MONOTONIC_S" at start; exit 0 after a TERM, MS milliseconds after it (default 0: a
 *             slow shutdown for tests/faults/hup-after-term.sh)
 *
 * Exits 111 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *sig_log;
static volatile sig_atomic_t got_term;

static void note(const char *what)
{
	char line[96];
	struct timespec ts;
	int fd, n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%d %s %ld.%06ld\n", (int) getpid(), what, (long) ts.tv_sec,
	             ts.tv_nsec / 1000);
	fd = open(sig_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, (size_t) n);
		close(fd);
	}
}

static void on_signal(int sig)
{
	note(sig == SIGTERM ? "TERM" : "CONT");
	if (sig == SIGTERM)
		got_term = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	long delay_ms = 0;
	int c;

	while ((c = getopt(argc, argv, "d:")) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: fault-graceful [-d MS] FILE\n");
			return 111;
		}
		delay_ms = strtol(optarg, NULL, 10);
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: fault-graceful [-d MS] FILE\n");
		return 111;
	}
	sig_log = argv[optind];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	note("start");
	while (!got_term)
		pause();
	if (delay_ms > 0) {
		struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}
