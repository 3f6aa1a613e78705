/* Reads of /proc files: O_CLOEXEC, EINTR, always NUL-terminated; bounded reads for what is
 * only shown, whole reads for what is parsed (a cut list would make up pids). */
#include "os/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

ssize_t procfs_read(const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t) len;
}

ssize_t procfs_read_pid(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
	return procfs_read(path, buf, size);
}

int procfs_read_whole(const char *path, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	int r = 0;
	for (;;) {
		if (cap - len < 2) {
			if (cap >= PROCFS_WHOLE_MAX) {
				r = -EFBIG;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap, 1);
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t) n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int procfs_read_pid_whole(pid_t pid, const char *name, char **ret, size_t *ret_len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
	return procfs_read_whole(path, ret, ret_len);
}

int procfs_stat_state(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgid)
{
	char buf[1024];
	ssize_t n = procfs_read_pid(pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int) n;
	/* "PID (COMM) S PPID PGRP ...": COMM may hold spaces and parentheses; the last ')' ends it. */
	char *s = strrchr(buf, ')');
	int ppid, pgid;
	char state;
	if (!s || sscanf(s + 1, " %c %d %d", &state, &ppid, &pgid) != 3)
		return -EIO;
	*ret_state = state;
	*ret_ppid = (pid_t) ppid;
	*ret_pgid = (pid_t) pgid;
	return 0;
}

int procfs_stat(pid_t pid, pid_t *ret_ppid, pid_t *ret_pgid)
{
	char state;
	return procfs_stat_state(pid, &state, ret_ppid, ret_pgid);
}

void procfs_parse_pids(const char *list, void (*fn)(pid_t pid, void *data), void *data)
{
	for (const char *s = list; *s; ) {
		while (*s == ' ' || *s == '\n')
			s++;
		const char *start = s;
		long v = 0;
		while (*s >= '0' && *s <= '9' && v <= INT32_MAX)
			v = v * 10 + (*s++ - '0');
		if (s == start) {   /* not a number: skip the token */
			while (*s && *s != ' ' && *s != '\n')
				s++;
			continue;
		}
		if ((*s == ' ' || *s == '\n' || *s == '\0') && v > 0 && v <= INT32_MAX)
			fn((pid_t) v, data);
		while (*s && *s != ' ' && *s != '\n')
			s++;
	}
}
