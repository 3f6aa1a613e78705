/* droverd's side of the scoreboard: create, size, repair the shm and its semaphores; recover the
 * lock of a dead holder; store the owner of each slot; read reports validated; status fields.
 * Layout, lock protocol and recovery rules: lib/scoreboard.h. Everything read from the shared
 * objects is untrusted: it is copied out, validated, and never used to pick a process to act on
 * (the caller names the slot). */
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
#include "util.h"

_Static_assert(SB_STATUS_MAX == PROTO_STATUS_LINE_MAX, "status line sizes agree");
_Static_assert(SB_COUNTERS == PROTO_COUNTERS_MAX, "counter counts agree");

#define SHM_DIR          "/dev/shm"
#define OBJ_MODE         0600
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
	struct sb_owner owner;      /* what droverd publishes in the slot */
	bool owned;                 /* a process owns the slot */
};

/* Regions the SIGBUS guard may replace: [0] the shm mapping, [1 + k] the page of lock k. */
struct guard_region {
	uintptr_t base;
	size_t len;
	volatile sig_atomic_t hit;
};

static struct {
	struct ev_loop *loop;
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
	if (si->si_code <= 0 && (old_sigbus.sa_flags & SA_SIGINFO)) {
		old_sigbus.sa_sigaction(sig, si, uc);   /* sent by a process, not a fault: not ours */
		return;
	}
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

/* The programs' users (sorted): they may open the shm. */
static void collect_uids(char *const *users)
{
	free(sb.uids);
	sb.uids = NULL;
	sb.nuids = 0;
	for (char *const *u = users; u && *u; u++) {
		uid_t uid;
		if (user_uid(*u, &uid) < 0 || uid == geteuid())
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

static void slot_publish(struct sb_slot *s, const struct sb_owner *o)
{
	__atomic_store_n(&s->generation, o->generation, __ATOMIC_RELEASE);
	__atomic_store_n(&s->pid, (int32_t) o->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, o->state, __ATOMIC_RELAXED);
}

static bool slot_ok(uint32_t k)
{
	return sb.map && k < sb.nslots;
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

/* Header and every owned slot's lifecycle fields, from what we were told. */
static void publish_all(void)
{
	if (!sb.map)
		return;
	sb_header_init((struct sb_header *) sb.map, sb.nslots, getpid(), sb.epoch);
	for (uint32_t k = 0; k < sb.nslots; k++)
		if (sb.locks[k].owned)
			slot_publish(sb_slot_at(sb.map, k), &sb.locks[k].owner);
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

static void log_bad(uint32_t k, const struct log_subject *who)
{
	uint64_t now = now_mono_ns();
	sb.stats.bad_reads++;
	if (sb.bad_log_ns && now - sb.bad_log_ns < BAD_LOG_EVERY_NS) {
		sb.bad_suppressed++;
		return;
	}
	log_about(LOG_WARNING, who, "%s: scoreboard slot %u holds invalid data (failed validation); ignored%s",
	          who->name, k, sb.bad_suppressed ? " (more such messages suppressed)" : "");
	sb.bad_log_ns = now;
	sb.bad_suppressed = 0;
}

/* The validated worker data of slot k's live incarnation: 0, -ENODATA (nothing reported),
 * -EBADMSG (garbage), -ENOENT (no slot). When writers flip the latch under every attempt (a tight
 * loop of updates), the last valid copy of this incarnation stands in: never a wait. */
static int slot_view(uint32_t k, struct sb_view *v, uint64_t now)
{
	struct sb_snapshot snap;
	if (!slot_ok(k) || !sb.locks[k].owned || sb.locks[k].owner.generation == 0)
		return -ENOENT;
	const struct sb_owner *o = &sb.locks[k].owner;
	struct sb_slot *s = sb_slot_at(sb.map, k);
	struct sb_lock *l = &sb.locks[k];
	int r = sb_slot_read(s, &snap);
	if (faulted())
		return -ENODATA;
	if (r < 0) {
		if (l->last_gen != o->generation)
			return -ENODATA;
		*v = l->last;
		return 0;
	}
	if (snap.generation != o->generation || snap.pid != o->pid || snap.state != o->state) {
		/* our fields were overwritten: restore them (the worker's writes need the generation) */
		slot_publish(s, o);
		if (faulted())
			return -ENODATA;
	}
	r = sb_view_from_copy(&snap, k, o->generation, now, v);
	if (r == 0) {
		l->last = *v;
		l->last_gen = o->generation;
	}
	return r;
}

/* --- public ---------------------------------------------------------------------------------- */

int scoreboard_open(struct ev_loop *loop, const char *instance, uint32_t n, char *const *users)
{
	int r;

	page_size = (size_t) sysconf(_SC_PAGESIZE);
	sb.loop = loop;
	if (n > SB_SLOTS_MAX) {
		log_error("scoreboard: %u processes: at most %d", n, SB_SLOTS_MAX);
		return -E2BIG;
	}
	strcpy_bounded(sb.instance, sizeof(sb.instance), instance);
	if ((r = sb_shm_name(sb.shm_name, sizeof(sb.shm_name), instance)) < 0) {
		log_error("scoreboard: bad instance name '%s'", instance);
		return r;
	}
	sb.rebuilt_ns = 0;
	sb.nslots = 0;
	sb.size = sb_size(0);
	collect_uids(users);
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
		ev_io_start(sb.loop, &sb.ino_watch);
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
		ev_io_stop(sb.loop, &sb.ino_watch);
		close(sb.ino_fd);
		sb.ino_fd = -1;
	}
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

int scoreboard_resize(uint32_t nslots, char *const *users)
{
	if (!sb.open)
		return -ENOTCONN;
	collect_uids(users);
	shm_apply_acl();
	int r = nslots > SB_SLOTS_MAX ? -E2BIG : grow(nslots);
	if (r < 0)
		log_error("scoreboard: cannot grow to %u slots: %s (new processes will not be able to report)",
		          nslots, strerror(-r));
	faulted();
	return r;
}

void scoreboard_slot_spawn(uint32_t k, const char *user, const struct sb_owner *o)
{
	if (!sb.open)
		return;
	faulted();
	if (!slot_ok(k))
		return;
	struct sb_lock *l = &sb.locks[k];
	if (!user)
		user = "";
	if (l->sem && strcmp(l->user, user) != 0) {
		uid_t uid = (uid_t) -1;
		if (*user && user_uid(user, &uid) == 0 && uid == geteuid())
			uid = (uid_t) -1;
		if (uid != l->uid)
			lock_apply_owner(k, uid);
		strcpy_bounded(l->user, sizeof(l->user), user);
	}
	header_heal();
	if (o->generation <= 1) {
		/* A process new to this slot (start-up, or a slot freed by a reload and reused): what
		 * a former owner left is not its data, even with a matching generation number. */
		slot_repair(sb_slot_at(sb.map, k), k);
		l->last_gen = 0;
	}
	l->owner = *o;
	l->owned = true;
	slot_publish(sb_slot_at(sb.map, k), o);
	faulted();
}

void scoreboard_slot_publish(uint32_t k, const struct sb_owner *o)
{
	if (!sb.open || !slot_ok(k))
		return;
	sb.locks[k].owner = *o;
	sb.locks[k].owned = true;
	struct sb_slot *s = sb_slot_at(sb.map, k);
	__atomic_store_n(&s->pid, (int32_t) o->pid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, o->state, __ATOMIC_RELAXED);
	faulted();
}

void scoreboard_slot_release(uint32_t k)
{
	if (sb.open && k < sb.nslots) {
		sb.locks[k].owned = false;
		sb.locks[k].owner = (struct sb_owner) { 0 };
		sb.locks[k].last_gen = 0;
	}
}

/* Invalidate the worker data through the latch (the caller has the lock, or nobody can). */
static void slot_repair(struct sb_slot *s, uint32_t k)
{
	sb_worker_reset(sb_write_begin(s), 0);
	sb_write_end(s, k);
}

void scoreboard_slot_exit(uint32_t k, pid_t pid, const struct log_subject *who)
{
	if (!sb.open)
		return;
	faulted();
	if (!slot_ok(k) || pid <= 0)
		return;
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
		if (owner == pid)
			__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELAXED);
	} else if (value == 0 && owner == pid) {
		/* Died holding it: nobody else can be inside. Repair, then release. */
		slot_repair(s, k);
		__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELEASE);
		(void) sem_post(l->sem);
		sb.stats.lock_recoveries++;
		log_about(LOG_INFO, who, "%s: died holding its scoreboard lock: slot %u repaired, lock released",
		          who->name, k);
	} else {
		/* Held by someone else of this ended generation (a child of the worker), or taken by the
		 * worker before it could record itself, or a garbage value: a fresh semaphore. */
		log_about(LOG_INFO, who, "%s: scoreboard lock %u left held (value %d, holder %d): replacing it",
		          who->name, k, value, (int) owner);
		lock_replace(k, "left held");
		slot_repair(s, k);
		__atomic_store_n(&s->lock_owner, 0, __ATOMIC_RELEASE);
	}
	faulted();
}

int scoreboard_slot_view(uint32_t k, struct sb_view *v, uint64_t now)
{
	if (!sb.open)
		return -ENOENT;
	if (k < sb.nslots && sb.locks[k].owner.pid <= 0)
		return -ENODATA;
	return slot_view(k, v, now);
}

void scoreboard_slot_status(uint32_t k, const struct log_subject *who, struct proto_status *s)
{
	struct sb_view v;
	uint64_t now = now_mono_ns();
	if (!sb.open || k >= sb.nslots || sb.locks[k].owner.pid <= 0)
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

uint64_t scoreboard_rebuilt_ns(void)
{
	return sb.rebuilt_ns;
}

void scoreboard_poll(void)
{
	struct stat st;
	if (!sb.open)
		return;
	/* A fallback to inotify: fstat is cheap. */
	if (guard_hit || (fstat(sb.fd, &st) == 0 && ((size_t) st.st_size != sb.size || st.st_nlink == 0)))
		check_all();
	header_heal();
	faulted();
}

const struct scoreboard_stats *scoreboard_get_stats(void)
{
	return &sb.stats;
}
