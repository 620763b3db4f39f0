/* Unit tests for common/freq-ctr.c: per-second rates as HAProxy reads them. */
#include "common/freq-ctr.h"
#include "tests/unit/test.h"

TEST(empty_counter_reads_zero)
{
	struct freq_ctr c = {0};
	CHECK_INT(freq_ctr_read(&c, 123456), 0);
}

TEST(events_of_the_current_period)
{
	struct freq_ctr c = {0};
	CHECK_INT(freq_ctr_add(&c, 10000, 1), 1); /* the period starts at 10000 */
	CHECK_INT(freq_ctr_add(&c, 10400, 1), 2);
	CHECK_INT(freq_ctr_add(&c, 10998, 3), 5);
	CHECK_INT(freq_ctr_read(&c, 10999), 5);
}

TEST(previous_period_fades_out)
{
	struct freq_ctr c = {0};
	freq_ctr_add(&c, 10000, 10);
	CHECK_INT(freq_ctr_add(&c, 11000, 1), 1); /* new period at 11000 */
	CHECK_INT(freq_ctr_read(&c, 11000), 11);  /* 1 + 10 * 1000/1000 */
	CHECK_INT(freq_ctr_read(&c, 11250), 8);   /* 1 + 10 * 750/1000 */
	CHECK_INT(freq_ctr_read(&c, 11999), 1);
	/* no event since: the last period is the previous one now */
	CHECK_INT(freq_ctr_read(&c, 12500), 0);   /* 1 * 500/1000 rounded down */
	CHECK_INT(freq_ctr_read(&c, 13000), 0);
}

TEST(idle_periods_are_forgotten)
{
	struct freq_ctr c = {0};
	freq_ctr_add(&c, 10000, 7);
	CHECK_INT(freq_ctr_add(&c, 15000, 1), 1); /* prev dropped, new period */
	CHECK_INT(freq_ctr_read(&c, 15000), 1);
}

TEST(max_only_grows)
{
	_Atomic uint32_t m = 0;
	freq_ctr_update_max(&m, 4);
	freq_ctr_update_max(&m, 2);
	CHECK_INT(atomic_load(&m), 4);
}

TEST_MAIN()
