/* The worker's end of its link to the master (a unix socketpair inherited
 * at fork): the worker reports "READY" once every thread serves, and the
 * master hands it file descriptors with SCM_RIGHTS, each one a CLI session
 * (the master CLI's "@N command" forwarding). When the master goes away the
 * worker stops softly.
 */
#pragma once

void mwlink_init(int fd);
/* Registers the link in the current thread's poller (thread 0). */
void mwlink_enable_thread(void);
/* Tells the master that this worker serves. */
void mwlink_send_ready(void);
