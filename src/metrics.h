/* The service's metrics: counters since start, shared by every thread
 * (atomics, no lock), and their Prometheus text for GET /metrics. Not
 * installed. */
#ifndef RV_METRICS_H
#define RV_METRICS_H

#include <stdatomic.h>
#include <stdio.h>

#include "rostvakt/greeting.h"

#define RV_LATENCY_BUCKETS 11

typedef struct {
    _Atomic unsigned long long status[6]; /* 1xx .. 5xx, [0] other */
    _Atomic unsigned long long latency[RV_LATENCY_BUCKETS + 1];
    _Atomic unsigned long long latency_us_sum, requests;
    _Atomic unsigned long long analyses, analysis_failures;
    _Atomic unsigned long long vm_class[3];                 /* rv_vm_class */
    _Atomic unsigned long long greetings[RV_OUTCOME__COUNT]; /* rv_greeting_outcome */
} rv_metrics;

/* A new set of counters, all 0 (free()). */
rv_metrics *rv_metrics_new(void);
/* An answer's status; a request's time from its headers to its end. */
void rv_metrics_status(rv_metrics *m, unsigned status);
void rv_metrics_latency(rv_metrics *m, double seconds);
/* A voicemail's analysis recorded: its rv_vm_class, or -1 when it failed. */
void rv_metrics_analysis(rv_metrics *m, int vm_class);
/* A greeting analysed, with its verdict. */
void rv_metrics_greeting(rv_metrics *m, rv_greeting_outcome outcome);
/* The Prometheus text exposition, with queued as the queue's depth. */
void rv_metrics_write(const rv_metrics *m, long long queued, FILE *f);

#endif
