/* Per-process results of start, stop, restart and signal as supervisorctl 4.2.5 prints them, in
 * the order of the patterns, and the exit status they make (measured against supervisorctl;
 * man/droverctl.8 has the table). */
#ifndef DROVER_CTL_RESULTS_H
#define DROVER_CTL_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "output.h"

/* How one command's result codes read and count. */
struct result_policy {
	struct result_words w;
	int32_t quiet;           /* not printed for a group form ("all", "G:*", "G:", a name of several):
	                          * the process already was where the command takes it */
	int32_t harmless;        /* printed, but not a failure (a single name already in that state) */
	int32_t dead;            /* a code that says the program is not running (exit 7), besides -EIO */
	int nogroup_exit;        /* the exit code of "G: ERROR (no such group)" */
};

extern const struct result_policy result_policy_start, result_policy_stop, result_policy_signal;

/* "G:" and "G:*": supervisorctl's group forms, whose unknown name is "no such group". */
bool pattern_is_group_form(const char *pattern);
/* The exit code one result makes under pol (0 when none). */
int result_exit(const struct result_policy *pol, int32_t code);
/* "P: ERROR (no such process)" or "G: ERROR (no such group)" into out; returns the exit code
 * it makes under pol. */
int unmatched_text(char *out, size_t size, const char *pattern, const struct result_policy *pol);

/* Every record of rep, pattern by pattern in request order (each pattern's processes in table
 * order; a pattern that matched nothing gets its error line in its place); in the text, records
 * of a group form whose code is pol->quiet are left out. Lines, or one JSON array of every record
 * with --json. Returns the
 * exit code: that of the last result that makes one (supervisorctl sets its status per result). */
int results_print(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                  size_t npatterns, const struct result_policy *pol);

/* A waited restart as supervisorctl's (a stop, then a start): first a "stopped" line for each
 * process that was up ("not running" for a single name that was not), then each start result. */
int results_print_restart(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                          size_t npatterns, double wait_s);

#endif
