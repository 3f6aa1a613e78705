/* The scoreboard: the shared-memory layout droverd and its workers (libdrover) agree on, and the
 * pure helpers both sides use (object set-up and check, the writers' lock, seqlock read and
 * write, checksum, validation). No I/O here.
 *
 * ONE OBJECT PER WORKER
 *   Before every spawn droverd creates the slot's object for the new incarnation: an unnamed
 *   memfd of SB_OBJECT_SIZE bytes, sealed against shrinking and growing (F_SEAL_SHRINK |
 *   F_SEAL_GROW | F_SEAL_SEAL: ftruncate() fails with EPERM, so no reader can ever fault on it).
 *   The worker gets it as descriptor SB_FD (DROVER_SCOREBOARD_FD=10 in its environment, with
 *   DROVER_SLOT and DROVER_GENERATION); droverd keeps only a mapping, no descriptor, and lets the
 *   object go when the worker is reaped. Nothing has a name: nothing in /dev/shm to open,
 *   truncate, replace or watch.
 *
 * ISOLATION (exactly)
 *   A process can write a slot only through its object. Who holds that object: the worker and
 *   its descendants (they inherit descriptor 10; one that did not, e.g. a child started with
 *   close_fds, reopens the worker's through /proc/PID/fd/10), and whoever the kernel lets into the
 *   worker's /proc/PID/fd: root and processes of the worker's own uid (which can also signal and
 *   ptrace it: Linux draws no line between processes of one uid). A worker of another uid cannot
 *   reach another worker's object at all: there is no name, and /proc/PID/fd of a process of
 *   another uid is refused. So across uids a worker writes only its own slot; within one uid, no
 *   worker writes another's slot through what it was given, only by going through the other's
 *   /proc/PID/fd, as it could go through ptrace. Whatever is in an object is still untrusted.
 *
 * LAYOUT (version SB_LAYOUT_VERSION; host-endian, the object never leaves the host)
 *   offset 0     struct sb_header (256 bytes): droverd's: magic, version, sizes, slot index
 *   offset 256   struct sb_slot (512 bytes, 64-byte aligned)
 *   offset 768   struct sb_lock (64 bytes): the writers' mutex
 *   (the rest of the page is unused)
 *
 * WHO WRITES WHAT
 *   droverd: the header (once, before the spawn), and in the slot `generation` (the
 *   incarnation's, 0 once it has ended), `pid` and `state` (informational: droverd never acts on
 *   anything it reads here; it signals only pids from its own process table).
 *   worker (libdrover, `droverctl report`): the rest of the slot, through the latch below, and
 *   only while slot.generation == its DROVER_GENERATION (a straggler of an ended incarnation gets
 *   -ESTALE). The worker data carries the generation that wrote it (`w.wgen`): droverd ignores
 *   worker data of another generation.
 *
 * LOCK PROTOCOL (writers only; readers never lock)
 *   Writers of one slot (the worker's threads, its children, `droverctl report`) serialise on
 *   the object's robust, process-shared mutex (sb_lock()): pthread_mutex_clocklock with a
 *   deadline SB_LOCK_TIMEOUT_MS ahead, then -ETIMEDOUT: no writer waits longer, whatever any other
 *   holder does (a SIGSTOPped holder keeps the lock; the others time out). A holder that dies
 *   releases it: the next writer gets EOWNERDEAD, marks the mutex consistent and goes on; the
 *   latch repairs whatever the dead one left half-written. Only processes holding the object can
 *   touch the mutex, so no worker can stall another's writers; droverd never locks at all.
 *   Within the lock:
 *     sb_write_begin / change copy[0] / sb_write_end (the latch)
 *   The worker data is a sequence-counted latch (Linux's seqcount_latch): two copies, and the
 *   counter's low bit says which one readers take. At rest (seq even) readers take copy[0].
 *     begin: seq even: copy[1] = copy[0] (readers are on copy[0]); seq += 1 (odd: readers move
 *            to copy[1], the current state). seq odd (a writer died after its flip): copy[0] =
 *            copy[1] (readers are on copy[1]) and go on from there.
 *     change copy[0].w; copy[0].checksum = sb_checksum(&copy[0].w, index)
 *     end:   seq += 1 (even: readers take the new copy[0])
 *   So a reader always has a copy nobody is writing: a writer preempted (or SIGSTOPped, or
 *   killed) anywhere in its update never makes a reader retry or fail, and a dead writer leaves
 *   consistent data behind.
 *
 * READERS (droverd: status, readiness, heartbeat sweep) copy copy[seq & 1] out and accept it when
 * seq did not change meanwhile (sb_slot_read: bounded retries, never waits), then validate the
 * copy (checksum, generation, ranges; the status line is NUL-terminated and control characters
 * replaced, whatever the writer left there). A slot that fails validation is shown as invalid
 * (and logged, rate-limited); droverd restores its own fields when it finds them overwritten, and
 * the worker's next write heals the rest.
 *
 * COST: one page (4 KiB) of shared memory and one mapping in droverd per live worker; a spawn
 * pays memfd_create, ftruncate, F_ADD_SEALS, mmap and close (a few microseconds); nothing is
 * created before the first spawn, and an idle scoreboard costs no wakeups.
 */
