/* droverd's side of the scoreboard: one sealed memfd per worker incarnation, created before the
 * spawn, handed over as a descriptor, kept here as a mapping; owner fields; validated reads.
 * Layout, lock protocol and isolation: lib/scoreboard.h. Everything read from an object is
 * untrusted: it is copied out, validated, and never used to pick a process to act on (the
 * caller names the slot). droverd never takes an object's lock. */
#include "os/scoreboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/scoreboard.h"
#include "os/log.h"
#include "util.h"

_Static_assert(SB_STATUS_MAX == PROTO_STATUS_LINE_MAX, "status line sizes agree");
_Static_assert(SB_COUNTERS == PROTO_COUNTERS_MAX, "counter counts agree");

#define LOG_EVERY_NS (10ULL * NSEC_PER_SEC)

struct sb_entry {
	void *map;                  /* the live incarnation's object; NULL when none */
	struct sb_owner owner;      /* what droverd publishes in it */
	bool owned;                 /* a process owns the slot */
	/* The last valid copy of the worker data: shown while writers flip the latch under every read. */
	struct sb_view last;
	uint32_t last_gen;          /* 0 = none */
};

/* A message at most once per LOG_EVERY_NS; the ones in between are counted and mentioned. */
struct ratelimit {
	uint64_t last_ns;
	unsigned long suppressed;
};

static struct {
	bool open;
	pid_t daemon_pid;
	struct sb_entry *e;
	uint32_t nslots;
	struct ratelimit bad_log, fail_log;
	struct scoreboard_stats stats;
} sb;

static bool ratelimit_pass(struct ratelimit *rl, unsigned long *suppressed)
{
	uint64_t now = now_mono_ns();
	if (rl->last_ns && now - rl->last_ns < LOG_EVERY_NS) {
		rl->suppressed++;
		return false;
	}
	*suppressed = rl->suppressed;
	rl->last_ns = now;
	rl->suppressed = 0;
	return true;
}

static void slot_publish(struct sb_slot *s, const struct sb_owner *o)
{
	__atomic_store_n(&s->generation, o->generation, __ATOMIC_RELEASE);
	__atomic_store_n(&s->pid, (int32_t) o->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, o->state, __ATOMIC_RELAXED);
}

/* The incarnation is over: a writer still holding the object (a straggler of its tree) is told
 * so by generation 0 (-ESTALE), and droverd lets its mapping go (the object dies with the last
 * holder). */
static void object_drop(struct sb_entry *e)
{
	if (!e->map)
		return;
	__atomic_store_n(&sb_object_slot(e->map)->generation, 0, __ATOMIC_RELEASE);
	munmap(e->map, SB_OBJECT_SIZE);
	e->map = NULL;
	e->last_gen = 0;
	sb.stats.objects--;
}

/* A new object for slot k: memfd, sized, sealed (it can never shrink or grow), mapped, set up.
 * Its descriptor (>= 3: a spawn moves it to SB_FD after 0, 1, 2 are set) or -errno. */
