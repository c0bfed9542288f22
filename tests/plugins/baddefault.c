/*
 * baddefault: a test plugin whose schema declares an integer key with the
 * default "ten".  That is the plugin's own bug: the host must refuse the
 * plugin at load, naming the module and the key, before any instance of it
 * runs, and "plexusd --check" must say so too.
 */
#include "plexus/plugin.h"

static const struct px_config_key baddefault_keys[] = {
    {.key = "retries", .type = PX_CONFIG_INT, .default_value = "ten"},
    {.key = NULL},
};

static int
baddefault_init(struct px_plugin *p)
{
    px_info(p, "baddefault init ran");
    return 0;
}

PX_PLUGIN_DEFINE(.name = "baddefault", .version = "1.0",
                 .description = "test plugin: a default of the wrong type",
                 .config_keys = baddefault_keys, .init = baddefault_init);
