/* Listening socket transfer between two standalone processes (-x).
 *
 * The old process's stats socket, when declared with "expose-fd listeners",
 * answers "_getsocks" by sending its listening sockets: messages of at most
 * XFER_BATCH descriptors (SCM_RIGHTS) whose data is one "address\n" line per
 * descriptor, in the same order, then a last message "END\n". The new
 * process reuses a socket for every bind whose address matches, binds only
 * the others, and then signals the old one with -sf/-st.
 */
#pragma once

#define XFER_BATCH 200 /* below the kernel's limit of descriptors per message */

/* Fetches the sockets of the process behind unix socket <path> into the
 * inherited table (worker/inherit.h). Returns the number received, or -1
 * after an alert.
 */
int xfer_fetch(const char *path);
