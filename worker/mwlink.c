#include "worker/mwlink.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "worker/loop.h"

#define MAX_FDS_PER_MSG 16

static int link_fd = -1;
static struct ev_handler link_h;

/* Receives CLI session fds from the master; a closed link means the master
 * is gone, and the worker then finishes its work and leaves.
 */
static void link_cb(struct ev_handler *h, uint32_t ev)
{
	for (;;) {
		char data[64];
		char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MSG)];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(link_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			loop_del(link_fd);
			close(link_fd);
			link_fd = -1;
			kill(getpid(), SIGUSR1);
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int fds[MAX_FDS_PER_MSG];
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfd);
			for (int i = 0; i < nfd; i++)
				cli_adopt(fds[i], CLI_LEVEL_ADMIN);
		}
	}
}

void mwlink_init(int fd)
{
	link_fd = fd;
	link_h.cb = link_cb;
}

void mwlink_enable_thread(void)
{
	if (link_fd >= 0)
		loop_add(link_fd, EPOLLIN, &link_h);
}

void mwlink_send_ready(void)
{
	if (link_fd >= 0) {
		ssize_t r = send(link_fd, "READY\n", 6, MSG_NOSIGNAL);
		(void)r;
	}
}
