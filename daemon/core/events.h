/* Process state changes, published to subscribers; one settle step per loop iteration.
 *
 * A subscriber is told of every state change as it happens (waiters see each transition), of every
 * pid change, of a process about to be freed, and of a config a reload applied. In those callbacks it only
 * records what has to be done: it never starts, stops, signals or frees a process (no callback
 * re-enters the lifecycle). What has to be done is done by its settle callback, which the event
 * module runs from an ev_prepare watcher, once per loop iteration after every other callback of
 * that iteration: subscribers in the order they subscribed, again and again until none did
 * anything (acting changes states, which records more). */
#ifndef DROVER_EVENTS_H
#define DROVER_EVENTS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "proto.h"

struct process;
struct drover_config;

/* What droverd as a whole is doing (supervisord's SUPERVISOR_STATE_CHANGE). */
enum events_phase {
	EVENTS_RUNNING,         /* started: the table is built, autostart is about to begin */
	EVENTS_STOPPING,        /* a shutdown began */
};

struct events_subscriber {
	/* p changed state: p's state is the new one, old the previous. */
	void (*state_changed)(void *ctx, struct process *p, enum proc_state old);
	/* p's pid changed (a spawn, or the worker was reaped): p's pid is the new one. */
	void (*pid_changed)(void *ctx, struct process *p, pid_t old);
	/* p is about to be freed (removed by a reload and down, or at teardown): forget it. */
	void (*gone)(void *ctx, struct process *p);
	/* A reload applied cfg (the processes point into it already). */
	void (*config_applied)(void *ctx, const struct drover_config *cfg);
	/* p's current worker wrote data on stream (0 stdout, 1 stderr), already logged. */
	void (*output)(void *ctx, struct process *p, int stream, const char *data, size_t n);
	/* droverd entered phase. */
	void (*phase)(void *ctx, enum events_phase phase);
	/* Act on what was recorded; true when anything was done. */
	bool (*settle)(void *ctx);
	void *ctx;
	struct events_subscriber *next;   /* the event module's */
};

/* Start the settle watcher on loop; stop it. */
void events_start(struct ev_loop *loop);
void events_stop(void);

/* s stays owned by the caller and must live until events_unsubscribe(s). Any callback may be NULL. */
void events_subscribe(struct events_subscriber *s);
void events_unsubscribe(struct events_subscriber *s);

/* Publishing (the process table and the lifecycle do it). */
void events_state_changed(struct process *p, enum proc_state old);
void events_pid_changed(struct process *p, pid_t old);
void events_gone(struct process *p);
void events_config_applied(const struct drover_config *cfg);
void events_output(struct process *p, int stream, const char *data, size_t n);
void events_phase(enum events_phase phase);

/* Run the settle callbacks now, until none does anything (the watcher does this each iteration). */
void events_settle(void);

#endif
