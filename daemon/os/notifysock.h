/* A worker's NOTIFY_SOCKET: the receiving side of systemd's sd_notify protocol, for programs with
 * ready = notify or health = notify. One AF_UNIX datagram socket per process (see notifysock.c
 * for why), owned by droverd, handed to the worker through its environment.
 *
 * Datagrams are untrusted: only those whose sender (SCM_CREDENTIALS) is the worker or one of its
 * descendants count; the others, and every oversized, malformed or non-UTF-8 one, are dropped and
 * counted by reason. Reading never blocks and is bounded per loop iteration. A leaf service: it
 * gets the loop, the worker's pid and a callback, and knows nothing of processes or configs. */
#ifndef DROVER_NOTIFYSOCK_H
#define DROVER_NOTIFYSOCK_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTIFY_MSG_MAX     4096   /* bytes of one datagram; larger ones are dropped (systemd's bound) */
#define NOTIFY_STATUS_MAX  128    /* STATUS= text kept, NUL included (cut at a UTF-8 boundary) */

/* What one accepted datagram said; fields it did not carry are zero. */
struct notify_msg {
	bool ready;                     /* READY=1 */
	bool reloading;                 /* RELOADING=1 */
	bool stopping;                  /* STOPPING=1 */
	bool watchdog;                  /* WATCHDOG=1: a heartbeat */
	bool watchdog_trigger;          /* WATCHDOG=trigger: the worker says it is unhealthy */
	bool have_status;
	char status[NOTIFY_STATUS_MAX]; /* STATUS= (may be empty: clears the line) */
	uint64_t watchdog_usec;         /* WATCHDOG_USEC=: the worker's own heartbeat deadline; 0 = none sent */
	uint64_t extend_usec;           /* EXTEND_TIMEOUT_USEC=: 0 = none sent */
	pid_t mainpid;                  /* MAINPID=, only when inside the worker's tree; 0 = none */
	bool have_errno;
	int errnum;                     /* ERRNO= */
};

/* Why a datagram (or one assignment of it) was not taken. */
enum notify_drop {
	NOTIFY_DROP_FOREIGN,            /* the sender is neither the worker nor a descendant (or is gone) */
	NOTIFY_DROP_NOCRED,             /* no credentials came with it */
	NOTIFY_DROP_OVERSIZED,          /* larger than NOTIFY_MSG_MAX */
	NOTIFY_DROP_MALFORMED,          /* NUL byte, invalid UTF-8, a line that is no KEY=VALUE, a bad number */
	NOTIFY_DROP_MAINPID,            /* MAINPID= naming a process outside the worker's tree (ignored alone) */
	NOTIFY_DROP_NOWORKER,           /* arrived while no worker was running */
	NOTIFY_DROP_MAX
};
const char *notify_drop_to_string(enum notify_drop d);

/* Parse one datagram. 0, or -EBADMSG (then nothing of it counts). MAINPID= is returned as
 * written (the caller checks it). Pure: unit-tested. */
int notifysock_parse(const char *buf, size_t len, struct notify_msg *ret);

struct notifysock;

struct notifysock_hooks {
	/* An accepted message from sender (the worker or a descendant). */
	void (*message)(void *ctx, const struct notify_msg *m, pid_t sender);
	/* A datagram or assignment dropped (already counted). */
	void (*dropped)(void *ctx, enum notify_drop why);
};

/* Prepare the directory for instance's sockets under run_dir (removing a dead daemon's leftovers);
 * 0 or -errno. Before any notifysock_open. */
int notifysock_init(struct ev_loop *loop, const char *run_dir, const char *instance);
/* Remove the directory (every socket closed first). */
void notifysock_shutdown(void);

/* A socket of its own, writable by uid/gid (the worker's user; (uid_t) -1: droverd's). 0 or -errno. */
int notifysock_open(uid_t uid, gid_t gid, const struct notifysock_hooks *hooks, void *ctx, struct notifysock **ret);
/* Close and unlink; NULL is fine; returns NULL. */
struct notifysock *notifysock_close(struct notifysock *s);
/* NOTIFY_SOCKET's value for the worker. */
const char *notifysock_address(const struct notifysock *s);
/* Whose tree may send: the worker's pid (0: none, everything is dropped). Ends a wait. */
void notifysock_set_owner(struct notifysock *s, pid_t pid);
/* A worker is being spawned: what arrives before its pid is known (the spawner's answer may come
 * after the worker's first message) waits in the socket until notifysock_set_owner(). */
void notifysock_expect(struct notifysock *s);
/* Throw away what is queued (a previous worker's messages), before a spawn. */
void notifysock_discard(struct notifysock *s);
/* Read what is queued now (bounded), as the loop would. */
void notifysock_poll(struct notifysock *s);
/* Drops so far, by reason, and in all. */
uint64_t notifysock_drops(const struct notifysock *s, enum notify_drop why);
uint64_t notifysock_drops_total(const struct notifysock *s);

#endif
