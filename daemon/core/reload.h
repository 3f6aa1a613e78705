/* Reload: parse the new config completely, then apply only the difference. */
#ifndef DROVER_RELOAD_H
#define DROVER_RELOAD_H

#include <stddef.h>

#include "conf/config.h"
#include "proto.h"

struct reload_result {
	int result;            /* 0, or -EINVAL with errors (-ESHUTDOWN during a shutdown) */
	char *errors;          /* "FILE:LINE: ..." lines, NULL when none */
	/* What was done (or would be), one entry per process: the new config's processes in its
	 * order, then the removed ones. */
	size_t n;
	struct reload_entry {
		char *name;
		enum proto_reload_action action;
		const struct program_config *prog;   /* its settings in the file read; NULL for REMOVED */
	} *entries;
	struct drover_config *config;   /* reload_plan_only(): the config read, which prog points into */
	/* reload_update(): the indexes of the names that are a group neither running nor in the file */
	size_t nunknown;
	size_t *unknown;
};

/* The file reloads read; subscribe (removed processes are freed once down). */
void reload_init(const char *config_path);
/* Reload the config file. ret may be NULL (SIGHUP); otherwise filled, free with reload_result_free.
 * prog points into the applied config: read it before the loop runs again. */
int reload_run(struct reload_result *ret);
/* Reload the named process groups only (supervisorctl's update GROUP...): the running config
 * with those groups' programs as the file has them becomes the applied one, so that the
 * next reload or reread still sees the other groups' changes. Names of no group are listed in
 * ret->unknown and select nothing; when no name is a group, nothing is applied. N > 0. */
int reload_update(const char *const *groups, size_t n, struct reload_result *ret);
/* Read the config file and say what a reload would do; nothing is applied. */
int reload_plan_only(struct reload_result *ret);
void reload_result_free(struct reload_result *r);
/* Reloads since droverd started: applied, and refused (the running config kept). */
struct reload_counts {
	unsigned long applied, refused;
};
void reload_counts(struct reload_counts *ret);
/* SIGUSR1: reopen every log file (logrotate). */
void reload_reopen_logs(void);

#endif
