# Plexus: one non-recursive Makefile.
#
#   make            host/plexusd and every plugin, in the source tree
#   make check      installs missing Debian packages, builds with ASan+UBSan
#                   under build/asan/, runs unit, integration and fuzz tests
#   make bench      benchmarks, release build: event table, controllers
#                   (plexusd, ovs-testcontroller, the floor), router lab
#   make fuzz       longer fuzzing runs
#   make install PREFIX=/usr/local DESTDIR=
#
# O is the output prefix: empty for the release build (outputs next to the
# sources), build/asan/ for the sanitizer build.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DESTDIR    ?=
O          ?=
SAN        ?=

CC         ?= cc
FUZZ_CC    ?= clang
PYTHON     ?= /usr/bin/python3

WARN       := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 -g -O2 $(WARN) -D_GNU_SOURCE -Isdk/include
ifeq ($(SAN),1)
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
# With ASan a plugin's references to the runtime are resolved by the
# executable, so --no-undefined cannot hold for sanitizer builds.
NO_UNDEF   :=
else
SAN_FLAGS  :=
NO_UNDEF   := -Wl,--no-undefined
endif
# CPPFLAGS and LDFLAGS as a distribution's build passes them
# (dpkg-buildflags: _FORTIFY_SOURCE, -z relro); every link line is also a
# compile line here, and the compiler ignores linker flags when it only
# compiles.
CFLAGS_ALL := $(BASE_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)

# Plugins: hidden by default (the descriptor alone is exported), bound at
# load time so a missing symbol fails the load, not the first call.
PLUGIN_CFLAGS  := -fPIC -fvisibility=hidden
PLUGIN_LDFLAGS := -shared -Wl,-z,now $(NO_UNDEF)

HOST_LIBS  := -lev -lltdl -linih -ljansson -lpthread -lm -lxxhash -lssl -lcrypto \
              -lsystemd

HOST_SRCS  := host/bus.c host/conf.c host/ctl.c host/ctl_builtin.c \
              host/ctl_proto.c host/daemon.c host/instance.c \
              host/log.c host/module.c host/reload.c host/host_stats.c \
              host/host_util.c host/conf_edit.c host/keys.c
HOST_OBJS  := $(HOST_SRCS:%.c=$(O)%.o)

# libplexus.a: the SDK's library (sdk/lib/), linked statically into plexusd
# and into each plugin that uses it, so every plugin generation carries its
# own copy and a reload never leaves one generation running the other's
# code.  Its objects are position-independent, since they end up inside
# plugins, and hidden, so that no plugin exports them.  LIBPLEXUS_LIBS is
# what a program linking it adds.
LIB_SRCS   := sdk/lib/buf.c sdk/lib/conn.c sdk/lib/hash.c sdk/lib/hmap.c sdk/lib/vns_codec.c \
              sdk/lib/packet.c sdk/lib/of_text.c sdk/lib/ws.c \
              sdk/lib/ws_handshake.c
LIB_OBJS   := $(LIB_SRCS:%.c=$(O)%.o)
LIBPLEXUS  := $(O)sdk/lib/libplexus.a
LIBPLEXUS_LIBS := $(LIBPLEXUS) -lxxhash -lssl -lcrypto
# WebSocket sessions (sdk/lib/ws.c, <plexus/ws.h>) are framed by wslay: a
# plugin that starts them adds WS_LIBS.  Not in LIBPLEXUS_LIBS, which every
# plugin links; the handshake helpers (ws_handshake.c) need only libcrypto.
WS_LIBS    := -lwslay
$(LIB_OBJS): CFLAGS_ALL += $(PLUGIN_CFLAGS)

PLUGINS    := logger openflow l2_learning vns_server stats topology \
              simple_switch_13 multipath firewall flowmon console cluster
PLUGIN_SOS := $(foreach p,$(PLUGINS),$(O)plugins/$(p)/$(p).so)

TEST_PLUGINS := counter forgetful threadpub initfail badabi nodesc badsym \
                typed baddefault requester inventory statsmon topowatch \
                webroute sharer \
                switchwatch
TEST_PLUGIN_SOS := $(foreach p,$(TEST_PLUGINS),$(O)tests/plugins/$(p).so) \
                   $(O)tests/plugins/lazysym.so \
                   $(O)tests/plugins/counter-v2.so \
                   $(O)tests/plugins/counter-broken.so \
                   $(O)tests/plugins/webroute-v2.so \
                   $(O)tests/plugins/cxxplugin_gxx.so \
                   $(O)tests/plugins/cxxplugin_clang.so

# The OpenFlow codec, which the unit tests and the fuzz target build too.
OFP_CODEC := plugins/openflow/ofp.c plugins/openflow/ofp_match.c \
             plugins/openflow/ofp_actions.c plugins/openflow/ofp_stats.c
