/* droverctl output: the status table, per-process result lines, a small JSON writer. */
#include "output.h"
#include "term.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ---- JSON ---------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one (RFC 3629). */
static size_t utf8_valid_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	else if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
	else
		return 0;     /* continuation byte, 0xc0/0xc1 (overlong), 0xf5.. (> U+10FFFF) */
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_write_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\t': fputs("\\t", f); break;
			case '\r': fputs("\\r", f); break;
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			default:   fprintf(f, "\\u%04x", c); break;
			}
			i++;
		} else if (c < 0x80) {
			/* a run of plain ASCII goes out in one write (fputc per byte is the cost of a
			 * 1000-process status) */
			size_t run = 1;
			while (i + run < len && s[i + run] >= 0x20 && s[i + run] < 0x7f && s[i + run] != '"' &&
			       s[i + run] != '\\')
				run++;
			fwrite(s + i, 1, run, f);
			i += run;
		} else {
			size_t n = utf8_valid_len(s + i, len - i);
			if (n == 0) {
				fputs("\\ufffd", f);    /* one replacement per invalid byte */
				i++;
			} else {
				fwrite(s + i, 1, n, f);
				i += n;
			}
		}
	}
	fputc('"', f);
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Comma and key before a value. */
static void json_sep(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		/* mostly droverctl's own words, plain ASCII: written as they are when they are */
		size_t n = 0;
		while (key[n] >= 0x20 && key[n] < 0x7f && key[n] != '"' && key[n] != '\\')
			n++;
		if (key[n] == '\0') {
			fputc('"', j->f);
			fwrite(key, 1, n, j->f);
			fputs("\":", j->f);
		} else {
			json_write_string(j->f, key, strlen(key));
			fputc(':', j->f);
		}
	}
}

/* Decimal digits of v, with '-' first when negative, into buf (21 bytes); returns the length.
 * printf's parsing of its format was most of the cost of a document of thousands. */
