/* What each process's readiness and liveness checks know: the per-process record (p->checks),
 * the worker's NOTIFY_SOCKET (ready = notify, health = notify) and what it said, and the status
 * fields that show how readiness was decided and what the last liveness check found.
 * readiness.c and liveness.c run the probes; this module owns the record they write into. */
#ifndef DROVER_CHECKS_H
#define DROVER_CHECKS_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "os/notifysock.h"
#include "os/probe.h"
#include "proto.h"

struct process;
struct linematch;

struct proc_checks {
	struct process *p;

	/* readiness of the current incarnation */
	enum check_kind ready_via;       /* how RUNNING was reached; CHECK_NONE: startsecs (or not yet) */
	bool ready_decided;
	uint64_t ready_after_ns;         /* from the spawn to RUNNING */
	char ready_detail[64];           /* the last readiness attempt: "connection refused", "HTTP 200" */
	struct probe *ready_probe;       /* attempt under way */
	ev_timer ready_timer;            /* next attempt */
	struct linematch *lines;         /* ready = log: the output matcher while STARTING */
	uint64_t ready_digest;           /* of the settings the attempts run with */

	/* the notify socket and what the worker said through it */
	struct notifysock *ns;
	bool notify_ready;               /* READY=1 from the current incarnation */
	bool notify_reloading, notify_stopping;
	char notify_status[NOTIFY_STATUS_MAX];
	uint64_t notify_heartbeat_ns;    /* last WATCHDOG=1; 0 none */
	uint64_t watchdog_usec;          /* WATCHDOG_USEC= of the current incarnation; 0 none */
	bool watchdog_trigger;           /* WATCHDOG=trigger, not yet acted upon */
	pid_t mainpid;                   /* MAINPID= (validated: in the worker's tree) */
	int notify_errno;                /* ERRNO=; 0 none */
	uint64_t notify_dropped;         /* datagrams (or assignments) dropped, every incarnation */

	/* liveness */
	struct probe *health_probe;
	ev_timer health_timer;
	uint64_t health_digest;          /* of the settings the checks run with */
	uint64_t health_since_ns;        /* RUNNING since (heartbeat checks count from here) */
	unsigned health_failures;        /* in a row */
	bool health_acted;               /* health_action taken for this run of failures */
	bool have_health;
	bool health_ok;
	uint64_t health_at_ns;           /* when the last result came */
	uint64_t health_latency_ns;
	char health_detail[64];
};

/* Subscribe (before the loop runs); tear down (every record freed, every socket closed). */
void checks_init(struct ev_loop *loop, const char *run_dir, const char *instance);
void checks_teardown(void);

/* p's record, created on first use. */
struct proc_checks *checks_of(struct process *p);

/* Process hooks: add NOTIFY_SOCKET to a worker's environment; readiness reported already? */
void checks_spawning(struct process *p, char ***env);
bool checks_ready_now(struct process *p);

/* Readiness was decided by kind (logged, recorded, FSM_UP fed). */
void checks_ready(struct process *p, enum check_kind kind, const char *detail);

/* The newest heartbeat of the worker through the notify socket (0 none). */
uint64_t checks_notify_heartbeat(const struct process *p);

/* A digest of a check and its settings: a reload restarts a check only when it changed. */
uint64_t checks_digest(const struct check_config *c, int interval_ms, int timeout_ms, int failures, int action);

/* The readiness and liveness fields of p's status record. */
void checks_status(const struct process *p, struct proto_status *s);

/* A probe of a check as a plain request to os/probe (the strings point into cfg and p). */
void checks_probe_spec(const struct process *p, const struct check_config *c, int timeout_ms, char **env,
                       struct probe_spec *ret);

#endif
