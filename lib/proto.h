/* The droverctl <-> droverd wire format: pure encode/decode/validate, no I/O, fuzzable.
 *
 * Every message, request or reply, is one POSIX mq message:
 *
 *   offset size  field
 *   0      4     magic        PROTO_MAGIC, little-endian
 *   4      2     version      PROTO_VERSION
 *   6      2     type         enum proto_type (replies: request type | PROTO_REPLY_BIT)
 *   8      4     request id   chosen by the client, echoed in every reply fragment
 *   12     2     flags        PROTO_F_MORE: another fragment of this reply follows
 *   14     2     fragment     0, 1, 2 ... in order (replies larger than one message are split)
 *   16     4     payload length (bytes after the header; must equal what was received)
 *   20     4     reserved, must be 0
 *
 * All integers are little-endian; strings are u32 length + bytes (no NUL on the wire, and a
 * NUL inside one is invalid). Request payload (always one message):
 *
 *   str reply_queue   "/NAME.reply.PID.RANDOM" (see proto_reply_queue_name_valid)
 *   u32 arg1          per type: signal number (SIGNAL), target (WAIT), lines (TAIL), flags
 *   u32 arg2          per type: wait deadline in ms (START/STOP/RESTART/WAIT), stream (TAIL)
 *   u32 nargs         <= PROTO_ARGS_MAX
 *   str args[nargs]   patterns, or a FIFO path (TAIL follow)
 *
 * Reply payload (fragments concatenated in order, then decoded once):
 *
 *   i32 result        0, or -errno when the request as a whole failed (then no records)
 *   str message       data, not wording: daemon version and pid, tail bytes, the config errors
 *                     of a refused reload (FILE:LINE lines of the config reader)
 *   u32 nrecords
 *   records           each a struct proto_status (STATUS, PID), struct proto_avail (AVAIL) or
 *                     struct proto_result (the others)
 *   u32 nunmatched    <= PROTO_ARGS_MAX
 *   u16 unmatched[]   indexes of the request's patterns that matched no process, increasing
 *
 * The daemon sends codes and states, never sentences about them: droverctl alone turns a
 * result code into the words users read (ctl/output.c).
 *
 * Result codes of a struct proto_result (START, STOP, RESTART, SIGNAL, WAIT):
 *   0            done: the wanted state was reached (state says which), or the signal was sent
 *   -EINPROGRESS the action was taken and not waited for (request arg2 == 0)
 *   -EALREADY    START: already started (STARTING, RUNNING or BACKOFF)
 *   -ESRCH       STOP, SIGNAL: not running
 *   -EIO         START, RESTART: gave up; state says how (FATAL: spawn error, EXITED: abnormal
 *                termination, STOPPED: stopped meanwhile)
 *   -ETIMEDOUT   the wait deadline passed; state is where the process is
 *   -EIDRM       the process is removed by a reload (retiring), or was removed while waited for
 *   -ESHUTDOWN   droverd is shutting down: nothing is started any more
 *   -ECANCELED   droverd exited before the wait was over
 *   other -errno from the action itself (SIGNAL: kill failed)
 */
#ifndef DROVER_PROTO_H
#define DROVER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_MAGIC          0x31565244u   /* "DRV1" */
#define PROTO_VERSION        9             /* bump on ANY change of this file's wire format
                                              * (2: log_dropped; 3: result codes and states instead of
                                              * messages, unmatched patterns as indexes; 4: readiness and
                                              * liveness fields of a status record; 5: REREAD, UPDATE,
                                              * AVAIL, pattern index in status records, result flags;
                                              * 6: METRICS; 7: since and manual restarts in status
                                              * records, a result's reason, TAIL's line count; 8: TAIL
                                              * since; 9: status records carry only the fields a
                                              * process has, integers as LEB128) */
#define PROTO_HEADER_SIZE    24
#define PROTO_REPLY_BIT      0x8000u
#define PROTO_F_MORE         0x0001u
#define PROTO_ARGS_MAX       64
#define PROTO_NAME_MAX       256           /* process and queue names */
#define PROTO_STATUS_LINE_MAX 128
#define PROTO_COUNTERS_MAX   8
#define PROTO_MSG_MAX        8192          /* our queues never ask for larger messages */
#define PROTO_MSG_MIN        256           /* a queue whose mq_msgsize is below this is unusable */
#define PROTO_REPLY_MAX      (8u << 20)    /* a whole reassembled reply payload; < 65536 fragments of PROTO_MSG_MIN */

