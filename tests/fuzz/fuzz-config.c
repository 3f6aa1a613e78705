/* libFuzzer target for the config loader (RELIABILITY T22): inih through our own line reader,
 * the key table, expansions, cross-program checks, and freeing — all on the input bytes. */
#include <stddef.h>
#include <stdint.h>

#include "daemon/conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drover_config *cfg = NULL;
	struct config_diag diag = { 0 };

	if (size > 65536)
		return 0;
	(void) config_load_buffer((const char *) data, size, "/fuzz/drover.ini", &cfg, &diag);
	config_free(cfg);
	config_diag_clear(&diag);
	return 0;
}
