/* Daemon logging: stderr with a level prefix, or the journal with structured fields under systemd. */
#ifndef DROVER_LOG_H
#define DROVER_LOG_H

#include <stdarg.h>
#include <sys/types.h>
#include <syslog.h>

/* Whom a message is about: the journal gets DROVER_PROCESS=, DROVER_PID=, DROVER_STATE=. The
 * owner keeps it current (a process's pid and state change); a leaf service that logs about a
 * process is handed a pointer to it. */
struct log_subject {
	const char *name;       /* full name */
	pid_t pid;              /* 0: none */
	const char *state;      /* state name */
};

/* What stamps a line written to stderr (the journal stamps its own records). */
enum log_time { LOG_TIME_NONE, LOG_TIME_LOCAL, LOG_TIME_UTC };

void log_init(void);                 /* picks journal vs stderr from the environment */
void log_set_debug(int on);
/* RFC 3339 time first on every stderr line ([drover] log_timestamps); local until set. */
void log_set_time(enum log_time t);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message about one process. */
void log_about(int prio, const struct log_subject *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...)  log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
