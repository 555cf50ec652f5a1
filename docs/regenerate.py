"""Rewrite the generated parts of the docs from the code and from real runs, so they cannot drift.

    python docs/regenerate.py                      # all of it (the examples take several minutes)
    python docs/regenerate.py keys                 # docs/guide.md's key table, from tui/keys.py
    python docs/regenerate.py simulation           # docs/methodology.md's tables, from tests/simulation.py
    python docs/regenerate.py examples [NAME ...]  # docs/examples.md's results, from real runs

A generated part sits between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; everything outside the
markers is written by hand and left alone. tests/docs/test_docs.py fails when the key table differs from
the code (the simulation and the examples are too slow to re-check in every test run).

Each example runs the command below through `parbench run … --format md`, in a results store of its
own that is thrown away (your store is not touched), under this machine's sweep lock: set
PARBENCH_LOCK to another file only if you accept measuring alongside another sweep.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"
METHODOLOGY = ROOT / "docs" / "methodology.md"
EXAMPLES_DOC = ROOT / "docs" / "examples.md"

# Each example's sweep: the command in its docstring, cut down where the full one would take minutes.
EXAMPLES: dict[str, list[str]] = {
    "seed_sleep": ["--items", "4..32", "--strategies", "serial,processes,threads"],
    "seed_lists": ["--items", "4..16", "--strategies", "serial,processes"],
    "seed_arrays": ["--items", "4..64", "--strategies", "numpy,numpy-processes"],
    "log_records": ["--items", "4..64", "--strategies", "serial,processes,threads"],
    "haversine": ["--items", "4..32", "--strategies", "serial,processes,numpy,numpy-processes"],
    "slow_service": ["--items", "8..64", "--strategies", "serial,threads,processes", "--workers", "2,16"],
}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def _pattern(name: str) -> re.Pattern:
    begin, end = markers(name)
    return re.compile(re.escape(begin) + r"\n(.*?)" + re.escape(end), re.S)


def block(text: str, name: str) -> str | None:
    """What sits between a block's markers (None without them)."""
    found = _pattern(name).search(text)
    return found.group(1) if found else None


def replace_block(path: Path, name: str, content: str) -> None:
    text = path.read_text()
    if block(text, name) is None:
        raise SystemExit(f"{path}: no {' … '.join(markers(name))} markers")
    content = content if content.endswith("\n") else content + "\n"
    begin, end = markers(name)
    path.write_text(_pattern(name).sub(lambda _: f"{begin}\n{content}{end}", text, count=1))
    print(f"{path.relative_to(ROOT)}: {name} rewritten", file=sys.stderr)


def keys_table() -> str:
    """The app's keys as a terminal has them (docs/serve.md says what a browser changes)."""
    sys.path.insert(0, str(ROOT))
    from tui.keys import markdown_table

    return markdown_table(served=False)


def simulation_tables() -> str:
    """`python tests/simulation.py`'s output, as it prints it."""
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "simulation.py")], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    # Its headings are second-level; in the methodology they sit under a third-level section.
    return done.stdout.replace("## ", "#### ")


def example_result(name: str, store: Path) -> str:
    args = ["--workload", f"examples/{name}.py", *EXAMPLES[name]]
    env = {**os.environ, "PARBENCH_DB": str(store), "COLUMNS": "200"}
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "parbench", "run", *args, "--format", "md"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, text=True)
    took = time.monotonic() - started
    if done.returncode not in (0, 3):  # 3: some measurements failed, which the table shows
        raise SystemExit(f"{name}: parbench run exited {done.returncode}")
    print(f"{name}: {took:.0f} s", file=sys.stderr)
    when = dt.date.today().isoformat()
    return (f"```sh\nparbench run {shlex.join(args)}\n```\n\n"
            f"Measured {when}, load average {load:.1f} when it started, {took:.0f} s:\n\n{done.stdout.strip()}\n")


def main(argv: list[str]) -> None:
    what = argv[:1] or ["keys", "simulation", "examples"]
    if what[0] not in ("keys", "simulation", "examples"):
        raise SystemExit(__doc__)
    if "keys" in what:
        replace_block(GUIDE, "keys", keys_table())
    if "simulation" in what:
        replace_block(METHODOLOGY, "simulation", simulation_tables())
    if "examples" in what:
        names = argv[1:] if argv[:1] == ["examples"] and argv[1:] else list(EXAMPLES)
        unknown = [name for name in names if name not in EXAMPLES]
        if unknown:
            raise SystemExit(f"no example {unknown[0]!r}; choose from {', '.join(EXAMPLES)}")
        with tempfile.TemporaryDirectory(prefix="parbench-examples-") as folder:
            for name in names:
                replace_block(EXAMPLES_DOC, f"example:{name}", example_result(name, Path(folder) / f"{name}.sqlite3"))


if __name__ == "__main__":
    main(sys.argv[1:])
