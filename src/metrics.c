/* The service's metrics (metrics.h): counters since start and their
 * Prometheus text exposition for GET /metrics. */
#include "metrics.h"

#include <stdlib.h>

#include "rostvakt/classify.h"

static const double buckets[RV_LATENCY_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

rv_metrics *rv_metrics_new(void) { return calloc(1, sizeof(rv_metrics)); }

void rv_metrics_analysis(rv_metrics *m, int vm_class)
{
    if (vm_class < 0) {
        m->analysis_failures++;
        return;
    }
    m->analyses++;
    if ((unsigned)vm_class < 3) m->vm_class[vm_class]++;
}

void rv_metrics_greeting(rv_metrics *m, rv_greeting_outcome outcome)
{
    if ((unsigned)outcome < RV_OUTCOME__COUNT) m->greetings[outcome]++;
}

void rv_metrics_status(rv_metrics *m, unsigned status)
{
    unsigned k = status / 100;
    m->status[k >= 1 && k <= 5 ? k : 0]++;
}

void rv_metrics_latency(rv_metrics *m, double seconds)
{
    size_t b = 0;
    while (b < RV_LATENCY_BUCKETS && seconds > buckets[b]) b++;
    m->latency[b]++;
    m->latency_us_sum += (unsigned long long)(seconds * 1e6);
    m->requests++;
}

void rv_metrics_write(const rv_metrics *m, long long queued, FILE *f)
{
    fprintf(f, "# HELP rostvakt_requests_total HTTP requests answered, by status class.\n"
               "# TYPE rostvakt_requests_total counter\n");
    const char *cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 6; i++)
        fprintf(f, "rostvakt_requests_total{code=\"%s\"} %llu\n", cls[i], (unsigned long long)m->status[i]);
    fprintf(f, "# HELP rostvakt_request_seconds Time from the request's headers to its end.\n"
               "# TYPE rostvakt_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < RV_LATENCY_BUCKETS; b++) {
        cum += m->latency[b];
        fprintf(f, "rostvakt_request_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], cum);
    }
    cum += m->latency[RV_LATENCY_BUCKETS];
    fprintf(f, "rostvakt_request_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    fprintf(f, "rostvakt_request_seconds_sum %.6f\nrostvakt_request_seconds_count %llu\n",
            (double)m->latency_us_sum / 1e6, (unsigned long long)m->requests);
    fprintf(f, "# HELP rostvakt_queue_depth Voicemails waiting for analysis, on every node sharing the database.\n"
               "# TYPE rostvakt_queue_depth gauge\n"
               "rostvakt_queue_depth %lld\n", queued);
    fprintf(f, "# HELP rostvakt_analyses_total Voicemails analysed, and those that failed.\n"
               "# TYPE rostvakt_analyses_total counter\n"
               "rostvakt_analyses_total{result=\"analysed\"} %llu\nrostvakt_analyses_total{result=\"failed\"} %llu\n",
            (unsigned long long)m->analyses, (unsigned long long)m->analysis_failures);
    fprintf(f, "# HELP rostvakt_voicemails_classified_total Voicemails analysed since start, by classification.\n"
               "# TYPE rostvakt_voicemails_classified_total counter\n");
    for (int i = 0; i < 3; i++)
        fprintf(f, "rostvakt_voicemails_classified_total{classification=\"%s\"} %llu\n",
                rv_vm_class_name((rv_vm_class)i), (unsigned long long)m->vm_class[i]);
    fprintf(f, "# HELP rostvakt_greetings_analysed_total Greetings analysed since start, by verdict.\n"
               "# TYPE rostvakt_greetings_analysed_total counter\n");
    for (int i = 0; i < RV_OUTCOME__COUNT; i++)
        fprintf(f, "rostvakt_greetings_analysed_total{verdict=\"%s\"} %llu\n",
                rv_greeting_outcome_name((rv_greeting_outcome)i), (unsigned long long)m->greetings[i]);
}
