/* SIGCHLD -> waitid/waitpid loop -> the owners' callbacks. The only reaping path (no ev_child anywhere). */
#ifndef DROVER_REAP_H
#define DROVER_REAP_H

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

void reap_init(const struct reap_hooks *hooks);
/* Reap every exited child now; returns how many claimed children were reaped. */
unsigned reap_children(void);

#endif
