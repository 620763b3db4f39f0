/* Shared helpers of the layer 7 fetches (worker/fetch-http*.c). */
#pragma once
#include <stdint.h>

#include "common/http-msg.h"
#include "common/sample-t.h"

/* Flags of header fetches (their private value). */
#define FH_RES 0x1  /* the response */
#define FH_FULL 0x2 /* whole header lines, not comma-separated values */
#define FH_INT 0x4  /* the value as an integer */
#define FH_IP 0x8   /* the value as an address */

/* The request (or <response>) of the stream being evaluated while its
 * head can be read; NULL otherwise, with SMP_F_MAY_CHANGE set when the
 * request is still to be parsed and more data may come.
 */
struct http_msg *fetch_http_msg(struct sample *smp, int response);

/* Walks the values of header <lname> (every header when NULL): comma-
 * separated elements, blanks trimmed, quotes respected, or whole lines
 * with <full>. Resumes at header *hi, offset *off (both 0 to start);
 * returns 1 with *val set, 0 at the end.
 */
int fetch_http_next_value(const struct http_msg *m, const char *lname, int full, uint32_t *hi,
                          uint32_t *off, struct ist *val);
