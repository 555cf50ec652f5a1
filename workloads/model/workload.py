"""What a workload is, read from its source without running it.

A workload is a Python file or module that defines `kernel(value)` (the work for one item's value),
and optionally `kernel_numpy`, `make_input`, `make_input_numpy`, `same`, `reference`, a `SETTINGS`
dict and a `DEFAULT_LENGTH`. The built-ins (`workloads/builtin/*.py`) are such files; so is a user's
`wordfreq.py` or `mypkg.kernels`. Or it is any function of the user's code, named as
`pkg.module:function` or `path/file.py:function`: the function is the kernel (it takes one item's
value), nothing else of its module is read, and the items are the seed's or the user's own data
(`--input`). A module is looked up where the sweep's interpreter would import it from (its venv's
site-packages under `--python`), read from the file system.

This module only *reads* a workload: it resolves what the user typed to a file, and parses the file
(`ast`) for its summary, settings and which functions it defines. Nothing of the user's code runs
here, so the app and the CLI can describe a workload, build its form fields and check its settings
without the risk of a file that prints, reads stdin or calls `os._exit` on import. The code runs
only in the measuring process and its pool workers (`workloads.loader`).
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ParbenchError
from .interpreter import module_search_path
from .options import Flagged
from .parsing import SpecError, parse_choice, parse_float, parse_int

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "builtin"
# The functions a workload may define, besides `kernel`.
OPTIONAL_FUNCTIONS = ("kernel_numpy", "make_input", "make_input_numpy", "same", "reference")
# The seed's list length when a workload names none.
FALLBACK_LENGTH = 1000
SUFFIXES = (".py",)


class WorkloadError(ParbenchError):
    """A workload that cannot be used; the message names the file and says what to fix."""


@dataclass(frozen=True)
class WorkloadRef:
    """Where a workload's code is. `token` is how a measuring process or a pool worker finds it
    again (see `workloads.loader`), and what a stored run keeps."""

    kind: str  # "builtin", "file" or "module"
    name: str  # what a user reads: the built-in's name, the file's stem, the module's dotted name
    path: Path | None  # the source file, when one was found
    module: str = ""  # the dotted name, for a module
    root: str = ""  # the folder the module was found under, put on sys.path to import it
    function: str = ""  # `module:function`: this function is the kernel ("" for a workload file's `kernel`)

    @property
    def token(self) -> str:
        if self.kind == "builtin":
            base = f"builtin:{self.name.partition(':')[0]}"
        elif self.kind == "file":
            base = f"file:{self.path}"
        else:
            base = f"module:{self.root}::{self.module}"
        return f"{base}::{self.function}" if self.function else base

    @property
    def text(self) -> str:
        """What to store in a spec, so the same workload is found again from any folder."""
        if self.kind == "builtin":
            base = self.name.partition(":")[0]
        elif self.kind == "file":
            base = str(self.path)
        else:
            base = self.module
        return f"{base}:{self.function}" if self.function else base

    @property
    def kernel_name(self) -> str:
        """The function called on each item: `kernel`, or the one the user named."""
        return self.function or "kernel"

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"

    def source_hash(self) -> str:
        """A short hash of the file's bytes: two runs of one file differ when it was edited."""
        if self.path is None:
            return ""
        try:
            return hashlib.sha1(self.path.read_bytes()).hexdigest()[:12]
        except OSError:
            return ""


@dataclass(frozen=True)
class Setting(Flagged):
    """A knob of a workload (the sleep workload's `sleep_ms`), declared in its `SETTINGS` dict; it
    becomes a `--sleep-ms` flag and a form field, and reaches every function of the workload that
    has a parameter of that name."""

    name: str
    default: int | float | str | bool
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""

    @property
    def form_label(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def default_text(self) -> str:
        if isinstance(self.default, bool):
            return "yes" if self.default else "no"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)

    def parse(self, text: str | None):
        if text is None or (isinstance(text, str) and not text.strip()):
            text = self.default_text
        text = str(text)
        name = self.field_name
        if self.choices:
            return parse_choice(text, name, self.choices)
        if isinstance(self.default, bool):
            value = text.strip().lower()
            if value in ("yes", "true", "on", "1"):
                return True
            if value in ("no", "false", "off", "0"):
                return False
            raise SpecError(name, f"{text.strip()!r} is not yes or no")
        if isinstance(self.default, int):
            low = int(self.low) if self.low is not None else -(2**63)
            high = int(self.high) if self.high is not None else 2**63 - 1
            return parse_int(text, name, low=low, high=high)
        if isinstance(self.default, float):
            low = self.low if self.low is not None else -float("inf")
            high = self.high if self.high is not None else float("inf")
            return parse_float(text, name, low=low, high=high)
        return text.strip()


