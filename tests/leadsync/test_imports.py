"""The command line's modules import each other in one direction: ``cli`` is the root."""

from __future__ import annotations

import ast
from pathlib import Path

import leadsync

FOLDER = Path(leadsync.__file__).parent


def module_name(path: Path) -> str:
    return "leadsync" if path.stem == "__init__" else f"leadsync.{path.stem}"


def imported_modules(source: str, known: set[str]) -> set[str]:
    """Every module of ``known`` the source imports, at the top, in a function or when type
    checking: a cycle through a function-level import is still a cycle."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def import_graph(folder: Path) -> dict[str, set[str]]:
    paths = sorted(folder.glob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path.read_text(), known) - {module_name(path)}
            for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle as the modules along it (first repeated at the end), or [] if there is none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return []
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return []


def test_no_module_of_the_command_line_imports_one_that_imports_it_back() -> None:
    graph = import_graph(FOLDER)
    assert {"leadsync.cli", "leadsync.definition_cli", "leadsync.sla_cli"} <= set(graph)
    assert find_cycle(graph) == []


def test_cli_is_the_root_that_imports_the_command_groups() -> None:
    graph = import_graph(FOLDER)
    assert {"leadsync.definition_cli", "leadsync.sla_cli"} <= graph["leadsync.cli"]
    assert [name for name, imports in graph.items() if "leadsync.cli" in imports] == [
        "leadsync.__main__"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "cli.py").write_text("from leadsync.sla_cli import app\n")
    (tmp_path / "sla_cli.py").write_text("def load():\n    from leadsync.cli import _load\n")
    (tmp_path / "options.py").write_text("import leadsync.render\n")
    (tmp_path / "render.py").write_text("from leadsync import options\n")

    graph = import_graph(tmp_path)

    assert find_cycle(graph) == ["leadsync.cli", "leadsync.sla_cli", "leadsync.cli"]
    del graph["leadsync.sla_cli"]
    assert find_cycle(graph) == ["leadsync.options", "leadsync.render", "leadsync.options"]


def test_there_is_one_config_option() -> None:
    definitions = [path.name for path in FOLDER.glob("*.py")
                   if any(isinstance(node, ast.Assign)
                          and any(getattr(t, "id", None) == "ConfigOption" for t in node.targets)
                          for node in ast.walk(ast.parse(path.read_text())))]
    assert definitions == ["options.py"]
