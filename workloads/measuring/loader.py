"""Running a workload's code: importing it, building its inputs, binding its kernels and checking that
two results agree.

This runs in the measuring process and in every pool worker, never in the app or the CLI (see
`workloads.workload` for the side that only reads the source). A worker finds the workload again by
its token, whatever the start method: a user's file is imported by its path under a name derived
from that path, so that `fork`, `spawn` and `forkserver` workers (and a Dask worker the file was
uploaded to) all hold the same module, and a kernel that only pickles by luck under fork works too.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np

from ..model.workload import WorkloadError, WorkloadRef, ref_from_token
from .inputs import InputData

FORMS = ("python", "numpy")
KERNEL_OF_FORM = {"python": "kernel", "numpy": "kernel_numpy"}
# The seed draws its values from range(1000); int64 holds their squares exactly.
SEED_HIGH = 1000
# Floats agree when numpy.allclose says so at this relative tolerance (and no absolute one: a
# kernel's values may all be tiny).
FLOAT_RTOL = 1e-9

_MODULES: dict[str, ModuleType] = {}
_KERNELS: dict[tuple, Callable] = {}


def describe_exception(exc: BaseException) -> str:
    """One line: the exception's type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _where_in(exc: BaseException, path: Path | None) -> str:
    """'wordfreq.py, line 12' for the deepest frame of the traceback inside the workload's file."""
    if path is None:
        return ""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            found = f"{path.name}, line {frame.lineno}"
    return found


def _module_name(ref: WorkloadRef) -> str:
    digest = hashlib.sha1(str(ref.path).encode()).hexdigest()[:10]
    return f"parbench_workload_{re.sub(r'[^0-9A-Za-z_]', '_', ref.name)}_{digest}"


