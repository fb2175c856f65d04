"""House rules that code review alone would miss."""

from __future__ import annotations

import ast
from importlib.metadata import distribution, requires
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "civitas"
# the parts that are not domains: the core, the shared web layer, the schema's history
NOT_DOMAINS = {"core", "web", "migrations"}
# every package of civitas found on disk: one added later is checked too
PACKAGES = sorted(path.parent.name for path in SRC.glob("*/__init__.py"))
DOMAINS = sorted(set(PACKAGES) - NOT_DOMAINS)
WEB_FRAMEWORK = {"fastapi", "starlette"}


def _modules() -> list[tuple[str, Path]]:
    """Every module of civitas: (dotted name, path)."""
    found = []
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((".".join(parts), path))
    return sorted(found)


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def _is_web(module: str) -> bool:
    """The shared web layer, a domain's web sub-package, or the app built from them."""
    parts = module.split(".")
    return module == "civitas.main" or parts[1:2] == ["web"] or parts[2:3] == ["web"]


def test_every_package_is_checked():
    """The rules below cover every package: the core, the shared web layer and each
    domain, including ones added later (they are found on disk)."""
    assert {"core", "web", "cases", "recycling", "insight", "proactive", "register"} <= set(
        PACKAGES
    )
    checked = {module.split(".")[1] for module, _ in MODULES if "." in module}
    assert set(PACKAGES) <= checked


def test_every_domain_is_installed_and_has_a_manifest():
    """A package of civitas is either a domain on the installed list with its manifest,
    or one of the named non-domains: nothing is wired in by hand."""
    from civitas.core import plugins
    from civitas.installed import INSTALLED

    assert sorted(p.removeprefix("civitas.") for p in INSTALLED) == DOMAINS
    for domain in plugins.domains():
        assert domain.package == f"civitas.{domain.name}"
        assert (SRC / domain.name / "manifest.py").is_file()


@pytest.mark.parametrize("module", [m for m, _ in MODULES], ids=str)
def test_only_the_web_layer_imports_the_web_framework(module):
    """FastAPI and Starlette belong to the shared web layer and the domains' web
    sub-packages; models, services, jobs and the core never need them."""
    path = dict(MODULES)[module]
    used = {name.split(".")[0] for name in _imports(path)} & WEB_FRAMEWORK
    assert not used or _is_web(module), f"{module} imports {used}"


@pytest.mark.parametrize("module", [m for m, _ in MODULES if not _is_web(m)], ids=str)
def test_nothing_outside_the_web_layer_imports_it(module):
    web = sorted(
        name
        for name in _imports(dict(MODULES)[module])
        if name.startswith("civitas.") and _is_web(name)
    )
    assert web == [], f"{module} imports {web}"


@pytest.mark.parametrize("module", [m for m, _ in MODULES if m.startswith("civitas.core")], ids=str)
def test_the_core_imports_no_domain(module):
    """The core knows no domain: domains register with it (plugins, permissions, KPIs,
    events, job kinds), and it finds them through the installed list."""
    named = sorted(
        name
        for name in _imports(dict(MODULES)[module])
        if name.startswith("civitas.")
        and not name.startswith(("civitas.core", "civitas.installed"))
    )
    assert named == [], f"{module} imports {named}"


@pytest.mark.parametrize("module", [m for m, _ in MODULES if _domain_of(m)], ids=str)
def test_domains_never_reach_into_each_others_pages(module):
    """A domain uses another's services and events; its pages and API are its own (a
    panel on another's page goes through civitas.web.plugins)."""
    mine = _domain_of(module)
    theirs = sorted(
        name
        for name in _imports(dict(MODULES)[module])
        if _domain_of(name) not in (None, mine) and name.split(".")[2:3] == ["web"]
    )
    assert theirs == [], f"{module} imports {theirs}"


def test_no_domain_imports_an_optional_one():
    """A city can turn an optional domain off, so no other domain may need it: the others
    learn of it through events and panels only."""
    from civitas.core import plugins

    optional = {d.name for d in plugins.optional_domains()}
    assert "recycling" in optional
    offenders = sorted(
        (module, name)
        for module, path in MODULES
        for name in _imports(path)
        if _domain_of(name) in optional
        and _domain_of(module) != _domain_of(name)
        and module != "civitas.installed"
    )
    assert offenders == []


def test_registration_never_hides_in_an_unused_import():
    """KPIs, subscribers and job kinds are listed in the manifests, not imported for their
    side effect somewhere (``noqa: F401``)."""
    hiding = [str(path.relative_to(SRC)) for _, path in MODULES if "noqa: F401" in path.read_text()]
    assert hiding == []


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