OFP_HEADERS := plugins/openflow/ofp.h plugins/openflow/ofp_wire.h \
               plugins/openflow/ofp_common.h plugins/openflow/ofp_match.h \
               plugins/openflow/ofp_actions.h plugins/openflow/ofp_stats.h

UNIT_TESTS := test_bus test_conf test_module test_logger test_sdk test_ofp \
              test_sr test_vns test_vns_server test_ofstats test_stats \
              test_ctl test_ctlproto test_hmap test_conn test_buf test_packet \
              test_multipath test_firewall test_of_text \
              test_topology test_mactable test_term test_journey test_ws \
              test_con_switch test_cluster test_topo_share
UNIT_BINS  := $(UNIT_TESTS:%=$(O)tests/unit/%)

.PHONY: all check unit integration e2e demo cluster-demo deps bench fuzz \
        fuzz-build install man deb \
        clean format sanitize-build

all: $(O)host/plexusd $(O)host/plexusctl/plexusctl $(PLUGIN_SOS) \
     $(O)router/sr $(LIBPLEXUS)

$(O)%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DPX_VERSION='"$(VERSION)"' \
	    -DPX_DEFAULT_CONF_DIR='"$(SYSCONFDIR)/plexus/conf.d"' \
	    -MMD -MP -c $< -o $@

$(O)host/plexusd: $(O)host/main.o $(HOST_OBJS) $(LIBPLEXUS)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(HOST_LIBS)

$(LIBPLEXUS): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# plexusctl: the command-line client of a running plexusd, in a folder of
# its own so that what is plexusd's and what is the client's is plain.  It
# reads the same conf.d (host/conf.c) to find the control socket and, for
# metrics, the stats endpoint, and speaks the socket's protocol
# (host/ctl_proto.c): those objects are plexusd's own, linked, not copied.
CTL_OBJS := $(O)host/plexusctl/plexusctl.o $(O)host/plexusctl/ctl_fetch.o \
            $(O)host/ctl_proto.o $(O)host/conf.o $(O)host/host_util.o
$(O)host/plexusctl/%.o: CFLAGS_ALL += -Ihost
$(O)host/plexusctl/plexusctl: $(CTL_OBJS) $(LIBPLEXUS)
	$(CC) $(CFLAGS_ALL) -o $@ $^ -linih -ljansson -lcurl -lxxhash -lm

# Each plugin is every .c in its folder.
# The software router: a program of its own, not a plugin.
SR_SRCS := router/sr.c router/sr_rt.c router/sr_arp.c router/sr_icmp.c \
           router/sr_router.c router/sr_servers.c
