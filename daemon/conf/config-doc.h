/* What the reader hands the builder: the files read and their sections, each key with its line,
 * before any meaning is given to a value (config-read.c fills it, config-build.c reads it). */
#ifndef DROVER_CONFIG_DOC_H
#define DROVER_CONFIG_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct conf_kv {
	struct conf_file *file; /* where it is written (a section repeated across files has keys from several) */
	char *key;              /* lower case: keys are case-insensitive as in supervisord (configparser) */
	char *written;          /* as the user wrote it */
	char *value;            /* continuation lines joined with '\n' */
	unsigned line;
	bool dup;               /* overridden by a later one of the same key (reported): ignored */
};

enum conf_section_kind {
	SEC_DROVER, SEC_SUPERVISORD, SEC_INCLUDE,
	SEC_PROGRAM,            /* [program:x], [eventlistener:x] or [fcgi-program:x] (program_kind says) */
	SEC_GROUP,
	SEC_DEFAULT,            /* [DEFAULT]: values for keys the other sections do not set */
	SEC_IGNORED,            /* a section drover does not use (reported once) */
	SEC_INVALID,            /* a header in error (reported): its keys are skipped */
	SEC_MERGED,             /* a repeated section: its keys were moved into the first one */
};

struct conf_file {
	char *path;             /* as shown in messages */
	char *abs;              /* absolute, for %(here)s and relative includes */
	char *here;
	dev_t dev;
	ino_t ino;
	struct conf_file *parent;   /* the file that included this one */
	unsigned depth;
	size_t index;           /* in reading order: messages are sorted by it */
};

struct conf_section {
	enum conf_section_kind kind;
	char *header;           /* between the brackets, trimmed */
	char *name;             /* program:NAME / group:NAME (eventlistener:NAME, fcgi-program:NAME) */
	int program_kind;       /* SEC_PROGRAM: enum program_kind, the section type */
	struct conf_file *file;
	unsigned line;
	struct conf_kv *kv;
	size_t nkv;
};

/* Diagnostics collected while reading and building, sorted into file and line order at the end. */
struct conf_report {
	struct config_diag *diag;
	size_t nerrors;
	struct conf_pending *pend;
	size_t npend;
};

struct conf_doc {
	struct conf_report report;
	struct conf_file **files;   /* in reading order */
	size_t nfiles;
	struct conf_section **sec;  /* in reading order */
	size_t nsec;
	struct conf_section *drover, *supervisord, *defaults;   /* once merged, NULL when absent */
	char host[256];             /* %(host_node_name)s */
	bool root;                  /* refuse group- and world-writable files */
};

/* The value of KEY in S (the last one written), or NULL. */
struct conf_kv *conf_section_get(const struct conf_section *s, const char *key);

#endif
