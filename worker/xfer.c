#include "worker/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/addr.h"
#include "common/msg.h"
#include "worker/inherit.h"
#include "worker/runtime.h"

/* Sends one batch: <n> descriptors and their address lines. */
static int send_batch(int sock, const int *fds, int n, const char *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int) * XFER_BATCH)];
	struct iovec iov = {(void *)data, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* "_getsocks": sends every listening socket of this process to <sock>. */
static int send_listeners(int sock)
{
	int fds[XFER_BATCH], n = 0;
	char data[XFER_BATCH * 170];
	size_t len = 0;

	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK);
	for (int i = 0; i < rt.nlst; i++) {
		const struct listener *l = &rt.lsts[i];
		char key[160];
		if (l->fd < 0 || l->bind->addr.kind == ADDR_FD)
			continue;
		addr_to_str(&l->bind->addr, key, sizeof(key));
		fds[n++] = l->fd;
		len += (size_t)snprintf(data + len, sizeof(data) - len, "%s\n", key);
		if (n == XFER_BATCH) {
			if (send_batch(sock, fds, n, data, len) < 0)
				return -1;
			n = 0;
			len = 0;
		}
	}
	if (n && send_batch(sock, fds, n, data, len) < 0)
		return -1;
	return send_batch(sock, NULL, 0, "END\n", 4);
}

__attribute__((constructor)) static void xfer_register(void)
{
	cli_getsocks_hook = send_listeners;
}

/* Receives one batch; returns descriptors received, 0 at END, -1 on error. */
static int recv_batch(int sock)
{
	char data[XFER_BATCH * 170 + 1];
	char cbuf[CMSG_SPACE(sizeof(int) * XFER_BATCH)];
	struct iovec iov = {data, sizeof(data) - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (r <= 0)
		return -1;
	data[r] = 0;
	int fds[XFER_BATCH], n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
		}
	}
	if (!n)
		return strcmp(data, "END\n") == 0 ? 0 : -1;
	char *save = NULL, *line = strtok_r(data, "\n", &save);
	for (int i = 0; i < n; i++) {
		if (line) {
			inherit_add(fds[i], line);
			line = strtok_r(NULL, "\n", &save);
		} else {
			close(fds[i]);
		}
	}
	return n;
}

int xfer_fetch(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int total = 0, r;

	if (!strcmp(path, "/dev/null"))
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		ha_alert("-x: socket path '%s' is too long.\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(sock, "_getsocks\n", 10, MSG_NOSIGNAL) != 10) {
		ha_alert("Failed to get the sockets from the old process (%s): %s.\n", path,
			 strerror(errno));
		if (sock >= 0)
			close(sock);
		return -1;
	}
	struct timeval tv = {5, 0};
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((r = recv_batch(sock)) > 0)
		total += r;
	close(sock);
	if (r < 0) {
		ha_alert("Failed to get the sockets from the old process (%s): the socket "
			 "must be declared with 'expose-fd listeners'.\n", path);
		return -1;
	}
	return total;
}
