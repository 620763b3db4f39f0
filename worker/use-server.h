/* use-server rules and monitor fail (worker/use-server.c). */
#pragma once
#include "worker/stream.h"

/* The server the first matching use-server rule of s->be names, when it
 * is usable and has room; NULL to let the algorithm choose.
 */
struct srv_rt *use_server_pick(struct stream *s);

/* Whether a "monitor fail" condition of the frontend holds for <s>. */
int monitor_fails(struct stream *s);
