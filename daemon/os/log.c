/* Daemon logging: stderr with a level prefix, or the journal with structured fields under systemd. */
#include "os/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "util.h"

static bool use_journal;
static int debug_on;
static enum log_time time_mode = LOG_TIME_LOCAL;

void log_init(void)
{
	/* JOURNAL_STREAM: our stderr is connected to journald (systemd sets it for services). */
	use_journal = getenv("JOURNAL_STREAM") != NULL || getenv("INVOCATION_ID") != NULL;
	/* sd_journal_send() silently drops everything when journald is not there (ENOENT): then
	 * stderr, which whoever set those variables is reading. */
	if (use_journal && access("/run/systemd/journal/socket", F_OK) < 0)
		use_journal = false;
	if (getenv("DROVER_LOG_STDERR"))
		use_journal = false;
	if (getenv("DROVER_DEBUG"))   /* adds to droverd -d, which was parsed before */
		debug_on = 1;
}

void log_set_debug(int on) { debug_on = on; }

void log_set_time(enum log_time t) { time_mode = t; }

static const char *prio_prefix(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: case LOG_INFO: return "info";
	default: return "debug";
	}
}

static void emit(int prio, const struct log_subject *p, const char *fmt, va_list ap)
{
	char msg[2048];
	if (prio == LOG_DEBUG && !debug_on)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_journal) {
		int r;
		if (p)
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
			                "DROVER_PROCESS=%s", p->name, "DROVER_PID=%d", (int) p->pid,
			                "DROVER_STATE=%s", p->state, "SYSLOG_IDENTIFIER=droverd",
			                NULL);
		else
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=droverd", NULL);
		if (r >= 0)
			return;
		/* no journald socket after all (INVOCATION_ID set by something else): stderr */
	}
	char stamp[RFC3339_MAX + 1] = "";
	if (time_mode != LOG_TIME_NONE) {
		size_t n = format_rfc3339(stamp, sizeof(stamp) - 1, now_real_ns(), time_mode == LOG_TIME_UTC);
		if (n > 0) {
			stamp[n] = ' ';
			stamp[n + 1] = '\0';
		}
	}
	fprintf(stderr, "%sdroverd: %s: %s\n", stamp, prio_prefix(prio), msg);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(prio, NULL, fmt, ap);
	va_end(ap);
}

void log_about(int prio, const struct log_subject *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(prio, p, fmt, ap);
	va_end(ap);
}
