/* Map converters: map(file[,default]) and map_<match>[_<output>](...),
 * looking the input up in a map file (first word: key, rest of the line:
 * value) with a match method, and returning the value as a string, an
 * integer or an address, or the default when nothing matches.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/pattern.h"
#include "common/sample.h"

#define MAP_PRIV(match, out) ((const void *)(uintptr_t)((unsigned)(match) << 8 | (unsigned)(out)))
#define PRIV_MATCH(p) ((enum pat_match)((uintptr_t)(p) >> 8))
#define PRIV_OUT(p) ((enum smp_type)((uintptr_t)(p)&0xff))

/* Loads the map file and its default value once, at parse time: the
 * pattern expression replaces the file name in args[0], the default is
 * checked against the output type.
 */
static int val_map(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	enum pat_match m = PRIV_MATCH(kw->priv);
	enum smp_type out = PRIV_OUT(kw->priv);
	struct pat_ref *ref = pat_ref_load(args[0].data.str.ptr, 1, err);
	if (!ref)
		return 0;
	/* as in HAProxy, users of a file with the same method and output
	 * share one index (and "get map" shows it once)
	 */
	struct pat_expr *e = pat_expr_find_shared(ref, m, 0, out);
	if (!e) {
		e = pat_expr_new(m, 0, out);
		pat_expr_add_ref(e, ref);
		if (!pat_expr_build(e, err))
			return 0;
	}
	const struct smp_where *w = smp_parsing_where();
	pat_ref_note_use(ref, "map", NULL, w && w->file ? w->file : "", w ? w->line : 0);
	args[0].data.ptr = e;
	if (args[1].type == ARGT_STR && out != SMP_T_STR) {
		struct sample d = {.type = SMP_T_STR};
		const char *t = args[1].data.str.ptr;
		char *end;
		d.u.str = args[1].data.str;
		int ok = out == SMP_T_SINT ? (strtoll(t, &end, 10), *t && !*end)
		                           : smp_cast(&d, SMP_T_ADDR);
		if (!ok) {
			memprintf(err, "failed to parse '%s' as type '%s' at position 2", t,
			          out == SMP_T_SINT ? "integer" : "address");
			return 0;
		}
	}
	return 1;
}

static int conv_map(const struct arg *args, struct sample *smp, const void *priv)
{
	const struct pat_expr *e = args[0].data.ptr;
	struct pat_result r;
	if (pat_expr_match(e, smp, &r)) {
		smp->type = r.value.type;
		smp->u = r.value.u;
		smp->flags = SMP_F_CONST;
		return 1;
	}
	if (args[1].type != ARGT_STR)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str = args[1].data.str;
	return smp_cast(smp, PRIV_OUT(priv) == SMP_T_SINT  ? SMP_T_SINT
	                     : PRIV_OUT(priv) == SMP_T_STR ? SMP_T_STR
	                                                   : SMP_T_ADDR);
}

#define A ARGS(1, ARGT_STR, ARGT_STR)
#define MAPS(m, name, in)                                                                          \
	{"map_" name, conv_map, A, val_map, in, SMP_T_STR, MAP_PRIV(m, SMP_T_STR)},                \
	    {"map_" name "_str", conv_map, A, val_map, in, SMP_T_STR, MAP_PRIV(m, SMP_T_STR)},     \
	    {"map_" name "_int", conv_map, A, val_map, in, SMP_T_SINT, MAP_PRIV(m, SMP_T_SINT)},   \
	{                                                                                          \
		"map_" name "_ip", conv_map, A, val_map, in, SMP_T_ADDR, MAP_PRIV(m, SMP_T_ADDR)   \
	}

static const struct smp_conv_kw map_convs[] = {
    {"map", conv_map, A, val_map, SMP_T_STR, SMP_T_STR, MAP_PRIV(PAT_MATCH_STR, SMP_T_STR)},
    MAPS(PAT_MATCH_STR, "str", SMP_T_STR),
    MAPS(PAT_MATCH_BEG, "beg", SMP_T_STR),
    MAPS(PAT_MATCH_SUB, "sub", SMP_T_STR),
    MAPS(PAT_MATCH_DIR, "dir", SMP_T_STR),
    MAPS(PAT_MATCH_DOM, "dom", SMP_T_STR),
    MAPS(PAT_MATCH_END, "end", SMP_T_STR),
    MAPS(PAT_MATCH_REG, "reg", SMP_T_STR),
    MAPS(PAT_MATCH_IP, "ip", SMP_T_ADDR),
    MAPS(PAT_MATCH_INT, "int", SMP_T_SINT),
};

SMP_REGISTER_CONVS(map_convs)
