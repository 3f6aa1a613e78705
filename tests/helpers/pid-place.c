/* pid-place: forks children with chosen pids, inside a PID namespace of the test's own
 * (`unshare --pid`), so that a test can make a recycled pid, or a pid whose digits are a prefix
 * of another, happen on purpose, without touching any process of the machine.
 *
 *   pid-place [-s] [-T|-x] [-n N] [-o FILE] PID
 *     Writes PID-1 to /proc/sys/kernel/ns_last_pid (this process's PID namespace), then forks N
 *     children (default 1; 0: only set the counter and exit), which get PID, PID+1, ... when
 *     nothing else in the namespace forks meanwhile. Each child (with -s: after setsid(), so it is
 *     the leader of a process group and session of its own) pauses forever; SIGTERM, SIGINT or
 *     SIGHUP makes it append "SIGNAME PID" to FILE and exit 0. Once every child is set up, the
 *     parent appends "placed FIRST LAST" to FILE when each got the pid it wanted, or
 *     "missed I PID" for the first one that did not, and then pauses as their parent (it dies of
 *     SIGTERM; with -T it ignores SIGTERM, so that a supervisor's stop finds it alive until
 *     SIGKILL; with -x it exits 0 instead, leaving its children as orphans).
 *
 * Exits 111 on a usage or setup error (no ns_last_pid: not root, or no PID namespace). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *out_path;

/* One O_APPEND write per line: the lines of several writers never interleave. */
static void append_line(const char *line)
{
	int fd;

	if (!out_path)
		return;
	fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, strlen(line));
		close(fd);
	}
}

static void on_signal(int sig)
{
	char line[64];
	const char *name = sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : "HUP";

	/* snprintf in a handler: the process does nothing but pause(). */
	snprintf(line, sizeof(line), "%s %d\n", name, (int)getpid());
	append_line(line);
	_exit(0);
}

static int set_last_pid(long last)
{
	char buf[32];
	int fd, n, r = 0;

	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld", last);
	if (write(fd, buf, (size_t)n) != n)
		r = -1;
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	long want, n = 1;
	int setsid_children = 0, ignore_term = 0, leave = 0, c, ready[2];
	char line[96];

	while ((c = getopt(argc, argv, "sTxn:o:")) != -1) {
		switch (c) {
		case 's': setsid_children = 1; break;
		case 'T': ignore_term = 1; break;
		case 'x': leave = 1; break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'o': out_path = optarg; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || n < 0)
		goto usage;
	want = strtol(argv[optind], NULL, 10);
	if (want < 2)
		goto usage;
	if (set_last_pid(want - 1) < 0) {
		fprintf(stderr, "pid-place: ns_last_pid: %s\n", strerror(errno));
		return 111;
	}
	if (n == 0)
		return 0;
	/* Each child writes one byte once it is set up: "placed" then means ready to be signalled. */
	if (pipe2(ready, O_CLOEXEC) < 0) {
		fprintf(stderr, "pid-place: pipe: %s\n", strerror(errno));
		return 111;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	long missed = -1;
	pid_t got = 0;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "pid-place: fork: %s\n", strerror(errno));
			return 111;
		}
		if (pid == 0) {
			if (setsid_children)
				(void) setsid();
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			close(ready[0]);
			(void) !write(ready[1], "x", 1);
			close(ready[1]);
			for (;;)
				pause();
		}
		if (pid != want + i && missed < 0) {
			missed = i;
			got = pid;
		}
	}
	close(ready[1]);
	for (long i = 0; i < n; i++) {
		char b;
		ssize_t r = read(ready[0], &b, 1);

		if (r < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (r != 1)
			break;
	}
	close(ready[0]);
	if (missed < 0)
		snprintf(line, sizeof(line), "placed %ld %ld\n", want, want + n - 1);
	else
		snprintf(line, sizeof(line), "missed %ld %d\n", missed, (int)got);
	if (ignore_term)   /* before the report: whoever reads it may stop us at once */
		signal(SIGTERM, SIG_IGN);
	append_line(line);
	if (leave)
		return 0;
	for (;;)
		pause();
usage:
	fprintf(stderr, "usage: pid-place [-s] [-T|-x] [-n N] [-o FILE] PID\n");
	return 111;
}
