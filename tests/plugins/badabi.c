/*
 * badabi: a test plugin built for a plugin ABI this host does not speak.
 * The descriptor is written out by hand because PX_PLUGIN_DEFINE always
 * fills in the current ABI.
 */
#include "plexus/plugin.h"

static int
badabi_init(struct px_plugin *p)
{
    (void)p;
    return 0;
}

__attribute__((visibility("default")))
const struct px_plugin_descriptor px_plugin_descriptor = {
    .abi_major = 99,
    .abi_minor = 0,
    .size = sizeof(struct px_plugin_descriptor),
    .name = "badabi",
    .version = "1.0",
    .description = "test plugin: wrong ABI",
    .init = badabi_init,
};
