/* The scoreboard: the shared-memory layout droverd and its workers (libdrover) agree on, and the
 * pure helpers both sides use (validation, seqlock read and write, checksum). No I/O here.
 *
 * OBJECTS (instance NAME)
 *   /NAME.scoreboard   POSIX shm, created by droverd (O_EXCL), sized sb_size(nslots).
 *   /NAME.sb.K         one named POSIX semaphore per slot K (value 1 = free), created by droverd.
 *   Owner droverd's uid, mode 0600. Workers that run as another `user` get a POSIX ACL entry
 *   user:UID:rw on the shm (every configured user) and on their own slot's semaphore (their
 *   user only); the mode's group bits then show the ACL mask (0660), "other" stays 0: nothing
 *   is world-writable, and no descriptor crosses exec (a worker has only 0, 1, 2).
 *
 * LAYOUT (version SB_LAYOUT_VERSION; all integers host-endian, the file never leaves the host)
 *   offset 0     struct sb_header (256 bytes)
 *   offset 256   struct sb_slot[nslots] (512 bytes each, 64-byte aligned: 8 cache lines)
 *   A slot is the process's scoreboard slot (struct process.slot): kept across restarts and
 *   reloads; a reload that adds processes grows the object in place (same inode, so the
 *   mappings of running workers stay valid); it never shrinks while droverd runs.
 *
 * WHO WRITES WHAT
 *   droverd: the header, and per slot `generation` (bumped before every spawn, i.e. before the
 *   child exists), `pid` and `state` (informational only: droverd never acts on a pid it reads
 *   here; it signals only pids from its own process table).
 *   worker (libdrover, `droverctl report`): everything from `lock_owner` on, its own slot only,
 *   and only while slot.generation == its DROVER_GENERATION (a write from an older incarnation,
 *   e.g. a straggling child, is refused with -ESTALE). The worker data carries the generation
 *   that wrote it (`w.wgen`): droverd ignores worker data whose wgen is not the process's
 *   current generation (its own counter, not the slot's), so leftovers of an old incarnation are
 *   never shown; the first write of a new incarnation clears them.
 *
 * LOCK PROTOCOL (writers only; readers never lock)
 *   Writers of one slot (the worker's threads, its children, `droverctl report`) serialise on
 *   the slot's semaphore /NAME.sb.K:
 *     sem_trywait, else sem_clockwait(CLOCK_MONOTONIC, now + SB_LOCK_TIMEOUT_MS) -> -ETIMEDOUT
 *     lock_owner = own pid                        (recorded holder)
 *     sb_write_begin / change copy[0] / sb_write_end (the latch below)
 *     lock_owner = 0; sem_post
 *   The worker data is a sequence-counted latch (Linux's seqcount_latch): two copies, and the
 *   counter's low bit says which one readers take. At rest (seq even) readers take copy[0].
 *     begin: seq even: copy[1] = copy[0] (readers are on copy[0]); seq += 1 (odd: readers move
 *            to copy[1], the current state). seq odd (a writer died after its flip): copy[0] =
 *            copy[1] (readers are on copy[1]) and go on from there.
 *     change copy[0].w; copy[0].checksum = sb_checksum(&copy[0].w, index)
 *     end:   seq += 1 (even: readers take the new copy[0])
 *   So a reader always has a copy nobody is writing: a writer preempted (or SIGSTOPped, or
 *   killed) anywhere in its update never makes a reader retry or fail, and a dead writer leaves
 *   consistent data behind (the copy readers take is whole; the next writer repairs the other).
 *   Granularity: one semaphore per slot, chosen by measurement (bench/sb-update.c on the 2-core
 *   build VM, best of 3 runs while other builds ran, ns per drover_status("req %ld") +
 *   drover_count(0, 1), i.e. two locked updates and one vsnprintf):
 *     1 worker                                          102 ns
 *     2 workers on 2 cores, a semaphore per slot        103 ns  (nothing shared: scales)
 *     2 workers on 2 cores, one shared semaphore        670 ns  (what a lock stripe shared by
 *                                                      two busy slots costs: the semaphore's
 *                                                      cache line bounces, waiters sleep)
 *   (an uncontended sem_trywait+sem_post pair is ~10 ns here; vsnprintf is the largest part.)
 *   Per slot also makes recovery local: only the slot's own processes ever use its lock, so a
 *   holder's death can stall nobody else. The price is one small file per slot in /dev/shm.
 *
 * READERS (droverd: status, readiness, heartbeat sweep) copy copy[seq & 1] out and accept it when
 * seq did not change meanwhile (sb_slot_read: bounded retries, never waits), then validate the
 * copy (checksum, generation, ranges; the status line is NUL-terminated and control characters
 * replaced, whatever the writer left there). Everything read is untrusted: a worker can write
 * any bytes anywhere in the object. A slot that fails validation is shown as invalid (and
 * logged, rate-limited); droverd restores its own fields (generation, pid, state) when it finds
 * them overwritten, and the worker's next write heals the rest.
 *
 * RECOVERY
 *   Holder death: when droverd reaps the slot's worker X (its own child, pid from its own
 *   table) it looks at the slot's semaphore: value 0 and lock_owner == X -> X died holding it:
 *   droverd repairs the slot (worker data invalidated through the latch) and posts the semaphore.
 *   Value 0 with any other owner (X died between sem_wait and recording itself, or a child of X
 *   still holds it): nobody legitimate can hold it any more (the generation is over), so the
 *   semaphore is replaced by a fresh one (unlink + create); a straggler keeps the old inode.
 *   Never on a timeout alone: a SIGSTOPped holder is alive and keeps its lock.
 *   Truncation: a worker can ftruncate() the shm or a semaphore. droverd maps both but guards
 *   its accesses with a SIGBUS handler that puts anonymous memory over the faulting mapping
 *   (the technique of Wayland compositors for client shm), watches /dev/shm with inotify
 *   (ftruncate raises IN_MODIFY; workers' stores through the mapping raise nothing, so an idle
 *   scoreboard costs no wakeups), and rebuilds in place at once: size restored (same inode),
 *   header and lifecycle fields rewritten, a semaphore re-initialised. Other workers that touch
 *   the object while it is truncated die of SIGBUS and are restarted like any crashed worker.
 */