enum proto_type {
	PROTO_STATUS = 1,
	PROTO_START,
	PROTO_STOP,
	PROTO_RESTART,
	PROTO_SIGNAL,
	PROTO_PID,
	PROTO_RELOAD,
	PROTO_SHUTDOWN,
	PROTO_TAIL,
	PROTO_WAIT,
	PROTO_VERSION_REQ,
	PROTO_REREAD,                    /* the reload plan of the config file, applied to nothing */
	PROTO_UPDATE,                    /* apply the plan; args: groups (none: all) */
	PROTO_AVAIL,                     /* the processes of the config file, and whether they run */
	PROTO_METRICS,                   /* the metrics text in the message; arg1: PROTO_METRICS_* */
	PROTO_TYPE_MAX
};

/* METRICS arg1: the dialect of the text. */
#define PROTO_METRICS_PROMETHEUS   0u   /* the Prometheus text format 0.0.4 */
#define PROTO_METRICS_OPENMETRICS  1u   /* OpenMetrics 1.0.0 */

/* mq priorities: a stop overtakes a flood of status requests. */
enum proto_priority { PROTO_PRIO_QUERY = 0, PROTO_PRIO_START = 1, PROTO_PRIO_STOP = 2 };
unsigned proto_priority_of(enum proto_type t);
const char *proto_type_to_string(enum proto_type t);   /* "status", ..., NULL when out of range */

/* Whether a reply of this type carries action records (RELOAD, REREAD, UPDATE). */
bool proto_type_has_plan(enum proto_type t);

/* Process states, supervisord's names and numbers order. Shared by daemon, ctl and scoreboard. */
enum proc_state {
	PROC_STOPPED, PROC_STARTING, PROC_RUNNING, PROC_BACKOFF,
	PROC_STOPPING, PROC_EXITED, PROC_FATAL, PROC_UNKNOWN, PROC_STATE_MAX
};
const char *proc_state_to_string(enum proc_state s);   /* "RUNNING"; "UNKNOWN" when out of range */
int proc_state_from_string(const char *s);            /* case-insensitive; -EINVAL */

/* WAIT targets (arg1): a state, or one of these pseudo-targets used by start/stop/restart. */
#define PROTO_WAIT_STARTED  0x100u   /* RUNNING, or given up: FATAL / EXITED / STOPPED */
#define PROTO_WAIT_STOPPED  0x101u   /* not running: STOPPED / EXITED / FATAL */

struct proto_header {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t id;
	uint16_t flags;
	uint16_t fragment;
	uint32_t length;
	uint32_t reserved;
};

/* A decoded request. Strings point into strbuf, so the struct is self-contained. */
struct proto_request {
	uint16_t type;
	uint32_t id;
	uint32_t arg1, arg2;
	uint32_t nargs;
	const char *reply_queue;
	const char *args[PROTO_ARGS_MAX];
	char strbuf[PROTO_MSG_MAX];
};

/* How readiness (ready =) or liveness (health =) is checked; NONE: startsecs, or no liveness check. */
enum proto_check { PROTO_CHECK_NONE, PROTO_CHECK_SCOREBOARD, PROTO_CHECK_NOTIFY, PROTO_CHECK_TCP, PROTO_CHECK_HTTP,
                   PROTO_CHECK_EXEC, PROTO_CHECK_LOG, PROTO_CHECK_MAX };
const char *proto_check_to_string(enum proto_check c);   /* "none", "scoreboard", ... "log"; "?" */
enum proto_health { PROTO_HEALTH_NONE, PROTO_HEALTH_OK, PROTO_HEALTH_FAILED, PROTO_HEALTH_MAX };
#define PROTO_DETAIL_MAX 64
/* TAIL arg1: how many lines, as tail(1)'s -n (0: none; a follow then shows only what comes), or
 * everything droverd keeps. */
#define PROTO_TAIL_ALL   0xffffffffu
/* TAIL arg2 flags (with the stream, 0 stdout or 1 stderr, in the low byte): FOLLOW streams into the
 * FIFO named by args[1]; SINCE: only what came at or after the time in the next arg (args[1], or
 * args[2] after the FIFO: decimal milliseconds since the epoch). */
#define PROTO_TAIL_FOLLOW 0x100u
#define PROTO_TAIL_SINCE  0x200u

