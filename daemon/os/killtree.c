/* Whole-tree stop (killtree = true, the default). A worker's process group is signalled as
 * supervisord does; what escaped the group with setsid() is found two ways: while the worker
 * lives, by walking /proc/PID/task/TID/children; once it is gone, among droverd's own children
 * (as a child subreaper, orphans are re-parented to droverd) by the DROVER_PROCESS and
 * DROVER_GENERATION marks in their environment. Each one found is held by a pidfd, so a
 * recycled pid is never hit, gets the worker's stop signal, and SIGKILL when the deadline passes. */
#include "os/killtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "os/log.h"
#include "os/procfs.h"
#include "core/supervisor.h"
#include "util.h"

#define TREE_MAX 4096   /* descendants followed per sweep; a fork bomb is bounded */

struct straggler {
	int pidfd;
	pid_t pid;
	char owner[PROTO_NAME_MAX];
	uint64_t deadline_ns;
	struct straggler *next;
};

static struct straggler *stragglers;
static ev_timer sweep;
static bool sweep_init;

/* Children of pid (all its threads), appended to *v. */
static void children_of(pid_t pid, pid_t **v, size_t *n)
{
	char path[320], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && *n < TREE_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int) pid, de->d_name);
		if (procfs_read(path, buf, sizeof(buf)) <= 0)
			continue;
		for (char *s = buf, *end; *s && *n < TREE_MAX; s = end) {
			long c = strtol(s, &end, 10);
			if (end == s)
				break;
			if (c > 0) {
				*v = xrealloc(*v, *n + 1, sizeof(**v));
				(*v)[(*n)++] = (pid_t) c;
			}
		}
	}
	closedir(d);
}

static pid_t pgid_of(pid_t pid)
{
	pid_t g = getpgid(pid);
	return g < 0 ? 0 : g;
}

/* Does pid's environment carry DROVER_NAME / DROVER_PROCESS / DROVER_GENERATION of p? */
static bool marked_by(pid_t pid, const struct process *p)
{
	char *env = xmalloc(65536);
	char want_name[80], want_proc[PROTO_NAME_MAX + 20], want_gen[40];
	bool name = false, proc = false, gen = false;

	ssize_t len = procfs_read_pid(pid, "environ", env, 65536);
	snprintf(want_name, sizeof(want_name), "DROVER_NAME=%s", sup.config->name);
	snprintf(want_proc, sizeof(want_proc), "DROVER_PROCESS=%s", p->cfg->fullname);
	snprintf(want_gen, sizeof(want_gen), "DROVER_GENERATION=%u", p->generation);
	for (ssize_t i = 0; i < len; i += (ssize_t) strlen(env + i) + 1) {
		name |= strcmp(env + i, want_name) == 0;
		proc |= strcmp(env + i, want_proc) == 0;
		gen |= strcmp(env + i, want_gen) == 0;
	}
	free(env);
	return name && proc && gen;
}

