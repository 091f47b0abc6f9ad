"""Speed and memory of the engine against SimPy, Ciw and a bare heapq loop, in one run.

The model is the reference topology (lab/sim/examples/reference.json): Poisson arrivals ->
round-robin balancer -> N single-worker app servers (exp, 3 ms) -> cache hitting 80% in 0.2 ms
-> database with N/2 workers (exp, 8 ms) for the misses, at 250 requests/s per app server. The
peers implement the same model in bench/peers/. The engine runs with its metrics on (1 s
windows, histograms, sampled traces), exactly as the lab runs it.

These machines are shared and noisy, so the contenders alternate within each round, every
figure is a median over the rounds with its min-max, and the claims are ratios of medians taken
in the same run.

    .venv/bin/python bench/engine_vs_peers.py            # the full benchmark (several minutes)
    .venv/bin/python bench/engine_vs_peers.py --quick    # a smoke run
    .venv/bin/python bench/engine_vs_peers.py --instructions   # plus callgrind instruction counts
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.peers import bare_loop, bare_loop_plain, ciw_model, simpy_model  # noqa: E402
from bench.reference import PER_SERVER_RATE, reference_topology  # noqa: E402
from lab.sim import Simulation, theory  # noqa: E402


def run_engine(servers: int, rate_per_s: float, duration_s: float, seed: int) -> dict[str, float]:
    topo = reference_topology(servers, duration_s)
    sim = Simulation(topo, seed=seed)
    sim.run(duration_s)
    sim.finish()
    results = sim.results()
    return {"requests": results["requests"]["completed"],
            "mean_latency_ms": results["measured"]["overall"]["latency_ms"]["mean"]}


CONTENDERS: dict[str, Callable[[int, float, float, int], dict[str, float]]] = {
    "archlab": run_engine,
    "bare loop (textbook)": bare_loop_plain.run,
    "bare loop (tuned)": bare_loop.run,
    "simpy": simpy_model.run,
    "ciw": ciw_model.run,
}


def timed(fn: Callable[..., dict[str, float]], *args: Any) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    out = fn(*args)
    elapsed = time.perf_counter() - start
    return out["requests"] / elapsed, out


def speed(servers: int, duration_s: float, rounds: int, names: list[str], ciw_duration_s: float) -> dict[str, Any]:
    rate = PER_SERVER_RATE * servers
    rates: dict[str, list[float]] = {n: [] for n in names}
    latency: dict[str, float] = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]  # rotate who goes first
        for name in order:
            duration = ciw_duration_s if name == "ciw" else duration_s
            per_s, out = timed(CONTENDERS[name], servers, rate, duration, 1000 + r)
            rates[name].append(per_s)
            latency[name] = out["mean_latency_ms"]
    summary = {
        name: {"median": statistics.median(v), "min": min(v), "max": max(v), "mean_latency_ms": latency[name]}
        for name, v in rates.items()
    }
    return {"servers": servers, "rate_per_s": rate, "duration_s": duration_s, "rounds": rounds, "requests_per_s": summary}


_MEMORY_CHILD = """
import json, sys, tracemalloc
sys.path.insert(0, sys.argv[2])
from bench.reference import reference_topology
from lab.sim import Simulation
requests, traced = int(sys.argv[1]), sys.argv[3] == "1"
topo = reference_topology(4, max(requests, 1) / 1000.0)
if traced:
    tracemalloc.start()
sim = Simulation(topo, seed=1)
if requests:
    sim.run(topo["settings"]["duration_s"])
    sim.finish()
    sim.results()
peak = tracemalloc.get_traced_memory()[1] if traced else 0
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps([sim.created, hwm, peak]))
"""


def peak_memory_kib(requests: int, traced: bool = False) -> tuple[int, int, int]:
    """A fresh interpreter runs `requests` requests (0: it only imports the engine and builds
    the topology). Returns requests started, its peak resident memory in KiB, and, when
    `traced`, the peak of the Python memory the run itself allocated (tracemalloc, in bytes)."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(requests), str(ROOT), "1" if traced else "0"],
                         capture_output=True, text=True, check=True)
    created, rss, peak = json.loads(out.stdout)
    return created, rss, peak


_COUNT_CHILD = """
import sys
sys.path.insert(0, sys.argv[3])
name, duration = sys.argv[1], float(sys.argv[2])
if name == "archlab":
    from bench.engine_vs_peers import run_engine as run
else:
    import importlib
    run = importlib.import_module("bench.peers." + name).run
run(4, 1000.0, duration, 1)
"""


