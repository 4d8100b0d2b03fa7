/* An installation's own thresholds, from the greetings its officers reviewed
 * (rv_store_add_review): for names, units (with organisations) and closing
 * prompts, once enough of each were heard said and not said, the cut on
 * their scores with the highest true-positive rate at a false-positive rate
 * of at most 5 %, as a shift of the shipped thresholds. Reads the store and
 * the reports it keeps; writes nothing. */
#ifndef RV_CALIBRATE_H
#define RV_CALIBRATE_H

#include <stdio.h>

#include "rostvakt/config.h"
#include "rostvakt/err.h"
#include "rostvakt/store.h"

typedef enum { RV_CAL_NAME, RV_CAL_UNIT, RV_CAL_CLOSING, RV_CAL__COUNT } rv_cal_class;

typedef struct {
    int stated, not_stated;      /* reviewed greetings of each kind with a score */
    int calibrated;              /* enough of both: shift applies */
    double shift;                /* added to the class's thresholds */
    /* local rates at the shipped thresholds and at the shifted ones, with
     * their 95 % (Wilson) intervals */
    double tpr[2], tpr_lo[2], tpr_hi[2], fpr[2], fpr_lo[2], fpr_hi[2];
} rv_cal_result;

typedef struct {
    rv_cal_result c[RV_CAL__COUNT];
    int min_per_class;
} rv_calibration;

/* "name", "unit", "closing". */
const char *rv_cal_class_name(rv_cal_class c);

/* Calibrate from s's reviews against base (the configuration without any
 * earlier calibration: scores are compared with its thresholds). A class
 * needs min_per_class reviewed greetings heard said and as many not said. */
rv_err rv_calibrate(rv_store *s, const rv_config *base, int min_per_class, rv_calibration *out, rv_error *err);

/* Write the settings of the calibrated classes ("name = value" lines: base's
 * thresholds shifted) to f; returns how many. */
int rv_calibration_write(const rv_calibration *cal, const rv_config *base, FILE *f);

#endif
