/* Replies: the route to a client's reply queue, non-blocking sends, outboxes for the rest of a
 * reply that met a full queue, and their bounds. */
#ifndef DROVER_CTL_REPLY_H
#define DROVER_CTL_REPLY_H

#include <mqueue.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

/* An opened, checked reply queue. */
struct route {
	mqd_t mq;                        /* (mqd_t) -1 when closed */
	size_t msgsize;
	char name[PROTO_NAME_MAX];
};

/* Open the reply queue a request names, after checking that it is one of ours: a droverctl
 * reply queue name of this instance, existing (never created here), private (mode 0600) and,
 * when droverd runs as root, owned by the owner of the pid its name carries (a queue whose pid
 * is gone is its dead client's: it is removed, -ESRCH). 0 or -errno. */
int route_open(const char *name, struct route *rt);
void route_close(struct route *rt);
/* The client's pid, from the route's queue name; 0 when none. */
pid_t route_client_pid(const struct route *rt);

/* Send a whole reply; takes the route and the payload (both are released or handed to an
 * outbox). Never blocks: a queue full before the first fragment drops the reply; one that fills
 * up mid-way keeps the rest in an outbox, bounded in number, bytes, one per queue, and time. */
void reply_send(struct route *rt, uint16_t type, uint32_t id, struct proto_buf *payload);
/* A reply without records. */
void reply_simple(struct route *rt, uint16_t type, uint32_t id, int32_t result, const char *msg);

/* Drop every pending outbox (the server closes). */
void reply_drop_outboxes(void);

#endif
