/* Listening sockets inherited across a master re-exec. The master passes
 * them in HALYARD_LISTEN_FDS as "fd=key;fd=key;..." where the key is the
 * printable address (addr_to_str()). A listener whose key matches reuses the
 * socket instead of binding; sockets nobody claims are closed.
 */
#pragma once

/* Reads and removes HALYARD_LISTEN_FDS from the environment. */
void inherit_load(void);

/* Adds socket <fd> listening on address <key> to the inherited table. */
void inherit_add(int fd, const char *key);

/* Returns the inherited fd for address key <key> (and forgets it), or -1. */
int inherit_take(const char *key);

/* Closes every inherited socket that no listener claimed. */
void inherit_close_unclaimed(void);
