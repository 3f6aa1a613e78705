/* droverd's side of the scoreboard: create, size, repair the shm and its semaphores; recover the
 * lock of a dead holder; the readiness/heartbeat sweep; status fields. Layout, lock protocol and
 * recovery rules: lib/scoreboard.h. Everything read from the shared objects is untrusted: it is
 * copied out, validated, and never used to pick a process to act on (only sup.procs is). */
#include "os/scoreboard.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/scoreboard.h"
#include "os/log.h"
#include "core/supervisor.h"
#include "util.h"

_Static_assert(SB_STATUS_MAX == PROTO_STATUS_LINE_MAX, "status line sizes agree");
_Static_assert(SB_COUNTERS == PROTO_COUNTERS_MAX, "counter counts agree");

#define SHM_DIR          "/dev/shm"
#define OBJ_MODE         0600
#define SWEEP_FAST_S     0.01   /* while a ready = scoreboard process is STARTING */
#define SWEEP_MIN_S      0.05
#define SWEEP_MAX_S      1.0
#define BAD_LOG_EVERY_NS (10ULL * NSEC_PER_SEC)

/* One semaphore per slot. */
struct sb_lock {
	sem_t *sem;                 /* NULL when it could not be created */
	dev_t dev;
	ino_t ino;
	uid_t uid;                  /* the ACL user, (uid_t) -1 = none */
	char user[64];              /* the program's `user` it was resolved from */
	/* The last valid copy of the slot's worker data: shown while a writer is mid-update. */
	struct sb_view last;
	uint32_t last_gen;          /* 0 = none */
};

/* Regions the SIGBUS guard may replace: [0] the shm mapping, [1 + k] the page of lock k. */
struct guard_region {
	uintptr_t base;
	size_t len;
	volatile sig_atomic_t hit;
};

static struct {
	bool open;
	char instance[64];
	char shm_name[80];
	int fd;
	void *map;
	size_t size;
	uint32_t nslots;
	dev_t dev;
	ino_t ino;
	uint64_t epoch;
	uint64_t rebuilt_ns;        /* heartbeats are measured from here at the latest */
	struct sb_lock *locks;
	uid_t *uids;                /* users with an ACL entry on the shm */
	size_t nuids;
	bool acl_warned;

	int ino_fd;
	ev_io ino_watch;
	ev_timer sweep;
	double sweep_iv;

	uint64_t bad_log_ns;
	unsigned long bad_suppressed;
	struct scoreboard_stats stats;
} sb = { .fd = -1, .ino_fd = -1 };

static struct guard_region *guard;
static size_t nguard;
static volatile sig_atomic_t guard_hit;
static struct sigaction old_sigbus;
static bool guard_installed;
static size_t page_size;

/* --- the SIGBUS guard ------------------------------------------------------------------------
 * A worker may ftruncate() the shm or a semaphore file under our mapping; touching a page past
 * the new end raises SIGBUS. The handler puts anonymous memory over the whole region (the access
 * then completes on zeros) and marks it; sb_repair() maps the repaired object back. Faults
 * anywhere else get the previous disposition (default: die), exactly as without the guard. */
static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t) si->si_addr;
	for (size_t i = 0; i < nguard; i++) {
		if (guard[i].len && a - guard[i].base < guard[i].len) {
			/* the raw system call: async-signal-safe, no interceptor */
			long m = syscall(SYS_mmap, guard[i].base, guard[i].len, PROT_READ | PROT_WRITE,
			                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			if (m == -1)
				break;
			guard[i].hit = 1;
			guard_hit = 1;
			return;
		}
	}
	sigaction(SIGBUS, &old_sigbus, NULL);   /* re-executes the access: the fault is not ours */
}

/* Idempotent; also puts the guard back if something replaced our handler. */
static void guard_install(void)
{
	struct sigaction sa, cur;
	if (guard_installed && sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == sigbus_handler)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old_sigbus) == 0)
		guard_installed = true;
}

static void guard_uninstall(void)
{
	if (guard_installed)
		sigaction(SIGBUS, &old_sigbus, NULL);
	guard_installed = false;
	nguard = 0;
	free(guard);
	guard = NULL;
}

/* Rebuild the region table after a mapping changed. Runs outside any shared-memory access, so
 * the handler never sees it half-built. */
static void guard_update(void)
{
	size_t n = 1 + sb.nslots;
	struct guard_region *g = xcalloc(n, sizeof(*g));
	g[0].base = (uintptr_t) sb.map;
	g[0].len = sb.map ? sb.size : 0;
	for (uint32_t k = 0; k < sb.nslots; k++) {
		if (!sb.locks[k].sem)
			continue;
		g[1 + k].base = (uintptr_t) sb.locks[k].sem & ~(uintptr_t) (page_size - 1);
		g[1 + k].len = page_size;
	}
	nguard = 0;
	free(guard);
	guard = g;
	nguard = n;
}

