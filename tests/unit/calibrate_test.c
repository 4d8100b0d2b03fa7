/* The band of three-way verdicts an installation's reviews choose, and the
 * settings calibrate writes for it, as the product then decides. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rostvakt/analyze.h"
#include "rostvakt/calibrate.h"
#include "rostvakt/verify.h"

Test(calibrate, scores_apart_leave_nothing_unsure) {
    const double m[] = {-3, 1, -2, 2, -1, 3};
    const int said[] = {0, 1, 0, 1, 0, 1};
    double lo = 1, hi = -1;
    cr_assert_eq(rv_cal_choose_band(m, said, 6, 0.95, 0, &lo, &hi), 1);
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
    cr_assert_eq(rv_cal_choose_band(m, said, 10, 0.90, 0, &lo, &hi), 1);
    cr_expect_float_eq(lo, hi, 1e-12, "at 90 %% one cut will do: (%g, %g)", lo, hi);
    cr_expect(lo > -2 && lo < -0.5, "the cut between -2 and -0.5 is right 9 of 10: %g", lo);
    cr_assert_eq(rv_cal_choose_band(m, said, 10, 0.95, 0, &lo, &hi), 1);
    cr_expect_float_eq(lo, -1.25, 1e-12, "%g", lo);
    cr_expect_float_eq(hi, 1.25, 1e-12, "%g", hi);
}

/* Weights of one are no weights. */
Test(calibrate, weights_of_one_change_nothing) {
    const double m[] = {2, -5, 0.5, -4, 3, -3, -0.5, 4, -2, 5};
    const int said[] = {1, 0, 0, 0, 1, 0, 1, 1, 0, 1};
    const double w[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int k = 0; k < 2; k++) {
        double lo, hi, lo1, hi1, right = k ? 0.95 : 0.90;
        cr_assert_eq(rv_cal_choose_band(m, said, 10, right, 1.96, &lo, &hi),
                     rv_cal_choose_band_weighted(m, said, w, 10, right, 1.96, &lo1, &hi1));
        cr_assert_eq(rv_cal_choose_band(m, said, 10, right, 0, &lo, &hi), 1);
        cr_assert_eq(rv_cal_choose_band_weighted(m, said, w, 10, right, 0, &lo1, &hi1), 1);
        cr_expect(lo == lo1 && hi == hi1, "(%g, %g) against (%g, %g)", lo, hi, lo1, hi1);
    }
}

/* Reviews of the unsure list crowd the middle; the sample of sure verdicts
 * (one in four here, each standing for four) puts the ends back. Counted
 * once each, the best cut is right 9 of 10 and 95 % needs a band; counted
 * by what they stand for, 21 of 22, and one cut will do. */
Test(calibrate, a_sample_of_sure_reviews_counts_for_what_it_stands_for) {
    const double m[] = {-5, -5, 5, 5, -2, -1, -0.5, 0.5, 1, 2};
    const int said[] = {0, 0, 1, 1, 0, 0, 1, 0, 1, 1};
    const double w[] = {4, 4, 4, 4, 1, 1, 1, 1, 1, 1};
    double lo, hi;
    cr_assert_eq(rv_cal_choose_band(m, said, 10, 0.95, 0, &lo, &hi), 1);
    cr_expect(lo < hi, "once each: one that crosses is left unsure (%g, %g)", lo, hi);
    cr_assert_eq(rv_cal_choose_band_weighted(m, said, w, 10, 0.95, 0, &lo, &hi), 1);
    cr_expect_float_eq(lo, hi, 1e-12, "by weight: one cut (%g, %g)", lo, hi);
}

/* Weights say what the reviews stand for, not how many there are: thirty
 * reviews all right, each standing for ten, are still thirty (0.89 at the
 * lower end of their interval), which cannot show 95 %. */
Test(calibrate, weights_do_not_make_more_evidence) {
    double m[30], w[30];
    int said[30];
    for (int i = 0; i < 30; i++) m[i] = i < 15 ? -1 - i : i - 14, said[i] = i >= 15, w[i] = 10;
    double lo, hi;
    cr_expect_eq(rv_cal_choose_band(m, said, 30, 0.95, 1.96, &lo, &hi), 0);
    cr_expect_eq(rv_cal_choose_band_weighted(m, said, w, 30, 0.95, 1.96, &lo, &hi), 0);
    cr_expect_eq(rv_cal_choose_band_weighted(m, said, w, 30, 0.85, 1.96, &lo, &hi), 1, "0.89 does show 85 %%");
}

/* A wider band than the shipped one needs the reviews to show the shipped
 * band wrong, not merely fail to show it right: half right of forty is
 * wrong; four of five right, or nothing confident, shows nothing; and four
 * of five weighted ten each are still five reviews, where fifty would show
 * 0.80 too low. */
