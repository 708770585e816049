/* Reading the store's JSON arrays of strings (mx_hosts, rua, mx_patterns) without SQLite. */
#ifndef REPORT_JSON_LIST_H
#define REPORT_JSON_LIST_H

#include <stddef.h>

/* Calls fn for each string of the JSON array `json` (e.g. ["a","b"]), decoded into a
 * NUL-terminated buffer that is valid only during the call. Escapes are decoded; \u
 * escapes outside ASCII become '?' (host names and URIs are ASCII). A string longer than
 * REPORT_JSON_STRING_MAX bytes is skipped. Returns the number of strings, or -1 when json
 * is NULL or not an array of strings (fn may have been called for the leading strings). */
#define REPORT_JSON_STRING_MAX 1024
int report_json_strings(const char *json, void (*fn)(const char *s, void *arg), void *arg);

#endif