static size_t u64_digits(char *buf, uint64_t v, bool negative)
{
	char tmp[24];
	size_t n = 0, len = 0;
	do {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

static void json_open(struct json *j, const char *key, char c)
{
	json_sep(j, key);
	fputc(c, j->f);
	/* Deeper than any document droverctl writes: a programming error, not input. */
	if (j->depth + 1 >= JSON_DEPTH_MAX)
		abort();
	j->first[++j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	if (j->depth == 0)
		abort();
	j->depth--;
	fputc(c, j->f);
}

void json_begin_object(struct json *j, const char *key) { json_open(j, key, '{'); }
void json_end_object(struct json *j) { json_close(j, '}'); }
void json_begin_array(struct json *j, const char *key) { json_open(j, key, '['); }
void json_end_array(struct json *j) { json_close(j, ']'); }

void json_strn(struct json *j, const char *key, const char *s, size_t len)
{
	json_sep(j, key);
	json_write_string(j->f, s, len);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, strlen(s));
}

void json_int(struct json *j, const char *key, int64_t v)
{
	char buf[24];
	json_sep(j, key);
	fwrite(buf, 1, u64_digits(buf, v < 0 ? 0 - (uint64_t) v : (uint64_t) v, v < 0), j->f);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	char buf[24];
	json_sep(j, key);
	fwrite(buf, 1, u64_digits(buf, v, false), j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	fputs("null", j->f);
}

void json_seconds(struct json *j, const char *key, uint64_t ms)
{
	char buf[32];
	unsigned frac = (unsigned) (ms % 1000);
	json_sep(j, key);
	size_t n = u64_digits(buf, ms / 1000, false);
	buf[n++] = '.';
	buf[n++] = (char) ('0' + frac / 100);
	buf[n++] = (char) ('0' + frac / 10 % 10);
	buf[n++] = (char) ('0' + frac % 10);
	fwrite(buf, 1, n, j->f);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}

/* ---- durations ---------------------------------------------------------------------------- */

void format_uptime(char *buf, size_t size, uint64_t seconds)
{
	uint64_t days = seconds / 86400, rest = seconds % 86400;
	unsigned h = (unsigned) (rest / 3600), m = (unsigned) (rest % 3600 / 60), s = (unsigned) (rest % 60);
	if (days > 0)
		snprintf(buf, size, "%" PRIu64 " day%s, %u:%02u:%02u", days, days == 1 ? "" : "s", h, m, s);
	else
		snprintf(buf, size, "%u:%02u:%02u", h, m, s);
}

void format_age(char *buf, size_t size, uint64_t ms)
{
	if (ms < 60000)
		snprintf(buf, size, "%u.%us", (unsigned) (ms / 1000), (unsigned) (ms % 1000 / 100));
	else
		format_uptime(buf, size, ms / 1000);
}

void format_exit(char *buf, size_t size, int32_t exitstatus)
{
	if (exitstatus >= 0)
		snprintf(buf, size, "exit status %d", (int) exitstatus);
	else
		snprintf(buf, size, "killed by SIG%s", signal_to_string(-(int) exitstatus));
}

void format_since(char *buf, size_t size, uint64_t since_ms, uint64_t now_ms)
{
	/* A table of thousands mostly repeats a few seconds: the last answer is kept (localtime and
	 * strftime cost more than the rest of a line). */
	static time_t last_t = -1, last_now = -1;
	static char last[64];
	time_t t = (time_t) (since_ms / 1000), now = (time_t) (now_ms / 1000);
	struct tm tm, today;
	if (size == 0)
		return;
	if (t == last_t && now == last_now) {
		snprintf(buf, size, "%s", last);
		return;
	}
	buf[0] = '\0';
	last_t = -1;
	if (!localtime_r(&t, &tm) || !localtime_r(&now, &today))
		return;
	bool same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
	if (strftime(last, sizeof(last), same_day ? "since %H:%M:%S" : "since %Y-%m-%d %H:%M:%S", &tm) == 0)
		return;
	last_t = t;
	last_now = now;
	snprintf(buf, size, "%s", last);
}

/* ---- status ------------------------------------------------------------------------------- */

/* A line put together by copies (a table of thousands: snprintf's parsing of the format was most
 * of its cost). Both keep room for the NUL the caller writes at *len. */
static void line_add(char *line, size_t size, size_t *len, const char *s, size_t n)
{
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(line + *len, s, n);
	*len += n;
}

static void line_spaces(char *line, size_t size, size_t *len, size_t n)
{
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memset(line + *len, ' ', n);
	*len += n;
}

/* Append ", part" (or "part" first) to buf. */
static void add_part(char *buf, size_t size, size_t *len, const char *part)
{
	if (!*part || *len + 1 >= size)
		return;
	if (*len)
		line_add(buf, size, len, ", ", 2);
	line_add(buf, size, len, part, strlen(part));
	buf[*len] = '\0';
}

void status_describe(const struct proto_status *s, char *buf, size_t size)
{
	char part[PROTO_NAME_MAX * 4 + 64], tmp[64];
	size_t len = 0;
	if (size == 0)
		return;
	buf[0] = '\0';

	if ((s->state == PROC_RUNNING || s->state == PROC_STARTING) && s->pid > 0) {   /* else: "waiting for db" */
		format_uptime(tmp, sizeof(tmp), s->uptime_ms / 1000);
		snprintf(part, sizeof(part), "pid %d, uptime %s", (int) s->pid, tmp);
		add_part(buf, size, &len, part);
	} else if (s->description[0]) {
		char d[sizeof(s->description)];
		memcpy(d, s->description, sizeof(d));
		d[sizeof(d) - 1] = '\0';
		escape_line(part, sizeof(part), d);
		add_part(buf, size, &len, part);
	} else if (s->flags & PROTO_ST_EXITED) {
		format_exit(part, sizeof(part), s->exitstatus);
		add_part(buf, size, &len, part);
	}
	/* since when it is where it is (RUNNING, and STARTING with a worker, say their uptime) */
	if (s->since_ms > 0 && !((s->state == PROC_RUNNING || s->state == PROC_STARTING) && s->pid > 0)) {
		format_since(tmp, sizeof(tmp), s->since_ms, now_real_ns() / 1000000u);
		add_part(buf, size, &len, tmp);
	}
	if ((s->state == PROC_BACKOFF || s->state == PROC_FATAL) && s->next_attempt_ms >= 0) {
		format_age(tmp, sizeof(tmp), (uint64_t) s->next_attempt_ms);
		snprintf(part, sizeof(part), "next attempt in %s", tmp);
		add_part(buf, size, &len, part);
	}
	if (s->restarts > 0) {
		snprintf(part, sizeof(part), "restarts %u", (unsigned) s->restarts);
		add_part(buf, size, &len, part);
	}
	if (s->restarts_manual > 0) {
		snprintf(part, sizeof(part), "restarted by hand %u", (unsigned) s->restarts_manual);
		add_part(buf, size, &len, part);
	}
	char detail[PROTO_DETAIL_MAX * 4];
	if (s->state == PROC_RUNNING && (s->flags & PROTO_ST_READY_VIA) && s->ready_via != PROTO_CHECK_NONE) {
		format_age(tmp, sizeof(tmp), s->ready_after_ms);
		snprintf(part, sizeof(part), "ready via %s %s after spawn", proto_check_to_string((enum proto_check) s->ready_via),
		         tmp);
		add_part(buf, size, &len, part);
	} else if (s->state == PROC_STARTING && s->pid > 0 && s->ready_detail[0]) {
		SAFE_FIELD(detail, s->ready_detail);
		snprintf(part, sizeof(part), "not ready: %s", detail);
		add_part(buf, size, &len, part);
	}
	if (s->state == PROC_RUNNING && s->health_check != PROTO_CHECK_NONE) {
		const char *check = proto_check_to_string((enum proto_check) s->health_check);
		if (s->health_result == PROTO_HEALTH_NONE) {
			snprintf(part, sizeof(part), "health: %s, no result yet", check);
		} else {
			char fails[48] = "";
			SAFE_FIELD(detail, s->health_detail);
			format_age(tmp, sizeof(tmp), s->health_age_ms);
			if (s->health_failures)
				snprintf(fails, sizeof(fails), ", %u/%u failures", (unsigned) s->health_failures,
				         (unsigned) s->health_failures_max);
			snprintf(part, sizeof(part), "health: %s %s%s, %s ago", check, detail, fails, tmp);
		}
		add_part(buf, size, &len, part);
	}
	if (s->notify_dropped) {
		snprintf(part, sizeof(part), "notify dropped %" PRIu64, s->notify_dropped);
		add_part(buf, size, &len, part);
	}
	if (s->flags & PROTO_ST_BUSY)
		add_part(buf, size, &len, "busy");
	else if (s->flags & PROTO_ST_HEARTBEAT)
		add_part(buf, size, &len, "idle");
	if (s->flags & PROTO_ST_HEARTBEAT) {
		format_age(tmp, sizeof(tmp), s->heartbeat_age_ms);
		snprintf(part, sizeof(part), "heartbeat %s ago", tmp);
		add_part(buf, size, &len, part);
	}
	if (s->ncounters > 0) {
		size_t n = s->ncounters < PROTO_COUNTERS_MAX ? s->ncounters : PROTO_COUNTERS_MAX;
		size_t pl = (size_t) snprintf(part, sizeof(part), "counters ");
		for (size_t i = 0; i < n && pl < sizeof(part); i++)
			pl += (size_t) snprintf(part + pl, sizeof(part) - pl, "%s%" PRIu64, i ? "/" : "", s->counters[i]);
		add_part(buf, size, &len, part);
	}
	if (s->flags & PROTO_ST_SLOT_BAD)
		add_part(buf, size, &len, "scoreboard slot invalid");
	if (s->log_dropped) {
		snprintf(part, sizeof(part), "output dropped %" PRIu64 " bytes", s->log_dropped);
		add_part(buf, size, &len, part);
	}
	if (s->status_line[0] && len + 4 < size) {
		char line[sizeof(s->status_line)];
		memcpy(line, s->status_line, sizeof(line));
		line[sizeof(line) - 1] = '\0';
		escape_line(part, sizeof(part), line);
		snprintf(buf + len, size - len, "%s%s", len ? " | " : "", part);
	}
}

void output_safe_field(char *out, size_t size, const char *field, size_t field_size)
{
	char tmp[PROTO_NAME_MAX];
	size_t n = strnlen(field, field_size);
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, field, n);
	tmp[n] = '\0';
	escape_line(out, size, tmp);
}

/* strlen() of what output_safe_field() makes of the field, without making it. */
static size_t safe_field_len(const char *field, size_t field_size)
{
	size_t n = strnlen(field, field_size), len = 0;
	if (n >= PROTO_NAME_MAX)
		n = PROTO_NAME_MAX - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) field[i];
		len += c == '\n' || c == '\\' ? 2 : c < 0x20 || c >= 0x7f ? 4 : 1;
	}
	return len;
}

