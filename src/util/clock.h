/*
 * util/clock.h - the monotonic clock in milliseconds, for timeouts and
 * durations (never for dates: it starts at an arbitrary point).
 *
 * No input, nothing allocated.
 */
#ifndef KM_UTIL_CLOCK_H
#define KM_UTIL_CLOCK_H

#include <stdint.h>

uint64_t clock_ms(void);

#endif
