/* libdrover: the worker side of the scoreboard (lib/drover.h). Locking and layout: lib/scoreboard.h. */
#include "drover.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scoreboard.h"
#include "util.h"

_Static_assert(DROVER_COUNTERS == SB_COUNTERS, "drover.h and scoreboard.h agree");
_Static_assert(DROVER_STATUS_MAX == SB_STATUS_MAX - 1, "drover.h and scoreboard.h agree");

#define RETRY_NS (1000ULL * 1000 * 1000)   /* a failed attach (environment present) is retried after 1 s */

/* attach_state: 0 = not tried, 1 = attached, < 0 = -errno of the last attempt. Published with
 * release after att is complete, so the fast path is one acquire load. attach_final: the error
 * cannot change (no or bad DROVER_* environment): never retried. Other errors (scoreboard not
 * there yet, being rebuilt) are retried at most once per second. */
static int attach_state;
static bool attach_final;
static uint64_t attach_failed_ns;
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static pid_t self_pid;   /* getpid() is a system call since glibc 2.25: cached, refreshed after fork */

static struct {
	struct sb_slot *slot;
	sem_t *sem;
	uint32_t index, gen;
} att;

static void atfork_child(void)
{
	__atomic_store_n(&self_pid, getpid(), __ATOMIC_RELAXED);
}

static void atfork_register(void)
{
	(void) pthread_atfork(NULL, NULL, atfork_child);
}

