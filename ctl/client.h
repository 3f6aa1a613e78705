/* droverctl's mq client: the private reply queue, sending a request, reassembling the reply. */
#ifndef DROVER_CTL_CLIENT_H
#define DROVER_CTL_CLIENT_H

#include <mqueue.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct client {
	char instance[40];
	char ctl_name[64];                 /* "/NAME.ctl" */
	char reply_name[PROTO_NAME_MAX];   /* "/NAME.reply.PID.RANDOM" */
	mqd_t ctl;                         /* (mqd_t) -1 when closed */
	mqd_t reply;
	size_t req_cap;                    /* request bound: the control queue's mq_msgsize */
	size_t reply_msgsize;              /* our reply queue's mq_msgsize */
	uint8_t *req_buf;
	uint8_t *reply_buf;
	uid_t daemon_uid;                  /* owner of the control queue: droverd's user */
	bool failed_reply;                 /* client_open failed creating the reply queue */
	bool failed_owner;                 /* ... or handing it to daemon_uid (we are not root) */
};

/* Open /NAME.ctl and create the reply queue (O_EXCL, 0600; unlinked by client_close and by the
 * fatal-signal handler). droverd writes our replies with its own identity, which is the control
 * queue's owner: when that is another non-root user, the reply queue is given to it (fchown; we
 * keep reading through the descriptor we hold), which only root can do. Returns 0 or -errno:
 * -ENOENT no daemon, -EACCES not allowed, -EPROTO a queue's message size is unusable, -EPERM
 * (failed_owner) droverd runs as another user and we are not root; failed_reply tells that the
 * reply queue failed. */
int client_open(struct client *c, const char *instance);

/* One request: send before send_deadline_ns (CLOCK_MONOTONIC; a full control queue until then
 * is -EBUSY), then receive until the reply with our id is complete or reply_deadline_ns passes. Returns 0 (ret filled; its result may be < 0) or
 * -EBUSY (the control queue stayed full), -ETIMEDOUT (no reply), -ECONNRESET (the daemon went
 * away while we waited: its queue vanished or was recreated), -EMSGSIZE (the request does not fit one message), -EPROTO (another protocol
 * version answered), -EBADMSG (malformed reply), other -errno. */
int client_call(struct client *c, uint16_t type, uint32_t arg1, uint32_t arg2,
                size_t nargs, const char *const *args, uint64_t send_deadline_ns, uint64_t reply_deadline_ns,
                struct proto_reply *ret);

/* Close both queues and unlink ours. Accepts a never-opened (zeroed) client; idempotent. */
void client_close(struct client *c);

/* Paths the fatal-signal handler removes before re-raising: the reply queue (client.c) and the
 * tail FIFO and its directory (cmd-tail.c). Register before creating, unregister after removing. */
void cleanup_install_handlers(void);
/* Block the fatal signals around "create + register" so no signal sees one without the other. */
void cleanup_block_signals(sigset_t *old);
void cleanup_restore_signals(const sigset_t *old);
void cleanup_set_fifo(const char *fifo, const char *dir);
void cleanup_clear_fifo(void);

/* Random bits from getrandom() (falling back to time and pid if the kernel refuses). */
uint64_t client_random_u64(void);

#endif
