/* The worker's side of a spawn: see spawn-child.h. */
#include "os/spawn-child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/envfile.h"
#include "util.h"

extern char **environ;

/* Variables that belong to droverd alone (systemd's, for its main process). */
static const char *const private_vars[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"DROVER_SCOREBOARD_FD",   /* droverd's own, when it runs under another droverd; a worker gets its own */
};

static int failf(struct spawn_failure *f, enum spawn_stage stage, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failf(struct spawn_failure *f, enum spawn_stage stage, int err, const char *fmt, ...)
{
	va_list ap;
	f->stage = (int32_t) stage;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return -err;
}

/* Find argv0 like execvp() would, with the child's PATH; a new string, or NULL and errno. */
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

int spawn_order_check_user(const char *user, char *err, size_t errsize)
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

int spawn_order_prepare(struct spawn_order *o, struct spawn_failure *f)
{
	const struct spawn_wire_req *req = &o->req;
	int r = resolve_user(req->user, &o->user);
	if (r == -ESRCH)
		return failf(f, SPAWN_STAGE_LOOKUP_USER, ESRCH, "spawn error: unknown user '%s'", req->user);
	if (r < 0)
		return failf(f, SPAWN_STAGE_LOOKUP_USER, -r, "spawn error: user '%s': too many groups", req->user);
	if (req->daemon_user && req->user) {
		/* supervisord running as root may switch to anyone; as anybody else, to nobody else */
		struct spawn_user d;
		if (resolve_user(req->daemon_user, &d) == 0 && d.uid != 0 && d.uid != o->user.uid)
			return failf(f, SPAWN_STAGE_LOOKUP_USER, EPERM, "spawn error: user '%s': programs run as '%s' "
			             "([supervisord] user), never as another user", req->user, req->daemon_user);
	}

	/* droverd's environment minus its private variables, then environment_file, then what the
	 * request sets (the program's environment, then drover's own variables). */
	char **env = strv_copy(environ);
	for (size_t i = 0; i < ELEMENTSOF(private_vars); i++)
		strv_env_unset(env, private_vars[i]);
	o->env = env;
	if (req->environment_file) {
		char why[200];
		r = envfile_load_list(req->environment_file, &o->env, why, sizeof(why));
		if (r < 0)
			return failf(f, SPAWN_STAGE_ENVIRONMENT, -r, "spawn error: %s", why);
	}
	for (char *const *e = req->env; e && *e; e++)
		strv_env_set(&o->env, xstrdup(*e));
	if (o->user.set) {
		strv_env_set(&o->env, xasprintf("USER=%s", o->user.name));
		strv_env_set(&o->env, xasprintf("LOGNAME=%s", o->user.name));
		strv_env_set(&o->env, xasprintf("HOME=%s", o->user.home));
	}

	o->path = resolve_exec(req->argv[0], o->env);
	if (!o->path)
		return failf(f, SPAWN_STAGE_COMMAND, errno, "spawn error: can't find command '%s': %s", req->argv[0],
		             strerror(errno));
	if (access(o->path, X_OK) < 0)
		return failf(f, SPAWN_STAGE_COMMAND, errno, "spawn error: command '%s' is not executable: %s", o->path,
		             strerror(errno));
	return 0;
}

void spawn_order_clear(struct spawn_order *o)
{
	o->env = strv_free(o->env);
	free(o->path);
	o->path = NULL;
}

SPAWN_CHILD_CODE static _Noreturn void fail_write(int fd, const struct spawn_failure *f)
{
	ssize_t r;
	do
		r = write(fd, f, sizeof(*f));
	while (r < 0 && errno == EINTR);
	_exit(127);
}

SPAWN_CHILD_CODE static _Noreturn void child_fail(int fd, const struct spawn_order *o, enum spawn_stage stage)
{
	struct spawn_failure f;
	int err = errno;
	const char *what = stage == SPAWN_STAGE_CHDIR ? o->req.directory
	                 : stage == SPAWN_STAGE_EXEC ? o->path
	                 : stage == SPAWN_STAGE_USER ? o->req.user : NULL;
	const char *hint = stage == SPAWN_STAGE_EXEC && err == ENOENT ? " (its interpreter is missing?)" : "";
	failf(&f, stage, err, "spawn error: %s%s%s: %s%s", spawn_stage_to_string(stage), what ? " " : "",
	      what ? what : "", strerror(err), hint);
	fail_write(fd, &f);
}

/* The highest number a descriptor gets in the child. */
static int top_target(const struct spawn_order *o)
{
	int top = 2;
	for (size_t i = 0; i < o->nfds; i++)
		if (o->target[i] > top)
			top = o->target[i];
	return top;
}

SPAWN_CHILD_CODE _Noreturn void spawn_order_exec(const struct spawn_order *o, int status_fd)
{
	int top = top_target(o);
	int efd = status_fd > top ? status_fd : fcntl(status_fd, F_DUPFD_CLOEXEC, top + 1);

	if (o->reset_signals) {
		/* Every disposition back to default, glibc's reserved signals (32, 33) included: the raw
		 * syscall, because glibc's sigaction() refuses those, and an ignored one would be inherited. */
		struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				(void) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	}
	if (efd < 0)
		child_fail(status_fd, o, SPAWN_STAGE_FDS);

	/* Each descriptor is first moved above every target, so that placing one cannot overwrite
	 * another still to be placed; then each goes to its number (dup2 clears close-on-exec). */
	int src[SPAWN_FDS_MAX + 3], dst[SPAWN_FDS_MAX + 3];
	size_t n = 0;
	bool stdio_set[3] = { false, false, false };
	for (size_t i = 0; i < o->nfds; i++) {
		src[n] = o->fd[i];
		dst[n++] = o->target[i];
		if (o->target[i] >= 0 && o->target[i] < 3)
			stdio_set[o->target[i]] = true;
	}
	for (int t = 0; t < 3; t++)
		if (!stdio_set[t]) {
			src[n] = o->devnull;
			dst[n++] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (src[i] > top)
			continue;
		src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, top + 1);
		if (src[i] < 0)
			child_fail(efd, o, SPAWN_STAGE_FDS);
	}
	for (size_t i = 0; i < n; i++)
		if (dup2(src[i], dst[i]) < 0)
			child_fail(efd, o, SPAWN_STAGE_FDS);
	/* Whatever the creator inherited without O_CLOEXEC must not reach the worker either. */
	(void) close_range((unsigned) top + 1, ~0U, CLOSE_RANGE_CLOEXEC);

	if (setsid() < 0)
		child_fail(efd, o, SPAWN_STAGE_SETSID);
	if (o->user.change) {
		if (setgroups((size_t) o->user.ngroups, o->user.groups) < 0 || setgid(o->user.gid) < 0 ||
		    setuid(o->user.uid) < 0)
			child_fail(efd, o, SPAWN_STAGE_USER);
	}
	/* After the uid change: changing credentials clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(efd, o, SPAWN_STAGE_PDEATHSIG);
	if (getppid() != o->parent)   /* droverd died meanwhile */
		_exit(127);
	if (o->req.umask >= 0)
		umask((mode_t) o->req.umask);
	if (o->req.directory && chdir(o->req.directory) < 0)
		child_fail(efd, o, SPAWN_STAGE_CHDIR);
	if (o->nofile) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != o->nofile) {
			rl.rlim_cur = o->nofile;
			(void) setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(o->path, o->req.argv, o->env);
	child_fail(efd, o, SPAWN_STAGE_EXEC);
}

