"""Which Python a sweep runs under, as a user names it: blank (parbench's own), a version (`3.13`,
`3.13t`), a command on PATH (`python3.12`) or a path (`.venv/bin/python`).

Only the file system is read here, never an interpreter run: this parses the `python` field on every
keystroke in the app's form. Running the interpreter to learn what it really is (its version, its
build, its packages), and refusing one that cannot host the engine, happens when a sweep starts
(`workloads.measuring.interpreters`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .parsing import SpecError, parse_existing_path

# The oldest Python parbench's engine runs on (the measuring process and its pool workers).
MIN_VERSION = (3, 10)
_VERSION = re.compile(r"^(\d+)\.(\d+)(t?)$")
_NAMED = re.compile(r"^python(\d+)\.(\d+)(t?)$")
_PYENV_DIR = re.compile(r"^(\d+)\.(\d+)\.(\d+)(t?)$")


@dataclass(frozen=True)
class Candidate:
    """An interpreter found on this machine, by its path; `version` is what its name says
    (`python3.13t`, pyenv's `3.13.0` folder), "" when the name does not say."""

    path: str
    source: str  # "parbench", "virtualenv", "PATH", "pyenv"
    version: str = ""  # "3.13", "3.13.0", "3.13t"

    @property
    def free_threaded(self) -> bool:
        return self.version.endswith("t")

    def minor(self) -> str:
        """`3.13` or `3.13t`: what a user types to pick it."""
        match = re.match(r"^(\d+)\.(\d+)", self.version)
        return f"{match.group(1)}.{match.group(2)}{'t' if self.free_threaded else ''}" if match else ""


def _pyenv_root(environ) -> Path:
    return Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _old(major: int, minor: int) -> bool:
    return (major, minor) < MIN_VERSION


def discover(environ: dict | None = None) -> tuple[Candidate, ...]:
    """Interpreters worth offering, found by name only (nothing is run): parbench's own, the active
    virtualenv's, `python3.X`/`python3.Xt` on PATH (X ≥ 10), and pyenv's versions. A venv's python
    and its base interpreter are both kept: they see different packages."""
    environ = os.environ if environ is None else environ
    return _discover(environ.get("PATH", os.defpath), environ.get("VIRTUAL_ENV", ""),
                     str(_pyenv_root(environ)))


@lru_cache(maxsize=8)
def _discover(path_env: str, virtual_env: str, pyenv_root: str) -> tuple[Candidate, ...]:
    found = [Candidate(sys.executable, "parbench", f"{sys.version_info[0]}.{sys.version_info[1]}"
                       + ("t" if _free_threaded_here() else ""))]
    if virtual_env:
        found.append(Candidate(os.path.join(virtual_env, "bin", "python"), "virtualenv"))
    shims = os.path.join(pyenv_root, "shims")
    for folder in path_env.split(os.pathsep):
        # pyenv's shims run whichever version is selected, or fail: its versions are listed by
        # their own folders below.
        if not folder or os.path.abspath(folder) == os.path.abspath(shims):
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            match = _NAMED.match(name)
            if match and not _old(int(match.group(1)), int(match.group(2))):
                path = os.path.join(folder, name)
                if os.path.isfile(path) and os.access(path, os.X_OK):
                    found.append(Candidate(path, "PATH", f"{match.group(1)}.{match.group(2)}{match.group(3)}"))
    versions = Path(pyenv_root) / "versions"
    try:
        folders = sorted(versions.iterdir(), key=lambda p: [int(x) if x.isdigit() else x
                                                             for x in re.split(r"(\d+)", p.name)])
    except OSError:
        folders = []
    for folder in folders:
        match = _PYENV_DIR.match(folder.name)
        python = folder / "bin" / "python"
        if match and not _old(int(match.group(1)), int(match.group(2))) and python.exists():
            found.append(Candidate(str(python), "pyenv", folder.name))
    return tuple(_dedupe(found))


def _free_threaded_here() -> bool:
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _env_root(path: str) -> str:
    """The virtual environment a python path belongs to (its folder holds pyvenv.cfg), else ""."""
    folder = Path(os.path.abspath(path)).parent.parent
    return str(folder) if (folder / "pyvenv.cfg").exists() else ""


def _dedupe(candidates) -> list[Candidate]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for candidate in candidates:
        if not os.path.exists(candidate.path):
            continue
        key = (os.path.realpath(candidate.path), _env_root(candidate.path))
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _by_version(text: str, environ=None) -> str:
    """The interpreter a version names (`3.13`: pyenv's newest 3.13.x, else python3.13 on PATH)."""
    match = _VERSION.match(text)
    assert match is not None
    major, minor, threaded = match.groups()
    wanted = f"{major}.{minor}"
    if _old(int(major), int(minor)):
        raise SpecError("python", f"Python {wanted}: parbench's engine needs Python "
                                  f"{'.'.join(map(str, MIN_VERSION))} or newer")
    found = [c for c in discover(environ) if c.minor() == wanted + threaded]
    # The newest patch release first (pyenv's folders name it), then PATH's.
    found.sort(key=lambda c: (c.source != "pyenv", [-int(x) for x in re.findall(r"\d+", c.version)]))
    if not found:
        kind = " free-threaded" if threaded else ""
        raise SpecError("python", f"no{kind} Python {wanted} found (looked for python{wanted}{threaded} on PATH "
                                  f"and in {_pyenv_root(environ or os.environ)}/versions); give its path")
    return found[0].path


def parse_python(text: str, scope=None) -> str:
    """The interpreter's path as typed (absolute, symlinks kept: a venv's bin/python is a link to
    its base interpreter but sees other packages), "" for parbench's own. Only what the file system
    says is checked here; whether it is a usable Python is checked when a sweep starts."""
    cleaned = (text or "").strip()
    if cleaned in ("", "default"):
        return ""
    if _VERSION.match(cleaned):
        return _by_version(cleaned)
    if "\0" in cleaned:
        raise SpecError("python", f"{cleaned!r}: a path cannot contain a NUL character")
    if os.sep not in cleaned and not cleaned.startswith("~"):
        found = shutil.which(cleaned)
        if found is None:
            raise SpecError("python", f"{cleaned}: no such command on PATH; give a path, or a version such as 3.13")
        return os.path.abspath(found)
    path = parse_existing_path(cleaned, "python")
    if path.is_dir():
        venv = path / "bin" / "python"
        hint = f" (did you mean {venv}?)" if venv.exists() else " (give its bin/python)"
        raise SpecError("python", f"{cleaned} is a folder, not a Python interpreter{hint}")
    if not os.access(path, os.X_OK):
        raise SpecError("python", f"{cleaned} is not executable, so not a Python interpreter")
    return str(path)


def is_current(path: str) -> bool:
    """Whether `path` is parbench's own interpreter (blank, or the very file and environment)."""
    if not path:
        return True
    return (os.path.realpath(path) == os.path.realpath(sys.executable)
            and _env_root(path) == _env_root(sys.executable))


def found_text(environ=None) -> str:
    """The interpreters found, as a user picks them: `3.10, 3.12, 3.13, 3.13t`."""
    minors = []
    for candidate in discover(environ):
        minor = candidate.minor()
        if minor and minor not in minors and candidate.source != "parbench":
            minors.append(minor)
    return ", ".join(sorted(minors, key=lambda m: (tuple(int(x) for x in m.rstrip("t").split(".")), m)))


# Where a module is found under another interpreter ---------------------------------------------------


def _site_folders(root: Path) -> list[str]:
    return [str(p) for p in sorted(root.glob("lib/python3*/site-packages")) if p.is_dir()]


def _pth_folders(site: str) -> list[str]:
    """Folders a site-packages' .pth files add (an editable install of the user's project)."""
    folders = []
    try:
        names = sorted(n for n in os.listdir(site) if n.endswith(".pth"))
    except OSError:
        return folders
    for name in names:
        try:
            lines = Path(site, name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            folder = line if os.path.isabs(line) else os.path.join(site, line)
            if os.path.isdir(folder):
                folders.append(folder)
    return folders


def module_search_path(python: str) -> list[str]:
    """Where `import x` looks under `python`, read from the file system: the current folder, the
    PYTHONPATH, its environment's site-packages (a venv's, and its base's when the venv includes
    them) and the folders their .pth files add. For parbench's own interpreter: its `sys.path`."""
    cwd = os.getcwd()
    if is_current(python):
        return [cwd, *[entry or cwd for entry in sys.path]]
    search = [cwd, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    sites: list[str] = []
    venv = _env_root(python)
    if venv:
        sites += _site_folders(Path(venv))
        config = (Path(venv) / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
        if re.search(r"include-system-site-packages\s*=\s*true", config, re.IGNORECASE):
            sites += _site_folders(Path(os.path.realpath(python)).parent.parent)
    else:
        sites += _site_folders(Path(os.path.realpath(python)).parent.parent)
    for site in sites:
        search.append(site)
        search += _pth_folders(site)
    return search