/* --- names, ownership, ACLs ------------------------------------------------------------------ */

static void sem_path(char *buf, size_t size, uint32_t k)
{
	snprintf(buf, size, SHM_DIR "/sem.%s.sb.%u", sb.instance, k);
}

static void shm_path(char *buf, size_t size)
{
	snprintf(buf, size, SHM_DIR "%s", sb.shm_name);
}

/* A stale object of ours (a dead daemon's: the instance lock says no live one exists) is
 * removed; one that belongs to another user is refused, unread. */
static int unlink_if_ours(const char *path, bool stale)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (st.st_uid != geteuid() || !S_ISREG(st.st_mode)) {
		log_error("scoreboard: %s exists and belongs to uid %u (not us): refusing to use or remove it",
		          path, (unsigned) st.st_uid);
		return -EPERM;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (stale)
		log_info("scoreboard: removed stale %s", path);
	return 0;
}

static int user_uid(const char *user, uid_t *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int64_t n;
	if (parse_int64(user, 0, INT32_MAX, &n) == 0) {
		*ret = (uid_t) n;
		return 0;
	}
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ESRCH;
	*ret = res->pw_uid;
	return 0;
}

static int cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *) a, y = *(const uid_t *) b;
	return x < y ? -1 : x > y;
}

/* Mode 0600 plus, when uids are given, a POSIX ACL "user:UID:rw" for each (the group bits then
 * show the mask, rw; "other" stays 0). Written as the kernel's xattr format directly. */
static int acl_apply(int fd, const uid_t *uids, size_t n)
{
	struct { uint16_t tag, perm; uint32_t id; } __attribute__((packed)) *e;
	uid_t self = geteuid();
	size_t k = 0;

	if (fchmod(fd, OBJ_MODE) < 0)
		return -errno;
	if (n == 0) {
		if (fremovexattr(fd, "system.posix_acl_access") < 0 && errno != ENODATA && errno != EOPNOTSUPP)
			return -errno;
		return 0;
	}
	uint8_t *buf = xcalloc(1, 4 + (n + 4) * 8);
	uint32_t ver = htole32(2);
	memcpy(buf, &ver, 4);
	e = (void *) (buf + 4);
#define ACL_ENTRY(t, p, i) do { e[k].tag = htole16(t); e[k].perm = htole16(p); e[k].id = htole32(i); k++; } while (0)
	ACL_ENTRY(0x01, 6, UINT32_MAX);                   /* ACL_USER_OBJ rw */
	for (size_t i = 0; i < n; i++)                    /* ACL_USER rw, sorted, unique */
		if (uids[i] != self && (i == 0 || uids[i] != uids[i - 1]))
			ACL_ENTRY(0x02, 6, uids[i]);
	ACL_ENTRY(0x04, 0, UINT32_MAX);                   /* ACL_GROUP_OBJ --- */
	ACL_ENTRY(0x10, 6, UINT32_MAX);                   /* ACL_MASK rw */
	ACL_ENTRY(0x20, 0, UINT32_MAX);                   /* ACL_OTHER --- */
#undef ACL_ENTRY
	int r = 0;
	if (k == 4)   /* only ourselves: no ACL needed */
		r = fremovexattr(fd, "system.posix_acl_access") < 0 && errno != ENODATA && errno != EOPNOTSUPP ? -errno : 0;
	else if (fsetxattr(fd, "system.posix_acl_access", buf, 4 + k * 8, 0) < 0)
		r = -errno;
	free(buf);
	return r;
}

/* Users of every program that sets `user` (sorted): they may open the shm. */
static void collect_uids(const struct drover_config *cfg)
{
	free(sb.uids);
	sb.uids = NULL;
	sb.nuids = 0;
	for (size_t i = 0; cfg && i < cfg->nprograms; i++) {
		uid_t uid;
		if (!cfg->programs[i].user || user_uid(cfg->programs[i].user, &uid) < 0 || uid == geteuid())
			continue;
		sb.uids = xrealloc(sb.uids, sb.nuids + 1, sizeof(*sb.uids));
		sb.uids[sb.nuids++] = uid;
	}
	if (sb.nuids > 1)
		qsort(sb.uids, sb.nuids, sizeof(*sb.uids), cmp_uid);
}

static void shm_apply_acl(void)
{
	int r = acl_apply(sb.fd, sb.uids, sb.nuids);
	if (r < 0 && !sb.acl_warned) {
		log_warn("scoreboard: cannot give workers' users access to %s (%s): workers running as another "
		         "user will not be able to report", sb.shm_name, strerror(-r));
		sb.acl_warned = true;
	}
}

/* The slot's semaphore belongs to droverd; the slot's user (if any) gets an ACL entry (or, on a
 * file system without ACLs, the file itself). */
