/* fault-grandkids: a worker that double-forks grandchildren (a daemon-style launcher), then
 * sleeps until killed (tests/faults/grandchild-reap.sh, pid1-orphans.sh, sigkill-restart.sh).
 *
 *   fault-grandkids -n N [-a MINMS] -m MAXMS [-p FILE] [-s]
 *     -n N       double-fork N grandchildren; the intermediate child exits at once (reaped here),
 *                so each grandchild is re-parented to the nearest subreaper (or PID 1)
 *     -a MINMS   each grandchild lives a random MINMS..MAXMS milliseconds (default 0), counted
 *                from its re-parenting: it first waits for the intermediate child to be gone, so
 *                that even one that lives 0 ms exits as the adopted child (under load it could
 *                otherwise run to its end before its parent exits, and name that parent)
 *     -m MAXMS   (use a huge value for "forever")
 *     -p FILE    append "start PID" when a grandchild starts and "exit PID PPID" (PPID = getppid()
 *                right before its exit, i.e. who adopted it) when it exits
 *     -s         grandchildren call setsid() (leave the worker's process group)
 *
 * Exits 111 on a usage or fork error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void append_line(const char *path, const char *line)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, strlen(line));
		close(fd);
	}
}

/* Until the process parent (this one's parent at its fork) has exited and so handed this one over
 * to its adopter. A pidfd is readable once its process has exited, which the kernel signals only
 * after re-parenting its children. */
static void wait_parent_gone(pid_t parent)
{
	int fd = (int) pidfd_open(parent, 0);

	if (fd < 0)
		return;   /* gone and reaped already */
	/* Opened while parent was still ours: the pidfd is of that process, not of a recycled pid. */
	if (getppid() == parent) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	close(fd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *pid_log = NULL;
	long n = 0, minms = 0, maxms = 0;
	int c, do_setsid = 0;
	char line[64];

	while ((c = getopt(argc, argv, "n:a:m:p:s")) != -1) {
		switch (c) {
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'a': minms = strtol(optarg, NULL, 10); break;
		case 'm': maxms = strtol(optarg, NULL, 10); break;
		case 'p': pid_log = optarg; break;
		case 's': do_setsid = 1; break;
		default:
			fprintf(stderr, "usage: fault-grandkids -n N [-a MINMS] -m MAXMS [-p FILE] [-s]\n");
			return 111;
		}
	}
	if (maxms < minms)
		maxms = minms;

	for (long i = 0; i < n; i++) {
		long ms = minms + (maxms > minms ? (long) ((unsigned long) random() % (unsigned long) (maxms - minms + 1)) : 0);
		pid_t child = fork();

		if (child < 0)
			return 111;
		if (child == 0) {
			pid_t parent = getpid();
			pid_t gc = fork();

			if (gc < 0)
				_exit(111);
			if (gc == 0) {
				if (do_setsid)
					(void) setsid();
				snprintf(line, sizeof(line), "start %d\n", (int) getpid());
				append_line(pid_log, line);
				wait_parent_gone(parent);
				sleep_ms(ms);
				snprintf(line, sizeof(line), "exit %d %d\n", (int) getpid(), (int) getppid());
				append_line(pid_log, line);
				_exit(0);
			}
			_exit(0);
		}
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (;;)
		pause();
}