static int status_cmp(const struct proto_status *x, const struct proto_status *y)
{
	if (x->pattern != y->pattern)
		return x->pattern < y->pattern ? -1 : 1;
	int c = strncmp(x->group, y->group, sizeof(x->group));
	if (c)
		return c;
	const char *xn = memchr(x->name, ':', FIELD_LEN(x->name)), *yn = memchr(y->name, ':', FIELD_LEN(y->name));
	xn = xn ? xn + 1 : x->name;
	yn = yn ? yn + 1 : y->name;
	return strncmp(xn, yn, sizeof(x->name));
}

/* Stable merge of idx[lo..mid) and idx[mid..hi) through tmp. */
static void merge_runs(const struct proto_status *st, size_t *idx, size_t *tmp, size_t lo, size_t mid, size_t hi)
{
	size_t a = lo, b = mid, o = lo;
	while (a < mid && b < hi)
		tmp[o++] = status_cmp(&st[idx[b]], &st[idx[a]]) < 0 ? idx[b++] : idx[a++];
	while (a < mid)
		tmp[o++] = idx[a++];
	while (b < hi)
		tmp[o++] = idx[b++];
	memcpy(idx + lo, tmp + lo, (hi - lo) * sizeof(*idx));
}

/* By pattern, group, name; stable. A record is over a kilobyte: the order is worked out on
 * indexes (a bottom-up merge sort, O(n log n) however the table arrives) and each record is then
 * moved once, along the cycles of that permutation. The table usually arrives in order: one pass
 * over it, nothing moved. */
