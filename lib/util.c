/* Small helpers shared by droverd, droverctl and the tests. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

static void oom(void)
{
	static const char msg[] = "drover: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void) r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t nmemb, size_t n)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, n, &total))
		oom();
	p = realloc(p, total ? total : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (!d)
		oom();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char **strv_free(char **v)
{
	if (v) {
		for (char **p = v; *p; p++)
			free(*p);
		free(v);
	}
	return NULL;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

char **strv_copy(char *const *v)
{
	size_t n = strv_length(v);
	char **c = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

int strv_push(char ***v, char *s)
{
	size_t n = strv_length(*v);
	*v = xrealloc(*v, n + 2, sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
	return 0;
}

bool strv_equal(char *const *a, char *const *b)
{
	size_t n = strv_length(a);
	if (n != strv_length(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static size_t env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t) (eq - kv) : strlen(kv);
}

void strv_env_set(char ***env, char *kv)
{
	size_t klen = env_key_len(kv);
	for (char **p = *env; p && *p; p++) {
		if (env_key_len(*p) == klen && strncmp(*p, kv, klen) == 0) {
			free(*p);
			*p = kv;
			return;
		}
	}
	strv_push(env, kv);
}

const char *strv_env_get(char *const *env, const char *key)
{
	size_t klen = strlen(key);
	for (char *const *p = env; p && *p; p++)
		if (env_key_len(*p) == klen && strncmp(*p, key, klen) == 0 && (*p)[klen] == '=')
			return *p + klen + 1;
	return NULL;
}

void strv_env_unset(char **env, const char *key)
{
	size_t klen = strlen(key), w = 0;
	for (size_t r = 0; env && env[r]; r++) {
		if (env_key_len(env[r]) == klen && strncmp(env[r], key, klen) == 0) {
			free(env[r]);
			continue;
		}
		env[w++] = env[r];
	}
	if (env)
		env[w] = NULL;
}

bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

uint64_t now_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t now_real_ns(void) { return clock_ns(CLOCK_REALTIME); }

size_t format_rfc3339(char *buf, size_t size, uint64_t real_ns, bool utc)
{
	time_t t = (time_t) (real_ns / 1000000000u);
	unsigned ms = (unsigned) (real_ns / 1000000u % 1000u);
	struct tm tm;
	if (size == 0)
		return 0;
	if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
		buf[0] = '\0';
		return 0;
	}
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	long off = utc ? 0 : tm.tm_gmtoff;
	int r;
	if (utc)
		r = snprintf(buf + n, size - n, ".%03uZ", ms);
	else
		r = snprintf(buf + n, size - n, ".%03u%c%02ld:%02ld", ms, off < 0 ? '-' : '+',
		             labs(off) / 3600, labs(off) / 60 % 60);
	if (r < 0 || (size_t) r >= size - n)
		return n;
	return n + (size_t) r;
}

int strcpy_bounded(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (size == 0)
		return -ENAMETOOLONG;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Bytes shown as themselves: printable ASCII but the backslash. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

void escape_line(char *out, size_t size, const char *s)
{
	size_t o = 0;
	if (size == 0)
		return;
	while (*s) {
		/* a run of plain bytes in one copy: names and descriptions are mostly that */
		size_t run = 0;
		while (plain_byte((unsigned char) s[run]))
			run++;
		if (run) {
			if (o + run >= size)
				run = size - 1 - o;
			memcpy(out + o, s, run);
			o += run;
			s += run;
			if (o + 1 >= size)
				break;
			continue;
		}
		unsigned char c = (unsigned char) *s;
		char tmp[5];
		size_t n;
		if (c == '\n') { tmp[0] = '\\'; tmp[1] = 'n'; n = 2; }
		else if (c == '\\') { tmp[0] = '\\'; tmp[1] = '\\'; n = 2; }
		else { snprintf(tmp, sizeof(tmp), "\\x%02x", c); n = 4; }
		if (o + n >= size)
			break;
		memcpy(out + o, tmp, n);
		o += n;
		s++;
	}
	out[o] = '\0';
}

int read_proc_long(const char *path, long *ret)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	int saved = errno;
	(void) close(fd);
	if (n < 0)
		return -saved;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	int64_t v;
	if (parse_int64(buf, LONG_MIN, LONG_MAX, &v) < 0)
		return -EINVAL;
	*ret = (long) v;
	return 0;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static const struct { int sig; const char *name; } signals[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" }, { SIGILL, "ILL" },
	{ SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" }, { SIGBUS, "BUS" }, { SIGFPE, "FPE" },
	{ SIGKILL, "KILL" }, { SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGCHLD, "CHLD" },
	{ SIGCONT, "CONT" }, { SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" }, { SIGURG, "URG" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" }, { SIGWINCH, "WINCH" }, { SIGIO, "IO" },
	{ SIGPWR, "PWR" }, { SIGSYS, "SYS" },
};

int signal_from_string(const char *s)
{
	int64_t n;
	if (!s)
		return -EINVAL;
	if (parse_int64(s, 1, 64, &n) == 0)
		return (int) n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].sig;
	return -EINVAL;
}

const char *signal_to_string(int sig)
{
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return "?";
}

bool instance_name_valid(const char *name)
{
	size_t n = 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= 32;
}
