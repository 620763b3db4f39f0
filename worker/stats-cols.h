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
