/* The metrics text: droverd's and its processes' numbers as Prometheus reads them. Pure: the
 * numbers come in (status records and daemon counters), the text goes out; no clock, no I/O.
 *
 * Two dialects of one exposition, the same families, labels and values:
 *   METRICS_PROMETHEUS   the Prometheus text format 0.0.4: what node_exporter's textfile
 *                        collector and `promtool check metrics` read (a counter's TYPE line
 *                        names the sample, foo_total);
 *   METRICS_OPENMETRICS  OpenMetrics 1.0.0 (a counter family is named without _total, UNIT
 *                        lines, the closing "# EOF").
 * Every series carries drover="INSTANCE": several droverd on one machine write their files into
 * one textfile directory, and node_exporter refuses the same series twice. */
#ifndef DROVER_METRICS_TEXT_H
#define DROVER_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum metrics_format { METRICS_PROMETHEUS, METRICS_OPENMETRICS, METRICS_FORMAT_MAX };

/* droverd's own numbers. */
struct metrics_daemon {
	const char *instance;            /* [drover] name */
	const char *version;
	uint64_t start_time_ms;          /* droverd's start, Unix time in ms */
	uint64_t control_requests;       /* messages taken off the control queue */
	uint64_t control_bad;            /* malformed or unroutable ones */
	uint64_t replies_dropped;        /* replies that could not be delivered */
	uint64_t reloads;                /* reloads applied */
	uint64_t reload_failures;        /* reloads refused (the running config kept) */
};

/* The exposition of d and of the n processes st (status records as STATUS answers them) at
 * Unix time now_ms (a process's start time is now_ms - its uptime). *ret is malloc'd and
 * NUL-terminated, *ret_len its length without the NUL. 0, or -ENOMEM. */
int metrics_render(const struct metrics_daemon *d, const struct proto_status *st, size_t n, uint64_t now_ms,
                   enum metrics_format fmt, char **ret, size_t *ret_len);

#endif
