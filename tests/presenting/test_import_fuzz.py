"""Fuzzing the import with edited export documents: any field of a real export (its run, spec, machine,
each measurement and its costs, the analysis, the format) replaced by any JSON value, or removed, or
joined by keys nobody wrote. Whatever the file says, `parbench import` either refuses it in one line or
stores a run that `parbench run` could have produced: a spec that `build_spec` gives from the text a
user would type, every row at a point and variant of that spec with finite positive times and known
words, and every view of it (table, exports, compare) drawn without a traceback.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workloads.insight.compare import compare
from workloads.model.measurement import STATUSES, STOPS, quality
from workloads.model.parsing import SpecError
from workloads.model.run import STATUSES as RUN_STATUSES
from workloads.model.spec import FIELDS, build_spec
from workloads.presenting import exports
from workloads.presenting.importer import ImportRefused, import_into, parse_export
from workloads.store.database import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "release-ee8eb05"
BASE = {name: json.loads((FIXTURES / name).read_text()) for name in ("export-run1.json", "export-run5.json")}


def _paths(value, prefix=()):
    """Every place in a document a field can be edited (the analysis as one place: it is never read)."""
    yield prefix
    if prefix == ("analysis",):
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


PATHS = {name: [path for path in _paths(document) if path] for name, document in BASE.items()}

_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-3, max_value=300), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-300, 1e308, 0.5, 3.0]),
    st.text(max_size=12), st.sampled_from(["ok", "failed", "n/a", "timeout", "fixed", "budget", "decided", "auto",
                                           "serial", "processes", "warm", "cold", "squares", "4,8", "1..8", "5%",
                                           "2026-12-02T03:29:00+00:00", "DROP TABLE runs", "\ud800"]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                       max_leaves=8)


@st.composite
def edited_documents(draw):
    name = draw(st.sampled_from(sorted(BASE)))
    document = copy.deepcopy(BASE[name])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS[name]))
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced what this path went through
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.text(min_size=1, max_size=8))] = draw(_values)
    return document


def _user_text(value) -> str | None:
    """A stored spec value as a user types it on the command line (None: left to its default)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def _assert_run_could_have_made(run) -> None:
    spec = run.spec
    assert run.status in RUN_STATUSES
    if spec.workload in ("squares", "sleep", "spin"):
        texts = {f.name: _user_text(getattr(spec, f.name) if not f.strategy else spec.options.get(f.name))
                 for f in FIELDS}
        for f in FIELDS:  # a percentage is typed as one: 5% for 0.05
            value = getattr(spec, f.name, None)
            if f.metavar == "PCT" and value is not None:
                texts[f.name] = f"{value * 100!r}%"
        texts["repeat"] = "auto" if spec.repeat is None else str(spec.repeat)
        texts["skip_warmup_over"] = "off" if spec.skip_warmup_over is None else repr(spec.skip_warmup_over)
        texts.update({name: _user_text(value) for name, value in spec.settings.items()})
        try:
            rebuilt = build_spec(**texts)
        except SpecError as exc:  # pragma: no cover - the failure message says which field
            pytest.fail(f"stored a spec parbench run refuses: {exc}")
        assert json.dumps(rebuilt.to_dict(), sort_keys=True) == json.dumps(spec.to_dict(), sort_keys=True)
    variants, points = set(spec.variants()), set(spec.points())
    for m in run.measurements:
        assert (m.strategy, m.workers) in variants and (m.items, m.length) in points
        assert m.status in STATUSES and m.stop in STOPS
        assert all(type(t) in (int, float) and 0 < t < math.inf for t in (*m.times_s, *m.warmup_times_s))
        assert len(m.times_s) <= spec.max_rounds and m.warmup <= spec.warmup
        quality(m)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(document=edited_documents())
def test_any_edit_is_refused_in_one_line_or_stores_a_run_run_could_have_made(document, tmp_path_factory):
    text = json.dumps(document, indent=2)
    path = Path("edited.json")
    try:
        exported = parse_export(text.encode("utf-8", "surrogatepass"), path)
    except ImportRefused as refused:
        message = str(refused)
        assert message.startswith(str(path)) and "\n" not in message
        return
    with Store(tmp_path_factory.mktemp("fuzz") / "store.sqlite3") as store:
        run_id, added = import_into(store, exported)
        stored = store.load_run(run_id)
    assert added and stored.imported and len(stored.measurements) == len(exported.rows)
    _assert_run_could_have_made(stored)
    # Every view of it: the exports (its analysis recomputed, whatever the file's said), compare.
    again = json.loads(exports.to_json(stored))
    assert again["analysis"] == json.loads(exports.to_json(exported.run))["analysis"]
    exports.to_csv(stored)
    exports.to_markdown(stored)
    compare(stored, exported.run)
