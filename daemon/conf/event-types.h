/* supervisord's event types, as an [eventlistener:x] names them in `events =`: the concrete types
 * drover can emit and those it never does (accepted, as supervisord accepts them), and the abstract
 * supertypes that stand for several (PROCESS_STATE, TICK, EVENT...). Pure (event-types.c). */
#ifndef DROVER_EVENT_TYPES_H
#define DROVER_EVENT_TYPES_H

#include <stdbool.h>
#include <stdint.h>

enum event_type {
	EVENT_PROCESS_STATE_STOPPED,
	EVENT_PROCESS_STATE_EXITED,
	EVENT_PROCESS_STATE_STARTING,
	EVENT_PROCESS_STATE_STOPPING,
	EVENT_PROCESS_STATE_BACKOFF,
	EVENT_PROCESS_STATE_FATAL,
	EVENT_PROCESS_STATE_RUNNING,
	EVENT_PROCESS_STATE_UNKNOWN,
	EVENT_PROCESS_LOG_STDOUT,
	EVENT_PROCESS_LOG_STDERR,
	EVENT_SUPERVISOR_STATE_CHANGE_RUNNING,
	EVENT_SUPERVISOR_STATE_CHANGE_STOPPING,
	EVENT_TICK_5,
	EVENT_TICK_60,
	EVENT_TICK_3600,
	EVENT_PROCESS_GROUP_ADDED,
	EVENT_PROCESS_GROUP_REMOVED,
	/* supervisord's, never emitted by drover (capture mode, its XML-RPC interface) */
	EVENT_PROCESS_COMMUNICATION_STDOUT,
	EVENT_PROCESS_COMMUNICATION_STDERR,
	EVENT_REMOTE_COMMUNICATION,
	EVENT_TYPE_MAX
};
_Static_assert(EVENT_TYPE_MAX <= 32, "an event mask is 32 bits");

typedef uint32_t event_mask;
#define EVENT_BIT(t) ((event_mask) 1 << (t))

/* The name a listener reads in the header's eventname: ("PROCESS_STATE_RUNNING"). */
const char *event_type_name(enum event_type t);
/* The types drover emits. */
event_mask event_types_emitted(void);

/* One name of `events =`, concrete or abstract, any case: its types, 0 when unknown. */
event_mask event_type_lookup(const char *name);

#endif
