/* Which processes a name given to droverctl means (see match.h). */
#include "core/match.h"

#include <string.h>

bool match_pattern(const char *pattern, const struct match_names *n)
{
	const char *colon = strchr(pattern, ':');

	if (strcmp(pattern, "all") == 0)
		return true;
	if (colon) {   /* group:* or group:process */
		size_t glen = (size_t) (colon - pattern);
		return strlen(n->group) == glen && strncmp(n->group, pattern, glen) == 0 &&
		       (strcmp(colon + 1, "*") == 0 || strcmp(colon + 1, n->name) == 0);
	}
	return strcmp(pattern, n->group) == 0 || strcmp(pattern, n->program) == 0 ||
	       strcmp(pattern, n->name) == 0 || strcmp(pattern, n->fullname) == 0;
}
