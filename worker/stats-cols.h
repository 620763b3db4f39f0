/* "show stat" column table (see stats-cols.c). */
#pragma once

#define STAT_NCOLS 128

extern const char *const stat_cols[STAT_NCOLS];
extern const char stat_present_fe[STAT_NCOLS + 1];
extern const char stat_present_be[STAT_NCOLS + 1];
extern const char stat_present_srv[STAT_NCOLS + 1];
extern const char stat_present_fe_http[STAT_NCOLS + 1];
extern const char stat_present_be_http[STAT_NCOLS + 1];
extern const char stat_present_srv_http[STAT_NCOLS + 1];

/* "show stat typed" tags of each column: [col][0 frontend, 1 backend,
 * 2 server], as "KNS:str" (origin, nature, scope letters, then the type);
 * "" when the column never has a value on that kind of row.
 */
extern const char *const stat_tags[STAT_NCOLS][3];
/* The column whose typed position is one less for every later column. */
#define STAT_COL_SEPARATOR 103