#ifndef DROVER_SCOREBOARD_H
#define DROVER_SCOREBOARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Internal to drover: not part of libdrover.so's interface (only DROVER_API symbols are). */
#pragma GCC visibility push(hidden)

#define SB_MAGIC            0x42535244u   /* "DRSB" */
#define SB_LAYOUT_VERSION   2             /* bump on ANY change of the structs below */
#define SB_HEADER_SIZE      256
#define SB_SLOT_SIZE        512
#define SB_LOCK_SIZE        64
#define SB_OBJECT_SIZE      4096          /* the memfd's size: one page */
#define SB_FD               10            /* the worker's descriptor of its object */
#define SB_FD_ENV           "DROVER_SCOREBOARD_FD"
#define SB_SLOTS_MAX        65536
#define SB_STATUS_MAX       128           /* bytes including the NUL (== PROTO_STATUS_LINE_MAX) */
#define SB_COUNTERS         8             /* == PROTO_COUNTERS_MAX */
#define SB_LOCK_TIMEOUT_MS  100           /* a writer never waits longer for its slot's lock */
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
	uint32_t object_size;      /* SB_OBJECT_SIZE */
	uint32_t slot;             /* the slot's index (mixed into the checksum) */
	int32_t daemon_pid;
	uint8_t reserved[SB_HEADER_SIZE - 24];
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
	uint32_t generation;       /* the incarnation's; 0 once it has ended */
	int32_t pid;               /* informational */
	uint32_t state;            /* enum proc_state, informational */
	/* worker */
	uint32_t reserved0;
	uint32_t seq;              /* latch counter: readers take copy[seq & 1] */
	uint32_t reserved1;
	uint64_t reserved2;
	struct sb_copy copy[2];
	uint8_t reserved3[32];
} __attribute__((aligned(64)));

/* The writers' lock (robust, process-shared; sb_lock()). */
struct sb_lock {
	union {
		pthread_mutex_t mutex;
		uint8_t raw[SB_LOCK_SIZE];
	};
} __attribute__((aligned(64)));

/* What a reader copies out of a slot. */
struct sb_snapshot {
	uint32_t generation, state, seq;
	int32_t pid;
	struct sb_copy c;
};

_Static_assert(sizeof(struct sb_header) == SB_HEADER_SIZE, "scoreboard header ABI");
_Static_assert(sizeof(struct sb_worker) == 216, "scoreboard worker data ABI");
_Static_assert(sizeof(struct sb_copy) == 224, "scoreboard worker copy ABI");
_Static_assert(sizeof(struct sb_slot) == SB_SLOT_SIZE, "scoreboard slot ABI");
_Static_assert(sizeof(struct sb_lock) == SB_LOCK_SIZE, "scoreboard lock ABI (pthread_mutex_t fits)");
_Static_assert(offsetof(struct sb_slot, seq) == 16, "scoreboard slot ABI");
_Static_assert(offsetof(struct sb_slot, copy) == 32, "scoreboard slot ABI");
_Static_assert(offsetof(struct sb_slot, copy[1]) == 256, "scoreboard slot ABI");
_Static_assert(SB_HEADER_SIZE + SB_SLOT_SIZE + SB_LOCK_SIZE <= SB_OBJECT_SIZE, "the object holds its parts");

static inline struct sb_header *sb_object_header(void *base)
{
	return (struct sb_header *) base;
}

static inline struct sb_slot *sb_object_slot(void *base)
{
	return (struct sb_slot *) ((char *) base + SB_HEADER_SIZE);
}

static inline struct sb_lock *sb_object_lock(void *base)
{
	return (struct sb_lock *) ((char *) base + SB_HEADER_SIZE + SB_SLOT_SIZE);
}

/* A fresh object (SB_OBJECT_SIZE bytes, zero) for slot index: header, slot, lock. droverd does
 * this before anyone else can see the object. 0 or -errno (the mutex could not be set up). */
int sb_object_init(void *base, uint32_t slot, pid_t daemon_pid);
/* A copy of an object's header read from an object of object_size bytes, expected for slot:
 * 0, -EBADMSG (not a scoreboard object, or another slot's), -EPROTO (another layout version). */
int sb_header_check(const struct sb_header *h, size_t object_size, uint32_t slot);

/* The writers' lock: 0 (held; a previous holder that died was recovered), -ETIMEDOUT after
 * SB_LOCK_TIMEOUT_MS, or another -errno (a lock broken beyond repair). */
int sb_lock(struct sb_lock *l);
void sb_unlock(struct sb_lock *l);

/* Checksum of the worker data of slot index (the index is mixed in: a slot copied over another
 * does not validate). Cheap: 27 words, 4 independent lanes. */
uint64_t sb_checksum(const struct sb_worker *w, uint32_t index);

/* Latch writer (the caller holds the lock): begin returns the worker data to change (copy[0],
 * readers are on copy[1] meanwhile); end checksums it and moves readers to it. */
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
