"""The web console (the console plugin, issue 13) in a real browser:
Debian's chromium, headless, driven by chromium-driver through
python3-selenium, against the router lab of lab.py (plexusd with
openflow, vns_server, logger, stats and the console; router/sr; the
switch and hosts in Mininet), configured as 'make demo' configures it
(router/demo.py): the lab's command line (router/labsh.py) as the
terminal and router/sr's output as a read-only pane.

The tests read the page through the hooks console.js keeps for them
(ids, classes and data-* attributes, window.plexusConsole,
window.plexusTerminals) and compare what it shows with what the lab
really did: Open vSwitch's own counters (ovs-ofctl dump-ports), the
lab's ports and router addresses, plexusd's memory map, its conf.d.
Every wait is for a condition on the page with a deadline
(WebDriverWait); nothing sleeps to synchronise.  Any SEVERE entry in
the browser's console log fails a test, except the few a test provokes
on purpose (a 401 it asked for).

Screenshots of each view go to $PLEXUS_ARTIFACTS/TEST/ if that is set,
else to BUILD/e2e-artifacts/TEST/ (with the browser's log); they are
test artifacts, not committed.

The tests are in run.py's list (WEB_TESTS), run as the other e2e tests:

  flock /tmp/plexus-mininet.lock /usr/bin/python3 tests/e2e/run.py \\
      --build DIR -k web_console
"""

import os
import re
import shlex
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import lab  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 900)
LABSH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "router",
                     "labsh.py")
# A file in conf.d that the broken-ini check writes: its third line is a
# key [plugin] does not know, so the whole reload is refused.
BROKEN_INI = "35-broken.ini"
BROKEN_TEXT = "[plugin]\nmodule = logger\nbogus = 1\n"


def h():
    return lab.harness()


def dpid_key(d):
    """A datapath id as 16 lowercase hex digits, however it is spelled
    ("00:00:00:00:00:00:01:00", "0000000000000100", "100")."""
    return re.sub(r"[^0-9a-f]", "", str(d).lower()).rjust(16, "0")


def artifacts_dir(args, test):
    base = os.environ.get("PLEXUS_ARTIFACTS") or os.path.join(
        args.build, "e2e-artifacts")
    d = os.path.join(os.path.abspath(base), test)
    # This test's own folder, from its previous run.
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# --------------------------------------------------------------------------
# The browser.

