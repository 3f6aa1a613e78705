/* The messages between droverd and its spawn helper (a SOCK_SEQPACKET socket pair): a request
 * (what to run, with the child's descriptors attached), and the answers: STARTED (sent by the new
 * child itself, with its pidfd and the read end of its exec-status pipe) or FAILED (sent by the
 * helper: no child was made). Pure packing and checking: unit-tested. */
#ifndef DROVER_SPAWN_WIRE_H
#define DROVER_SPAWN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SPAWN_WIRE_MAGIC   0x44535057u     /* "DSPW" */
#define SPAWN_FDS_MAX      8               /* descriptors a request hands to its child */
/* A request longer than this travels in a memfd attached to it (a datagram must fit the
 * socket's buffer; an environment may not). */
#define SPAWN_INLINE_MAX   (32u * 1024)
#define SPAWN_PAYLOAD_MAX  (16u << 20)     /* bound on what a helper accepts in a memfd */
#define SPAWN_TEXT_MAX     240             /* a failure's description */

/* Where a spawn failed (stage of the failure record). */
enum spawn_stage { SPAWN_STAGE_REPORT, SPAWN_STAGE_ENVIRONMENT, SPAWN_STAGE_LOOKUP_USER, SPAWN_STAGE_COMMAND,
                   SPAWN_STAGE_FDS, SPAWN_STAGE_SETSID, SPAWN_STAGE_USER, SPAWN_STAGE_PDEATHSIG,
                   SPAWN_STAGE_UMASK, SPAWN_STAGE_CHDIR, SPAWN_STAGE_EXEC, SPAWN_STAGE_MAX };
const char *spawn_stage_to_string(enum spawn_stage s);

enum spawn_wire_type { SPAWN_WIRE_REQUEST = 1, SPAWN_WIRE_STARTED, SPAWN_WIRE_FAILED };

#define SPAWN_WIRE_DIR      0x1u   /* the payload carries a directory */
#define SPAWN_WIRE_USER     0x2u   /* ... a user */
#define SPAWN_WIRE_ENVFILE  0x4u   /* ... an environment_file list */
#define SPAWN_WIRE_MEMFD    0x8u   /* the payload is in the last descriptor attached (a memfd) */
#define SPAWN_WIRE_DAEMON_USER 0x10u  /* ... a daemon-wide user */

struct spawn_wire_head {
	uint32_t magic;
	uint32_t type;                    /* enum spawn_wire_type */
	uint32_t id;                      /* the request's, echoed by its answers */
	int32_t pid;                      /* STARTED: the child */
	int32_t err;                      /* FAILED: errno */
	int32_t umask;                    /* REQUEST: -1 = inherited */
	uint32_t flags;                   /* SPAWN_WIRE_* */
	uint32_t nargv, nenv;             /* REQUEST: strings in the payload */
	uint32_t nfds;                    /* descriptors attached, in order */
	int32_t target[SPAWN_FDS_MAX];    /* REQUEST: the number each attached descriptor gets in the child */
	uint32_t len;                     /* payload bytes (after the head, or in the memfd) */
};

/* A request, as droverd builds it and as the helper reads it back. */
struct spawn_wire_req {
	char *const *argv;                /* at least argv[0] */
	char *const *env;
	const char *directory, *user, *environment_file, *daemon_user;   /* NULL: none */
	int umask;
};

/* Head and payload of req: the payload is a new buffer (*ret, *ret_len). The descriptors are the
 * caller's business (nfds, target). 0 or -E2BIG (past SPAWN_PAYLOAD_MAX). */
int spawn_wire_pack(const struct spawn_wire_req *req, uint32_t id, struct spawn_wire_head *head, char **ret,
                    size_t *ret_len);
/* Read a request's payload back: argv and env point into payload (which must stay), in two new
 * NULL-terminated arrays the caller frees (spawn_wire_req_clear). 0 or -EBADMSG. */
int spawn_wire_unpack(const struct spawn_wire_head *head, const char *payload, size_t len, struct spawn_wire_req *ret);
void spawn_wire_req_clear(struct spawn_wire_req *req);

struct msghdr;
/* The descriptors a received message carried (SCM_RIGHTS), in order: the first max go to fds, any
 * more are closed at once. Returns how many fds holds. */
size_t spawn_wire_take_fds(struct msghdr *m, int *fds, size_t max);

#endif
