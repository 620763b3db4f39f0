/* Runtime API of maps and ACLs: show, get, add, set, del, clear, prepare
 * and commit, with versions ("@<ver>") and lists named by "#<id>" or file
 * name. Messages, levels and output follow HAProxy 2.6.
 *
 * Commands run on the CLI thread; every change goes through the pattern
 * store (common/pattern.c), which republishes indexes under RCU, so worker
 * threads keep matching without locks.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/pattern.h"
#include "common/sample.h"
#include "common/strbuf.h"

/* Which family a command works on. */
struct kind {
	unsigned flag;    /* PAT_REF_MAP or PAT_REF_ACL */
	const char *name; /* "map" or "acl" */
	const char *Name; /* "map" or "ACL", in messages */
};

static const struct kind MAP = {PAT_REF_MAP, "map", "map"};
static const struct kind ACL = {PAT_REF_ACL, "acl", "ACL"};

static const struct kind *kind_of(char **args)
{
	return !strcmp(args[1], "map") ? &MAP : &ACL;
}

/* Argument <i>, or "" past the end (as HAProxy fills unused slots). */
static const char *arg(char **args, int nargs, int i)
{
	return i < nargs ? args[i] : "";
}

/* A version number as HAProxy reads it: the leading digits, wrapping at
 * 32 bits ("@x" is version 0).
 */
static unsigned parse_gen(const char *s)
{
	unsigned v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned)(*s - '0');
	return v;
}

static void unknown_ref(struct cli_conn *c, const struct kind *k)
{
	cli_printf(c, "Unknown %s identifier. Please use #<id> or <file>.\n", k->Name);
}

/* The list named <name> used by this kind, or NULL after the message. */
static struct pat_ref *lookup_kind(struct cli_conn *c, const struct kind *k, const char *name)
{
	struct pat_ref *ref = *name ? pat_ref_find(name) : NULL;
	if (!ref || !(ref->flags & k->flag)) {
		unknown_ref(c, k);
		return NULL;
	}
	return ref;
}

/* Reads an optional "@<ver>" at args[*i]: moves past it. Returns 1 and
 * sets *gen when there was one.
 */
static int opt_version(char **args, int nargs, int *i, unsigned *gen)
{
	const char *a = arg(args, nargs, *i);
	if (a[0] != '@')
		return 0;
	*gen = parse_gen(a + 1);
	(*i)++;
	return 1;
}

/* "#0x<id>": an entry reference. Returns 1 with *id set, 0 when <s> is a
 * key, -1 when malformed (message sent).
 */
static int entry_ref(struct cli_conn *c, const char *s, uint64_t *id)
{
	if (s[0] != '#' || s[1] != '0' || s[2] != 'x')
		return 0;
	char *end;
	*id = strtoull(s + 1, &end, 16);
	if (*end) {
		cli_printf(c, "Malformed identifier. Please use #<id> or <file>.\n");
		return -1;
	}
	return 1;
}

/* One line per list of the kind: id, file, users, versions, count. */
static void list_refs(struct cli_conn *c, const struct kind *k)
{
	int n;
	struct pat_ref **v = pat_refs_sorted(&n);
	cli_printf(c, "# id (file) description\n");
	for (int i = 0; i < n; i++)
		if (v[i]->flags & k->flag)
			cli_printf(c, "%d (%s) %s. curr_ver=%u next_ver=%u entry_cnt=%llu\n",
			           v[i]->uid, v[i]->name ? v[i]->name : "",
			           v[i]->display ? v[i]->display : "", v[i]->curr_gen,
			           v[i]->next_gen, v[i]->entry_cnt);
	free(v);
}

/* Where a "show map|acl <name>" dump stands. Between two pieces other
 * commands may add, change or remove entries and removed entries are
 * freed after a grace period, so the position is the id of the last entry
 * sent, found again at each piece: a list keeps its entries in increasing
 * id order (appended with new ids, changed in place, removed by
 * compaction). The list itself lives as long as the process.
 */
struct map_dump {
	struct pat_ref *ref;
	unsigned gen;
	uint64_t last; /* id of the last entry sent */
	int started;
};

