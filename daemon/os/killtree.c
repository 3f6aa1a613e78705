/* Whole-tree stop (killtree = true, the default). A worker's process group is signalled as
 * supervisord does; what escaped the group with setsid() is found two ways: while the worker
 * lives, by walking /proc/PID/task/TID/children; once it is gone, among droverd's own children
 * (as a child subreaper, orphans are re-parented to droverd) by the DROVER_PROCESS and
 * DROVER_GENERATION marks in their environment, with everything below such an orphan and the
 * members of its process group. Each one found gets the worker's stop signal, and SIGKILL when
 * the deadline passes.
 *
 * A pid read from /proc is only a number: by the time it is used, that process may have exited
 * and the number gone to an unrelated process. So every pid is verified before it is signalled:
 * a pidfd is opened first, then /proc says who its parent is, then the pidfd shows the process
 * still alive (so what /proc said was about the process the pidfd holds) and the parent's
 * pidfd shows the parent still alive (so the parent's pid still means that parent). Only a
 * process whose parent is a verified member of the tree joins it, and from then on it is
 * signalled through its pidfd alone. Lists are read whole: a list cut short would end in a
 * made-up pid. droverd's own children need no such check: a child's pid cannot be reused
 * before droverd reaps it, which it does only in its reaper. */
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
#include "os/looptime.h"
#include "os/procfs.h"
#include "proto.h"
#include "util.h"

#define TREE_MAX 4096   /* descendants followed per walk; a fork bomb is bounded */

/* A process found in a tree, held by a pidfd. */
struct node {
	int fd;         /* -1: the parent is droverd itself and the pid is stable until reaped */
	pid_t pid;
	pid_t pgid;
};

struct straggler {
	int pidfd;
	pid_t pid;
	int sig;                     /* the stop signal, for what it forks meanwhile; 0: watched only */
	char owner[PROTO_NAME_MAX];
	uint64_t deadline_ns;
	struct straggler *next;
};

static struct straggler *stragglers;
static ev_timer sweep;
static bool sweep_init;
static struct ev_loop *sweep_loop;
static char instance[64];   /* instance names are at most 32 bytes */
static const struct killtree_hooks *hooks;

void killtree_init(struct ev_loop *loop, const char *name, const struct killtree_hooks *h)
{
	sweep_loop = loop;
	strcpy_bounded(instance, sizeof(instance), name);
	hooks = h;
}

static bool fd_alive(int fd)
{
	return fd < 0 || pidfd_send_signal(fd, 0, NULL, 0) == 0;
}

/* Open pid and check that it is, now, a child of parent (held by parent_fd); 0 or -errno. */
static int open_child(pid_t pid, const struct node *parent, struct node *ret)
{
	pid_t ppid, pgid;
	int fd = (int) pidfd_open(pid, 0);
	if (fd < 0)
		return -errno;
	if (procfs_stat(pid, &ppid, &pgid) < 0 || ppid != parent->pid || !fd_alive(fd) || !fd_alive(parent->fd)) {
		close(fd);
		return -ESRCH;
	}
	ret->fd = fd;
	ret->pid = pid;
	ret->pgid = pgid;
	return 0;
}

struct collect {
	pid_t *v;
	size_t n;
};

static void collect_pid(pid_t pid, void *data)
{
	struct collect *c = data;
	c->v = xrealloc(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = pid;
}

/* The pids in the children lists of every thread of pid, read whole (unverified). */
static void children_pids(pid_t pid, struct collect *c)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char file[320], *list;
		size_t len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (int) pid, de->d_name);
		if (procfs_read_whole(file, &list, &len) < 0)
			continue;
		procfs_parse_pids(list, collect_pid, c);
		free(list);
	}
	closedir(d);
}

/* The children of droverd's main thread (its tid is droverd's pid), read whole (unverified).
 * Orphans are adopted by that thread, while the workers spawned through a helper are the children
 * of droverd's spawn thread: so this list is the orphans (and in-process spawns), not all N. */
static void main_thread_children(pid_t self, struct collect *c)
{
	char file[64], *list;
	size_t len;
	snprintf(file, sizeof(file), "/proc/%d/task/%d/children", (int) self, (int) self);
	if (procfs_read_whole(file, &list, &len) < 0)
		return;
	procfs_parse_pids(list, collect_pid, c);
	free(list);
}

