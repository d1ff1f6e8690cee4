"""The sandbox stays a tool apart: the product never imports it, it imports no product code,
and the wheel does not ship it."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "stripe_sandbox"
TARGET = "stripe_sandbox"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source file imports, including ``from pkg import submodule`` and
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node, module, is_package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return found


def imports_sandbox(modules: set[str]) -> bool:
    return any(m == TARGET or m.startswith(TARGET + ".") for m in modules)


def test_scanner_sees_every_import_form():
    module = "marketplace.licensing.services"
    for source in (
        "import stripe_sandbox",
        "import stripe_sandbox.testing as t",
        "from stripe_sandbox import testing",
        "from stripe_sandbox.resources.crud import router",
        "import importlib\nimportlib.import_module('stripe_sandbox.app')",
        "__import__('stripe_sandbox')",
        "def f():\n    from stripe_sandbox.testing import run_sandbox",
    ):
        assert imports_sandbox(imported_modules(source, module)), source
    for source in (
        "import marketplace.payments",
        "from marketplace import payments",
        "from . import stripe_sandbox",
        "import stripe_sandbox_settings",
        "cmd = ['python', '-m', 'stripe_sandbox']",
    ):
        assert not imports_sandbox(imported_modules(source, module)), source


def product_files() -> list[Path]:
    files = [*(ROOT / "marketplace").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    return sorted(p for p in files if "migrations" not in p.parts)


def test_product_code_never_imports_the_sandbox():
    files = product_files()
    assert files, "no product modules found"
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if imports_sandbox(
            imported_modules(
                path.read_text(), module_name(path), is_package=path.name == "__init__.py"
            )
        )
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "path", sorted(SANDBOX.rglob("*.py")), ids=lambda p: str(p.relative_to(SANDBOX))
)
def test_sandbox_imports_only_the_standard_library(path: Path):
    modules = imported_modules(
        path.read_text(), module_name(path), is_package=path.name == "__init__.py"
    )
    foreign = set()
    for name in modules:
        top = name.split(".")[0]
        if name == TARGET or name.startswith(TARGET + "."):
            continue
        if top in sys.stdlib_module_names or top == "__future__":
            continue
        foreign.add(name)
    # testing.py builds a stripe.StripeClient for tests (lazily, inside client()).
    allowed = {"stripe"} if path.name == "testing.py" else set()
    assert foreign == allowed


def test_the_wheel_ships_the_product_but_not_the_sandbox():
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = find_packages(str(ROOT), include=find["packages"]["find"]["include"])
    assert {"config", "marketplace", "marketplace.payments"} <= set(packages)
    assert [p for p in packages if p.split(".")[0] == TARGET or ".stripe_sandbox" in p] == []
