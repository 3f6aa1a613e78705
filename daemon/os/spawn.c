/* vfork+exec of one worker. Everything that can fail or allocate happens in the parent before
 * vfork(); the child only makes syscalls and reports a failure on a CLOEXEC pipe. */
#include "os/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/envfile.h"
#include "util.h"

extern char **environ;

static unsigned long child_nofile_soft;   /* 0 = leave as is */

void spawn_set_child_nofile(unsigned long soft) { child_nofile_soft = soft; }

static const char *const stage_names[SPAWN_STAGE_MAX] = {
	"set up stdio", "setsid", "change user", "set parent-death signal", "set umask", "chdir", "exec",
};

const char *spawn_stage_to_string(enum spawn_stage s)
{
	return (unsigned) s < SPAWN_STAGE_MAX ? stage_names[s] : "?";
}

/* Variables that belong to droverd alone (systemd's, for its main process). */
static const char *const private_vars[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"DROVER_SCOREBOARD_FD",   /* droverd's own, when it runs under another droverd; a worker gets its own */
};

/* droverd's environment minus its private variables, then environment_file, then what the
 * request sets (the program's environment, then drover's own variables). */
static int build_env(const struct spawn_request *req, char ***ret, char *err, size_t errsize)
{
	char **env = strv_copy(environ);
	for (size_t i = 0; i < ELEMENTSOF(private_vars); i++)
		strv_env_unset(env, private_vars[i]);
	if (req->environment_file) {
		char why[200];
		int r = envfile_load_list(req->environment_file, &env, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errsize, "spawn error: %s", why);
			strv_free(env);
			return r;
		}
	}
	for (char *const *e = req->env; e && *e; e++)
		strv_env_set(&env, xstrdup(*e));
	*ret = env;
	return 0;
}

/* Find argv0 like execvp() would, with the child's PATH; returns a new string or NULL (errno). */
static char *resolve_exec(const char *argv0, char *const *env)
{
	if (strchr(argv0, '/')) {
		if (access(argv0, F_OK) < 0)
			return NULL;
		return xstrdup(argv0);
	}
	const char *path = strv_env_get(env, "PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = ENOENT;
	for (const char *s = path; ; ) {
		const char *colon = strchrnul(s, ':');
		size_t n = (size_t) (colon - s);
		char *cand = n ? xasprintf("%.*s/%s", (int) n, s, argv0) : xasprintf("./%s", argv0);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(cand, X_OK) == 0)
				return cand;
			err = EACCES;
		}
		free(cand);
		if (!*colon)
			break;
		s = colon + 1;
	}
	errno = err;
	return NULL;
}

static int resolve_user(const char *user, struct spawn_user *u)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int64_t n;

	memset(u, 0, sizeof(*u));
	if (!user)
		return 0;
	if (parse_int64(user, 0, INT32_MAX, &n) == 0)
		getpwuid_r((uid_t) n, &pw, buf, sizeof(buf), &res);
	else
		getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (!res)
		return -ESRCH;
	u->set = true;
	/* Like supervisord: a user droverd already is needs no switch (and, unprivileged, could
	 * not set its groups). */
	u->change = pw.pw_uid != getuid() || getuid() == 0;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	u->ngroups = (int) ELEMENTSOF(u->groups);
	if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &u->ngroups) < 0)
		return -E2BIG;
	strcpy_bounded(u->home, sizeof(u->home), pw.pw_dir);
	strcpy_bounded(u->name, sizeof(u->name), pw.pw_name);
	return 0;
}

int spawn_check_user(const char *user, char *err, size_t errsize)
{
	struct spawn_user u;
	if (resolve_user(user, &u) < 0) {
		snprintf(err, errsize, "user '%s': no such user", user);
		return -ESRCH;
	}
	if (u.change && getuid() != 0) {
		snprintf(err, errsize, "user '%s': droverd runs as uid %d, not root: it cannot run programs as another user",
		         user, (int) getuid());
		return -EPERM;
	}
	return 0;
}

