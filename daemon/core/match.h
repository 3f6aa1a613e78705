/* Which processes a name given to droverctl means. Pure: unit-tested. */
#ifndef DROVER_MATCH_H
#define DROVER_MATCH_H

#include <stdbool.h>

/* The names of one process. */
struct match_names {
	const char *group;      /* its group (the program's name when it has none) */
	const char *program;
	const char *name;       /* the process name */
	const char *fullname;   /* "group:name", or name when both are the same */
};

/* "all" names every process; "GROUP:*" every process of GROUP; "GROUP:NAME" one; anything else
 * (no colon) a group, a program, a process name or a full name. */
bool match_pattern(const char *pattern, const struct match_names *n);

#endif
