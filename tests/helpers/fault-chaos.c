/* fault-chaos: a worker that dies soon, in a random way (tests/faults/chaos-*.sh, valgrind.sh).
 *
 *   fault-chaos [-m MAXMS] [-f FILE] [-H FILE]
 *     -m MAXMS  live a random 0..MAXMS milliseconds (default 20), then either exit with a random
 *               code 0..255 or kill itself with a random signal (TERM, KILL, SEGV, ABRT, HUP, INT,
 *               QUIT, USR1, USR2, ALRM, PIPE, BUS, FPE) — about half each
 *     -f FILE   append "PID MONOTONIC_S" to FILE at start (one O_APPEND write: a spawn log)
 *     -H FILE   hold: while FILE exists, stay alive (checked every 20 ms) instead of dying
 *
 * Never dumps core (RLIMIT_CORE 0 and not dumpable: core_pattern may be a plain file in the cwd).
 * Exits 111 on a usage error. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGKILL, SIGSEGV, SIGABRT, SIGHUP, SIGINT, SIGQUIT,
	                            SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGBUS, SIGFPE };
	const char *spawn_log = NULL, *hold = NULL;
	long maxms = 20;
	struct rlimit no_core = { 0, 0 };
	struct timespec ts;
	char line[96];
	int c;

	while ((c = getopt(argc, argv, "m:f:H:")) != -1) {
		switch (c) {
		case 'm': maxms = strtol(optarg, NULL, 10); break;
		case 'f': spawn_log = optarg; break;
		case 'H': hold = optarg; break;
		default:
			fprintf(stderr, "usage: fault-chaos [-m MAXMS] [-f FILE] [-H FILE]\n");
			return 111;
		}
	}
	(void) setrlimit(RLIMIT_CORE, &no_core);
	(void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srandom((unsigned) getpid() * 2654435761u ^ (unsigned) ts.tv_nsec);

	if (spawn_log) {
		int fd = open(spawn_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			int n = snprintf(line, sizeof(line), "%d %ld.%06ld\n", (int) getpid(), (long) ts.tv_sec,
			                 ts.tv_nsec / 1000);
			(void) !write(fd, line, (size_t) n);
			close(fd);
		}
	}
	if (maxms > 0)
		sleep_ms(random() % (maxms + 1));
	while (hold && access(hold, F_OK) == 0)
		sleep_ms(20);

	if (random() % 2)
		return (int) (random() % 256);
	int sig = sigs[random() % (long) (sizeof(sigs) / sizeof(sigs[0]))];
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(200);   /* not reached for these signals */
}
