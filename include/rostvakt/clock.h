/* Time for the service and its tools: a monotonic clock for durations and
 * deadlines, and the wall-clock instant a thread waits until. (Calendar
 * dates and working days are calendar.h's.) */
#ifndef RV_CLOCK_H
#define RV_CLOCK_H

#include <time.h>

/* Milliseconds of the monotonic clock: for durations, never dates. */
long long rv_now_ms(void);
/* Seconds between two readings of the monotonic clock (clock_gettime
 * CLOCK_MONOTONIC), as a request's latency. */
double rv_seconds_between(const struct timespec *from, const struct timespec *to);
/* The CLOCK_REALTIME instant ms milliseconds from now, as
 * pthread_cond_timedwait takes it. */
struct timespec rv_wait_until(long long ms);

#endif
