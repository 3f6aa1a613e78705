/* Creating workers (and probe commands). Knows nothing of processes or configs: a request carries
 * everything the child needs, and the answers come back through callbacks.
 *
 * A child is made by a spawn helper process (os/spawn-helper.c) and is still droverd's own child;
 * the answers therefore come from the loop: started (the child exists: pid and pidfd), then exec
 * (it ran its command, or failed to and exits 127), or failed (no child was made). A request a
 * helper does not finish within SPAWN_DEADLINE_S (a path on a filesystem that stopped answering)
 * is given up: failed, or abandoned once its child exists (the child is sent SIGKILL and reaped
 * whenever it can die). Without a helper (old kernels, valgrind, DROVER_SPAWN_HELPER=0) droverd
 * spawns with vfork() itself, as before: started and failed then come before spawn_submit()
 * returns, and a hung path blocks droverd. */
#ifndef DROVER_SPAWN_H
#define DROVER_SPAWN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "os/spawn-wire.h"   /* enum spawn_stage */

#define SPAWN_DEADLINE_S 10


/* A descriptor the child gets at a fixed number. */
struct spawn_fd {
	int fd;
	int target;
};

struct spawn_request {
	char *const *argv;              /* argv[0] is looked up in the child's PATH */
	const char *directory;          /* NULL: droverd's */
	const char *user;               /* name or uid; NULL: droverd's */
	const char *daemon_user;        /* [supervisord] user, NULL: none. When it is not root, every
	                                 * program runs as it (supervisord runs as it from start-up on)
	                                 * and a request for another user is refused */
	int umask;                      /* -1: droverd's */
	const char *environment_file;   /* comma list ("-" before a path: may be missing); NULL: none */
	char *const *env;               /* KEY=VALUE set over droverd's environment and the files, in order */
	int stdio[3];                   /* the child's 0, 1, 2; -1: /dev/null. Taken over by spawn_submit */
	const struct spawn_fd *extra;   /* more descriptors, at numbers above 2 (taken over too) */
	size_t nextra;
};

struct spawn_ops {
	/* The child exists. pidfd (-1 when unsupported) is lent until the child is reaped. */
	void (*started)(void *ctx, pid_t pid, int pidfd);
	/* err 0: it exec'd its command. Else it failed at stage (reason says how) and exits 127. */
	void (*exec)(void *ctx, int err, enum spawn_stage stage, const char *reason);
	/* No child was made. */
	void (*failed)(void *ctx, int err, const char *reason);
	/* The child exists but did not reach exec in time: it was sent SIGKILL and will be reaped
	 * as nobody's (its exit is not reported); forget its pid. */
	void (*abandoned)(void *ctx, const char *reason);
};

struct spawn_job;

/* Start the spawn helper (or decide to spawn in-process, said in the log). Needs the reaper. */
int spawn_init(struct ev_loop *loop, const char *instance);
/* Queue a spawn. Returns the job while answers are still to come, NULL when the last one came
 * already; no answer comes after the final one (exec, failed, abandoned). */
struct spawn_job *spawn_submit(const struct spawn_request *req, const struct spawn_ops *ops, void *ctx);
/* The answers are no longer wanted: no more callbacks; a child made for it is sent SIGKILL. */
void spawn_cancel(struct spawn_job *job);
/* The child exited: deliver its exec answer now, before the exit is acted upon. */
void spawn_settle(struct spawn_job *job);
/* droverd exits: the helpers are told to go, and reaped. */
void spawn_shutdown(void);

/* Whether droverd can run programs as USER (the daemon-wide [supervisord]/[drover] user): it
 * exists, and droverd is root or already that user. 0, or -errno with the reason in err. */
int spawn_check_user(const char *user, char *err, size_t errsize);

/* droverd's original soft RLIMIT_NOFILE, given back to every child. */
void spawn_set_child_nofile(unsigned long soft);

#endif
