/* sb-lockhold: lock holders that die, and one that stops, inside a worker's own tree. A worker
 * (linked with libdrover) forks, N times, a child that takes the slot's lock (with -s: also
 * flips the latch and half-writes a copy) and is then SIGKILLed; after each death the worker's
 * next drover_status() must succeed (the robust lock hands it over: EOWNERDEAD) and read back
 * whole. Then a child takes the lock and is SIGSTOPped: the worker's report must give up with
 * -ETIMEDOUT after about 100 ms, not wait for it; once the child is killed, reports work again.
 *
 *   -f FILE      event log: "recovered ROUND MS" per death (MS: how long the next report took),
 *                "stalled MS ERRNO" for the stopped holder, then "done N MAXMS" (or "failed-...")
 *   -n N         deaths (default 20)
 *   -s           die mid-write too
 *
 * Then it stays alive. Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drover.h"
#include "sb-objects.h"

static const char *file = "/dev/null";

/* "WHAT A B" */
static void event(const char *what, long a, long b)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "%s %ld %ld\n", what, a, b);
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, (size_t) n);
		close(fd);
	}
}

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A child that takes the lock (and, with midwrite, leaves a half-written copy), says so, and
 * waits to be killed. */
static pid_t holder(void *m, int midwrite)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		if (sb_lock(sb_object_lock(m)) < 0)
			_exit(3);
		if (midwrite)
			strcpy(sb_write_begin(sb_object_slot(m))->status, "half written");
		(void) !write(p[1], "x", 1);
		for (;;)
			pause();
	}
	char c;
	close(p[1]);
	ssize_t r = pid > 0 ? read(p[0], &c, 1) : -1;
	close(p[0]);
	return r == 1 ? pid : -1;
}

static int status_is(void *m, uint32_t slot, const char *want)
{
	struct sb_snapshot snap;
	struct sb_slot *s = sb_object_slot(m);
	if (sb_slot_read(s, &snap) < 0)
		return 0;
	return snap.c.checksum == sb_checksum(&snap.c.w, slot) && strcmp(snap.c.w.status, want) == 0;
}

int main(int argc, char **argv)
{
	int c, midwrite = 0;
	long n = 20;
	uint32_t slot;

	while ((c = getopt(argc, argv, "f:n:s")) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'n': n = atol(optarg); break;
		case 's': midwrite = 1; break;
		default: return 111;
		}
	}
	void *m = sb_map_fd(sb_own_fd(), &slot);
	if (!m || drover_attach() < 0)
		return 111;
	long worst = 0;
	for (long i = 1; i <= n; i++) {
		pid_t pid = holder(m, midwrite);
		if (pid < 0) {
			event("failed-holder", i, errno);
			return 111;
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		char text[32];
		snprintf(text, sizeof(text), "round %ld", i);
		long t0 = mono_ms();
		int r = drover_status("%s", text);
		long dt = mono_ms() - t0;
		if (r < 0 || !status_is(m, slot, text)) {
			event("failed-round", i, -r);
			for (;;)
				pause();
		}
		worst = dt > worst ? dt : worst;
		event("recovered", i, dt);
	}
	/* A live holder that stops: the others give up at the bound, they do not wait for it. */
	pid_t pid = holder(m, 0);
	kill(pid, SIGSTOP);
	long t0 = mono_ms();
	int r = drover_status("while stopped");
	event("stalled", mono_ms() - t0, -r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	r = drover_status("after");
	if (r < 0)
		event("failed-after-stop", -r, 0);
	else
		event("done", n, worst);
	for (;;)
		pause();
}