/* STARTED on the helper's socket: the child's pid, a pidfd for it and the read end of its
 * exec-status pipe. Sent first, before anything can fail or hang, so that droverd knows every
 * child that exists (a child droverd does not know of could be neither stopped nor reaped). */
static int report_started(const struct spawn_order *o, int pidfd, int status_rd)
{
	struct spawn_wire_head h = { .magic = SPAWN_WIRE_MAGIC, .type = SPAWN_WIRE_STARTED, .id = o->id,
	                             .pid = (int32_t) getpid(), .nfds = 2 };
	int fds[2] = { pidfd, status_rd };
	union { char buf[CMSG_SPACE(sizeof(fds))]; struct cmsghdr align; } u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	ssize_t r;
	do
		r = sendmsg(o->report_sock, &m, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t) sizeof(h) ? 0 : -1;
}

SPAWN_CHILD_CODE int spawn_child_main(void *arg)
{
	struct spawn_order *o = arg;
	int status[2];
	if (pipe2(status, O_CLOEXEC) < 0)
		_exit(127);
	int pidfd = (int) pidfd_open(getpid(), 0);
	if (pidfd < 0 || report_started(o, pidfd, status[0]) < 0)
		_exit(127);   /* droverd does not know of us: nothing to report to */
	close(pidfd);
	close(status[0]);
	close(o->report_sock);

	struct spawn_failure f;
	o->resolving = 1;
	int r = spawn_order_prepare(o, &f);
	o->resolving = 0;
	if (r < 0)
		fail_write(status[1], &f);
	spawn_order_exec(o, status[1]);
}

int spawn_failure_read(int fd, struct spawn_failure *f)
{
	ssize_t n;
	do
		n = read(fd, f, sizeof(*f));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	if (n != (ssize_t) sizeof(*f)) {
		memset(f, 0, sizeof(*f));
		f->stage = SPAWN_STAGE_EXEC;
		f->err = EIO;
		snprintf(f->text, sizeof(f->text), "spawn error: short status from the child");
		return 1;
	}
	f->text[sizeof(f->text) - 1] = '\0';
	return 1;
}
