"""Calls between apps go one way. This test reads every product module's imports (with `ast`,
lazy imports inside functions included) and fails on one that goes against the layering:

    core  <  accounts  <  talent  <  crew  <  catalogue  <  licensing
          <  contracts | payments | webhooks  <  provenance  <  approvals | misuse  <  dashboards

- **Domain modules** (models, services, selectors, tasks, events, notifications, … — anything
  that is not a front door) import only their own app and the apps *below* them. Apps on the
  same step (contracts, payments, webhooks) do not import each other. Licensing tells the
  apps above it what happened through `licensing.events` (they subscribe in
  `AppConfig.ready()`); it never imports them, and nothing asks `apps.is_installed`.
- **Front doors** (views, `api/`, urls, forms, admin, templatetags, context processors,
  middleware, management commands; in core: `core.api` and `core.views`, the kit the others
  build on) sit on top: they may import the domain modules of any app, their own app's front
  doors and the core front-door kit, but never another app's front doors. No domain module
  imports a front door.
- `UPWARDS` lists the imports that still go the wrong way, each with its reason; the list
  only shrinks.
- Annotation-only imports (`if TYPE_CHECKING:`) follow the same rules, except the ones listed
  in `TYPE_ONLY` with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"

LAYERS: list[set[str]] = [
    {"core"},
    {"accounts"},
    {"talent"},
    {"crew"},
    {"catalogue"},
    {"licensing"},
    {"contracts", "payments", "webhooks"},
    {"provenance"},
    {"approvals", "misuse"},
    {"dashboards"},
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}

FRONT_DOOR_FILES = {
    "views.py",
    "urls.py",
    "forms.py",
    "admin.py",
    "context_processors.py",
    "middleware.py",
}
FRONT_DOOR_PACKAGES = {"api", "views", "templatetags", "management"}
# Core's shared front-door kit: the API base classes, authentication and idempotency, and the
# site's own pages.
CORE_KIT = {("core", "api"), ("core", "views")}

# Imports that still go the wrong way ("importer module", "imported app"), each with its reason.
UPWARDS: set[tuple[str, str]] = set()

# Annotation-only imports against the layering, each with its reason.
TYPE_ONLY = {
    # The viewer may be a model (talent) signed in; accounts reads the profile through the
    # user's reverse relation at run time and names the class only for the type checker.
    ("marketplace.accounts.tenancy", "marketplace.talent.models"),
}


@dataclass(frozen=True)
class Module:
    name: str  # marketplace.licensing.services
    app: str
    front_door: bool
    core_kit: bool


def module_of(dotted: str) -> Module | None:
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] != "marketplace" or parts[1] not in LEVEL:
        return None
    app, rest = parts[1], parts[2:]
    first = rest[0] if rest else ""
    front = f"{first}.py" in FRONT_DOOR_FILES or first in FRONT_DOOR_PACKAGES
    return Module(dotted, app, front, (app, first) in CORE_KIT)


def product_modules() -> list[tuple[Module, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        module = module_of(".".join(parts))
        if module is not None:
            found.append((module, path))
    return found


def imports(path: Path, module: Module) -> list[tuple[str, int, bool]]:
    """(imported module, line, annotation-only) for every import, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    if hasattr(inner, "lineno"):
                        type_only_lines.add(inner.lineno)
    package = module.name if path.name == "__init__.py" else module.name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from marketplace.licensing import events` imports the module `events`.
            names = [f"{target}.{alias.name}" for alias in node.names] + [target]
        else:
            continue
        for name in names:
            found.append((name, node.lineno, node.lineno in type_only_lines))
    return found


def violation(importer: Module, imported: Module) -> str | None:
    if imported.app == importer.app:
        if imported.front_door and not importer.front_door:
            return "a domain module imports a front door"
        return None
    if importer.front_door:
        if imported.front_door and not imported.core_kit:
            return "a front door imports another app's front door"
        return None
    if imported.front_door:
        return "a domain module imports a front door"
    if LEVEL[imported.app] >= LEVEL[importer.app]:
        return f"{importer.app} imports {imported.app}, which is not below it"
    return None


def layering_violations() -> list[str]:
    problems = []
    for module, path in product_modules():
        seen: set[tuple[str, int]] = set()
        for name, line, type_only in imports(path, module):
            imported = module_of(name)
            if imported is None or (imported.app, line) in seen:
                continue
            why = violation(module, imported)
            if why is None or (module.name, imported.app) in UPWARDS:
                continue
            if type_only and any(
                module.name == importer and (name == target or name.startswith(target + "."))
                for importer, target in TYPE_ONLY
            ):
                continue
            seen.add((imported.app, line))
            problems.append(f"{path.relative_to(ROOT)}:{line}: {name}: {why}")
    return problems


def test_every_app_is_on_a_layer():
    apps = {
        path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "apps.py").exists()
    }

    assert apps == set(LEVEL)


def test_calls_between_apps_go_one_way():
    assert layering_violations() == []


def test_every_known_upward_import_is_still_there():
    """An exception that is no longer needed is struck off the list."""
    still = {
        (module.name, imported.app)
        for module, path in product_modules()
        for name, _, _ in imports(path, module)
        if (imported := module_of(name)) is not None
    }

    assert still >= UPWARDS


def test_nothing_asks_whether_an_app_is_installed():
    asking = [
        f"{path.relative_to(ROOT)}"
        for _, path in product_modules()
        if "is_installed" in path.read_text()
    ]

    assert asking == []