static int env_u32(const char *key, uint32_t min, uint32_t max, uint32_t *ret)
{
	const char *s = getenv(key);
	int64_t v;
	if (!s)
		return -ENOENT;
	if (parse_int64(s, min, max, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t) v;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Open the shm read-write, check the header with pread (a truncated object cannot hurt us
 * here), map up to the end of our slot, open our semaphore. */
static int do_attach(bool *ret_final)
{
	const char *instance = getenv("DROVER_NAME");
	char shm[64], semname[64];
	struct sb_header h;
	struct stat st;
	uint32_t index, gen;
	int fd, r;

	*ret_final = true;
	if (!instance)
		return -ENOENT;
	if ((r = env_u32("DROVER_SLOT", 0, SB_SLOTS_MAX - 1, &index)) < 0 ||
	    (r = env_u32("DROVER_GENERATION", 1, UINT32_MAX, &gen)) < 0)
		return r;
	if ((r = sb_shm_name(shm, sizeof(shm), instance)) < 0 ||
	    (r = sb_sem_name(semname, sizeof(semname), instance, index)) < 0)
		return r == -ENAMETOOLONG ? -EINVAL : r;
	*ret_final = false;

	fd = shm_open(shm, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	ssize_t n;
	do
		n = pread(fd, &h, sizeof(h), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t) sizeof(h)) {
		r = n < 0 ? -errno : -EBADMSG;
		goto out;
	}
	if ((r = sb_header_check(&h, (size_t) st.st_size)) < 0)
		goto out;
	if (index >= h.nslots) {
		r = -ERANGE;
		goto out;
	}
	size_t len = sb_size(index + 1);
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	sem_t *sem = sem_open(semname, 0);
	if (sem == SEM_FAILED) {
		r = -errno;
		munmap(map, len);
		goto out;
	}
	pthread_once(&atfork_once, atfork_register);
	__atomic_store_n(&self_pid, getpid(), __ATOMIC_RELAXED);
	att.slot = sb_slot_at(map, index);
	att.sem = sem;
	att.index = index;
	att.gen = gen;
	r = 0;
out:
	close(fd);
	return r;
}

/* 0 when attached; the cached error otherwise (-ENOENT outside droverd costs one load). */
static int attached(void)
{
	int st = __atomic_load_n(&attach_state, __ATOMIC_ACQUIRE);
	if (st == 1)
		return 0;
	if (st < 0 && (__atomic_load_n(&attach_final, __ATOMIC_RELAXED) || mono_ns() - attach_failed_ns < RETRY_NS))
		return st;

	pthread_mutex_lock(&attach_lock);
	st = __atomic_load_n(&attach_state, __ATOMIC_ACQUIRE);
	if (st != 1 && (st == 0 || (!attach_final && mono_ns() - attach_failed_ns >= RETRY_NS))) {
		bool final = false;
		int r = do_attach(&final);
		if (r < 0)
			attach_failed_ns = mono_ns();
		__atomic_store_n(&attach_final, final, __ATOMIC_RELAXED);
		st = r < 0 ? r : 1;
		__atomic_store_n(&attach_state, st, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&attach_lock);
	return st == 1 ? 0 : st;
}

static int slot_lock(void)
{
	if (sem_trywait(att.sem) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_nsec += SB_LOCK_TIMEOUT_MS * 1000000L;
		dl.tv_sec += dl.tv_nsec / 1000000000L;
		dl.tv_nsec %= 1000000000L;
		while (sem_clockwait(att.sem, CLOCK_MONOTONIC, &dl) < 0)
			if (errno != EINTR)
				return -errno;   /* ETIMEDOUT */
	}
	__atomic_store_n(&att.slot->lock_owner, (int32_t) __atomic_load_n(&self_pid, __ATOMIC_RELAXED),
	                 __ATOMIC_RELAXED);
	return 0;
}

static void slot_unlock(void)
{
	__atomic_store_n(&att.slot->lock_owner, 0, __ATOMIC_RELEASE);
	(void) sem_post(att.sem);
}

enum op { OP_READY, OP_HEARTBEAT, OP_BUSY, OP_IDLE, OP_STATUS, OP_COUNT };

/* One locked, seqlocked update of our slot. */
static int update(enum op op, unsigned index, uint64_t n, const char *text)
{
	int r = attached();
	if (r < 0)
		return r;
	uint64_t now = op == OP_READY || op == OP_HEARTBEAT ? mono_ns() : 0;
	if ((r = slot_lock()) < 0)
		return r;
	struct sb_slot *s = att.slot;
	if (__atomic_load_n(&s->generation, __ATOMIC_ACQUIRE) != att.gen) {
		slot_unlock();
		return -ESTALE;
	}
	struct sb_worker *w = sb_write_begin(s);
	if (w->wgen != att.gen)
		sb_worker_reset(w, att.gen);
	/* Whatever else scribbled here: keep what we publish in range. */
	w->flags &= SB_F_ALL;
	w->reserved = 0;
	if (w->ncounters > SB_COUNTERS)
		w->ncounters = SB_COUNTERS;
	switch (op) {
	case OP_READY:
		w->flags |= SB_F_READY;
		w->heartbeat_ns = now;
		break;
	case OP_HEARTBEAT:
		w->heartbeat_ns = now;
		break;
	case OP_BUSY:
		w->flags |= SB_F_BUSY;
		break;
	case OP_IDLE:
		w->flags &= ~SB_F_BUSY;
		break;
	case OP_STATUS: {
		size_t len = strnlen(text, SB_STATUS_MAX - 1);
		memcpy(w->status, text, len);
		memset(w->status + len, 0, SB_STATUS_MAX - len);
		break;
	}
	case OP_COUNT:
		w->counters[index] += n;
		if (w->ncounters < index + 1)
			w->ncounters = index + 1;
		break;
	}
	sb_write_end(s, att.index);
	slot_unlock();
	return 0;
}

DROVER_API int drover_attach(void)
{
	return attached();
}

DROVER_API int drover_ready(void)
{
	return update(OP_READY, 0, 0, NULL);
}

DROVER_API int drover_heartbeat(void)
{
	return update(OP_HEARTBEAT, 0, 0, NULL);
}

DROVER_API int drover_busy(void)
{
	return update(OP_BUSY, 0, 0, NULL);
}

DROVER_API int drover_idle(void)
{
	return update(OP_IDLE, 0, 0, NULL);
}

DROVER_API int drover_status(const char *fmt, ...)
{
	char buf[SB_STATUS_MAX];
	va_list ap;
	int r = attached();   /* outside droverd: no formatting at all */
	if (r < 0)
		return r;
	if (!fmt)
		return -EINVAL;
	va_start(ap, fmt);
	r = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r < 0)
		return -EINVAL;
	return update(OP_STATUS, 0, 0, buf);
}

DROVER_API int drover_count(unsigned index, uint64_t n)
{
	if (index >= SB_COUNTERS)
		return -EINVAL;
	return update(OP_COUNT, index, n, NULL);
}
