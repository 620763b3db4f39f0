#include "worker/inherit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"

#define MAX_INHERITED 4096

static struct {
	int fd;
	char *key;
} inherited[MAX_INHERITED];
static int nb_inherited;

void inherit_load(void)
{
	const char *env = getenv("HALYARD_LISTEN_FDS");
	if (!env)
		return;
	char *copy = xstrdup(env), *save = NULL;
	for (char *t = strtok_r(copy, ";", &save); t && nb_inherited < MAX_INHERITED;
	     t = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			continue;
		*eq = 0;
		inherited[nb_inherited].fd = atoi(t);
		inherited[nb_inherited].key = xstrdup(eq + 1);
		nb_inherited++;
	}
	free(copy);
	unsetenv("HALYARD_LISTEN_FDS");
}

void inherit_add(int fd, const char *key)
{
	if (nb_inherited >= MAX_INHERITED) {
		close(fd);
		return;
	}
	inherited[nb_inherited].fd = fd;
	inherited[nb_inherited].key = xstrdup(key);
	nb_inherited++;
}

int inherit_take(const char *key)
{
	for (int i = 0; i < nb_inherited; i++) {
		if (inherited[i].fd >= 0 && strcmp(inherited[i].key, key) == 0) {
			int fd = inherited[i].fd;
			inherited[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

void inherit_close_unclaimed(void)
{
	for (int i = 0; i < nb_inherited; i++) {
		if (inherited[i].fd >= 0)
			close(inherited[i].fd);
		inherited[i].fd = -1;
		free(inherited[i].key);
		inherited[i].key = NULL;
	}
	nb_inherited = 0;
}