#ifndef DROVER_SCOREBOARD_H
#define DROVER_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Internal to drover: not part of libdrover.so's interface (only DROVER_API symbols are). */
#pragma GCC visibility push(hidden)

#define SB_MAGIC            0x42535244u   /* "DRSB" */
#define SB_LAYOUT_VERSION   1             /* bump on ANY change of the structs below */
#define SB_HEADER_SIZE      256
#define SB_SLOT_SIZE        512
#define SB_SLOTS_MAX        65536
#define SB_STATUS_MAX       128           /* bytes including the NUL (== PROTO_STATUS_LINE_MAX) */
#define SB_COUNTERS         8             /* == PROTO_COUNTERS_MAX */
#define SB_LOCK_TIMEOUT_MS  100           /* a worker never waits longer for its slot's lock */
#define SB_READ_TRIES       64            /* latch read attempts before giving up (no waiting) */
#define SB_HEARTBEAT_SKEW_NS (50ULL * 1000000)   /* a heartbeat this far in the future is garbage */

/* w.flags */
#define SB_F_READY   0x1u
#define SB_F_BUSY    0x2u
#define SB_F_ALL     (SB_F_READY | SB_F_BUSY)

struct sb_header {
	uint32_t magic;            /* SB_MAGIC */
	uint16_t version;          /* SB_LAYOUT_VERSION */
	uint16_t header_size;      /* SB_HEADER_SIZE */
	uint32_t slot_size;        /* SB_SLOT_SIZE */
	uint32_t nslots;           /* slots that exist (the object is at least sb_size(nslots)) */
	int32_t daemon_pid;
	uint32_t reserved0;
	uint64_t epoch;            /* bumped at every rebuild */
	uint8_t reserved[SB_HEADER_SIZE - 32];
};

/* The worker's part, covered by the checksum. */
struct sb_worker {
	uint32_t wgen;             /* generation that wrote this data; 0 = none */
	uint32_t flags;            /* SB_F_* */
	uint32_t ncounters;        /* counters in use: highest index written + 1, <= SB_COUNTERS */
	uint32_t reserved;
	uint64_t heartbeat_ns;     /* CLOCK_MONOTONIC of the last heartbeat (or ready); 0 = none */
	uint64_t counters[SB_COUNTERS];
	char status[SB_STATUS_MAX];
};

struct sb_copy {
	struct sb_worker w;
	uint64_t checksum;         /* sb_checksum(&w, slot index) */
};