static void lock_apply_owner(uint32_t k, uid_t uid)
{
	char path[128];
	struct stat st;
	sem_path(path, sizeof(path), k);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_ino == sb.locks[k].ino && st.st_dev == sb.locks[k].dev) {
		int r = acl_apply(fd, uid == (uid_t) -1 ? NULL : &uid, uid == (uid_t) -1 ? 0 : 1);
		if (r == -EOPNOTSUPP && uid != (uid_t) -1)
			r = fchown(fd, uid, (gid_t) -1) < 0 ? -errno : 0;
		if (r < 0)
			log_warn("scoreboard: %s: cannot give uid %u access: %s", path, (unsigned) uid, strerror(-r));
		else
			sb.locks[k].uid = uid;
	}
	close(fd);
}

/* --- objects --------------------------------------------------------------------------------- */

static void lock_drop(uint32_t k)
{
	struct sb_lock *l = &sb.locks[k];
	if (l->sem)
		(void) sem_close(l->sem);
	l->sem = NULL;
}

/* Create /NAME.sb.k with value 1 (replacing a stale one of ours). */
static int lock_create(uint32_t k)
{
	struct sb_lock *l = &sb.locks[k];
	char name[80], path[128];
	struct stat st;
	sem_t *sem = SEM_FAILED;

	if (sb_sem_name(name, sizeof(name), sb.instance, k) < 0)
		return -EINVAL;
	sem_path(path, sizeof(path), k);
	for (int attempt = 0; attempt < 3 && sem == SEM_FAILED; attempt++) {
		sem = sem_open(name, O_CREAT | O_EXCL, OBJ_MODE, 1);
		if (sem == SEM_FAILED) {
			int r = -errno;
			if (r != -EEXIST)
				return r;
			if ((r = unlink_if_ours(path, true)) < 0)
				return r;
		}
	}
	if (sem == SEM_FAILED)
		return -EEXIST;
	if (stat(path, &st) < 0) {
		int r = -errno;
		sem_close(sem);
		return r;
	}
	l->sem = sem;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->uid = (uid_t) -1;
	l->user[0] = '\0';
	return 0;
}

/* Remove every /dev/shm/sem.NAME.sb.K of ours (a dead daemon's); a foreign one fails. */
static int sweep_stale_sems(void)
{
	char prefix[80];
	int r = 0;
	snprintf(prefix, sizeof(prefix), "sem.%s.sb.", sb.instance);
	size_t plen = strlen(prefix);
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen) != 0 || !de->d_name[plen] ||
		    strspn(de->d_name + plen, "0123456789") != strlen(de->d_name + plen))
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), SHM_DIR "/%s", de->d_name);
		int q = unlink_if_ours(path, true);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	return r;
}

static void slot_repair(struct sb_slot *s, uint32_t k);

static void slot_publish(struct sb_slot *s, const struct process *p)
{
	__atomic_store_n(&s->generation, p->generation, __ATOMIC_RELEASE);
	__atomic_store_n(&s->pid, (int32_t) p->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, (uint32_t) p->state, __ATOMIC_RELAXED);
}

static bool slot_ok(const struct process *p)
{
	return sb.map && p->slot >= 0 && (uint32_t) p->slot < sb.nslots;
}

/* A worker scribbled over the header (stores through a mapping raise no inotify event): write
 * it again, so that workers spawned from now on can attach. */
static void header_heal(void)
{
	struct sb_header want, *h = sb.map;
	if (!h)
		return;
	sb_header_init(&want, sb.nslots, getpid(), sb.epoch);
	if (memcmp(h, &want, 32) != 0)
		memcpy(h, &want, sizeof(want));
}

/* Header and every lifecycle field from our own table. */
static void publish_all(void)
{
	if (!sb.map)
		return;
	sb_header_init((struct sb_header *) sb.map, sb.nslots, getpid(), sb.epoch);
	for (size_t i = 0; i < sup.nprocs; i++)
		if (slot_ok(sup.procs[i]))
			slot_publish(sb_slot_at(sb.map, (uint32_t) sup.procs[i]->slot), sup.procs[i]);
}

static int shm_map(void)
{
	void *m = mmap(NULL, sb.size, PROT_READ | PROT_WRITE, MAP_SHARED, sb.fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	sb.map = m;
	return 0;
}

static void shm_unmap(void)
{
	if (sb.map)
		munmap(sb.map, sb.size);
	sb.map = NULL;
}

/* A new /NAME.scoreboard of sb.size bytes, mapped, header written. */
static int shm_create(void)
{
	char path[128];
	struct stat st;
	int fd = -1, r;

	shm_path(path, sizeof(path));
	for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
		fd = shm_open(sb.shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, OBJ_MODE);
		if (fd < 0) {
			if (errno != EEXIST)
				return -errno;
			if ((r = unlink_if_ours(path, true)) < 0)
				return r;
		}
	}
	if (fd < 0)
		return -EEXIST;
	if (ftruncate(fd, (off_t) sb.size) < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		(void) shm_unlink(sb.shm_name);
		return r;
	}
	sb.fd = fd;
	sb.dev = st.st_dev;
	sb.ino = st.st_ino;
	shm_apply_acl();
	if ((r = shm_map()) < 0) {
		close(fd);
		sb.fd = -1;
		(void) shm_unlink(sb.shm_name);
		return r;
	}
	sb.epoch++;
	publish_all();
	return 0;
}