/* One process in a STATUS / PID reply. */
struct proto_status {
	char name[PROTO_NAME_MAX];       /* group:process as supervisorctl prints it */
	char group[PROTO_NAME_MAX];
	uint8_t state;                   /* enum proc_state */
	uint8_t flags;                   /* PROTO_ST_* */
	int32_t pid;                     /* 0 when not running */
	uint64_t uptime_ms;              /* RUNNING/STARTING: since spawn; else 0 */
	uint32_t restarts;
	int32_t exitstatus;              /* last exit: code >= 0, or -signal; valid with PROTO_ST_EXITED */
	uint64_t heartbeat_age_ms;       /* valid with PROTO_ST_HEARTBEAT */
	int64_t next_attempt_ms;         /* BACKOFF / FATAL with retry: ms until the next spawn; -1 none */
	char description[PROTO_NAME_MAX];/* "exit status 1", "Exited too quickly", "waiting for db", spawn error */
	char status_line[PROTO_STATUS_LINE_MAX];  /* the worker's own status line */
	uint8_t ncounters;
	uint64_t counters[PROTO_COUNTERS_MAX];
	uint64_t log_dropped;            /* bytes of output lost (log write failed, slow follower) */
	uint16_t pattern;                /* index of the request pattern that matched it first, or
	                                  * PROTO_PATTERN_NONE (no pattern given) */
	/* readiness and liveness */
	uint8_t ready_via;               /* enum proto_check that made it RUNNING (with PROTO_ST_READY_VIA;
	                                  * PROTO_CHECK_NONE then means startsecs) */
	uint8_t health_check;            /* enum proto_check of health =; NONE: no liveness check */
	uint8_t health_result;           /* enum proto_health: the last liveness check's result */
	uint8_t health_failures;         /* failed liveness checks in a row now */
	uint8_t health_failures_max;     /* health_failures of the config: the action is taken at this count */
	uint64_t ready_after_ms;         /* with PROTO_ST_READY_VIA: from the spawn to RUNNING */
	uint64_t health_age_ms;          /* health_result != NONE: since the last result */
	uint64_t health_latency_ms;      /* how long the last check took */
	uint64_t notify_dropped;         /* NOTIFY_SOCKET datagrams dropped (foreign sender, malformed...) */
	char ready_detail[PROTO_DETAIL_MAX];   /* last readiness probe result ("connection refused", "HTTP 200") */
	char health_detail[PROTO_DETAIL_MAX];  /* last liveness result ("HTTP 200", "timed out after 3.000 s") */
	uint64_t since_ms;               /* wall clock (ms since the epoch) when it entered its state */
	uint32_t restarts_manual;        /* spawns after the first a user's start or restart asked for
	                                  * (restarts: the others, those drover made on its own) */
};
#define PROTO_ST_READY      0x01
#define PROTO_ST_BUSY       0x02
#define PROTO_ST_HEARTBEAT  0x04
#define PROTO_ST_EXITED     0x08
#define PROTO_ST_SLOT_BAD   0x10     /* the worker's scoreboard slot held invalid data */
#define PROTO_ST_READY_VIA  0x20     /* ready_via and ready_after_ms tell how the current run became RUNNING */

enum proto_reload_action { RELOAD_ADDED, RELOAD_CHANGED, RELOAD_UPDATED, RELOAD_REMOVED, RELOAD_UNCHANGED, RELOAD_ACTION_MAX };
const char *proto_reload_action_to_string(enum proto_reload_action a);

#define PROTO_PATTERN_NONE 0xffffu
#define PROTO_ERRNO_MAX    4095       /* results are 0 or -1 .. -PROTO_ERRNO_MAX */

/* One process in a START/STOP/RESTART/SIGNAL/WAIT/RELOAD/REREAD/UPDATE reply. */
struct proto_result {
	char name[PROTO_NAME_MAX];       /* group:process as supervisorctl prints it */
	int32_t result;                  /* 0 or -errno: the result codes above; RELOAD...: 0 */
	uint8_t state;                   /* enum proc_state when answered (RELOAD...: PROC_UNKNOWN) */
	uint8_t action;                  /* RELOAD, REREAD, UPDATE: enum proto_reload_action; others: 0 */
	uint8_t flags;                   /* PROTO_RES_* */
	uint16_t pattern;                /* index of the request pattern that matched it first, or
	                                  * PROTO_PATTERN_NONE (RELOAD...) */
	char reason[PROTO_NAME_MAX];     /* -EIO, -ETIMEDOUT: why, as status's description says it
	                                  * ("Exited too quickly (exit status 2)", "waiting for db");
	                                  * with PROTO_RES_DEPENDANTS: the processes named there; else "" */
};
#define PROTO_RES_WAS_UP    0x01     /* STOP, RESTART: it was STARTING, RUNNING, BACKOFF or STOPPING
                                      * before the action (a restart stopped it first) */
#define PROTO_RES_OUTPUT    0x02     /* a worker of it ran: its output may tell more */
#define PROTO_RES_ERR_IN_OUT 0x04    /* its stderr goes to its stdout (redirect_stderr) */
#define PROTO_RES_DEPENDANTS 0x08    /* STOP: reason names processes that depend on it and still run */
#define PROTO_RES_ALL       (PROTO_RES_WAS_UP | PROTO_RES_OUTPUT | PROTO_RES_ERR_IN_OUT | PROTO_RES_DEPENDANTS)