static int object_create(uint32_t k, void **ret)
{
	int r, fd = memfd_create("drover-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (fd < 3) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		r = -errno;
		close(fd);
		if (high < 0)
			return r;
		fd = high;
	}
	if (ftruncate(fd, SB_OBJECT_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto fail;
	}
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	if ((r = sb_object_init(m, k, sb.daemon_pid)) < 0) {
		munmap(m, SB_OBJECT_SIZE);
		goto fail;
	}
	*ret = m;
	return fd;
fail:
	close(fd);
	return r;
}

static bool slot_ok(uint32_t k)
{
	return sb.open && k < sb.nslots;
}

int scoreboard_open(uint32_t nslots)
{
	if (nslots > SB_SLOTS_MAX) {
		log_error("scoreboard: %u processes: at most %d", nslots, SB_SLOTS_MAX);
		return -E2BIG;
	}
	sb.daemon_pid = getpid();
	sb.open = true;
	return scoreboard_resize(nslots);
}

void scoreboard_close(void)
{
	for (uint32_t k = 0; k < sb.nslots; k++)
		object_drop(&sb.e[k]);
	free(sb.e);
	sb.e = NULL;
	sb.nslots = 0;
	sb.open = false;
}

int scoreboard_resize(uint32_t nslots)
{
	if (!sb.open)
		return -ENOTCONN;
	if (nslots > SB_SLOTS_MAX) {
		log_error("scoreboard: %u processes: at most %d (new processes will not be able to report)",
		          nslots, SB_SLOTS_MAX);
		return -E2BIG;
	}
	if (nslots <= sb.nslots)
		return 0;
	sb.e = xrealloc(sb.e, nslots, sizeof(*sb.e));
	memset(sb.e + sb.nslots, 0, (nslots - sb.nslots) * sizeof(*sb.e));
	sb.nslots = nslots;
	return 0;
}

int scoreboard_slot_spawn(uint32_t k, const struct sb_owner *o)
{
	if (!slot_ok(k))
		return -ENOENT;
	struct sb_entry *e = &sb.e[k];
	object_drop(e);   /* a previous incarnation that never ran (its spawn failed) */
	e->owner = *o;
	e->owned = true;
	void *m = NULL;
	int fd = object_create(k, &m);
	if (fd < 0) {
		unsigned long suppressed;
		sb.stats.create_failed++;
		if (ratelimit_pass(&sb.fail_log, &suppressed))
			log_warn("scoreboard: no object for slot %u: %s; the worker runs without a scoreboard%s", k,
			         strerror(-fd), suppressed ? " (more such messages suppressed)" : "");
		return fd;
	}
	slot_publish(sb_object_slot(m), o);
	e->map = m;
	sb.stats.objects++;
	sb.stats.created++;
	return fd;
}

void scoreboard_slot_publish(uint32_t k, const struct sb_owner *o)
{
	if (!slot_ok(k))
		return;
	struct sb_entry *e = &sb.e[k];
	e->owner = *o;
	e->owned = true;
	if (!e->map)
		return;
	struct sb_slot *s = sb_object_slot(e->map);
	__atomic_store_n(&s->pid, (int32_t) o->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, o->state, __ATOMIC_RELAXED);
}

void scoreboard_slot_exit(uint32_t k)
{
	if (slot_ok(k))
		object_drop(&sb.e[k]);
}

void scoreboard_slot_release(uint32_t k)
{
	if (!slot_ok(k))
		return;
	object_drop(&sb.e[k]);
	sb.e[k].owned = false;
	sb.e[k].owner = (struct sb_owner) { 0 };
}

static void log_bad(uint32_t k, const struct log_subject *who)
{
	unsigned long suppressed;
	sb.stats.bad_reads++;
	if (!ratelimit_pass(&sb.bad_log, &suppressed))
		return;
	log_about(LOG_WARNING, who, "%s: scoreboard slot %u holds invalid data (failed validation); ignored%s",
	          who->name, k, suppressed ? " (more such messages suppressed)" : "");
}

/* The validated worker data of slot k's live incarnation: 0, -ENODATA (nothing reported),
 * -EBADMSG (garbage), -ENOENT (no object). When writers flip the latch under every attempt (a
 * tight loop of updates), the last valid copy of this incarnation stands in: never a wait. */
static int slot_view(uint32_t k, struct sb_view *v, uint64_t now)
{
	struct sb_snapshot snap;
	if (!slot_ok(k) || !sb.e[k].map || sb.e[k].owner.generation == 0)
		return -ENOENT;
	struct sb_entry *e = &sb.e[k];
	const struct sb_owner *o = &e->owner;
	struct sb_slot *s = sb_object_slot(e->map);
	int r = sb_slot_read(s, &snap);
	if (r < 0) {
		if (e->last_gen != o->generation)
			return -ENODATA;
		*v = e->last;
		return 0;
	}
	if (snap.generation != o->generation || snap.pid != o->pid || snap.state != o->state) {
		/* our fields were overwritten: restore them (the worker's writes need the generation) */
		slot_publish(s, o);
		sb.stats.restored++;
	}
	r = sb_view_from_copy(&snap, k, o->generation, now, v);
	if (r == 0) {
		e->last = *v;
		e->last_gen = o->generation;
	}
	return r;
}

int scoreboard_slot_view(uint32_t k, struct sb_view *v, uint64_t now)
{
	if (!sb.open)
		return -ENOENT;
	if (k < sb.nslots && sb.e[k].owner.pid <= 0)
		return -ENODATA;
	return slot_view(k, v, now);
}

void scoreboard_slot_status(uint32_t k, const struct log_subject *who, struct proto_status *s)
{
	struct sb_view v;
	uint64_t now = now_mono_ns();
	if (!slot_ok(k) || sb.e[k].owner.pid <= 0)
		return;
	int r = slot_view(k, &v, now);
	if (r == -EBADMSG) {
		s->flags |= PROTO_ST_SLOT_BAD;
		log_bad(k, who);
		return;
	}
	if (r < 0)
		return;
	if (v.ready)
		s->flags |= PROTO_ST_READY;
	if (v.busy)
		s->flags |= PROTO_ST_BUSY;
	if (v.have_heartbeat) {
		s->flags |= PROTO_ST_HEARTBEAT;
		s->heartbeat_age_ms = now > v.heartbeat_ns ? (now - v.heartbeat_ns) / NSEC_PER_MSEC : 0;
	}
	memcpy(s->status_line, v.status, sizeof(s->status_line));
	s->ncounters = (uint8_t) v.ncounters;
	memcpy(s->counters, v.counters, sizeof(s->counters));
}

const struct scoreboard_stats *scoreboard_get_stats(void)
{
	return &sb.stats;
}