/* Append the verified children of parent to *q (bounded by TREE_MAX). */
static void children_of(const struct node *parent, struct node **q, size_t *n)
{
	struct collect c = { 0 };
	children_pids(parent->pid, &c);
	for (size_t i = 0; i < c.n && *n < TREE_MAX; i++) {
		struct node child;
		if (open_child(c.v[i], parent, &child) < 0)
			continue;
		*q = xrealloc(*q, *n + 1, sizeof(**q));
		(*q)[(*n)++] = child;
	}
	free(c.v);
}

static void node_push(struct node **v, size_t *n, struct node x)
{
	*v = xrealloc(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

/* Every descendant of root, verified, breadth-first; those outside process group `group`
 * (all of them when group is 0) are appended to *out, still held; the others are let go. */
static void walk_tree(const struct node *root, pid_t group, struct node **out, size_t *nout)
{
	struct node *q = NULL;
	size_t n = 0;

	children_of(root, &q, &n);
	for (size_t i = 0; i < n; i++) {
		struct node cur = q[i];   /* children_of() may move q */
		children_of(&cur, &q, &n);
		if (group == 0 || cur.pgid != group)
			node_push(out, nout, cur);
		else
			close(cur.fd);
	}
	free(q);
}

/* Does pid's environment carry this instance's DROVER_NAME, and name's DROVER_PROCESS and
 * DROVER_GENERATION? The marks come last (spawn appends them), so the environment is read
 * whole, however large. 1: marked, 0: not, -EAGAIN: nothing to read now. A process in the middle
 * of execve() shows an empty environment (its new memory has none yet) for a moment: an orphan
 * that exec'd just as its worker exited would pass as unmarked. */
static int marked_by(pid_t pid, const char *name_of, unsigned generation)
{
	char *env, want_name[80], want_proc[PROTO_NAME_MAX + 20], want_gen[40];
	size_t len;
	bool name = false, proc = false, gen = false;

	int r = procfs_read_pid_whole(pid, "environ", &env, &len);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return -EAGAIN;
	if (len == 0) {
		free(env);
		return -EAGAIN;
	}
	snprintf(want_name, sizeof(want_name), "DROVER_NAME=%s", instance);
	snprintf(want_proc, sizeof(want_proc), "DROVER_PROCESS=%s", name_of);
	snprintf(want_gen, sizeof(want_gen), "DROVER_GENERATION=%u", generation);
	for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
		name |= strcmp(env + i, want_name) == 0;
		proc |= strcmp(env + i, want_proc) == 0;
		gen |= strcmp(env + i, want_gen) == 0;
	}
	free(env);
	return name && proc && gen;
}

/* An orphan whose environment could not be read when its worker's exit was handled (it was in
 * execve()): read again on the next sweeps. It is droverd's child, so its pid stays its own until
 * droverd reaps it; the pidfd tells whether that happened. */
struct recheck {
	int pidfd;
	pid_t pid;
	unsigned generation;
	int sig;
	int tries;
	char owner[PROTO_NAME_MAX];
	uint64_t deadline_ns;
	struct recheck *next;
};

#define RECHECK_TRIES 20   /* 2 s of sweeps: an environment that stays empty was emptied on purpose */

static struct recheck *rechecks;

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

/* Take over x's pidfd, signal it, and remember it until it is gone or the deadline passes
 * (then SIGKILL). sig 0: only watched (already sent SIGKILL), never signalled. */
static void hold(struct node x, const char *owner, int sig, uint64_t deadline_ns)
{
	if (x.fd < 0) {   /* a child of droverd: stable until reaped, now held for good */
		x.fd = (int) pidfd_open(x.pid, 0);
		if (x.fd < 0)
			return;
	}
	if (already_held(x.pid)) {
		close(x.fd);
		return;
	}
	struct straggler *s = xcalloc(1, sizeof(*s));
	s->pidfd = x.fd;
	s->pid = x.pid;
	s->sig = sig;
	strcpy_bounded(s->owner, sizeof(s->owner), owner);
	s->deadline_ns = deadline_ns;
	s->next = stragglers;
	stragglers = s;
	if (sig) {
		(void) pidfd_send_signal(s->pidfd, sig, NULL, 0);
		(void) pidfd_send_signal(s->pidfd, SIGCONT, NULL, 0);
		log_info("%s: signalling escaped descendant %d with SIG%s", owner, (int) x.pid, signal_to_string(sig));
	}
	sweep_arm();
}

/* Signal everything found at once: signalling while walking would let a parent die first and
 * its children move out of reach (re-parented) before they are read. */
static void hold_all(struct node *v, size_t n, const struct log_subject *who, int sig, int stopwaitsecs)
{
	uint64_t deadline = now_mono_ns() + (uint64_t) stopwaitsecs * NSEC_PER_SEC;
	for (size_t i = 0; i < n; i++)
		hold(v[i], who->name, sig, deadline);
}

static void recheck_later(pid_t pid, const struct log_subject *who, unsigned generation, int sig, int stopwaitsecs)
{
	int fd = (int) pidfd_open(pid, 0);
	if (fd < 0)
		return;
	struct recheck *r = xcalloc(1, sizeof(*r));
	r->pidfd = fd;
	r->pid = pid;
	r->generation = generation;
	r->sig = sig;
	strcpy_bounded(r->owner, sizeof(r->owner), who->name);
	r->deadline_ns = now_mono_ns() + (uint64_t) stopwaitsecs * NSEC_PER_SEC;
	r->next = rechecks;
	rechecks = r;
	sweep_arm();
}

void killtree_stop(const struct log_subject *who, pid_t pid, int pidfd, int sig, int stopwaitsecs)
{
	if (pid <= 0)
		return;
	/* The worker is droverd's unreaped child: its pid and group id are its own. */
	struct node root = { .fd = pidfd, .pid = pid, .pgid = getpgid(pid) };
	struct node *v = NULL;
	size_t n = 0;
	if (root.pgid <= 0)
		return;
	walk_tree(&root, root.pgid, &v, &n);
	hold_all(v, n, who, sig, stopwaitsecs);
	free(v);
}

void killtree_after_exit(const struct log_subject *who, pid_t pid, unsigned generation, int sig, int stopwaitsecs)
{
	/* Orphans of this worker generation are droverd's own children by now: each, with all it
	 * holds below it, and the other members of its process group (droverd's children too once
	 * their parent is gone, perhaps without the marks: an orphan is alive, so its group id is
	 * its own). The worker's own group was sent SIGKILL before the reap; those of its members
	 * that droverd adopted are watched, never signalled again, so that a respawn waits for them. */
	pid_t self = getpid();
	struct collect kids = { 0 };
	struct node *orphans = NULL, *others = NULL, *members = NULL;
	size_t norphans = 0, nothers = 0, nmembers = 0;
	main_thread_children(self, &kids);
	for (size_t i = 0; i < kids.n; i++) {
		pid_t ppid, pgid;
		if (hooks->is_worker(kids.v[i]) || procfs_stat(kids.v[i], &ppid, &pgid) < 0 || ppid != self)
			continue;
		struct node k = { .fd = -1, .pid = kids.v[i], .pgid = pgid };
		int marked;
		if (pgid == pid && k.pid != pid)
			node_push(&members, &nmembers, k);
		else if ((marked = marked_by(k.pid, who->name, generation)) > 0)
			node_push(&orphans, &norphans, k);
		else if (marked == -EAGAIN)
			recheck_later(k.pid, who, generation, sig, stopwaitsecs);
		else
			node_push(&others, &nothers, k);
	}
	free(kids.v);
	size_t nmarked = norphans;
	for (size_t i = 0; i < nothers; i++)
		for (size_t k = 0; k < nmarked; k++)
			if (others[i].pgid == orphans[k].pgid) {
				node_push(&orphans, &norphans, others[i]);
				break;
			}

	/* Below the members: more members (watched), and what escaped the group (stopped). */
	struct node *v = NULL, *watch = NULL;
	size_t n = 0, nwatch = 0;
	for (size_t i = 0; i < nmembers; i++) {
		struct node *below = NULL;
		size_t nbelow = 0;
		node_push(&watch, &nwatch, members[i]);
		walk_tree(&members[i], 0, &below, &nbelow);
		for (size_t k = 0; k < nbelow; k++) {
			if (below[k].pgid == pid)
				node_push(&watch, &nwatch, below[k]);
			else
				node_push(&v, &n, below[k]);
		}
		free(below);
	}
	for (size_t i = 0; i < norphans; i++) {
		node_push(&v, &n, orphans[i]);
		walk_tree(&orphans[i], 0, &v, &n);
	}
	hold_all(v, n, who, sig, stopwaitsecs);
	hold_all(watch, nwatch, who, 0, stopwaitsecs);
	free(v);
	free(watch);
	free(orphans);
	free(others);
	free(members);
}

static void straggler_free(struct straggler *s)
{
	close(s->pidfd);
	free(s);
}

/* What a straggler forked after it was found is held too (its children, verified), so that
 * it cannot leave a child behind by dying. */
static void adopt_new_children(struct straggler *s)
{
	struct node parent = { .fd = s->pidfd, .pid = s->pid }, *q = NULL;
	size_t n = 0;
	children_of(&parent, &q, &n);
	for (size_t i = 0; i < n; i++)
		hold(q[i], s->owner, s->sig, s->deadline_ns);
	free(q);
}

/* Read the environments that could not be read before: a marked one is held with all below it. */
static void recheck_all(void)
{
	for (struct recheck **rp = &rechecks; *rp; ) {
		struct recheck *r = *rp;
		int marked = fd_alive(r->pidfd) ? marked_by(r->pid, r->owner, r->generation) : 0;
		if (marked == -EAGAIN && ++r->tries < RECHECK_TRIES) {
			rp = &r->next;
			continue;
		}
		*rp = r->next;
		if (marked > 0) {
			struct node orphan = { .fd = r->pidfd, .pid = r->pid, .pgid = 0 }, *v = NULL;
			size_t n = 0;
			node_push(&v, &n, orphan);
			walk_tree(&orphan, 0, &v, &n);
			for (size_t i = 0; i < n; i++)
				hold(v[i], r->owner, r->sig, r->deadline_ns);
			free(v);
		} else {
			close(r->pidfd);
		}
		free(r);
	}
}

/* Drop the gone, SIGKILL those past their deadline; re-arm while any is left. */
static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	uint64_t now = now_mono_ns();
	recheck_all();
	for (struct straggler *s = stragglers; s; s = s->next)
		if (s->sig && fd_alive(s->pidfd))
			adopt_new_children(s);   /* prepends: already visited or new, never skipped */
	for (struct straggler **sp = &stragglers; *sp; ) {
		struct straggler *s = *sp;
		if (!fd_alive(s->pidfd)) {   /* exited and reaped */
			*sp = s->next;
			straggler_free(s);
			continue;
		}
		if (now >= s->deadline_ns && !s->sig) {   /* watched only: let go */
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
	hooks->changed();
}

static void sweep_arm(void)
{
	if (!sweep_init) {
		ev_init(&sweep, sweep_cb);
		sweep_init = true;
	}
	if (!stragglers && !rechecks) {
		ev_timer_stop(sweep_loop, &sweep);
		return;
	}
	if (!ev_is_active(&sweep)) {
		/* Poll 10 times a second while stragglers exist: a pidfd would also tell us by
		 * readability, but they are rare and short-lived, and this keeps one watcher. */
		looptime_arm(sweep_loop, &sweep, 0.1);
	}
}

bool killtree_pending(void)
{
	return stragglers != NULL || rechecks != NULL;
}

bool killtree_pending_for(const char *name)
{
	for (struct straggler *s = stragglers; s; s = s->next)
		if (strcmp(s->owner, name) == 0)
			return true;
	for (struct recheck *r = rechecks; r; r = r->next)
		if (strcmp(r->owner, name) == 0)
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
	/* Not known to be the worker's: left alone, as an unmarked orphan would be. */
	while (rechecks) {
		struct recheck *r = rechecks;
		rechecks = r->next;
		close(r->pidfd);
		free(r);
	}
	if (sweep_init)
		ev_timer_stop(sweep_loop, &sweep);
}
