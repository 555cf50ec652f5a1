"""The docs cannot drift from the code: the key table is the one `tui/keys.py` generates, the browser
keys docs/serve.md lists are the served keys declared there, every relative link points to a file,
and the README stays a front door.

When the key table fails: `python docs/regenerate.py keys` rewrites it from the code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from tui import keys

sys.path.insert(0, str(ROOT / "docs"))
import regenerate  # noqa: E402  (docs/regenerate.py: one definition of the markers)

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, ROOT / "ARCHITECTURE.md", ROOT / "benchmarks" / "README.md", *DOCS]
README_MAX_LINES = 200

# Links to pages being written on another branch, allowed to be missing until it is merged. Remove
# an entry once its page is in: from then on, a missing file fails like any other.
NOT_YET_MERGED = {ROOT / "docs" / "your-project.md"}

# [text](target) outside code; a target with a scheme or only an anchor is not a file.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def test_the_key_table_is_the_one_the_code_generates():
    table = regenerate.block((ROOT / "docs" / "guide.md").read_text(), "keys")
    assert table is not None, "docs/guide.md has no <!-- keys:begin --> … <!-- keys:end --> markers"
    assert table == keys.markdown_table(served=False), "run: python docs/regenerate.py keys"


def _serve_rows() -> set[tuple[str, str]]:
    """(terminal keys, browser key) of each row of docs/serve.md's table of browser keys."""
    text = (ROOT / "docs" / "serve.md").read_text()
    rows = set()
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].startswith("**"):
            rows.add((cells[1], cells[2].split("**")[1]))
    return rows


def test_the_browser_keys_in_serve_md_are_the_served_keys_declared():
    declared = {(", ".join(keys._key_name(k) for k in key.keys.split(",")),
                 ", ".join(keys._key_name(k) for k in key.served.split(",")))
                for key in keys.KEYS if key.served}
    assert _serve_rows() == declared


KEY_NAMED = re.compile(r"\b(ctrl\+[a-z]|F1[0-2]|F[1-9])\b")


@pytest.mark.parametrize("page", [README, ROOT / "docs" / "guide.md"], ids=lambda page: page.name)
def test_every_key_the_prose_names_is_bound(page: Path):
    """The README and the guide name keys in sentences; each must be a key of the app (a terminal's
    or a browser's), so a key that moves cannot leave the prose behind."""
    bound = {keys._key_name(k) for key in keys.KEYS for k in f"{key.keys},{key.served}".split(",") if k.strip()}
    named = set(KEY_NAMED.findall(page.read_text()))
    assert named - bound == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file(page: Path):
    text = INLINE_CODE.sub("", FENCE.sub("", page.read_text()))
    missing = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            if path not in NOT_YET_MERGED:
                missing.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            missing.append(target)
    assert not missing, f"{page.name} links to files or headings that do not exist: {missing}"


# What the code's own words send a reader to: `docs/methodology.md#why-measured`, `README 'A section'`.
CODE_POINTER = re.compile(r"((?:docs/)?[\w.-]+\.md)#([\w-]+)|README '([^']+)'")


def test_every_page_the_code_points_to_has_that_heading():
    """An export's `model` said "see README 'Why, measured'" after that section had moved to
    docs/methodology.md: a pointer in the code is checked like a link in the docs."""
    missing = []
    for source in sorted([*(ROOT / "workloads").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]):
        for page, anchor, section in CODE_POINTER.findall(source.read_text(encoding="utf-8")):
            if section:
                page, anchor = "README.md", re.sub(r"[^\w\- ]", "", section.lower()).replace(" ", "-")
            path = ROOT / page if (ROOT / page).exists() else ROOT / "docs" / page
            if not path.exists() or anchor not in anchors(path):
                missing.append(f"{source.relative_to(ROOT)}: {page}#{anchor}")
    assert not missing, f"the code points readers to headings that do not exist: {missing}"


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces as -."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_the_readme_is_a_front_door():
    text = README.read_text()
    lines = text.splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; details belong in docs/"
    # The two commands a fresh clone needs, each a line of its own in a code block.
    in_blocks = {line.split("#")[0].strip() for block in FENCE.findall(text) for line in block.splitlines()}
    assert {"make run", "make test"} <= in_blocks
