/* One event listener's pipes, speaking supervisord's event listener protocol (listener.c):
 *
 *   listener -> droverd (its stdout)   READY\n
 *   droverd -> listener (its stdin)    ver:3.0 server:S serial:N pool:P poolserial:N eventname:E len:N\n
 *                                      and len characters of payload
 *   listener -> droverd                RESULT N\n and N bytes: OK accepts the event, anything else
 *                                      rejects it (the sender queues it again)
 *   listener -> droverd                READY\n for the next one ...
 *
 * The listener is untrusted: whatever it writes is parsed in bounded memory, never blocks droverd
 * (its stdin is written without blocking, the rest when the pipe has room), and anything outside
 * the protocol puts it in the UNKNOWN state for good (until its next spawn): it gets no more
 * events, and droverd says so once in its log. Knows nothing of processes or pools: it gets the
 * loop, the listener's descriptors and bytes, and callbacks. */
#ifndef DROVER_LISTENER_H
#define DROVER_LISTENER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/log.h"

/* supervisord's listener states. */
enum listener_state {
	LISTENER_ACKNOWLEDGED,  /* spawned, or its last event answered: waiting for READY */
	LISTENER_READY,         /* may be sent an event */
	LISTENER_BUSY,          /* has an event, waiting for its RESULT */
	LISTENER_UNKNOWN,       /* broke the protocol, or no worker: gets nothing until its next spawn */
	LISTENER_STATE_MAX
};
const char *listener_state_to_string(enum listener_state s);

struct listener_hooks {
	/* It wrote READY: it can take an event now (listener_send). */
	void (*ready)(void *ctx);
	/* The event sent last is done with: accepted (RESULT 2\nOK) or not (any other result, a
	 * protocol violation or a failed pipe while it was in flight, the worker's end): the sender
	 * queues it again. */
	void (*done)(void *ctx, bool accepted);
};

/* What the header of one event says, and its payload. */
struct listener_event {
	const char *server;     /* [supervisord] identifier */
	uint64_t serial;        /* droverd-wide */
	const char *pool;       /* the listener's pool (its [eventlistener:x] name) */
	uint64_t pool_serial;
	const char *name;       /* the event type's name */
	const char *payload;
	size_t len;             /* bytes of payload */
};

struct listener_counters {
	uint64_t sent, accepted, rejected;
	uint64_t violations;    /* times it entered UNKNOWN by breaking the protocol */
};

struct listener;

/* who names the process in log messages (outlives the listener). */
struct listener *listener_new(struct ev_loop *loop, const struct listener_hooks *hooks, void *ctx,
                              const struct log_subject *who);
/* Detach (an event in flight is done(false)), free. NULL is fine. */
void listener_free(struct listener *l);

/* A new worker: fd is droverd's end of its stdin (taken; made non-blocking); ACKNOWLEDGED. */
void listener_attach(struct listener *l, int fd);
/* The worker is gone: its stdin is closed; an event in flight is done(false); UNKNOWN. */
void listener_detach(struct listener *l);
/* Bytes the current worker wrote on its stdout, in order. */
void listener_feed(struct listener *l, const char *data, size_t n);

/* Send one event to a READY listener: BUSY until its result. 0; -EAGAIN when it is not READY;
 * -EPIPE (or another -errno) when its stdin failed: nothing was sent (the event stays the
 * caller's), and the listener is UNKNOWN now. */
int listener_send(struct listener *l, const struct listener_event *ev);

enum listener_state listener_state(const struct listener *l);
const struct listener_counters *listener_counters(const struct listener *l);

/* The len: of a payload as supervisord counts it (characters of its UTF-8 text: a listener reads
 * the payload as text, len characters). */
size_t listener_payload_len(const char *payload, size_t n);

#endif
