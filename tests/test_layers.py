"""The flow in the tree: read → scan → resolve → enrich → write, and no module imports one later in it.

Every import in the package (lazy ones inside functions included) is read with ``ast`` and checked against
the layer of the stage it names. ``resolver/__init__.py`` (the public API) gathers from every stage and is
the one exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "resolver"

# Beneath the stages: the values that flow, then the seams and the registry every stage may use.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"models", "errors", "defaults", "data_files"}),
    frozenset({"net", "platforms", "store"}),  # the HTTP seam, the platform registry, the cache
    frozenset({"read"}),
    frozenset({"scan"}),
    frozenset({"resolve"}),
    frozenset({"enrich"}),
    frozenset({"archive"}),
    frozenset({"write"}),
    frozenset({"pipeline"}),
    frozenset({"cluster"}),
    frozenset({"cli", "__main__"}),
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def _room(module: str) -> str:
    """The stage a dotted module (relative to the package) belongs to: its first component."""
    return module.split(".", 1)[0]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts == ["__init__"]:
            continue  # the public API
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Every resolver module ``module`` imports (relative to the package), with the line of the import."""
    package = module.split(".")[:-1]  # "scan.html" and "scan.__init__" both live in package "scan"
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if target:
                found.append((target, node.lineno))
            else:  # "from .. import defaults": each name is a module of the package (or its version)
                found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "resolver":
            found.append((node.module.removeprefix("resolver").lstrip("."), node.lineno))
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("resolver.")]
            found += [(name.removeprefix("resolver."), node.lineno) for name in names]
    return found


def test_every_room_has_a_layer() -> None:
    rooms = {_room(module) for module, _ in _modules()}
    assert rooms - set(LAYER_OF) == set(), "a new stage must be given its place in LAYERS"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_no_module_imports_a_later_stage(module: str, path: Path) -> None:
    mine = LAYER_OF[_room(module)]
    later = [
        f"line {line}: {target}"
        for target, line in _imports(module, path)
        if target and _room(target) in LAYER_OF and LAYER_OF[_room(target)] > mine
    ]
    assert later == [], f"{module} (layer {mine}) imports later stages"


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The check is not vacuous: a scan module importing the resolver is caught."""
    fake = tmp_path / "bad.py"
    fake.write_text("def f():\n    from ..resolve.hops import resolve_url\n")
    targets = [t for t, _ in _imports("scan.bad", fake)]
    assert targets == ["resolve.hops"]
    assert LAYER_OF[_room(targets[0])] > LAYER_OF["scan"]
