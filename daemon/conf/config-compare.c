/* Comparing configs: derived from the key tables, so a new key is compared (and classified as
 * restarting or live) by adding its table entry, never by editing a list here. */
#include "conf/config-compare.h"

#include <string.h>

void config_proc_diff(const struct program_config *pa, const struct proc_config *a, const struct program_config *pb,
                      const struct proc_config *b, struct config_keyset *ret)
{
	struct config_keyset set = { { 0 } };
	for (unsigned i = 0; i < PK_MAX; i++) {
		const struct config_key *k = &program_keys[i];
		if (k->reload == CR_IDENTITY)
			continue;
		bool same = k->target == CT_PROC ? config_key_equal(k, a, b) : config_key_equal(k, pa, pb);
		if (!same)
			config_keyset_add(&set, i);
	}
	*ret = set;
}

bool config_keyset_restarts(const struct config_keyset *set)
{
	for (unsigned i = 0; i < PK_MAX; i++)
		if (config_keyset_has(set, i) && program_keys[i].reload == CR_RESTART)
			return true;
	return false;
}

void config_daemon_diff(const struct drover_config *a, const struct drover_config *b, struct config_keyset *ret)
{
	struct config_keyset set = { { 0 } };
	for (unsigned i = 0; i < DK_MAX; i++) {
		const struct config_key *k = &daemon_keys[i];
		bool shared = false;
		for (unsigned j = 0; j < i; j++)
			shared |= daemon_keys[j].target == CT_DAEMON && daemon_keys[j].offset == k->offset;
		if (k->target != CT_DAEMON || k->reload == CR_MERGED || shared)
			continue;
		if (!config_key_equal(k, a, b))
			config_keyset_add(&set, i);
	}
	*ret = set;
}
