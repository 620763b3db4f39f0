/* Going to the background (-D / "daemon") and writing the pidfile (-p /
 * "pidfile"), shared by the standalone process and the master.
 */
#pragma once

/* With <daemon>, forks: the parent writes the child's pid to <pidfile> (if
 * any) and exits, so the pidfile exists when the command returns; the child
 * starts a new session with stdio on /dev/null. Without <daemon>, only writes
 * the current pid. Returns 0, or -1 after an alert.
 */
int daemon_start(int daemon, const char *pidfile);
