/* The spawn helper: droverd's own binary run as `droverd --spawn-helper PID NOFILE INSTANCE`,
 * its request socket on descriptor 3 (see spawn.c for why it exists). */
#ifndef DROVER_SPAWN_HELPER_H
#define DROVER_SPAWN_HELPER_H

#define SPAWN_HELPER_ARG "--spawn-helper"
#define SPAWN_HELPER_FD  3

/* The helper's main(): serves requests until droverd closes the socket. Returns the exit status. */
int spawn_helper_main(int argc, char **argv);

#endif
