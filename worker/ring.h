/* Rings: in-memory buffers of log lines (conf/ring.h), shared by every
 * worker thread. Writers never wait for a reader: when the oldest lines
 * cannot be overwritten because a forwarding server has not taken them
 * yet, the new line is dropped and counted. Forwarders run on thread 0:
 * one TCP connection per "server" of the ring, reconnected after errors,
 * fed with newline-terminated lines (or "<len> <line>" with log-proto
 * octet-count).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct ring_cfg;

/* Creates the runtime rings of every configured ring (ring_cfgs). */
void rings_create(void);

/* Starts the forwarders (thread 0 only). */
void rings_start_thread(void);

/* Appends one line made of <hdr> then <msg> to <rc>'s ring; returns 0, or
 * -1 when it was dropped (counted).
 */
int ring_write(const struct ring_cfg *rc, const char *hdr, size_t hlen, const char *msg,
               size_t mlen);

/* Lines dropped on stdout (1) or stderr (2), for "show events". */
void ring_count_fd_drop(int fd);
