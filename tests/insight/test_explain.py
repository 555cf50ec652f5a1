"""The Why text from fixed measurements: the verdict first, in one or two sentences; a paragraph for
every strategy that ran; advice that follows from the run's own settings and figures."""

from __future__ import annotations

import re

from analysis_fixtures import C, costs, m, pool_params

from workloads.insight.analysis import predict
from workloads.insight.explain import explain


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


def squares_like(items=(4, 8, 16)):
    """Shipping an item both ways (20 ms) costs more than the 3.5 ms two workers save on its 7 ms of
    work; numpy does it in 0.1 ms."""
    params = pool_params(ship_s=0.02, work_s=0.007)
    rows = []
    for n in items:
        rows.append(m("serial", n, [n * 0.007] * 3, 100_000))
        rows.append(m("processes", n, [predict(params, n)] * 3, 100_000,
                      costs=costs(out=0.01, back=0.01, work=0.007, input_bytes=300_000.0, result_bytes=450_000.0)))
        rows.append(m("numpy", n, [n * 0.0001] * 3, 100_000))
    return rows


def test_the_verdict_comes_first_names_numpy_and_says_the_pool_never_pays():
    lines = explain(squares_like(), cpus=2)
    verdict = lines[0]
    assert verdict.startswith("Use numpy: 70.00× as fast as the plain loop")
    assert "at items=16, length=100000, the largest point, and the fastest at every point of this sweep" in verdict
    assert ("If the loop cannot be vectorised, leave it serial: processes with 2 workers never pays here (fitted to "
            "its 3 points, shipping an item costs 20 ms, more than the 3.5 ms its workers save on it)") in verdict
    assert sentences(verdict) <= 2


def test_the_verdict_and_the_paragraph_give_one_figure_for_one_thing():
    """Why a pool never pays is said from the fitted model in both places, named as fitted; the
    paragraph's per-item figures are the point's own, named as such."""
    rows = squares_like()
    # The largest point's pool took longer than the model: its measured figures differ from the fit.
    rows = [r if not (r.strategy == "processes" and r.items == 16) else
            r.__class__(**{**r.to_dict(), "costs": costs(out=0.012, back=0.012, work=0.007, input_bytes=300_000.0,
                                                          result_bytes=450_000.0)}) for r in rows]
    lines = explain(rows, cpus=2)
    verdict = lines[0]
    paragraph = next(line for line in lines if line.startswith("processes with 2 workers"))
    why = re.search(r"never pays here \((fitted to its \d+ points, shipping an item costs [^)]*)\)", verdict).group(1)
    assert f"It cannot beat serial at any item count: {why}" in paragraph
    assert "Per item at this point, shipping costs 24 ms both ways" in paragraph


def test_shipping_that_grows_with_the_item_is_never_answered_with_longer_items():
    text = "\n".join(explain(squares_like(), cpus=2))
    assert "It cannot beat serial at any item count" in text
    assert "longer items would not change that if their work grows with their size as their shipping does" in text
    assert "longer lists" not in text


def flipping(pool="cold", chunksize=1, start=0.05):
    params = pool_params(start_s=start if pool == "cold" else 1e-4, chunksize=chunksize)
    rows = []
    for n in (2, 4, 8, 16, 32, 64):
        rows.append(m("serial", n, [n * C] * 3))
        recorded = costs(start=start, pool=pool, chunksize=chunksize)
        pooled = m("processes", n, [predict(params, n)] * 3, costs=recorded)
        rows.append(pooled.__class__(**{**pooled.to_dict(), "pool": pool, "chunksize": chunksize}))
    return rows


def test_the_verdict_says_where_the_choice_flips_and_the_predicted_break_even():
    lines = explain(flipping(), cpus=2)
    verdict = lines[0]
    assert verdict.startswith("Use processes with 2 workers: ")
    assert "the fastest at 2 of 6 points" in verdict
    # Measured (decided at each point) and fitted, each named; 16 items is a tie, given to neither.
    assert ("Measured, serial wins at items=2, 4 and 8; at items=16, serial and processes with 2 workers are the same "
            "(within ±5%); the fitted model puts its break-even against serial at ~17 items.") in verdict
    assert sentences(verdict) <= 2
    text = "\n".join(lines)
    assert "Break-even against serial: ~17 items (the model); measured, it first beats serial at items=32" in text


