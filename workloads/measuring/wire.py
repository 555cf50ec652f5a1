"""What crosses the pipe between the caller and the measuring process: JSON, never pickles.

The measuring process may run under another Python than the caller (the user's venv, 3.13, a
free-threaded build). A pickle would tie the two to the same pickle protocol and to classes both
can import: an object of a module only the user's environment has cannot be unpickled by the
caller, and the stream would break on the caller's side with nothing said. As JSON, each event is
its class name and its fields (a measurement as its `to_dict`), and anything else that reaches an
event fails in the measuring process, where it is reported as the run's error.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from ..model import events
from ..model.measurement import Measurement

# Every event class, by name: read off the `Event` union, so a new event crosses without a change here.
_EVENTS = {cls.__name__: cls for cls in typing.get_args(events.Event)}


class WireError(ValueError):
    """Bytes that are not a message of this protocol."""


def _plain(value: Any) -> Any:
    """numpy's scalars as Python numbers (a profile's figures may be numpy floats or ints); anything
    else is not data the caller should receive."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    raise TypeError(f"a {type(value).__name__} cannot cross to the caller (only plain data does)")


def dumps(message: Any) -> bytes:
    return json.dumps(message, default=_plain, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"not a parbench message: {exc}") from None


def encode_event(event: events.Event) -> bytes:
    name = type(event).__name__
    if name not in _EVENTS:
        raise TypeError(f"not an event: {name}")
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    if isinstance(event, events.MeasurementDone):
        data["measurement"] = event.measurement.to_dict()
    return dumps({"event": name, **data})


def decode_event(data: bytes) -> events.Event:
    message = loads(data)
    if not isinstance(message, dict) or message.get("event") not in _EVENTS:
        raise WireError(f"not an event: {str(message)[:80]}")
    cls = _EVENTS[message.pop("event")]
    if cls is events.MeasurementDone:
        message["measurement"] = Measurement.from_dict(message["measurement"])
    try:
        return cls(**message)
    except TypeError as exc:
        raise WireError(f"a {cls.__name__} with other fields: {exc}") from None
