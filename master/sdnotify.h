/* systemd notifications for -Ws (Type=notify): READY=1, RELOADING=1,
 * STATUS=..., MAINPID=..., sent to $NOTIFY_SOCKET when it is set.
 */
#pragma once

void sd_notify_init(int enabled);
/* Sends <state> (plus MAINPID on READY); no-op unless enabled. */
void sd_notify_status(const char *state);
