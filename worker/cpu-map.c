/* "cpu-map [auto:]<group>[/<thread-set>] <cpu-set>...": pins worker threads
 * to CPU sets. Only thread group 1 exists. Without "auto:" every thread of
 * the set gets the whole CPU set; with it, threads and CPUs are paired in
 * increasing order and both sets must have the same size. A later line
 * replaces earlier ones for the threads it names.
 */

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "worker/cpu-map.h"

#define MAP_MAX 64

static uint64_t thread_cpus[MAP_MAX]; /* CPU mask per thread (bit n = CPU n), 0 = none */

/* Parses "all|odd|even|N[-[M]]" into a 64-bit set of 1-based numbers
 * (<zero_based>: numbers start at 0, for CPUs). Returns 0 or -1.
 */
static int parse_range(const char *s, int zero_based, uint64_t *set)
{
	int lo_min = zero_based ? 0 : 1, hi_max = zero_based ? 63 : 64;
	if (!strcmp(s, "all") || !strcmp(s, "odd") || !strcmp(s, "even")) {
		for (int n = lo_min; n <= hi_max; n++)
			if (s[0] == 'a' || (s[0] == 'o') == (n % 2 == 1))
				*set |= 1ULL << (n - lo_min);
		return 0;
	}
	char *end = NULL;
	long lo = strtol(s, &end, 10), hi = lo;
	if (end == s || lo < lo_min || lo > hi_max)
		return -1;
	if (*end == '-') {
		const char *h = end + 1;
		hi = *h ? strtol(h, &end, 10) : hi_max;
		if (*h && (end == h || hi < lo || hi > hi_max))
			return -1;
		if (!*h)
			end = (char *)h;
	}
	if (*end)
		return -1;
	for (long n = lo; n <= hi; n++)
		*set |= 1ULL << (n - lo_min);
	return 0;
}

/* Parses CPU sets: several arguments, each a comma-separated list. */
static int parse_cpus(char **args, int nargs, uint64_t *set, char **err)
{
	for (int i = 0; i < nargs; i++) {
		char *copy = xstrdup(args[i]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (!strcmp(t, "all") || !strcmp(t, "odd") || !strcmp(t, "even") ||
			    parse_range(t, 1, set) < 0) {
				memprintf(err, "'cpu-map': invalid CPU set '%s'.", t);
				free(copy);
				return -1;
			}
		}
		free(copy);
	}
	return 0;
}

/* Splits "[auto:]G[/T]" into the thread set and the auto flag. */
static int parse_threads(const char *arg, int *is_auto, uint64_t *threads, char **err)
{
	*is_auto = !strncmp(arg, "auto:", 5);
	const char *p = *is_auto ? arg + 5 : arg;
	const char *slash = strchr(p, '/');
	char group[32];
	size_t glen = slash ? (size_t)(slash - p) : strlen(p);
	if (glen == 0 || glen >= sizeof(group))
		goto bad;
	memcpy(group, p, glen);
	group[glen] = 0;
	if (strcmp(group, "1") != 0) {
		memprintf(err, "'cpu-map': thread group '%s' does not exist (only group 1 is "
			  "supported).", group);
		return -1;
	}
	if (!slash) {
		*threads = ~0ULL;
		return 0;
	}
	if (parse_range(slash + 1, 0, threads) == 0)
		return 0;
bad:
	memprintf(err, "'cpu-map': invalid thread set '%s'.", arg);
	return -1;
}

static int parse_cpu_map(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	uint64_t threads = 0, cpus = 0;
	int is_auto;

	if (nargs < 3) {
		memprintf(err, "'cpu-map' expects a thread set and at least one CPU set.");
		return CFG_ALERT;
	}
	if (parse_threads(args[1], &is_auto, &threads, err) < 0 ||
	    parse_cpus(args + 2, nargs - 2, &cpus, err) < 0)
		return CFG_ALERT;
	if (is_auto && __builtin_popcountll(threads) != __builtin_popcountll(cpus)) {
		memprintf(err, "'cpu-map %s': the thread set and the CPU set must have the same "
			  "size with 'auto:'.", args[1]);
		return CFG_ALERT;
	}
	uint64_t cpu_left = cpus;
	for (int t = 0; t < MAP_MAX; t++) {
		if (!(threads & (1ULL << t)))
			continue;
		if (!is_auto) {
			thread_cpus[t] = cpus;
			continue;
		}
		int c = __builtin_ctzll(cpu_left);
		cpu_left &= cpu_left - 1;
		thread_cpus[t] = 1ULL << c;
	}
	return CFG_OK;
}

static const struct cfg_kw cpu_map_kws[] = {
	{.name = "cpu-map", .sections = SECT_GLOBAL, .parse = parse_cpu_map},
};
CFG_REGISTER_KEYWORDS(cpu_map_kws)

uint64_t cpu_map_of_thread(int tid)
{
	return tid >= 0 && tid < MAP_MAX ? thread_cpus[tid] : 0;
}

int cpu_map_apply(int tid)
{
	uint64_t mask = cpu_map_of_thread(tid);
	if (!mask)
		return 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int c = 0; c < 64; c++)
		if (mask & (1ULL << c))
			CPU_SET(c, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
		ha_warning("cpu-map: cannot bind thread %d to its CPU set.\n", tid + 1);
		return -1;
	}
	return 0;
}
