/* Helpers for unit tests that parse and validate configuration text. */
#pragma once
#include <stdlib.h>
#include <string.h>

#include "conf/model-t.h"
#include "conf/parser.h"

/* Configurations stay reachable so that leak checkers keep quiet. */
static struct config *kept[64];
static int nkept;

/* Parses and validates <text>; *<ok> is 1 when both succeed. */
static inline struct config *load(const char *text, int *ok)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (nkept < (int)(sizeof(kept) / sizeof(kept[0])))
		kept[nkept++] = cfg;
	cfg_init(cfg);
	int flags = cfg_parse_buffer(cfg, "test.cfg", text, strlen(text));
	int valid = cfg_validate(cfg);
	*ok = !(flags & CFG_ALERT) && valid == 0;
	return cfg;
}

/* The proxy called <name>, or NULL. */
static inline struct proxy *px_named(struct config *cfg, const char *name)
{
	for (struct proxy *px = cfg->proxies; px; px = px->next)
		if (strcmp(px->id, name) == 0)
			return px;
	return NULL;
}