static void shm_destroy(bool unlink_it)
{
	shm_unmap();
	if (sb.fd >= 0) {
		struct stat st, cur;
		char path[128];
		shm_path(path, sizeof(path));
		/* unlink the name only while it still is our object */
		if (unlink_it && fstat(sb.fd, &st) == 0 && lstat(path, &cur) == 0 && cur.st_ino == st.st_ino &&
		    cur.st_dev == st.st_dev)
			(void) shm_unlink(sb.shm_name);
		close(sb.fd);
	}
	sb.fd = -1;
}

/* Grow to n slots: the same inode gets longer (mappings of running workers stay valid), the
 * semaphores of the new slots are created, the header says n last. */
static int grow(uint32_t n)
{
	if (n <= sb.nslots)
		return 0;
	if (n > SB_SLOTS_MAX)
		return -E2BIG;
	size_t size = sb_size(n);
	if (ftruncate(sb.fd, (off_t) size) < 0)
		return -errno;
	shm_unmap();
	size_t old_size = sb.size;
	sb.size = size;
	int r = shm_map();
	if (r < 0) {
		sb.size = old_size;
		(void) shm_map();
		guard_update();
		return r;
	}
	sb.locks = xrealloc(sb.locks, n, sizeof(*sb.locks));
	memset(sb.locks + sb.nslots, 0, (n - sb.nslots) * sizeof(*sb.locks));
	uint32_t old = sb.nslots;
	for (uint32_t k = old; k < n; k++) {
		if ((r = lock_create(k)) < 0) {
			log_error("scoreboard: cannot create semaphore %u: %s", k, strerror(-r));
			break;
		}
	}
	sb.nslots = n;
	guard_update();
	publish_all();
	return r < 0 ? r : 0;
}

/* --- repair ---------------------------------------------------------------------------------- */

static void lock_replace(uint32_t k, const char *why)
{
	char name[80];
	uid_t uid = sb.locks[k].uid;
	char user[sizeof(sb.locks[k].user)];
	memcpy(user, sb.locks[k].user, sizeof(user));
	lock_drop(k);
	if (sb_sem_name(name, sizeof(name), sb.instance, k) == 0) {
		char path[128];
		sem_path(path, sizeof(path), k);
		(void) unlink_if_ours(path, false);
	}
	int r = lock_create(k);
	if (r < 0) {
		log_error("scoreboard: semaphore %u (%s): cannot recreate: %s", k, why, strerror(-r));
	} else {
		if (uid != (uid_t) -1)
			lock_apply_owner(k, uid);
		memcpy(sb.locks[k].user, user, sizeof(user));
	}
	sb.stats.sem_replaced++;
	guard_update();
}

/* The semaphore of slot k: replaced when it is gone or another file took its name, restored in
 * place (same inode, value re-initialised) when it was truncated or our mapping was lost. */
static void lock_check(uint32_t k, bool mapping_lost)
{
	struct sb_lock *l = &sb.locks[k];
	char path[128];
	struct stat st;

	if (!l->sem) {
		lock_replace(k, "missing");
		return;
	}
	sem_path(path, sizeof(path), k);
	if (lstat(path, &st) < 0 || st.st_ino != l->ino || st.st_dev != l->dev) {
		log_warn("scoreboard: semaphore %s was removed or replaced: recreating it", path);
		lock_replace(k, "removed");
		return;
	}
	if ((size_t) st.st_size >= sizeof(sem_t) && !mapping_lost) {
		if (st.st_mode & 0007) {
			log_warn("scoreboard: %s: mode changed to %04o: restoring", path, (unsigned) (st.st_mode & 07777));
			lock_apply_owner(k, l->uid);
		}
		return;
	}
	log_warn("scoreboard: semaphore %s was truncated (%lld bytes): restoring it", path, (long long) st.st_size);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	struct stat fst;
	if (fd < 0 || fstat(fd, &fst) < 0 || fst.st_ino != l->ino || ftruncate(fd, (off_t) sizeof(sem_t)) < 0) {
		if (fd >= 0)
			close(fd);
		lock_replace(k, "truncated");
		return;
	}
	uintptr_t page = (uintptr_t) l->sem & ~(uintptr_t) (page_size - 1);
	void *m = mmap((void *) page, page_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_error("scoreboard: cannot map %s again: %s", path, strerror(errno));
		/* our view is anonymous memory now: forget it (glibc unmaps it) and start afresh */
		lock_replace(k, "unmappable");
		return;
	}
	/* The lock state died with the file. A recorded holder will post when it is done. */
	int32_t owner = sb.map ? __atomic_load_n(&sb_slot_at(sb.map, k)->lock_owner, __ATOMIC_RELAXED) : 0;
	sem_init(l->sem, 1, owner ? 0 : 1);
	sb.stats.sem_repairs++;
	if (1 + k < nguard)
		guard[1 + k].hit = 0;
}

