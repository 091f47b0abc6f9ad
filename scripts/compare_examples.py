"""Prove that a change to the engine changes no result: run every example on two versions of the
code and compare what they produce, byte for byte.

    .venv/bin/python scripts/compare_examples.py                 # HEAD against the working tree
    .venv/bin/python scripts/compare_examples.py --base 4ec9dca  # a commit against the working tree

For each example and each seed it records the results document, every window and the timeline
(the run's own JSON, encoded the one way the lab stores it), runs a live parameter change and a
fault halfway on a second copy (so the control path is compared too), and drains a third copy
(every request ends). The old version runs from a temporary `git worktree` of `--base`, in its
own interpreter, so nothing of the new code leaks into it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the interpreter of one version; prints {"example/seed/part": sha256, ...}.
PROBE = r'''
import hashlib, json, sys
from pathlib import Path
import lab.sim
from lab.sim import Simulation
# The command entry point moved from Simulation.apply to lab.sim.apply_command in the redesign.
apply = getattr(lab.sim, "apply_command", None) or (lambda sim, command: sim.apply(command))

def digest(value):
    text = json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

out = {}
examples = sorted(Path(lab.sim.__file__).resolve().parent.rglob("examples/*.json"))
for path in examples:
    topology = lab.sim.load(path.read_text())
    duration = min(float(topology["settings"]["duration_s"]), 40.0)
    for seed in (1, 7):
        windows = []
        sim = Simulation(topology, seed=seed, on_window=windows.append)
        sim.run(duration)
        sim.finish()
        key = f"{path.stem}/{seed}"
        out[key + "/results"] = digest(sim.results())
        out[key + "/windows"] = digest(windows)
        out[key + "/timeline"] = digest(sim.timeline)

        # The control path: a live change and a fault, halfway.
        live = []
        sim = Simulation(topology, seed=seed, on_window=live.append)
        sim.run(duration / 2)
        target = next((n for n in topology["nodes"] if not lab.sim.REGISTRY[n["kind"]].is_source), None)
        problems = []
        if target is not None:
            problems += apply(sim, {"op": "inject_fault", "fault": {"kind": "latency", "node": target["id"],
                                                                   "duration_s": duration / 4, "added_ms": 50}})
        # Every node loses an instance for a while (the kinds that have none say so) and the
        # last one crashes: the fault paths through each kind's queues and instances.
        for spec in topology["nodes"]:
            if not lab.sim.REGISTRY[spec["kind"]].is_source:
                problems += apply(sim, {"op": "inject_fault", "fault": {"kind": "crash_instances", "node": spec["id"],
                                                                       "count": 1, "duration_s": duration / 8}})
        if target is not None:
            last = [n for n in topology["nodes"] if not lab.sim.REGISTRY[n["kind"]].is_source][-1]
            problems += apply(sim, {"op": "inject_fault", "fault": {"kind": "crash", "node": last["id"],
                                                                   "duration_s": duration / 10}})
            number = next((p for p in lab.sim.REGISTRY[target["kind"]].params
                           if p.type == "number" and p.live and p.name in target["params"]), None)
            if number is not None:
                value = target["params"][number.name]
                new = value * 1.5 if value else 1.0
                if number.maximum is not None:
                    new = min(new, number.maximum)
                problems += apply(sim, {"op": "set_param", "node": target["id"], "param": number.name, "value": new})
        sim.run(duration)
        sim.finish()
        out[key + "/live"] = digest({"problems": problems, "results": sim.results(), "windows": live,
                                     "timeline": sim.timeline})

        sim = Simulation(topology, seed=seed)
        sim.run(duration / 2)
        sim.drain()
        out[key + "/drain"] = digest({"created": sim.created, "completed": sim.completed, "failed": sim.failed,
                                      "results": sim.results()})
print(json.dumps(out))
'''


def measure(tree: Path) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"})
    if done.returncode:
        raise SystemExit(f"the examples failed to run in {tree}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD", help="the old version: a commit, branch or tag (default HEAD)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        old_tree = Path(scratch) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old_tree), args.base], cwd=ROOT, check=True)
        try:
            old = measure(old_tree)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=True)
    new = measure(ROOT)
    differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    examples = len({k.split("/")[0] for k in new})
    if differ:
        print(f"{len(differ)} of {len(new)} digests differ between {args.base} and the working tree:")
        for key in differ:
            print(f"  {key}: {old.get(key, 'missing')[:12]} -> {new.get(key, 'missing')[:12]}")
        return 1
    print(f"identical: {len(new)} digests over {examples} examples (results, windows, timeline, a live change "
          f"and a fault, a drain; seeds 1 and 7) between {args.base} and the working tree")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
