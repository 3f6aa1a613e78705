/* sb-truncate: a hostile worker that truncates its instance's scoreboard shm (-m shm) or its own
 * slot's semaphore file (-m sem) N times, and after each truncation waits (bounded) for droverd
 * to restore the size. It never maps anything, so it cannot die of SIGBUS itself.
 *
 *   -m shm|sem   what to truncate
 *   -z BYTES     truncate to BYTES (default 0; 1 is the other interesting case)
 *   -n N         rounds (default 100)
 *   -d FILE      when done, write "ok N MAXMS" (every rebuild seen within 1 s) or
 *                "slow N MAXMS" / "norebuild ROUND" into FILE
 *
 * Then it stays alive. Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scoreboard.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void report(const char *path, const char *text)
{
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, text, strlen(text));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	const char *mode = "shm", *done = NULL, *instance = getenv("DROVER_NAME"), *slot = getenv("DROVER_SLOT");
	long n = 100, to = 0;
	char path[160], text[96];
	int c;

	while ((c = getopt(argc, argv, "m:z:n:d:")) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'z': to = atol(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'd': done = optarg; break;
		default: return 111;
		}
	}
	if (!instance || !slot)
		return 111;
	if (strcmp(mode, "shm") == 0)
		snprintf(path, sizeof(path), "/dev/shm/%s.scoreboard", instance);
	else if (strcmp(mode, "sem") == 0)
		snprintf(path, sizeof(path), "/dev/shm/sem.%s.sb.%s", instance, slot);
	else
		return 111;

	uint64_t worst = 0;
	for (long i = 0; i < n; i++) {
		struct stat st;
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			perror(path);
			return 111;
		}
		off_t want = st.st_size;
		uint64_t t0 = mono_ms();
		if (ftruncate(fd, to) < 0) {
			perror("ftruncate");
			return 111;
		}
		/* droverd restores the size (same inode) or replaces the object (new inode). */
		for (;;) {
			struct stat cur, byname;
			if (fstat(fd, &cur) == 0 && cur.st_size >= want)
				break;
			if (stat(path, &byname) == 0 && byname.st_ino != cur.st_ino && byname.st_size >= want)
				break;
			if (mono_ms() - t0 > 3000) {
				snprintf(text, sizeof(text), "norebuild %ld\n", i);
				report(done, text);
				for (;;)
					pause();
			}
			sleep_ms(1);
		}
		uint64_t dt = mono_ms() - t0;
		if (dt > worst)
			worst = dt;
		close(fd);
		sleep_ms(5);
	}
	snprintf(text, sizeof(text), "%s %ld %llu\n", worst <= 1000 ? "ok" : "slow", n, (unsigned long long) worst);
	report(done, text);
	for (;;)
		pause();
}
