/* Reads of /proc files (children lists, environments, command lines, stat). */
#ifndef DROVER_PROCFS_H
#define DROVER_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* Read at most size-1 bytes of path into buf, NUL-terminated; the length, or -errno. For
 * files whose tail does not matter (comm, cmdline for a log line). */
ssize_t procfs_read(const char *path, char *buf, size_t size);
/* The same for /proc/PID/NAME ("environ", "cmdline", "comm"...). */
ssize_t procfs_read_pid(pid_t pid, const char *name, char *buf, size_t size);

/* The whole of path, however long (a children list grows with the number of children, an
 * environment may pass any fixed size), in a new NUL-terminated buffer; its length in *ret_len.
 * 0 or -errno (-EFBIG past PROCFS_WHOLE_MAX, a bound no /proc file of a process reaches). */
#define PROCFS_WHOLE_MAX (64u << 20)
int procfs_read_whole(const char *path, char **ret, size_t *ret_len);
int procfs_read_pid_whole(pid_t pid, const char *name, char **ret, size_t *ret_len);

/* Parent and process group of pid from /proc/PID/stat; 0 or -errno. */
int procfs_stat(pid_t pid, pid_t *ret_ppid, pid_t *ret_pgid);
/* The same, with the state letter (R, S, D, Z, T, ...) too. */
int procfs_stat_state(pid_t pid, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgid);

/* Parse a children list ("PID PID ... "): each pid is passed to fn; a token that is not a whole
 * decimal number followed by a space or the end is ignored, never read as a pid. */
void procfs_parse_pids(const char *list, void (*fn)(pid_t pid, void *data), void *data);

#endif
