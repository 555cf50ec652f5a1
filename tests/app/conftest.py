"""Fixtures for the app's snapshot tests."""

from __future__ import annotations

import pytest
from textual.widgets import Input


@pytest.fixture
def snap_compare(snap_compare):
    """pytest-textual-snapshot's `snap_compare`, with every text field's cursor held on: a blinking
    cursor is drawn or not depending on how long the steps before the screenshot took (half a
    second on a loaded machine flips it), and a snapshot must not depend on the machine's speed."""

    def compare(app, *, run_before=None, **kwargs):
        async def steady(pilot) -> None:
            if run_before is not None:
                await run_before(pilot)
            for field in pilot.app.screen.query(Input):
                field.cursor_blink = False
            await pilot.pause()

        return snap_compare(app, run_before=steady, **kwargs)

    return compare
