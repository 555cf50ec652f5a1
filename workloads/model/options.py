"""How an option is declared: once, with everything the command line and the app's form need.

A `Field` carries its flag, form label, default (as a user would type it), help, parser and when it
applies. The sweep's own fields are declared on `SweepSpec` (`workloads.model.spec`), a strategy's
own options on its `StrategyKind` (Dask's scheduler), a workload's on its `SETTINGS` dict: each is
rendered to argparse (`tui.cli`) and to the form (`tui.widgets.setup_form`) from this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the scope is the spec's, which knows the strategies
    from .spec import Scope
    from .workload import Setting


class Flagged:
    """How a named option reads on the command line and in its errors."""

    name: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def field_name(self) -> str:
        """How errors name it: the flag without dashes."""
        return self.name.replace("_", "-")


def always(scope: "Scope") -> bool:
    return True


@dataclass(frozen=True)
class Field(Flagged):
    name: str  # the attribute (of SweepSpec, or of its options or settings)
    label: str  # the form's label (at most 9 characters)
    default: str  # the default, as a user would type it ("" = blank)
    help: str
    parse: Callable[[str, "Scope"], Any]
    kind: str = "text"  # text, choice, workload or strategies: how the form shows it
    choices: tuple[str, ...] = ()
    applies: Callable[["Scope"], bool] = always
    metavar: str | None = None
    advanced: bool = False  # the form folds it under "more settings"
    setting: "Setting | None" = None  # a workload's setting rather than a sweep field
    strategy: str = ""  # the strategy that declares it (its own option), "" for the sweep's

    @property
    def help_text(self) -> str:
        """The help as --help shows it: with the default unless the help already says it."""
        said = "default" in self.help or "blank:" in self.help
        return self.help if said or not self.default else f"{self.help} (default: {self.default})"
