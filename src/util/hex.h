/*
 * util/hex.h - reading hex digits (key IDs, %-escapes). Pure.
 *
 * Input may be untrusted (any int, EOF included, is answered). Nothing
 * is allocated.
 */
#ifndef KM_UTIL_HEX_H
#define KM_UTIL_HEX_H

/* The value 0-15 of the hex digit c (either case), or -1. */
int hex_digit(int c);

#endif
