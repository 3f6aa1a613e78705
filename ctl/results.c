/* Per-process results as supervisorctl prints them, and their exit status (see results.h).
 *
 * supervisorctl 4.2.5, measured: a single name that is already where the command takes it is
 * printed ("a: ERROR (already started)", "b: ERROR (not running)") and is no failure for start
 * and stop; a group form ("all", "g:*", "g:") leaves those out. Spawn error and abnormal
 * termination exit 7, and so does a signal to a process that is not running; an unknown name
 * exits 1, an unknown group 2 for start and 1 otherwise. The exit status is that of the last
 * result that sets one. */
#include "results.h"

#include <errno.h>
#include <string.h>

#include "util.h"

const struct result_policy result_policy_start = {
	.w = { "started", "starting", "started", 0 },
	.quiet = -EALREADY, .harmless = -EALREADY, .dead = 0, .nogroup_exit = CTL_EXIT_USAGE,
};
const struct result_policy result_policy_stop = {
	.w = { "stopped", "stopping", "stopped", 0 },
	.quiet = -ESRCH, .harmless = -ESRCH, .dead = 0, .nogroup_exit = CTL_EXIT_FAILED,
};
const struct result_policy result_policy_signal = {
	.w = { "signalled", "signalled", "signalled", 0 },
	.quiet = -ESRCH, .harmless = 0, .dead = -ESRCH, .nogroup_exit = CTL_EXIT_FAILED,
};

bool pattern_is_group_form(const char *pattern)
{
	size_t n = strlen(pattern);
	return (n >= 1 && pattern[n - 1] == ':') || (n >= 2 && strcmp(pattern + n - 2, ":*") == 0);
}

int result_exit(const struct result_policy *pol, int32_t code)
{
	if (code == 0 || code == -EINPROGRESS || (pol->harmless && code == pol->harmless))
		return 0;
	if (code == -EIO || (pol->dead && code == pol->dead))
		return CTL_EXIT_DEAD;
	return CTL_EXIT_FAILED;
}

int unmatched_text(char *out, size_t size, const char *pattern, const struct result_policy *pol)
{
	char esc[PROTO_NAME_MAX * 4];
	escape_line(esc, sizeof(esc), pattern);
	if (pattern_is_group_form(pattern)) {
		esc[strcspn(esc, ":")] = '\0';
		snprintf(out, size, "%s: ERROR (no such group)", esc);
		return pol->nogroup_exit;
	}
	snprintf(out, size, "%s: ERROR (no such process)", esc);
	return CTL_EXIT_FAILED;
}

static bool is_unmatched(const struct proto_reply *rep, size_t i)
{
	for (uint32_t k = 0; k < rep->nunmatched; k++)
		if (rep->unmatched[k] == i)
			return true;
	return false;
}

static size_t records_of(const struct proto_reply *rep, size_t i)
{
	size_t n = 0;
	for (uint32_t k = 0; rep->results && k < rep->nrecords; k++)
		n += rep->results[k].pattern == i;
	return n;
}

/* One output line (or JSON object); res (NULL: none) adds the reason and where to look. */
static void emit(struct ctl_ctx *ctx, struct json *j, const char *name, bool ok, const char *text,
                 const struct proto_result *res)
{
	char esc[PROTO_NAME_MAX * 4], hint[PROTO_NAME_MAX * 4 + 64];
	if (ctx->json) {
		json_begin_object(j, NULL);
		json_str(j, "name", name);
		json_bool(j, "ok", ok);
		json_str(j, "message", text);
		if (res)
			result_json_details(j, res);
		json_end_object(j);
		return;
	}
	escape_line(esc, sizeof(esc), name);
	fprintf(ctx->out, "%s: %s\n", esc, text);
	if (res && result_log_hint(hint, sizeof(hint), res, ctx->instance))
		fprintf(ctx->out, "  see: %s\n", hint);
}

static void emit_unmatched(struct ctl_ctx *ctx, struct json *j, const char *pattern,
                           const struct result_policy *pol, int *rc)
{
	char line[PROTO_NAME_MAX * 4 + 64];
	int e = unmatched_text(line, sizeof(line), pattern, pol);
	*rc = e;
	if (ctx->json) {
		/* the same words, without the name the line starts with */
		const char *text = strstr(line, ": ERROR (");
		emit(ctx, j, pattern, false, text ? text + 2 : line, NULL);
	} else
		fprintf(ctx->out, "%s\n", line);
}