/* The shm: a new object when ours was unlinked or its name taken; restored in place (size,
 * mapping, header, lifecycle fields) when it was truncated or grown. */
static void shm_check(bool mapping_lost)
{
	char path[128];
	struct stat st, cur;

	shm_path(path, sizeof(path));
	if (fstat(sb.fd, &st) < 0)
		return;
	bool gone = st.st_nlink == 0 || lstat(path, &cur) < 0 || cur.st_ino != sb.ino || cur.st_dev != sb.dev;
	if (gone) {
		log_warn("scoreboard: %s was removed or replaced: creating a new one (running workers report "
		         "again once restarted)", sb.shm_name);
		shm_destroy(false);
		int r = shm_create();
		if (r < 0)
			log_error("scoreboard: cannot recreate %s: %s", sb.shm_name, strerror(-r));
		sb.stats.rebuilds++;
		sb.rebuilt_ns = now_mono_ns();
		guard_update();
		return;
	}
	if ((size_t) st.st_size != sb.size || mapping_lost) {
		log_warn("scoreboard: %s was truncated or resized (%lld bytes, want %zu): rebuilding it in place",
		         sb.shm_name, (long long) st.st_size, sb.size);
		if (ftruncate(sb.fd, (off_t) sb.size) < 0) {
			log_error("scoreboard: cannot restore the size of %s: %s", sb.shm_name, strerror(errno));
			return;
		}
		void *m = mmap(sb.map, sb.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, sb.fd, 0);
		if (m == MAP_FAILED) {
			log_error("scoreboard: cannot map %s again: %s", sb.shm_name, strerror(errno));
			return;
		}
		if (nguard)
			guard[0].hit = 0;
		sb.epoch++;
		publish_all();
		sb.stats.rebuilds++;
		sb.rebuilt_ns = now_mono_ns();
	}
	if (st.st_mode & 0007) {
		log_warn("scoreboard: %s: mode changed to %04o: restoring", sb.shm_name, (unsigned) (st.st_mode & 07777));
		shm_apply_acl();
	}
}

static void check_all(void)
{
	if (!sb.open)
		return;
	guard_install();
	guard_hit = 0;
	shm_check(nguard > 0 && guard[0].hit);
	for (uint32_t k = 0; k < sb.nslots; k++)
		lock_check(k, 1 + k < nguard && guard[1 + k].hit);
}

void scoreboard_check(void)
{
	check_all();
}

/* After any shared-memory access: a fault absorbed by the guard means repair now. */
static bool faulted(void)
{
	if (!guard_hit)
		return false;
	sb.stats.sigbus++;
	check_all();
	return true;
}

/* inotify on /dev/shm: ftruncate() raises IN_MODIFY, chmod/unlink IN_ATTRIB/IN_DELETE. Stores
 * through a mapping raise nothing, so an idle scoreboard costs no wakeups. */
static void inotify_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char semprefix[80];
	bool shm = false, all = false;
	uint32_t *ks = NULL;
	size_t nks = 0;

	snprintf(semprefix, sizeof(semprefix), "sem.%s.sb.", sb.instance);
	size_t plen = strlen(semprefix);
	for (;;) {
		ssize_t n = read(sb.ino_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *ptr = buf; ptr < buf + n; ) {
			const struct inotify_event *ev = (const struct inotify_event *) ptr;
			ptr += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				all = true;
			if (!ev->len)
				continue;
			if (strcmp(ev->name, sb.shm_name + 1) == 0) {
				shm = true;
			} else if (strncmp(ev->name, semprefix, plen) == 0) {
				int64_t k;
				if (parse_int64(ev->name + plen, 0, (int64_t) sb.nslots - 1, &k) == 0) {
					ks = xrealloc(ks, nks + 1, sizeof(*ks));
					ks[nks++] = (uint32_t) k;
				}
			}
		}
	}
	if (all || guard_hit) {
		check_all();
	} else {
		if (shm)
			shm_check(false);
		for (size_t i = 0; i < nks; i++)
			if (ks[i] < sb.nslots)
				lock_check(ks[i], false);
	}
	free(ks);
}

/* --- reading slots --------------------------------------------------------------------------- */

