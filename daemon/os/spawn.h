/* vfork+exec of one worker: the whole plan is built in the parent, the child only executes it.
 * Knows nothing of processes or configs: it gets a request with everything the child needs. */
#ifndef DROVER_SPAWN_H
#define DROVER_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Stages a child can fail in; reported with the errno on the exec-status pipe. */
enum spawn_stage { SPAWN_STAGE_FDS, SPAWN_STAGE_SETSID, SPAWN_STAGE_USER, SPAWN_STAGE_PDEATHSIG,
                   SPAWN_STAGE_UMASK, SPAWN_STAGE_CHDIR, SPAWN_STAGE_EXEC, SPAWN_STAGE_MAX };
const char *spawn_stage_to_string(enum spawn_stage s);

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
	int pass_fd;                    /* > 2: a descriptor the child gets as pass_fd_at (> 2); else none */
	int pass_fd_at;
};

/* What spawn_prepare() resolved; the caller keeps it on its stack and clears it. */
struct spawn_plan {
	const struct spawn_request *req;
	char **env;
	char *path;                     /* argv[0] resolved */
	struct spawn_user {
		bool set;               /* a user is configured: USER, LOGNAME, HOME follow it */
		bool change;            /* switch credentials (not when droverd already is that user) */
		uid_t uid;
		gid_t gid;
		gid_t groups[256];
		int ngroups;
		char home[256];
		char name[64];
	} user;
};

struct spawn_child {
	pid_t pid;
	int status_fd;   /* read end of the CLOEXEC exec-status pipe: EOF = exec succeeded; 8 bytes
	                  * {stage, errno} = the child failed and _exit(127)s (spawn_read_status) */
};

/* Everything that can fail before a fork: the user, the environment (files read), the command.
 * 0, or -errno with a human reason in err[errsize]. req must outlive the plan. */
int spawn_prepare(const struct spawn_request *req, struct spawn_plan *plan, char *err, size_t errsize);
/* The command as resolved (error messages), valid until spawn_plan_clear. */
const char *spawn_plan_path(const struct spawn_plan *plan);
/* Fork and exec with stdio[0..2] as the child's 0, 1, 2. 0 and *ret, or -errno with a reason. */
int spawn_run(const struct spawn_plan *plan, const int stdio[3], struct spawn_child *ret, char *err, size_t errsize);
void spawn_plan_clear(struct spawn_plan *plan);

/* Decode the exec-status pipe: 0 when exec succeeded (EOF), -EAGAIN when not decided yet, else
 * -errno with the reason in err (naming directory, exec_path or user for their stages). */
int spawn_read_status(int fd, const char *directory, const char *exec_path, const char *user, char *err,
                      size_t errsize);

/* Whether droverd can run programs as USER (the daemon-wide [supervisord]/[drover] user): it
 * exists, and droverd is root or already that user. 0, or -errno with the reason in err. */
int spawn_check_user(const char *user, char *err, size_t errsize);

/* Remember droverd's original RLIMIT_NOFILE so children get it back. */
void spawn_set_child_nofile(unsigned long soft);

#endif
