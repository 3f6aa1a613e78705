/* supervisord's event type names and supertypes (see event-types.h). */
#include "conf/event-types.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config-keys.h"
#include "util.h"

static const char *const names[EVENT_TYPE_MAX] = {
	[EVENT_PROCESS_STATE_STOPPED] = "PROCESS_STATE_STOPPED",
	[EVENT_PROCESS_STATE_EXITED] = "PROCESS_STATE_EXITED",
	[EVENT_PROCESS_STATE_STARTING] = "PROCESS_STATE_STARTING",
	[EVENT_PROCESS_STATE_STOPPING] = "PROCESS_STATE_STOPPING",
	[EVENT_PROCESS_STATE_BACKOFF] = "PROCESS_STATE_BACKOFF",
	[EVENT_PROCESS_STATE_FATAL] = "PROCESS_STATE_FATAL",
	[EVENT_PROCESS_STATE_RUNNING] = "PROCESS_STATE_RUNNING",
	[EVENT_PROCESS_STATE_UNKNOWN] = "PROCESS_STATE_UNKNOWN",
	[EVENT_PROCESS_LOG_STDOUT] = "PROCESS_LOG_STDOUT",
	[EVENT_PROCESS_LOG_STDERR] = "PROCESS_LOG_STDERR",
	[EVENT_SUPERVISOR_STATE_CHANGE_RUNNING] = "SUPERVISOR_STATE_CHANGE_RUNNING",
	[EVENT_SUPERVISOR_STATE_CHANGE_STOPPING] = "SUPERVISOR_STATE_CHANGE_STOPPING",
	[EVENT_TICK_5] = "TICK_5",
	[EVENT_TICK_60] = "TICK_60",
	[EVENT_TICK_3600] = "TICK_3600",
	[EVENT_PROCESS_GROUP_ADDED] = "PROCESS_GROUP_ADDED",
	[EVENT_PROCESS_GROUP_REMOVED] = "PROCESS_GROUP_REMOVED",
	[EVENT_PROCESS_COMMUNICATION_STDOUT] = "PROCESS_COMMUNICATION_STDOUT",
	[EVENT_PROCESS_COMMUNICATION_STDERR] = "PROCESS_COMMUNICATION_STDERR",
	[EVENT_REMOTE_COMMUNICATION] = "REMOTE_COMMUNICATION",
};

#define RANGE(a, b) ((EVENT_BIT(b) << 1) - EVENT_BIT(a))

/* supervisord's abstract types: a subscription to one is a subscription to every subclass. */
static const struct { const char *name; event_mask mask; } supertypes[] = {
	{ "EVENT", RANGE(0, EVENT_TYPE_MAX - 1) },
	{ "PROCESS_STATE", RANGE(EVENT_PROCESS_STATE_STOPPED, EVENT_PROCESS_STATE_UNKNOWN) },
	{ "PROCESS_LOG", RANGE(EVENT_PROCESS_LOG_STDOUT, EVENT_PROCESS_LOG_STDERR) },
	{ "SUPERVISOR_STATE_CHANGE", RANGE(EVENT_SUPERVISOR_STATE_CHANGE_RUNNING, EVENT_SUPERVISOR_STATE_CHANGE_STOPPING) },
	{ "TICK", RANGE(EVENT_TICK_5, EVENT_TICK_3600) },
	{ "PROCESS_GROUP", RANGE(EVENT_PROCESS_GROUP_ADDED, EVENT_PROCESS_GROUP_REMOVED) },
	{ "PROCESS_COMMUNICATION", RANGE(EVENT_PROCESS_COMMUNICATION_STDOUT, EVENT_PROCESS_COMMUNICATION_STDERR) },
};

const char *event_type_name(enum event_type t)
{
	return (unsigned) t < EVENT_TYPE_MAX ? names[t] : "?";
}

event_mask event_types_emitted(void)
{
	return EVENT_BIT(EVENT_PROCESS_COMMUNICATION_STDOUT) - 1;
}

static event_mask lookup(const char *name)
{
	for (size_t i = 0; i < EVENT_TYPE_MAX; i++)
		if (strcasecmp(name, names[i]) == 0)
			return EVENT_BIT(i);
	for (size_t i = 0; i < ELEMENTSOF(supertypes); i++)
		if (strcasecmp(name, supertypes[i].name) == 0)
			return supertypes[i].mask;
	return 0;
}

int event_types_parse(const char *s, event_mask *ret, char **ret_bad)
{
	/* supervisord's list_of_strings: split at commas, strip each */
	char **items = config_split_list(s, ",");
	event_mask m = 0;
	int r = 0;
	*ret_bad = NULL;
	for (char **i = items; i && *i; i++) {
		event_mask one = lookup(*i);
		if (!one) {
			*ret_bad = xstrdup(*i);
			r = -EINVAL;
			break;
		}
		m |= one;
	}
	if (r == 0 && !items)
		r = -ENODATA;
	strv_free(items);
	if (r == 0)
		*ret = m;
	return r;
}