/* One process of the config file in an AVAIL reply. */
struct proto_avail {
	char name[PROTO_NAME_MAX];       /* group:process */
	char group[PROTO_NAME_MAX];
	uint8_t flags;                   /* PROTO_AV_* */
	int32_t group_priority;
	int32_t priority;
};
#define PROTO_AV_IN_USE     0x01     /* in the running process table (else only in the file) */
#define PROTO_AV_AUTOSTART  0x02
#define PROTO_AV_ALL        (PROTO_AV_IN_USE | PROTO_AV_AUTOSTART)

/* A decoded reply: records are heap-allocated (status of 1000 processes); free with proto_reply_free. */
struct proto_reply {
	uint16_t type;                   /* the request type (without PROTO_REPLY_BIT) */
	int32_t result;
	char *message;                   /* NUL-terminated, may be "" */
	size_t message_len;
	uint32_t nrecords;
	struct proto_status *status;     /* STATUS, PID */
	struct proto_avail *avail;       /* AVAIL */
	struct proto_result *results;    /* the others */
	uint32_t nunmatched;
	uint16_t unmatched[PROTO_ARGS_MAX];  /* indexes of request patterns that matched nothing */
};
void proto_reply_free(struct proto_reply *r);

/* Header: encode into buf[PROTO_HEADER_SIZE]; decode validates size, magic, version, reserved,
 * and that header.length == len - PROTO_HEADER_SIZE. Returns 0 or -EBADMSG / -EPROTO (version). */
void proto_header_encode(uint8_t *buf, const struct proto_header *h);
int proto_header_decode(const uint8_t *buf, size_t len, struct proto_header *ret);

/* Requests. encode returns the message size or -EMSGSIZE when it does not fit in cap bytes.
 * decode validates everything (header, type range, string bounds, no NULs, no leftover bytes). */
ssize_t proto_request_encode(uint8_t *buf, size_t cap, uint16_t type, uint32_t id,
                             const char *reply_queue, uint32_t arg1, uint32_t arg2,
                             size_t nargs, const char *const *args);
int proto_request_decode(const uint8_t *buf, size_t len, struct proto_request *ret);
/* Best effort on a request proto_request_decode() rejected, so that the daemon can still send
 * an error reply: needs the magic and a well-formed reply_queue string right after the header
 * (its place never changes between protocol versions); any other field may be broken. Copies the
 * reply queue name into reply_queue[PROTO_NAME_MAX] and the raw header id and type. 0 or -EBADMSG. */
int proto_request_salvage(const uint8_t *buf, size_t len, uint32_t *ret_id, uint16_t *ret_type,
                          char reply_queue[PROTO_NAME_MAX]);

/* The reply queue name droverctl uses: "/INSTANCE.reply.PID.HEX" with a decimal PID and 8..32
 * hex digits. The daemon opens no other name. */
bool proto_reply_queue_name_valid(const char *name, const char *instance);

/* Reply building: a growable byte buffer holding the whole payload, then split into fragments. */
struct proto_buf {
	uint8_t *data;
	size_t len, cap;
};
void proto_buf_free(struct proto_buf *b);
void proto_reply_begin(struct proto_buf *b, int32_t result, const char *message, size_t message_len);
void proto_reply_add_status(struct proto_buf *b, const struct proto_status *s);
void proto_reply_add_result(struct proto_buf *b, const struct proto_result *res);
void proto_reply_add_avail(struct proto_buf *b, const struct proto_avail *av);
/* Once all records are added: patch nrecords in the payload and append the indexes of the
 * request patterns that matched nothing (increasing, each < PROTO_ARGS_MAX; NULL when none). */
void proto_reply_finish(struct proto_buf *b, uint32_t nrecords, size_t nunmatched, const uint16_t *unmatched);
/* Write fragment k (0-based) of payload into out[msgsize]; returns the message size and sets
 * *ret_more; returns 0 when k is past the end. */
size_t proto_reply_fragment(const struct proto_buf *payload, uint16_t type, uint32_t id,
                            size_t msgsize, uint16_t k, uint8_t *out, bool *ret_more);

/* Reassembly on the client: feed each received message; returns 1 when the reply is complete,
 * 0 when more fragments are expected, -errno on a bad, out-of-order or foreign fragment
 * (a fragment whose id differs is ignored: returns 0 and counts nothing). */
struct proto_assembler {
	uint32_t id;
	uint16_t type;
	uint16_t next_fragment;
	bool complete;                   /* the last fragment arrived: further ones are errors */
	struct proto_buf payload;
};
void proto_assembler_init(struct proto_assembler *a, uint32_t id, uint16_t type);
int proto_assembler_feed(struct proto_assembler *a, const uint8_t *msg, size_t len);
int proto_reply_decode(const struct proto_assembler *a, struct proto_reply *ret);
void proto_assembler_free(struct proto_assembler *a);

#endif
