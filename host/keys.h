/*
 * "plexusd --keys": every configuration key plexusd and its plugins accept,
 * as JSON, for tools that document or check configurations (the build makes
 * plexus.conf.d(5) from it, so the manual lists exactly what the parser and
 * the plugins' schemas accept).
 */
#ifndef PX_KEYS_H
#define PX_KEYS_H 1

#include <stddef.h>
#include <stdio.h>

/* Writes to 'out' one JSON object: "host" and "plugin", the keys of those
 * sections, and "modules", each plugin module found in 'dirs' (in order;
 * "NAME.so" or "NAME/NAME.so", the first of a name wins, as on
 * plugin_path) with its version, description and declared keys.  A module
 * that cannot be opened is reported on stderr and makes the result
 * nonzero; the others are still written.  Returns 0 or a positive errno. */
int px_keys_dump(char *const *dirs, size_t n_dirs, FILE *out);

#endif /* PX_KEYS_H */