void status_sort(struct proto_status *st, size_t n)
{
	size_t i = 1;
	while (i < n && status_cmp(&st[i - 1], &st[i]) <= 0)
		i++;
	if (i >= n)
		return;
	size_t *idx = xmalloc(n * sizeof(*idx)), *tmp = xmalloc(n * sizeof(*tmp));
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (size_t w = 1; w < n; w *= 2)
		for (size_t lo = 0; lo + w < n; lo += 2 * w)
			merge_runs(st, idx, tmp, lo, lo + w, lo + 2 * w < n ? lo + 2 * w : n);
	/* idx[k] is the record that belongs at k; idx[k] = k marks a place filled */
	struct proto_status *held = xmalloc(sizeof(*held));
	for (size_t k = 0; k < n; k++) {
		if (idx[k] == k)
			continue;
		*held = st[k];
		size_t j = k;
		while (idx[j] != k) {
			size_t from = idx[j];
			st[j] = st[from];
			idx[j] = j;
			j = from;
		}
		st[j] = *held;
		idx[j] = j;
	}
	free(held);
	free(tmp);
	free(idx);
}

/* supervisorctl's table: the name column as wide as the longest name plus 3 (at least 33), the
 * state 10 wide, then the description. */
void status_print_table(FILE *f, const struct proto_status *st, size_t n)
{
	status_print_table_style(f, st, n, NULL, NULL, NULL);
}

