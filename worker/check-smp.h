/* The sample context of a health check: what the fetches and log-format
 * strings of tcp-check and http-check rules see while a check runs (its
 * server and backend, the response read so far, the "check." and "sess."
 * variables of the run), and the evaluation of what the rules configure
 * (variable actions, -lf payloads and patterns, on-success/on-error texts,
 * status-code). Runs on the check's worker thread; no locks.
 */
#pragma once
#include <stddef.h>

#include "common/sample-t.h"
#include "common/vars.h"
#include "conf/model-t.h"
#include "worker/server-t.h"

struct http_msg;

struct check_smp {
	const struct srv_rt *srv;
	struct var_store vars_check, vars_sess; /* pruned after each run */
	const char *res;                        /* response bytes read so far */
	size_t res_len;
	struct http_msg *msg; /* HTTP response head once parsed, else NULL */
	struct smp_ctx ctx;   /* .check points back here */
};

/* Prepares <c> for a run on server <s> (the variables of a previous run
 * are freed).
 */
void check_smp_begin(struct check_smp *c, const struct srv_rt *s);

/* Frees the variables of the run. */
void check_smp_end(struct check_smp *c);

/* The variable store of <scope> in check context <ctx> ("check." and
 * "sess."), NULL for the others or outside checks.
 */
struct var_store *check_smp_store(struct smp_ctx *ctx, enum var_scope scope);

/* The server of check context <ctx>, NULL outside checks. */
const struct srv_rt *check_smp_server(const struct smp_ctx *ctx);

/* The response bytes of check context <ctx>: returns 0 outside checks. */
int check_smp_response(const struct smp_ctx *ctx, const char **p, size_t *len);

/* The parsed HTTP response of check context <ctx>, NULL if none. */
struct http_msg *check_smp_http(const struct smp_ctx *ctx);

/* Runs the variable actions of list <a> in order. */
void check_run_vars(struct check_smp *c, const struct chk_var_act *a);

/* Renders <lf> for the check into a new buffer *<out> of *<len> bytes
 * (NUL-terminated; the caller frees it). With <hex>, the rendered text is
 * decoded from hexadecimal; returns -1 when it is not valid hex.
 */
int check_render_alloc(struct check_smp *c, const struct logfmt *lf, int hex, char **out,
                       size_t *len);

/* Renders <lf> at <out> (<room> bytes with the NUL), after what is there. */
void check_render_cat(struct check_smp *c, const struct logfmt *lf, char *out, size_t room);

/* Evaluates "status-code" <e> as an integer into *<code> (unchanged when
 * there is no sample or it is not a number).
 */
void check_status_code(struct check_smp *c, const struct sample_expr *e, int *code);
