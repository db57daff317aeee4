"""The project explains itself: what it cites is in the repository, and exists there."""

import re
import subprocess

import pytest

from orchestration.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.unit

TEXT_SUFFIXES = {".py", ".md", ".sql", ".yml", ".yaml", ".toml", ".cfg", ".txt", ".example", ""}
# A section of a doc, cited as: docs/method.md, "Valid codes"
CITATION = re.compile(r'docs/([\w.-]+\.md)[,:]? "([^"]+)"')
OUTSIDE = re.compile(r"\.\./shared|shared/(?:method|data-contract|stack-notes|seeds|reference)"
                     r"|\bissue(?:\s|--|#\s)*#\d+", re.IGNORECASE)  # also across a comment's lines


def _files() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
                           ).stdout.split()
    found = {}
    for name in names:
        path = PROJECT_ROOT / name
        if path.suffix in TEXT_SUFFIXES and path.is_file() and name != "tests/unit/test_docs.py":
            try:
                found[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return found


def _citations(text: str) -> list[tuple[str, str]]:
    """(doc, section) cited in a text; a section cited across lines of a comment is joined."""
    return [(m.group(1), " ".join(" ".join(re.sub(r"^\s*(--|#)\s*", "", line) for line
                                           in m.group(2).splitlines()).split()).rstrip("."))
            for m in CITATION.finditer(text)]


def _sections(doc: str) -> list[str]:
    """A doc's headings and bold paragraph labels (`**Instance.**`)."""
    heads = [m.group(1) for m in re.finditer(r"(?m)^#+ (.+)$", doc)]
    labels = [m.group(1) for m in re.finditer(r"\*\*([^*]+)\*\*", doc)]
    return heads + labels


def test_no_file_cites_a_path_outside_the_repository_or_an_issue():
    cited = [(name, m.group(0)) for name, text in _files().items()
             for m in OUTSIDE.finditer(text)]
    assert cited == []


def test_every_cited_section_of_the_docs_exists():
    docs = {p.name: _sections(p.read_text(encoding="utf-8"))
            for p in (PROJECT_ROOT / "docs").glob("*.md")}
    missing = sorted({(name, doc, section) for name, text in _files().items()
                      for doc, section in _citations(text)
                      if doc not in docs or not any(s.startswith(section) for s in docs[doc])})
    assert missing == []


def test_the_checks_above_can_fail():
    assert OUTSIDE.search("see ../shared/method.md") and OUTSIDE.search("(issue #11)")
    assert OUTSIDE.search("took 40 s (issue\n-- #11)")
    assert not any(s.startswith("No such section") for s in _sections("# Method\n**Valid.**"))