def instructions_per_request(name: str) -> float:
    """Machine instructions per request, counted by valgrind's callgrind: the same number on a
    quiet or a busy machine. Two runs of different lengths cancel the start-up cost."""
    counts = []
    for duration in (2.0, 12.0):
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              sys.executable, "-c", _COUNT_CHILD, name, str(duration), str(ROOT)],
                             capture_output=True, text=True, check=True)
        counts.append(int(out.stderr.split("Collected :")[1].split()[0]))
    return (counts[1] - counts[0]) / (1000.0 * 10.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="short runs, 2 rounds: a smoke test, not a measurement")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per request with valgrind (noise-free, a few minutes)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engine_vs_peers.json")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    scale = 0.1 if args.quick else 1.0

    report: dict[str, Any] = {"python": sys.version.split()[0], "speed": [], "memory": {}}
    print(f"exact mean latency at 4 servers: {theory.reference_topology_mean_latency_s() * 1000:.2f} ms "
          f"(Jackson would say {theory.jackson_reference_mean_latency_s() * 1000:.2f} ms)")
    plans = [
        (4, 200.0 * scale, ["archlab", "bare loop (textbook)", "bare loop (tuned)", "simpy", "ciw"]),
        (16, 50.0 * scale, ["archlab", "bare loop (textbook)", "bare loop (tuned)", "simpy"]),
        (64, 12.5 * scale, ["archlab", "bare loop (textbook)", "bare loop (tuned)", "simpy"]),
    ]
    for servers, duration, names in plans:
        result = speed(servers, duration, rounds, names, ciw_duration_s=20.0 * scale)
        report["speed"].append(result)
        print(f"\n{servers} app servers, {result['rate_per_s']:.0f} requests/s, {duration:g} s simulated, {rounds} rounds")
        print(f"  {'':<22}{'requests/wall s (median)':>26}{'min':>10}{'max':>10}{'mean latency ms':>18}")
        for name, s in result["requests_per_s"].items():
            print(f"  {name:<22}{s['median']:>26,.0f}{s['min']:>10,.0f}{s['max']:>10,.0f}{s['mean_latency_ms']:>18.2f}")
        med = {n: s["median"] for n, s in result["requests_per_s"].items()}
        ratios = {"archlab_over_simpy": med["archlab"] / med["simpy"],
                  "textbook_bare_over_archlab": med["bare loop (textbook)"] / med["archlab"],
                  "tuned_bare_over_archlab": med["bare loop (tuned)"] / med["archlab"]}
        if "ciw" in med:
            ratios["archlab_over_ciw"] = med["archlab"] / med["ciw"]
        result["ratios"] = ratios
        print("  ratios of medians: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))

    cost = {r["servers"]: 1.0 / r["requests_per_s"]["archlab"]["median"] for r in report["speed"]}
    report["cost_per_request_64_over_4"] = cost[64] / cost[4]
    print(f"\nengine cost per request at 64 servers / at 4 servers: {report['cost_per_request_64_over_4']:.2f}")

    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    _, rss_base, _ = peak_memory_kib(0)
    created_small, rss_small, _ = peak_memory_kib(small)
    created_large, rss_large, _ = peak_memory_kib(large)
    _, _, heap_small = peak_memory_kib(small, traced=True)
    _, _, heap_large = peak_memory_kib(large, traced=True)
    report["memory"] = {"baseline_peak_rss_kib": rss_base,
                        "small": {"requests": created_small, "peak_rss_kib": rss_small, "run_peak_bytes": heap_small},
                        "large": {"requests": created_large, "peak_rss_kib": rss_large, "run_peak_bytes": heap_large},
                        "large_over_small": rss_large / rss_small,
                        "run_large_over_small": heap_large / heap_small}
    print(f"peak resident memory: import and set-up only {rss_base / 1024:.1f} MiB; {created_small:,} requests "
          f"{rss_small / 1024:.1f} MiB; {created_large:,} requests {rss_large / 1024:.1f} MiB: "
          f"{report['memory']['large_over_small']:.3f}x")
    print(f"peak Python memory allocated by the run itself (tracemalloc): {heap_small / 2**20:.2f} MiB vs "
          f"{heap_large / 2**20:.2f} MiB: {report['memory']['run_large_over_small']:.3f}x")

    if args.instructions:
        if shutil.which("valgrind") is None:
            print("\n--instructions needs valgrind (apt-get install valgrind)")
        else:
            names = ("archlab", "bare_loop_plain", "bare_loop", "simpy_model")
            counts = {n: instructions_per_request(n) for n in names}
            report["instructions_per_request"] = counts
            print("\ninstructions per request (callgrind, 4 servers): " + ", ".join(f"{n} {c:,.0f}" for n, c in counts.items()))
            print(f"  simpy / archlab {counts['simpy_model'] / counts['archlab']:.2f}x, archlab / textbook bare loop "
                  f"{counts['archlab'] / counts['bare_loop_plain']:.2f}x, archlab / tuned bare loop "
                  f"{counts['archlab'] / counts['bare_loop']:.2f}x")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nwritten to {shown}")


if __name__ == "__main__":
    main()
