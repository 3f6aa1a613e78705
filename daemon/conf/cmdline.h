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
 * escape as in cmdline_split; an unquoted value keeps its inner blanks) into two parallel
 * NULL-terminated vectors. Returns the number of pairs or -EINVAL and *ret_error (also for
 * "A=1 B=2": a missing comma). Duplicate keys are kept in order (the caller decides). */
int cmdline_env_parse(const char *s, char ***ret_keys, char ***ret_values, char **ret_error);

/* What supervisord 4.2.5 reads from the same text: its word splitter (Python's shlex, non-POSIX)
 * takes KEY, '=', VALUE and then skips one token as the separator, so "A=hello world" gives
 * A=hello, and "URL=http://h/x?y=1" gives URL=http://h/x and y=1. Keys once each (a later
 * value replaces an earlier one). Returns the number of keys, or -EINVAL where supervisord
 * refuses the text. */
int cmdline_env_supervisord(const char *s, char ***ret_keys, char ***ret_values);

#endif
