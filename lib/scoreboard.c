/* Scoreboard helpers shared by droverd and libdrover: object set-up and check, the writers' lock,
 * checksum, seqlock, validation. No I/O. */
#include "scoreboard.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "util.h"

int sb_object_init(void *base, uint32_t slot, pid_t daemon_pid)
{
	struct sb_header *h = sb_object_header(base);
	pthread_mutexattr_t a;
	int r;

	memset(base, 0, SB_HEADER_SIZE + SB_SLOT_SIZE + SB_LOCK_SIZE);
	h->magic = SB_MAGIC;
	h->version = SB_LAYOUT_VERSION;
	h->header_size = SB_HEADER_SIZE;
	h->slot_size = SB_SLOT_SIZE;
	h->object_size = SB_OBJECT_SIZE;
	h->slot = slot;
	h->daemon_pid = (int32_t) daemon_pid;
	if ((r = pthread_mutexattr_init(&a)) != 0)
		return -r;
	if ((r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) == 0 &&
	    (r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0)
		r = pthread_mutex_init(&sb_object_lock(base)->mutex, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

int sb_header_check(const struct sb_header *h, size_t object_size, uint32_t slot)
{
	if (object_size != SB_OBJECT_SIZE || h->magic != SB_MAGIC)
		return -EBADMSG;
	if (h->version != SB_LAYOUT_VERSION)
		return -EPROTO;
	if (h->header_size != SB_HEADER_SIZE || h->slot_size != SB_SLOT_SIZE || h->object_size != SB_OBJECT_SIZE ||
	    h->slot != slot)
		return -EBADMSG;
	return 0;
}

int sb_lock(struct sb_lock *l)
{
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += SB_LOCK_TIMEOUT_MS * 1000000L;
	dl.tv_sec += dl.tv_nsec / 1000000000L;
	dl.tv_nsec %= 1000000000L;
	int r = pthread_mutex_clocklock(&l->mutex, CLOCK_MONOTONIC, &dl);
	if (r == EOWNERDEAD) {
		/* The holder died, perhaps mid-update: the latch gives the next writer a whole copy
		 * to start from, so the data needs no repair beyond what sb_write_begin does. */
		r = pthread_mutex_consistent(&l->mutex);
		if (r != 0)
			pthread_mutex_unlock(&l->mutex);
	}
	return -r;
}

void sb_unlock(struct sb_lock *l)
{
	(void) pthread_mutex_unlock(&l->mutex);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t sb_checksum(const struct sb_worker *w, uint32_t index)
{
	_Static_assert(sizeof(*w) % 8 == 0, "checksum reads whole words");
	uint64_t words[sizeof(*w) / 8];
	uint64_t a = 0x9e3779b97f4a7c15ULL, b = 0, c = 0, d = 0;
	size_t i = 0, n = sizeof(words) / sizeof(words[0]);

	memcpy(words, w, sizeof(words));   /* no aliasing games; the compiler reads in place */
	for (; i + 4 <= n; i += 4) {
		a += words[i];
		b += words[i + 1];
		c += words[i + 2];
		d += words[i + 3];
	}
	for (; i < n; i++)
		a += words[i];
	uint64_t h = a + rotl64(b, 17) + rotl64(c, 31) + rotl64(d, 47) + index;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

struct sb_worker *sb_write_begin(struct sb_slot *s)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if (seq & 1) {
		/* A writer died after its flip: readers are on copy[1], which is whole. */
		memcpy(&s->copy[0], &s->copy[1], sizeof(s->copy[0]));
		__atomic_thread_fence(__ATOMIC_RELEASE);
		return &s->copy[0].w;
	}
	/* Readers are on copy[0]: make copy[1] the current state, then move them there. */
	memcpy(&s->copy[1], &s->copy[0], sizeof(s->copy[1]));
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
	/* the flip is visible before any store to copy[0] (smp_wmb) */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return &s->copy[0].w;
}

void sb_write_end(struct sb_slot *s, uint32_t index)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	s->copy[0].checksum = sb_checksum(&s->copy[0].w, index);
	/* data and checksum before the flip back */
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
}

void sb_worker_reset(struct sb_worker *w, uint32_t gen)
{
	memset(w, 0, sizeof(*w));
	w->wgen = gen;
}

int sb_slot_read(const struct sb_slot *s, struct sb_snapshot *ret)
{
	for (int i = 0; i < SB_READ_TRIES; i++) {
		uint32_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		memcpy(&ret->c, &s->copy[s1 & 1], sizeof(ret->c));
		/* the copy completes before seq is read again (smp_rmb) */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint32_t s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
			ret->seq = s1;
			ret->generation = __atomic_load_n(&s->generation, __ATOMIC_RELAXED);
			ret->pid = __atomic_load_n(&s->pid, __ATOMIC_RELAXED);
			ret->state = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
			return 0;
		}
		cpu_relax();
	}
	return -EAGAIN;
}

int sb_view_from_copy(const struct sb_snapshot *snap, uint32_t index, uint32_t gen, uint64_t now_ns,
                      struct sb_view *ret)
{
	const struct sb_worker *w = &snap->c.w;
	struct sb_view v;

	if (w->wgen == 0 || gen == 0)
		return -ENODATA;   /* fresh, rebuilt or repaired: nothing reported */
	if (snap->c.checksum != sb_checksum(w, index))
		return -EBADMSG;
	if (w->wgen != gen)
		return -ENODATA;   /* consistent data of an older incarnation */
	if ((w->flags & ~SB_F_ALL) || w->ncounters > SB_COUNTERS || w->reserved != 0)
		return -EBADMSG;
	if (w->heartbeat_ns > now_ns + SB_HEARTBEAT_SKEW_NS)
		return -EBADMSG;
	memset(&v, 0, sizeof(v));
	v.ready = w->flags & SB_F_READY;
	v.busy = w->flags & SB_F_BUSY;
	v.have_heartbeat = w->heartbeat_ns != 0;
	v.heartbeat_ns = w->heartbeat_ns;
	for (size_t i = 0; i < SB_STATUS_MAX - 1 && w->status[i]; i++) {
		unsigned char c = (unsigned char) w->status[i];
		v.status[i] = c < 0x20 || c == 0x7f ? '?' : (char) c;
	}
	v.ncounters = w->ncounters;
	memcpy(v.counters, w->counters, sizeof(v.counters));
	*ret = v;
	return 0;
}
