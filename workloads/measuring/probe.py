"""One item of a workload, measured before its sweep: its size in memory and pickled, and the time
its kernel takes, at a small length and, when that is safe, at the sweep's largest.

Scaled to the sweep's points, that is the memory guard (a sweep that would not fit is refused before
anything big is allocated) and the duration estimate, for any workload, built-in or user's. Building
the item also checks the workload end to end before a run is stored: it imports, `make_input`
returns a dict, the kernel runs, and its values and results pickle when a pool has to ship them.
Runs in the measuring process (it executes the workload's code).
"""

from __future__ import annotations

import pickle
import signal
import threading
import time
import tracemalloc
from typing import Callable

from ..insight import estimate
from ..model import workload as workloads
from ..model.events import REFUSED_MEMORY, REFUSED_WORKLOAD, Event, Probed, Refused
from ..model.profile import FormProfile, Linear, Profile
from ..model.spec import SweepOptions, SweepSpec
from ..model.strategies import KINDS, default_start_method
from ..model.workload import WorkloadError
from . import machine
from .loader import LoadedWorkload, describe_exception, input_data

# The small length every probe starts at: cheap to build whatever the sweep's lengths are.
SMALL_LENGTH = 1000
# One item at the sweep's largest length is built only if it takes less than this share of the
# memory available: the probe must never be what exhausts the machine.
LARGE_ITEM_SHARE = 0.02
# A kernel call that takes longer than this is not repeated untraced: its traced time will do.
SLOW_CALL_S = 1.0
# A probe's kernel call that has not returned after this long (the point timeout, when the sweep
# has one) refuses the sweep, saying what to do.
PROBE_TIMEOUT_S = 120.0


class _Alarm:
    """Interrupts a kernel call that does not return (main thread only, as SIGALRM is)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.usable = threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if self.usable:
            def on_alarm(signum, frame):
                raise TimeoutError

            self._previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc) -> None:
        if self.usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


def _pickled(value, what: str) -> bytes:
    try:
        return pickle.dumps(value)
    except Exception as exc:
        raise WorkloadError(f"{what} is a {type(value).__name__} that cannot be pickled for a process pool "
                            f"({describe_exception(exc)}); return plain data: numbers, strings, lists, dicts, "
                            "numpy arrays") from None


class _TooSlow(WorkloadError):
    """One item's kernel call did not return within the probe's limit."""


def _call(kernel, value, name: str, length: int, timeout: float):
    try:
        with _Alarm(timeout):
            return kernel(value)
    except TimeoutError:
        raise _TooSlow(f"{name} did not return within {timeout:g} s on one item of length {length}") from None
    except SystemExit as exc:
        raise WorkloadError(f"{name} called sys.exit({exc.code!r}) on one item of length {length}; a kernel must "
                            "return its result, not end the process") from None
    except KeyboardInterrupt:
        raise
    except WorkloadError:
        raise
    except BaseException as exc:
        raise WorkloadError(f"{name} failed on one item of length {length}: {describe_exception(exc)}") from None


def _too_slow(exc: _TooSlow, point_timeout: float | None) -> WorkloadError:
    """What to do about a kernel that did not return on one item at the sweep's smallest length."""
    if point_timeout is not None:
        return WorkloadError(f"{exc} (--point-timeout), measured before the sweep, so no point could finish: "
                             "if one item takes that long, raise --point-timeout above its time; if it should be "
                             "quick, look for a loop or a wait that never ends (input(), a lock, a socket)")
    return WorkloadError(f"{exc}, measured before the sweep: if one item takes that long, give --point-timeout "
                         "above its time (this check then waits as long); if it should be quick, look for a loop "
                         "or a wait that never ends (input(), a lock, a socket)")


def _measure(workload: LoadedWorkload, length: int, seed: int, forms: tuple[str, ...], ships: bool,
             timeout: float) -> tuple[dict[str, dict], float]:
    samples: dict[str, dict] = {}
    build_peak = 0
    tracemalloc.start()
    try:
        for form in forms:
            base, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            inputs = workload.make_inputs(1, length, seed, (form,))
            built, peak = tracemalloc.get_traced_memory()
            build_peak = max(build_peak, peak - base)
            value = next(iter(inputs[form].values()))
            name = "kernel" if form == "python" else "kernel_numpy"
            before, _ = tracemalloc.get_traced_memory()
            start = time.perf_counter()
            result = _call(workload.kernel_of(form), value, name, length, timeout)
            traced_s = time.perf_counter() - start
            after, _ = tracemalloc.get_traced_memory()
            samples[form] = {"value": value, "result": result, "input_bytes": max(0, built - base),
                             "output_bytes": max(0, after - before), "traced_s": traced_s}
    finally:
        tracemalloc.stop()
    for form, sample in samples.items():
        name = "kernel" if form == "python" else "kernel_numpy"
        value, result = sample["value"], sample["result"]
        if sample["traced_s"] < SLOW_CALL_S:  # tracemalloc slows allocation: time it again without
            wall, cpu = time.perf_counter(), time.process_time()
            result = _call(workload.kernel_of(form), value, name, length, timeout)
            sample["work_s"] = time.perf_counter() - wall
            sample["cpu_s"] = time.process_time() - cpu
        else:
            sample["work_s"] = sample["traced_s"]
            sample["cpu_s"] = sample["traced_s"]
        pickled_in = _pickled(value, "make_input's value" if form == "python" else "make_input_numpy's value") \
            if ships else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        pickled_out = _pickled(result, f"{name}'s result") if ships else b""
        start = time.perf_counter()
        pickle.loads(pickled_in)
        pickle.dumps(value)
        if pickled_out:
            pickle.loads(pickled_out)
            pickle.dumps(result)
        sample["ship_s"] = time.perf_counter() - start
        sample["pickled_in"] = len(pickled_in)
        sample["pickled_out"] = len(pickled_out)
        del sample["value"], sample["result"]
    return samples, build_peak


