/* environment_file: KEY=value files in systemd's EnvironmentFile= syntax, read at every start. */
#ifndef DROVER_ENVFILE_H
#define DROVER_ENVFILE_H

#include <stddef.h>

/* Parse one file's text into KEY=VALUE entries appended to *env (later entries win).
 * Returns 0, or -EINVAL with "LINE: what" in err. Pure: unit-tested. */
int envfile_parse(const char *text, size_t len, char ***env, char *err, size_t errsize);

/* Read a comma-separated list of files ("-" before a path: a missing file is fine) into *env.
 * Returns 0 or -errno with a message naming the file (and line) in err. */
int envfile_load_list(const char *list, char ***env, char *err, size_t errsize);

#endif