/* Index of the first entry of <ref> whose id is above <id>. */
static int entry_after(const struct pat_ref *ref, uint64_t id)
{
	int lo = 0, hi = ref->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (ref->entries[mid]->id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int map_dump_step(struct cli_conn *c, void *ctx)
{
	struct map_dump *d = ctx;
	const struct pat_ref *ref = d->ref;
	int e = d->started ? entry_after(ref, d->last) : 0;
	d->started = 1;
	for (; e < ref->n && !cli_chunk_full(c); e++) {
		const struct pat_entry *en = ref->entries[e];
		d->last = en->id;
		if (en->gen != d->gen)
			continue;
		if (en->value)
			cli_printf(c, "0x%" PRIx64 " %s %s\n", en->id, en->key, en->value);
		else
			cli_printf(c, "0x%" PRIx64 " %s\n", en->id, en->key);
	}
	return e >= ref->n;
}

/* "show map|acl [[@<ver>] <name>]" */
static void cli_show(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	int i = 2;
	unsigned gen = 0;
	if (nargs <= 2) {
		list_refs(c, k);
		return;
	}
	int versioned = opt_version(args, nargs, &i, &gen);
	struct pat_ref *ref = lookup_kind(c, k, arg(args, nargs, i));
	if (!ref)
		return;
	if (!versioned)
		gen = ref->curr_gen;
	struct map_dump *d = xcalloc(1, sizeof(*d));
	d->ref = ref;
	d->gen = gen;
	cli_dump(c, map_dump_step, free, d);
}

/* One "get" line: how expression <e> of <ref> handles <key>. */
static void get_line(struct cli_conn *c, const struct kind *k, const struct pat_ref *ref,
                     const struct pat_expr *e, const char *key)
{
	struct sample smp = {.type = SMP_T_STR, .flags = SMP_F_CONST};
	struct pat_result res = {0};
	smp.u.str.ptr = (char *)key;
	smp.u.str.len = strlen(key);
	enum smp_type want = pat_match_type(e->match);
	int found =
	    (want == SMP_T_ANY || smp_cast(&smp, want)) && pat_ref_match_one(ref, e, &smp, &res);
	int map = k == &MAP;
	if (e->flags & PAT_F_METHOD) /* HAProxy prints its matcher's address */
		cli_printf(c, "type=unknown(%p)", (const void *)e);
	else
		cli_printf(c, "type=%s", pat_match_name(e->match));
	cli_printf(c, ", case=%s", (e->flags & PAT_F_IGNORE_CASE) ? "insensitive" : "sensitive");
	if (!found) {
		cli_printf(c, map ? ", found=no\n" : ", match=no\n");
		return;
	}
	cli_printf(c, map ? ", found=yes" : ", match=yes");
	cli_printf(c, ", idx=%s",
	           pat_expr_is_tree(e) && !(e->flags & PAT_F_METHOD) ? "tree" : "list");
	if (!res.entry) {
		cli_printf(c, map ? ", key=unknown" : ", pattern=unknown");
	} else
		cli_printf(c, map ? ", key=\"%s\"" : ", pattern=\"%s\"", res.entry->key);
	if (map) {
		if (res.entry && res.entry->value)
			cli_printf(c, ", value=\"%s\", type=\"%s\"", res.entry->value,
			           smp_type_name(res.value.type));
		else
			cli_printf(c, ", value=none");
	}
	cli_printf(c, "\n");
}

/* "get map|acl <name> <value>": one line per way the list is indexed. */
static void cli_get(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	const char *name = arg(args, nargs, 2), *key = arg(args, nargs, 3);
	if (!*name || !*key) {
		cli_printf(c, "Missing %s identifier and/or key.\n", k->Name);
		return;
	}
	struct pat_ref *ref = pat_ref_find(name);
	if (!ref) {
		unknown_ref(c, k);
		return;
	}
	for (int u = 0; u < ref->nuses; u++)
		get_line(c, k, ref, ref->uses[u], key);
}

/* Adds one entry; sends HAProxy's message on refusal. Returns 0 then. */
static int add_one(struct cli_conn *c, struct pat_ref *ref, unsigned gen, const char *key,
                   const char *value)
{
	char *err = NULL;
	if (pat_ref_add_gen(ref, gen, key, value, &err))
		return 1;
	cli_printf(c, "%s.\n", err ? err : "Failed to add an entry");
	free(err);
	return 0;
}

/* "add map" with a payload: a key, blanks, then the rest of the line as
 * the value, line after line (HAProxy's parsing, kept as it is).
 */
static void add_payload(struct cli_conn *c, struct pat_ref *ref, unsigned gen, const char *payload)
{
	char *buf = strdup(payload), *p = buf;
	while (buf && *p) {
		char *key = p;
		p += strcspn(key, " \t");
		if (!*p) {
			cli_printf(c, "Missing value for key '%s'.\n", key);
			break;
		}
		*p++ = 0;
		p += strspn(p, " \t");
		char *value = p;
		p += strcspn(value, "\n");
		if (*p)
			*p++ = 0;
		if (!add_one(c, ref, gen, key, value))
			break;
	}
	free(buf);
}

/* "add map|acl [@<ver>] <name> <key> [<value>]", or a payload for maps. */
static void cli_add(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	const char *payload = cli_payload(c);
	int i = 2, versioned;
	unsigned gen = 0;
	versioned = opt_version(args, nargs, &i, &gen);
	const char *name = arg(args, nargs, i), *key = arg(args, nargs, i + 1),
	           *value = arg(args, nargs, i + 2);
	if (k == &MAP && (!*name || (!payload && (!*key || !*value)))) {
		cli_printf(c, "'add map' expects three parameters (map identifier, key and value) "
		              "or one parameter (map identifier) and a payload\n");
		return;
	}
	if (k == &ACL && (!*name || !*key)) {
		cli_printf(c, "'add acl' expects two parameters: ACL identifier and pattern.\n");
		return;
	}
	struct pat_ref *ref = pat_ref_find(name);
	if (!ref) {
		unknown_ref(c, k);
		return;
	}
	if (k == &ACL && ref->is_map) {
		cli_printf(c, "This ACL is shared with a map containing samples. You must use the "
		              "command 'add map' to add values.\n");
		return;
	}
	if (!versioned)
		gen = ref->curr_gen;
	else if (gen - ref->curr_gen > ref->next_gen - ref->curr_gen) {
		cli_printf(c, "Version number in the future, please use 'prepare %s' before.\n",
		           k->name);
		return;
	}
	ref->changed_at_runtime = 1;
	if (k == &MAP && payload)
		add_payload(c, ref, gen, payload);
	else
		add_one(c, ref, gen, key, k == &MAP ? value : NULL);
}

/* "set map <name> <key>|#<ref> <value>" */
static void cli_set(struct cli_conn *c, char **args, int nargs)
{
	const char *name = arg(args, nargs, 2), *key = arg(args, nargs, 3),
	           *value = arg(args, nargs, 4);
	if (!*name || !*key || !*value) {
		cli_printf(c,
		           "'set map' expects three parameters: map identifier, key and value.\n");
		return;
	}
	struct pat_ref *ref = lookup_kind(c, &MAP, name);
	uint64_t id = 0;
	int byid = ref ? entry_ref(c, key, &id) : -1;
	if (byid < 0)
		return;
	char *err = NULL;
	ref->changed_at_runtime = 1;
	int n = pat_ref_set_value(ref, byid ? NULL : key, id, value, &err);
	if (n < 0)
		cli_printf(c, "%s.\n", err ? err : "Failed to update an entry");
	else if (!n)
		cli_printf(c, byid ? "key or pattern not found.\n" : "entry not found.\n");
	free(err);
}

/* "del map|acl <name> <key>|#<ref>" */
static void cli_del(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	const char *name = arg(args, nargs, 2), *key = arg(args, nargs, 3);
	if (!*name || !*key) {
		cli_printf(c, "This command expects two parameters: %s identifier and key.\n",
		           k->Name);
		return;
	}
	/* HAProxy names maps in this message for both kinds */
	struct pat_ref *ref = pat_ref_find(name);
	if (!ref || !(ref->flags & k->flag)) {
		unknown_ref(c, &MAP);
		return;
	}
	uint64_t id = 0;
	int byid = entry_ref(c, key, &id);
	if (byid < 0)
		return;
	ref->changed_at_runtime = 1;
	if (!pat_ref_delete(ref, byid ? NULL : key, id))
		cli_printf(c, "Key not found.\n");
}

/* "clear map|acl [@<ver>] <name>" */
static void cli_clear(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	int i = 2;
	unsigned gen = 0;
	if (!*arg(args, nargs, 2)) {
		cli_printf(c, "Missing %s identifier.\n", k->Name);
		return;
	}
	int versioned = opt_version(args, nargs, &i, &gen);
	if (!*arg(args, nargs, i)) {
		cli_printf(c, "Missing %s identifier.\n", k->Name);
		return;
	}
	struct pat_ref *ref = lookup_kind(c, k, arg(args, nargs, i));
	if (!ref)
		return;
	ref->changed_at_runtime = 1;
	pat_ref_clear_gen(ref, versioned ? gen : ref->curr_gen);
}

/* "prepare map|acl <name>" */
static void cli_prepare(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	struct pat_ref *ref = lookup_kind(c, k, arg(args, nargs, 2));
	if (ref)
		cli_printf(c, "New version created: %u\n", pat_ref_newgen(ref));
}

/* "commit map|acl @<ver> <name>" */
static void cli_commit(struct cli_conn *c, char **args, int nargs)
{
	const struct kind *k = kind_of(args);
	int i = 2;
	unsigned gen = 0;
	if (!opt_version(args, nargs, &i, &gen)) {
		cli_printf(c, "Missing version number.\n");
		return;
	}
	struct pat_ref *ref = lookup_kind(c, k, arg(args, nargs, i));
	if (!ref)
		return;
	if (gen - ref->curr_gen - 1 >= ref->next_gen - ref->curr_gen) {
		cli_printf(c, "Version number out of range.\n");
		return;
	}
	ref->changed_at_runtime = 1;
	pat_ref_commit_gen(ref, gen);
}

/* Appends the commands that rebuild the current version of <ref> to <b>. */
static void replay_ref(struct strbuf *b, const struct pat_ref *ref)
{
	const char *kind = ref->is_map ? "map" : "acl";
	sb_printf(b, "clear %s %s\n", kind, ref->name);
	int payload = 0;
	for (int e = 0; e < ref->n; e++) {
		const struct pat_entry *en = ref->entries[e];
		if (en->gen != ref->curr_gen)
			continue;
		if (!ref->is_map) {
			sb_printf(b, "add acl %s ", ref->name);
			for (const char *k = en->key; *k; k++) { /* one CLI word */
				if (*k == ' ' || *k == '\t' || *k == ';' || *k == '\\')
					sb_put(b, "\\", 1);
				sb_put(b, k, 1);
			}
			sb_put(b, "\n", 1);
			continue;
		}
		if (!payload++)
			sb_printf(b, "add map %s <<\n", ref->name);
		sb_printf(b, "%s %s\n", en->key, en->value ? en->value : "");
	}
	if (payload)
		sb_printf(b, "\n"); /* ends the payload */
}

/* "_changed-maps": the commands that rebuild every map and ACL file the
 * runtime API changed (the master replays them in the next worker on a
 * reload, in one prompt-mode session).
 */
static void cli_changed_maps(struct cli_conn *c, char **args, int nargs)
{
	int n;
	struct pat_ref **v = pat_refs_sorted(&n);
	struct strbuf b = {0};
	for (int i = 0; i < n; i++)
		if (v[i]->name && v[i]->changed_at_runtime)
			replay_ref(&b, v[i]);
	free(v);
	if (b.failed)
		cli_printf(c, "Out of memory.\n");
	if (b.len && !b.failed)
		cli_dump_text(c, b.p, b.len); /* takes the buffer */
	else
		sb_free(&b);
}

static const struct cli_cmd map_cmds[] = {
    {{"_changed-maps"}, NULL, NULL, CLI_LEVEL_ADMIN, cli_changed_maps},
    {{"add", "acl"},
     "add acl [@<ver>] <acl> <pattern>",
     "add an acl entry",
     CLI_LEVEL_USER,
     cli_add},
    {{"add", "map"},
     "add map [@<ver>] <map> <key> <val>",
     "add a map entry (payload supported instead of key/val)",
     CLI_LEVEL_USER,
     cli_add},
    {{"clear", "acl"},
     "clear acl [@<ver>] <acl>",
     "clear the contents of this acl",
     CLI_LEVEL_USER,
     cli_clear},
    {{"clear", "map"},
     "clear map [@<ver>] <map>",
     "clear the contents of this map",
     CLI_LEVEL_USER,
     cli_clear},
    {{"commit", "acl"},
     "commit acl @<ver> <acl>",
     "commit the ACL at this version",
     CLI_LEVEL_USER,
     cli_commit},
    {{"commit", "map"},
     "commit map @<ver> <map>",
     "commit the map at this version",
     CLI_LEVEL_USER,
     cli_commit},
    {{"del", "acl"},
     "del acl <acl> [<key>|#<ref>]",
     "delete acl entries matching <key>",
     CLI_LEVEL_USER,
     cli_del},
    {{"del", "map"},
     "del map <map> [<key>|#<ref>]",
     "delete map entries matching <key>",
     CLI_LEVEL_USER,
     cli_del},
    {{"get", "acl"},
     "get acl <acl> <value>",
     "report the patterns matching a sample for an ACL",
     CLI_LEVEL_USER,
     cli_get},
    {{"get", "map"},
     "get map <acl> <value>",
     "report the keys and values matching a sample for a map",
     CLI_LEVEL_USER,
     cli_get},
    {{"prepare", "acl"},
     "prepare acl <acl>",
     "prepare a new version for atomic ACL replacement",
     CLI_LEVEL_USER,
     cli_prepare},
    {{"prepare", "map"},
     "prepare map <acl>",
     "prepare a new version for atomic map replacement",
     CLI_LEVEL_USER,
     cli_prepare},
    {{"set", "map"},
     "set map <map> [<key>|#<ref>] <value>",
     "modify a map entry",
     CLI_LEVEL_USER,
     cli_set},
    {{"show", "acl"},
     "show acl [@<ver>] <acl>]",
     "report available acls or dump an acl's contents",
     CLI_LEVEL_USER,
     cli_show},
    {{"show", "map"},
     "show map [@ver] [map]",
     "report available maps or dump a map's contents",
     CLI_LEVEL_USER,
     cli_show},
};

CLI_REGISTER(map_cmds)