static void log_bad(const struct process *p)
{
	uint64_t now = now_mono_ns();
	sb.stats.bad_reads++;
	if (sb.bad_log_ns && now - sb.bad_log_ns < BAD_LOG_EVERY_NS) {
		sb.bad_suppressed++;
		return;
	}
	log_proc(LOG_WARNING, p, "%s: scoreboard slot %d holds invalid data (failed validation); ignored%s",
	         p->cfg->fullname, p->slot, sb.bad_suppressed ? " (more such messages suppressed)" : "");
	sb.bad_log_ns = now;
	sb.bad_suppressed = 0;
}

/* The validated worker data of p's live incarnation: 0, -ENODATA (nothing reported), -EBADMSG
 * (garbage), -ENOENT (no slot). When writers flip the latch under every attempt (a tight loop of
 * updates), the last valid copy of this incarnation stands in: never a wait. */
static int slot_view(const struct process *p, struct sb_view *v, uint64_t now)
{
	struct sb_snapshot snap;
	if (!slot_ok(p) || p->generation == 0)
		return -ENOENT;
	struct sb_slot *s = sb_slot_at(sb.map, (uint32_t) p->slot);
	struct sb_lock *l = &sb.locks[p->slot];
	int r = sb_slot_read(s, &snap);
	if (faulted())
		return -ENODATA;
	if (r < 0) {
		if (l->last_gen != p->generation)
			return -ENODATA;
		*v = l->last;
		return 0;
	}
	if (snap.generation != p->generation || snap.pid != p->pid || snap.state != (uint32_t) p->state) {
		/* our fields were overwritten: restore them (the worker's writes need the generation) */
		slot_publish(s, p);
		if (faulted())
			return -ENODATA;
	}
	r = sb_view_from_copy(&snap, (uint32_t) p->slot, p->generation, now, v);
	if (r == 0) {
		l->last = *v;
		l->last_gen = p->generation;
	}
	return r;
}

/* --- the sweep: readiness and heartbeats ----------------------------------------------------- */

static bool wants_ready(const struct process *p)
{
	return p->pid > 0 && p->state == PROC_STARTING && p->prog->ready == READY_SCOREBOARD;
}

static bool wants_heartbeat(const struct process *p)
{
	return p->pid > 0 && p->prog->heartbeat_timeout > 0 &&
	       (p->state == PROC_RUNNING || p->state == PROC_STARTING);
}

/* How often the sweep must run now; 0 = not at all (no wakeups). */
static double sweep_interval(void)
{
	double iv = 0;
	for (size_t i = 0; i < sup.nprocs; i++) {
		const struct process *p = sup.procs[i];
		if (wants_ready(p))
			return SWEEP_FAST_S;
		if (wants_heartbeat(p)) {
			double h = p->prog->heartbeat_timeout / 4.0;
			h = h < SWEEP_MIN_S ? SWEEP_MIN_S : h > SWEEP_MAX_S ? SWEEP_MAX_S : h;
			if (iv == 0 || h < iv)
				iv = h;
		}
	}
	return iv;
}

static void sweep_plan(void)
{
	if (!sb.open)
		return;
	double iv = sweep_interval();
	if (iv == 0) {
		ev_timer_stop(sup.loop, &sb.sweep);
		sb.sweep_iv = 0;
		return;
	}
	if (ev_is_active(&sb.sweep) && sb.sweep_iv <= iv)
		return;
	ev_timer_stop(sup.loop, &sb.sweep);
	ev_timer_set(&sb.sweep, iv, 0.);
	ev_timer_start(sup.loop, &sb.sweep);
	sb.sweep_iv = iv;
}

static void check_ready(struct process *p, uint64_t now)
{
	struct sb_view v;
	if (slot_view(p, &v, now) == 0 && v.ready) {
		log_proc(LOG_INFO, p, "%s: reported ready", p->cfg->fullname);
		process_up(p);
	}
}

static void check_heartbeat(struct process *p, uint64_t now)
{
	struct sb_view v;
	uint64_t last = p->state_ns > p->spawned_ns ? p->state_ns : p->spawned_ns;
	if (p->state != PROC_RUNNING)
		return;
	if (sb.rebuilt_ns > last)
		last = sb.rebuilt_ns;
	if (slot_view(p, &v, now) == 0 && v.have_heartbeat && v.heartbeat_ns > last)
		last = v.heartbeat_ns;
	uint64_t limit = (uint64_t) p->prog->heartbeat_timeout * NSEC_PER_SEC;
	if (now <= last || now - last <= limit)
		return;
	log_proc(LOG_WARNING, p, "%s: heartbeat stale (last %.1f s ago, heartbeat_timeout %d s): restarting it",
	         p->cfg->fullname, (double) (now - last) / 1e9, p->prog->heartbeat_timeout);
	sb.stats.stale_restarts++;
	process_restart(p);
}

