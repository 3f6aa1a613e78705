/* Small reads of /proc files (children lists, environments, command lines). */
#ifndef DROVER_PROCFS_H
#define DROVER_PROCFS_H

#include <sys/types.h>

/* Read at most size-1 bytes of path into buf, NUL-terminated; the length, or -errno. */
ssize_t procfs_read(const char *path, char *buf, size_t size);
/* The same for /proc/PID/NAME ("environ", "cmdline", "comm"...). */
ssize_t procfs_read_pid(pid_t pid, const char *name, char *buf, size_t size);

#endif