Test(calibrate, a_wider_band_needs_the_shipped_one_shown_wrong) {
    double m[50], w[50];
    int said[50];
    for (int i = 0; i < 40; i++) m[i] = i % 2 ? 5 : -5, said[i] = i % 4 < 2; /* right every other */
    cr_expect_eq(rv_cal_shown_wrong(m, said, NULL, 40, 1, 0.90, 1.96), 1, "20 of 40 right");
    for (int i = 0; i < 40; i++) said[i] = m[i] > 0;
    cr_expect_eq(rv_cal_shown_wrong(m, said, NULL, 40, 1, 0.90, 1.96), 0, "all right");
    for (int i = 0; i < 40; i++) m[i] = 0.5;
    cr_expect_eq(rv_cal_shown_wrong(m, said, NULL, 40, 1, 0.90, 1.96), 0, "nothing confident");
    for (int i = 0; i < 5; i++) m[i] = 5, said[i] = i < 4, w[i] = 10;
    cr_expect_eq(rv_cal_shown_wrong(m, said, NULL, 5, 1, 0.90, 1.96), 0, "4 of 5: 0.96 at the upper end");
    cr_expect_eq(rv_cal_shown_wrong(m, said, w, 5, 1, 0.90, 1.96), 0, "weighted, still five");
    for (int i = 0; i < 50; i++) m[i] = 5, said[i] = i % 5 != 0;
    cr_expect_eq(rv_cal_shown_wrong(m, said, NULL, 50, 1, 0.90, 1.96), 1, "40 of 50: 0.89 at the upper end");
}

/* What counts is the listening, not the band's width: a narrow band away
 * from the shipped one that leaves eight reviews unsure where the shipped
 * band leaves none needs the shipped band shown wrong (88 of 96 right is
 * not: 0.96 at the upper end); a wide one leaving none unsure does not. */
Test(calibrate, more_listening_needs_the_shipped_band_shown_wrong) {
    double m[96];
    int said[96];
    for (int i = 0; i < 80; i++) m[i] = i < 40 ? 20 : -20, said[i] = i < 40;
    for (int i = 80; i < 96; i++) m[i] = 8.1, said[i] = i < 88; /* eight of them wrong */
    cr_expect_eq(rv_cal_band_allowed(m, said, NULL, 96, 8.05, 8.15, 1, 0.90, 1.96), 0, "8 more unsure, not shown");
    cr_expect_eq(rv_cal_band_allowed(m, said, NULL, 96, -0.5, 0.5, 1, 0.90, 1.96), 1, "no more unsure");
    cr_expect_eq(rv_cal_band_allowed(m, said, NULL, 96, -15, 5, 1, 0.90, 1.96), 1, "wide, but none unsure");
    for (int i = 80; i < 96; i++) said[i] = 0; /* sixteen wrong of 96: 0.89 at the upper end, shown */
    cr_expect_eq(rv_cal_band_allowed(m, said, NULL, 96, 8.05, 8.15, 1, 0.90, 1.96), 1);
}

/* Found nowhere (-1e9), or no number: confidently not said, and no edge
 * below the scores found somewhere, so the band's width stays finite. */
Test(calibrate, found_nowhere_is_never_inside_the_band) {
    const double m[] = {-1e9, NAN, -1e9, -1, 0.2, 1, 2};
    const int said[] = {0, 0, 1, 0, 0, 1, 1};
    double lo, hi;
    cr_assert_eq(rv_cal_choose_band(m, said, 7, 0.80, 0, &lo, &hi), 1);
    cr_expect(lo > -1 && hi < 2 && lo <= hi, "(%g, %g)", lo, hi);
}

/* Two cuts equally good (nothing unsure, one verdict wrong, 101 of 102
 * right): below the said one scored low (-15: the not said one scored high
 * is stated) or above the not said one (10: the said one is not stated).
 * The one that moves the threshold least is taken, not the lower. */
Test(calibrate, of_equal_bands_the_nearest_the_shipped_threshold) {
    double m[102];
    int said[102];
    for (int i = 0; i < 100; i++) m[i] = i < 50 ? -20 : 15, said[i] = i >= 50;
    m[100] = -10, said[100] = 1; /* said, scored low */
    m[101] = 5, said[101] = 0;   /* not said, scored high */
    double lo, hi;
    cr_assert_eq(rv_cal_choose_band(m, said, 102, 0.985, 0, &lo, &hi), 1);
    cr_expect(lo == 10 && hi == 10, "10, not -15: (%g, %g)", lo, hi);
    for (int i = 0; i < 102; i++) m[i] = -m[i], said[i] = !said[i]; /* the mirror image */
    cr_assert_eq(rv_cal_choose_band(m, said, 102, 0.985, 0, &lo, &hi), 1);
    cr_expect(lo == -10 && hi == -10, "the mirror's: -10, not 15: (%g, %g)", lo, hi);
}

/* The lowest said and the highest not said: whatever the band, both are
 * confident and wrong, and 90 % right needs twenty confident of ten. */
