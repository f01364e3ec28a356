"""What the README says about performance is what the bench measured: its table is generated from the bench's JSON
committed in the repository, and its prose names figures instead of quoting numbers of its own."""

from __future__ import annotations

import re

import pytest

from bench import readme
from bench.harness import read_json


@pytest.fixture(scope="module")
def results():
    return read_json(readme.RESULTS)


def performance_prose() -> str:
    """The README's Performance section without the generated table."""
    text = readme.README.read_text()
    section = text[text.index("## Performance") : text.index("\n## ", text.index("## Performance") + 1)]
    return readme.rewrite(section, "")


def test_the_readmes_table_is_the_bench_json_committed(results):
    text = readme.README.read_text()
    assert readme.rewrite(text, readme.render(*results)) == text, "run `python -m bench.readme` (or re-run the bench)"


def test_the_table_says_how_the_run_was_made_and_judges_each_figure_by_its_goal(results):
    meta, _, figures = results
    block = readme.render(*results)
    assert ("a `--quick` run" if meta["quick"] else "a full run") in block and f"{meta['seconds']} s in all" in block
    for f in figures:
        row = next(line for line in block.splitlines() if line.startswith(f"| `{f.key}` |"))
        assert ("| pass |" in row) == (f.value >= f.goal if f.op == ">=" else f.value <= f.goal), row


def whole(results) -> bool:
    """Whether the committed run ran every benchmark (not stopped early, not `--only`, none skipped)."""
    meta, skipped, _ = results
    return meta.get("complete", True) and not meta.get("only") and not skipped


def test_every_figure_says_what_it_measures_and_no_description_is_stale(results):
    keys = {f.key for f in results[2]}
    assert not keys - set(readme.WHAT), "describe the new figures in bench/readme.py's WHAT"
    if whole(results):  # every benchmark ran: every description is of a figure that exists
        assert not set(readme.WHAT) - keys, "a described figure was renamed or removed"
    assert all(quick in (readme.FULL, readme.SMALLER, readme.FEWER) for _, quick in readme.WHAT.values())


def test_the_prose_names_figures_and_quotes_no_speedup_of_its_own(results):
    prose = performance_prose()
    code = "\n".join(p.read_text() for p in (readme.ROOT / "cnnapp").rglob("*.py"))
    names = set(re.findall(r"`([a-z0-9]+_[a-z0-9_]+)`", prose))
    unknown = {n for n in names if n not in readme.WHAT and n not in code}
    assert not unknown, f"the prose names {unknown}: neither a figure of the bench nor a name in the code"
    figures = names & set(readme.WHAT)
    assert figures, "the prose refers to the table's figures by key"
    if whole(results):
        assert not figures - {f.key for f in results[2]}, "the prose names a figure the committed run does not have"
    quoted = re.findall(r"\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)?×(?!\d)", prose)
    assert not quoted, f"the prose quotes speedups {quoted}: name the table's figure instead"
