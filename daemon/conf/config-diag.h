/* Config diagnostics: every message complete ("FILE:LINE: [section] key: what"), errors and
 * warnings kept apart, handed over in the order of the files as read, then of lines. */
#ifndef DROVER_CONFIG_DIAG_H
#define DROVER_CONFIG_DIAG_H

#include <stdarg.h>
#include <stdbool.h>

#include "conf/config-doc.h"

#define CONFIG_ERRORS_MAX 1000      /* stop collecting (not parsing) after this many */

enum conf_level { CONF_WARNING, CONF_ERROR };

/* A message about file F at LINE (0: the file as a whole), section S and key KV (each may be NULL). */
void conf_vreport(struct conf_report *R, enum conf_level level, const struct conf_file *f, unsigned line,
                  const struct conf_section *s, const struct conf_kv *kv, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
void conf_file_report(struct conf_report *R, enum conf_level level, const struct conf_file *f, unsigned line,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void conf_sec_report(struct conf_report *R, enum conf_level level, const struct conf_section *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void conf_kv_report(struct conf_report *R, enum conf_level level, const struct conf_section *s,
                    const struct conf_kv *kv, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sort what was collected into R->diag. */
void conf_report_flush(struct conf_report *R);

#endif
