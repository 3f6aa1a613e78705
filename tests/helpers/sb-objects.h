/* Scoreboard objects as a test (or hostile) worker finds them: its own, descriptor 10, and every
 * other one it can open through other processes' /proc/PID/fd (the kernel decides which: those
 * of its own uid, all of them for root). Header-only, for the sb-* helpers. */
#ifndef DROVER_TESTS_SB_OBJECTS_H
#define DROVER_TESTS_SB_OBJECTS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scoreboard.h"

/* The descriptor droverd gave this worker, or -1. */
static inline int sb_own_fd(void)
{
	const char *s = getenv(SB_FD_ENV);
	return s ? atoi(s) : -1;
}

/* Map fd read-write when it is a scoreboard object (size and magic; no other check: a hostile
 * worker needs none); NULL otherwise. *ret_slot: the slot its header names. */
static inline void *sb_map_fd(int fd, uint32_t *ret_slot)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size != SB_OBJECT_SIZE)
		return NULL;
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (sb_object_header(m)->magic != SB_MAGIC) {
		munmap(m, SB_OBJECT_SIZE);
		return NULL;
	}
	if (ret_slot)
		*ret_slot = sb_object_header(m)->slot;
	return m;
}

/* Every scoreboard object of droverd daemon_pid held by another process, as far as /proc lets
 * this process open it: cb(pid, slot, map) for each (the map stays the caller's). Returns how
 * many candidate descriptors were refused (EACCES/EPERM). */
static inline int sb_foreign_objects(pid_t daemon_pid, void (*cb)(pid_t pid, uint32_t slot, void *map, void *ctx), void *ctx)
{
	int refused = 0;
	/* Its own object, held for a moment by whoever handed it over (the spawn helper until the
	 * exec), is not another one. */
	struct stat own;
	int ownfd = sb_own_fd();
	if (ownfd < 0 || fstat(ownfd, &own) < 0)
		own.st_ino = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t) atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
		DIR *fds = opendir(path);
		if (!fds) {
			if (errno == EACCES || errno == EPERM)
				refused++;
			continue;
		}
		struct dirent *fe;
		while ((fe = readdir(fds))) {
			char link[300], target[128];
			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "/proc/%d/fd/%s", (int) pid, fe->d_name);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strstr(target, "memfd:drover-scoreboard"))
				continue;
			int fd = open(link, O_RDWR | O_CLOEXEC);
			if (fd < 0) {
				if (errno == EACCES || errno == EPERM)
					refused++;
				continue;
			}
			struct stat st;
			if (own.st_ino && fstat(fd, &st) == 0 && st.st_ino == own.st_ino && st.st_dev == own.st_dev) {
				close(fd);
				continue;
			}
			uint32_t slot;
			void *m = sb_map_fd(fd, &slot);
			close(fd);
			if (!m)
				continue;
			if (sb_object_header(m)->daemon_pid == daemon_pid)
				cb(pid, slot, m, ctx);
			else
				munmap(m, SB_OBJECT_SIZE);
		}
		closedir(fds);
	}
	closedir(d);
	return refused;
}

#endif