@dataclass(frozen=True)
class WorkloadInfo:
    """A workload as its source describes it."""

    ref: WorkloadRef
    summary: str
    settings: tuple[Setting, ...]
    functions: frozenset[str]  # which of `kernel` and OPTIONAL_FUNCTIONS it defines
    default_length: int

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def has_numpy(self) -> bool:
        """Whether it has a numpy form, so that the numpy strategies apply."""
        return "kernel_numpy" in self.functions

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)

    def parse_settings(self, texts: dict[str, str | None]) -> dict:
        """Every setting's value from the texts given (the default where none is)."""
        return {s.name: s.parse(texts.get(s.name)) for s in self.settings}


# Resolving what the user typed ------------------------------------------------------------------


def builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in BUILTIN_DIR.glob("*.py") if not p.stem.startswith("_")))


def _looks_like_path(text: str) -> bool:
    return text.endswith(SUFFIXES) or "/" in text or os.sep in text or text.startswith(("~", "."))


def _is_module_name(text: str) -> bool:
    parts = text.split(".")
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)


def _find_module(name: str, python: str = "") -> tuple[Path | None, str]:
    """The source file of module `name` and the sys.path entry it lives under, found the way
    `import` would find it under `python` (parbench's own by default), without importing anything
    (a package's `__init__` would run)."""
    from importlib.machinery import PathFinder

    search = module_search_path(python)
    root = ""
    origin = None
    parts = name.split(".")
    for index in range(len(parts)):
        qualified = ".".join(parts[: index + 1])
        found = PathFinder.find_spec(qualified, search)
        if found is None:
            return None, ""
        if index == 0:
            if found.origin and found.origin not in ("namespace", "built-in", "frozen"):
                # A module file sits in the root; a package's __init__.py one folder further down.
                levels = 2 if found.submodule_search_locations else 1
                root = str(Path(found.origin).parents[levels - 1])
            elif found.submodule_search_locations:  # a namespace package: just its folder
                root = str(Path(next(iter(found.submodule_search_locations))).parent)
        if found.submodule_search_locations:
            search = list(found.submodule_search_locations)
        origin = found.origin
    if origin is None or not origin.endswith(".py"):
        return None, root
    return Path(origin), root


def _split_function(text: str) -> tuple[str, str]:
    """`pkg.module:function` -> ("pkg.module", "function"); ("text", "") without one."""
    base, colon, function = text.rpartition(":")
    if colon and base and function.isidentifier() and not keyword.iskeyword(function):
        return base.strip(), function
    if colon and base and not function.strip():
        raise SpecError("workload", f"{text!r}: name the function after the colon (pkg.module:function)")
    return text, ""


