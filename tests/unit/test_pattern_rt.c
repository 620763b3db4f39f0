/* Runtime changes of pattern lists (the map and ACL commands of the CLI):
 * versions, entry references, values checked against every expression,
 * HAProxy's entry_cnt, and matching that follows each change.
 */
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "common/pattern.h"
#include "common/sample.h"
#include "tests/unit/test.h"

/* The value <key> maps to through <e>, or NULL. */
static const char *lookup(const struct pat_expr *e, const char *key)
{
	struct sample s = {.type = SMP_T_STR};
	struct pat_result r;
	s.u.str.ptr = (char *)key;
	s.u.str.len = strlen(key);
	return pat_expr_match(e, &s, &r) ? r.entry->value : NULL;
}

/* A map list with one string expression over it. */
static struct pat_expr *new_map(struct pat_ref **ref)
{
	char *err = NULL;
	*ref = pat_ref_new_inline();
	(*ref)->is_map = 1;
	pat_ref_add(*ref, "a", "A1", 1);
	pat_ref_add(*ref, "b", "B1", 2);
	struct pat_expr *e = pat_expr_new(PAT_MATCH_STR, 0, SMP_T_STR);
	pat_expr_add_ref(e, *ref);
	CHECK(pat_expr_build(e, &err));
	return e;
}

TEST(add_set_delete)
{
	struct pat_ref *ref;
	struct pat_expr *e = new_map(&ref);
	char *err = NULL;
	CHECK_INT(ref->entry_cnt, 2);
	CHECK(pat_ref_add_gen(ref, 0, "c", "C1", &err));
	CHECK_STR(lookup(e, "c"), "C1");
	CHECK(pat_ref_add_gen(ref, 0, "c", "C2", &err));
	CHECK_STR(lookup(e, "c"), "C1"); /* the first of a key wins */
	CHECK_INT(pat_ref_set_value(ref, "c", 0, "C3", &err), 2);
	CHECK_STR(lookup(e, "c"), "C3");
	uint64_t id = ref->entries[0]->id;
	CHECK_INT(pat_ref_set_value(ref, NULL, id, "A2", &err), 1);
	CHECK_INT(ref->entries[0]->id, id); /* same reference after a change */
	CHECK_STR(lookup(e, "a"), "A2");
	CHECK_INT(pat_ref_delete(ref, "c", 0), 2);
	CHECK(lookup(e, "c") == NULL);
	CHECK_INT(pat_ref_delete(ref, NULL, id), 1);
	CHECK(lookup(e, "a") == NULL);
	CHECK_INT(pat_ref_delete(ref, "zz", 0), 0);
	CHECK_INT(ref->entry_cnt, 1);
	CHECK_INT(ref->n, 1);
}

TEST(versions)
{
	struct pat_ref *ref;
	struct pat_expr *e = new_map(&ref);
	char *err = NULL;
	unsigned v1 = pat_ref_newgen(ref), v2 = pat_ref_newgen(ref);
	CHECK_INT(v1, 1);
	CHECK_INT(v2, 2);
	CHECK(pat_ref_add_gen(ref, v1, "a", "V1", &err));
	CHECK(pat_ref_add_gen(ref, v2, "a", "V2", &err));
	CHECK_STR(lookup(e, "a"), "A1"); /* nothing visible before the commit */
	pat_ref_commit_gen(ref, v1);
	CHECK_STR(lookup(e, "a"), "V1");
	CHECK(lookup(e, "b") == NULL); /* version 0 is gone */
	CHECK_INT(ref->n, 2);          /* V1 and the prepared V2 */
	pat_ref_clear_gen(ref, v2);
	CHECK_INT(ref->n, 1);
	pat_ref_clear_gen(ref, ref->curr_gen);
	CHECK(lookup(e, "a") == NULL);
}

TEST(values_checked_by_every_expression)
{
	struct pat_ref *ref;
	new_map(&ref);
	char *err = NULL;
	pat_ref_clear_gen(ref, 0);
	struct pat_expr *ints = pat_expr_new(PAT_MATCH_STR, 0, SMP_T_SINT);
	pat_expr_add_ref(ints, ref);
	CHECK(pat_expr_build(ints, &err));
	unsigned long long cnt = ref->entry_cnt;
	CHECK(!pat_ref_add_gen(ref, 0, "k", "word", &err)); /* the string one took it */
	CHECK_STR(err, "unable to parse 'word'");
	free(err);
	err = NULL;
	CHECK_INT(ref->entry_cnt, cnt); /* +1 by the expression that took it, -1 */
	CHECK_INT(ref->n, 0);
	CHECK(pat_ref_add_gen(ref, 0, "k", "12", &err));
	CHECK_INT(ref->entry_cnt, cnt + 2);
	CHECK_INT(pat_ref_set_value(ref, "k", 0, "x", &err), -1);
	CHECK_STR(err, "unable to parse 'x'");
	free(err);
	CHECK_STR(ref->entries[0]->value, "12");
}

TEST(naming_lists)
{
	struct pat_ref *ref;
	new_map(&ref);
	ref->uid = 77;
	pat_refs_finalize();
	CHECK(pat_ref_find("#77") == ref);
	CHECK(pat_ref_find("#77x") == ref); /* read as atoi() does */
	CHECK(pat_ref_find("#12345") == NULL);
	CHECK(pat_ref_find("/no/such/file") == NULL);
	int n;
	struct pat_ref **v = pat_refs_sorted(&n);
	CHECK(n >= 1);
	for (int i = 1; i < n; i++)
		CHECK(v[i - 1]->uid < v[i]->uid);
	free(v);
}

int main(void)
{
	rcu_register_thread();
	int failed = 0;
	for (int i = 0; i < t_ntests; i++) {
		int before = t_fails;
		t_tests[i].fn();
		if (t_fails != before) {
			failed++;
			fprintf(stderr, "FAIL %s\n", t_tests[i].name);
		}
	}
	rcu_thread_offline();
	rcu_barrier();
	printf("%s: %d passed, %d failed\n", __FILE__, t_ntests - failed, failed);
	return failed ? 1 : 0;
}