static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	sb.sweep_iv = 0;
	/* A fallback to inotify: fstat is cheap. */
	struct stat st;
	if (guard_hit || (fstat(sb.fd, &st) == 0 && ((size_t) st.st_size != sb.size || st.st_nlink == 0)))
		check_all();
	header_heal();
	faulted();
	uint64_t now = now_mono_ns();
	/* process_up / process_restart do not change sup.procs (removal is a deferred timer). */
	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *p = sup.procs[i];
		if (wants_ready(p))
			check_ready(p, now);
		else if (wants_heartbeat(p))
			check_heartbeat(p, now);
	}
	sweep_plan();
}

/* --- public ---------------------------------------------------------------------------------- */

int scoreboard_open(const struct drover_config *cfg)
{
	uint32_t n = 0;
	int r;

	page_size = (size_t) sysconf(_SC_PAGESIZE);
	ev_init(&sb.sweep, sweep_cb);
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += (uint32_t) cfg->programs[i].nprocs;
	if (n > SB_SLOTS_MAX) {
		log_error("scoreboard: %u processes: at most %d", n, SB_SLOTS_MAX);
		return -E2BIG;
	}
	strcpy_bounded(sb.instance, sizeof(sb.instance), cfg->name);
	if ((r = sb_shm_name(sb.shm_name, sizeof(sb.shm_name), cfg->name)) < 0) {
		log_error("scoreboard: bad instance name '%s'", cfg->name);
		return r;
	}
	sb.rebuilt_ns = 0;
	sb.nslots = 0;
	sb.size = sb_size(0);
	collect_uids(cfg);
	if ((r = sweep_stale_sems()) < 0)
		goto fail;
	guard_install();
	if ((r = shm_create()) < 0) {
		log_error("scoreboard: cannot create %s: %s", sb.shm_name, strerror(-r));
		goto fail;
	}
	sb.open = true;
	guard_update();
	if ((r = grow(n)) < 0) {
		log_error("scoreboard: cannot create %u slots: %s", n, strerror(-r));
		goto fail;
	}

	sb.ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sb.ino_fd < 0 || inotify_add_watch(sb.ino_fd, SHM_DIR, IN_MODIFY | IN_ATTRIB | IN_DELETE |
	                                       IN_MOVED_FROM | IN_MOVED_TO) < 0) {
		log_warn("scoreboard: cannot watch " SHM_DIR " (%s): truncation is noticed by the sweep only",
		         strerror(errno));
		if (sb.ino_fd >= 0)
			close(sb.ino_fd);
		sb.ino_fd = -1;
	} else {
		ev_io_init(&sb.ino_watch, inotify_cb, sb.ino_fd, EV_READ);
		ev_io_start(sup.loop, &sb.ino_watch);
	}
	log_debug("scoreboard: %s with %u slots", sb.shm_name, n);
	return 0;
fail:
	scoreboard_close();
	return r;
}

void scoreboard_close(void)
{
	if (sb.ino_fd >= 0) {
		ev_io_stop(sup.loop, &sb.ino_watch);
		close(sb.ino_fd);
		sb.ino_fd = -1;
	}
	if (sb.open)
		ev_timer_stop(sup.loop, &sb.sweep);
	for (uint32_t k = 0; k < sb.nslots; k++) {
		char path[128];
		struct stat st;
		if (!sb.locks[k].sem)
			continue;
		sem_path(path, sizeof(path), k);
		lock_drop(k);
		if (lstat(path, &st) == 0 && st.st_ino == sb.locks[k].ino && st.st_dev == sb.locks[k].dev)
			(void) unlink(path);
	}
	free(sb.locks);
	sb.locks = NULL;
	sb.nslots = 0;
	shm_destroy(true);
	guard_uninstall();
	free(sb.uids);
	sb.uids = NULL;
	sb.nuids = 0;
	sb.open = false;
}

int scoreboard_resize(size_t nslots)
{
	if (!sb.open)
		return -ENOTCONN;
	size_t need = nslots;
	for (size_t i = 0; i < sup.nprocs; i++)
		if (sup.procs[i]->slot >= 0 && (size_t) sup.procs[i]->slot + 1 > need)
			need = (size_t) sup.procs[i]->slot + 1;
	collect_uids(sup.config);
	shm_apply_acl();
	int r = need > SB_SLOTS_MAX ? -E2BIG : grow((uint32_t) need);
	if (r < 0)
		log_error("scoreboard: cannot grow to %zu slots: %s (new processes will not be able to report)",
		          need, strerror(-r));
	faulted();
	sweep_plan();
	return r;
}

