"""parbench's own version, as installed (stored with every run and export)."""

from __future__ import annotations


def parbench_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parbench")
    except PackageNotFoundError:
        return "unknown"