void status_print_table_style(FILE *f, const struct proto_status *st, size_t n, const struct table_style *style,
                              const char *header, const char *const *extra)
{
	char name[PROTO_NAME_MAX * 4], desc[2048], line[PROTO_NAME_MAX * 4 + 2048 + 128];
	int width = 30;
	for (size_t i = 0; i < n; i++) {
		int l = (int) safe_field_len(st[i].name, sizeof(st[i].name));
		if (l > width)
			width = l;
	}
	if (header) {
		snprintf(line, sizeof(line), "%-*s%-10s%s", width + 3, "NAME", "STATE", header);
		term_put_line(f, line, style ? style->width : 0);
	}
	for (size_t i = 0; i < n; i++) {
		const char *state = proc_state_to_string((enum proc_state) st[i].state);
		const char *sgr = "";
		output_safe_field(name, sizeof(name), st[i].name, sizeof(st[i].name));
		status_describe(&st[i], desc, sizeof(desc));
		if (style && style->color)
			sgr = term_state_color(st[i].state, (st[i].flags & PROTO_ST_EXITED) && st[i].exitstatus != 0);
		/* the padding after the colour's reset: only visible columns line up */
		size_t len = 0, sl = strlen(state), nl = strlen(name);
		line_add(line, sizeof(line), &len, name, nl);
		line_spaces(line, sizeof(line), &len, nl < (size_t) width + 3 ? (size_t) width + 3 - nl : 0);
		line_add(line, sizeof(line), &len, sgr, strlen(sgr));
		line_add(line, sizeof(line), &len, state, sl);
		if (sgr[0])
			line_add(line, sizeof(line), &len, TERM_SGR_RESET, strlen(TERM_SGR_RESET));
		line_spaces(line, sizeof(line), &len, sl < 10 ? 10 - sl : 0);
		if (extra)
			line_add(line, sizeof(line), &len, extra[i], strlen(extra[i]));
		line_add(line, sizeof(line), &len, desc, strlen(desc));
		line[len] = '\0';
		term_put_line(f, line, style ? style->width : 0);
	}
}