def resolve(text: str, python: str = "") -> WorkloadRef:
    """A built-in's name, a path to a `.py` file, or an importable module's dotted name, each with
    an optional `:function` to time instead of its `kernel`. Built-in names win a clash with a
    module of the same name. Modules are looked up as `python` would import them."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise SpecError("workload", "is empty; give a built-in (" + ", ".join(builtin_names())
                        + "), a .py file, or a module name")
    base, function = _split_function(cleaned)
    if function:
        ref = _resolve(base, python)
        return WorkloadRef(ref.kind, f"{ref.name}:{function}", ref.path, ref.module, ref.root, function)
    return _resolve(cleaned, python)


def _resolve(cleaned: str, python: str) -> WorkloadRef:
    if cleaned in builtin_names():
        return WorkloadRef("builtin", cleaned, BUILTIN_DIR / f"{cleaned}.py")
    if _looks_like_path(cleaned):
        if "\0" in cleaned:
            raise SpecError("workload", f"{cleaned!r}: a path cannot contain a NUL character")
        try:
            path = Path(cleaned).expanduser()
        except RuntimeError:  # "~name" of a user this machine does not know
            raise SpecError("workload", f"{cleaned}: no such user's home folder") from None
        try:
            path = path.resolve()
        except OSError as exc:
            raise SpecError("workload", f"{cleaned}: {exc.strerror or exc}") from None
        if not path.exists():
            raise SpecError("workload", f"{cleaned}: no such file")
        if path.is_dir():
            raise SpecError("workload", f"{cleaned} is a folder; give the .py file that defines kernel(value)")
        if path.suffix not in SUFFIXES:
            raise SpecError("workload", f"{cleaned} is not a Python file (.py)")
        return WorkloadRef("file", path.stem, path)
    if _is_module_name(cleaned):
        path, root = _find_module(cleaned, python)
        if path is None:
            where = f"the path of {python}" if python else "the path"
            raise SpecError("workload", f"{cleaned!r} is not a built-in (" + ", ".join(builtin_names())
                            + f"), a .py file, or a module on {where}")
        return WorkloadRef("module", cleaned, path, module=cleaned, root=root)
    raise SpecError("workload", f"{cleaned!r} is not a built-in (" + ", ".join(builtin_names())
                    + "), a path to a .py file, or a module name")


def ref_from_token(token: str) -> WorkloadRef:
    """The inverse of `WorkloadRef.token`, for the measuring process and pool workers."""
    kind, _, rest = token.partition(":")
    function = ""
    head, sep, tail = rest.rpartition("::")
    if sep and tail.isidentifier() and (kind != "module" or "::" in head):
        rest, function = head, tail
    named = (lambda name: f"{name}:{function}") if function else (lambda name: name)
    if kind == "builtin":
        return WorkloadRef("builtin", named(rest), BUILTIN_DIR / f"{rest}.py", function=function)
    if kind == "file":
        path = Path(rest)
        return WorkloadRef("file", named(path.stem), path, function=function)
    if kind == "module":
        root, _, module = rest.partition("::")
        return WorkloadRef("module", named(module), None, module=module, root=root, function=function)
    raise WorkloadError(f"not a workload reference: {token!r}")


# Reading the source --------------------------------------------------------------------------------


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Pow: lambda a, b: a ** b}


def _constant(node: ast.AST):
    """`ast.literal_eval`, plus arithmetic on numbers (`10**10`, `60 * 1000`), which a person writes
    in a constant; small exponents only, so that reading a file can never take long."""
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _constant(node.left), _constant(node.right)
        numbers = (int, float)
        if not (isinstance(left, numbers) and isinstance(right, numbers)) or isinstance(left, bool) or isinstance(right, bool):
            raise ValueError("arithmetic on something other than numbers")
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant(node.operand)
        if not isinstance(value, (int, float)):
            raise ValueError("sign of something other than a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Dict):
        return {_constant(k): _constant(v) for k, v in zip(node.keys, node.values) if k is not None}
    if isinstance(node, ast.List):
        return [_constant(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_constant(e) for e in node.elts)
    return ast.literal_eval(node)


def _literal(node: ast.AST, what: str, path: Path):
    try:
        return _constant(node)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        raise WorkloadError(f"{path}, line {node.lineno}: {what} must be written as a literal "
                            "(numbers, strings, dicts), so parbench can read it without running the file") from None


def _settings(node: ast.AST, path: Path) -> tuple[Setting, ...]:
    declared = _literal(node, "SETTINGS", path)
    if not isinstance(declared, dict):
        raise WorkloadError(f"{path}, line {node.lineno}: SETTINGS must be a dict of name: {{'default': ..., 'help': ...}}")
    settings = []
    for name, entry in declared.items():
        where = f"{path}, line {node.lineno}: SETTINGS[{name!r}]"
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise WorkloadError(f"{where}: a setting's name must be a Python identifier")
        if not isinstance(entry, dict) or "default" not in entry:
            raise WorkloadError(f"{where} must be a dict with at least a 'default'")
        default = entry["default"]
        if not isinstance(default, (bool, int, float, str)):
            raise WorkloadError(f"{where}: the default must be a number, a string or True/False")
        unknown = set(entry) - {"default", "help", "min", "max", "choices", "label"}
        if unknown:
            raise WorkloadError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        choices = tuple(str(c) for c in entry.get("choices", ()))
        settings.append(Setting(name, default, str(entry.get("help", "")), entry.get("min"), entry.get("max"),
                                choices, str(entry.get("label", ""))))
    return tuple(settings)


def _check_kernel_signature(node: ast.FunctionDef | ast.AsyncFunctionDef, settings: tuple[Setting, ...],
                            path: Path, name: str = "kernel") -> None:
    if isinstance(node, ast.AsyncFunctionDef):
        raise WorkloadError(f"{path}, line {node.lineno}: {name} is async; parbench times plain functions")
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if not positional and not args.vararg:
        raise WorkloadError(f"{path}, line {node.lineno}: {name} takes no argument; it must take one item's value")
    required = positional[: len(positional) - len(args.defaults)]
    names = {s.name for s in settings}
    extra = [a.arg for a in required[1:] if a.arg not in names]
    extra += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None and a.arg not in names]
    if extra:
        fix = "extra parameters need a default, or an entry in SETTINGS" if name == "kernel" else \
            "give the others a default, or wrap it in a function of one argument"
        raise WorkloadError(
            f"{path}, line {node.lineno}: {name} needs {len(extra) + 1} arguments ({', '.join(a.arg for a in required[:1])}"
            f"{', ' if required else ''}{', '.join(extra)}); parbench calls it with one item's value ({fix})")


@lru_cache(maxsize=64)
def _describe_cached(ref: WorkloadRef, mtime_ns: int, size: int) -> WorkloadInfo:
    path = ref.path
    assert path is not None
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise WorkloadError(f"{path}: {exc.strerror or exc}") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise WorkloadError(f"{path}, line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # null bytes: not a Python file at all
        raise WorkloadError(f"{path} is not a Python source file ({exc})") from None
    if ref.function:
        return _describe_function(ref, tree, path)
    # A workload file's names are its top level's own (a kernel inside `if`/`try` is not one).
    defined = _top_level_names(tree, nested=False)
    settings: tuple[Setting, ...] = ()
    default_length = FALLBACK_LENGTH
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = _assigned(node)
        if "SETTINGS" in targets:
            settings = _settings(node.value, path)
        if "DEFAULT_LENGTH" in targets:
            length = _literal(node.value, "DEFAULT_LENGTH", path)
            if not isinstance(length, int) or isinstance(length, bool) or length < 1:
                raise WorkloadError(f"{path}, line {node.lineno}: DEFAULT_LENGTH must be a whole number ≥ 1")
            default_length = length
    if "kernel" not in defined:
        raise WorkloadError(f"{path} defines no kernel(value) function: parbench times kernel over every item")
    kernel = defined["kernel"]
    if isinstance(kernel, (ast.FunctionDef, ast.AsyncFunctionDef)):
        _check_kernel_signature(kernel, settings, path)
    elif isinstance(kernel, ast.ClassDef):
        pass  # a class or a callable object: checked when the measuring process loads it
    summary = (ast.get_docstring(tree) or "").strip().splitlines()
    functions = frozenset(name for name in ("kernel", *OPTIONAL_FUNCTIONS) if name in defined)
    return WorkloadInfo(ref, summary[0] if summary else "", settings, functions, default_length)


def _assigned(node: ast.Assign | ast.AnnAssign) -> list[str]:
    nodes = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in nodes if isinstance(t, ast.Name)]


def _top_level_names(tree: ast.Module, *, nested: bool = True) -> dict[str, ast.AST]:
    """Every name a module's top level binds, to the statement that binds it (with `nested`, also
    the names bound inside its top-level `if` and `try` blocks, where not bound outside them)."""
    defined: dict[str, ast.AST] = {}
    for node in tree.body:
        targets: list[str] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = _assigned(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        elif nested and isinstance(node, (ast.If, ast.Try)):  # `try: from fast import f / except ImportError: def f`
            inner = ast.Module(body=[*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", []),
                                     *[stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]],
                               type_ignores=[])
            for name, found in _top_level_names(inner).items():
                defined.setdefault(name, found)
        for name in targets:
            defined[name] = node
    return defined


def _describe_function(ref: WorkloadRef, tree: ast.Module, path: Path) -> WorkloadInfo:
    """`module:function`: that function is the kernel; nothing else of the module is read."""
    function = ref.function
    node = _top_level_names(tree).get(function)
    if node is None:
        raise WorkloadError(f"{path} has no function named {function} at its top level (parbench looks for "
                            f"`def {function}(value)`, or a name imported or assigned there)")
    doc = ""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        _check_kernel_signature(node, (), path, function)
        doc = ast.get_docstring(node) or ""
    elif isinstance(node, ast.ClassDef):
        doc = ast.get_docstring(node) or ""
    # Anything else (imported, assigned) is checked when the measuring process loads it.
    summary = doc.strip().splitlines()
    return WorkloadInfo(ref, summary[0] if summary else "", (), frozenset({"kernel"}), FALLBACK_LENGTH)


def describe(ref: WorkloadRef) -> WorkloadInfo:
    """The workload as its source declares it; `WorkloadError` saying what is wrong otherwise."""
    if ref.path is None:
        raise WorkloadError(f"no source file found for {ref.name}")
    try:
        stat = ref.path.stat()
    except OSError as exc:
        raise WorkloadError(f"{ref.path}: {exc.strerror or exc}") from None
    return _describe_cached(ref, stat.st_mtime_ns, stat.st_size)


def info(text: str, python: str = "") -> WorkloadInfo:
    """Resolve (as `python` would import it) and describe in one step, every problem as a
    `SpecError` on the workload field."""
    ref = resolve(text, python)
    try:
        return describe(ref)
    except WorkloadError as exc:
        raise SpecError("workload", str(exc)) from None


def builtins() -> tuple[WorkloadInfo, ...]:
    return tuple(describe(resolve(name)) for name in builtin_names())