def profile(workload: LoadedWorkload, lengths: tuple[int, ...], seed: int, forms: tuple[str, ...], *,
            ships: bool, max_items: int, available_bytes: int, timeout: float | None = None) -> Profile:
    """Measure one item at a small length, and at the largest of `lengths` when one item there takes
    under `LARGE_ITEM_SHARE` of the memory available (judged from the small one, so a billion-element
    item is never built). `WorkloadError` for a workload that cannot run, in one line.

    `timeout` is the sweep's point timeout. A kernel call is given that long (`PROBE_TIMEOUT_S`
    without one): an item at the smallest length that takes longer means no point could finish,
    and the sweep is refused saying what to do. At the largest length, with a point timeout, a
    call that takes longer is left to that timeout (the sweep measures the lengths it can)."""
    limit = timeout if timeout is not None else PROBE_TIMEOUT_S
    if workload.fixed_length is not None:
        lengths = (workload.fixed_length,)  # the user's file sets the items' size: measured as it is
    # Once untraced first: the first build pays for what the workload sets up once (numpy's random
    # generator, caches, lazy imports), which is no item's size. Two items, so that a make_input
    # that ignores `items` is caught here, before a run is stored, not at every point.
    workload.make_inputs(2 if workload.data is None else 1, 1, seed, forms)
    small = max(1, min(min(lengths), SMALL_LENGTH)) if workload.fixed_length is None else lengths[0]
    largest = max(lengths)
    try:
        measured = {small: _measure(workload, small, seed, forms, ships, limit)}
    except _TooSlow as exc:
        raise _too_slow(exc, timeout) from None

    def extra(length: int) -> None:
        try:
            measured[length] = _measure(workload, length, seed, forms, ships, limit)
        except _TooSlow as exc:
            if timeout is None:
                raise WorkloadError(f"{exc} (the sweep's largest), measured before the sweep: give --point-timeout "
                                    "to measure the lengths it can do and stop the rest, or look for a loop or a "
                                    "wait that never ends") from None

    one_item_large = sum(Linear.fit([(small, s["input_bytes"] + s["output_bytes"])]).at(largest)
                         for s in measured[small][0].values())
    if largest > small and one_item_large < LARGE_ITEM_SHARE * available_bytes:
        slow = any(s["work_s"] >= SLOW_CALL_S for s in measured[small][0].values())
        if not slow:
            extra(largest)
    if len(measured) == 1 and largest > small:
        # Too big (or too slow) to build at the sweep's length: a second small length gives the
        # fixed part, so the scaling is not taken from one point.
        extra(min(largest, small * 4))

    def fit(form: str, key: str) -> Linear:
        return Linear.fit([(length, samples[form][key]) for length, (samples, _) in measured.items()])

    profiles = {}
    for form in forms:
        longest = measured[max(measured)][0][form]
        cpu_share = min(1.0, longest["cpu_s"] / longest["work_s"]) if longest["work_s"] > 0 else 1.0
        profiles[form] = FormProfile(
            input_bytes=fit(form, "input_bytes"), output_bytes=fit(form, "output_bytes"),
            pickled_in=fit(form, "pickled_in"), pickled_out=fit(form, "pickled_out"), work_s=fit(form, "work_s"),
            ship_s=fit(form, "ship_s"), cpu_share=cpu_share)
    build_peak = Linear.fit([(length, peak) for length, (_, peak) in measured.items()])
    return Profile(profiles, build_peak, tuple(sorted(measured)), default_start_method())


# Before a sweep ------------------------------------------------------------------------------------


def load_workload(spec: SweepSpec) -> LoadedWorkload:
    try:
        ref = workloads.resolve(spec.workload, spec.python)
        info = workloads.describe(ref)
    except (workloads.SpecError, WorkloadError) as exc:
        raise WorkloadError(getattr(exc, "reason", None) or str(exc)) from None
    settings = {s.name: spec.settings.get(s.name, s.default) for s in info.settings}
    data = input_data(spec.input)  # the user's own items (--input), checked against the sweep's points
    if data is not None:
        data.check(spec.items, spec.length)
    return LoadedWorkload(ref, settings, data)


def probe_workload(spec: SweepSpec, emit: Callable[[Event], None],
                   options: SweepOptions = SweepOptions()) -> tuple[LoadedWorkload, Profile | None] | None:
    """Load the workload and measure one item of it: emits `Probed` (the sweep fits) and returns
    both, or emits `Refused` (a workload that cannot run, a sweep too big) and returns None."""
    try:
        workload = load_workload(spec)
        forms = tuple(f for f in workload.forms if any(KINDS[name].form == f for name in spec.strategies))
        if not forms:
            return workload, None
        ships = any(KINDS[name].ships for name in spec.strategies)
        available = options.available_bytes or estimate.available_memory()
        if options.profile is not None:
            measured = Profile.from_dict(options.profile)
        else:
            measured = profile(workload, spec.length, spec.seed, forms, ships=ships, max_items=max(spec.items),
                               available_bytes=int(available * estimate.SAFE_SHARE), timeout=spec.point_timeout)
    except WorkloadError as exc:
        emit(Refused(REFUSED_WORKLOAD, str(exc)))
        return None
    memory = estimate.memory(spec, measured, available)
    if not memory.fits:
        emit(Refused(REFUSED_MEMORY, memory.refusal()))
        return None
    emit(Probed(measured.to_dict(), memory.peak_bytes, available,
                estimate.duration_seconds(spec, measured, machine.usable_cpus())))
    return workload, measured
