/*
 * typed: a test plugin that declares one key of every typed value the
 * configuration schema knows (addresses, prefix, MAC, port, duration, enum
 * list) and a free string, and logs what the getters return, so a test
 * can see that good values arrive as written and bad ones never reach
 * init.
 */
#include <string.h>

#include "plexus/plugin.h"

static const struct px_config_key typed_keys[] = {
    {.key = "ipv4", .type = PX_CONFIG_IPV4, .default_value = "10.0.0.1"},
    {.key = "ipv6", .type = PX_CONFIG_IPV6, .default_value = "::1"},
    {.key = "prefix", .type = PX_CONFIG_PREFIX, .default_value = "10.0.0.0/8"},
    {.key = "mac",
     .type = PX_CONFIG_MAC,
     .default_value = "02:00:00:00:00:01"},
    {.key = "port",
     .type = PX_CONFIG_PORT,
     .default_value = "6653",
     .min = 1,
     .max = 65535},
    {.key = "duration", .type = PX_CONFIG_DURATION, .default_value = "5s"},
    {.key = "tables",
     .type = PX_CONFIG_ENUM_LIST,
     .default_value = "flows,ports",
     .choices = "flows|ports|groups|meters"},
    {.key = "text", .type = PX_CONFIG_STRING, .default_value = ""},
    {.key = NULL},
};

static int
typed_init(struct px_plugin *p)
{
    const char *ipv4, *ipv6, *prefix, *mac, *tables, *text;
    long long port;
    double duration;
    int error;

    if ((error = px_config_string(p, "ipv4", &ipv4)) ||
        (error = px_config_string(p, "ipv6", &ipv6)) ||
        (error = px_config_string(p, "prefix", &prefix)) ||
        (error = px_config_string(p, "mac", &mac)) ||
        (error = px_config_int(p, "port", &port)) ||
        (error = px_config_double(p, "duration", &duration)) ||
        (error = px_config_string(p, "tables", &tables)) ||
        (error = px_config_string(p, "text", &text))) {
        return error;
    }
    px_info(p,
            "typed: ipv4=%s ipv6=%s prefix=%s mac=%s port=%lld "
            "duration=%g tables=%s text_len=%zu",
            ipv4, ipv6, prefix, mac, port, duration, tables, strlen(text));
    return 0;
}

PX_PLUGIN_DEFINE(.name = "typed", .version = "1.0",
                 .description = "test plugin: one key of every value type",
                 .config_keys = typed_keys, .init = typed_init);