def test_smaller_points_whose_leads_were_not_decided_are_given_to_no_strategy():
    """Threads and serial split the smaller points 2–2 on their estimates, none decided: the verdict
    said "Below items=64, threads wins" (the most common estimate's winner, a tie broken anyhow)."""
    waits = costs(start=0.001, out=2e-5, back=2e-5, work=0.01, share=0.0)
    rows = []
    for n, threads in ((4, 1.03), (8, 0.97), (16, 1.04), (32, 0.96)):
        rows.append(m("serial", n, [n * 0.01 * j for j in (1.0, 1.15, 0.87)], 10_000))
        rows.append(m("threads", n, [n * 0.01 * threads * j for j in (0.9, 1.0, 1.12)], 10_000, costs=waits))
    rows.append(m("serial", 64, [0.64, 0.65, 0.63], 10_000))
    rows.append(m("threads", 64, [0.16, 0.165, 0.158], 10_000, costs=waits))
    verdict = explain(rows, cpus=2)[0]
    assert "ahead at 3 of 5 points (decided at 1)" in verdict
    assert ("Measured, no strategy won at items=4, 8, 16 and 32: serial and threads with 2 workers are not told "
            "apart there") in verdict
    assert "wins" not in verdict


def test_a_fitted_break_even_the_decisions_contradict_is_not_said_beside_them():
    """Serial decided faster at 32 items, which the model (~17 items) says the pool wins: the verdict
    said "Below items=…, serial wins; the model puts its break-even at ~…", contradicting itself."""
    rows = [r if not (r.strategy == "processes" and r.items == 32) else
            r.__class__(**{**r.to_dict(), "times_s": tuple(t * 1.4 for t in r.times_s)}) for r in flipping()]
    verdict = explain(rows, cpus=2)[0]
    assert "Measured, serial wins at items=2, 4, 8 and 32; at items=16" in verdict
    assert "break-even" not in verdict
    # The paragraph still gives the fit, named as the model's, beside what was measured.
    assert "Break-even against serial: ~17 items (the model); measured" in "\n".join(explain(rows, cpus=2))


def test_start_up_is_named_for_a_cold_pool_that_pays_it_and_never_for_a_warm_one():
    cold = "\n".join(explain(flipping(start=0.5), cpus=2))
    assert "a warm pool (--pool warm) pays 100 µs a call instead of 500 ms" in cold
    warm = "\n".join(explain(flipping(pool="warm", chunksize=8), cpus=2))
    assert "--pool warm" not in warm and "Starting the pool" not in warm
    assert "--chunksize" not in warm
    assert "a warm pool of 2 workers, fork, chunksize 8" in warm


def test_sleeping_items_say_threads_top_out_at_the_worker_count():
    rows = []
    for n in (4, 8):
        rows.append(m("serial", n, [n * 0.05] * 3, 10_000))
        rows.append(m("threads", n, [n * 0.05 / 2 + 0.001] * 3, 10_000,
                      costs=costs(start=0.001, out=2e-5, back=2e-5, work=0.05, share=0.001)))
    text = "\n".join(explain(rows, cpus=2))
    assert "threads with 2 workers: 1.99× (95% 1.99–1.99) against serial at items=8, length=10000" in text
    assert "items wait (100% of their time), so 2 threads overlap 2 waits" in text
    assert "2× is the most they can give with Workers at 2" in text and "more workers would give more" in text


def test_cpu_work_says_threads_take_turns_on_the_gil():
    rows = [m("serial", 8, [0.08] * 3), m("threads", 8, [0.082] * 3, costs=costs(start=0.001, out=2e-5, back=2e-5))]
    text = "\n".join(explain(rows, cpus=2))
    assert "Python code holds the GIL, so threads take turns on one core" in text


def test_one_repeat_says_the_run_cannot_tell_noise_from_signal():
    rows = [m("serial", 8, [0.08]), m("numpy", 8, [0.001])]
    assert "this run cannot tell noise from signal" in explain(rows, cpus=2)[0]


