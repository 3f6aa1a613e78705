/* The metrics text (see metrics-text.h): one table of families, written family by family
 * (an exposition groups the samples of a family together), each for the daemon or for every
 * process that has a value for it. */
#include "ctl-server/metrics-text.h"

#include <errno.h>
#include <inttypes.h>
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
	                         "Spawns after the first one, automatic and manual (droverctl start/restart) alike" },
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

/* A label value as the exposition quotes it: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *key, const char *v, size_t max)
{
	fprintf(f, "%s=\"", key);
	for (size_t i = 0; i < max && v[i]; i++) {
		switch (v[i]) {
		case '\\': fputs("\\\\", f); break;
		case '"':  fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(v[i], f); break;
		}
	}
	fputc('"', f);
}

static void header(FILE *f, enum family fam, enum metrics_format fmt)
{
	const char *name = families[fam].name;
	if (fmt == METRICS_OPENMETRICS) {
		static const char *const type[] = { [GAUGE] = "gauge", [COUNTER] = "counter", [INFO] = "info" };
		fprintf(f, "# TYPE %s %s\n", name, type[families[fam].kind]);
		if (families[fam].unit)
			fprintf(f, "# UNIT %s %s\n", name, families[fam].unit);
		fprintf(f, "# HELP %s %s\n", name, families[fam].help);
	} else {
		/* 0.0.4 has no info type: an info family is a gauge named *_info */
		const char *s = suffix[families[fam].kind];
		fprintf(f, "# HELP %s%s %s\n", name, s, families[fam].help);
		fprintf(f, "# TYPE %s%s %s\n", name, s, families[fam].kind == COUNTER ? "counter" : "gauge");
	}
}

/* The start of a sample line up to the end of the drover label: `name{drover="x"`. */
static void sample(FILE *f, enum family fam, const struct metrics_daemon *d)
{
	fprintf(f, "%s%s{", families[fam].name, suffix[families[fam].kind]);
	put_label(f, "drover", d->instance, strlen(d->instance));
}

static void proc_sample(FILE *f, enum family fam, const struct metrics_daemon *d, const struct proto_status *s)
{
	sample(f, fam, d);
	fputc(',', f);
	put_label(f, "group", s->group, sizeof(s->group));
	fputc(',', f);
	put_label(f, "process", s->name, sizeof(s->name));
}

static void put_u64(FILE *f, uint64_t v)
{
	fprintf(f, "} %" PRIu64 "\n", v);
}

static void put_ms(FILE *f, uint64_t ms)
{
	fprintf(f, "} %" PRIu64 ".%03u\n", ms / 1000, (unsigned) (ms % 1000));
}

static void daemon_family(FILE *f, enum family fam, const struct metrics_daemon *d, const struct proto_status *st,
                          size_t n, enum metrics_format fmt)
{
	header(f, fam, fmt);
	switch (fam) {
	case F_BUILD_INFO:
		sample(f, fam, d);
		fputc(',', f);
		put_label(f, "version", d->version, strlen(d->version));
		put_u64(f, 1);
		break;
	case F_START_TIME:
		sample(f, fam, d);
		put_ms(f, d->start_time_ms);
		break;
	case F_PROCESSES: {
		uint64_t count[PROC_STATE_MAX] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[st[i].state < PROC_STATE_MAX ? st[i].state : PROC_UNKNOWN]++;
		for (int k = 0; k < PROC_STATE_MAX; k++) {
			const char *state = proc_state_to_string((enum proc_state) k);
			sample(f, fam, d);
			fputc(',', f);
			put_label(f, "state", state, strlen(state));
			put_u64(f, count[k]);
		}
		break;
	}
	case F_CONTROL_REQUESTS: sample(f, fam, d); put_u64(f, d->control_requests); break;
	case F_CONTROL_BAD:      sample(f, fam, d); put_u64(f, d->control_bad); break;
	case F_REPLIES_DROPPED:  sample(f, fam, d); put_u64(f, d->replies_dropped); break;
	case F_RELOADS:          sample(f, fam, d); put_u64(f, d->reloads); break;
	case F_RELOAD_FAILURES:  sample(f, fam, d); put_u64(f, d->reload_failures); break;
	default: break;
	}
}

static bool live(const struct proto_status *s)
{
	return s->pid > 0 && (s->state == PROC_STARTING || s->state == PROC_RUNNING || s->state == PROC_STOPPING);
}

static void proc_family(FILE *f, enum family fam, const struct metrics_daemon *d, const struct proto_status *st,
                        size_t n, uint64_t now_ms, enum metrics_format fmt)
{
	header(f, fam, fmt);
	for (size_t i = 0; i < n; i++) {
		const struct proto_status *s = &st[i];
		switch (fam) {
		case F_PROC_STATE: {
			const char *state = proc_state_to_string((enum proc_state) s->state);
			proc_sample(f, fam, d, s);
			fputc(',', f);
			put_label(f, "state", state, strlen(state));
			put_u64(f, 1);
			break;
		}
		case F_PROC_UP:
			proc_sample(f, fam, d, s);
			put_u64(f, s->state == PROC_RUNNING);
			break;
		case F_PROC_READY:
			proc_sample(f, fam, d, s);
			put_u64(f, (s->flags & PROTO_ST_READY) != 0);
			break;
		case F_PROC_RESTARTS:
			proc_sample(f, fam, d, s);
			put_u64(f, s->restarts);
			break;
		case F_PROC_START_TIME:
			if (!live(s))
				break;
			proc_sample(f, fam, d, s);
			put_ms(f, now_ms > s->uptime_ms ? now_ms - s->uptime_ms : 0);
			break;
		case F_PROC_HEARTBEAT_AGE:
			if (!(s->flags & PROTO_ST_HEARTBEAT))
				break;
			proc_sample(f, fam, d, s);
			put_ms(f, s->heartbeat_age_ms);
			break;
		case F_PROC_LOG_DROPPED:
			proc_sample(f, fam, d, s);
			put_u64(f, s->log_dropped);
			break;
		case F_PROC_EXIT_STATUS:
			if (!(s->flags & PROTO_ST_EXITED))
				break;
			proc_sample(f, fam, d, s);
			fprintf(f, "} %d\n", (int) s->exitstatus);
			break;
		case F_PROC_WORKER_COUNTER:
			for (unsigned k = 0; k < s->ncounters && k < PROTO_COUNTERS_MAX; k++) {
				char idx[4];
				snprintf(idx, sizeof(idx), "%u", k);
				proc_sample(f, fam, d, s);
				fputc(',', f);
				put_label(f, "index", idx, sizeof(idx));
				put_u64(f, s->counters[k]);
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
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (int fam = 0; fam < F_MAX; fam++) {
		if (fam < F_PROC_STATE)
			daemon_family(f, (enum family) fam, d, st, n, fmt);
		else
			proc_family(f, (enum family) fam, d, st, n, now_ms, fmt);
	}
	if (fmt == METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	bool bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}
