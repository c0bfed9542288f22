/*
 * cxxplugin: a test plugin written in C++, to show that the SDK serves C++
 * plugins: every SDK header compiles as C++ (this file includes them all)
 * and PX_PLUGIN_DEFINE exports the descriptor with C linkage.
 *
 * The Makefile builds it twice, as two modules: with g++ as C++17 (the
 * positional PX_PLUGIN_DEFINE_POSITIONAL, C++17 having no designated
 * initialisers) and with clang++ as C++20 (the designated PX_PLUGIN_DEFINE),
 * and compiles it in the two other pairings without linking.  Inside it is
 * ordinary C++: a class holding a std::string and a std::unordered_map.  It
 * ticks on a timer and counts host.plugin_loaded events per module,
 * logging lines the integration test reads:
 *   built by COMPILER as C++NN, ticking every T s
 *   tick N
 *   saw MODULE loaded (MODULE: N, all modules: M)
 *   down after N ticks, M plugin loads seen
 */
#include <cerrno>
#include <new>
#include <string>
#include <unordered_map>

#include "plexus/buf.h"
#include "plexus/byteorder.h"
#include "plexus/conn.h"
#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/mactable.h"
#include "plexus/of_text.h"
#include "plexus/packet.h"
#include "plexus/plugin.h"
#include "plexus/table.h"
#include "plexus/vns_codec.h"
#include "plexus/ws.h"
#include "plexus/topics/host.h"
#include "plexus/topics/http.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"
#include "plexus/topics/topology.h"
#include "plexus/topics/vns.h"
#include "plexus/util.h"

#ifndef CXXPLUGIN_NAME
#define CXXPLUGIN_NAME "cxxplugin"
#endif

namespace
{

const char *
compiler()
{
#if defined(__clang__)
    return "clang++ " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " __VERSION__;
#else
    return "an unknown C++ compiler";
#endif
}

int
standard()
{
    return __cplusplus >= 202002L ? 20 : __cplusplus >= 201703L ? 17 : 14;
}

/* The plugin's state: what a C plugin keeps in a struct, with C++'s
 * containers. */
class Watcher
{
  public:
    explicit Watcher(px_plugin *p) : p_(p)
    {
    }

    void tick()
    {
        ++ticks_;
        px_info(p_, "tick %lu", ticks_);
    }

    /* May throw std::bad_alloc (a new module name); the caller catches,
     * since no exception may cross into the host's C. */
    void loaded(const char *module)
    {
        std::string name(module ? module : "?");
        unsigned long n = ++per_module_[name];

        ++loads_;
        px_info(p_, "saw %s loaded (%s: %lu, all modules: %lu)", name.c_str(),
                name.c_str(), n, loads_);
    }

    void down() const
    {
        px_info(p_, "down after %lu ticks, %lu plugin loads seen", ticks_,
                loads_);
    }

  private:
    px_plugin *p_;
    unsigned long ticks_ = 0;
    unsigned long loads_ = 0;
    std::unordered_map<std::string, unsigned long> per_module_;
};

Watcher *
watcher(px_plugin *p)
{
    return static_cast<Watcher *>(px_get_data(p));
}

/* Config keys in declaration order, which C++17 needs without designated
 * initialisers; the terminator is all zero. */
const px_config_key cxx_keys[] = {
    {"tick", PX_CONFIG_DOUBLE, "0.1", 0.01, 10, nullptr,
     "seconds between ticks"},
    {},
};

} // namespace

/* The host calls these through C function pointers: C linkage, so their
 * type is exactly the SDK's. */
extern "C" {

static void
cxx_on_tick(px_plugin *p, px_timer *, void *)
{
    watcher(p)->tick();
}

static int
cxx_on_loaded(px_plugin *p, const px_event *ev, void *)
{
    const px_host_plugin *e = static_cast<const px_host_plugin *>(ev->payload);

    if (ev->len < sizeof *e) {
        return PX_EVENT_CONTINUE;
    }
    try {
        watcher(p)->loaded(e->module);
    } catch (const std::bad_alloc &) {
        px_warn(p, "out of memory: a plugin load went uncounted");
    }
    return PX_EVENT_CONTINUE;
}

static int
cxx_init(px_plugin *p)
{
    Watcher *w = new (std::nothrow) Watcher(p);
    double tick;
    int error;

    if (!w) {
        return ENOMEM;
    }
    px_set_data(p, w);
    if ((error = px_config_double(p, "tick", &tick)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_PLUGIN_LOADED,
                              PX_TOPIC_HOST_PLUGIN_VERSION, PX_PRIO_DEFAULT,
                              cxx_on_loaded, nullptr, nullptr)) ||
        (error =
             px_timer_start(p, tick, tick, cxx_on_tick, nullptr, nullptr))) {
        px_set_data(p, nullptr);
        delete w;
        return error;
    }
    px_info(p, "built by %s as C++%d, ticking every %g s", compiler(),
            standard(), tick);
    return 0;
}

static void
cxx_fini(px_plugin *p)
{
    Watcher *w = watcher(p);

    if (w) {
        w->down();
    }
    px_set_data(p, nullptr);
    delete w;
}

} // extern "C"

#if __cplusplus >= 202002L
/* C++20: designated, in the struct's order. */
PX_PLUGIN_DEFINE(.name = CXXPLUGIN_NAME, .version = "1.0",
                 .description = "a C++ test plugin", .config_keys = cxx_keys,
                 .init = cxx_init, .fini = cxx_fini);
#else
PX_PLUGIN_DEFINE_POSITIONAL(CXXPLUGIN_NAME, "1.0", "a C++ test plugin",
                            cxx_keys, cxx_init, cxx_fini, nullptr);
#endif
