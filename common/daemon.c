#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"

static int pidfile_write(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		ha_alert("[%s.main()] Cannot create pidfile %s: %s.\n", "halyard", path,
			 strerror(errno));
		return -1;
	}
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	return 0;
}

int daemon_start(int daemon, const char *pidfile)
{
	if (!daemon)
		return pidfile ? pidfile_write(pidfile, getpid()) : 0;
	pid_t pid = fork();
	if (pid < 0) {
		ha_alert("[%s.main()] Cannot fork: %s.\n", "halyard", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(pidfile && pidfile_write(pidfile, pid) < 0 ? 1 : 0);
	setsid();
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}