def _exec_file(ref: WorkloadRef) -> ModuleType:
    name = _module_name(ref)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ref.path)
    if spec is None or spec.loader is None:
        raise WorkloadError(f"{ref.path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(ref.path.parent)
    if folder not in sys.path:
        # Its sibling modules import, as they would for `python wordfreq.py`.
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _which_python() -> str:
    """`under Python 3.12.1 (/path/to/venv/bin/python)`: the interpreter running this import."""
    return f"under Python {sys.version.split()[0]} ({sys.executable})"


def _install_hint(exc: ModuleNotFoundError) -> str:
    """What to do about a module this interpreter lacks: install its package there, or run under
    the Python that has it."""
    missing = (exc.name or "").partition(".")[0]
    if not missing:
        return ""
    return (f"; install the package that provides {missing} into that Python ({sys.executable} -m pip install "
            f"{missing}, if the package has that name), or give --python the interpreter of the project that has it")


def import_workload(ref: WorkloadRef) -> ModuleType:
    """The workload's module, imported once per process; `WorkloadError` in one line otherwise."""
    token = ref.token
    if token in _MODULES:
        return _MODULES[token]
    where = ref.path.name if ref.path is not None else ref.module or ref.name
    try:
        if ref.kind == "builtin":
            module = importlib.import_module(f"workloads.builtin.{ref.name.partition(':')[0]}")
        elif ref.kind == "file":
            if ref.path is not None and ref.path.exists():
                module = _exec_file(ref)
            else:  # a Dask worker elsewhere: the file was uploaded to it (Client.upload_file)
                module = importlib.import_module(ref.name)
                # Under the name the measuring process gave it too, so that instances of the
                # workload's own classes (pickled as that module's) unpickle here.
                sys.modules.setdefault(_module_name(ref), module)
        else:
            if ref.root and ref.root not in sys.path:
                sys.path.insert(0, ref.root)
            module = importlib.import_module(ref.module)
    except SyntaxError as exc:
        raise WorkloadError(f"{exc.filename}, line {exc.lineno}: {exc.msg}") from None
    except SystemExit as exc:
        raise WorkloadError(f"{where} called sys.exit({exc.code!r}) while being imported; a workload file should "
                            "only define functions (put a script's code under `if __name__ == '__main__':`)") from None
    except KeyboardInterrupt:
        raise
    except ModuleNotFoundError as exc:
        if ref.kind == "file" and (ref.path is None or not ref.path.exists()):
            raise WorkloadError(f"this worker cannot import the workload {ref.path}: the file is not here "
                                f"and was not uploaded ({describe_exception(exc)})") from None
        raise WorkloadError(f"importing {where} failed {_which_python()}: {describe_exception(exc)}"
                            f"{_install_hint(exc)}") from None
    except BaseException as exc:
        located = _where_in(exc, ref.path)
        raise WorkloadError(f"importing {where} failed"
                            f"{' at ' + located if located else ''}: {describe_exception(exc)}") from None
    _MODULES[token] = module
    return module


def _accepts(function: Callable, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _bind(module: ModuleType, name: str, settings: dict, where: str) -> Callable | None:
    function = getattr(module, name, None)
    if function is None:
        return None
    if not callable(function):
        raise WorkloadError(f"{where}: {name} is not a function (it is {type(function).__name__})")
    kwargs = {key: value for key, value in settings.items() if _accepts(function, key)}
    return functools.partial(function, **kwargs) if kwargs else function


def kernel_for(token: str, form: str, settings: tuple) -> Callable:
    """The kernel of `form`, its settings bound: what a pool worker calls for each item."""
    key = (token, form, settings)
    kernel = _KERNELS.get(key)
    if kernel is None:
        ref = ref_from_token(token)
        module = import_workload(ref)
        name = ref.kernel_name if form == "python" else KERNEL_OF_FORM[form]
        kernel = _bind(module, name, dict(settings), ref.name)
        if kernel is None:
            raise WorkloadError(f"{ref.name} has no {name}")
        _KERNELS[key] = kernel
    return kernel


class ItemCall:
    """`(key, value) -> (key, kernel(value))`, as a pool maps it over `data.items()`.

    It pickles as the workload's token, the form and the settings, never as the kernel itself:
    a worker imports the workload by its token the first time, so the call works under every start
    method and on a Dask worker, whatever the user's kernel is (a lambda, a closure, a partial).
    """

    __slots__ = ("token", "form", "settings", "_kernel")

    def __init__(self, token: str, form: str, settings: tuple) -> None:
        self.token = token
        self.form = form
        self.settings = settings
        self._kernel: Callable | None = None

    def __reduce__(self):
        return (_item_call, (self.token, self.form, self.settings))

    def load(self) -> None:
        """Import the workload and bind its kernel now (`WorkloadError` if it cannot be): a Dask
        runner runs this on every worker before mapping, so that a worker that cannot import the
        file says so, instead of failing to unpickle the items sent to it."""
        if self._kernel is None:
            self._kernel = kernel_for(self.token, self.form, self.settings)

    def __call__(self, item):
        kernel = self._kernel
        if kernel is None:
            kernel = self._kernel = kernel_for(self.token, self.form, self.settings)
        key, value = item
        return key, kernel(value)


def _item_call(token: str, form: str, settings: tuple) -> ItemCall:
    """An `ItemCall` as a worker unpickles it, with the workload imported at once: the values that
    follow it in the same pickle may be instances of the workload's own classes (a dataclass per
    record), which unpickle only once its module is imported under the name the measuring process
    gave it. A workload that fails to import is left for the call to report, with its message."""
    call = ItemCall(token, form, settings)
    try:
        call._kernel = kernel_for(token, form, settings)
    except Exception:
        pass
    return call


def seeded_matrix(items: int, length: int, seed: int) -> np.ndarray:
    """The seed's data: `items` rows of `length` ints drawn from range(1000), the same for the same
    seed, items and length."""
    return np.random.default_rng([seed, items, length]).integers(0, SEED_HIGH, size=(items, length), dtype=np.int64)


def _arrays_agree(expected: np.ndarray, got: np.ndarray) -> tuple[bool, str]:
    if expected.shape != got.shape:
        return False, "exactly equal"
    if expected.dtype.kind in "fc" or got.dtype.kind in "fc":
        try:
            return bool(np.allclose(got, expected, rtol=FLOAT_RTOL, atol=0.0, equal_nan=True)), \
                f"numpy.allclose, rtol={FLOAT_RTOL:g}"
        except TypeError:
            pass
    return bool(np.array_equal(expected, got)), "exactly equal"


def default_same(expected: Any, got: Any) -> tuple[bool, str]:
    """`==` for Python objects; numpy arrays exactly for integers, within numpy.allclose (rtol
    1e-9) for floats. Returns (agree, how it was decided)."""
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        try:
            return _arrays_agree(np.asarray(expected), np.asarray(got))
        except (ValueError, TypeError):
            return False, "exactly equal"
    try:
        return bool(expected == got), "equal (==)"
    except (ValueError, TypeError):  # containers of arrays: == has no single truth value
        try:
            return _arrays_agree(np.asarray(expected), np.asarray(got))
        except (ValueError, TypeError):
            return False, "equal (==)"


def input_data(path: str) -> InputData | None:
    """The items of the sweep's `--input` file, read here (None without one)."""
    return InputData(path) if path else None


class LoadedWorkload:
    """A workload imported in this process with its settings: its kernels bound, its inputs built
    (or read from the user's file, `data`), its results checked."""

    def __init__(self, ref: WorkloadRef, settings: dict, data: InputData | None = None) -> None:
        self.ref = ref
        self.settings = dict(settings)
        self.data = data
        self.module = import_workload(ref)
        where = ref.path.name if ref.path is not None else ref.name
        self.where = where
        name = ref.kernel_name
        self.kernel = _bind(self.module, name, self.settings, where)
        if self.kernel is None:
            raise WorkloadError(f"{where} defines no {name}(value) function" if not ref.function else
                                f"{os.path.basename(where)} has no {name} once imported")
        self._check_arity(self.kernel, name)
        # `module:function` names the kernel alone: the module's other functions are not the workload's.
        own = (lambda key: _bind(self.module, key, self.settings, where)) if not ref.function else (lambda key: None)
        self.kernel_numpy = own("kernel_numpy")
        if self.kernel_numpy is not None:
            self._check_arity(self.kernel_numpy, "kernel_numpy")
        self.make_input = own("make_input")
        self.make_input_numpy = own("make_input_numpy")
        self.same = own("same")
        self.reference = own("reference")

    def _check_arity(self, function: Callable, name: str) -> None:
        try:
            inspect.signature(function).bind(None)
        except TypeError as exc:
            raise WorkloadError(f"{self.where}: {name} cannot be called with one item's value ({exc})") from None
        except ValueError:
            pass  # a builtin without a signature: it will say so when called

    @property
    def forms(self) -> tuple[str, ...]:
        return ("python", "numpy") if self.kernel_numpy is not None else ("python",)

    def kernel_of(self, form: str) -> Callable:
        return self.kernel if form == "python" else self.kernel_numpy

    def item_call(self, form: str) -> ItemCall:
        return ItemCall(self.ref.token, form, tuple(sorted(self.settings.items())))

    # Inputs -----------------------------------------------------------------------------------

    def _built(self, builder: Callable, name: str, items: int, length: int, seed: int) -> dict:
        try:
            data = builder(items, length, seed)
        except WorkloadError:
            raise
        except KeyboardInterrupt:
            raise
        except SystemExit as exc:
            raise WorkloadError(f"{name}({items}, {length}, seed) called sys.exit({exc.code!r}); it must return "
                                "the input dict, not end the process") from None
        except BaseException as exc:
            located = _where_in(exc, self.ref.path)
            raise WorkloadError(f"{name}({items}, {length}, seed) failed"
                                f"{' at ' + located if located else ''}: {describe_exception(exc)}") from None
        if not isinstance(data, dict):
            raise WorkloadError(f"{name}({items}, {length}, seed) returned a {type(data).__name__}; it must return "
                                f"a dict of {items} items {{key: value}}")
        if len(data) != items:
            raise WorkloadError(f"{name}({items}, {length}, seed) returned {len(data)} item{'s' if len(data) != 1 else ''}; "
                                f"it must return {items}, so that the table's item count is true")
        return data

    @property
    def fixed_length(self) -> int | None:
        """The items' length when the user's file sets it (every format but CSV), else None."""
        return self.data.length if self.data is not None else None

    def make_inputs(self, items: int, length: int, seed: int, forms) -> dict[str, dict]:
        """The input dict of each form in `forms`: the first `items` items of the user's file when
        there is one; else the workload's `make_input`; else the seed's shape: each item a list of
        `length` ints from range(1000), seeded, both forms drawn from one matrix."""
        forms = tuple(forms)
        inputs: dict[str, dict] = {}
        if self.data is not None:
            return {form: self.data.take(items, length, form) for form in forms}
        if self.make_input is None and self.make_input_numpy is None:
            matrix = seeded_matrix(items, length, seed)
            if "numpy" in forms:
                inputs["numpy"] = {i: matrix[i].copy() for i in range(items)}
            if "python" in forms:
                # tolist() builds the Python ints in C: far faster than random.choice per element.
                inputs["python"] = {i: row.tolist() for i, row in enumerate(matrix)}
            return inputs
        python = None
        if "python" in forms or ("numpy" in forms and self.make_input_numpy is None):
            if self.make_input is not None:
                python = self._built(self.make_input, "make_input", items, length, seed)
            else:
                python = {i: row.tolist() for i, row in enumerate(seeded_matrix(items, length, seed))}
        if "python" in forms:
            inputs["python"] = python
        if "numpy" in forms:
            if self.make_input_numpy is not None:
                inputs["numpy"] = self._built(self.make_input_numpy, "make_input_numpy", items, length, seed)
            else:
                inputs["numpy"] = {key: np.asarray(value) for key, value in python.items()}
        return inputs

    def expected(self, inputs: dict[str, dict], items: int, length: int, seed: int) -> dict:
        """The right output when serial is not in the sweep: the workload's `reference` over the
        point's values when it has one (cheap: no deliberate wait), else `kernel`, untimed."""
        if self.reference is not None:
            source = inputs.get("python") if inputs.get("python") is not None else inputs.get("numpy")
            return {key: self.reference(value) for key, value in source.items()}
        python = inputs.get("python")
        if python is None:
            python = self.make_inputs(items, length, seed, ("python",))["python"]
        return {key: self.kernel(value) for key, value in python.items()}

    # Agreement --------------------------------------------------------------------------------

    def agree(self, expected: Any, got: Any) -> tuple[bool, str]:
        """Whether two results of one item agree, and how that was decided."""
        if self.same is not None:
            return bool(self.same(expected, got)), f"{self.where}'s same()"
        return default_same(expected, got)


class Reference:
    """The output every strategy at a point is checked against, with each value's array form made
    once (comparing a numpy result with serial's lists would otherwise convert them every time)."""

    def __init__(self, output: dict, against: str) -> None:
        self.output = output
        self.against = against
        self._arrays: dict = {}

    def _as_array(self, key):
        if key not in self._arrays:
            self._arrays[key] = np.asarray(self.output[key])
        return self._arrays[key]

    def check(self, workload: LoadedWorkload, output: Any) -> tuple[str, str]:
        """('', how) when `output` agrees key by key; otherwise the first difference, in words."""
        how = ""
        if not isinstance(output, dict):
            return f"strategy returned a {type(output).__name__}, not a dict", how
        if set(output) != set(self.output):
            return f"returned keys differ from {self.against} ({len(output)} vs {len(self.output)} keys)", how
        for key, expected in self.output.items():
            got = output[key]
            if (workload.same is None and isinstance(got, np.ndarray) and not isinstance(expected, np.ndarray)):
                expected = self._as_array(key)
            try:
                agree, how = workload.agree(expected, got)
            except Exception as exc:
                return f"comparing the output for key {key!r} failed: {describe_exception(exc)}", how
            if not agree:
                return f"output for key {key!r} differs from {self.against} (checked: {how})", how
        return "", how

    def release(self) -> None:
        self._arrays.clear()
        self.output = {}
