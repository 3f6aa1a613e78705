/* sb-lockhold: a worker that takes its slot's scoreboard lock and holds it until it is killed.
 * At start it must get the lock within 1 s (proving that droverd recovered it from the previous
 * incarnation): then it appends "locked PID" to FILE, else "stuck PID" and exits 3.
 *
 *   -f FILE      event log
 *   -u           do not record itself as the holder (dies "between sem_wait and recording"):
 *                droverd must replace the semaphore instead of posting it
 *   -s           mid-write too: die with the latch flipped and copy[0] half written
 *
 * Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scoreboard.h"

static void event(const char *path, const char *what)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "%s %d\n", what, (int) getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, (size_t) n);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	const char *file = "/dev/null", *instance = getenv("DROVER_NAME"), *slot_s = getenv("DROVER_SLOT");
	int c, record = 1, midwrite = 0;
	char name[80], semname[80];

	while ((c = getopt(argc, argv, "f:us")) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'u': record = 0; break;
		case 's': midwrite = 1; break;
		default: return 111;
		}
	}
	if (!instance || !slot_s)
		return 111;
	uint32_t slot = (uint32_t) atoi(slot_s);
	if (sb_shm_name(name, sizeof(name), instance) < 0 || sb_sem_name(semname, sizeof(semname), instance, slot) < 0)
		return 111;
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return 111;
	void *m = mmap(NULL, sb_size(slot + 1), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	sem_t *sem = sem_open(semname, 0);
	if (m == MAP_FAILED || sem == SEM_FAILED)
		return 111;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 1;
	while (sem_clockwait(sem, CLOCK_MONOTONIC, &dl) < 0) {
		if (errno == EINTR)
			continue;
		event(file, "stuck");
		return 3;
	}
	struct sb_slot *s = sb_slot_at(m, slot);
	if (record)
		__atomic_store_n(&s->lock_owner, (int32_t) getpid(), __ATOMIC_RELEASE);
	if (midwrite)
		strcpy(sb_write_begin(s)->status, "half written");
	event(file, "locked");
	for (;;)
		pause();
}
