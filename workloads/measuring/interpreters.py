"""Running the measuring process under the user's Python: what that interpreter is, whether it can
host parbench's engine, and how the engine gets there without touching the user's environment.

* `probe(path)` runs the interpreter once (a short script, with a timeout) and reads its version,
  implementation, build (free-threaded or not), whether the GIL is on at start, multiprocessing's
  default start method there, its site-packages and which of the engine's packages it has. Cached
  on disk by path, keyed by the mtimes of the file and of its site-packages folders, so a package
  installed or removed there is seen. `InterpreterRefused` (one line) for anything that is not a
  usable Python: not a Python at all, one that fails to start, older than 3.10, or holding an engine
  package too old for the engine (the user's own packages come first on the path, so it would win).
* `prepare(path)` gives what the measuring process needs to start there: the engine's packages the
  interpreter lacks go into an *overlay*, a cached folder per binary ABI
  (`<cache>/overlay/cpython-313-x86_64-linux-gnu/`), installed by parbench's own pip with
  `pip --python THEIRS install --target …`. Nothing is written into the user's environment, and
  their Python needs no pip. The overlay goes at the end of the measuring process's path, after the
  user's site-packages: their own numpy wins. Offline, one line says what to install and where.
* `launch(...)` is the command and environment: `THEIRS -c BOOTSTRAP workloads.measuring.process
  …` with a folder holding only the engine package first on PYTHONPATH (not parbench's whole source
  tree, whose `tests`, `examples`, `benchmarks` and `tui` would shadow the user's modules of those
  names). Pool workers need nothing more: spawn and forkserver hand the parent's `sys.path` on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..model.errors import ParbenchError
from ..model.interpreter import MIN_VERSION, is_current

# What the engine imports in the measuring process, with the oldest version it works with
# (pyproject's dependencies). Import names equal distribution names for all three.
ENGINE_PACKAGES: dict[str, tuple[int, ...]] = {"numpy": (1, 24), "psutil": (5, 9), "platformdirs": (3,)}
PROBE_TIMEOUT_S = 20.0  # a cold interpreter on a slow disk takes ~1 s; one that hangs is refused
PIP_TIMEOUT_S = 15  # pip's per-connection timeout: offline must fail in seconds, not minutes
CACHE_VERSION = 3
CACHE_ENV = "PARBENCH_CACHE"  # a cache folder of its own (tests; a read-only home)
OVERLAY_ENV = "PARBENCH_OVERLAY"
VERSION_ENV = "PARBENCH_VERSION"

# Runs under the candidate. Python 2 must parse it, so that an old interpreter is refused for its
# version rather than called "not Python". Packages are found with find_spec (nothing imported)
# and their versions read from the installed metadata.
PROBE_SCRIPT = r"""
import sys, json
out = {"version": list(sys.version_info[:3]), "executable": sys.executable,
       "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
       "implementation": getattr(getattr(sys, "implementation", None), "name", "cpython")}
if sys.version_info >= (3, 8):
    import importlib.util, importlib.metadata, site, sysconfig, multiprocessing
    out["soabi"] = sysconfig.get_config_var("SOABI") or ""
    out["abiflags"] = getattr(sys, "abiflags", "")
    out["platform"] = sysconfig.get_platform()
    out["free_threaded"] = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil = getattr(sys, "_is_gil_enabled", None)
    out["gil_enabled"] = gil() if gil is not None else True
    out["start_method"] = multiprocessing.get_start_method()
    folders = [p for p in site.getsitepackages() if p in sys.path]
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user and user in sys.path:
        folders.append(user)
    out["site_packages"] = folders
    packages = {}
    for name in sys.argv[1:]:
        found = None
        try:
            spec = importlib.util.find_spec(name)
        except Exception:
            spec = None
        if spec is not None:
            try:
                found = importlib.metadata.version(name)
            except Exception:
                found = "unknown"
        packages[name] = found
    out["packages"] = packages
sys.stdout.write("PARBENCH-PROBE " + json.dumps(out) + "\n")
"""

# Runs first in the measuring process: the overlay goes at the END of sys.path (after the user's
# site-packages, so their own numpy wins), then the engine starts as `python -m` would start it. If
# the engine cannot even start there (a numpy of the user's that fails to import), the caller is
# told why over the pipe, as a refusal, instead of seeing a process that died.
BOOTSTRAP = f"""\
import os, sys, runpy
overlay = os.environ.pop({OVERLAY_ENV!r}, '')
if overlay:
    sys.path.append(overlay)