void scoreboard_on_spawn(struct process *p)
{
	if (!sb.open)
		return;
	faulted();
	if (!slot_ok(p))
		return;
	uint32_t k = (uint32_t) p->slot;
	struct sb_lock *l = &sb.locks[k];
	const char *user = p->prog->user ? p->prog->user : "";
	if (l->sem && strcmp(l->user, user) != 0) {
		uid_t uid = (uid_t) -1;
		if (*user && user_uid(user, &uid) == 0 && uid == geteuid())
			uid = (uid_t) -1;
		if (uid != l->uid)
			lock_apply_owner(k, uid);
		strcpy_bounded(l->user, sizeof(l->user), user);
	}
	header_heal();
	if (p->generation <= 1) {
		/* A process new to this slot (start-up, or a slot freed by a reload and reused): what
		 * a former owner left is not its data, even with a matching generation number. */
		slot_repair(sb_slot_at(sb.map, k), k);
		l->last_gen = 0;
	}
	slot_publish(sb_slot_at(sb.map, k), p);
	faulted();
	if (p->prog->ready == READY_SCOREBOARD || p->prog->heartbeat_timeout > 0) {
		/* p is not STARTING with a pid yet: plan for what it will need */
		double iv = p->prog->ready == READY_SCOREBOARD ? SWEEP_FAST_S : SWEEP_MAX_S;
		if (!ev_is_active(&sb.sweep) || sb.sweep_iv > iv) {
			ev_timer_stop(sup.loop, &sb.sweep);
			ev_timer_set(&sb.sweep, iv, 0.);
			ev_timer_start(sup.loop, &sb.sweep);
			sb.sweep_iv = iv;
		}
	}
}

void scoreboard_on_state(struct process *p)
{
	if (!sb.open || !slot_ok(p))
		return;
	struct sb_slot *s = sb_slot_at(sb.map, (uint32_t) p->slot);
	__atomic_store_n(&s->pid, (int32_t) p->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, (uint32_t) p->state, __ATOMIC_RELAXED);
	faulted();
}

/* Invalidate the worker data through the latch (the caller has the lock, or nobody can). */
static void slot_repair(struct sb_slot *s, uint32_t k)
{
	sb_worker_reset(sb_write_begin(s), 0);
	sb_write_end(s, k);
}

void scoreboard_on_exit(struct process *p)
{
	if (!sb.open)
		return;
	faulted();
	if (!slot_ok(p) || p->pid <= 0)
		return;
	uint32_t k = (uint32_t) p->slot;
	struct sb_lock *l = &sb.locks[k];
	struct sb_slot *s = sb_slot_at(sb.map, k);
	int value = -1;
	if (!l->sem) {
		lock_replace(k, "missing");
		return;
	}
	if (sem_getvalue(l->sem, &value) < 0)
		value = -1;
	int32_t owner = __atomic_load_n(&s->lock_owner, __ATOMIC_ACQUIRE);
	if (faulted())
		return;   /* check_all() restored the objects */
	if (value == 1) {
		/* Free: nothing to recover. (An owner record cannot outlive its post: it is cleared
		 * before; a garbage record is harmless, but tidy it.) */
		if (owner == p->pid)
			__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELAXED);
	} else if (value == 0 && owner == p->pid) {
		/* Died holding it: nobody else can be inside. Repair, then release. */
		slot_repair(s, k);
		__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELEASE);
		(void) sem_post(l->sem);
		sb.stats.lock_recoveries++;
		log_proc(LOG_INFO, p, "%s: died holding its scoreboard lock: slot %u repaired, lock released",
		         p->cfg->fullname, k);
	} else {
		/* Held by someone else of this ended generation (a child of the worker), or taken by the
		 * worker before it could record itself, or a garbage value: a fresh semaphore. */
		log_proc(LOG_INFO, p, "%s: scoreboard lock %u left held (value %d, holder %d): replacing it",
		         p->cfg->fullname, k, value, (int) owner);
		lock_replace(k, "left held");
		slot_repair(s, k);
		__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELEASE);
	}
	faulted();
}

void scoreboard_ready_timeout(struct process *p)
{
	struct sb_view v;
	if (slot_view(p, &v, now_mono_ns()) == 0 && v.ready) {
		log_proc(LOG_INFO, p, "%s: reported ready", p->cfg->fullname);
		process_up(p);
		return;
	}
	snprintf(p->description, sizeof(p->description), "not ready within startsecs (%d s)", p->prog->startsecs);
	log_proc(LOG_WARNING, p, "%s: not ready within startsecs (%d s): start failed, killing pid %d",
	         p->cfg->fullname, p->prog->startsecs, (int) p->pid);
	int r = process_kill(p, SIGKILL, p->prog->killasgroup || p->prog->stopasgroup);
	if (r < 0 && r != -ESRCH)
		log_proc(LOG_ERR, p, "%s: kill: %s", p->cfg->fullname, strerror(-r));
}

void scoreboard_fill_status(const struct process *p, struct proto_status *s)
{
	struct sb_view v;
	uint64_t now = now_mono_ns();
	if (!sb.open || p->pid <= 0)
		return;
	int r = slot_view(p, &v, now);
	if (r == -EBADMSG) {
		s->flags |= PROTO_ST_SLOT_BAD;
		log_bad(p);
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
