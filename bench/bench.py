"""Benchmarks: this project against the reference original (cjm-fasthtml-plugins 0.0.5), in one run.

    python bench/bench.py            # full run (several minutes); writes the table to bench/README.md
    python bench/bench.py --quick    # small sizes, one round, a few seconds: must not crash, no targets judged

The original is copied at run time into a temp dir as `cjm_fasthtml_plugins_ref`, so both import in one
process. Its UI needs `cjm_fasthtml_daisyui` and `cjm_fasthtml_tailwind`; they are pip-installed into
bench/.deps (not into the project's environment). The two sides run in alternating rounds and each figure
is the median of its rounds. CPU-bound rows time the process's CPU (`time.process_time`), which the other
processes of a shared machine disturb least; saves and HTTP are wall-clock. HTTP uses Debian's `wrk`
against uvicorn (2 workers, 127.0.0.1), which the bench starts and stops.
"""
import argparse, gc, json, logging, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
REFERENCE = Path(os.environ.get("CJM_REFERENCE", ROOT.parent / "shared/reference/original-0.0.5")) / "cjm_fasthtml_plugins"
DEPS = BENCH / ".deps"
REF = "cjm_fasthtml_plugins_ref"
log = logging.getLogger("bench")

SCHEMA = {"type": "object", "title": "Fake plugin", "description": "A plugin made up by the benchmarks.",
          "properties": {"model": {"type": "string", "enum": ["tiny", "base", "large"], "default": "base"},
                         "device": {"type": "string", "default": "cpu"},
                         "batch_size": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8},
                         "streaming": {"type": "boolean", "default": False}}}
CONFIG = {"model": "large", "device": "cuda", "batch_size": 16, "streaming": True}


# -- the two implementations ------------------------------------------------------------------------------------
def reference_path():
    "A temp dir holding the original package as `cjm_fasthtml_plugins_ref`, plus bench/.deps for its UI."
    missing = [m for m in ("cjm_fasthtml_daisyui", "cjm_fasthtml_tailwind") if not (DEPS / m).exists()]
    if missing:
        log.info("installing %s into %s (the original's UI dependencies, for the bench only)", missing, DEPS)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--target", str(DEPS), "cjm-fasthtml-daisyui", "cjm-fasthtml-tailwind"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="cjm-ref-"))
    shutil.copytree(REFERENCE, tmp / REF, ignore=shutil.ignore_patterns("__pycache__"))
    for p in (tmp / REF).rglob("*"): p.chmod(0o755 if p.is_dir() else 0o644)  # the reference is read-only
    return tmp


def use_paths(ref_dir):
    "Import path: this worktree first, then the original's copy, then its UI deps (after site-packages)."
    sys.path[:0] = [str(ROOT), str(ref_dir)]
    sys.path.append(str(DEPS))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ref_dir), str(DEPS)])


def side(pkg):
    "The modules a benchmark needs from one implementation (`cjm_fasthtml_plugins` or the reference copy)."
    import importlib
    mods = {m: importlib.import_module(f"{pkg}.{m}") for m in ("core.registry", "components.selector")}
    return SimpleNamespace(Registry=mods["core.registry"].UnifiedPluginRegistry, ui=mods["components.selector"])


class Manager:
    "A plugin manager with `n` made-up plugins sharing one schema."
    def __init__(self, n, prefix="p"): self.infos = [SimpleNamespace(name=f"{prefix}{i:05d}", version="1.0.0") for i in range(n)]
    def discover_plugins(self): return self.infos
    def get_plugin_config_schema(self, name): return SCHEMA


