"""What a table cell's tone (`api.Table`'s good, bad, muted, caution, alert) looks like with colour.

Shared by the CLI's rich tables and the app's DataTable. A tone only restates what the cell's words
say, so a monochrome terminal (NO_COLOR, TERM=linux) loses nothing.
"""

from __future__ import annotations

from workloads import api

STYLES = {api.GOOD: "green", api.BAD: "red", api.ALERT: "bold red", api.CAUTION: "yellow", api.MUTED: "dim"}


def style(tone: str | None) -> str:
    return STYLES.get(tone or "", "")
