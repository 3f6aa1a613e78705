/* What runs between a worker's creation and its execve(), in one of two places:
 * - in a child of the spawn helper (spawn_child_main): it shares the helper's memory (the helper
 *   waits for its exec), reports itself to droverd first, then resolves what it needs (the
 *   environment files, the user, the command on PATH) and executes. A lookup that hangs holds up
 *   this child and its helper, never droverd;
 * - in droverd itself, when there is no helper: droverd resolves (spawn_order_prepare) and its
 *   vfork child only makes syscalls (spawn_order_exec).
 * A failure is one record on the exec-status pipe, then _exit(127); EOF on that pipe means the
 * exec happened (the pipe's write end is close-on-exec). */
#ifndef DROVER_SPAWN_CHILD_H
#define DROVER_SPAWN_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "os/spawn-wire.h"

struct spawn_failure {
	int32_t stage;                    /* enum spawn_stage */
	int32_t err;                      /* errno */
	char text[SPAWN_TEXT_MAX];        /* "spawn error: chdir /srv/x: No such file or directory" */
};

struct spawn_user {
	bool set;               /* a user is configured: USER, LOGNAME, HOME follow it */
	bool change;            /* switch credentials (not when droverd already is that user) */
	uid_t uid;
	gid_t gid;
	gid_t groups[256];
	int ngroups;
	char home[256];
	char name[64];
};

struct spawn_order {
	struct spawn_wire_req req;        /* what to run (strings are the creator's) */
	int fd[SPAWN_FDS_MAX];            /* descriptors for the child ... */
	int target[SPAWN_FDS_MAX];        /* ... and the number each gets there */
	size_t nfds;
	int devnull;                      /* for 0, 1 and 2 when nothing else goes there */
	pid_t parent;                     /* droverd, the worker's parent: checked after PDEATHSIG is set */
	bool reset_signals;               /* droverd's own handlers are installed: all back to default first */
	unsigned long nofile;             /* soft RLIMIT_NOFILE for the worker, 0: leave it */
	int report_sock;                  /* helper: where the child says it exists (STARTED); -1 in droverd */
	uint32_t id;                      /* the request's id, for STARTED */
	/* resolved by spawn_order_prepare (in the child, under a helper: the memory is shared, the
	 * creator frees it once the child has gone on to exec or _exit) */
	char **env;
	char *path;
	struct spawn_user user;
	volatile int resolving;           /* helper: set while the child resolves on the shared heap */
};

/* The environment (droverd's, without its private variables; then the files; then req.env), the
 * user and the command. 0, or -errno with f filled. */
int spawn_order_prepare(struct spawn_order *o, struct spawn_failure *f);
void spawn_order_clear(struct spawn_order *o);
/* spawn_check_user() (spawn.h), done where users are looked up. */
int spawn_order_check_user(const char *user, char *err, size_t errsize);

/* A child made by clone() runs on a stack of our own, which AddressSanitizer does not know: its
 * bookkeeping before a call that does not return would only print a warning (about ignoring
 * __asan_handle_no_return) to droverd's stderr. Code that runs in such a child is left
 * uninstrumented: it runs briefly, before exec, on memory its parent owns. */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_CHILD_CODE __attribute__((no_sanitize_address))
#else
#define SPAWN_CHILD_CODE
#endif
/* Set up and execve() a prepared order; on failure write a record to status_fd and _exit(127).
 * System calls only (and formatting of the failure): fit for a vfork child. */
_Noreturn void spawn_order_exec(const struct spawn_order *o, int status_fd);
/* The helper's clone() entry: report, prepare, exec. Never returns. */
int spawn_child_main(void *order);

/* One read of an exec-status pipe: 0 = EOF (exec'd, or gone without a word), 1 = a failure in *f,
 * -EAGAIN = not decided yet, other -errno. */
int spawn_failure_read(int fd, struct spawn_failure *f);

#endif
