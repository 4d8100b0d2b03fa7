/* An installation's own thresholds, from the greetings its officers reviewed
 * (rv_store_add_review): for names, units (with organisations) and closing
 * prompts, once enough of each were heard said and not said, the band of
 * three-way verdicts on their scores with the fewest unsure whose confident
 * verdicts are right often enough (rv_cal_choose_band): its middle shifts the
 * shipped thresholds and its half-width sets the slope, so that a verdict is
 * confident exactly outside it. Where no band qualifies, the shipped
 * thresholds and slope stay. Reads the store and the reports it keeps;
 * writes nothing. */
#ifndef RV_CALIBRATE_H
#define RV_CALIBRATE_H

#include <stdio.h>

#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/store.h"

typedef enum { RV_CAL_NAME, RV_CAL_UNIT, RV_CAL_CLOSING, RV_CAL__COUNT } rv_cal_class;

typedef struct {
    int stated, not_stated;      /* reviewed greetings of each kind with a score */
    int sampled, sample_weight;  /* of them, reviews of a sample of sure verdicts, and what one counts
                                  * for (-1: not the same for all) */
    int calibrated;              /* enough of both, the configuration leaves them, a band: shift applies */
    int no_band;                 /* enough of both, but no band keeps the rule */
    int not_shown_wrong;         /* a band leaving more unsure keeps it, but the shipped one is not shown wrong */
    const char *overridden;      /* a setting of the class the configuration sets itself, or NULL */
    double shift;                /* added to the class's thresholds */
    double slope;                /* the class's confidence slope (the shipped one unless calibrated) */
    /* three-way verdicts of the reviewed greetings with the shipped band
     * and with this installation's: the share unsure, how many confident
     * and the share of those right */
    double unsure[2], right[2];
    int confident[2];
    /* local rates at the shipped thresholds and at the shifted ones, with
     * their 95 % (Wilson) intervals */
    double tpr[2], tpr_lo[2], tpr_hi[2], fpr[2], fpr_lo[2], fpr_hi[2];
} rv_cal_result;

typedef struct {
    rv_cal_result c[RV_CAL__COUNT];
    int min_per_class;
    double min_right;
} rv_calibration;

/* "name", "unit", "closing". */
const char *rv_cal_class_name(rv_cal_class c);

/* The band (lo, hi) of margins (score less threshold) to leave unsure: the
 * one with the fewest of the n scores inside it whose confident verdicts
 * (stated at or above hi, not stated at or below lo) are right at least
 * min_right of the time, with at least a tenth of them confident; ties go to
 * the more right, then the narrower, then the one whose middle is nearest
 * the shipped threshold (margin 0: the least change), then the lower. "Right at least min_right of the time"
 * is the lower end of the share's Wilson interval at z (z = 0: the share
 * itself). Its edges lie half-way between neighbouring scores, inside the
 * scores (never open at either end); lo == hi leaves nothing unsure.
 * Margins at or below -1e8 (found nowhere) or not numbers are always
 * confidently not stated. 1 when found, 0 when no band qualifies, -1 when
 * out of memory. */
int rv_cal_choose_band(const double *margin, const int *said, size_t n, double min_right, double z, double *lo,
                       double *hi);
/* The same with a weight for each score (NULL: 1 each), as when the
 * reviews are a sample: unsure and confident, right and wrong, are counted
 * by weight, and the share right is judged on the effective count. */
int rv_cal_choose_band_weighted(const double *margin, const int *said, const double *weight, size_t n,
                                double min_right, double z, double *lo, double *hi);

/* Whether the reviews show the band (-half_width, half_width) of margins
 * wrong: its confident verdicts right less than min_right of the time at
 * the upper end of their Wilson interval at z (weights as above, NULL: 1
 * each; on the effective count). 0 when none of them is confident. */
int rv_cal_shown_wrong(const double *margin, const int *said, const double *weight, size_t n, double half_width,
                       double min_right, double z);

/* Whether calibrate may take the band (lo, hi): it leaves no more of the
 * reviews unsure (by weight) than the shipped band (-half_width,
 * half_width) does, or the reviews show the shipped band wrong
 * (rv_cal_shown_wrong). More listening needs evidence, as less does. */
int rv_cal_band_allowed(const double *margin, const int *said, const double *weight, size_t n, double lo, double hi,
                        double half_width, double min_right, double z);

/* rostvakt calibrate's z: the rule must hold at the lower end of the 95 %
 * interval, so that a few dozen reviews that happen to be all right do not
 * take the unsure band away. */
#define RV_CAL_Z 1.959964
/* rostvakt calibrate's default share of confident verdicts right (at
 * RV_CAL_Z): measured on real voices in docs/verification.md. */
#define RV_CAL_MIN_RIGHT 0.90
/* Whether to ask for reviews of greetings the service was sure of: no band
 * qualified, or one leaving more unsure was refused (not_shown_wrong), and
 * more than half of the class's reviews were of verdicts the shipped band
 * left unsure. Reviews of the unsure list alone seldom let a
 * band be found (docs/verification.md, "Reviews drawn from the unsure
 * list"). */
int rv_cal_wants_sure_reviews(const rv_cal_result *r);

/* The steepest slope calibrate writes (the setting's limit): ln 19 / 10000
 * leaves 0.0003 unsure, less than the half-step between two scores a
 * report gives (0.001 apart), so a band of width nought stays one. */
#define RV_CAL_MAX_SLOPE 10000

/* Calibrate from s's reviews against base (the configuration without any
 * earlier calibration: scores are compared with its thresholds and slopes).
 * A class needs min_per_class reviewed greetings heard said and as many not
 * said; min_right is rv_cal_choose_band's, at RV_CAL_Z. A class's band must
 * keep the rule with the slope as written (its limits), else the class
 * keeps the shipped thresholds. probe (NULL: not checked) is the configuration built with
 * rv_calibration_write_probe's file as its calibration: a class any of
 * whose settings the configuration sets itself is left to it, since a
 * calibration it half overrides would be neither. */
RV_MUST_USE rv_err rv_calibrate(rv_store *s, const rv_config *base, const rv_config *probe, int min_per_class,
                                double min_right, rv_calibration *out, rv_error *err);

/* Write every setting calibrate may write, each moved by a probe value, to
 * f: built as the calibration under the configuration, it shows which of
 * them the configuration sets itself (rv_calibration_overridden). */
void rv_calibration_write_probe(const rv_config *base, FILE *f);
/* The first setting of class c the configuration sets itself (probe built
 * with rv_calibration_write_probe's file), or NULL. */
const char *rv_calibration_overridden(const rv_config *base, const rv_config *probe, rv_cal_class c);

/* Write the settings of the calibrated classes ("name = value" lines: base's
 * thresholds shifted, and their slopes) to f; returns how many. */
int rv_calibration_write(const rv_calibration *cal, const rv_config *base, FILE *f);

#endif
