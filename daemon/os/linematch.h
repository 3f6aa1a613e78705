/* ready = log:REGEX: the first complete line of a worker's output (stdout or stderr, each assembled
 * on its own) that matches a POSIX extended regular expression. Lines are bounded: a longer one is
 * matched on its first LINEMATCH_LINE_MAX bytes. Pure (no I/O): unit-tested. */
#ifndef DROVER_LINEMATCH_H
#define DROVER_LINEMATCH_H

#include <stdbool.h>
#include <stddef.h>

#define LINEMATCH_LINE_MAX 4096

struct linematch;

/* 0 with *ret, or -EINVAL (not a regular expression). */
int linematch_new(const char *regex, struct linematch **ret);
/* NULL is fine; returns NULL. */
struct linematch *linematch_free(struct linematch *m);
/* Feed output of stream (0 stdout, 1 stderr); true once a whole line has matched (it stays so). */
bool linematch_feed(struct linematch *m, int stream, const char *data, size_t n);

#endif