void status_print_json(FILE *f, const struct proto_status *st, size_t n)
{
	struct json j;
	char desc[2048], since[RFC3339_MAX] = "";
	uint64_t since_s = UINT64_MAX;
	size_t ms_at = 0;
	json_init(&j, f);
	json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct proto_status *s = &st[i];
		bool live = s->state == PROC_RUNNING || s->state == PROC_STARTING;
		json_begin_object(&j, NULL);
		json_strn(&j, "name", s->name, FIELD_LEN(s->name));
		json_strn(&j, "group", s->group, FIELD_LEN(s->group));
		json_str(&j, "state", proc_state_to_string((enum proc_state) s->state));
		json_int(&j, "pid", s->pid);
		json_seconds(&j, "uptime", live ? s->uptime_ms : 0);
		json_uint(&j, "restarts", s->restarts);
		json_uint(&j, "restarts_manual", s->restarts_manual);
		if (s->since_ms > 0) {
			/* thousands of processes mostly entered their state within a few seconds: the
			 * local time of a second is worked out once, its milliseconds put in place */
			if (s->since_ms / 1000 != since_s) {
				since_s = s->since_ms / 1000;
				format_rfc3339(since, sizeof(since), since_s * 1000 * 1000000u, false);
				ms_at = strcspn(since, ".");
			}
			if (since[ms_at] == '.' && since[ms_at + 1] && since[ms_at + 2] && since[ms_at + 3]) {
				unsigned ms = (unsigned) (s->since_ms % 1000);
				since[ms_at + 1] = (char) ('0' + ms / 100);
				since[ms_at + 2] = (char) ('0' + ms / 10 % 10);
				since[ms_at + 3] = (char) ('0' + ms % 10);
			}
			json_str(&j, "since", since);
		} else
			json_null(&j, "since");
		if (s->flags & PROTO_ST_EXITED)
			json_int(&j, "exitstatus", s->exitstatus);
		else
			json_null(&j, "exitstatus");
		json_bool(&j, "ready", s->flags & PROTO_ST_READY);
		if (s->flags & PROTO_ST_HEARTBEAT)
			json_seconds(&j, "heartbeat_age", s->heartbeat_age_ms);
		else
			json_null(&j, "heartbeat_age");
		json_strn(&j, "status", s->status_line, FIELD_LEN(s->status_line));
		json_begin_array(&j, "counters");
		for (size_t k = 0; k < s->ncounters && k < PROTO_COUNTERS_MAX; k++)
			json_uint(&j, NULL, s->counters[k]);
		json_end_array(&j);
		/* The human text of the table's third column when not running (exit reason...). */
		if (s->description[0])
			json_strn(&j, "description", s->description, FIELD_LEN(s->description));
		else if (!live && (s->flags & PROTO_ST_EXITED)) {
			format_exit(desc, sizeof(desc), s->exitstatus);
			json_str(&j, "description", desc);
		} else
			json_str(&j, "description", "");
		json_bool(&j, "busy", s->flags & PROTO_ST_BUSY);
		json_uint(&j, "log_dropped", s->log_dropped);
		if ((s->state == PROC_BACKOFF || s->state == PROC_FATAL) && s->next_attempt_ms >= 0)
			json_seconds(&j, "next_attempt", (uint64_t) s->next_attempt_ms);
		else
			json_null(&j, "next_attempt");
		json_bool(&j, "slot_bad", s->flags & PROTO_ST_SLOT_BAD);
		/* how readiness was decided (RUNNING only): "startsecs", "scoreboard", "notify", "tcp"... */
		if (s->flags & PROTO_ST_READY_VIA) {
			json_str(&j, "ready_via", s->ready_via == PROTO_CHECK_NONE ? "startsecs"
			                          : proto_check_to_string((enum proto_check) s->ready_via));
			json_seconds(&j, "ready_after", s->ready_after_ms);
		} else {
			json_null(&j, "ready_via");
			json_null(&j, "ready_after");
		}
		json_strn(&j, "ready_detail", s->ready_detail, FIELD_LEN(s->ready_detail));
		if (s->health_check != PROTO_CHECK_NONE) {
			json_begin_object(&j, "health");
			json_str(&j, "check", proto_check_to_string((enum proto_check) s->health_check));
			if (s->health_result == PROTO_HEALTH_NONE) {
				json_null(&j, "result");
				json_null(&j, "age");
			} else {
				json_str(&j, "result", s->health_result == PROTO_HEALTH_OK ? "ok" : "failed");
				json_seconds(&j, "age", s->health_age_ms);
			}
			json_seconds(&j, "latency", s->health_latency_ms);
			json_uint(&j, "failures", s->health_failures);
			json_uint(&j, "failures_max", s->health_failures_max);
			json_strn(&j, "detail", s->health_detail, FIELD_LEN(s->health_detail));
			json_end_object(&j);
		} else {
			json_null(&j, "health");
		}
		json_uint(&j, "notify_dropped", s->notify_dropped);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_finish(&j);
}

/* ---- results ------------------------------------------------------------------------------ */

bool result_ok(const struct proto_result *res)
{
	return res->result == 0 || res->result == -EINPROGRESS;
}

/* Why a start gave up (-EIO): the state it ended in says it, as supervisorctl words it. */
static const char *gave_up(uint8_t state)
{
	switch (state) {
	case PROC_FATAL:
		return "spawn error";
	case PROC_STOPPED:
		return "stopped";
	default:
		return "abnormal termination";
	}
}

/* The reason droverd gave with a result, safe to print ("" when none). */
static void result_reason(char *out, size_t size, const struct proto_result *res)
{
	output_safe_field(out, size, res->reason, sizeof(res->reason));
}

