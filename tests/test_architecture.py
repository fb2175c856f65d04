"""House rules that code review alone would miss."""

from __future__ import annotations

import ast
from importlib.metadata import distribution, requires
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "civitas"
# every package of civitas but the web layer, found on disk: one added later is checked too
DOMAINS = sorted(
    path.parent.name for path in SRC.glob("*/__init__.py") if path.parent.name != "web"
)


def test_every_package_is_checked():
    """The rules below cover the packages named in docs/architecture.md and any new one."""
    assert {"core", "cases", "recycling", "insight", "proactive", "register"} <= set(DOMAINS)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_code_never_imports_the_web_framework(domain):
    offenders = [
        str(path.relative_to(SRC))
        for path in (SRC / domain).rglob("*.py")
        if _imports(path) & {"fastapi", "starlette"}
    ]
    assert offenders == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_code_never_imports_the_web_layer(domain):
    for path in (SRC / domain).rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "civitas.web" not in source, path


# Licences compatible with EUPL-1.2 for a dependency (permissive or weak copyleft).
ALLOWED = (
    "MIT",
    "BSD",
    "Apache",
    "ISC",
    "PSF",
    "Python Software Foundation",
    "LGPL",
    "Unlicense",
    "CC0",
    "MPL",
    "HPND",
    "Zlib",
    "EUPL",
)


MIT_TEXT = "Permission is hereby granted, free of charge"


def _licence(name: str) -> str:
    dist = distribution(name)
    meta: Any = dist.metadata
    expression = meta.get("License-Expression") or ""
    classifiers = " ".join(c for c in meta.get_all("Classifier") or [] if c.startswith("License"))
    texts = [
        (dist.read_text(str(f).split(".dist-info/", 1)[-1]) or "")[:300]
        for f in dist.files or []
        if ".dist-info/" in str(f) and "licen" in str(f).lower()
    ]
    text = " ".join([expression, classifiers, (meta.get("License") or "")[:200], *texts])
    return text.replace(MIT_TEXT, "MIT")


def _runtime_dependencies() -> set[str]:
    seen: set[str] = set()
    todo = [r for r in requires("civitas") or [] if "extra ==" not in r]
    while todo:
        req = todo.pop()
        name = (
            req.split(";")[0]
            .split("[")[0]
            .split(">")[0]
            .split("<")[0]
            .split("=")[0]
            .split("!")[0]
            .strip()
        )
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        try:
            todo.extend(r for r in requires(name) or [] if "extra ==" not in r)
        except Exception:  # an optional marker for another platform, not installed here
            seen.discard(key)
    return seen


def test_runtime_dependencies_have_eupl_compatible_licences():
    unknown = {
        name: _licence(name)
        for name in _runtime_dependencies()
        if not any(a in _licence(name) for a in ALLOWED)
    }
    assert unknown == {}
