/* environment_file: systemd's EnvironmentFile= syntax. Lines KEY=VALUE; blank lines and lines
 * starting with # or ; are comments; a value may be "double quoted" (with \" \\ \n escapes) or
 * 'single quoted' (literal); unquoted values are trimmed; a trailing backslash continues a line.
 * Files are bounded (1 MiB) and read at each start, so an edit takes effect on the next restart;
 * they are read from the event loop, so only regular files are (never a FIFO or a device). */
#include "os/envfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define ENVFILE_MAX (1u << 20)

static bool key_valid(const char *k, size_t n)
{
	if (n == 0 || isdigit((unsigned char) k[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char) k[i]) || k[i] == '_'))
			return false;
	return true;
}

int envfile_parse(const char *text, size_t len, char ***env, char *err, size_t errsize)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < len) {
		/* Gather one logical line (joining backslash continuations outside quotes). */
		char *buf = xmalloc(len - pos + 1);
		size_t n = 0;
		unsigned first = ++line;
		while (pos < len) {
			char c = text[pos++];
			if (c == '\n') {
				if (n > 0 && buf[n - 1] == '\\' && (n < 2 || buf[n - 2] != '\\')) {
					n--;
					line++;
					continue;
				}
				break;
			}
			if (c == '\0') {
				snprintf(err, errsize, "%u: NUL byte", first);
				free(buf);
				return -EINVAL;
			}
			buf[n++] = c;
		}
		buf[n] = '\0';

		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#' || *s == ';') {
			free(buf);
			continue;
		}
		if (strncmp(s, "export ", 7) == 0)
			s += 7;
		char *eq = strchr(s, '=');
		size_t klen = eq ? (size_t) (eq - s) : 0;
		while (klen > 0 && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
			klen--;
		if (!eq || !key_valid(s, klen)) {
			snprintf(err, errsize, "%u: expected KEY=value, got '%.40s'", first, s);
			free(buf);
			return -EINVAL;
		}
		char *v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		char *val = xmalloc(strlen(v) + 1);
		size_t o = 0;
		if (*v == '"' || *v == '\'') {
			char q = *v++;
			bool closed = false;
			for (; *v; v++) {
				if (*v == q) {
					closed = true;
					v++;
					break;
				}
				if (q == '"' && *v == '\\' && v[1]) {
					v++;
					val[o++] = *v == 'n' ? '\n' : *v;
					continue;
				}
				val[o++] = *v;
			}
			while (*v == ' ' || *v == '\t')
				v++;
			if (!closed || (*v && *v != '#')) {
				snprintf(err, errsize, "%u: %s", first, closed ? "text after the closing quote" : "unterminated quote");
				free(val);
				free(buf);
				return -EINVAL;
			}
		} else {
			size_t l = strlen(v);
			while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t' || v[l - 1] == '\r'))
				l--;
			memcpy(val, v, l);
			o = l;
		}
		val[o] = '\0';
		strv_env_set(env, xasprintf("%.*s=%s", (int) klen, s, val));
		free(val);
		free(buf);
	}
	return 0;
}

/* Only a regular file is read: opening a FIFO would block the event loop until a writer
 * comes, reading a device may never end or may act. stat() first, so a device is never even
 * opened; O_NONBLOCK and fstat() after, for a path swapped meanwhile. -EINVAL: not a regular file. */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return r;
	}
	char *buf = xmalloc(ENVFILE_MAX + 1);
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, ENVFILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			close(fd);
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > ENVFILE_MAX) {
			close(fd);
			free(buf);
			return -EFBIG;
		}
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
}

int envfile_load_list(const char *list, char ***env, char *err, size_t errsize)
{
	char *copy = xstrdup(list), *save = NULL;
	int r = 0;

	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		size_t l = strlen(item);
		while (l > 0 && (item[l - 1] == ' ' || item[l - 1] == '\t'))
			item[--l] = '\0';
		bool optional = item[0] == '-';
		const char *path = optional ? item + 1 : item;
		if (!*path)
			continue;
		char *text = NULL;
		size_t len = 0;
		r = read_file(path, &text, &len);
		if (r == -ENOENT && optional) {
			r = 0;
			continue;
		}
		if (r < 0) {
			snprintf(err, errsize, "environment_file %s: %s", path,
			         r == -EINVAL ? "not a regular file" : strerror(-r));
			break;
		}
		char perr[128];
		r = envfile_parse(text, len, env, perr, sizeof(perr));
		free(text);
		if (r < 0) {
			snprintf(err, errsize, "environment_file %s:%s", path, perr);
			break;
		}
	}
	free(copy);
	return r;
}
