"""Integration test of C++ plugins: tests/plugins/cxxplugin.cc built by g++
(C++17) and by clang++ (C++20), both loaded into the sanitizer build of
plexusd, answering events, and unloaded cleanly.

Imported by run.py, which runs every test_* function here.
"""

from harness import check, copies_mapped


def ticks(d, name, since=0):
    """The tick count in the first of 'name''s tick lines since 'since',
    and the index of that line."""
    m = d.wait_for(r"%s: tick (\d+)$" % name, since)
    with d.cond:
        return int(m.group(1)), d.lines.index(m.string, since)


def test_cxx_plugins_load_answer_and_unload(args, env):
    """Both C++ builds initialise (their descriptor found by its C name),
    tick, count host.plugin_loaded events in a std::unordered_map, and
    unload: out of the process's memory, no sanitizer report at exit."""
    names = {"cxxplugin_gxx": (r"g\+\+ .*", 17),
             "cxxplugin_clang": (r"clang\+\+ .*", 20)}
    for name in names:
        env.install(name)
        env.plugin_ini("10-" + name, name, own="tick = 0.05\n")
    d = env.start()
    for name, (compiler, std) in names.items():
        d.wait_for(r"%s: built by %s as C\+\+%d, ticking every 0\.05 s"
                   % (name, compiler, std))
        # Counts that change: the timer's callbacks reach the C++ object.
        n, i = ticks(d, name)
        m, _ = ticks(d, name, i + 1)
        check(m > n, "%s: tick %d then %d" % (name, n, m))

    # A plugin loaded later: each counts it, per module and in all.
    loads = {}
    for name in names:
        m = d.wait_for(r"%s: saw \w+ loaded \(\w+: \d+, all modules: (\d+)\)"
                       % name)
        loads[name] = int(d.count(r"%s: saw \w+ loaded" % name))
    env.install("counter")
    env.plugin_ini("20-counter", "counter", own="tick = 1\n")
    since = d.mark()
    outcome, line = d.reload()
    check(outcome == "done" and "added [counter]" in line, line)
    for name in names:
        d.wait_for(r"%s: saw counter loaded \(counter: 1, all modules: %d\)"
                   % (name, loads[name] + 1), since)

    # Disabling one unloads it and unmaps it; the other keeps ticking.
    for name in names:
        check(copies_mapped(d, name), "%s not found mapped" % name)
    since = d.mark()
    env.plugin_ini("10-cxxplugin_clang", "cxxplugin_clang", enabled=False,
                   own="tick = 0.05\n")
    outcome, line = d.reload()
    check(outcome == "done" and "removed [cxxplugin_clang]" in line, line)
    d.wait_for(r"cxxplugin_clang: down after \d+ ticks, %d plugin loads "
               r"seen" % (loads["cxxplugin_clang"] + 1), since)
    check(not copies_mapped(d, "cxxplugin_clang"),
          "cxxplugin_clang still mapped")
    n, i = ticks(d, "cxxplugin_gxx", d.mark())
    ticks(d, "cxxplugin_gxx", i + 1)
    since = d.mark()
    env.remove("10-cxxplugin_gxx.ini")
    outcome, line = d.reload()
    check(outcome == "done" and "removed [cxxplugin_gxx]" in line, line)
    d.wait_for(r"cxxplugin_gxx: down after \d+ ticks", since)
    check(not copies_mapped(d, "cxxplugin_gxx"), "cxxplugin_gxx still mapped")
    d.stop()
