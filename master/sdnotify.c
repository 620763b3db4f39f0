#include "master/sdnotify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_enabled;

void sd_notify_init(int enabled)
{
	notify_enabled = enabled && getenv("NOTIFY_SOCKET");
}

void sd_notify_status(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	char msg[512];
	if (!notify_enabled || !path || !*path)
		return;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = 0; /* abstract namespace */
	int n = snprintf(msg, sizeof(msg), "%s\nMAINPID=%d\n", state, (int)getpid());
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}
