/* droverctl output: the status table, per-process result lines, a small JSON writer. */
#ifndef DROVER_CTL_OUTPUT_H
#define DROVER_CTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

/* JSON strings: `"` and `\` escaped, control characters (< 0x20, 0x7f) as \n \t \r \b \f or
 * \u00XX, valid UTF-8 copied as is, and every byte that is not part of a valid UTF-8 sequence
 * (stray continuation, overlong form, surrogate, > U+10FFFF, truncated) replaced by U+FFFD,
 * written as the escape \ufffd. The output is always valid JSON and pure ASCII whenever the
 * input is. */
void json_write_string(FILE *f, const char *s, size_t len);

/* A streaming writer for one document: values are separated by commas automatically. */
#define JSON_DEPTH_MAX 16
struct json {
	FILE *f;
	unsigned depth;
	bool first[JSON_DEPTH_MAX];
};
void json_init(struct json *j, FILE *f);
/* key is the member name inside an object, NULL inside an array or at the top. */
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const char *s, size_t len);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Milliseconds as seconds with three decimals: 1500 -> 1.500. */
void json_seconds(struct json *j, const char *key, uint64_t ms);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/* "0:01:02", "1 day, 2:03:04", "3 days, 0:00:00" (supervisorctl's uptime). */
/* "since 09:14:03" (local time), or "since 2026-12-02 09:14:03" when that is not today. */
void format_since(char *buf, size_t size, uint64_t since_ms, uint64_t now_ms);
void format_uptime(char *buf, size_t size, uint64_t seconds);
/* A short age or delay: "0.4s", "12.0s", then as format_uptime from 60 s on. */
void format_age(char *buf, size_t size, uint64_t ms);
/* "exit status 1" / "killed by SIGKILL" for PROTO_ST_EXITED's exitstatus. */
void format_exit(char *buf, size_t size, int32_t exitstatus);

/* The third column of the status table: "pid 1234, uptime 0:01:02, restarts 2 | worker status". */
void status_describe(const struct proto_status *s, char *buf, size_t size);
/* Sort status records as supervisorctl lists them: by the pattern that matched them (request
 * order), then by group and process name (byte order). Stable. */
void status_sort(struct proto_status *st, size_t n);
/* The aligned table, one row per record. */
void status_print_table(FILE *f, const struct proto_status *st, size_t n);
struct table_style;
/* The same, styled (style NULL: as status_print_table): each line cut at style->width visible
 * columns, states coloured; header (NULL: none) is a first line's text after NAME and STATE, and
 * extra[i] (NULL: none) row i's text between the state and the description (watch's CPU% and RSS). */
void status_print_table_style(FILE *f, const struct proto_status *st, size_t n, const struct table_style *style,
                              const char *header, const char *const *extra);
/* The status document: an array of objects (keys in man/droverctl.8). */
void status_print_json(FILE *f, const struct proto_status *st, size_t n);

/* How a command words the result codes of its records (lib/proto.h); the only place result
 * codes become words. */
struct result_words {
	const char *done;        /* 0: "started"; NULL: the name of the record's state (wait) */
	const char *requested;   /* -EINPROGRESS (not waited for): "starting" */
	const char *goal;        /* -ETIMEDOUT: "not GOAL after N s: STATE" ("started", "RUNNING") */
	double wait_s;           /* the N of that sentence */
};
/* A record counts as success: done, or requested without waiting. */
bool result_ok(const struct proto_result *res);
/* The text after "NAME: ": "started", "ERROR (already started)", "ERROR (spawn error)"... */
void result_text(char *out, size_t size, const struct proto_result *res, const struct result_words *w);
/* One result line, supervisorctl style: "web:web_00: started", "x: ERROR (no such process)". */
void result_print_line(FILE *f, const struct proto_result *res, const struct result_words *w);
/* {"name":..., "ok":bool, "message":...} inside an array. */
void result_print_json(struct json *j, const struct proto_result *res, const struct result_words *w);
/* A result's "reason" (when droverd gave one; a stop's running dependants as "dependants_running") and,
 * when the process's output may tell why it failed, "log": the stream to read. */
void result_json_details(struct json *j, const struct proto_result *res);
/* The command that shows the output of a process that failed (its worker ran): "droverctl tail
 * NAME stderr" (with -n INSTANCE unless the default). false when there is none to suggest. */
bool result_log_hint(char *out, size_t size, const struct proto_result *res, const char *instance);

/* A record's char array made safe for a terminal (one line, no escape sequences), bounded by
 * field_size even if its NUL is missing. */
void output_safe_field(char *out, size_t size, const char *field, size_t field_size);
#define SAFE_FIELD(out, field) output_safe_field((out), sizeof(out), (field), sizeof(field))

/* A field of a decoded record, bounded by its array size even if the NUL is missing. */
#define FIELD_LEN(field) strnlen((field), sizeof(field))

#endif