void result_text(char *out, size_t size, const struct proto_result *res, const struct result_words *w)
{
	const char *state = proc_state_to_string((enum proc_state) res->state);
	const char *why;
	char reason[PROTO_NAME_MAX * 4];

	result_reason(reason, sizeof(reason), res);
	switch (res->result) {
	case 0:
	case -EINPROGRESS: {
		const char *done = res->result == 0 ? w->done : w->requested;
		if (res->flags & PROTO_RES_DEPENDANTS)   /* a stop: what it leaves running */
			snprintf(out, size, "%s (still running, and depending on it: %s)", done ? done : state, reason);
		else
			snprintf(out, size, "%s", done ? done : state);
		return;
	}
	case -ETIMEDOUT:
		snprintf(out, size, "ERROR (not %s after %g s: %s%s%s)", w->goal ? w->goal : "done", w->wait_s, state,
		         reason[0] ? ", " : "", reason);
		return;
	case -EIO:
		/* droverd's reason says what happened: "spawn error: unknown user 'x'" as it is, an exit
		 * ("Exited too quickly (exit status 2)") after how the start ended */
		if (reason[0] && strncmp(reason, "spawn error", 11) == 0)
			snprintf(out, size, "ERROR (%s)", reason);
		else if (reason[0])
			snprintf(out, size, "ERROR (%s: %s)", res->state == PROC_FATAL ? "gave up" : gave_up(res->state), reason);
		else
			snprintf(out, size, "ERROR (%s)", gave_up(res->state));
		return;
	case -EALREADY:
		why = "already started";
		break;
	case -ESRCH:
		why = "not running";
		break;
	case -ENOENT:
		why = "no such process";
		break;
	case -EIDRM:
		why = "removed by reload";
		break;
	case -ESHUTDOWN:
		why = "shutting down";
		break;
	case -ECANCELED:
		why = "droverd is shutting down";
		break;
	default:
		why = strerror(res->result < 0 ? -res->result : EIO);
		break;
	}
	snprintf(out, size, "ERROR (%s)", why);
}

void result_print_line(FILE *f, const struct proto_result *res, const struct result_words *w)
{
	char n[PROTO_NAME_MAX * 4], text[PROTO_NAME_MAX * 5 + 128];
	output_safe_field(n, sizeof(n), res->name, sizeof(res->name));
	result_text(text, sizeof(text), res, w);
	fprintf(f, "%s: %s\n", n, text);
}

void result_print_json(struct json *j, const struct proto_result *res, const struct result_words *w)
{
	char text[PROTO_NAME_MAX * 5 + 128];
	result_text(text, sizeof(text), res, w);
	json_begin_object(j, NULL);
	json_strn(j, "name", res->name, FIELD_LEN(res->name));
	json_bool(j, "ok", result_ok(res));
	json_str(j, "message", text);
	result_json_details(j, res);
	json_end_object(j);
}

bool result_log_hint(char *out, size_t size, const struct proto_result *res, const char *instance)
{
	char name[PROTO_NAME_MAX * 4], n[64] = "";
	if (!(res->flags & PROTO_RES_OUTPUT) || (res->result != -EIO && res->result != -ETIMEDOUT))
		return false;
	output_safe_field(name, sizeof(name), res->name, sizeof(res->name));
	if (instance && strcmp(instance, "drover") != 0)
		snprintf(n, sizeof(n), "-n %s ", instance);
	snprintf(out, size, "droverctl %stail %s%s", n, name, res->flags & PROTO_RES_ERR_IN_OUT ? "" : " stderr");
	return true;
}

void result_json_details(struct json *j, const struct proto_result *res)
{
	if (res->flags & PROTO_RES_DEPENDANTS) {
		char names[sizeof(res->reason)], *save = NULL;
		memcpy(names, res->reason, sizeof(names));
		names[sizeof(names) - 1] = '\0';
		json_begin_array(j, "dependants_running");
		for (char *t = strtok_r(names, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			json_str(j, NULL, t);
		json_end_array(j);
	} else if (res->reason[0])
		json_strn(j, "reason", res->reason, FIELD_LEN(res->reason));
	if (res->flags & PROTO_RES_OUTPUT && (res->result == -EIO || res->result == -ETIMEDOUT))
		json_str(j, "log", res->flags & PROTO_RES_ERR_IN_OUT ? "stdout" : "stderr");
}
