/* The metrics text (see metrics-text.h): one table of families, written family by family
 * (an exposition groups the samples of a family together), each for the daemon or for every
 * process that has a value for it. */
#include "ctl-server/metrics-text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { GAUGE, COUNTER, INFO };

enum family {
	F_BUILD_INFO, F_START_TIME, F_PROCESSES, F_CONTROL_REQUESTS, F_CONTROL_BAD, F_REPLIES_DROPPED,
	F_RELOADS, F_RELOAD_FAILURES,
	F_PROC_STATE, F_PROC_UP, F_PROC_READY, F_PROC_RESTARTS, F_PROC_START_TIME, F_PROC_HEARTBEAT_AGE,
	F_PROC_LOG_DROPPED, F_PROC_EXIT_STATUS, F_PROC_WORKER_COUNTER,
	F_MAX
};

/* name: the family's name in OpenMetrics; a sample adds _total (counter) or _info (info).
 * unit: OpenMetrics' UNIT, which the name ends with. */
static const struct {
	const char *name;
	enum kind kind;
	const char *unit;
	const char *help;
} families[F_MAX] = {
	[F_BUILD_INFO]       = { "drover_build", INFO, NULL, "droverd's version; the value is 1" },
	[F_START_TIME]       = { "drover_start_time_seconds", GAUGE, "seconds", "When droverd started, Unix time" },
	[F_PROCESSES]        = { "drover_processes", GAUGE, NULL, "Processes in each state" },
	[F_CONTROL_REQUESTS] = { "drover_control_requests", COUNTER, NULL,
	                         "Messages taken off the control queue (droverctl requests, bad ones included)" },
	[F_CONTROL_BAD]      = { "drover_control_bad_messages", COUNTER, NULL,
	                         "Control messages refused as malformed or unroutable" },
	[F_REPLIES_DROPPED]  = { "drover_control_replies_dropped", COUNTER, NULL,
	                         "Replies droverd could not deliver (reply queue full, gone or too slow)" },
	[F_RELOADS]          = { "drover_reloads", COUNTER, NULL, "Config reloads applied (SIGHUP, droverctl reload)" },
	[F_RELOAD_FAILURES]  = { "drover_reload_failures", COUNTER, NULL,
	                         "Config reloads refused; the running config was kept" },
	[F_PROC_STATE]       = { "drover_process_state", GAUGE, NULL,
	                         "The process's state (the state label); the value is 1" },
	[F_PROC_UP]          = { "drover_process_up", GAUGE, NULL, "1 when the process is RUNNING, else 0" },
	[F_PROC_READY]       = { "drover_process_ready", GAUGE, NULL,
	                         "1 when the worker reported itself ready (scoreboard or notify socket), else 0" },
	[F_PROC_RESTARTS]    = { "drover_process_restarts", COUNTER, NULL,
	                         "Spawns after the first: reason=automatic (an exit, a backoff retry, a heartbeat or health check, a reload) or reason=manual (a user's start or restart)" },
	[F_PROC_START_TIME]  = { "drover_process_start_time_seconds", GAUGE, "seconds",
	                         "When the current worker was spawned, Unix time (processes with a worker only)" },
	[F_PROC_HEARTBEAT_AGE] = { "drover_process_heartbeat_age_seconds", GAUGE, "seconds",
	                           "Time since the worker's last heartbeat (workers that send heartbeats only)" },
	[F_PROC_LOG_DROPPED] = { "drover_process_log_dropped_bytes", COUNTER, "bytes",
	                         "Bytes of the process's output lost (log write failed, slow follower)" },
	[F_PROC_EXIT_STATUS] = { "drover_process_last_exit_status", GAUGE, NULL,
	                         "The last worker's exit: its exit code, or minus the signal that ended it" },
	[F_PROC_WORKER_COUNTER] = { "drover_process_reported", COUNTER, NULL,
	                            "The worker's own counters (drover_count, droverctl report --count), by index" },
};

static const char *const suffix[] = { [GAUGE] = "", [COUNTER] = "_total", [INFO] = "_info" };

/* The text grows in one buffer; an allocation failure is remembered and reported at the end. */
struct out {
	char *p;
	size_t len, cap;
	bool failed;
};

