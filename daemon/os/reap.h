/* Reaping droverd's children: the only reaping path (no ev_child anywhere). Two ways in:
 * - a child adopted with watch (a spawn helper and the workers it makes, children of droverd's
 *   spawn thread) is reaped as soon as its pidfd says it exited: no other child is looked at;
 * - on SIGCHLD (its own signalfd, set up by reap_init): the exits of the main thread's own
 *   children (orphans adopted as subreaper or as PID 1, workers spawned in-process), and the stops
 *   and continues of every child. */
#ifndef DROVER_REAP_H
#define DROVER_REAP_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

/* What the owner of a child embeds, so that the reaper can hand each exit back to whoever
 * claimed it (see reap_hooks.exiting). */
struct reap_owner {
	const struct reap_ops *ops;
};

struct reap_ops {
	/* The child pid was reaped just now. Its pid is free from here on and may name a new
	 * process at any time: the owner forgets it here, before any exit is acted upon. */
	void (*reaped)(struct reap_owner *o, pid_t pid);
	/* Then, once every child that had exited is reaped: act on the exit. The owner is the one
	 * that claimed the child, whatever its pid names by now (a respawn for an earlier exit of
	 * the same batch may have got it). */
	void (*exited)(struct reap_owner *o, pid_t pid, int wstatus);
};

struct reap_hooks {
	/* pid has exited and is not reaped yet (its pid, and its process group id, cannot have
	 * been recycled): its owner, or NULL when nobody claims it. */
	struct reap_owner *(*exiting)(pid_t pid);
	/* pid was stopped by sig, or continued (sig 0). */
	void (*stopped)(pid_t pid, int sig);
};

/* Blocks SIGCHLD in the calling thread (before any other thread exists) and watches it. */
void reap_init(struct ev_loop *loop, const struct reap_hooks *hooks);
/* pid, a child of droverd, with its pidfd (taken over: closed once pid is reaped; -1 none).
 * watch: reap it from its pidfd (it is not the main thread's child). 0 or -errno. */
int reap_adopt(pid_t pid, int pidfd, bool watch);
/* Teardown (the loop no longer runs): note stops, reap every exited child now, the main thread's
 * and the watched ones; returns how many claimed children were reaped. */
unsigned reap_children(void);
/* droverd exits: every pidfd held is closed. */
void reap_shutdown(void);

#endif
