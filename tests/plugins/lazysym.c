/*
 * lazysym: a third-party plugin as a new user builds one, with plain
 * "cc -shared -fPIC" and none of the SDK's link flags, so the dynamic
 * loader would bind its symbols lazily.  Its init calls a function no
 * library provides: loaded lazily, the daemon would die at that call
 * ("symbol lookup error") with every switch dropped.  The host must bind
 * it completely at load and refuse it alone, naming the symbol.
 */
#include "plexus/plugin.h"

void some_helper_from_libfoo(void);

static int
lazysym_init(struct px_plugin *p)
{
    px_info(p, "about to call a helper from libfoo");
    some_helper_from_libfoo();
    return 0;
}

PX_PLUGIN_DEFINE(.name = "lazysym", .version = "1.0",
                 .description = "test plugin: lazily bound, unresolved symbol",
                 .init = lazysym_init);
