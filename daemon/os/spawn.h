/* fork+exec of one worker: the whole plan is built in the parent, the child only executes it. */
#ifndef DROVER_SPAWN_H
#define DROVER_SPAWN_H

#include <sys/types.h>

struct process;

/* Stages a child can fail in; reported with the errno on the exec-status pipe. */
enum spawn_stage { SPAWN_STAGE_FDS, SPAWN_STAGE_SETSID, SPAWN_STAGE_USER, SPAWN_STAGE_PDEATHSIG,
                   SPAWN_STAGE_UMASK, SPAWN_STAGE_CHDIR, SPAWN_STAGE_EXEC, SPAWN_STAGE_MAX };
const char *spawn_stage_to_string(enum spawn_stage s);

/* Spawn p's worker. On success sets *ret_pid and *ret_exec_fd (the read end of the CLOEXEC
 * exec-status pipe: EOF = exec succeeded; 8 bytes {stage, errno} = the child failed and _exit(127)s).
 * On failure returns -errno and writes a human reason into err[errsize] (nothing was forked, or
 * fork itself failed). */
int spawn_worker(struct process *p, pid_t *ret_pid, int *ret_exec_fd, char *err, size_t errsize);

/* Decode the exec-status pipe content into a message; returns 0 when exec succeeded (EOF). */
int spawn_read_status(struct process *p, int fd, char *err, size_t errsize);

/* Remember droverd's original RLIMIT_NOFILE so children get it back. */
void spawn_set_child_nofile(unsigned long soft);

#endif