$(O)router/sr: $(SR_SRCS) $(wildcard router/*.h) $(LIBPLEXUS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Irouter -o $@ $(SR_SRCS) -lev -lpcap \
	    $(LIBPLEXUS_LIBS)

# Libraries a plugin links with, beyond libc, and sources from elsewhere.
PLUGIN_LIBS_logger := -lpcap $(LIBPLEXUS)
PLUGIN_LIBS_openflow := -ljansson $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_vns_server := -ljansson $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_stats := -lmicrohttpd -ljansson $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_l2_learning := $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_simple_switch_13 := $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_multipath := $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_topology := -ljansson $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_firewall := $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_flowmon := $(LIBPLEXUS_LIBS)
PLUGIN_LIBS_console := -ljansson -lpcap $(LIBPLEXUS_LIBS) $(WS_LIBS)
PLUGIN_LIBS_cluster := -lnats -ljansson -lpthread $(LIBPLEXUS_LIBS)

define plugin_rule
$(O)plugins/$(1)/$(1).so: $(wildcard plugins/$(1)/*.c plugins/$(1)/*.h) \
                          sdk/include/plexus/*.h sdk/include/plexus/topics/*.h \
                          $(filter %.a,$(PLUGIN_LIBS_$(1)))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(PLUGIN_CFLAGS) $$(PLUGIN_LDFLAGS) \
	    -o $$@ $(wildcard plugins/$(1)/*.c) $$(PLUGIN_LIBS_$(1))
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p))))

# Test plugins: one .c each.  badsym deliberately references a symbol nobody
# defines, so it is linked without --no-undefined.
$(O)tests/plugins/%.so: tests/plugins/%.c sdk/include/plexus/*.h \
                       sdk/include/plexus/topics/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) -shared -Wl,-z,now \
	    $(if $(filter badsym,$*),,$(NO_UNDEF)) -o $@ $<
# switchwatch compiles in the console's con_switch.c, which builds its
# messages with jansson and its text with libplexus.a (of_text.c).
$(O)tests/plugins/switchwatch.so: tests/plugins/switchwatch.c \
                                  plugins/console/con_switch.c \
                                  plugins/console/con_switch.h \
                                  sdk/include/plexus/*.h \
                                  sdk/include/plexus/topics/*.h $(LIBPLEXUS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $< \
	    -ljansson $(LIBPLEXUS_LIBS)
# lazysym is built exactly as a new user would build a plugin: plain
# "cc -shared -fPIC", no -z now, no --no-undefined, no sanitizer.
$(O)tests/plugins/lazysym.so: tests/plugins/lazysym.c sdk/include/plexus/plugin.h
	@mkdir -p $(dir $@)
	cc -shared -fPIC -Isdk/include -o $@ $<
$(O)tests/plugins/counter-v2.so: tests/plugins/counter.c \
                                 sdk/include/plexus/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) \
	    -DCOUNTER_VERSION='"2.0"' -o $@ $<
$(O)tests/plugins/webroute-v2.so: tests/plugins/webroute.c \
                                  sdk/include/plexus/*.h \
                                  sdk/include/plexus/topics/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) \
	    -DWEBROUTE_VERSION='"2.0"' -o $@ $<
$(O)tests/plugins/counter-broken.so: tests/plugins/counter.c \
                                     sdk/include/plexus/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PLUGIN_CFLAGS) $(PLUGIN_LDFLAGS) \
	    -DCOUNTER_VERSION='"3.0-broken"' -DCOUNTER_INIT_FAILS -o $@ $<

# A C++ plugin, so the SDK is known to serve C++: built by g++ as C++17
# and by clang++ as C++20 (a module each), and compiled in the two other
# pairings without linking, which checks every SDK header as C++.
CXX_PLUGIN_FLAGS = -g -O2 $(WARN) -pedantic -D_GNU_SOURCE -Isdk/include \
                   $(SAN_FLAGS) $(PLUGIN_CFLAGS)
CXX_PLUGIN_DEPS := tests/plugins/cxxplugin.cc sdk/include/plexus/*.h \
                   sdk/include/plexus/topics/*.h
$(O)tests/plugins/cxxplugin_gxx.so: $(CXX_PLUGIN_DEPS)
	@mkdir -p $(dir $@)
	g++ -std=c++20 $(CXX_PLUGIN_FLAGS) -fsyntax-only $<
	g++ -std=c++17 $(CXX_PLUGIN_FLAGS) $(PLUGIN_LDFLAGS) \
	    -DCXXPLUGIN_NAME='"cxxplugin_gxx"' -o $@ $<
$(O)tests/plugins/cxxplugin_clang.so: $(CXX_PLUGIN_DEPS)
	@mkdir -p $(dir $@)
	clang++ -std=c++17 $(CXX_PLUGIN_FLAGS) -fsyntax-only $<
	clang++ -std=c++20 $(CXX_PLUGIN_FLAGS) $(PLUGIN_LDFLAGS) \
	    -DCXXPLUGIN_NAME='"cxxplugin_clang"' -o $@ $<

# Unit tests (cmocka).
$(O)tests/unit/test_bus: tests/unit/test_bus.c $(O)host/bus.o $(LIBPLEXUS)
$(O)tests/unit/test_conf: tests/unit/test_conf.c tests/unit/tmpdir.h $(O)host/conf.o \
                          $(O)host/conf_edit.o $(O)host/host_util.o \
                          $(LIBPLEXUS)
$(O)tests/unit/test_module: tests/unit/test_module.c tests/unit/tmpdir.h $(O)host/module.o \
                            $(O)host/conf.o $(O)host/host_util.o $(LIBPLEXUS)
$(O)tests/unit/test_hmap: tests/unit/test_hmap.c $(LIBPLEXUS)
$(O)tests/unit/test_buf: tests/unit/test_buf.c $(LIBPLEXUS)
$(O)tests/unit/test_mactable: tests/unit/test_mactable.c \
                              sdk/include/plexus/mactable.h $(LIBPLEXUS)
$(O)tests/unit/test_packet: tests/unit/test_packet.c tests/unit/hexfix.h $(LIBPLEXUS)
$(O)tests/unit/test_conn: tests/unit/test_conn.c tests/unit/tmpdir.h $(LIBPLEXUS)
$(O)tests/unit/test_ws: tests/unit/test_ws.c tests/unit/loophost.c \
                        tests/unit/loophost.h sdk/include/plexus/ws.h \
                        $(LIBPLEXUS)
$(O)tests/unit/test_ws: HOST_LIBS += $(WS_LIBS)
$(O)tests/unit/test_sdk: tests/unit/test_sdk.c
$(O)tests/unit/test_ofp: tests/unit/test_ofp.c tests/unit/hexfix.h \
                         $(OFP_CODEC) $(OFP_HEADERS)
$(O)tests/unit/test_vns: tests/unit/test_vns.c tests/unit/hexfix.h \
                         sdk/lib/vns_codec.c \
                         sdk/include/plexus/vns_codec.h
# vns_codec.c takes its SHA-1 from libcrypto.
$(O)tests/unit/test_vns: HOST_LIBS += -lcrypto
# vns_server's handoff serialization, with libplexus.a's connections.
$(O)tests/unit/test_vns_server: tests/unit/test_vns_server.c tests/unit/blobcheck.h \
                                plugins/vns_server/vs_handoff.c \
                                plugins/vns_server/vs_plugin.h $(LIBPLEXUS)
$(O)tests/unit/test_vns_server: CFLAGS_ALL += -Iplugins/vns_server
$(O)tests/unit/test_sr: tests/unit/test_sr.c tests/unit/hexfix.h \
                        router/sr_rt.c router/sr_arp.c \
                        router/sr_icmp.c router/sr_router.c \
                        router/sr_servers.c \
                        $(wildcard router/sr_*.h) $(LIBPLEXUS)
$(O)tests/unit/test_logger: tests/unit/test_logger.c tests/unit/blobcheck.h \
                            tests/unit/fakehost.c \
                            tests/unit/fakehost.h \
                            $(wildcard plugins/logger/*.c plugins/logger/*.h) \
                            $(LIBPLEXUS)
$(O)tests/unit/test_logger: CFLAGS_ALL += -Iplugins/logger
$(O)tests/unit/test_logger: HOST_LIBS += -lpcap
$(O)tests/unit/test_topology: tests/unit/test_topology.c \
                              tests/unit/blobcheck.h \
                              plugins/topology/topo_graph.c \
                              plugins/topology/topo_graph.h $(LIBPLEXUS)
# The topology plugin's snapshots for the cluster, remote store and view.
$(O)tests/unit/test_topo_share: tests/unit/test_topo_share.c \
                                tests/unit/blobcheck.h \
                                plugins/topology/topo_share.c \
                                plugins/topology/topo_share.h \
                                plugins/topology/topo_graph.c \
                                plugins/topology/topo_graph.h $(LIBPLEXUS)
$(O)tests/unit/test_ofstats: tests/unit/test_ofstats.c \
                             plugins/openflow/swstats.c \
                             plugins/openflow/swstats.h $(LIBPLEXUS)
$(O)tests/unit/test_stats: tests/unit/test_stats.c tests/unit/blobcheck.h \
                           plugins/stats/render.c \
                           plugins/stats/render.h \
                           plugins/stats/stats_handoff.c \
                           plugins/stats/stats_handoff.h \
                           plugins/stats/tls_relay.h \
                           plugins/stats/http.h $(LIBPLEXUS)
$(O)tests/unit/test_ctl: tests/unit/test_ctl.c \
                         $(O)host/plexusctl/ctl_fetch.o $(O)host/host_util.o \
                         $(LIBPLEXUS)
$(O)tests/unit/test_ctl: HOST_LIBS += -lcurl
$(O)tests/unit/test_ctlproto: tests/unit/test_ctlproto.c $(O)host/ctl_proto.o \
                              $(O)host/host_util.o $(LIBPLEXUS)
$(O)tests/unit/test_multipath: tests/unit/test_multipath.c \
                               plugins/multipath/mp_rules.c \
                               plugins/multipath/mp_rules.h
$(O)tests/unit/test_multipath: CFLAGS_ALL += -Iplugins/multipath
$(O)tests/unit/test_firewall: tests/unit/test_firewall.c \
                              plugins/firewall/fw_rules.c \
                              plugins/firewall/fw_rules.h $(LIBPLEXUS)
$(O)tests/unit/test_firewall: CFLAGS_ALL += -Iplugins/firewall
$(O)tests/unit/test_of_text: tests/unit/test_of_text.c \
                             sdk/include/plexus/of_text.h $(LIBPLEXUS)
$(O)tests/unit/test_con_switch: tests/unit/test_con_switch.c \
                                plugins/console/con_switch.c \
                                plugins/console/con_switch.h $(LIBPLEXUS)
$(O)tests/unit/test_con_switch: CFLAGS_ALL += -Iplugins/console
$(O)tests/unit/test_term: tests/unit/test_term.c plugins/console/term.c \
                          plugins/console/term.h
$(O)tests/unit/test_term: CFLAGS_ALL += -Iplugins/console
$(O)tests/unit/test_journey: tests/unit/test_journey.c \
                             plugins/console/journey.c \
                             plugins/console/journey.h $(LIBPLEXUS)
$(O)tests/unit/test_journey: CFLAGS_ALL += -Iplugins/console
$(O)tests/unit/test_journey: HOST_LIBS += -lpcap
# The cluster's mastership logic and bucket values, on a simulated bucket.
$(O)tests/unit/test_cluster: tests/unit/test_cluster.c tests/unit/blobcheck.h \
                             plugins/cluster/cl_state.c \
                             plugins/cluster/cl_state.h \
                             plugins/cluster/cl_value.c \
                             plugins/cluster/cl_value.h $(LIBPLEXUS)
$(O)tests/unit/test_cluster: CFLAGS_ALL += -Iplugins/cluster
$(UNIT_BINS):
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ihost -Iplugins/openflow -Iplugins/stats \
	    -Iplugins/topology -Irouter -o $@ \
	    $(filter %.c %.o %.a,$^) \
	    -lcmocka $(HOST_LIBS)

-include $(shell find . -type f -name '*.d' -not -path './build/fuzz/*' 2>/dev/null)

# ---------------------------------------------------------------------------
# Packages.  Each target that needs something installs it when missing.

DEB_BUILD := build-essential pkg-config libev-dev libltdl-dev libinih-dev \
             libxxhash-dev \
             libpcap-dev libcmocka-dev clang libclang-rt-14-dev python3 \
             tshark openvswitch-switch openvswitch-common \
             openvswitch-testcontroller mininet iperf3 ethtool iputils-ping \
             iproute2 procps traceroute wget libmicrohttpd-dev \
             libjansson-dev prometheus libssl-dev libcurl4-openssl-dev \
             libwslay-dev node-d3 node-xterm chromium chromium-driver \
             python3-selenium nats-server libnats-dev libsystemd-dev \
             debhelper lintian bash-completion systemd man-db groff-base
deps:
	@missing=""; for p in $(DEB_BUILD); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	        grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "need root to install:$$missing" >&2; exit 1; fi; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	fi

# ---------------------------------------------------------------------------
# Tests.

ASAN_O := build/asan/
# A second build of openflow.so (same code, -O1) for the e2e reload test;
# defined before 'check', whose prerequisites are expanded as read.
REBUILT_OPENFLOW := build/rebuilt/openflow.so
REBUILT_VNS := build/rebuilt/vns_server.so
SAN_FLAGS_CHECK := -fsanitize=address,undefined -fno-sanitize-recover=all \
                   -fno-omit-frame-pointer
# intercept_tls_get_addr=0: the sanitizer runtime of GCC 12 (Debian 12's)
# takes a dynamic TLS block for one with glibc 2.19's header whenever its
# start lands, by chance, at that header's size past a page boundary, and
# then reads a wrong range: LeakSanitizer's tracer dies at exit ("Tracer
# caught signal 11") now and then, more often the more
# plugins are loaded.  Later runtimes no longer guess so; no code
# of ours keeps heap pointers in dynamic TLS, so leaks are still found.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:intercept_tls_get_addr=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

sanitize-build: deps
	$(MAKE) --no-print-directory SAN=1 O=$(ASAN_O) all \
	    $(TEST_PLUGIN_SOS:$(O)%=$(ASAN_O)%) $(UNIT_BINS:$(O)%=$(ASAN_O)%)

check: deb sanitize-build all $(TEST_PLUGIN_SOS) fuzz-build \
       $(REBUILT_OPENFLOW) $(REBUILT_VNS) $(O)tests/natskv \
       $(O)tests/bench/ofbench
	@$(MAKE) --no-print-directory unit integration e2e fuzz-smoke

unit:
	@fail=0; for t in $(UNIT_TESTS); do \
	    $(ASAN_ENV) $(ASAN_O)tests/unit/$$t || fail=1; \
	done; exit $$fail

integration:
	$(ASAN_ENV) $(PYTHON) tests/integration/run.py --build $(ASAN_O) \
	    --release-build .

# End to end: Mininet with Open vSwitch (userspace datapath), the ASan
# plexusd with openflow and l2_learning.  The reload test swaps in a second
# build of openflow.so (same code, -O1), as a developer's rebuild would.
$(REBUILT_OPENFLOW): $(wildcard plugins/openflow/*.c plugins/openflow/*.h) \
                     $(filter %.a,$(PLUGIN_LIBS_openflow))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN_FLAGS_CHECK) -O1 $(PLUGIN_CFLAGS) -shared \
	    -Wl,-z,now -o $@ $(wildcard plugins/openflow/*.c) \
	    $(PLUGIN_LIBS_openflow)

$(REBUILT_VNS): $(wildcard plugins/vns_server/*.c) sdk/lib/vns_codec.c \
                sdk/include/plexus/vns_codec.h \
                $(filter %.a,$(PLUGIN_LIBS_vns_server))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN_FLAGS_CHECK) -O1 $(PLUGIN_CFLAGS) -shared \
	    -Wl,-z,now -o $@ $(wildcard plugins/vns_server/*.c) \
	    $(PLUGIN_LIBS_vns_server)

e2e:
	$(ASAN_ENV) $(PYTHON) tests/e2e/run.py --build $(ASAN_O) \
	    --rebuilt-openflow $(REBUILT_OPENFLOW) \
	    --rebuilt-vns-server $(REBUILT_VNS)

# The main job, router/demo.py: the router lab (tests/e2e/lab.py), that is
# plexusd (openflow, vns_server, logger) and router/sr on a
# Mininet switch with client, server1 and server2; prints a scripted check
# (ping, traceroute, HTTP through the router), then opens the Mininet CLI
# when run on a terminal.  Ctrl-D leaves and everything is cleaned up.
demo: deps all
	$(PYTHON) router/demo.py

# A cluster of three plexusd on NATS, router/cluster_demo.py: three
# nats-servers (JetStream), plexusd -c conf.d/examples/cluster/{a,b,c} and a
# Mininet tree of switches connected to all three; prints mastership, kills
# -9 the busiest instance, prints the failover and checks pingall before and
# after, then opens the Mininet CLI when run on a terminal.
cluster-demo: deps all
	$(PYTHON) router/cluster_demo.py

# ---------------------------------------------------------------------------
# Fuzzing (clang's libFuzzer).

FUZZ_O := build/fuzz/
FUZZ_FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Isdk/include -Ihost \
              -fsanitize=fuzzer,address,undefined
FUZZERS := fuzz_conf fuzz_ofp fuzz_vns fuzz_sr fuzz_ctl fuzz_ctlsock \
           fuzz_conn fuzz_packet fuzz_journey fuzz_ws fuzz_cluster \
           fuzz_topology

$(FUZZ_O)fuzz_conf: tests/fuzz/fuzz_conf.c host/conf.c host/host_util.c \
                    sdk/lib/hash.c sdk/lib/buf.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -linih -lxxhash

$(FUZZ_O)fuzz_conn: tests/fuzz/fuzz_conn.c sdk/lib/conn.c sdk/lib/buf.c \
                    sdk/include/plexus/conn.h sdk/include/plexus/buf.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lssl -lcrypto

$(FUZZ_O)fuzz_ofp: tests/fuzz/fuzz_ofp.c $(OFP_CODEC) $(OFP_HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iplugins/openflow -o $@ $(filter %.c,$^)

$(FUZZ_O)fuzz_ctl: tests/fuzz/fuzz_ctl.c host/plexusctl/ctl_fetch.c \
                   host/host_util.c sdk/lib/buf.c host/plexusctl/ctl_fetch.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lcurl -lm

$(FUZZ_O)fuzz_ctlsock: tests/fuzz/fuzz_ctlsock.c host/ctl_proto.c \
                       host/host_util.c sdk/lib/buf.c host/ctl_proto.h \
                       sdk/include/plexus/table.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -ljansson

$(FUZZ_O)fuzz_packet: tests/fuzz/fuzz_packet.c sdk/lib/packet.c \
                      sdk/include/plexus/packet.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_O)fuzz_journey: tests/fuzz/fuzz_journey.c plugins/console/journey.c \
                       sdk/lib/packet.c sdk/lib/hmap.c sdk/lib/hash.c \
                       sdk/lib/of_text.c sdk/lib/buf.c \
                       plugins/console/journey.h sdk/include/plexus/packet.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iplugins/console -o $@ $(filter %.c,$^) \
	    -ljansson -lpcap -lxxhash -lm

# A WebSocket session on the test loop (tests/unit/loophost.c), fed the
# client's bytes.
$(FUZZ_O)fuzz_ws: tests/fuzz/fuzz_ws.c sdk/lib/ws.c sdk/lib/ws_handshake.c \
                  tests/unit/loophost.c tests/unit/loophost.h \
                  sdk/include/plexus/ws.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Itests/unit -o $@ $(filter %.c,$^) \
	    $(WS_LIBS) -lcrypto -lm

# The cluster plugin's bucket values, keys and handoff blob.
$(FUZZ_O)fuzz_cluster: tests/fuzz/fuzz_cluster.c plugins/cluster/cl_state.c \
                       plugins/cluster/cl_value.c sdk/lib/buf.c \
                       sdk/lib/hmap.c sdk/lib/hash.c \
                       plugins/cluster/cl_state.h plugins/cluster/cl_value.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iplugins/cluster -o $@ $(filter %.c,$^) \
	    -ljansson -lxxhash

# The topology snapshots other instances of a cluster publish.
$(FUZZ_O)fuzz_topology: tests/fuzz/fuzz_topology.c \
                        plugins/topology/topo_share.c \
                        plugins/topology/topo_graph.c sdk/lib/buf.c \
                        sdk/lib/hmap.c sdk/lib/hash.c \
                        plugins/topology/topo_share.h \
                        plugins/topology/topo_graph.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iplugins/topology -o $@ $(filter %.c,$^) \
	    -ljansson -lxxhash

$(FUZZ_O)fuzz_vns: tests/fuzz/fuzz_vns.c sdk/lib/vns_codec.c sdk/include/plexus/vns_codec.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) -lcrypto

$(FUZZ_O)fuzz_sr: tests/fuzz/fuzz_sr.c router/sr_rt.c router/sr_arp.c \
                  router/sr_icmp.c router/sr_router.c sdk/lib/buf.c \
                  sdk/lib/packet.c $(wildcard router/sr_*.h) \
                  sdk/include/plexus/packet.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Irouter -o $@ $(filter %.c,$^)

# Every target shares the invariant checks.
$(FUZZERS:%=$(FUZZ_O)%): tests/fuzz/fuzzcheck.h

fuzz-build: deps $(FUZZERS:%=$(FUZZ_O)%)

# A short run inside make check: the corpus, then 20 s of new inputs.
fuzz-smoke: fuzz-build
	@for f in $(FUZZERS); do \
	    c=tests/fuzz/corpus/$${f#fuzz_}; \
	    mkdir -p build/fuzz/work-$$f; \
	    $(FUZZ_O)$$f -max_total_time=20 -max_len=4096 -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/$$f- \
	        build/fuzz/work-$$f $$c 2>build/fuzz/$$f.log || \
	        { tail -n 40 build/fuzz/$$f.log; exit 1; }; \
	    echo "$$f: $$(sed -n 's/^stat::number_of_executed_units: *//p' \
	        build/fuzz/$$f.log) inputs in 20 s, no crash, no leak"; \
	done

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
	    mkdir -p build/fuzz/work-$$f; \
	    $(FUZZ_O)$$f -max_total_time=$${FUZZ_SECONDS:-300} -max_len=4096 \
	        -artifact_prefix=build/fuzz/$$f- \
	        build/fuzz/work-$$f tests/fuzz/corpus/$${f#fuzz_}; \
	done

# ---------------------------------------------------------------------------
# Benchmarks (release flags, no sanitizers).

$(O)tests/bench/bench_bus: tests/bench/bench_bus.c $(O)host/bus.o $(LIBPLEXUS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ihost -o $@ $^ -lpthread -lxxhash

# Controller benchmark (cbench style): ofbench emulates OpenFlow 1.0
# switches; controllers.py runs it against ovs-testcontroller, plexusd with
# the shipped conf.d/examples/l2_switch and ofnull (the do-nothing floor),
# for each MAC pattern, in one run, and prints one table per pattern.
$(O)tests/bench/ofbench: tests/bench/ofbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $<

$(O)tests/bench/ofnull: tests/bench/ofnull.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $<

# natskv reads and writes the NATS key-value buckets that the cluster tests
# assert on (Debian ships no nats CLI); tests/natscluster.py drives it.
$(O)tests/natskv: tests/natskv.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -lnats

bench: deps
	@$(MAKE) --no-print-directory O= SAN= all tests/bench/bench_bus \
	    tests/bench/ofbench tests/bench/ofnull
	@tests/bench/bench_bus
	@echo
	@$(PYTHON) tests/bench/controllers.py --ofbench tests/bench/ofbench \
	    --ofnull tests/bench/ofnull
	@echo
	@$(PYTHON) tests/bench/router.py

# ---------------------------------------------------------------------------
# Manual pages.  plexus.conf.d(5) lists the keys "plexusd --keys" prints
# for the host and the stock plugins just built, so it cannot drift from
# what they accept; the others are written by hand.

# The pages are made under the build directory (build/man/ for a build
# in the tree), never beside their sources.
MAN_PAGES := plexusd.8 plexusctl.8 sr.1 plexus-plugin.3 plexus.conf.d.5
MAN_O     := $(or $(O),build/)man/
MAN_OUT   := $(MAN_PAGES:%=$(MAN_O)%)

man: $(MAN_OUT)

$(MAN_O)plexus.conf.d.5: docs/man/plexus.conf.d.5.in docs/man/mkconfpage.py \
                         $(O)host/plexusd $(PLUGIN_SOS)
	@mkdir -p $(dir $@)
	$(O)host/plexusd --keys $(O)plugins > $@.keys.json
	$(PYTHON) docs/man/mkconfpage.py $< $@.keys.json $(VERSION) > $@.tmp
	mv $@.tmp $@

$(MAN_O)%: docs/man/%
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< > $@

# ---------------------------------------------------------------------------
# Install.

INCDIR  := $(PREFIX)/include
MANDIR  := $(PREFIX)/share/man
# systemd's directories: under /lib for a /usr prefix (Debian 12's place
# for packaged units), else under the prefix.
UNITDIR     := $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
SYSUSERSDIR := $(PREFIX)/lib/sysusers.d
# The installed conf.d keeps plexusd's run directory here, which the unit
# makes (RuntimeDirectory=plexus).
RUNDIR      := /run/plexus
LIBDIR  := $(PREFIX)/lib
PLUGDIR := $(LIBDIR)/plexus/plugins

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(INCDIR)/plexus/topics $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(SYSCONFDIR)/plexus/conf.d \
	    $(DESTDIR)$(PREFIX)/share/plexus/examples/hello \
	    $(DESTDIR)$(PREFIX)/share/plexus/console
	install -m 0755 host/plexusd $(DESTDIR)$(PREFIX)/bin/plexusd
	install -m 0755 host/plexusctl/plexusctl $(DESTDIR)$(PREFIX)/bin/plexusctl
	install -m 0755 router/sr $(DESTDIR)$(PREFIX)/bin/sr
	install -m 0644 router/rtable $(DESTDIR)$(PREFIX)/share/plexus/rtable
	install -m 0755 $(PLUGIN_SOS) $(DESTDIR)$(PLUGDIR)/
	install -m 0644 sdk/include/plexus/*.h $(DESTDIR)$(INCDIR)/plexus/
	install -m 0644 sdk/lib/libplexus.a $(DESTDIR)$(LIBDIR)/libplexus.a
	install -m 0644 sdk/include/plexus/topics/*.h \
	    $(DESTDIR)$(INCDIR)/plexus/topics/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@PLUGDIR@|$(PLUGDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    sdk/plexus-plugin.pc.in \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/plexus-plugin.pc
	install -m 0644 conf.d/ip_config $(DESTDIR)$(SYSCONFDIR)/plexus/conf.d/
	for f in conf.d/*.ini; do \
	    sed -e 's|^plugin_path *=.*|plugin_path = $(PLUGDIR)|' \
	        -e 's|^run_dir *=.*|run_dir = $(RUNDIR)|' \
	        -e 's|^pid_file *=.*|pid_file = $(RUNDIR)/plexusd.pid|' \
	        -e 's|^www *=.*|www = $(PREFIX)/share/plexus/console|' $$f \
	        > $(DESTDIR)$(SYSCONFDIR)/plexus/$$f; \
	done
	install -m 0644 plugins/console/www/* \
	    $(DESTDIR)$(PREFIX)/share/plexus/console/
	install -m 0644 sdk/examples/hello/* \
	    $(DESTDIR)$(PREFIX)/share/plexus/examples/hello/
	for p in $(MAN_PAGES); do \
	    install -m 0644 $(MAN_O)$$p \
	        $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p; \
	done
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    dist/systemd/plexus.service > $(DESTDIR)$(UNITDIR)/plexus.service
	install -m 0644 dist/systemd/plexus.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/plexus.conf
	install -m 0644 dist/bash-completion/plexusctl \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/plexusctl

# ---------------------------------------------------------------------------
# Debian packages: plexus, plexus-dev and plexus-router, built by
# dpkg-buildpackage (debian/) from a copy of the tree, so that the working
# tree's own builds are not touched; lintian must report no error.  The
# packages land in build/deb/.

DEB_DIR := build/deb

deb: deps
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/plexus-$(VERSION)
	tar --exclude=./build --exclude=./.git -cf - . | \
	    tar -xf - -C $(DEB_DIR)/plexus-$(VERSION)
	cd $(DEB_DIR)/plexus-$(VERSION) && \
	    dpkg-buildpackage -us -uc -b -j2 > ../build.log 2>&1 || \
	    { tail -40 ../build.log; exit 1; }
	lintian --fail-on error --info $(DEB_DIR)/plexus_$(VERSION)_*.changes
	@ls -l $(DEB_DIR)/*.deb

format:
	clang-format -i host/*.c host/*.h host/plexusctl/*.c host/plexusctl/*.h \
	    plugins/*/*.c plugins/*/*.h \
	    router/*.c router/*.h sdk/include/plexus/*.h sdk/lib/*.c \
	    sdk/include/plexus/topics/*.h tests/*/*.c tests/*/*.h \
	    tests/plugins/*.cc \
	    sdk/examples/*/*.c

clean:
	rm -rf build host/*.o host/*.d host/plexusd host/plexusctl/*.o \
	    host/plexusctl/*.d host/plexusctl/plexusctl \
	    plugins/*/*.so router/sr $(UNIT_TESTS:%=tests/unit/%) \
	    sdk/lib/*.o sdk/lib/*.d sdk/lib/*.a \
	    tests/bench/bench_bus tests/bench/ofbench tests/bench/ofnull \
	    tests/natskv \
	    tests/bench/*.o \
	    tests/plugins/*.so
