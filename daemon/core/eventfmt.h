/* The payloads of supervisord's events, byte for byte as supervisord 4.2.5 writes them (pure:
 * eventfmt.c). Each returns a new string and its length in *ret_len. */
#ifndef DROVER_EVENTFMT_H
#define DROVER_EVENTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/event-types.h"

/* PROCESS_STATE_*: "processname:P groupname:G from_state:S" and the type's own fields: tries
 * (STARTING, BACKOFF), expected and pid (EXITED), pid (RUNNING, STOPPING, STOPPED). */
char *eventfmt_state(enum event_type type, const char *process, const char *group, const char *from_state,
                     int tries, bool expected, pid_t pid, size_t *ret_len);
/* PROCESS_LOG_STDOUT/STDERR: "processname:P groupname:G pid:N channel:C\n" and the data, as
 * text when it is UTF-8, else "Undecodable: " and Python's repr of the bytes (b'...'). */
char *eventfmt_log(enum event_type type, const char *process, const char *group, pid_t pid, const char *data,
                   size_t n, size_t *ret_len);
/* PROCESS_GROUP_ADDED/REMOVED: "groupname:G\n". */
char *eventfmt_group(const char *group, size_t *ret_len);
/* TICK_*: "when:T", T the start of the period (a multiple of it, in seconds since the epoch). */
char *eventfmt_tick(long long when, size_t *ret_len);

/* Strict UTF-8 (as Python decodes it: no overlong forms, no surrogates, at most U+10FFFF). */
bool eventfmt_utf8_valid(const char *s, size_t n);
/* Python's repr() of bytes: b'...' (or b"..." when only ' occurs), \xhh, \t \n \r \\ escapes. */
char *eventfmt_bytes_repr(const char *s, size_t n, size_t *ret_len);

#endif
