"""The user-facing text: every relative link in the README, docs/, the benchmark results and their history points at a
file that exists (and a heading in it, for #anchors); the README's quick start keeps its two commands; and none
of that text, nor the notebooks' prose, speaks of how the work is organised (issue numbers, work sittings or sessions,
borrowed machines)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", ROOT / "binder" / "README.md", ROOT / "benchmarks" / "RESULTS.md",
                *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks" / "history").glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
WORK_WORDS = re.compile(r"\bissue\s*#?\d+|\bissue's\b|\bsittings?\b|\bborrow(?:ed)?\b|\blent\b|\bloans?\b|"
                        r"\bdevice tool\b|\bhelpers'|\bwork sessions?\b|(?<![\w/&])#\d+\b", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.+)$", text, flags=re.M)}


def prose(page: Path) -> str:
    return page.read_text()


def notebook_prose(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_the_pages_exist():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    for page in ("docs/engine.md", "docs/widgets.md", "docs/inspection.md", "docs/benchmarks.md",
                 "docs/troubleshooting.md", "docs/architecture.md", "docs/testing.md", "docs/install.md",
                 "benchmarks/RESULTS.md"):
        assert page in names, page
    assert list((ROOT / "benchmarks" / "history").glob("????-??-??.md")), "benchmarks/history/ has no dated page"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_at_files_and_headings_that_exist(page):
    broken = []
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.is_file() and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_words_about_how_the_work_is_organised(page):
    found = sorted({m.group(0) for m in WORK_WORDS.finditer(prose(page))})
    assert not found, found


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_such_words_in_the_notebooks_prose(path):
    found = sorted({m.group(0) for m in WORK_WORDS.finditer(notebook_prose(path))})
    assert not found, found


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_cell_has_a_unique_id(path):
    """nbformat 4.5 cells carry an ``id``; without one Jupyter warns (and future nbformat refuses the file)."""
    import json

    nb = json.loads(path.read_text())
    ids = [c.get("id") for c in nb["cells"]]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5)
    assert all(ids) and len(set(ids)) == len(ids), [i for i, c in enumerate(ids) if not c]


def test_the_word_check_catches_what_it_is_for():
    for text in ("see issue 11", "Issue #4's targets", "the third sitting", "two sittings", "a borrowed machine",
                 "the GPU we were lent", "further loans were paused", "the device tool", "the issue's budget",
                 "(bug #10)", "see #9", "in this work session"):
        assert WORK_WORDS.search(text), text
    for text in ("a training run", "run segments", "Colab's Restart session", "an excellent result", "tissue",
                 "known issues", "colour #1f77b4", "[results](RESULTS.md#speed)", "&#10003;"):
        assert not WORK_WORDS.search(text), text


def test_the_readme_keeps_the_two_quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    assert 'pip install torch==2.13.0 -e ".[lab]" && jupyter lab notebooks/01_quickstart.ipynb' in readme
    assert "\nbash scripts/test.sh\n" in readme
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("exec bash scripts/test.sh")
    assert len(readme.splitlines()) < 120, "the README is a front page: details go to docs/"
