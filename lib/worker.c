/* libdrover: the worker side of the scoreboard (lib/drover.h). Locking and layout: lib/scoreboard.h. */
#include "drover.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
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

#define RETRY_NS (1000ULL * 1000 * 1000)   /* a failed attach (environment complete) is retried after 1 s */

/* attach_state: 0 = not tried, 1 = attached, < 0 = -errno of the last attempt. Published with
 * release after att is complete, so the fast path is one acquire load. attach_final: the error
 * cannot change (no or bad DROVER_* environment): never retried. Other errors are retried at
 * most once per second. */
static int attach_state;
static bool attach_final;
static uint64_t attach_failed_ns;
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	void *base;
	struct sb_slot *slot;
	struct sb_lock *lock;
	uint32_t index, gen;
} att;

#define ANCESTORS_MAX 32   /* how far up the worker's descriptor is looked for */

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

/* The parent of pid, from /proc/PID/stat ("PID (comm) S PPID ..."; comm may hold anything). */
static int parent_of(pid_t pid, pid_t *ret)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *close_paren = strrchr(buf, ')');
	int ppid;
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return -EIO;
	*ret = (pid_t) ppid;
	return 0;
}

/* Map fd if it is this incarnation's scoreboard object: a sealed memfd of the object's size (so
 * it can never shrink under us), whose header names our slot and whose slot our generation. A
 * descriptor number the program reused for something else fails here. */
static int map_object(int fd, uint32_t index, uint32_t gen, void **ret)
{
	struct sb_header h;
	struct stat st;
	ssize_t n;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return errno == EBADF ? -EBADF : -ENOTCONN;
	if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW) || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return -ENOTCONN;
	do
		n = pread(fd, &h, sizeof(h), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t) sizeof(h))
		return -ENOTCONN;
	int r = sb_header_check(&h, (size_t) st.st_size, index);
	if (r < 0)
		return r == -EPROTO ? r : -ENOTCONN;
	void *m = mmap(NULL, SB_OBJECT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (__atomic_load_n(&sb_object_slot(m)->generation, __ATOMIC_ACQUIRE) != gen) {
		munmap(m, SB_OBJECT_SIZE);
		return -ESTALE;
	}
	*ret = m;
	return 0;
}

/* The object: the descriptor droverd gave (DROVER_SCOREBOARD_FD), or, when this process did not
 * inherit it (a program that closes descriptors before it runs a child, e.g. Python's
 * subprocess), the same descriptor of the nearest ancestor that still has it, reopened through
 * /proc/PID/fd (the kernel allows that only to processes that may inspect the ancestor). */
static int do_attach(bool *ret_final)
{
	uint32_t index, gen, fdnum;
	void *m = NULL;
	int r;

	*ret_final = true;
	if (!getenv("DROVER_NAME"))
		return -ENOENT;
	if ((r = env_u32("DROVER_SLOT", 0, SB_SLOTS_MAX - 1, &index)) < 0 ||
	    (r = env_u32("DROVER_GENERATION", 1, UINT32_MAX, &gen)) < 0 ||
	    (r = env_u32(SB_FD_ENV, 3, INT32_MAX, &fdnum)) < 0)
		return r;
	r = map_object((int) fdnum, index, gen, &m);
	pid_t pid = getppid();
	for (int up = 0; r < 0 && r != -ESTALE && r != -EPROTO && pid > 1 && up < ANCESTORS_MAX; up++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%u", (int) pid, fdnum);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			r = map_object(fd, index, gen, &m);
			close(fd);
		}
		if (r < 0 && parent_of(pid, &pid) < 0)
			break;
	}
	if (r < 0) {
		/* gone for good: an ended incarnation, another layout; otherwise worth a retry */
		*ret_final = r == -ESTALE || r == -EPROTO;
		return r == -EBADF ? -ENOTCONN : r;
	}
	att.base = m;
	att.slot = sb_object_slot(m);
	att.lock = sb_object_lock(m);
	att.index = index;
	att.gen = gen;
	return 0;
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

/* Attach before main() runs: a program that closes every descriptor it did not open (before its
 * first report) keeps its mapping. Outside droverd this is one getenv(). */
__attribute__((constructor)) static void attach_early(void)
{
	if (getenv(SB_FD_ENV))
		(void) attached();
}

enum op { OP_READY, OP_HEARTBEAT, OP_BUSY, OP_IDLE, OP_STATUS, OP_COUNT };

/* One locked, seqlocked update of our slot. */
static int update(enum op op, unsigned index, uint64_t n, const char *text)
{
	int r = attached();
	if (r < 0)
		return r;
	uint64_t now = op == OP_READY || op == OP_HEARTBEAT ? mono_ns() : 0;
	if ((r = sb_lock(att.lock)) < 0)
		return r;
	struct sb_slot *s = att.slot;
	if (__atomic_load_n(&s->generation, __ATOMIC_ACQUIRE) != att.gen) {
		sb_unlock(att.lock);
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
	sb_unlock(att.lock);
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
