/*
 * badsym: a test plugin that calls a function nobody defines.  It is linked
 * with -z now but without --no-undefined, so it builds and then fails at
 * load; the host must name the missing symbol.
 */
#include "plexus/plugin.h"

void px_missing_symbol_for_test(void);

static int
badsym_init(struct px_plugin *p)
{
    (void)p;
    px_missing_symbol_for_test();
    return 0;
}

PX_PLUGIN_DEFINE(.name = "badsym", .version = "1.0",
                 .description = "test plugin: unresolved symbol",
                 .init = badsym_init);
