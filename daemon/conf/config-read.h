/* The config reader: lines, continuation lines, comments, sections, includes and FILE:LINE of
 * every key, into a struct conf_doc; no value is interpreted here (config-read.c). */
#ifndef DROVER_CONFIG_READ_H
#define DROVER_CONFIG_READ_H

#include <stddef.h>

#include "conf/config-doc.h"

#define CONFIG_LINE_MAX       (1u << 20)    /* longest line, newline included */
#define CONFIG_FILE_MAX       (16u << 20)   /* largest file */
#define CONFIG_INCLUDE_DEPTH  8             /* main file = depth 0 */
#define CONFIG_FILES_MAX      1024
#define CONFIG_KEYS_MAX       256           /* keys in one section */

struct config_diag;

void conf_doc_init(struct conf_doc *d, struct config_diag *diag);
/* Flush the diagnostics into the caller's struct config_diag and free the document. */
void conf_doc_done(struct conf_doc *d);

/* Read PATH and what it includes. 0, or -errno when PATH itself cannot be read (reported).
 * *ret_main is the main file either way. */
int conf_read_file(struct conf_doc *d, const char *path, struct conf_file **ret_main);
/* The same from LEN bytes; FILENAME names them in messages and gives %(here)s. */
void conf_read_buffer(struct conf_doc *d, const char *buf, size_t len, const char *filename,
                      struct conf_file **ret_main);

#endif
