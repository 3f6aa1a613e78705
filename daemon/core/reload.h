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

/* Reload sup.config_path. ret may be NULL (SIGHUP); otherwise filled, free with reload_result_free. */
int reload_run(struct reload_result *ret);
void reload_result_free(struct reload_result *r);
/* Destroy removed processes once they are down (from a zero timer, outside their callbacks). */
void reload_schedule_gc(void);
/* Teardown: free retired configs. */
void reload_shutdown(void);
/* SIGUSR1: reopen every log file (logrotate). */
void reload_reopen_logs(void);

#endif
