/* Worker stdin/stdout/stderr: what the child gets on 0, 1, 2, and droverd's side of it. */
#ifndef DROVER_LOGPIPE_H
#define DROVER_LOGPIPE_H

struct process;

/* Descriptors the child dup2()s onto 0, 1, 2 (all O_CLOEXEC in droverd). */
struct logpipe_fds {
	int in, out, err;
};

/* Prepare the child's stdio for p (log files, pipes, /dev/null). 0 or -errno. */
int logpipe_prepare(struct process *p, struct logpipe_fds *ret);
/* After a successful fork: keep droverd's ends of the pipes for p. */
void logpipe_attach(struct process *p, struct logpipe_fds *fds);
/* SIGUSR1: reopen every log file droverd writes (logrotate). */
void logpipe_reopen_all(void);
void logpipe_fds_close(struct logpipe_fds *fds);

#endif