def test_a_lead_too_small_to_decide_is_said_to_be_undecided():
    rows = [m("serial", 8, [0.080, 0.081, 0.079]), m("processes", 8, [0.078, 0.084, 0.080], costs=costs())]
    verdict = explain(rows, cpus=2)[0]
    assert "at the largest point, items=8, length=1000" in verdict
    assert "not by enough to decide it: they are not told apart there" in verdict
    assert "undecided" in verdict  # the lead's interval says the word too


def test_a_lead_within_the_margin_is_the_same_and_either_will_do():
    tight = [0.0800, 0.0801, 0.0799, 0.0800, 0.0800, 0.0801]
    rows = [m("serial", 8, tight), m("processes", 8, [t * 1.01 for t in tight], costs=costs())]
    verdict = explain(rows, cpus=2)[0]
    assert "are the same at the largest point, items=8, length=1000, within ±5%" in verdict
    assert "either will do there" in verdict


def test_every_strategy_that_ran_has_a_paragraph_of_its_own():
    rows = []
    for name, seconds in (("serial", 0.08), ("processes", 0.06), ("threads", 0.081), ("numpy", 0.001),
                          ("numpy-processes", 0.03), ("dask", 0.5)):
        rows.append(m(name, 8, [seconds] * 3, costs=costs(start=0.4) if name in ("processes", "threads",
                                                                                   "numpy-processes", "dask") else None))
    lines = explain(rows, cpus=2)
    for start in ("serial (the plain loop", "processes with 2 workers (a cold pool", "threads with 2 workers:",
                  "numpy (", "numpy-processes with 2 workers (a cold pool", "dask with 2 workers (a cold LocalCluster"):
        assert any(line.startswith(start) for line in lines), start
    assert any("against numpy at items=8" in line for line in lines if line.startswith("numpy-processes"))


def test_a_worker_sweep_says_what_oversubscription_cost():
    rows = [m("serial", 16, [1.0] * 3)]
    for workers, seconds in ((1, 1.0), (2, 0.6), (4, 0.75)):
        rows.append(m("processes", 16, [seconds] * 3, workers=workers, costs=costs(workers=workers)))
    text = "\n".join(explain(rows, cpus=2))
    assert "processes against workers at items=16, length=1000, speedup over serial: 1 → 1.00×" in text
    assert "2 → 1.67× (95% 1.67–1.67), efficiency 83%, serial fraction 0.20" in text
    assert "Oversubscription: 4 workers on 2 CPUs ran at 1.33× against 1.67× with 2: it cost 20%" in text


def test_failed_points_are_named_and_the_model_uses_the_rest():
    rows = squares_like(items=(4, 8, 16, 32))
    rows[4] = m("processes", 8, (), 100_000, status="timeout", error="point stopped after 1 s")
    text = "\n".join(explain(rows, cpus=2))
    assert ("processes with 2 workers timed out at 1 of 4 points (items=8, length=100000: point stopped after 1 s); "
            "the model uses the 3 points that succeeded") in text


def test_a_ceiling_that_was_not_measured_is_said_so():
    rows = [m("serial", 8, [0.08] * 3),
            m("processes", 8, [0.06] * 3, costs=costs(ceiling=None,
                                                      ceiling_note="the parallel ceiling was not measured: "
                                                                   "stopped after 10 s with 1 of 7 pairs"))]
    text = "\n".join(explain(rows, cpus=2))
    assert ("The parallel ceiling was not measured: stopped after 10 s with 1 of 7 pairs; the model caps CPU work "
            "at the 2 CPUs instead") in text
    measured = "\n".join(explain(squares_like(), cpus=2))
    assert "This machine's parallel ceiling: 2.00× for 2 processes of pure Python" in measured


def test_the_model_check_and_one_point_without_a_fit():
    text = "\n".join(explain(flipping(), cpus=2))
    assert "fitted on items 2, 4, 8, predicts items 16, 32, 64 within 0%" in text
    one = "\n".join(explain(squares_like(items=(8,)), cpus=2))
    assert "one point: no fit possible" in one and "the measured costs above still hold" in one


