"""The package's rooms keep their roles: `core` never imports Dagster, the rooms depend one
way (app -> definitions -> defs -> core), and no module imports itself back through others."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.unit

PACKAGE = PROJECT_ROOT / "orchestration"
# A room may import itself and the rooms after it in this list, never one before it; but
# the entry point reads the settings (`app.config`, which itself imports only the core).
ROOMS = ["app", "definitions", "defs", "core"]
SETTINGS = "orchestration.app.config"


def _module(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every orchestration module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("orchestration.")}


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def _room(module: str) -> str:
    return module.split(".")[1]


def test_the_core_imports_no_dagster():
    core = sorted(_module(p) for p in (PACKAGE / "core").glob("*.py"))
    code = ("import sys\n" + "".join(f"import {m}\n" for m in core)
            + "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('dagster')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PROJECT_ROOT)
    assert len(core) >= 8 and out.stdout.strip() == "[]"


def test_rooms_depend_one_way():
    graph = _graph()
    wrong = [(a, b) for a, targets in graph.items() for b in targets
             if a.count(".") and b.count(".") and ROOMS.index(_room(b)) < ROOMS.index(_room(a))
             and (a, b) != ("orchestration.definitions", SETTINGS)]
    assert wrong == []
    assert {_room(m) for m in graph[SETTINGS]} <= {"core"}


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert cycles == []


def test_the_checks_above_can_fail(tmp_path):
    """The cycle and room checks see a function-local import (how the old cycle hid)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from orchestration.app.runner import run_platform\n")
    assert "orchestration.app.runner" in _imports(module)
    assert ROOMS.index(_room("orchestration.app.runner")) < ROOMS.index(
        _room("orchestration.core.ingest"))


def test_only_the_settings_module_touches_the_environment():
    """Every setting is read in one place (orchestration/app/config.py); the core and the
    definitions are given records (orchestration/core/settings.py), and no step changes
    the process's environment."""
    touching = []
    for path in PACKAGE.rglob("*.py"):
        if _module(path) == SETTINGS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "os" and node.attr in ("environ", "getenv", "putenv")):
                touching.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert touching == []
