/* The "bind" keyword and its options (conf/bind.c). */
#pragma once
#include "conf/model-t.h"

/* Releases what bind_conf <b> owns (address host name, name, file,
 * interface) and resets those fields, but not <b> itself nor the list it
 * belongs to: for a bind_conf embedded in another object (e.g. a "stats
 * socket") whose parsing failed. Safe on a zeroed bind_conf and idempotent.
 */
void bind_conf_release(struct bind_conf *b);