try:
    runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)
except Exception as exc:
    import json
    from multiprocessing.connection import Connection
    said = (str(exc).strip().splitlines() or [''])[0]
    reason = ('the engine could not start under Python ' + sys.version.split()[0] + ' (' + sys.executable + '): '
              + type(exc).__name__ + (': ' + said if said else ''))
    try:
        Connection(int(sys.argv[1])).send_bytes(json.dumps({{'event': 'Refused', 'kind': 'interpreter',
                                                             'reason': reason}}).encode())
    except Exception:
        pass
    raise
"""


class InterpreterRefused(ParbenchError):
    """This interpreter cannot run the measuring process, or the engine could not be prepared for
    it; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class Interpreter:
    """A Python as its probe found it."""

    path: str  # as given: a venv's bin/python, not the base interpreter it links to
    executable: str
    version: tuple[int, int, int]
    implementation: str  # "cpython", "pypy"
    prefix: str
    base_prefix: str
    soabi: str  # the binary ABI a wheel must match: cpython-313t-x86_64-linux-gnu
    abiflags: str
    platform: str
    free_threaded: bool  # built with Py_GIL_DISABLED
    gil_enabled: bool  # at start; an extension module without free-threading support turns it back on
    start_method: str  # multiprocessing's default there: fork up to 3.13 on Linux, forkserver from 3.14
    site_packages: tuple[str, ...]
    packages: dict = field(default_factory=dict)  # engine package -> its version there, None when absent

    @property
    def in_venv(self) -> bool:
        return self.prefix != self.base_prefix

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name, version in self.packages.items() if version is None)

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def abi_key(self) -> str:
        """The overlay's folder: one per binary ABI, shared by every interpreter (and venv) of it."""
        if self.soabi:
            return self.soabi
        return f"{self.implementation}-{self.version[0]}{self.version[1]}{self.abiflags}-{self.platform}"

    @property
    def label(self) -> str:
        """`Python 3.13.0`, `Python 3.13.5 free-threaded`, `PyPy 3.10.14`."""
        name = {"cpython": "Python", "pypy": "PyPy"}.get(self.implementation, self.implementation)
        return f"{name} {self.version_text}{' free-threaded' if self.free_threaded else ''}"

    def describe(self) -> str:
        text = self.label
        if self.free_threaded:
            text += f" (GIL {'on' if self.gil_enabled else 'off'} at start)"
        if self.in_venv:
            text += f", venv {self.prefix}"
        have = [f"{name} {version}" for name, version in self.packages.items() if version]
        return text + "; has " + (", ".join(have) if have else "none of the engine's packages")