class Browser:
    """Headless chromium under chromedriver, with its profile in the
    test's temp dir, its processes recorded in the harness's state file
    (so a crashed run's --cleanup stops them), its console log collected
    and its screenshots saved in the test's artifacts folder."""

    def __init__(self, env, artifacts):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            raise h().Skip("python3-selenium is not installed")
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise h().Skip("%s is not installed (chromium, "
                               "chromium-driver)" % path)
        self.artifacts = artifacts
        self.log = []           # Every browser log entry, in order.
        self.allowed = []       # Regexes of SEVERE entries a test provoked.
        self.shots = []
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--window-size=%d,%d" % WINDOW,
                  "--user-data-dir=" + os.path.join(env.dir, "chromium"),
                  "--no-first-run", "--disable-extensions",
                  "--disable-background-networking",
                  "--disable-component-update"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(CHROMEDRIVER,
                               service_args=["--log-level=WARNING"],
                               log_path=os.path.join(artifacts,
                                                     "chromedriver.log"))
        self.driver = webdriver.Chrome(service=self.service, options=o)
        self._record(self.service.process.pid, "chromedriver")
        # Headless chromium takes room for a window's frame off the
        # window size: make the page's viewport the whole of it.
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WINDOW[0], "height": WINDOW[1],
            "deviceScaleFactor": 1, "mobile": False})
        self.driver.set_page_load_timeout(h().DEADLINE)
        self.driver.set_script_timeout(h().DEADLINE)

    def _record(self, pid, match):
        """Records pid and the chromium it started (its children named
        chromium) in the state file."""
        st = h().STATE
        st.add_proc(pid, match)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid and "chromium" in h().proc_cmdline(int(d)):
                st.add_proc(int(d), "chromium")

    # -- pages and waits --

    def open(self, url):
        self.driver.get(url)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, fn, what, timeout=None):
        """Waits until fn() returns something true; returns it.  Fails
        with 'what' and the last value fn returned."""
        from selenium.common.exceptions import (TimeoutException,
                                                StaleElementReferenceException)
        from selenium.webdriver.support.ui import WebDriverWait
        last = [None]

        def probe(_driver):
            try:
                last[0] = fn()
            except StaleElementReferenceException:
                return False    # Re-rendered under us: look again.
            return last[0]

        try:
            return WebDriverWait(self.driver, timeout or h().DEADLINE,
                                 poll_frequency=0.1).until(probe)
        except TimeoutException:
            self.shot("timeout")
            raise h().Failure("the page: no %s within %.0f s (last seen: "
                              "%r; view %s)" % (
                                  what, timeout or h().DEADLINE, last[0],
                                  self.js("return document.body.dataset"
                                          ".view")))

    def all(self, css, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def one(self, css, what=None, timeout=None):
        """Waits for an element matching css; returns it."""
        return self.wait(lambda: (self.all(css) or [None])[0],
                         what or css, timeout)

    def attr(self, el, name):
        return el.get_attribute(name)

    def go(self, view):
        """Shows a view through its hash route, as a click on its tab
        does, and waits until the page has switched to it."""
        self.js("location.hash = arguments[0]", "#" + view)
        name = view.split("/")[0]
        self.wait(lambda: self.js("return document.body.dataset.view")
                  == name, "view %s" % name)
        self.one("#view-%s:not([hidden])" % name, "view %s shown" % name)

    def click(self, el):
        el.click()

    # -- the console log --

    def read_log(self):
        try:
            entries = self.driver.get_log("browser")
        except Exception:       # The browser is gone: nothing more.
            entries = []
        self.log.extend(entries)
        return entries

    def allow(self, regex):
        """A SEVERE entry matching regex is one the test provoked."""
        self.allowed.append(re.compile(regex))

    def severe(self):
        self.read_log()
        return [e["message"] for e in self.log if e.get("level") == "SEVERE"
                and not any(r.search(e["message"]) for r in self.allowed)]

    def check_no_errors(self, when):
        bad = self.severe()
        h().check(not bad, "browser console errors %s:\n%s"
                  % (when, "\n".join(bad[:20])))

    # -- screenshots --

    def settle(self, css, timeout=10.0):
        """Waits (without failing: it is for screenshots) until the
        elements matching css stay where they are between two looks,
        as a force layout does once it has cooled down."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        last = [None]

        def still(_driver):
            now = self.js("return [...document.querySelectorAll(arguments[0])]"
                          ".map((e) => e.getAttribute('transform'))", css)
            same, last[0] = now == last[0], now
            return same
        try:
            WebDriverWait(self.driver, timeout, poll_frequency=0.25).until(
                still)
            return True
        except TimeoutException:
            return False

    def shot(self, name, small=False):
        """Saves a screenshot of the window as NN-name.png; with 'small'
        also NN-name-1024.png, its top 800 pixels scaled to 1024 pixels
        wide (for the README)."""
        import base64
        n = len(self.shots) + 1
        path = os.path.join(self.artifacts, "%02d-%s.png" % (n, name))
        try:
            self.driver.save_screenshot(path)
            if small:
                png = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": False,
                    "clip": {"x": 0, "y": 0, "width": WINDOW[0],
                             "height": 800, "scale": 1024.0 / WINDOW[0]}})
                with open(path[:-4] + "-1024.png", "wb") as f:
                    f.write(base64.b64decode(png["data"]))
        except Exception as e:  # A screenshot is no test result.
            print("  screenshot %s: %s" % (name, e))
            return None
        self.shots.append(path)
        return path

    def quit(self):
        self.read_log()
        try:
            with open(os.path.join(self.artifacts, "browser.log"), "w") as f:
                for e in self.log:
                    f.write("%s %s %s\n" % (e.get("timestamp"),
                                            e.get("level"),
                                            e.get("message")))
        except OSError:
            pass
        try:
            self.driver.quit()
        except Exception:       # Stopped by pid below.
            pass
        # Whatever quit() left: only what this browser recorded, each
        # checked to be the same process still (pid and start time).
        for e in list(h().STATE.data["procs"]):
            if e["match"] in ("chromedriver", "chromium"):
                h().stop_pid(e)


# --------------------------------------------------------------------------
# The lab with the console.

def console_conf(args, hosts_file, sr_log):
    """The console's file for plexusd's conf.d, as router/demo.py writes
    it (the lab's command line as the terminal, sr's output as the
    read-only pane), with its pages from this tree."""
    so = os.path.abspath(h().plugin_source(args.build, "console"))
    www = os.path.join(h().ROOT, "plugins", "console", "www")
    return ("[plugin]\nmodule = %s\n\n[console]\nwww = %s\n"
            "terminal = /usr/bin/python3 %s --hosts %s\n"
            "terminal_name = lab\n"
            "log_pane = tail -n 200 -F %s\nlog_pane_name = router\n"
            % (so, www, shlex.quote(LABSH), shlex.quote(hosts_file),
               shlex.quote(sr_log)))


class ConsoleLab:
    """The lab (lab.Lab inside the test's Env) with the console plugin and
    a browser; env.cleanup quits the browser, then removes the lab."""

    def __init__(self, args, env, name, net=True):
        hh = h()
        hh.lab_skip(args, "sr" if net else None)
        try:
            hh.plugin_source(args.build, "console")
        except hh.Failure as e:
            raise hh.Skip(str(e))
        self.args = args
        self.env = env
        self.lb = lab.Lab(args, name, env=env)
        self.browser = None
        env.cleanup = self.cleanup
        self.hosts_file = os.path.join(env.dir, "lab-hosts.json")
        self.lb.sr_log = os.path.join(env.dir, "sr.log")
        open(self.lb.sr_log, "a").close()
        self.lb.extra_conf["50-console.ini"] = console_conf(
            args, self.hosts_file, self.lb.sr_log)
        if net:
            self.lb.start(router="sr", web=False)
            self.lb.write_host_table(self.hosts_file, workdir=env.dir)
        else:
            self.lb.start_controller()
        self.conf = os.path.join(self.lb.dir, "conf.d")
        self.url = self.console_url()
        self.browser = Browser(env, artifacts_dir(args, name))

    def console_url(self):
        """'plexusctl console': the URL with the token, which must be the
        token in plexusd's run directory."""
        hh = h()
        r = hh.run([os.path.join(self.args.build, "host/plexusctl/plexusctl"),
                    "-c", self.conf, "console"])
        url = r.stdout.strip()
        m = re.fullmatch(r"http://127\.0\.0\.1:%d/\?token=([0-9a-f]+)"
                         % self.args.stats_port, url)
        hh.check(m, "plexusctl console: %r" % url)
        run_dir = os.path.join(self.lb.dir, "run")
        files = [os.path.join(run_dir, d, "console.token")
                 for d in os.listdir(run_dir) if d.startswith("plexusd.")]
        files = [f for f in files if os.path.exists(f)]
        hh.check(files, "no console.token under %s" % run_dir)
        with open(files[0]) as f:
            hh.check(f.read().strip() == m.group(1),
                     "plexusctl console's token is not %s's" % files[0])
        self.token = m.group(1)
        return url

    @property
    def base(self):
        return "http://127.0.0.1:%d/" % self.args.stats_port

    def open(self, url=None, view=None):
        """Opens the console and waits until its live WebSocket is
        connected and it has read plexusd's status."""
        b = self.browser
        b.open((url or self.url) + ("#" + view if view else ""))
        b.one('#conn-state[data-state="connected"]', "live connection")
        b.wait(lambda: re.fullmatch(r"v\S+", b.one("#hdr-version").text),
               "plexusd's version in the header")

    def mapped(self, module):
        """Per-load copies of module mapped in plexusd (as
        tests/integration/harness.py copies_mapped reads them)."""
        with open("/proc/%d/maps" % self.env.ctl.pid) as f:
            maps = f.read()
        return sorted(set(re.findall(r"(/\S*/plexusd\.\w+/%s\.\d+\.so)"
                                     % module, maps)))

    def cleanup(self):
        if self.browser is not None:
            self.browser.quit()
        return self.lb.cleanup()


# --------------------------------------------------------------------------
# Views, read from the page.

def plugin_rows(b):
    return {b.attr(r, "data-plugin"): (b.attr(r, "data-loaded"),
                                       b.attr(r, "data-enabled"))
            for r in b.all("tr.plugin-row")}


def port_counters(b):
    """{port: {rx_packets: n, ...}} from the switch page's port rows."""
    out = {}
    for row in b.all("#switch-ports tr.port-row"):
        cells = {}
        for td in b.all("td[data-field]", row):
            v = b.attr(td, "data-value")
            if v is not None and v != "":
                cells[b.attr(td, "data-field")] = int(v)
        out[int(b.attr(row, "data-port"))] = cells
    return out


def journeys(b):
    """Every journey on the page: [(id, kind, summary, [hop attrs])]."""
    return b.js("""
        return [...document.querySelectorAll('#journeys .journey')].map(
          (j) => ({id: Number(j.dataset.id), kind: j.dataset.kind,
            summary: (j.querySelector('.journey-sum') || {}).textContent,
            hops: [...j.querySelectorAll('.hop')].map((x) => ({
              at: x.dataset.at, dir: x.dataset.dir, port: x.dataset.port,
              iface: x.dataset.iface, dpid: x.dataset.dpid,
              router: x.dataset.router, dt: x.dataset.dt}))}));""")


def hop_path(j):
    """A journey's hops as comparable tuples: (at, dir, dpid, port) or
    (at, dir, iface)."""
    path = []
    for x in j["hops"]:
        if x["at"] == "switch":
            path.append(("switch", x["dir"], dpid_key(x["dpid"]),
                         int(x["port"])))
        else:
            path.append((x["at"], x["dir"], x["iface"]))
    return path


def wait_term(b, name, regex, what):
    """Waits until pane NAME's text matches regex; returns the text.
    xterm's selection drops the blanks at the end of each line."""
    rx = re.compile(regex, re.S | re.M)
    seen = [""]

    def probe():
        seen[0] = term_text(b, name) or ""
        return seen[0] if rx.search(seen[0]) else None
    try:
        return b.wait(probe, what)
    except h().Failure as e:
        raise h().Failure("%s; the %s pane shows:\n%s"
                          % (e, name, seen[0][-2000:]))


def term_text(b, name):
    """All the text in terminal pane NAME's xterm (its scrollback too)."""
    return b.js("""
        const t = (window.plexusTerminals || {})[arguments[0]];
        if (!t) return null;
        t.selectAll();
        const s = t.getSelection();
        t.clearSelection();
        return s;""", name)


# --------------------------------------------------------------------------
# Tests.

def test_web_console_lab(args, env):
    """The console of a running lab in chromium: no console errors; the
    overview lists every plugin loaded; the topology shows the switch by
    its datapath id with ports 1-3 and the router's eth1-3 with the lab's
    addresses; the switch page lists the switch's ports by OVS's names,
    and after pings from the client its packet counters grow and equal
    ovs-ofctl dump-ports'; the routers page shows eth1-3 and frames both
    ways; the frame journey shows each echo request client -> server1
    as switch port 3 in -> router eth3 in -> router eth1 out -> switch
    port 1 out (and each reply the other way), live; the event stream
    (prefix openflow.) shows openflow.packet_in lines; Disable on
    logger's row unloads it (no copy of logger.so left in plexusd's
    memory map, 'enabled = false' in its file) and Enable loads it again;
    a broken file in conf.d makes 'Reload conf.d' show "refused" with the
    file and line, and the reload after its removal is done.  Screenshots
    of each view are kept."""
    hh = h()
    cl = ConsoleLab(args, env, "web_console_lab")
    b, lb = cl.browser, cl.lb
    dpid = dpid_key(lab.DPID)
    env.allowed_errors = re.escape(BROKEN_INI)

    # Overview: every plugin of the lab's conf.d, loaded and enabled.
    cl.open()
    b.check_no_errors("on loading the page")
    h_token = b.one("#hdr-token")
    hh.check(b.attr(h_token, "data-state") == "token",
             "the page did not take the token from the URL")
    hh.check("token=" not in b.driver.current_url,
             "the token stays in the address bar: %s" % b.driver.current_url)
    want = {"openflow", "vns_server", "logger", "stats", "console"}
    rows = b.wait(lambda: (lambda r: r if want <= set(r) else None)(
        plugin_rows(b)), "a row for each of %s" % sorted(want))
    hh.check(all(rows[p] == ("true", "true") for p in want),
             "plugin rows (loaded, enabled): %r" % rows)
    b.wait(lambda: b.one("#ov-controller dd[data-field=pid]").text
           == str(env.ctl.pid), "plexusd's pid %d on the overview"
           % env.ctl.pid)
    b.shot("overview", small=True)

    # Topology: the switch by its dpid, its ports, the router's interfaces.
    b.go("topology")
    sw = b.one('#topo-svg g.node[data-kind="switch"]', "the switch")
    hh.check(dpid_key(b.attr(sw, "data-dpid")) == dpid,
             "topology switch %r, want dpid %s" % (b.attr(sw, "data-dpid"),
                                                   dpid))

    def ifaces():
        got = {b.attr(n, "data-iface"): b.attr(n, "data-ip")
               for n in b.all('#topo-svg g.node[data-kind="iface"]')}
        return got if got == lab.ROUTER else None
    b.wait(ifaces, "router interfaces %r" % lab.ROUTER)
    b.one('#topo-svg g.node[data-kind="router"]', "the router")
    b.wait(lambda: {1, 2, 3} <= {int(b.attr(t, "data-port")) for t in
                                 b.all("#topo-svg text.port-label")},
           "port labels 1, 2, 3")
    b.wait(lambda: len(b.all("#topo-svg line.link")) >= 6,
           "links switch-interface and router-interface")
    b.settle("#topo-svg g.node")
    b.shot("topology")

    # Switches: the list, then the switch's page with live counters.
    b.go("switch")
    row = b.one("tr.switch-row[data-dpid]", "the switch's row")
    hh.check(dpid_key(b.attr(row, "data-dpid")) == dpid,
             "switch row %r" % b.attr(row, "data-dpid"))
    b.click(b.one("tr.switch-row a.switch-link"))
    b.wait(lambda: b.js("return location.hash").startswith("#switch/"),
           "#switch/DPID after a click on the switch")

    def names():
        got = {int(b.attr(r, "data-port")): r.find_element(
            "css selector", "td:nth-child(2)").text
            for r in b.all("#switch-ports tr.port-row")}
        want = {p: lb.port_name(p) for _, _, p, _, _ in lab.HOSTS}
        return got if all(got.get(p) == n for p, n in want.items()) else None
    b.wait(names, "ports 1-3 named as in OVS")
    before = b.wait(lambda: (lambda c: c if all(
        "rx_packets" in c.get(p, {}) for p in (1, 2, 3)) else None)(
        port_counters(b)), "port counters on the switch page")
    rc, out = lb.ping("client", lab.SERVERS["server1"], count=3)
    hh.check(hh.parse_ping(out) == (3, 3), "client ping server1:\n" + out)
    fields = ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes")

    def same_as_ovs():
        page = port_counters(b)
        ovs = hh.ovs_ports(lb.switch)
        for p in (1, 3):
            if tuple(page.get(p, {}).get(f) for f in fields) != ovs.get(p):
                return None
        return page, ovs
    page, ovs = b.wait(same_as_ovs, "ports 1 and 3 counting as "
                       "ovs-ofctl dump-ports does")
    hh.check(page[3]["rx_packets"] >= before[3]["rx_packets"] + 3
             and page[1]["tx_packets"] >= before[1]["tx_packets"] + 3,
             "counters did not grow by the 3 echo requests: before %r, "
             "after %r" % (before, page))
    b.shot("switch")

    # Routers: the interfaces with their addresses, frames both ways.
    b.go("routers")
    b.one(".router[data-router]", "the router's card")

    def router_ifaces():
        got = {}
        for r in b.all(".router tr.iface-row"):
            ip = r.find_element("css selector", "td:nth-child(2)").text
            got[b.attr(r, "data-iface")] = ip.split(" ")[0]
        return got if got == lab.ROUTER else None
    b.wait(router_ifaces, "router interfaces eth1-3 with their addresses")
    b.wait(lambda: (lambda v: v if all(x > 0 for x in v) else None)(
        [int(b.one('dd[data-field="%s"]' % f).text.replace(",", "") or 0)
         for f in ("frames_to_router", "frames_from_router")]),
        "frames to and from the router")
    b.shot("routers")

    # The frame journey, live: the journeys of a new ping.
    b.go("journey")
    b.one("#journeys-pcap")
    known = b.wait(lambda: (lambda j: j if j else None)(journeys(b)),
                   "the first ping's journeys")
    last = max(j["id"] for j in known)
    rc, out = lb.ping("client", lab.SERVERS["server1"], count=2)
    hh.check(hh.parse_ping(out) == (2, 2), "client ping server1:\n" + out)
    request = [("switch", "in", dpid, 3), ("router", "in", "eth3"),
               ("router", "out", "eth1"), ("switch", "out", dpid, 1)]
    reply = [("switch", "in", dpid, 1), ("router", "in", "eth1"),
             ("router", "out", "eth3"), ("switch", "out", dpid, 3)]
    rx_req = re.compile(r"\b10\.0\.1\.100 > 192\.168\.2\.2 echo request ")
    rx_rep = re.compile(r"\b192\.168\.2\.2 > 10\.0\.1\.100 echo reply ")

    def new_journeys():
        js = [j for j in journeys(b) if j["id"] > last]
        req = [j for j in js if rx_req.search(j["summary"] or "")]
        rep = [j for j in js if rx_rep.search(j["summary"] or "")]
        done = [j for j in req if hop_path(j) == request]
        back = [j for j in rep if hop_path(j) == reply]
        return (req, rep) if len(done) >= 2 and len(back) >= 2 else None
    try:
        req, rep = b.wait(new_journeys, "2 new echo request journeys "
                          "switch:3 -> router eth3 -> eth1 -> switch:1 and "
                          "2 replies back")
    except hh.Failure as e:
        shown = [(j["id"], j["kind"], j["summary"], hop_path(j))
                 for j in journeys(b) if j["id"] > last]
        raise hh.Failure("%s; new journeys: %r" % (e, shown))
    for j in req + rep:
        hh.check(j["kind"] == "ICMP", "journey %r: kind %r" % (j["summary"],
                                                               j["kind"]))
        dts = [float(x["dt"]) for x in j["hops"]]
        hh.check(dts[0] == 0 and dts == sorted(dts),
                 "journey %r: hop times %r" % (j["summary"], dts))
    b.shot("journey", small=True)

    # The event stream, openflow.* only: the packet-ins of a ping.  The
    # view streams every topic until the prefix is applied, so only the
    # lines from the ping's first packet-in on are the filter's.
    b.go("events")
    prefix = b.one("#events-prefix")
    prefix.clear()
    prefix.send_keys("openflow.")
    b.click(b.one('#events-form button[type="submit"]'))
    b.wait(lambda: b.attr(prefix, "data-applied") == "openflow.",
           "the prefix applied")
    b.click(b.one("#events-clear"))
    rc, out = lb.ping("client", lab.SERVERS["server1"], count=2)
    hh.check(hh.parse_ping(out) == (2, 2), "client ping server1:\n" + out)
    first = re.compile(r"\bport 3\b.*10\.0\.1\.100 > 192\.168\.2\.2 echo "
                       r"request ")

    def stream():
        lines = b.js("""
            return [...document.querySelectorAll('#events-list .ev-line')]
              .map((e) => [e.dataset.topic,
                           e.querySelector('.ev-sum').textContent]);""")
        for i, (topic, summary) in enumerate(lines):
            if topic == "openflow.packet_in" and first.search(summary):
                after = lines[i:]
                ins = [x for x in after if x[0] == "openflow.packet_in"]
                return after if len(ins) >= 4 else None
        return None
    lines = b.wait(stream, "the openflow.packet_in lines of the ping's 2 "
                   "requests and 2 replies")
    topics = {t for t, _ in lines}
    hh.check(all(t.startswith("openflow.") for t in topics),
             "lines outside the prefix openflow.: %r" % topics)
    b.shot("events")

    # Disable logger from its row: it unloads; Enable brings it back.
    b.go("overview")
    logger_ini = os.path.join(cl.conf, "30-logger.ini")
    hh.check(cl.mapped("logger"), "logger.so is not mapped at the start")
    for action, loaded, ini in (("disable", "false", "false"),
                                ("enable", "true", "true")):
        btn = b.one('button[data-action="%s"][data-plugin="logger"]'
                    ':not([disabled])' % action, "an enabled %s button "
                    "for logger" % action)
        b.click(btn)
        b.one('#reload-outcome[data-state="ok"][data-reload-id]',
              "the outcome of %s logger" % action)
        b.one('tr.plugin-row[data-plugin="logger"][data-loaded="%s"]'
              '[data-enabled="%s"]' % (loaded, ini),
              "logger's row after %s" % action)
        copies = cl.mapped("logger")
        hh.check(bool(copies) == (action == "enable"),
                 "after %s logger from the page, plexusd maps %r"
                 % (action, copies))
        with open(logger_ini) as f:
            text = f.read()
        hh.check(re.search(r"^enabled = %s$" % ini, text, re.M),
                 "%s after %s:\n%s" % (logger_ini, action, text))
        if action == "disable":
            b.shot("overview-logger-disabled")
    outcome = b.one("#reload-outcome").text

    # A broken file in conf.d: the reload is refused, with file and line.
    broken = os.path.join(cl.conf, BROKEN_INI)
    with open(broken, "w") as f:
        f.write(BROKEN_TEXT)
    b.click(b.one("#btn-reload:not([disabled])"))
    refused = b.one('#reload-outcome[data-state="refused"]',
                    "the reload refused")
    text = refused.text
    hh.check("refused" in text and "%s:3" % BROKEN_INI in text,
             "the refused reload's outcome: %r" % text)
    refused_id = b.attr(refused, "data-reload-id")
    b.one('#reload-log li.reload-entry[data-reload-id="%s"]'
          '[data-outcome="refused"]' % refused_id, "the refused reload in "
          "the log")
    b.shot("overview-refused")
    os.unlink(broken)
    b.click(b.one("#btn-reload:not([disabled])"))
    b.wait(lambda: (lambda e: e if b.attr(e, "data-state") == "ok" and
                    b.attr(e, "data-reload-id") not in (None, refused_id)
                    else None)(b.one("#reload-outcome")),
           "the next reload done")
    hh.check(plugin_rows(b).get("logger") == ("true", "true"),
             "logger after the reloads: %r" % (plugin_rows(b).get("logger"),))
    b.check_no_errors("during the test")
    env.result = ("ports as OVS counts; %d+%d journeys port 3->eth3->eth1->"
                  "port 1 and back; logger off/on (%s); %s; %d "
                  "screenshots in %s" % (
                      len(req), len(rep), outcome,
                      text.splitlines()[0][:120], len(b.shots),
                      b.artifacts))


def test_web_console_terminal(args, env):
    """The terminal view: the lab pane runs router/labsh.py; 'client ping
    -c 2 server1' typed into its xterm shows the ping's replies and "2
    received"; the read-only router pane shows router/sr's output (its
    interface addresses)."""
    hh = h()
    cl = ConsoleLab(args, env, "web_console_terminal")
    b = cl.browser
    cl.open(view="terminal")
    for name in ("lab", "router"):
        b.one('.term-pane[data-term="%s"][data-state="open"]' % name,
              "the %s pane open" % name)
    wait_term(b, "lab", r"^lab>$", "the lab> prompt")
    # xterm reads keys from its hidden textarea: focus it, then type.
    area = b.one('.term-pane[data-term="lab"] .xterm-helper-textarea')
    b.js("arguments[0].focus()", area)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    ActionChains(b.driver).send_keys("client ping -c 2 server1" +
                                     Keys.ENTER).perform()
    text = wait_term(b, "lab", r"2 packets transmitted, 2 received.*^lab>$",
                     "the ping's summary in the lab pane")
    out = text[text.rindex("client ping -c 2 server1"):]
    hh.check("PING 192.168.2.2 " in out and len(re.findall(
        r"bytes from 192\.168\.2\.2: icmp_seq=\d+ ttl=63", out)) == 2,
        "the lab pane after the ping:\n" + out)
    with open(cl.lb.sr_log) as f:
        sr_lines = [l.strip() for l in f if l.strip()]
    hh.check(sr_lines, "router/sr printed nothing into %s" % cl.lb.sr_log)

    # Its last lines, as sr printed them: its interfaces and "ready".
    want = [l for l in sr_lines if "Interface eth" in l] + [sr_lines[-1]]
    wait_term(b, "router", r".*".join(re.escape(l) for l in want),
              "router/sr's output in the router pane")
    b.js("window.scrollTo(0, 0)")
    b.shot("terminal")
    b.check_no_errors("during the test")
    env.result = "ping 2/2 in the browser's terminal; sr's %d lines shown" \
        % len(sr_lines)


def test_web_console_no_token(args, env):
    """The console opened without the token (plexusd of the lab, no
    network needed): the header says read-only, #token-note shows, every
    enable/disable button and 'Reload conf.d' are disabled, the terminal
    panes say they need the token (data-state no-token, no xterm); from
    the page's own script, POST /api/reload and a plugin's disable answer
    401 and change nothing, and a terminal WebSocket does not open; a
    page of another origin cannot open the live WebSocket, which the
    console's own page can."""
    hh = h()
    cl = ConsoleLab(args, env, "web_console_no_token", net=False)
    b = cl.browser
    cl.open(url=cl.base)
    b.check_no_errors("on loading the page")
    hh.check(b.attr(b.one("#hdr-token"), "data-state") == "none",
             "the header does not say read-only")
    b.wait(lambda: len(plugin_rows(b)) >= 5, "the plugin rows")
    note = b.one("#token-note")
    b.wait(lambda: note.is_displayed(), "#token-note shown")
    buttons = b.all("button[data-action]") + [b.one("#btn-reload")]
    hh.check(len(buttons) >= 11, "only %d buttons" % len(buttons))
    enabled = [(b.attr(x, "data-action"), b.attr(x, "data-plugin"))
               for x in buttons if x.is_enabled()]
    hh.check(not enabled, "buttons enabled without the token: %r" % enabled)
    b.shot("overview-no-token")

    b.go("terminal")
    for name in ("lab", "router"):
        pane = b.one('.term-pane[data-term="%s"][data-state="no-token"]'
                     % name, "the %s pane without the token" % name)
        hh.check("needs the token" in pane.text, "the %s pane says %r"
                 % (name, pane.text))
    hh.check(not b.js("return Object.keys(window.plexusTerminals || {})"),
             "xterm panes opened without the token")
    b.shot("terminal-no-token")
    b.check_no_errors("before the refused requests")

    mark = env.ctl.mark()
    ini = os.path.join(cl.conf, "30-logger.ini")
    with open(ini) as f:
        ini_text = f.read()
    # The 401s this provokes are logged by the browser as errors.
    b.allow(r"/api/(reload|plugins/logger/disable) - Failed to load "
            r"resource: the server responded with a status of 401")
    b.allow(r"WebSocket connection to 'ws://127\.0\.0\.1:%d/ws/term/lab' "
            r"failed" % args.stats_port)
    statuses = b.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all(['/api/reload', '/api/plugins/logger/disable'].map(
          (p) => fetch(p, {method: 'POST'}).then((r) => r.status)))
          .then(done, (e) => done(String(e)));""")
    hh.check(statuses == [401, 401], "POSTs without the token: %r"
             % statuses)
    ws = b.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const ws = new WebSocket(`ws://${location.host}/ws/term/lab`);
        let opened = false;
        ws.onopen = () => { opened = true; };
        ws.onclose = (e) => done({opened, code: e.code});""")
    hh.check(not ws["opened"], "the terminal WebSocket opened without the "
             "token: %r" % ws)
    with open(ini) as f:
        hh.check(f.read() == ini_text, "%s changed" % ini)
    hh.check(not env.ctl.count(r"host: reload \d+", mark),
             "plexusd reloaded on a request without the token:\n"
             + env.ctl.tail(10))

    # The live WebSocket: the console's origin may, another may not.
    live = """
        const done = arguments[arguments.length - 1];
        const ws = new WebSocket(arguments[0]);
        ws.onopen = () => { ws.close(); done('open'); };
        ws.onerror = () => done('refused');"""
    wsurl = "ws://127.0.0.1:%d/ws" % args.stats_port
    hh.check(b.driver.execute_async_script(live, wsurl) == "open",
             "the console's own page cannot open %s" % wsurl)
    b.allow(r"WebSocket connection to '%s' failed" % re.escape(wsurl))
    b.open("data:text/html,<title>elsewhere</title>")
    got = b.driver.execute_async_script(live, wsurl)
    hh.check(got == "refused", "a page of another origin: %s %r"
             % (wsurl, got))
    b.check_no_errors("during the test")
    env.result = "buttons disabled, panes no-token; POSTs %r; terminal ws " \
        "code %s; cross-origin ws refused" % (statuses, ws["code"])


WEB_TESTS = [test_web_console_lab, test_web_console_terminal,
             test_web_console_no_token]
