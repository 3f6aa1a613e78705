/* Small helpers shared by droverd, droverctl and the tests: allocation, string vectors, time. */
#ifndef DROVER_UTIL_H
#define DROVER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
/* The record that embeds member at ptr (libev watchers inside our structs). */
#define container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))
#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Allocation that cannot fail: on ENOMEM the process aborts (nothing sensible can go on);
 * everything else that can fail returns -errno. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t nmemb, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* NULL-terminated string vectors. strv_free accepts NULL and returns NULL. */
char **strv_free(char **v);
size_t strv_length(char *const *v);
char **strv_copy(char *const *v);
int strv_push(char ***v, char *s);              /* takes ownership of s */
bool strv_equal(char *const *a, char *const *b);
/* Set KEY=VALUE in an environment vector, replacing an existing KEY. Takes ownership of kv. */
void strv_env_set(char ***env, char *kv);
const char *strv_env_get(char *const *env, const char *key);
void strv_env_unset(char **env, const char *key);

bool streq_ptr(const char *a, const char *b);   /* NULL-safe strcmp()==0 */

uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);
/* CLOCK_REALTIME ns as RFC 3339 with milliseconds: "2026-12-03T09:14:03.250+01:00" (local time, its
 * offset) or "2026-12-03T08:14:03.250Z" (utc). Returns the length written (buf of 32 is enough). */
#define RFC3339_MAX 32
size_t format_rfc3339(char *buf, size_t size, uint64_t real_ns, bool utc);

/* Copy src into dst[size] with NUL termination; returns -ENAMETOOLONG when cut. */
int strcpy_bounded(char *dst, size_t size, const char *src);

/* Write s into out[size] with control characters and non-ASCII escaped (\n, \xNN),
 * cut to size-1; for STATUS= lines, logs and anything that must stay one line. */
void escape_line(char *out, size_t size, const char *s);

/* A file holding one decimal number (a /proc/sys limit): 0 and *ret, or -errno (-EINVAL when
 * it holds something else). Reads at most 63 bytes. */
int read_proc_long(const char *path, long *ret);

/* Parse a whole decimal integer in [min, max]; -EINVAL / -ERANGE otherwise. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);

/* Signal names: "TERM", "SIGTERM", "15" -> 15; name for a number ("TERM"). */
int signal_from_string(const char *s);
const char *signal_to_string(int sig);

/* Instance names: [A-Za-z0-9_-]{1,32}. */
bool instance_name_valid(const char *name);

#endif
