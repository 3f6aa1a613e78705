/* fault-forkbomb: a contained fork bomb for tests/faults/forkbomb.sh. Run it under a uid of its
 * own with a low RLIMIT_NPROC (prlimit --nproc=N setpriv --reuid=U ...): it grows to the limit and
 * stays there, every process retrying fork() every MS milliseconds when it fails.
 *
 *   fault-forkbomb [-i MS] [-t SECONDS]
 *     -i MS       pause after a failed fork (default 20)
 *     -t SECONDS  every process exits after SECONDS (default 60): a safety net, never a leak
 *
 * Exits 111 on a usage error. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long ms = 20, secs = 60;
	int c;

	while ((c = getopt(argc, argv, "i:t:")) != -1) {
		switch (c) {
		case 'i': ms = strtol(optarg, NULL, 10); break;
		case 't': secs = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: fault-forkbomb [-i MS] [-t SECONDS]\n");
			return 111;
		}
	}
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned) secs);
	for (;;) {
		pid_t pid = fork();

		if (pid == 0) {
			alarm((unsigned) secs);   /* alarms are not inherited */
			continue;
		}
		if (pid < 0) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}
