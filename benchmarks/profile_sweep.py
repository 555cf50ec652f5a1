"""Where a sweep's time goes outside the calls it times (a diagnostic for figure 4, not a figure):

    python -m benchmarks.profile_sweep [--items 4..16] [--length 1000000] [--strategies serial,processes,numpy]

Runs the sweep in this process with `workloads.measuring.sweep.run_sweep` (what the measuring process runs),
with timers wrapped around the engine's steps from outside (nothing in the engine is changed), and
prints the time of each step beside the timed and warm-up calls. What is left over after the wrapped
steps is mostly freeing each call's output (`del output`) and turning serial's output into arrays
for the numpy check, which cannot be wrapped from outside; `--free` times freeing one output.
"""

from __future__ import annotations

import argparse
import collections
import functools
import time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_sweep")
    parser.add_argument("--workload", default="squares")
    parser.add_argument("--items", default="4..16")
    parser.add_argument("--length", default="1000000")
    parser.add_argument("--strategies", default="serial,processes,numpy")
    parser.add_argument("--free", action="store_true", help="also time freeing one serial output of the largest point")
    args = parser.parse_args()

    began = time.perf_counter()
    from workloads.measuring import loader, machine, sweep
    from workloads.model import strategies
    from workloads.model.spec import build_spec
    imports = time.perf_counter() - began

    spent: dict[str, float] = collections.defaultdict(float)
    counts: dict[str, int] = collections.defaultdict(int)

    def wrap(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*a, **k):
            start = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[label] += time.perf_counter() - start
                counts[label] += 1

        setattr(owner, name, timed)

    wrap(loader.LoadedWorkload, "make_inputs", "building inputs (make_inputs)")
    wrap(loader.LoadedWorkload, "expected", "expected output without serial (expected)")
    wrap(loader.Reference, "check", "checking outputs (Reference.check)")
    wrap(sweep, "profile", "measuring one item first (probe.profile)")
    wrap(machine, "describe", "describing the machine")
    wrap(sweep, "_time_call", "timed calls incl. gc toggles (_time_call)")
    wrap(strategies.PoolRunner, "prepare", "starting warm pools (prepare)")
    wrap(strategies.PoolRunner, "close", "closing pools")

    spec = build_spec(workload=args.workload, items=args.items, length=args.length, strategies=args.strategies)
    measurements = []
    start = time.perf_counter()
    sweep.run_sweep(spec, lambda event: measurements.append(event.measurement) if hasattr(event, "measurement")
                    else None)
    total = time.perf_counter() - start
    calls = sum(sum(m.times_s) * m.loops + sum(m.warmup_times_s) for m in measurements)
    print(f"importing the engine             {imports:8.3f} s")
    print(f"run_sweep                        {total:8.3f} s")
    print(f"  timed + warm-up calls          {calls:8.3f} s")
    print(f"  outside the calls              {total - calls:8.3f} s ({(total - calls) / calls:.1%} of the calls)")
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if "timed calls" in label:
            continue
        print(f"    {label:42} {seconds:8.3f} s ({counts[label]} calls)")
    wrapped = sum(s for label, s in spent.items() if "timed calls" not in label)
    print(f"    {'the rest (freeing outputs, arrays for checks, events)':42} {total - calls - wrapped:8.3f} s")
    if args.free:
        import gc

        from workloads.model.workload import resolve

        items = max(spec.items)
        workload = loader.LoadedWorkload(resolve(spec.workload), spec.settings)
        data = workload.make_inputs(items, max(spec.length), spec.seed, ("python",))["python"]
        output = {key: workload.kernel(value) for key, value in data.items()}
        gc.disable()
        start = time.perf_counter()
        del output
        print(f"freeing one Python output of {items}×{max(spec.length)}: {time.perf_counter() - start:.3f} s")
        gc.enable()


if __name__ == "__main__":
    main()
