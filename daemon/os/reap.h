/* SIGCHLD -> waitid/waitpid loop -> the owner's callbacks. The only reaping path (no ev_child anywhere). */
#ifndef DROVER_REAP_H
#define DROVER_REAP_H

#include <stdbool.h>
#include <sys/types.h>

struct reap_hooks {
	/* pid has exited and is not reaped yet (its pid, and its process group id, cannot have
	 * been recycled): true when it is a worker whose exit is wanted. */
	bool (*exiting)(pid_t pid);
	/* pid, a worker, was reaped with wstatus. */
	void (*exited)(pid_t pid, int wstatus);
	/* pid was stopped by sig, or continued (sig 0). */
	void (*stopped)(pid_t pid, int sig);
};

void reap_init(const struct reap_hooks *hooks);
/* Reap every exited child now; returns how many workers were reaped. */
unsigned reap_children(void);

#endif
