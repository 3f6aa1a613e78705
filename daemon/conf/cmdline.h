/* Shell-like word splitting without a shell, and supervisord's environment= syntax (cmdline.c).
 * Pure functions: no I/O, no globals; errors come back as text for the caller's FILE:LINE message. */
#ifndef DROVER_CMDLINE_H
#define DROVER_CMDLINE_H

/* Split S into words as a POSIX shell (and Python's shlex.split) would, without any expansion:
 * whitespace separates words, '...' is literal, "..." allows \" and \\, a backslash outside
 * quotes escapes the next character. Returns the number of words (>= 0) and a NULL-terminated
 * vector in *ret, or -EINVAL and *ret_error on an unterminated quote or a trailing backslash. */
int cmdline_split(const char *s, char ***ret, char **ret_error);

/* Parse KEY=VALUE,KEY2="quoted, value" (commas or newlines separate pairs; values quote and
 * escape as in cmdline_split) into two parallel NULL-terminated vectors. Returns the number of
 * pairs or -EINVAL and *ret_error. Duplicate keys are kept in order (the caller decides). */
int cmdline_env_parse(const char *s, char ***ret_keys, char ***ret_values, char **ret_error);

#endif
