/* supervisord's event payloads (see eventfmt.h). */
#include "core/eventfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char *finish(char *s, size_t *ret_len)
{
	*ret_len = strlen(s);
	return s;
}

char *eventfmt_state(enum event_type type, const char *process, const char *group, const char *from_state,
                     int tries, bool expected, pid_t pid, size_t *ret_len)
{
	char extra[64] = "";
	switch (type) {
	case EVENT_PROCESS_STATE_STARTING:
	case EVENT_PROCESS_STATE_BACKOFF:
		snprintf(extra, sizeof(extra), " tries:%d", tries);
		break;
	case EVENT_PROCESS_STATE_EXITED:
		snprintf(extra, sizeof(extra), " expected:%d pid:%d", expected ? 1 : 0, (int) pid);
		break;
	case EVENT_PROCESS_STATE_RUNNING:
	case EVENT_PROCESS_STATE_STOPPING:
	case EVENT_PROCESS_STATE_STOPPED:
		snprintf(extra, sizeof(extra), " pid:%d", (int) pid);
		break;
	default:
		break;
	}
	return finish(xasprintf("processname:%s groupname:%s from_state:%s%s", process, group, from_state, extra), ret_len);
}

bool eventfmt_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			k = 1, cp = c & 0x1F, min = 0x80;
		else if ((c & 0xF0) == 0xE0)
			k = 2, cp = c & 0x0F, min = 0x800;
		else if ((c & 0xF8) == 0xF0)
			k = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

char *eventfmt_bytes_repr(const char *str, size_t n, size_t *ret_len)
{
	const unsigned char *s = (const unsigned char *) str;
	bool single = memchr(s, '\'', n) != NULL, dbl = memchr(s, '"', n) != NULL;
	char quote = single && !dbl ? '"' : '\'';
	char *out = xmalloc(n * 4 + 4), *o = out;
	*o++ = 'b';
	*o++ = quote;
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		if (c == (unsigned) quote || c == '\\') {
			*o++ = '\\';
			*o++ = (char) c;
		} else if (c == '\t') {
			*o++ = '\\', *o++ = 't';
		} else if (c == '\n') {
			*o++ = '\\', *o++ = 'n';
		} else if (c == '\r') {
			*o++ = '\\', *o++ = 'r';
		} else if (c < 0x20 || c >= 0x7F) {
			o += sprintf(o, "\\x%02x", c);
		} else {
			*o++ = (char) c;
		}
	}
	*o++ = quote;
	*o = '\0';
	*ret_len = (size_t) (o - out);
	return out;
}

char *eventfmt_log(enum event_type type, const char *process, const char *group, pid_t pid, const char *data,
                   size_t n, size_t *ret_len)
{
	char *head = xasprintf("processname:%s groupname:%s pid:%d channel:%s\n", process, group, (int) pid,
	                       type == EVENT_PROCESS_LOG_STDERR ? "stderr" : "stdout");
	size_t hl = strlen(head), bl = n;
	char *repr = NULL;
	const char *body = data;
	const char *undecodable = "";
	if (!eventfmt_utf8_valid(data, n)) {
		repr = eventfmt_bytes_repr(data, n, &bl);
		body = repr;
		undecodable = "Undecodable: ";
	}
	size_t ul = strlen(undecodable);
	char *out = xmalloc(hl + ul + bl + 1);
	memcpy(out, head, hl);
	memcpy(out + hl, undecodable, ul);
	memcpy(out + hl + ul, body, bl);
	out[hl + ul + bl] = '\0';
	*ret_len = hl + ul + bl;
	free(head);
	free(repr);
	return out;
}

char *eventfmt_group(const char *group, size_t *ret_len)
{
	return finish(xasprintf("groupname:%s\n", group), ret_len);
}

char *eventfmt_tick(long long when, size_t *ret_len)
{
	return finish(xasprintf("when:%lld", when), ret_len);
}