def managers(n, per_category=100):
    "N plugins over N/per_category categories: {category: manager}."
    return {f"cat{c:04d}": Manager(min(per_category, n - c * per_category)) for c in range((n + per_category - 1) // per_category)}


def registry(impl, config_dir, mgrs, saved_every=0):
    "A registry of `impl` over `mgrs`; every `saved_every`-th plugin gets CONFIG saved through the registry."
    Path(config_dir).mkdir(parents=True, exist_ok=True)
    reg = impl.Registry(Path(config_dir))
    for cat, m in mgrs.items(): reg.register_plugin_manager(cat, m)
    if saved_every:
        for p in reg.get_all_plugins()[::saved_every]: save(reg, p.get_unique_id())
    return reg


def save(reg, uid):
    "Save CONFIG for `uid`; a refused save would make every figure after it meaningless."
    if not reg.save_plugin_config(uid, CONFIG): raise RuntimeError(f"{type(reg).__module__} refused to save {uid}")


# -- timing -----------------------------------------------------------------------------------------------------
def alternate(fns, rounds, number=1, clock=time.process_time):
    "Median seconds per call of each function, timed in rounds whose order alternates."
    times = {k: [] for k in fns}
    for r in range(rounds):
        for k in (list(fns) if r % 2 == 0 else list(fns)[::-1]):
            gc.collect()
            t = clock()
            for _ in range(number): fns[k]()
            times[k].append((clock() - t) / number)
    return {k: statistics.median(v) for k, v in times.items()}


def import_time(modules, rounds):
    "Median CPU seconds of importing each module in a fresh interpreter, modules alternating."
    code = "import time; t = time.process_time(); import {}; print(time.process_time() - t)"
    times = {m: [] for m in modules}
    for r in range(rounds):
        for m in (modules if r % 2 == 0 else modules[::-1]):
            out = subprocess.run([sys.executable, "-c", code.format(m)], capture_output=True, text=True, check=True)
            times[m].append(float(out.stdout))
    return [statistics.median(times[m]) for m in modules]


class Table:
    "Result rows: what was measured, its baseline, the ratio and the target."
    def __init__(self, quick): self.rows, self.quick = [], quick

    def add(self, what, baseline, base, value, ratio, target=None, fmt="{:.2f} ms", scale=1e3):
        "Add a row; `target` is (text, predicate of the ratio) or None for a figure reported only."
        verdict = "" if target is None or self.quick else ("met" if target[1](ratio) else "**MISSED**")
        self.rows.append((what, baseline, fmt.format(base * scale), fmt.format(value * scale), f"{ratio:.2f}x",
                          target[0] if target else "", verdict))
        print(" | ".join(map(str, self.rows[-1])), flush=True)

    def markdown(self):
        head = ["measured", "baseline", "baseline figure", "figure", "ratio", "target", "verdict"]
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
                         ["| " + " | ".join(map(str, r)) + " |" for r in self.rows])


def at_most(x): return (f"<= {x}x", lambda r: r <= x)
def at_least(x): return (f">= {x}x", lambda r: r >= x)


# -- in-process rows --------------------------------------------------------------------------------------------
def bench_lookups(t, ours, ref, tmp, q):
    "get_plugins_by_category x1000 (x100 quick): the original is a scan over every plugin, ours should be flat in N."
    sizes, rounds, calls = ((200, 1_000), 1, 100) if q else ((1_000, 10_000), 7, 1_000)
    res = {}
    for n in sizes:
        regs = {name: registry(impl, tmp / f"lookup-{name}-{n}", managers(n)) for name, impl in (("ours", ours), ("ref", ref))}
        cats = [f"cat{i % (n // 100):04d}" for i in range(calls)]
        res[n] = alternate({k: (lambda r=r: [r.get_plugins_by_category(c) for c in cats]) for k, r in regs.items()}, rounds)
    small, big = sizes
    t.add(f"get_plugins_by_category x{calls:,}, N={big:,} over {big // 100} categories: speed-up", "original",
          res[big]["ref"], res[big]["ours"], res[big]["ref"] / res[big]["ours"], at_least(50))
    t.add(f"get_plugins_by_category x{calls:,}: ours at N={big:,} vs N={small:,} (flat in N)", f"ours, N={small:,}",
          res[small]["ours"], res[big]["ours"], res[big]["ours"] / res[small]["ours"], at_most(1.25))


def bench_render(t, ours, ref, tmp, q):
    "Comparison table and dropdown (+ to_xml) over one category, half of its configs saved through the registry."
    from fasthtml.common import to_xml
    n, small, large, rounds = (50, 25, 100, 1) if q else (500, 250, 2_000, 5)
    regs = {name: registry(impl, tmp / f"render-{name}", {"cat": Manager(max(n, large) if name == "ours" else n)}, 2)
            for name, impl in (("ours", ours), ("ref", ref))}
    plugins = {k: r.get_plugins_by_category("cat") for k, r in regs.items()}
    impls = {"ours": ours, "ref": ref}
    table = {k: (lambda k=k: to_xml(impls[k].ui.render_comparison_table(plugins[k][:n], None, regs[k].load_plugin_config)))
             for k in impls}
    res = alternate(table, rounds)
    t.add(f"comparison table + to_xml, {n} plugins, configs via the registry (half saved): speed-up", "original",
          res["ref"], res["ours"], res["ref"] / res["ours"], at_least(3))
    per = alternate({m: (lambda m=m: to_xml(ours.ui.render_comparison_table(plugins["ours"][:m], None, regs["ours"].load_plugin_config)))
                     for m in (small, large)}, rounds)
    t.add(f"comparison table per plugin: ours at {large:,} vs {small:,} plugins", f"ours, {small} plugins",
          per[small] / small, per[large] / large, (per[large] / large) / (per[small] / small), at_most(1.15), fmt="{:.1f} us", scale=1e6)
    uids = [p.get_unique_id() for p in plugins["ours"][:n]]  # what no table can skip: FT itself, and reading the configs
    floor = alternate({3: lambda: bare_table(n, 3), 5: lambda: bare_table(n, 5),
                       "loads": lambda: [regs["ours"].load_plugin_config(u) for u in uids]}, rounds)
    for c, what in ((5, "our"), (3, "the original's")):
        t.add(f"floor: {n} rows of {what} {c} plain cells built with FT + to_xml (no configs, no features)",
              "original's whole table", res["ref"], floor[c], res["ref"] / floor[c])
    t.add(f"floor: loading the {n} configs through our registry (half saved)", "original's whole table", res["ref"],
          floor["loads"], res["ref"] / floor["loads"])
    dropdown = {k: (lambda k=k: to_xml(impls[k].ui.render_plugin_selector(
        plugins[k][:n], selection_endpoint="/select", target_id="plugin-target", strategy="dropdown"))) for k in impls}
    res = alternate(dropdown, rounds)
    t.add(f"render_plugin_selector(strategy='dropdown') + to_xml, {n} plugins", "original", res["ref"], res["ours"],
          res["ours"] / res["ref"], at_most(1.2))


def bare_table(rows, cells):
    "A table of `rows` rows of `cells` plain text cells, built with fastcore's FT and serialised: what FT itself costs."
    from fastcore.xml import FT, to_xml
    body = [FT("tr", tuple(FT("td", (f"v{j}",), {}) for j in range(cells)), {"id": f"r{i}"}) for i in range(rows)]
    return to_xml(FT("table", tuple(FT("tbody", tuple(body[i:i + 100]), {}) for i in range(0, rows, 100)), {}))


def bench_registry(t, ours, ref, tmp, q):
    "Registering N plugins, and loading saved configs."
    n, rounds = (500, 1) if q else (10_000, 7)
    mgrs, impls = managers(n), {"ours": ours, "ref": ref}
    res = alternate({k: (lambda k=k: registry(impls[k], tmp / f"register-{k}", mgrs)) for k in impls}, rounds)
    t.add(f"register {n:,} plugins over {n // 100} categories (fresh registry)", "original", res["ref"], res["ours"],
          res["ours"] / res["ref"], at_most(1.1))
    regs = {k: registry(impls[k], tmp / f"load-{k}", managers(200), 2) for k in impls}
    uids = [p.get_unique_id() for p in regs["ours"].get_all_plugins()[::2]]
    for k, r in regs.items():
        if r.load_plugin_config(uids[0]) != CONFIG: raise RuntimeError(f"{k}: load_plugin_config does not return the saved config")
    res = alternate({k: (lambda r=r: [r.load_plugin_config(u) for u in uids]) for k, r in regs.items()}, rounds * 3, 5)
    t.add(f"load_plugin_config, per saved config ({len(uids)} configs)", "original", res["ref"] / len(uids),
          res["ours"] / len(uids), res["ours"] / res["ref"], at_most(1.2), fmt="{:.1f} us", scale=1e6)


def floor_save(path, data):
    "The least a durable save does: temp file + fsync, rename over the target, fsync of the directory."
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally: os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try: os.fsync(dfd)
    finally: os.close(dfd)


def bench_save(t, ours, tmp, q):
    "save_plugin_config against its floor, on the real disk (bench/.tmp, not tmpfs)."
    reg = registry(ours, tmp / "save", {"cat": Manager(1)})
    uid = "cat_p00000"
    save(reg, uid)
    data, floor_dir = (tmp / "save" / f"{uid}.json").read_bytes(), tmp / "floor"
    floor_dir.mkdir()
    res = alternate({"ours": lambda: reg.save_plugin_config(uid, CONFIG),
                     "floor": lambda: floor_save(floor_dir / f"{uid}.json", data)},
                    1 if q else 9, 5 if q else 20, clock=time.perf_counter)
    t.add("save_plugin_config (wall clock, real disk)", "floor: temp+fsync+replace+dir fsync", res["floor"], res["ours"],
          res["ours"] / res["floor"], at_most(1.5))
    lock = reg.store.lock(uid)  # the save's own lock: filelock's cost, reported to show where a save's time goes
    def cycle():
        with lock: pass
    held = alternate({"lock": cycle}, 1 if q else 9, 20 if q else 500, clock=time.perf_counter)["lock"]
    t.add(f"of which: filelock {version('filelock')} acquire + release (uncontended)", "the floor", res["floor"], held,
          held / res["floor"])


def bench_imports(t, q):
    "Import cost in fresh interpreters (CPU of the import itself), both sides from compiled bytecode as pip installs them."
    rounds = 1 if q else 25  # a 12 ms import moves by 1-2 ms between runs on a shared machine: a median of many
    # PYTHONDONTWRITEBYTECODE (set on these machines) would make every import compile its source; an installed
    # package has its .pyc written by pip, so compile both sides once and compare what users pay.
    for tree in [ROOT / "cjm_fasthtml_plugins", *(Path(p) / REF for p in sys.path if (Path(p) / REF).is_dir())]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True)
    ours, ref = import_time(["cjm_fasthtml_plugins.core.registry", f"{REF}.core.registry"], rounds)
    t.add("import core.registry (fresh process)", "original", ref, ours, ours / ref, at_most(1.2))
    ours, mui = import_time(["cjm_fasthtml_plugins.components.selector", "monsterui.all"], rounds)
    t.add("import components.selector (fresh process)", "import monsterui.all", mui, ours, ours / mui, at_most(1.1))


