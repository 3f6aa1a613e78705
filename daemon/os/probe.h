/* Readiness and liveness probes: one attempt of a tcp connect, an HTTP/1.1 GET or a command,
 * run from the event loop without ever blocking it (non-blocking sockets, a timer per attempt,
 * commands spawned like workers and killed with their process group at the timeout). The result
 * comes back through a callback from the loop, never from inside probe_start(). A leaf service:
 * it gets plain values, never a process or a config. */
#ifndef DROVER_PROBE_H
#define DROVER_PROBE_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "os/reap.h"

enum probe_kind { PROBE_TCP, PROBE_HTTP, PROBE_EXEC, PROBE_KIND_MAX };

struct probe_spec {
	enum probe_kind kind;
	int timeout_ms;                 /* the attempt fails (and a command is killed) past this */
	/* PROBE_TCP, PROBE_HTTP */
	const char *host;               /* numeric IPv4 or IPv6 address */
	int port;
	const char *path;               /* PROBE_HTTP: "/health" */
	/* PROBE_EXEC: /bin/sh -c command, as the worker would run */
	const char *command;
	const char *user;               /* NULL: droverd's */
	const char *directory;          /* NULL: droverd's */
	int umask;                      /* -1: droverd's */
	char *const *env;               /* KEY=VALUE over droverd's environment */
	const char *environment_file;
};

struct probe_outcome {
	bool ok;
	bool timed_out;
	int http_status;                /* PROBE_HTTP: the response's status, 0 when none came */
	int wstatus;                    /* PROBE_EXEC: wait status (valid when have_wstatus) */
	bool have_wstatus;
	uint64_t latency_ns;            /* from start to the result */
	char detail[96];                /* "HTTP 200", "connection refused", "exit status 1: <first output line>", "timed out after 1.0 s" */
};

typedef void (*probe_done_fn)(void *ctx, const struct probe_outcome *o);

struct probe;

/* Set up (before any probe_start). */
void probe_init(struct ev_loop *loop);
/* Start one attempt; done(ctx, outcome) is called once, later, from the loop, unless the probe is
 * cancelled first. 0 with *ret, or -errno (nothing started, done never called). */
int probe_start(const struct probe_spec *spec, probe_done_fn done, void *ctx, struct probe **ret);
/* Stop an attempt under way (a command is killed with its group and reaped later); done is not
 * called. NULL is fine; returns NULL. */
struct probe *probe_cancel(struct probe *p);

/* The reaper's question: is pid (exited, about to be reaped) a probe's command? Then its group is
 * killed and the probe claims the exit (os/reap.h); NULL otherwise. */
struct reap_owner *probe_reap_exiting(pid_t pid);

/* Kill every command still running (shutdown). */
void probe_shutdown(void);

struct probe_stats {
	unsigned long started, ok, failed, timed_out;
	unsigned running;               /* attempts under way (commands still to be reaped included) */
};
const struct probe_stats *probe_get_stats(void);

/* The status code of an HTTP/1.x status line at the start of buf ("HTTP/1.1 200 OK\r\n"), 0 when
 * more bytes are needed, -EBADMSG when it is not one. Pure: unit-tested. */
int probe_http_status(const char *buf, size_t len);

#endif
