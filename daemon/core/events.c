/* Process state changes, published to subscribers; the settle step (see events.h). */
#include "core/events.h"

#include <stddef.h>

static struct events_subscriber *subscribers;
static struct ev_loop *settle_loop;
static ev_prepare settle_watch;

void events_subscribe(struct events_subscriber *s)
{
	struct events_subscriber **sp = &subscribers;
	while (*sp)
		sp = &(*sp)->next;
	s->next = NULL;
	*sp = s;
}

void events_unsubscribe(struct events_subscriber *s)
{
	for (struct events_subscriber **sp = &subscribers; *sp; sp = &(*sp)->next)
		if (*sp == s) {
			*sp = s->next;
			s->next = NULL;
			return;
		}
}

void events_state_changed(struct process *p, enum proc_state old)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->state_changed)
			s->state_changed(s->ctx, p, old);
	}
}

void events_pid_changed(struct process *p, pid_t old)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->pid_changed)
			s->pid_changed(s->ctx, p, old);
	}
}

void events_gone(struct process *p)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->gone)
			s->gone(s->ctx, p);
	}
}

void events_config_applied(const struct drover_config *cfg)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->config_applied)
			s->config_applied(s->ctx, cfg);
	}
}

void events_output(struct process *p, int stream, const char *data, size_t n)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->output)
			s->output(s->ctx, p, stream, data, n);
	}
}

void events_phase(enum events_phase phase)
{
	for (struct events_subscriber *s = subscribers, *next; s; s = next) {
		next = s->next;
		if (s->phase)
			s->phase(s->ctx, phase);
	}
}

/* Every round runs each settle callback once, in subscription order; a round in which one of
 * them acted may have recorded work for an earlier one, so another round follows. It ends:
 * each round acts only on what the previous one recorded, and every action moves a process
 * toward a state it then stays in until a timer, an exit or a request of a later iteration. */
void events_settle(void)
{
	bool acted;
	do {
		acted = false;
		for (struct events_subscriber *s = subscribers, *next; s; s = next) {
			next = s->next;
			if (s->settle && s->settle(s->ctx))
				acted = true;
		}
	} while (acted);
}

static void settle_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	events_settle();
}

void events_start(struct ev_loop *loop)
{
	settle_loop = loop;
	ev_prepare_init(&settle_watch, settle_cb);
	ev_prepare_start(loop, &settle_watch);
}

void events_stop(void)
{
	if (settle_loop)
		ev_prepare_stop(settle_loop, &settle_watch);
	settle_loop = NULL;
}
