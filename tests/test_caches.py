"""Every module-level cache of edi and ercot_sim is in the inventory of docs/performance.md."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_caches() -> list[str]:
    """``module.name`` of every module-level empty dict and ``module.function()`` of every
    function decorated with a functools cache, in edi and ercot_sim."""
    found = []
    for package in ("edi", "ercot_sim"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text()).body:
                value = getattr(node, "value", None)
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Dict) and not value.keys:
                    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    if isinstance(target, ast.Name):
                        found.append(f"{module}.{target.id}")
                if isinstance(node, ast.FunctionDef) and any("cache" in ast.unparse(d) for d in node.decorator_list):
                    found.append(f"{module}.{node.name}()")
    return found


def test_every_module_level_cache_is_in_the_inventory() -> None:
    doc = (ROOT / "docs" / "performance.md").read_text()
    inventory = doc[doc.index("## Module-level caches"):]
    inventory = inventory[:inventory.index("\n## ", 1)]
    caches = module_caches()
    assert len(caches) > 30  # the scan finds them
    missing = [c for c in caches if f"`{c}`" not in inventory]
    assert not missing, f"module-level caches not in docs/performance.md's inventory: {missing}"
