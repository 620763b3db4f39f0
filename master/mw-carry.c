/* Servers added at run time survive a reload in master-worker mode.
 *
 * Once the new worker is ready, and before the old one is told to stop,
 * the master asks the old worker for the commands that rebuild its added
 * servers ("_dynamic-servers": "add server" with the original arguments,
 * then the address, weight, maxconn, enabled checks and state they have
 * now) and runs them in the new worker, one CLI session per command. A
 * server the new configuration cannot take (backend gone, name now
 * configured, keyword refused) is reported with the new worker's answer
 * and left out; the configured servers are never affected.
 *
 * Map and ACL files changed through the runtime API are carried the same
 * way ("_changed-maps": "clear" then "add" of their current entries), in
 * one prompt-mode session; a file the new configuration does not use is
 * reported and left out.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "master/mworker.h"

#define CARRY_TIMEOUT_MS 5000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs command <cmd> in a new session of worker <p>; returns its whole
 * answer (allocated), or NULL on failure or after CARRY_TIMEOUT_MS.
 */
static char *run_on(const struct mw_proc *p, const char *cmd)
{
	int fd = mworker_open_session(p);
	if (fd < 0)
		return NULL;
	size_t len = strlen(cmd);
	if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	char *out = xcalloc(1, 1);
	size_t n = 0;
	long long end = now_ms() + CARRY_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = end - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		char buf[16384];
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return out;
		}
		out = xrealloc(out, n + (size_t)r + 1);
		memcpy(out + n, buf, (size_t)r);
		n += (size_t)r;
		out[n] = 0;
	}
	close(fd);
	free(out);
	return NULL;
}

/* Replays the "add server" line <add> and the lines after it up to the
 * next "add server" (cut at *<next>) in worker <to>. Returns 1 when the
 * server was added.
 */
static int replay_server(const struct mw_proc *to, char *add, char **next)
{
	char *end = strstr(add, "\nadd server ");
	*next = end ? end + 1 : NULL;
	if (end)
		*end = 0;
	char *save = NULL;
	char *line = strtok_r(add, "\n", &save);
	char *ans = run_on(to, line);
	int ok = ans && !strncmp(ans, "New server registered.", 22);
	if (!ok) {
		char *nl = ans ? strchr(ans, '\n') : NULL;
		if (nl)
			*nl = 0;
		ha_warning("Server added at run time not carried to the new worker: '%s': %s\n",
		           line, ans ? ans : "no answer");
	}
	free(ans);
	while (ok && (line = strtok_r(NULL, "\n", &save)))
		free(run_on(to, line));
	return ok;
}

void mworker_carry_servers(const struct mw_proc *from, const struct mw_proc *to)
{
	char *dump = run_on(from, "_dynamic-servers");
	if (!dump) {
		ha_warning("Could not read the servers added at run time from worker %d.\n",
		           from->pid);
		return;
	}
	int carried = 0, total = 0;
	char *cur = strncmp(dump, "add server ", 11) ? strstr(dump, "\nadd server ") : dump;
	if (cur && cur != dump)
		cur++;
	while (cur) {
		char *next = NULL;
		total++;
		carried += replay_server(to, cur, &next);
		cur = next;
	}
	if (total)
		ha_notice("%d of %d servers added at run time carried to the new worker.\n",
		          carried, total);
	free(dump);
}

/* The first line of <ans> that is neither empty nor a prompt, cut at its
 * end, or NULL when the session answered nothing else.
 */
static char *first_complaint(char *ans)
{
	char *save = NULL;
	for (char *l = strtok_r(ans, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		while (*l == '>' || *l == ' ')
			l++;
		if (*l)
			return l;
	}
	return NULL;
}

/* Replays in worker <to> the block of commands <blk> that rebuilds one map
 * or ACL file (its first line "clear map|acl <file>"), in a prompt-mode
 * session. Returns 1 when the worker raised no complaint.
 */
static int replay_map(const struct mw_proc *to, const char *blk)
{
	size_t len = strlen(blk);
	char *cmds = xcalloc(1, len + 16);
	memcpy(cmds, "prompt\n", 7);
	memcpy(cmds + 7, blk, len);
	memcpy(cmds + 7 + len, "quit", 4);
	char *ans = run_on(to, cmds);
	char *bad = ans ? first_complaint(ans) : NULL;
	if (!ans || bad) {
		const char *name = blk + 10; /* after "clear map " or "clear acl " */
		int nlen = (int)strcspn(name, "\n");
		ha_warning("Map changed at run time not carried to the new worker: '%.*s': %s\n",
		           nlen, name, bad ? bad : "no answer");
	}
	free(ans);
	free(cmds);
	return ans && !bad;
}

void mworker_carry_maps(const struct mw_proc *from, const struct mw_proc *to)
{
	char *dump = run_on(from, "_changed-maps");
	if (!dump) {
		ha_warning("Could not read the maps changed at run time from worker %d.\n",
		           from->pid);
		return;
	}
	int carried = 0, total = 0;
	char *cur = *dump ? dump : NULL;
	while (cur) { /* blocks start with "clear map " or "clear acl " */
		char *next = strstr(cur, "\nclear map ");
		char *acl = strstr(cur, "\nclear acl ");
		if (!next || (acl && acl < next))
			next = acl;
		if (next)
			next++; /* the block keeps its last line feed */
		char *blk = next ? xstrndup(cur, (size_t)(next - cur)) : xstrdup(cur);
		total++;
		carried += replay_map(to, blk);
		free(blk);
		cur = next;
	}
	if (total)
		ha_notice("%d of %d map and ACL files changed at run time carried to the new "
		          "worker.\n",
		          carried, total);
	free(dump);
}