static bool reserve(struct out *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->len + n + 1 <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + n + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p) {
		o->failed = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

/* key="value" with the value escaped as the exposition wants it: \\ \" \n. */
static void put_label(struct out *o, const char *key, const char *v, size_t max)
{
	puts_(o, key);
	put(o, "=\"", 2);
	for (size_t i = 0; i < max && v[i]; i++) {
		switch (v[i]) {
		case '\\': put(o, "\\\\", 2); break;
		case '"':  put(o, "\\\"", 2); break;
		case '\n': put(o, "\\n", 2); break;
		default:   put(o, &v[i], 1); break;
		}
	}
	put(o, "\"", 1);
}

static void header(struct out *o, enum family fam, enum metrics_format fmt)
{
	const char *name = families[fam].name;
	if (fmt == METRICS_OPENMETRICS) {
		static const char *const type[] = { [GAUGE] = "gauge", [COUNTER] = "counter", [INFO] = "info" };
		putf(o, "# TYPE %s %s\n", name, type[families[fam].kind]);
		if (families[fam].unit)
			putf(o, "# UNIT %s %s\n", name, families[fam].unit);
		putf(o, "# HELP %s %s\n", name, families[fam].help);
	} else {
		/* 0.0.4 has no info type: an info family is a gauge named *_info */
		const char *s = suffix[families[fam].kind];
		putf(o, "# HELP %s%s %s\n", name, s, families[fam].help);
		putf(o, "# TYPE %s%s %s\n", name, s, families[fam].kind == COUNTER ? "counter" : "gauge");
	}
}

/* A sample line up to the end of its labels but the closing brace: `name{drover="x"...`.
 * labels: the escaped label text of the daemon, or of one process (made once per render). */
static void sample(struct out *o, enum family fam, const struct out *labels)
{
	puts_(o, families[fam].name);
	puts_(o, suffix[families[fam].kind]);
	put(o, "{", 1);
	put(o, labels->p, labels->len);
}

static void put_u64(struct out *o, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *b = e;
	do
		*--b = (char) ('0' + v % 10);
	while ((v /= 10));
	put(o, "} ", 2);
	put(o, b, (size_t) (e - b));
	put(o, "\n", 1);
}

static void put_ms(struct out *o, uint64_t ms)
{
	putf(o, "} %" PRIu64 ".%03u\n", ms / 1000, (unsigned) (ms % 1000));
}

static void daemon_family(struct out *o, enum family fam, const struct metrics_daemon *d, const struct out *dl,
                          const struct proto_status *st, size_t n, enum metrics_format fmt)
{
	header(o, fam, fmt);
	switch (fam) {
	case F_BUILD_INFO:
		sample(o, fam, dl);
		put(o, ",", 1);
		put_label(o, "version", d->version, strlen(d->version));
		put_u64(o, 1);
		break;
	case F_START_TIME:
		sample(o, fam, dl);
		put_ms(o, d->start_time_ms);
		break;
	case F_PROCESSES: {
		uint64_t count[PROC_STATE_MAX] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[st[i].state < PROC_STATE_MAX ? st[i].state : PROC_UNKNOWN]++;
		for (int k = 0; k < PROC_STATE_MAX; k++) {
			const char *state = proc_state_to_string((enum proc_state) k);
			sample(o, fam, dl);
			put(o, ",", 1);
			put_label(o, "state", state, strlen(state));
			put_u64(o, count[k]);
		}
		break;
	}
	case F_CONTROL_REQUESTS: sample(o, fam, dl); put_u64(o, d->control_requests); break;
	case F_CONTROL_BAD:      sample(o, fam, dl); put_u64(o, d->control_bad); break;
	case F_REPLIES_DROPPED:  sample(o, fam, dl); put_u64(o, d->replies_dropped); break;
	case F_RELOADS:          sample(o, fam, dl); put_u64(o, d->reloads); break;
	case F_RELOAD_FAILURES:  sample(o, fam, dl); put_u64(o, d->reload_failures); break;
	default: break;
	}
}

static bool live(const struct proto_status *s)
{
	return s->pid > 0 && (s->state == PROC_STARTING || s->state == PROC_RUNNING || s->state == PROC_STOPPING);
}

static void proc_family(struct out *o, enum family fam, const struct out *pl, const struct proto_status *st,
                        size_t n, uint64_t now_ms, enum metrics_format fmt)
{
	header(o, fam, fmt);
	for (size_t i = 0; i < n; i++) {
		const struct proto_status *s = &st[i];
		const struct out *l = &pl[i];
		switch (fam) {
		case F_PROC_STATE: {
			const char *state = proc_state_to_string((enum proc_state) s->state);
			sample(o, fam, l);
			put(o, ",", 1);
			put_label(o, "state", state, strlen(state));
			put_u64(o, 1);
			break;
		}
		case F_PROC_UP:
			sample(o, fam, l);
			put_u64(o, s->state == PROC_RUNNING);
			break;
		case F_PROC_READY:
			sample(o, fam, l);
			put_u64(o, (s->flags & PROTO_ST_READY) != 0);
			break;
		case F_PROC_RESTARTS:
			sample(o, fam, l);
			put(o, ",reason=\"automatic\"", 19);
			put_u64(o, s->restarts);
			sample(o, fam, l);
			put(o, ",reason=\"manual\"", 16);
			put_u64(o, s->restarts_manual);
			break;
		case F_PROC_START_TIME:
			if (!live(s))
				break;
			sample(o, fam, l);
			put_ms(o, now_ms > s->uptime_ms ? now_ms - s->uptime_ms : 0);
			break;
		case F_PROC_HEARTBEAT_AGE:
			if (!(s->flags & PROTO_ST_HEARTBEAT))
				break;
			sample(o, fam, l);
			put_ms(o, s->heartbeat_age_ms);
			break;
		case F_PROC_LOG_DROPPED:
			sample(o, fam, l);
			put_u64(o, s->log_dropped);
			break;
		case F_PROC_EXIT_STATUS:
			if (!(s->flags & PROTO_ST_EXITED))
				break;
			sample(o, fam, l);
			putf(o, "} %d\n", (int) s->exitstatus);
			break;
		case F_PROC_WORKER_COUNTER:
			for (unsigned k = 0; k < s->ncounters && k < PROTO_COUNTERS_MAX; k++) {
				char idx[4];
				snprintf(idx, sizeof(idx), "%u", k);
				sample(o, fam, l);
				put(o, ",", 1);
				put_label(o, "index", idx, sizeof(idx));
				put_u64(o, s->counters[k]);
			}
			break;
		default:
			break;
		}
	}
}

int metrics_render(const struct metrics_daemon *d, const struct proto_status *st, size_t n, uint64_t now_ms,
                   enum metrics_format fmt, char **ret, size_t *ret_len)
{
	struct out o = { 0 }, dl = { 0 };
	struct out *pl = n ? calloc(n, sizeof(*pl)) : NULL;
	bool failed = n && !pl;

	/* The labels, escaped once: the daemon's, and each process's (drover, group, process). */
	put_label(&dl, "drover", d->instance, strlen(d->instance));
	for (size_t i = 0; pl && i < n; i++) {
		put(&pl[i], dl.p, dl.len);
		put(&pl[i], ",", 1);
		put_label(&pl[i], "group", st[i].group, sizeof(st[i].group));
		put(&pl[i], ",", 1);
		put_label(&pl[i], "process", st[i].name, sizeof(st[i].name));
		failed |= pl[i].failed;
	}
	failed |= dl.failed;
	for (int fam = 0; !failed && fam < F_MAX; fam++) {
		if (fam < F_PROC_STATE)
			daemon_family(&o, (enum family) fam, d, &dl, st, n, fmt);
		else
			proc_family(&o, (enum family) fam, pl, st, n, now_ms, fmt);
	}
	if (fmt == METRICS_OPENMETRICS)
		puts_(&o, "# EOF\n");
	for (size_t i = 0; pl && i < n; i++)
		free(pl[i].p);
	free(pl);
	free(dl.p);
	if (failed || o.failed || !o.p) {
		free(o.p);
		return -ENOMEM;
	}
	*ret = o.p;
	*ret_len = o.len;
	return 0;
}
