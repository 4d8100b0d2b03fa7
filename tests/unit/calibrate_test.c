/* The band of three-way verdicts an installation's reviews choose. */
#include <criterion/criterion.h>

#include "rostvakt/calibrate.h"

Test(calibrate, scores_apart_leave_nothing_unsure) {
    const double m[] = {-3, 1, -2, 2, -1, 3};
    const int said[] = {0, 1, 0, 1, 0, 1};
    double lo = 1, hi = -1;
    cr_assert_eq(rv_cal_choose_band(m, said, 6, 0.95, &lo, &hi), 1);
    cr_expect_float_eq(lo, 0, 1e-12, "half-way between -1 and 1: %g", lo);
    cr_expect_float_eq(hi, 0, 1e-12, "%g", hi);
}

/* Sorted: -5 -4 -3 -2 (not said), -0.5 (said), 0.5 (not said), 2 3 4 5
 * (said). One cut is right 9 times in 10; for 95 % the two that cross
 * must be left unsure, and no narrower band does. */
Test(calibrate, the_band_is_as_narrow_as_its_rule_allows) {
    const double m[] = {2, -5, 0.5, -4, 3, -3, -0.5, 4, -2, 5};
    const int said[] = {1, 0, 0, 0, 1, 0, 1, 1, 0, 1};
    double lo, hi;
    cr_assert_eq(rv_cal_choose_band(m, said, 10, 0.90, &lo, &hi), 1);
    cr_expect_float_eq(lo, hi, 1e-12, "at 90 %% one cut will do: (%g, %g)", lo, hi);
    cr_expect(lo > -2 && lo < -0.5, "the cut between -2 and -0.5 is right 9 of 10: %g", lo);
    cr_assert_eq(rv_cal_choose_band(m, said, 10, 0.95, &lo, &hi), 1);
    cr_expect_float_eq(lo, -1.25, 1e-12, "%g", lo);
    cr_expect_float_eq(hi, 1.25, 1e-12, "%g", hi);
}

/* Found nowhere (-1e9): confidently not said, and no edge below the
 * scores found somewhere, so the band's width stays finite. */
Test(calibrate, found_nowhere_is_never_inside_the_band) {
    const double m[] = {-1e9, -1e9, -1e9, -1, 0.2, 1, 2};
    const int said[] = {0, 0, 1, 0, 0, 1, 1};
    double lo, hi;
    cr_assert_eq(rv_cal_choose_band(m, said, 7, 0.80, &lo, &hi), 1);
    cr_expect(lo > -1 && hi < 2 && lo <= hi, "(%g, %g)", lo, hi);
}

/* The lowest said and the highest not said: whatever the band, both are
 * confident and wrong, and 90 % right needs twenty confident of ten. */
Test(calibrate, no_band_when_none_is_right_often_enough) {
    double m[10];
    int said[10];
    for (int i = 0; i < 10; i++) m[i] = i + 1, said[i] = i % 2 == 0;
    double lo = 7, hi = 7;
    cr_expect_eq(rv_cal_choose_band(m, said, 10, 0.90, &lo, &hi), 0);
    cr_expect(lo == 7 && hi == 7, "untouched when none qualifies");
    cr_expect_eq(rv_cal_choose_band(m, said, 0, 0.90, &lo, &hi), 0, "nothing to choose on");
}