static _Noreturn void child_fail(int fd, enum spawn_stage stage)
{
	int32_t msg[2] = { (int32_t) stage, errno };
	ssize_t r;
	do
		r = write(fd, msg, sizeof(msg));
	while (r < 0 && errno == EINTR);
	_exit(127);
}

/* Move fd to a number above 2 so the dup2()s into 0,1,2 cannot clobber it. */
static int fd_above_stdio(int fd)
{
	if (fd > 2)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return n;
}

/* Everything the child needs, computed by the parent before vfork(). */
struct child_plan {
	int status_fd;
	int stdio[3];
	int pass_fd, pass_fd_at;          /* pass_fd <= 2: none */
	const struct spawn_user *user;
	pid_t parent;
	int umask;
	const char *directory, *path;
	char *const *argv, *const *env;
};

/* The child, between vfork() and execve(): syscalls only (it shares droverd's memory), with
 * every signal blocked until the dispositions are back to default. Never returns. */
static _Noreturn void child_run(const struct child_plan *c)
{
	int efd = fd_above_stdio(c->status_fd);
	/* Every disposition back to default, glibc's reserved signals (32, 33) included: the raw
	 * syscall, because glibc's sigaction() refuses those, and an ignored one would be inherited. */
	struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (efd >= 0 && c->pass_fd > 2 && efd == c->pass_fd_at)   /* the passed descriptor goes there */
		efd = fcntl(efd, F_DUPFD_CLOEXEC, c->pass_fd_at + 1);
	if (efd < 0)
		child_fail(c->status_fd, SPAWN_STAGE_FDS);
	int in = fd_above_stdio(c->stdio[0]), o = fd_above_stdio(c->stdio[1]), e = fd_above_stdio(c->stdio[2]);
	if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		child_fail(efd, SPAWN_STAGE_FDS);
	/* Whatever droverd inherited without O_CLOEXEC must not reach the worker either. */
	(void) close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* The one descriptor the worker is given (its scoreboard object), at its fixed number:
	 * dup2() makes the copy inheritable; the same number needs the flag cleared instead. */
	if (c->pass_fd > 2) {
		if (c->pass_fd == c->pass_fd_at ? fcntl(c->pass_fd, F_SETFD, 0) < 0 : dup2(c->pass_fd, c->pass_fd_at) < 0)
			child_fail(efd, SPAWN_STAGE_FDS);
	}
	if (setsid() < 0)
		child_fail(efd, SPAWN_STAGE_SETSID);
	if (c->user->change) {
		if (setgroups((size_t) c->user->ngroups, c->user->groups) < 0 || setgid(c->user->gid) < 0 ||
		    setuid(c->user->uid) < 0)
			child_fail(efd, SPAWN_STAGE_USER);
	}
	/* After the uid change: changing credentials clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(efd, SPAWN_STAGE_PDEATHSIG);
	if (getppid() != c->parent)   /* droverd died between vfork() and prctl() */
		_exit(127);
	if (c->umask >= 0)
		umask((mode_t) c->umask);
	if (c->directory && chdir(c->directory) < 0)
		child_fail(efd, SPAWN_STAGE_CHDIR);
	if (child_nofile_soft) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = child_nofile_soft;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	execve(c->path, c->argv, c->env);
	child_fail(efd, SPAWN_STAGE_EXEC);
}

/* vfork() in a frame of its own: the child runs child_run() and never returns here, and the
 * caller's locals are out of the borrowed frame's way. */
static __attribute__((noinline)) pid_t vfork_child(const struct child_plan *plan)
{
	pid_t pid = vfork();
	if (pid == 0)
		child_run(plan);
	return pid;
}