Test(calibrate, no_band_when_none_is_right_often_enough) {
    double m[10];
    int said[10];
    for (int i = 0; i < 10; i++) m[i] = i + 1, said[i] = i % 2 == 0;
    double lo = 7, hi = 7;
    cr_expect_eq(rv_cal_choose_band(m, said, 10, 0.90, 0, &lo, &hi), 0);
    cr_expect(lo == 7 && hi == 7, "untouched when none qualifies");
    cr_expect_eq(rv_cal_choose_band(m, said, 0, 0.90, 0, &lo, &hi), 0, "nothing to choose on");
}

/* Sixty reviews all right are 0.94 at the lower end of their interval: not
 * enough to say 95 % (calibrate's z), enough to say 90 %. */
Test(calibrate, a_few_dozen_right_do_not_prove_95_percent) {
    double m[60];
    int said[60];
    for (int i = 0; i < 60; i++) m[i] = i < 30 ? -1 - i : 1 + i, said[i] = i >= 30;
    double lo, hi;
    cr_expect_eq(rv_cal_choose_band(m, said, 60, 0.95, 0, &lo, &hi), 1, "the share itself: 1.00");
    cr_expect_eq(rv_cal_choose_band(m, said, 60, 0.95, RV_CAL_Z, &lo, &hi), 0);
    cr_expect_eq(rv_cal_choose_band(m, said, 60, 0.90, RV_CAL_Z, &lo, &hi), 1);
}

static rv_verdict decide(double score, double threshold, double slope, double c)
{
    rv_phrase_check k = {0};
    k.score = score;
    k.threshold = threshold;
    rv_verdict_decide(&k, slope, c);
    return k.verdict;
}

/* Reports give scores to 0.001, so a band's edges lie 0.0005 from the
 * reviews beside them: the written threshold and slope must put those
 * reviews on the same sides in the product as in calibrate's count. */
Test(calibrate, the_written_band_keeps_the_reviews_beside_its_edges) {
    rv_config base;
    rv_config_defaults(&base);
    const double t = base.asr_name_min_score, a = -27.462, b = -6.721;
    const double lo = (a + 0.001 + a) / 2 - t, hi = (b + b + 0.001) / 2 - t; /* margins */
    rv_calibration cal = {0};
    cal.c[RV_CAL_NAME].calibrated = 1;
    cal.c[RV_CAL_NAME].shift = (lo + hi) / 2;
    cal.c[RV_CAL_NAME].slope = log(19) / ((hi - lo) / 2);
    char path[] = "/tmp/rv-cal-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(f);
    cr_expect_eq(rv_calibration_write(&cal, &base, f), 7, "six thresholds and the slope");
    fclose(f);
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_error e;
    cr_assert_eq(rv_config_load_file(&cfg, path, &e), RV_OK, "%s", e.msg);
    unlink(path);
    double th = cfg.asr_name_min_score, s = cfg.asr_name_confidence_slope, c = cfg.verdict_min_confidence;
    cr_expect_eq(decide(a, th, s, c), RV_VERDICT_NOT_STATED);
    cr_expect_eq(decide(a + 0.001, th, s, c), RV_VERDICT_UNSURE);
    cr_expect_eq(decide(b, th, s, c), RV_VERDICT_UNSURE);
    cr_expect_eq(decide(b + 0.001, th, s, c), RV_VERDICT_STATED);
}

/* A band of width nought written at the slope's limit: the product leaves
 * less unsure than the half-step between two reported scores. */
Test(calibrate, a_band_of_width_nought_stays_one) {
    rv_config base;
    rv_config_defaults(&base);
    rv_error e;
    char v[32];
    snprintf(v, sizeof v, "%d", RV_CAL_MAX_SLOPE);
    cr_expect_eq(rv_config_set(&base, "asr_name_confidence_slope", v, &e), RV_OK, "%s", e.msg);
    const double t = -10.0005; /* half-way between two reported scores */
    cr_expect_eq(decide(-10.001, t, RV_CAL_MAX_SLOPE, 0.95), RV_VERDICT_NOT_STATED);
    cr_expect_eq(decide(-10.000, t, RV_CAL_MAX_SLOPE, 0.95), RV_VERDICT_STATED);
}

Test(calibrate, asks_for_sure_reviews_only_when_the_unsure_list_failed) {
    rv_cal_result r = {0};
    r.no_band = 1, r.unsure[0] = 0.8;
    cr_expect(rv_cal_wants_sure_reviews(&r), "no band from mostly unsure reviews");
    r.unsure[0] = 0.5;
    cr_expect(!rv_cal_wants_sure_reviews(&r), "half of them sure: the count, not the kind, is short");
    r.unsure[0] = 1, r.no_band = 0;
    cr_expect(!rv_cal_wants_sure_reviews(&r), "a band was found, or too few reviews to try");
}
