/* Start-up clean-up of an earlier run's processes. Workers die with droverd (PR_SET_PDEATHSIG),
 * but their descendants that left the process group (setsid, double fork) survive a SIGKILLed
 * droverd and are re-parented to init. They still carry DROVER_NAME=NAME in their environment;
 * with the instance lock held, no live droverd owns such a process, so it is a leftover. Only
 * processes in droverd's own IPC namespace count (the instance lock is per IPC namespace), and
 * each is signalled through a pidfd taken before its environment is read, so a recycled pid is
 * never hit. */
#include "os/leftovers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "os/procfs.h"
#include "util.h"

static bool same_ipc_ns(pid_t pid, const struct stat *ours)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int) pid);
	return stat(path, &st) == 0 && st.st_ino == ours->st_ino && st.st_dev == ours->st_dev;
}

/* A worker's environment as droverd builds it (spawn.c): DROVER_NAME of this instance, and
 * DROVER_PROCESS, DROVER_SLOT and DROVER_GENERATION. A user who merely exported DROVER_NAME
 * for droverctl's sake is not mistaken for a leftover. The marks come last: read it whole.
 * 1: a worker's, 0: not, -EAGAIN: empty (kernel threads, zombies, and for a moment a process in
 * the middle of execve(), whose new memory has no environment yet). */
static int worker_environ(pid_t pid, const char *want)
{
	char *buf;
	size_t len;
	int r = procfs_read_pid_whole(pid, "environ", &buf, &len);
	if (r < 0)
		return 0;
	if (len == 0) {
		free(buf);
		return -EAGAIN;
	}
	bool name = false, proc = false, slot = false, gen = false;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		name |= strcmp(buf + i, want) == 0;
		proc |= strncmp(buf + i, "DROVER_PROCESS=", 15) == 0;
		slot |= strncmp(buf + i, "DROVER_SLOT=", 12) == 0;
		gen |= strncmp(buf + i, "DROVER_GENERATION=", 18) == 0;
	}
	free(buf);
	return name && proc && slot && gen;
}

/* Is pid a live user-space process (not a kernel thread, not a zombie), whose empty environment
 * can only be an execve() under way? */
static bool user_process_alive(pid_t pid)
{
	char state;
	pid_t ppid, pgid;
	if (procfs_stat_state(pid, &state, &ppid, &pgid) < 0)
		return false;
	return state != 'Z' && state != 'X' && ppid != 2 && pid != 2;   /* kthreadd's children */
}

/* worker_environ(), asked again for a moment while the environment reads empty: a leftover that
 * was exec'ing just then would otherwise be taken for a stranger and survive. Bounded: 10 x 2 ms
 * for a process that really has an empty environment (env -i). */
static bool worker_environ_settled(pid_t pid, const char *want)
{
	int r = worker_environ(pid, want);
	if (r != -EAGAIN || !user_process_alive(pid))
		return r > 0;
	for (int i = 0; i < 10 && r == -EAGAIN; i++) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);   /* start-up, before the loop runs: nothing else waits */
		r = worker_environ(pid, want);
	}
	return r > 0;
}

unsigned leftovers_kill(const char *name)
{
	struct stat ours;
	unsigned killed = 0;
	pid_t self = getpid();

	if (stat("/proc/self/ns/ipc", &ours) < 0)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	char *want = xasprintf("DROVER_NAME=%s", name);
	struct dirent *de;
	while ((de = readdir(d))) {
		int64_t n;
		if (parse_int64(de->d_name, 2, INT32_MAX, &n) < 0 || (pid_t) n == self)
			continue;
		pid_t pid = (pid_t) n;
		int pfd = (int) pidfd_open(pid, 0);
		if (pfd < 0)
			continue;
		/* The signal goes through the pidfd: to this process or to nobody. What /proc says is
		 * about this process if it is still alive after the reads (its pid not yet reused). */
		if (same_ipc_ns(pid, &ours) && worker_environ_settled(pid, want) && pidfd_send_signal(pfd, 0, NULL, 0) == 0) {
			char cmd[128];
			if (procfs_read_pid(pid, "comm", cmd, sizeof(cmd)) <= 0)
				strcpy_bounded(cmd, sizeof(cmd), "?");
			cmd[strcspn(cmd, "\n")] = '\0';
			if (pidfd_send_signal(pfd, SIGKILL, NULL, 0) == 0) {
				killed++;
				log_warn("killed pid %d (%s): left behind by an earlier run of instance '%s'", (int) pid, cmd, name);
			}
		}
		close(pfd);
	}
	closedir(d);
	free(want);
	return killed;
}