# -- config stores: PostgreSQL vs the JSON directory (issue 15) ---------------------------------------------------
NOTIFY_CHILD = """
import sys, time
from cjm_fasthtml_plugins.core.changes import store_from_url
store = store_from_url(sys.argv[1])
sys.stdin.readline()  # the parent is subscribed
for i in range(int(sys.argv[2])):
    t = time.monotonic()  # system-wide on Linux: comparable with the parent's clock
    print(store.save("bench_notify", {"i": i}), t, flush=True)
    time.sleep(0.05)  # apart, so the JSON watcher seldom merges two saves into one change
store.close()
"""


def notify_latencies(url, n):
    "Seconds from the start of a save in a child process to `on_config_change` in this one, per save."
    import queue
    from cjm_fasthtml_plugins.core.changes import store_from_url
    from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
    seen, reg = queue.Queue(), UnifiedPluginRegistry(store=store_from_url(url))
    reg.on_config_change(lambda change: seen.put((change.revision, time.monotonic())))
    child = subprocess.Popen([sys.executable, "-c", NOTIFY_CHILD, url, str(n)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    out = child.communicate("go\n", timeout=300)[0]
    sent, got = dict(line.split() for line in out.splitlines()), {}
    while len(got) < len(sent):
        try: rev, at = seen.get(timeout=10)
        except queue.Empty: break  # the JSON watcher may merge two saves into one change (the later revision)
        got.setdefault(rev, at)
    reg.store.close()
    if len(got) < 0.9 * len(sent): raise RuntimeError(f"{url}: only {len(got)} of {len(sent)} saves were notified")
    return sorted(got[rev] - float(t) for rev, t in sent.items() if rev in got)


def bench_stores(t, tmp, q):
    "save/load per call and cross-process notification latency: PostgreSQL (throwaway cluster) vs the JSON directory."
    sys.path.insert(0, str(ROOT / "tests"))
    import pg_support
    from cjm_fasthtml_plugins.core.changes import store_from_url
    if q and not (pg_support._find_bin() / "initdb").exists():
        log.info("--quick: no PostgreSQL binaries, store rows skipped")
        return
    cluster = pg_support.PgCluster()
    try:
        urls = {"json": str(tmp / "store-json"), "pg": cluster.create_database()}
        stores = {k: store_from_url(u) for k, u in urls.items()}
        for s in stores.values(): s.save("bench_p", CONFIG)
        rounds, number = (1, 20) if q else (9, 200)
        res = alternate({k: (lambda s=s: s.save("bench_p", CONFIG)) for k, s in stores.items()}, rounds, number, clock=time.perf_counter)
        t.add("store.save (wall clock; history entry included): PostgreSQL vs JSON directory", "JSON directory (real disk)",
              res["json"], res["pg"], res["pg"] / res["json"])
        res = alternate({k: (lambda s=s: s.load("bench_p")) for k, s in stores.items()}, rounds, number * 5, clock=time.perf_counter)
        t.add("store.load (wall clock): PostgreSQL vs JSON directory", "JSON directory", res["json"], res["pg"],
              res["pg"] / res["json"], fmt="{:.1f} us", scale=1e6)
        for s in stores.values(): s.close()
        n = 20 if q else 200
        lat = {k: notify_latencies(u, n) for k, u in urls.items()}
        for name, pct in (("p50", 0.5), ("p99", 0.99)):
            pick = {k: v[min(len(v) - 1, int(pct * len(v)))] for k, v in lat.items()}
            t.add(f"notification {name}, save started in another process -> on_config_change ({n} saves)",
                  "JSON directory (watchfiles)", pick["json"], pick["pg"], pick["pg"] / pick["json"])
    finally: cluster.remove()


# -- HTTP -------------------------------------------------------------------------------------------------------
HTTP_PLUGINS, HTTP_UID = 100, "cat_p00002"


def make_app():
    "The app uvicorn serves: plugin_router's routes, and /ref/details rendering the original's card for the same plugin."
    from fasthtml.common import FastHTML
    from cjm_fasthtml_plugins.components.routes import plugin_router
    impl_ours, impl_ref = side("cjm_fasthtml_plugins"), side(REF)
    base = Path(os.environ["BENCH_CONFIG_DIR"])
    ours = registry(impl_ours, base / "ours", {"cat": Manager(HTTP_PLUGINS)})
    ref = registry(impl_ref, base / "ref", {"cat": Manager(HTTP_PLUGINS)})
    app = FastHTML()
    plugin_router(ours, "/plugins").to_app(app)

    @app.get("/ref/details")
    def ref_details(plugin_id: str):
        return impl_ref.ui.render_plugin_details(ref.get_plugin(plugin_id), ref.load_plugin_config(plugin_id))
    return app


class Server:
    "uvicorn serving make_app() with 2 workers on 127.0.0.1; stopped on exit."
    def __init__(self, config_dir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = dict(os.environ, BENCH_CONFIG_DIR=str(config_dir))

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bench:make_app", "--app-dir", str(BENCH),
                                      "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2",
                                      "--log-level", "warning"], env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/plugins/details?plugin_id=" + HTTP_UID), timeout=2): return self
            except OSError: time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"uvicorn did not answer on port {self.port} within 60 s")

    def __exit__(self, *exc):
        self.proc.terminate()
        try: self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def url(self, path): return f"http://127.0.0.1:{self.port}{path}"

    def rss(self):
        "Resident memory of the worker processes, in bytes."
        import psutil
        return sum(p.memory_info().rss for p in psutil.Process(self.proc.pid).children(recursive=True))


def wrk(url, seconds, connections=16):
    "Run wrk against `url` (an htmx request); returns requests/s, p50 and p99 latency (s), and requests made."
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "HX-Request: true", url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out: raise RuntimeError(f"wrk saw failed requests on {url}:\n{out}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    lat = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    return (float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), lat["50"], lat["99"],
            int(re.search(r"(\d+) requests in", out).group(1)))


def ensure_wrk():
    "Install Debian's wrk when it is missing."
    if shutil.which("wrk"): return
    log.info("installing wrk with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)


def bench_http(t, tmp, q):
    "Details fragment: plugin_router's route vs a route returning the original's render_plugin_details."
    ensure_wrk()
    seconds, rounds, rss_requests = (1, 1, 1) if q else (5, 5, 10_000)
    with Server(tmp / "http") as server:
        urls = {"ours": server.url(f"/plugins/details?plugin_id={HTTP_UID}"), "ref": server.url(f"/ref/details?plugin_id={HTTP_UID}")}
        for u in urls.values():
            with urllib.request.urlopen(urllib.request.Request(u, headers={"HX-Request": "true"})) as r:
                if b"Fake plugin" not in r.read(): raise RuntimeError(f"{u} does not show the plugin's card")
            if not q: wrk(u, 1)  # warm-up
        runs = {k: [] for k in urls}
        for r in range(rounds):
            for k in (list(urls) if r % 2 == 0 else list(urls)[::-1]): runs[k].append(wrk(urls[k], seconds))
        med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in runs.items()}
        t.add("HTTP details fragment, req/s (wrk -t2 -c16, uvicorn 2 workers)", "original's card, same app",
              med["ref"][0], med["ours"][0], med["ours"][0] / med["ref"][0], at_least(1.0), fmt="{:,.0f}", scale=1)
        for i, p in ((1, "p50"), (2, "p99")):
            t.add(f"HTTP details fragment, {p} latency", "original's card, same app", med["ref"][i], med["ours"][i],
                  med["ours"][i] / med["ref"][i])
        before, done = server.rss(), 0
        while done < rss_requests: done += wrk(urls["ours"], seconds)[3]
        after = server.rss()
        t.add(f"HTTP workers' RSS after {done:,} more requests to the details route", "RSS before", before, after,
              after / before, ("< 1.1x (< 10% growth)", lambda r: r < 1.1), fmt="{:.1f} MiB", scale=1 / 2**20)


# -- main -------------------------------------------------------------------------------------------------------
def write_readme(table, seconds):
    "Replace the results section of bench/README.md with this run's table."
    readme = BENCH / "README.md"
    head = readme.read_text().split("## Latest full run")[0] if readme.exists() else "# Benchmarks\n\n"
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    readme.write_text(f"{head}## Latest full run\n\n{stamp}, commit {commit}, {seconds:.0f} s, "
                      f"{os.cpu_count()} CPUs.\n\n{table.markdown()}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one round; no targets judged, README untouched")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not REFERENCE.is_dir():  # a fresh clone has no copy of the original beside it
        missing = (f"No copy of the original cjm-fasthtml-plugins 0.0.5 in {REFERENCE.parent}: set CJM_REFERENCE to the "
                   "folder holding its `cjm_fasthtml_plugins` package.")
        if not args.quick: sys.exit(missing)
        log.warning("%s Every row compares against it, so --quick skips the benchmarks.", missing)
        return
    start, ref_dir = time.monotonic(), reference_path()
    (BENCH / ".tmp").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=BENCH / ".tmp"))  # on the real disk, for the save row
    try:
        use_paths(ref_dir)
        ours, ref = side("cjm_fasthtml_plugins"), side(REF)
        t = Table(args.quick)
        bench_lookups(t, ours, ref, tmp, args.quick)
        bench_render(t, ours, ref, tmp, args.quick)
        bench_registry(t, ours, ref, tmp, args.quick)
        bench_save(t, ours, tmp, args.quick)
        bench_imports(t, args.quick)
        bench_stores(t, tmp, args.quick)
        bench_http(t, tmp, args.quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(ref_dir, ignore_errors=True)
    print("\n" + t.markdown())
    if not args.quick: write_readme(t, time.monotonic() - start)


if __name__ == "__main__":
    main()