static void emit_result(struct ctl_ctx *ctx, struct json *j, const struct proto_result *res,
                        const struct result_policy *pol, const struct result_words *w, int *rc)
{
	char name[PROTO_NAME_MAX], text[PROTO_NAME_MAX * 5 + 128];
	int e = result_exit(pol, res->result);
	if (e)
		*rc = e;
	snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
	result_text(text, sizeof(text), res, w);
	emit(ctx, j, name, result_ok(res), text, res);
}

/* Pattern i's part of the output: its error line, or its records (group forms without the quiet
 * ones). words: how the records read (pol->w, or a restart's stop words). */
typedef void pattern_fn(struct ctl_ctx *ctx, struct json *j, const struct proto_reply *rep, const char *pattern,
                        uint16_t i, bool group, const struct result_policy *pol, double wait_s, int *rc);

static void pattern_results(struct ctl_ctx *ctx, struct json *j, const struct proto_reply *rep, const char *pattern,
                            uint16_t i, bool group, const struct result_policy *pol, double wait_s, int *rc)
{
	struct result_words w = pol->w;
	w.wait_s = wait_s;
	for (uint32_t k = 0; rep->results && k < rep->nrecords; k++) {
		const struct proto_result *res = &rep->results[k];
		/* --json is droverd's own document: every record, also those the text leaves out */
		if (res->pattern != i || (!ctx->json && group && pol->quiet && res->result == pol->quiet))
			continue;
		emit_result(ctx, j, res, pol, &w, rc);
	}
}

/* The stop half of a restart: what it stopped, and a single name that was not running. */
static void pattern_restart_stop(struct ctl_ctx *ctx, struct json *j, const struct proto_reply *rep,
                                 const char *pattern, uint16_t i, bool group, const struct result_policy *pol,
                                 double wait_s, int *rc)
{
	for (uint32_t k = 0; rep->results && k < rep->nrecords; k++) {
		const struct proto_result *res = &rep->results[k];
		char name[PROTO_NAME_MAX];
		if (res->pattern != i || res->result == -ESHUTDOWN || res->result == -EIDRM)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
		if (res->flags & PROTO_RES_WAS_UP)
			emit(ctx, j, name, true, "stopped", NULL);
		else if (!group)
			emit(ctx, j, name, false, "ERROR (not running)", NULL);
	}
}

/* Every pattern in request order (no pattern: every record as it came). */
static void for_patterns(struct ctl_ctx *ctx, struct json *j, const struct proto_reply *rep,
                         const char *const *patterns, size_t npatterns, const struct result_policy *pol,
                         double wait_s, pattern_fn *fn, int *rc)
{
	if (npatterns == 0) {
		fn(ctx, j, rep, "", PROTO_PATTERN_NONE, true, pol, wait_s, rc);
		return;
	}
	for (size_t i = 0; i < npatterns && i < PROTO_ARGS_MAX; i++) {
		bool all = strcmp(patterns[i], "all") == 0;
		if (is_unmatched(rep, i)) {
			if (!all)   /* "all" of an empty table: nothing to say */
				emit_unmatched(ctx, j, patterns[i], pol, rc);
			continue;
		}
		bool group = all || pattern_is_group_form(patterns[i]) || records_of(rep, i) > 1;
		fn(ctx, j, rep, patterns[i], (uint16_t) i, group, pol, wait_s, rc);
	}
}

int results_print(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                  size_t npatterns, const struct result_policy *pol)
{
	struct json j;
	int rc = CTL_EXIT_OK;

	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for_patterns(ctx, &j, rep, patterns, npatterns, pol, pol->w.wait_s, pattern_results, &rc);
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
	return rc;
}

int results_print_restart(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                          size_t npatterns, double wait_s)
{
	struct json j;
	int rc = CTL_EXIT_OK;

	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for_patterns(ctx, &j, rep, patterns, npatterns, &result_policy_stop, wait_s, pattern_restart_stop, &rc);
	for_patterns(ctx, &j, rep, patterns, npatterns, &result_policy_start, wait_s, pattern_results, &rc);
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
	return rc;
}