static void cmdline_of(pid_t pid, char *buf, size_t size)
{
	ssize_t n = procfs_read_pid(pid, "cmdline", buf, size);
	for (ssize_t i = 0; i + 1 < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (n <= 0)
		strcpy_bounded(buf, size, "?");
}

static bool already_held(pid_t pid)
{
	for (struct straggler *s = stragglers; s; s = s->next)
		if (s->pid == pid)
			return true;
	return false;
}

static void sweep_arm(void);

/* Hold pid by a pidfd, signal it, and remember it until it is gone or the deadline passes. */
static void hold(pid_t pid, const struct process *p, int sig, uint64_t deadline_ns)
{
	if (already_held(pid))
		return;
	int fd = (int) pidfd_open(pid, 0);
	if (fd < 0)
		return;   /* already gone */
	struct straggler *s = xcalloc(1, sizeof(*s));
	s->pidfd = fd;
	s->pid = pid;
	strcpy_bounded(s->owner, sizeof(s->owner), p->cfg->fullname);
	s->deadline_ns = deadline_ns;
	s->next = stragglers;
	stragglers = s;
	(void) pidfd_send_signal(fd, sig, NULL, 0);
	(void) pidfd_send_signal(fd, SIGCONT, NULL, 0);
	log_proc(LOG_INFO, p, "%s: signalling escaped descendant %d with SIG%s", p->cfg->fullname, (int) pid,
	         signal_to_string(sig));
	sweep_arm();
}

/* Descendants of root outside root's process group, breadth-first. */
static void escaped_descendants(pid_t root, pid_t **out, size_t *nout)
{
	pid_t *queue = NULL;
	size_t n = 0;
	pid_t group = pgid_of(root);

	children_of(root, &queue, &n);
	for (size_t i = 0; i < n; i++) {
		if (pgid_of(queue[i]) != group) {
			*out = xrealloc(*out, *nout + 1, sizeof(**out));
			(*out)[(*nout)++] = queue[i];
		}
		children_of(queue[i], &queue, &n);
	}
	free(queue);
}

void killtree_stop(struct process *p, int sig)
{
	if (!p->prog->killtree || p->pid <= 0)
		return;
	pid_t *v = NULL;
	size_t n = 0;
	uint64_t deadline = now_mono_ns() + (uint64_t) p->prog->stopwaitsecs * NSEC_PER_SEC;
	escaped_descendants(p->pid, &v, &n);
	for (size_t i = 0; i < n; i++)
		hold(v[i], p, sig, deadline);
	free(v);
}

void killtree_after_exit(struct process *p)
{
	if (!p->prog->killtree)
		return;
	/* Orphans of this worker generation are droverd's own children by now. */
	pid_t *kids = NULL, *v = NULL;
	size_t nkids = 0, n = 0;
	children_of(getpid(), &kids, &nkids);
	for (size_t i = 0; i < nkids; i++) {
		if (supervisor_find_pid(kids[i]) || !marked_by(kids[i], p))
			continue;
		v = xrealloc(v, n + 1, sizeof(*v));
		v[n++] = kids[i];
		escaped_descendants(kids[i], &v, &n);
	}
	uint64_t deadline = now_mono_ns() + (uint64_t) p->prog->stopwaitsecs * NSEC_PER_SEC;
	for (size_t i = 0; i < n; i++)
		hold(v[i], p, p->prog->stopsignal, deadline);
	free(kids);
	free(v);
}

static void straggler_free(struct straggler *s)
{
	close(s->pidfd);
	free(s);
}

/* Drop the gone, SIGKILL those past their deadline; re-arm while any is left. */
static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	uint64_t now = now_mono_ns();
	for (struct straggler **sp = &stragglers; *sp; ) {
		struct straggler *s = *sp;
		if (pidfd_send_signal(s->pidfd, 0, NULL, 0) < 0) {   /* exited (and perhaps reaped) */
			*sp = s->next;
			straggler_free(s);
			continue;
		}
		if (now >= s->deadline_ns) {
			char cmd[256];
			cmdline_of(s->pid, cmd, sizeof(cmd));
			log_warn("%s: killing descendant %d (%s) still alive after stopwaitsecs", s->owner, (int) s->pid, cmd);
			(void) pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
			*sp = s->next;
			straggler_free(s);
			continue;
		}
		sp = &s->next;
	}
	sweep_arm();
	supervisor_check_done();
}

static void sweep_arm(void)
{
	if (!sweep_init) {
		ev_init(&sweep, sweep_cb);
		sweep_init = true;
	}
	if (!stragglers) {
		ev_timer_stop(sup.loop, &sweep);
		return;
	}
	if (!ev_is_active(&sweep)) {
		/* Poll 10 times a second while stragglers exist: a pidfd would also tell us by
		 * readability, but they are rare and short-lived, and this keeps one watcher. */
		ev_timer_set(&sweep, 0.1, 0.);
		ev_timer_start(sup.loop, &sweep);
	}
}

bool killtree_pending(void)
{
	return stragglers != NULL;
}

bool killtree_pending_for(const struct process *p)
{
	for (struct straggler *s = stragglers; s; s = s->next)
		if (strcmp(s->owner, p->cfg->fullname) == 0)
			return true;
	return false;
}

void killtree_shutdown(void)
{
	/* droverd is exiting: whatever escaped is killed now rather than left behind. */
	while (stragglers) {
		struct straggler *s = stragglers;
		stragglers = s->next;
		(void) pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
		straggler_free(s);
	}
	if (sweep_init)
		ev_timer_stop(sup.loop, &sweep);
}
