"""The import layering (config/layering.py) is checked by import-linter in the test command
(`python3 dev.py test` runs `lint-imports` first); here: the tree keeps the contracts, and a
deliberately bad import in a copy of it is caught — including in a vertical not yet written."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dev():
    spec = importlib.util.spec_from_file_location("megacity_dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of apps/ and config/ to break."""
    for package in ("apps", "config"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _write(root: Path, module: str, text: str) -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if str(parent) != ".":
            (root / parent / "__init__.py").touch()
    path.write_text(text)


def test_the_tree_keeps_every_contract():
    result = _dev().lint_imports(ROOT, capture=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "text", "broken"),
    [
        # the foundation importing a vertical (as accounts/adapters.py once imported the portal)
        ("apps.accounts.bad_probe", "from apps.portal import services\n", "config above the verticals"),
        # the academy importing its own companions (the admin once imported the roster)
        ("apps.academy.bad_probe", "import apps.roster.exporting\n", "the academy vertical's own layers"),
        # a vertical importing config
        ("apps.roster.bad_probe", "from config.urls import academy\n", "config above the verticals"),
    ],
)
def test_a_bad_import_is_caught(tree, module, text, broken):
    _write(tree, module, text)
    result = _dev().lint_imports(tree, capture=True)
    assert result.returncode == 1, result.stdout
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout
    assert module in result.stdout


def test_a_vertical_to_come_is_covered_from_its_first_commit(tree):
    """A vertical declared in config/layering.py before its package exists (as apps.kzone, the
    zone's K-Zone tutors, was; taken out of this copy again): once its package appears, it may
    not import the academy, nor the academy it, nor the foundation it."""
    from config import layering

    shutil.rmtree(tree / "apps" / "kzone")
    assert "apps.kzone" not in layering.contracts(tree)
    _write(tree, "apps.kzone.services", "from apps.academy.services import billing\n")
    config = layering.contracts(tree)
    assert "apps.kzone" in config
    result = _dev().lint_imports(tree, capture=True)
    assert result.returncode == 1
    assert "the zone vertical imports no other vertical BROKEN" in result.stdout
    assert "the academy vertical imports no other vertical KEPT" in result.stdout

    _write(tree, "apps.kzone.services", "from apps.core.services import invalid\n")
    _write(tree, "apps.ledger.bad_probe", "import apps.kzone.services\n")
    result = _dev().lint_imports(tree, capture=True)
    assert result.returncode == 1
    assert "config above the verticals above the foundation BROKEN" in result.stdout
    assert "apps.ledger.bad_probe" in result.stdout
