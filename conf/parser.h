/* Configuration loading: files and directories, lines, conditional blocks,
 * sections and keyword dispatch. Produces a struct config.
 */
#pragma once
#include "conf/model-t.h"

/* Message prefix helpers for keyword parsers. */
#define CFG_LOC_FMT "parsing [%s:%d] : "
/* Location prefix of directives and tokenizer errors (HAProxy's layout). */
#define CFG_DIR_LOC_FMT "parsing [%s:%d]: "

/* Loads the files or directories <paths> (directory: its "*.cfg" files that
 * do not start with '.', in C lexical order) into <cfg>, which must be zeroed
 * or fresh from cfg_init(). Emits alerts and warnings as it goes. Returns 0
 * on success, or -1 if any alert was emitted.
 */
int cfg_load(struct config *cfg, char *const *paths, int npaths);

/* Parses the configuration held in memory (<data>, <len> bytes) as if it came
 * from file <name>; used by cfg_load() and by tests. Returns the CFG_* flags
 * of all lines or-ed together.
 */
int cfg_parse_buffer(struct config *cfg, const char *name, const char *data, size_t len);

/* Initialises <cfg> with built-in defaults. */
void cfg_init(struct config *cfg);

/* Runs the checks that need the whole configuration (references between
 * proxies, capabilities, missing settings) and resolves names to pointers.
 * Returns 0 when valid, -1 after emitting alerts.
 */
int cfg_validate(struct config *cfg);