struct sb_slot {
	/* droverd */
	uint32_t generation;       /* bumped before every spawn */
	int32_t pid;               /* informational */
	uint32_t state;            /* enum proc_state, informational */
	/* worker */
	int32_t lock_owner;        /* pid holding the slot's semaphore, 0 = none */
	uint32_t seq;              /* latch counter: readers take copy[seq & 1] */
	uint32_t reserved1;
	uint64_t reserved2;
	struct sb_copy copy[2];
	uint8_t reserved3[32];
} __attribute__((aligned(64)));

/* What a reader copies out of a slot. */
struct sb_snapshot {
	uint32_t generation, state, seq;
	int32_t pid, lock_owner;
	struct sb_copy c;
};

_Static_assert(sizeof(struct sb_header) == SB_HEADER_SIZE, "scoreboard header ABI");
_Static_assert(sizeof(struct sb_worker) == 216, "scoreboard worker data ABI");
_Static_assert(sizeof(struct sb_copy) == 224, "scoreboard worker copy ABI");
_Static_assert(sizeof(struct sb_slot) == SB_SLOT_SIZE, "scoreboard slot ABI");
_Static_assert(offsetof(struct sb_slot, seq) == 16, "scoreboard slot ABI");
_Static_assert(offsetof(struct sb_slot, copy) == 32, "scoreboard slot ABI");
_Static_assert(offsetof(struct sb_slot, copy[1]) == 256, "scoreboard slot ABI");
_Static_assert(SB_HEADER_SIZE % 64 == 0, "slots stay cache-line aligned");

/* Bytes of a scoreboard with nslots slots. */
static inline size_t sb_size(uint32_t nslots)
{
	return SB_HEADER_SIZE + (size_t) nslots * SB_SLOT_SIZE;
}

static inline struct sb_slot *sb_slot_at(void *base, uint32_t index)
{
	return (struct sb_slot *) ((char *) base + SB_HEADER_SIZE + (size_t) index * SB_SLOT_SIZE);
}

/* Object names: "/NAME.scoreboard", "/NAME.sb.K". -ENAMETOOLONG / -EINVAL (bad instance name). */
int sb_shm_name(char *buf, size_t size, const char *instance);
int sb_sem_name(char *buf, size_t size, const char *instance, uint32_t slot);

void sb_header_init(struct sb_header *h, uint32_t nslots, pid_t daemon_pid, uint64_t epoch);
/* A copy of a header read from an object of file_size bytes: 0, -EBADMSG (not a scoreboard,
 * or sizes that do not fit the file), -EPROTO (another layout version). */
int sb_header_check(const struct sb_header *h, size_t file_size);

/* Checksum of the worker data of slot index (the index is mixed in: a slot copied over another
 * does not validate). Cheap: 27 words, 4 independent lanes. */
uint64_t sb_checksum(const struct sb_worker *w, uint32_t index);

/* Latch writer (the caller holds the slot's semaphore): begin returns the worker data to change
 * (copy[0], readers are on copy[1] meanwhile); end checksums it and moves readers to it. */
struct sb_worker *sb_write_begin(struct sb_slot *s);
void sb_write_end(struct sb_slot *s, uint32_t index);
/* Start the worker data of generation gen (clears what an older incarnation left). */
void sb_worker_reset(struct sb_worker *w, uint32_t gen);

/* Latch reader: snapshot slot s without locking. 0, or -EAGAIN when writers kept flipping the
 * latch under every one of SB_READ_TRIES attempts (never because one stopped mid-update). */
int sb_slot_read(const struct sb_slot *s, struct sb_snapshot *ret);

/* What droverd shows of a slot copy, validated. */
struct sb_view {
	bool ready, busy;
	bool have_heartbeat;
	uint64_t heartbeat_ns;
	char status[SB_STATUS_MAX];       /* NUL-terminated, control characters replaced by '?' */
	uint32_t ncounters;
	uint64_t counters[SB_COUNTERS];
};
/* Validate a copy for the incarnation gen of slot index at CLOCK_MONOTONIC now_ns:
 * 0 (view filled), -ENODATA (no data of this incarnation yet: wgen 0 or a consistent copy of an
 * older incarnation; nothing reported, not an error), -EBADMSG (checksum mismatch, flags,
 * counters or heartbeat out of range: garbage). Order: wgen 0, checksum, wgen, ranges. */
int sb_view_from_copy(const struct sb_snapshot *snap, uint32_t index, uint32_t gen, uint64_t now_ns,
                      struct sb_view *ret);

#pragma GCC visibility pop

#endif
