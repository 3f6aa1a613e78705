/* Reload: parse the new config completely, then apply only the difference. */
#ifndef DROVER_RELOAD_H
#define DROVER_RELOAD_H

#include <stddef.h>

#include "proto.h"

struct reload_result {
	int result;            /* 0, or -EINVAL with errors */
	char *errors;          /* "FILE:LINE: ..." lines, NULL when none */
	/* What was done, one entry per process: name and enum proto_reload_action. */
	size_t n;
	struct reload_entry { char *name; enum proto_reload_action action; } *entries;
};

/* The file reloads read; subscribe (removed processes are freed once down). */
void reload_init(const char *config_path);
/* Reload the config file. ret may be NULL (SIGHUP); otherwise filled, free with reload_result_free. */
int reload_run(struct reload_result *ret);
void reload_result_free(struct reload_result *r);
/* SIGUSR1: reopen every log file (logrotate). */
void reload_reopen_logs(void);

#endif
