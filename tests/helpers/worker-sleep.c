/* worker-sleep: a configurable e2e test worker. Sleeps until killed unless -x is given.
 *
 *   -f FILE   append "PID REALTIME_S MONOTONIC_S" to FILE at start (one O_APPEND write: a spawn log)
 *   -x CODE   exit with CODE (after -a MS milliseconds, default 0) instead of sleeping forever
 *   -a MS     delay before -x exits
 *   -T        do not die of SIGTERM/SIGINT/SIGHUP (caught; logged with -l); children inherit this
 *   -l FILE   append "PID SIGNAME MONOTONIC_S" to FILE for each caught TERM/INT/HUP/CONT
 *   -E        catch SIGTERM and _exit(0) from the handler: unlike a default-fatal SIGTERM, a caught
 *             one does not wake a SIGSTOPped process, so it exits only once SIGCONT follows
 *   -g N      fork N children (same process group) that sleep forever
 *   -o MS     double-fork an orphan that exits after MS milliseconds (reparented to the reaper)
 *   -p FILE   append the PID of every child and orphan to FILE, and "exited PID" when the orphan exits
 *
 * Exits 111 on a usage or setup error. Tiny on purpose: tests read its effects, not its output. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *sig_log;
static int exit_on_term;

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One write with O_APPEND: lines of concurrent writers never interleave. */
static void append_line(const char *path, const char *line)
{
	int fd, saved = errno;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, strlen(line));
		close(fd);
	}
	errno = saved;
}

static void on_signal(int sig)
{
	char line[128];
	const char *name = sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : sig == SIGHUP ? "HUP" : "CONT";

	if (sig_log) {
		/* snprintf is not async-signal-safe in theory; the main thread only sleeps in pause(). */
		snprintf(line, sizeof(line), "%d %s %.6f\n", (int)getpid(), name, now_s(CLOCK_MONOTONIC));
		append_line(sig_log, line);
	}
	if (exit_on_term && sig == SIGTERM)
		_exit(0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void log_pid(const char *path, pid_t pid)
{
	char line[32];

	if (!path)
		return;
	snprintf(line, sizeof(line), "%d\n", (int)pid);
	append_line(path, line);
}

int main(int argc, char **argv)
{
	const char *spawn_log = NULL, *pid_log = NULL;
	long exit_code = -1, exit_after = 0, children = 0, orphan_ms = -1;
	int catch_term = 0, c;
	char line[128];

	while ((c = getopt(argc, argv, "f:x:a:TEl:g:o:p:")) != -1) {
		switch (c) {
		case 'f': spawn_log = optarg; break;
		case 'x': exit_code = strtol(optarg, NULL, 10); break;
		case 'a': exit_after = strtol(optarg, NULL, 10); break;
		case 'T': catch_term = 1; break;
		case 'E': catch_term = 1; exit_on_term = 1; break;
		case 'l': sig_log = optarg; break;
		case 'g': children = strtol(optarg, NULL, 10); break;
		case 'o': orphan_ms = strtol(optarg, NULL, 10); break;
		case 'p': pid_log = optarg; break;
		default:
			fprintf(stderr, "usage: worker-sleep [-f FILE] [-x CODE [-a MS]] [-T|-E] [-l FILE] [-g N] [-o MS] [-p FILE]\n");
			return 111;
		}
	}

	if (spawn_log) {
		snprintf(line, sizeof(line), "%d %.6f %.6f\n", (int)getpid(), now_s(CLOCK_REALTIME),
		         now_s(CLOCK_MONOTONIC));
		append_line(spawn_log, line);
	}

	if (catch_term || sig_log) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sig_log)
			sigaction(SIGCONT, &sa, NULL);
		if (catch_term) {
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
		}
	}

	for (long i = 0; i < children; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 111;
		if (pid == 0)
			sleep_forever();
		log_pid(pid_log, pid);
	}

	if (orphan_ms >= 0) {
		int pfd[2];
		pid_t pid;

		if (pipe2(pfd, O_CLOEXEC) < 0)
			return 111;
		pid = fork();
		if (pid < 0)
			return 111;
		if (pid == 0) {
			pid_t gc = fork();

			if (gc == 0) {
				char done[48];

				close(pfd[0]);
				close(pfd[1]);
				sleep_ms(orphan_ms);
				if (pid_log) {
					snprintf(done, sizeof(done), "exited %d\n", (int)getpid());
					append_line(pid_log, done);
				}
				_exit(0);
			}
			(void) !write(pfd[1], &gc, sizeof(gc));
			_exit(0);
		}
		close(pfd[1]);
		{
			pid_t gc = -1;

			if (read(pfd[0], &gc, sizeof(gc)) == (ssize_t)sizeof(gc))
				log_pid(pid_log, gc);
		}
		close(pfd[0]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}

	if (exit_code >= 0) {
		sleep_ms(exit_after);
		return (int)exit_code;
	}
	sleep_forever();
}