def test_a_vectorised_strategy_that_slows_with_the_data_says_memory_not_arithmetic():
    rows = [m("serial", 4, (0.033,) * 3, 100_000), m("numpy", 4, (0.00015,) * 3, 100_000),
            m("serial", 64, (0.43,) * 3, 100_000), m("numpy", 64, (0.017,) * 3, 100_000, warmup_times_s=(0.06,))]
    text = "\n".join(explain(rows, cpus=2))
    assert "numpy's time per item and unit of length grows 7× from items=4, length=100000 to items=64" in text
    assert "first call there, on memory not touched before, took 60 ms against 17 ms" in text
    steady = [m("serial", 4, (0.033,) * 3, 100_000), m("numpy", 4, (0.0003,) * 3, 100_000),
              m("serial", 8, (0.066,) * 3, 100_000), m("numpy", 8, (0.0006,) * 3, 100_000)]
    assert "grows" not in "\n".join(explain(steady, cpus=2))


def test_noisy_rows_are_counted_and_nothing_is_said_without_a_measurement():
    rows = [m("serial", 8, (0.010, 0.020, 0.011)), m("processes", 8, (0.05, 0.05, 0.05), costs=costs())]
    assert "1 of 2 measurements are noisy" in "\n".join(explain(rows, cpus=2))
    assert explain([m("serial", 4, (), status="failed", error="boom")]) == []


def test_a_workload_without_a_numpy_form_is_explained_without_it():
    rows = []
    for n in (4, 8):
        rows.append(m("serial", n, [n * 0.05] * 3, 10_000))
        rows.append(m("processes", n, [n * 0.05 / 2 + 0.02] * 3, 10_000,
                      costs=costs(start=0.02, out=1e-4, back=1e-4, work=0.05, share=0.0)))
        rows.append(m("numpy", n, (), 10_000, status="n/a", error="sleep has no numpy form (no kernel_numpy)"))
        rows.append(m("numpy-processes", n, (), 10_000, status="n/a", error="sleep has no numpy form (no kernel_numpy)"))
    lines = explain(rows, cpus=2)
    assert lines[0].startswith("Use processes with 2 workers: ")
    assert not any(line.startswith("numpy") for line in lines)
    assert not any("failed" in line or "timed out" in line for line in lines)


def test_worker_counts_within_noise_of_each_other_still_name_the_strategy():
    rows = [m("serial", 16, [1.0, 1.02, 0.98])]
    for workers, times in ((2, [0.60, 0.58, 0.62]), (4, [0.59, 0.61, 0.60])):
        rows.append(m("processes", 16, times, workers=workers, costs=costs(workers=workers)))
    verdict = explain(rows, cpus=2)[0]
    assert verdict.startswith("Use processes: ")
    assert "2 or 4 workers are not told apart there" in verdict


def _cpu_bound_threads(speedup: float):
    """spin-like rows: serial, and threads and processes of 2 workers, the CPU kept busy."""
    rows = []
    for n in (4, 8):
        rows.append(m("serial", n, [n * 0.05] * 3, 1))
        rows.append(m("threads", n, [n * 0.05 / speedup] * 3, 1, costs=costs(work=0.05, out=1e-5, back=1e-5)))
        rows.append(m("processes", n, [n * 0.05 / 1.6] * 3, 1, costs=costs(work=0.05, out=1e-4, back=1e-4)))
    return rows


def test_on_a_gil_build_threads_are_said_to_help_only_code_that_releases_it():
    from workloads.model.machine import Machine

    text = "\n".join(explain(_cpu_bound_threads(1.0), cpus=2, machine=Machine(python="3.11.7", implementation="CPython")))
    assert "Python 3.11.7 has a GIL: its threads run Python code one at a time" in text
    assert "free-threaded build (--python 3.13t or 3.14t)" in text


def test_with_the_gil_off_threads_are_weighed_against_the_pool():
    from workloads.model.machine import Machine

    machine = Machine(python="3.13.5", implementation="CPython", free_threaded=True, gil_enabled=False)
    text = "\n".join(explain(_cpu_bound_threads(1.9), cpus=2, machine=machine))
    assert "Python 3.13.5 free-threaded, GIL off: a free-threaded build with the GIL off" in text
    assert "threads with 2 workers 1.90×, processes with 2 workers 1.60× against serial" in text
    assert "threads 1.19× ahead of the pool" in text
    assert "take turns on one core" not in text  # the GIL build's words do not apply here
    on = Machine(python="3.13.5", implementation="CPython", free_threaded=True, gil_enabled=True)
    assert "but the GIL was on when it ran" in "\n".join(explain(_cpu_bound_threads(1.0), cpus=2, machine=on))
