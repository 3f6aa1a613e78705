/* worker-probe: records what a worker sees right after exec that cannot be read from outside,
 * then sleeps until killed. The test reads fds, SigBlk/SigIgn and environ from /proc itself.
 *
 *   worker-probe DIR    writes DIR/PID (atomically: DIR/.PID.tmp renamed) with lines
 *                       "pdeathsig N", "sid_is_pid 0|1", "pgid_is_pid 0|1", "umask OOOO", "ppid N"
 *
 * Exits 111 when the report cannot be written. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096], final[4096];
	int sig = -1;
	mode_t mask;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: worker-probe DIR\n");
		return 111;
	}
	(void) prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	mask = umask(0);
	umask(mask);

	snprintf(tmp, sizeof(tmp), "%s/.%d.tmp", argv[1], (int)getpid());
	snprintf(final, sizeof(final), "%s/%d", argv[1], (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return 111;
	fprintf(f, "pdeathsig %d\nsid_is_pid %d\npgid_is_pid %d\numask %04o\nppid %d\n", sig,
	        getsid(0) == getpid(), getpgrp() == getpid(), (unsigned)mask, (int)getppid());
	if (fclose(f) != 0 || rename(tmp, final) < 0)
		return 111;
	for (;;)
		pause();
}
