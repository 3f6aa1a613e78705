/* supervisord's %(name)s expansions: a pure function over a string and a context (expand.c). */
#ifndef DROVER_EXPAND_H
#define DROVER_EXPAND_H

#include <stdbool.h>

struct expand_ctx {
	/* NULL (or -1 for numbers) = the name is not available where the value is used:
	 * referring to it is an error, as in supervisord. */
	const char *program_name;
	const char *group_name;
	const char *here;               /* directory of the file that defines the section */
	const char *host_node_name;
	int process_num;
	int numprocs;
	/* %(ENV_X)s looks X up in these KEY=VALUE vectors, first match wins (each may be NULL). */
	char *const *env[3];
};

/* Expand %(name)s, %(name)02d, ... and %% in IN. Returns 0 and a new string in *ret,
 * or -EINVAL and a description of what is wrong in *ret_error (both malloc'd). */
int expand_string(const char *in, const struct expand_ctx *ctx, char **ret, char **ret_error);

#endif