int spawn_prepare(const struct spawn_request *req, struct spawn_plan *plan, char *err, size_t errsize)
{
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->req = req;
	r = resolve_user(req->user, &plan->user);
	if (r < 0) {
		snprintf(err, errsize, "spawn error: unknown user '%s'", req->user);
		return r;
	}
	if (req->daemon_user && req->user) {
		/* supervisord running as root may switch to anyone; as anybody else, to nobody else */
		struct spawn_user d;
		if (resolve_user(req->daemon_user, &d) == 0 && d.uid != 0 && d.uid != plan->user.uid) {
			snprintf(err, errsize, "spawn error: user '%s': programs run as '%s' ([supervisord] user), "
			         "never as another user", req->user, req->daemon_user);
			return -EPERM;
		}
	}
	r = build_env(req, &plan->env, err, errsize);
	if (r < 0)
		return r;
	if (plan->user.set) {
		strv_env_set(&plan->env, xasprintf("USER=%s", plan->user.name));
		strv_env_set(&plan->env, xasprintf("LOGNAME=%s", plan->user.name));
		strv_env_set(&plan->env, xasprintf("HOME=%s", plan->user.home));
	}
	plan->path = resolve_exec(req->argv[0], plan->env);
	if (!plan->path) {
		r = -errno;
		snprintf(err, errsize, "spawn error: can't find command '%s': %s", req->argv[0], strerror(-r));
		return r;
	}
	if (access(plan->path, X_OK) < 0) {
		r = -errno;
		snprintf(err, errsize, "spawn error: command '%s' is not executable: %s", plan->path, strerror(-r));
		return r;
	}
	return 0;
}

const char *spawn_plan_path(const struct spawn_plan *plan)
{
	return plan->path ? plan->path : "";
}

void spawn_plan_clear(struct spawn_plan *plan)
{
	strv_free(plan->env);
	free(plan->path);
	memset(plan, 0, sizeof(*plan));
}

int spawn_run(const struct spawn_plan *plan, const int stdio[3], struct spawn_child *ret, char *err, size_t errsize)
{
	int pipefd[2] = { -1, -1 }, r;
	pid_t parent = getpid();

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errsize, "spawn error: pipe: %s", strerror(-r));
		return r;
	}

	/* Block every signal across fork(): until the child has reset its dispositions, a signal
	 * (a stop sent right after the spawn) would run droverd's inherited handler in the child
	 * and be lost. The child resets the handlers, then unblocks; the parent just restores. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* vfork: the child borrows droverd's memory until execve(), so a spawn costs the same with a
	 * thousand workers (no page tables to copy and tear down). The child only makes syscalls,
	 * touches no memory the parent relies on, and never returns from this function. */
	struct child_plan child = {
		.status_fd = pipefd[1], .stdio = { stdio[0], stdio[1], stdio[2] }, .user = &plan->user,
		.pass_fd = plan->req->pass_fd > 2 && plan->req->pass_fd_at > 2 ? plan->req->pass_fd : -1,
		.pass_fd_at = plan->req->pass_fd_at,
		.parent = parent, .umask = plan->req->umask, .directory = plan->req->directory,
		.path = plan->path, .argv = plan->req->argv, .env = plan->env,
	};
	pid_t pid = vfork_child(&child);
	if (pid < 0) {
		r = -errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errsize, "spawn error: fork: %s", strerror(-r));
		(void) close(pipefd[0]);
		(void) close(pipefd[1]);
		return r;
	}

	/* Parent. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	(void) close(pipefd[1]);
	ret->pid = pid;
	ret->status_fd = pipefd[0];
	return 0;
}

int spawn_read_status(int fd, const char *directory, const char *exec_path, const char *user, char *err,
                      size_t errsize)
{
	int32_t msg[2];
	ssize_t n;
	do
		n = read(fd, msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;   /* EAGAIN: not decided yet */
	if (n != sizeof(msg)) {
		snprintf(err, errsize, "spawn error: short status from child");
		return -EIO;
	}
	enum spawn_stage stage = (enum spawn_stage) msg[0];
	const char *what = stage == SPAWN_STAGE_CHDIR ? directory
	                 : stage == SPAWN_STAGE_EXEC ? exec_path
	                 : stage == SPAWN_STAGE_USER ? user : NULL;
	const char *hint = stage == SPAWN_STAGE_EXEC && msg[1] == ENOENT ? " (its interpreter is missing?)" : "";
	snprintf(err, errsize, "spawn error: %s%s%s: %s%s", spawn_stage_to_string(stage), what ? " " : "",
	         what ? what : "", strerror(msg[1]), hint);
	return -(msg[1] ? msg[1] : EIO);
}