@dataclass(frozen=True)
class Launch:
    """How to start the measuring process: under which interpreter, with which overlay."""

    python: str  # "" for parbench's own
    interpreter: Interpreter | None = None
    overlay: Path | None = None

    def command(self, module: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
        """argv and environment that run `python -m module args…` as the measuring process."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(engine_folder()), env.get("PYTHONPATH")]))
        env.pop("PYTHONHOME", None)
        env.pop(OVERLAY_ENV, None)
        if self.overlay is not None:
            env[OVERLAY_ENV] = str(self.overlay)
        if not os.environ.get(VERSION_ENV):
            from ..model.version import parbench_version

            env[VERSION_ENV] = parbench_version()  # not installed in the user's environment: said here
        python = self.python or sys.executable
        return [python, "-c", BOOTSTRAP, module, *args], env


# Where parbench keeps what it prepares ---------------------------------------------------------------


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("parbench", appauthor=False))


def _source_root() -> Path:
    return Path(__file__).resolve().parents[2]


def engine_folder() -> Path:
    """A folder holding only the engine package (a link to it), for the front of the measuring
    process's path. Falls back to the source root when no such folder can be made."""
    root = _source_root()
    engine = root / "workloads"
    folder = cache_dir() / "engine" / hashlib.sha1(str(root).encode()).hexdigest()[:12]
    link = folder / "workloads"
    try:
        if not (link.is_symlink() and os.readlink(link) == str(engine)):
            folder.mkdir(parents=True, exist_ok=True)
            incoming = folder / f".workloads.{os.getpid()}"
            if incoming.is_symlink():
                incoming.unlink()
            incoming.symlink_to(engine, target_is_directory=True)
            os.replace(incoming, link)  # atomic: a measuring process starting meanwhile sees one or the other
    except OSError:
        return root
    return folder


# Probing -----------------------------------------------------------------------------------------------


class _ProbeCache:
    """Probe results on disk by path; an entry holds while the file and its site-packages folders
    keep their mtimes."""

    def __init__(self) -> None:
        self.path = cache_dir() / "interpreters.json"

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("version") == CACHE_VERSION else {}

    @staticmethod
    def _stamp(path: str, folders) -> list:
        stamps = []
        for folder in [path, *folders]:
            try:
                stamps.append([folder, os.stat(folder).st_mtime_ns])
            except OSError:
                stamps.append([folder, None])
        return stamps

    def get(self, path: str) -> Interpreter | None:
        entry = self._load().get("entries", {}).get(path)
        if not isinstance(entry, dict):
            return None
        try:
            interpreter = _from_json(entry["interpreter"])
        except (KeyError, TypeError, ValueError):
            return None
        return interpreter if entry.get("stamp") == self._stamp(path, interpreter.site_packages) else None

    def put(self, path: str, interpreter: Interpreter) -> None:
        data = self._load() or {"version": CACHE_VERSION, "entries": {}}
        data["entries"][path] = {"stamp": self._stamp(path, interpreter.site_packages),
                                 "interpreter": asdict(interpreter)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, suffix=".tmp",
                                             encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(out.name, self.path)  # atomic: two parbench processes never read half a file
        except OSError:
            pass  # a cache that cannot be written only costs the next probe


def _from_json(data: dict) -> Interpreter:
    return Interpreter(**{**data, "version": tuple(data["version"]), "site_packages": tuple(data["site_packages"])})


def probe(path: str, *, timeout: float = PROBE_TIMEOUT_S, cached: bool = True) -> Interpreter:
    """What the interpreter at `path` is, or `InterpreterRefused` saying in one line why it cannot
    run parbench's engine."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(path):
        raise InterpreterRefused(f"{path}: no such file")
    if os.path.isdir(path):
        raise InterpreterRefused(f"{path} is a folder, not a Python interpreter (give its bin/python)")
    if not os.access(path, os.X_OK):
        raise InterpreterRefused(f"{path} is not executable, so not a Python interpreter")
    cache = _ProbeCache() if cached else None
    interpreter = cache.get(path) if cache is not None else None
    if interpreter is None:
        interpreter = _run_probe(path, timeout)
        if cache is not None:
            cache.put(path, interpreter)
    return _check(path, interpreter)


def _probe_env() -> dict[str, str]:
    """The caller's environment (a user's PYTHONPATH counts: the measuring process sees it too),
    less what would make the probe see another interpreter's packages."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env.pop(OVERLAY_ENV, None)
    return env


def _run_probe(path: str, timeout: float) -> Interpreter:
    try:
        proc = subprocess.run([path, "-c", PROBE_SCRIPT, *ENGINE_PACKAGES], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=_probe_env(), check=False,
                              errors="replace")
    except subprocess.TimeoutExpired:
        raise InterpreterRefused(f"{path} did not answer within {timeout:g} s, so it cannot serve as a Python "
                                 "interpreter") from None
    except OSError as exc:
        raise InterpreterRefused(f"{path} is not a Python interpreter ({exc.strerror or exc})") from None
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PARBENCH-PROBE ")), None)
    if line is None:
        if "/shims/" in path and "pyenv" in proc.stderr:
            raise InterpreterRefused(f"{path} is a pyenv shim for a version that is not selected; give that "
                                     "version's own python (~/.pyenv/versions/VERSION/bin/python)")
        said = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        if said and ("Python" in proc.stderr or "Traceback" in proc.stderr):
            raise InterpreterRefused(f"{path} is a Python that fails to start ({said[-1][:160]})")
        raise InterpreterRefused(f"{path} is not a Python interpreter (it does not run a Python script: "
                                 f"exit {proc.returncode})")
    try:
        data = json.loads(line[len("PARBENCH-PROBE "):])
    except ValueError:
        raise InterpreterRefused(f"{path} answered the probe with something that is not JSON") from None
    version = tuple(data["version"])
    if version[:2] < MIN_VERSION:
        raise InterpreterRefused(f"{path} is Python {'.'.join(map(str, version))}; parbench's engine needs Python "
                                 f"{'.'.join(map(str, MIN_VERSION))} or newer")
    return Interpreter(
        path=path, executable=data["executable"], version=version, implementation=data["implementation"],
        prefix=data["prefix"], base_prefix=data["base_prefix"], soabi=data["soabi"], abiflags=data["abiflags"],
        platform=data["platform"], free_threaded=data["free_threaded"], gil_enabled=data["gil_enabled"],
        start_method=data["start_method"], site_packages=tuple(data["site_packages"]), packages=data["packages"])


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _check(path: str, interpreter: Interpreter) -> Interpreter:
    """Refuse an interpreter whose own copy of an engine package is too old: it comes before the
    overlay's on the path, and the engine would fail mid-sweep."""
    for name, version in interpreter.packages.items():
        minimum = ENGINE_PACKAGES.get(name)
        if version and version != "unknown" and minimum and _version_tuple(version) < minimum:
            raise InterpreterRefused(
                f"{path} has {name} {version}, older than the {'.'.join(map(str, minimum))} parbench's engine "
                f"needs; upgrade it there ({path} -m pip install -U {name}) or pick another Python")
    return interpreter


# The overlay -------------------------------------------------------------------------------------------------


def overlay_folder(interpreter: Interpreter) -> Path:
    return cache_dir() / "overlay" / interpreter.abi_key


def overlay_holds(overlay: Path) -> dict[str, str]:
    """Engine package -> version, for those the overlay holds (read from its .dist-info folders)."""
    held: dict[str, str] = {}
    if overlay.is_dir():
        for entry in overlay.glob("*.dist-info"):
            name, _, version = entry.name[: -len(".dist-info")].partition("-")
            if name.lower() in ENGINE_PACKAGES:
                held[name.lower()] = version
    return held


def _pip_command(interpreter: Interpreter, target: Path, packages: list[str]) -> list[str]:
    """`pip --python THEIRS install --target DIR`: pip runs itself under their interpreter (so it
    picks wheels for its ABI), started from parbench's own pip, so that Python needs no pip. Binary
    wheels only: building numpy from source would take many minutes and a compiler."""
    return [sys.executable, "-m", "pip", "--python", interpreter.executable, "install", "--target", str(target),
            "--only-binary", ":all:", "--no-input", "--disable-pip-version-check", "--progress-bar", "off",
            "--retries", "1", "--timeout", str(PIP_TIMEOUT_S), *packages]


_PIP_STAGES = (
    (re.compile(r"^Collecting (\S+)"), "resolving {0}"),
    (re.compile(r"^\s*Downloading (\S+?)-(\d[^-]*)-.*?\.whl \(([^)]+)\)"), "downloading {0} {1} ({2})"),
    (re.compile(r"^\s*Using cached (\S+?)-(\d[^-]*)-.*?\.whl"), "using the cached {0} {1}"),
    (re.compile(r"^Processing \S*/(\S+?)-(\d[^-]*)-.*?\.whl"), "using the local {0} {1}"),
    (re.compile(r"^Installing collected packages: (.*)"), "installing {0}"),
)


def _pip_stage(line: str) -> str | None:
    for pattern, template in _PIP_STAGES:
        match = pattern.match(line)
        if match:
            return template.format(*match.groups())
    return None


def _pip_failure(lines: list[str]) -> str:
    text = " ".join(lines)
    if re.search(r"NewConnectionError|Failed to establish|Name or service not known|Temporary failure in name "
                 r"resolution|Network is unreachable|Connection refused|ConnectTimeout|timed out|ProxyError", text):
        return "no network: pip could not reach the package index"
    errors = [ln.strip() for ln in lines if ln.startswith("ERROR:")]
    if errors:
        return "pip: " + errors[-1][len("ERROR:"):].strip()
    return "pip failed"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`: another parbench preparing the same overlay waits for this one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _home(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if text.startswith(home + os.sep) else text


def prepare_overlay(interpreter: Interpreter, progress: Callable[[str], None] = lambda line: None) -> Path | None:
    """The overlay for `interpreter`, holding every engine package it lacks (installed now when
    needed, with progress lines), or None when it lacks none. `InterpreterRefused` when they cannot
    be installed, saying what to install and where."""
    if not interpreter.missing:
        return None
    overlay = overlay_folder(interpreter)
    try:
        with _locked(overlay.with_name(overlay.name + ".lock")):
            todo = [name for name in interpreter.missing if name not in overlay_holds(overlay)]
            if todo:
                _install(interpreter, overlay, todo, progress)
    except OSError as exc:
        raise InterpreterRefused(f"cannot prepare {_home(overlay)} for {interpreter.label}: "
                                 f"{exc.strerror or exc}") from None
    return overlay


def _install(interpreter: Interpreter, overlay: Path, todo: list[str], say: Callable[[str], None]) -> None:
    # Nothing is said until pip has something to fetch or install: a preparation that fails at once
    # (offline) is one line, its refusal.
    held_back = [f"preparing {interpreter.label} for parbench: {', '.join(todo)} into {_home(overlay)} "
                 "(once; that Python is left untouched)"]

    def progress(line: str) -> None:
        held_back.append(line)
        if any(word in line for word in ("downloading", "using the", "installing")):
            for waiting in held_back:
                say(waiting)
            held_back.clear()

    started = time.monotonic()
    overlay.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh folder first, then moved in: an interrupted install leaves no half package.
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=overlay.parent) as incoming:
        lines: list[str] = []
        try:
            proc = subprocess.Popen(_pip_command(interpreter, Path(incoming), todo), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL, errors="replace",
                                    env={**os.environ, "PIP_NO_WARN_SCRIPT_LOCATION": "1"})
        except OSError as exc:
            lines.append(f"ERROR: {exc}")
            proc = None
        if proc is not None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip())
                stage = _pip_stage(line)
                if stage:
                    progress("  " + stage)
        if proc is None or proc.wait() != 0:
            packages = " ".join(todo)
            raise InterpreterRefused(
                f"parbench needs {packages} to run under {interpreter.label} ({interpreter.path}) and could not "
                f"install them ({_pip_failure(lines)}): install them into that Python ({interpreter.path} -m pip "
                f"install {packages}), or into parbench's overlay for it, which leaves that Python untouched "
                f"({sys.executable} -m pip --python {interpreter.path} install --target {_home(overlay)} {packages})")
        broken = _fails_to_import(interpreter, Path(incoming), todo)
        if broken:
            raise InterpreterRefused(
                f"the {' '.join(todo)} pip chose for {interpreter.label} ({interpreter.path}) does not import there "
                f"({broken}); parbench's pip may be too old to pick wheels for it ({sys.executable} -m pip install "
                "-U pip), or install a working copy into that Python yourself")
        overlay.mkdir(parents=True, exist_ok=True)
        for entry in Path(incoming).iterdir():
            destination = overlay / entry.name
            if entry.name == "bin" or destination.exists():
                continue  # console scripts are not needed; an entry already there stays
            os.replace(entry, destination)
    held = overlay_holds(overlay)
    for waiting in held_back:
        say(waiting)
    say(f"  ready in {time.monotonic() - started:.0f} s: "
             + ", ".join(f"{name} {held.get(name, '?')}" for name in todo))


def _fails_to_import(interpreter: Interpreter, folder: Path, packages: list[str]) -> str:
    """The last line of the error when `packages` installed in `folder` cannot be imported by the
    interpreter ("" when they can): pip may pick a wheel of another ABI (an old pip does not know
    free-threaded builds), and the sweep must not be where that shows."""
    script = "import sys; sys.path.append(sys.argv[1]); [__import__(name) for name in sys.argv[2:]]"
    try:
        proc = subprocess.run([interpreter.path, "-c", script, str(folder), *packages], capture_output=True,
                              text=True, timeout=PROBE_TIMEOUT_S * 3, stdin=subprocess.DEVNULL, env=_probe_env(),
                              errors="replace")
    except subprocess.TimeoutExpired:
        return "importing them did not finish"
    except OSError as exc:
        return str(exc)
    if proc.returncode == 0:
        return ""
    said = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in said if "Error" in line.split(":")[0]]
    return (errors or said or [f"exit {proc.returncode}"])[-1][:200]


def prepare(python: str, progress: Callable[[str], None] = lambda line: None) -> Launch:
    """How to start the measuring process under `python` ("" for parbench's own): probed, refused
    in one line when it cannot serve, its overlay prepared."""
    if is_current(python):
        return Launch("")
    interpreter = probe(python)
    return Launch(interpreter.path, interpreter, prepare_overlay(interpreter, progress))

