"""The sweep spec: the size grammar, the errors a user sees for each field, and the round-trip a stored
run relies on to be repeated exactly."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workloads.model.parsing import parse_sizes as _parse_sizes
from workloads.model.spec import (
    MAX_ITEMS,
    MAX_LENGTH,
    MAX_POINTS,
    SpecError,
    SweepSpec,
    build_spec,
    validate,
)
from workloads.model.strategies import NAMES as STRATEGIES
from workloads.model.workload import builtin_names

WORKLOADS = builtin_names()


def parse_sizes(text, field="items", high=MAX_ITEMS):
    return _parse_sizes(text, field, high=high, max_values=MAX_POINTS)

# ---------------------------------------------------------------------------------------------
# The size grammar


@pytest.mark.parametrize(
    "text, sizes",
    [
        ("8", (8,)),
        ("4,8,16", (4, 8, 16)),
        (" 4 , 8 ,16 ", (4, 8, 16)),
        ("16,4,16", (16, 4)),  # the user's order, repeats dropped
        ("1_000", (1000,)),
        ("4..512", (4, 8, 16, 32, 64, 128, 256, 512)),
        ("1..1", (1,)),
        ("1..8", (1, 2, 4, 8)),
    ],
)
def test_sizes_grammar(text, sizes):
    assert parse_sizes(text) == sizes


def test_range_gives_the_seeds_powers_of_two_with_both_ends():
    assert parse_sizes("4..512") == tuple(2**k for k in range(2, 10))
    spec = build_spec(items="4..512", length="10")
    assert spec.items[0] == 4 and spec.items[-1] == 512
    assert spec.points() == [(2**k, 10) for k in range(2, 10)]


@pytest.mark.parametrize("field", ["items", "length"])
@pytest.mark.parametrize(
    "text, words",
    [
        ("0", "at least 1"),
        ("-4", "at least 1"),
        ("4,-8", "at least 1"),
        ("abc", "not a whole number"),
        ("4.5", "not a whole number"),
        ("", "empty"),
        ("   ", "empty"),
        ("4,,8", "empty"),
        ("512..4", "reversed"),
        ("3..16", "powers of two"),
        ("4..12", "powers of two"),
        ("4..8..16", "more than one"),
        ("..8", "no lower end"),
    ],
)
def test_bad_sizes_are_rejected_naming_the_field(field, text, words):
    if field == "length" and not text.strip():
        pytest.skip("a blank length is the workload's own (test_default_length_follows_the_workload)")
    with pytest.raises(SpecError) as error:
        build_spec(**{field: text})
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")
    assert words in error.value.reason


def test_reversed_range_says_how_to_write_it():
    with pytest.raises(SpecError) as error:
        build_spec(items="512..4")
    assert "512..4" in error.value.reason and "4..512" in error.value.reason


@pytest.mark.parametrize("field, limit", [("items", MAX_ITEMS), ("length", MAX_LENGTH)])
def test_too_large_sizes_are_rejected(field, limit):
    build_spec(**{field: str(limit)})  # the limit itself is allowed
    for text in (str(limit + 1), f"4,{limit * 2}", f"4..{limit * 2}"):
        with pytest.raises(SpecError) as error:
            build_spec(**{field: text})
        assert error.value.field == field
        assert "at most" in error.value.reason


def test_too_many_points_is_rejected():
    with pytest.raises(SpecError) as error:
        build_spec(items=",".join(str(n) for n in range(1, MAX_POINTS + 2)))
    assert error.value.field == "items"
    assert len(build_spec(items="1..1024", length="1..4096").points()) == 11 * 13  # 143 points: fine
    with pytest.raises(SpecError) as error:
        build_spec(items="1..1048576", length="1..4096")  # 21 × 13 = 273 points: too many
    assert error.value.field == "length"
    assert "points" in error.value.reason


# ---------------------------------------------------------------------------------------------
# The other fields


@pytest.mark.parametrize("name", WORKLOADS)
def test_each_workload_is_accepted(name):
    assert build_spec(workload=name).workload == name


@pytest.mark.parametrize("text", ["sleepy", "", "SQUARES", "squares,spin", "no/such/file.py"])
def test_unknown_workload_is_rejected_with_the_choices(text):
    with pytest.raises(SpecError) as error:
        build_spec(workload=text)
    assert error.value.field == "workload"
    if "/" in text:
        assert "no such file" in error.value.reason
    else:
        for name in WORKLOADS:
            assert name in error.value.reason


def test_strategies_keep_order_and_drop_repeats():
    assert build_spec(strategies="numpy, serial,numpy").strategies == ("numpy", "serial")
    assert build_spec(strategies=",".join(STRATEGIES)).strategies == STRATEGIES


@pytest.mark.parametrize("text", ["serial,gpu", "Serial", ",", "", "serial;numpy"])
def test_unknown_or_missing_strategy_is_rejected(text):
    with pytest.raises(SpecError) as error:
        build_spec(strategies=text)
    assert error.value.field == "strategies"


def test_unknown_strategy_is_named_in_the_error():
    with pytest.raises(SpecError) as error:
        build_spec(strategies="serial,gpu")
    assert "'gpu'" in error.value.reason


@pytest.mark.parametrize("text, value", [("auto", "auto"), (" auto ", "auto"), ("AUTO", "auto"), ("1", 1), ("7", 7),
                                         ("1_024", 1024)])
def test_chunksize_auto_or_a_number(text, value):
    assert build_spec(chunksize=text).chunksize == value


@pytest.mark.parametrize("text", ["0", "-1", "fast", "", "2.5", "٤"])
def test_bad_chunksize_is_rejected_naming_auto(text):
    with pytest.raises(SpecError) as error:
        build_spec(chunksize=text)
    assert error.value.field == "chunksize"
    if text in ("fast", "", "2.5"):
        assert "auto" in error.value.reason


@pytest.mark.parametrize("text, words", [("4..", "no upper end"), ("..8", "no lower end"), ("4,,8", "empty entry"),
                                         ("٤..٨", "ASCII"), ("１６", "ASCII"), ("4..x", "not a whole number")])
def test_size_messages_say_what_is_missing(text, words):
    with pytest.raises(SpecError) as error:
        build_spec(items=text)
    assert words in error.value.reason, error.value.reason


@pytest.mark.parametrize("text", ["0", "-1", "0.0"])
def test_timeout_has_one_rule_blank_for_none(text):
    with pytest.raises(SpecError) as error:
        build_spec(point_timeout=text)
    assert error.value.field == "point-timeout"
    assert "at least 0.001" in error.value.reason and "blank" in error.value.reason
    assert build_spec(point_timeout="").point_timeout is None


def test_blank_workers_says_what_it_falls_back_to():
    import os

    result = validate({"workers": ""})
    assert result.spec.workers == (os.cpu_count(),)
    assert str(os.cpu_count()) in result.notes["workers"]


def test_workers_take_the_size_grammar_for_a_worker_sweep():
    assert build_spec(workers="1..8").workers == (1, 2, 4, 8)
    assert build_spec(workers="2,3").workers == (2, 3)
    spec = build_spec(workers="1,2", strategies="serial,processes,numpy")
    assert spec.variants() == [("serial", None), ("processes", 1), ("processes", 2), ("numpy", None)]


def test_repeat_is_auto_or_a_number():
    assert build_spec().repeat is None and build_spec().adaptive
    assert build_spec(repeat="auto").repeat is None
    assert build_spec(repeat="7").repeat == 7
    with pytest.raises(SpecError) as error:
        build_spec(repeat="many")
    assert "auto" in error.value.reason


@pytest.mark.parametrize("text, value", [("5%", 0.05), ("5", 0.05), ("0.5 %", 0.005)])
def test_precision_is_a_percentage(text, value):
    assert build_spec(precision=text).precision == pytest.approx(value)


@pytest.mark.parametrize("text, value", [("60s", 60.0), ("5m", 300.0), ("90", 90.0), ("", None)])
def test_budget_is_a_duration(text, value):
    assert build_spec(budget=text).budget == value


def test_a_setting_of_another_workload_is_refused():
    with pytest.raises(SpecError) as error:
        build_spec(workload="squares", sleep_ms="5")
    assert error.value.field == "sleep-ms" and "squares" in error.value.reason


def test_numpy_strategies_alone_on_a_workload_without_numpy_form_are_refused():
    with pytest.raises(SpecError) as error:
        build_spec(workload="sleep", strategies="numpy")
    assert error.value.field == "strategies" and "no numpy form" in error.value.reason
    # Beside another strategy they stay, and measure as n/a rows.
    assert build_spec(workload="sleep", strategies="serial,numpy").strategies == ("serial", "numpy")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"repeat": "0"}, "repeat"),
        ({"repeat": "many"}, "repeat"),
        ({"warmup": "-1"}, "warmup"),
        ({"workers": "0"}, "workers"),
        ({"workers": "100000"}, "workers"),
        ({"pool": "hot"}, "pool"),
        ({"start_method": "clone"}, "start-method"),
        ({"sleep_ms": "-1"}, "sleep-ms"),
        ({"sleep_ms": "nan"}, "sleep-ms"),
        ({"sleep_ms": "inf"}, "sleep-ms"),
        ({"spin": "0"}, "spin"),
        ({"seed": "-1"}, "seed"),
        ({"point_timeout": "-5"}, "point-timeout"),
        ({"skip_warmup_over": "soon"}, "skip-warmup-over"),
        ({"dask_scheduler": "http://host:80"}, "dask-scheduler"),
    ],
)
def test_each_bad_field_is_named(kwargs, field):
    with pytest.raises(SpecError) as error:
        build_spec(**kwargs)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")


def test_numeric_looking_port_is_a_spec_error():
    """'²'.isdigit() is True but int('²') fails: the address must be refused as a SpecError, like any
    other bad address, not escape as a bare ValueError (the CLI turns that into an 'internal error')."""
    with pytest.raises(SpecError) as error:
        build_spec(strategies="serial,dask", dask_scheduler="tcp://host:²")
    assert error.value.field == "dask-scheduler"


def test_default_length_follows_the_workload():
    assert build_spec(workload="sleep").length == (10000,)
    assert build_spec(workload="squares").length == (100000,)
    assert build_spec(workload="spin").length == (1,)


# ---------------------------------------------------------------------------------------------
# Round-trip


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"workload": "sleep", "items": "2..8", "length": "3,5", "strategies": "serial,threads", "sleep_ms": "2.5",
         "repeat": "3"},
        {"workload": "spin", "spin": "1000", "chunksize": "auto", "pool": "warm", "start_method": "spawn",
         "point_timeout": "30", "skip_warmup_over": "off", "workers": "3", "precision": "2%", "budget": "5m"},
        {"strategies": "dask", "dask_scheduler": "tcp://127.0.0.1:8786", "seed": "0", "warmup": "0"},
    ],
)
def test_spec_round_trips_through_dict_and_json(kwargs):
    spec = build_spec(**kwargs)
    assert SweepSpec.from_dict(spec.to_dict()) == spec
    # The store keeps it as JSON: lists come back and must turn into the same tuples.
    assert SweepSpec.from_dict(json.loads(spec.to_json())) == spec


def test_from_dict_ignores_keys_it_does_not_know():
    spec = build_spec(items="4,8")
    assert SweepSpec.from_dict({**spec.to_dict(), "added_by_a_newer_version": 1}) == spec


# ---------------------------------------------------------------------------------------------
# Property: any text in any field is a spec or a SpecError, never a crash

# Arbitrary text, plus text shaped like what the parsers look for (numbers, ranges, lists,
# addresses) with arbitrary pieces, and numeric-looking Unicode (digits of other scripts,
# superscripts, fractions), since those are where a number parser is easiest to break.
# ASCII digits, digits of other scripts, superscripts, circled and enclosed digits, fractions, numerals.
_NUMERIC_CHARS = "0123456789٣۴߅०১௧๓༣၄០᠐０９²³¹⁰⁴⁵₂①②⑴⒈❶¼½¾Ⅻ〇一二三万"
_numberish = st.text(alphabet=st.sampled_from(_NUMERIC_CHARS), min_size=1, max_size=4)
_piece = st.one_of(st.text(max_size=8), st.integers(-10**6, 10**12).map(str), _numberish,
                   st.sampled_from(["auto", "off", "none", "local", "inf", "nan", "1e400", "_", "0x10"]))
_address = st.builds(lambda scheme, host, port: f"{scheme}{host}:{port}",
                     st.sampled_from(["tcp://", "tls://", "ws://", "http://", "://", ""]),
                     st.one_of(st.text(max_size=5), st.just("127.0.0.1")), _piece)
_field_text = st.one_of(
    st.text(),
    _piece,
    st.builds(lambda a, sep, b: f"{a}{sep}{b}", _piece, st.sampled_from(["..", ",", ":", "://", "e", "."]), _piece),
    _address,
)
_FIELDS = ("workload", "items", "length", "strategies", "repeat", "warmup", "workers", "chunksize", "pool",
           "start_method", "sleep_ms", "spin", "seed", "point_timeout", "skip_warmup_over", "dask_scheduler",
           "precision", "budget", "min_time")
_OPTIONAL = set(_FIELDS)


def _spec_or_spec_error(**kwargs):
    try:
        spec = build_spec(**kwargs)
    except SpecError as error:
        assert error.field and error.reason
        return None
    assert isinstance(spec, SweepSpec)
    assert SweepSpec.from_dict(json.loads(spec.to_json())) == spec
    return spec


@pytest.mark.parametrize("field", _FIELDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_text_in_one_field_gives_a_spec_or_a_spec_error(field, data):
    shapes = [_field_text, _address] if field == "dask_scheduler" else [_field_text]
    if field in _OPTIONAL:
        shapes.append(st.none())
    text = data.draw(st.one_of(shapes), label=field)
    kwargs = {field: text}
    if field == "dask_scheduler":
        kwargs["strategies"] = "serial,dask"
    _spec_or_spec_error(**kwargs)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.fixed_dictionaries({name: _field_text for name in _FIELDS}))
def test_any_text_in_every_field_gives_a_spec_or_a_spec_error(texts):
    _spec_or_spec_error(**texts)
