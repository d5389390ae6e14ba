"""DESIGN.md's map in the code: the import contracts in pyproject.toml hold
(run by import-linter), they would catch the imports they are there to
forbid, and no package reaches into another's views, API or private names.

Adding a package: put its name in the layers contract in pyproject.toml
(a feature goes on the features line); an unlisted package fails here."""

import ast
import copy
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter import api as importlinter_api
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "civicgrid"
# Modules that mount every package: they may import anything.
COMPOSITION_ROOT = {"civicgrid.urls", "civicgrid.api", "civicgrid.asgi", "civicgrid.__main__"}
# A package's entry points: mounted by the composition root, imported by nobody else.
ENTRY_POINTS = ("views", "api", "urls")
# lib is the shared toolkit: its `api` module is helpers for every package's API.
TOOLKIT = {"lib"}


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(  # noqa: S603 (the linter installed beside this interpreter)
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("civicgrid", cache_dir=None)


def layers_contract() -> LayersContract:
    configuration = importlinter_api.read_configuration(str(ROOT / "pyproject.toml"))
    (options,) = [
        contract for contract in configuration["contracts_options"] if contract["id"] == "layers"
    ]
    return LayersContract(
        name=options["name"],
        session_options=configuration["session_options"],
        contract_options=options,
    )


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("civicgrid.lib.flow", "civicgrid.cases.models"),  # the foundation imports a feature
        ("civicgrid.registry.views", "civicgrid.care.models"),  # registry shows a feature's panel
        ("civicgrid.risks.layers", "civicgrid.care.models"),  # one feature imports another
        ("civicgrid.cases.services", "civicgrid.volunteers.models"),  # cases is below volunteers
        ("civicgrid.volunteers.services", "civicgrid.demo.load"),  # nothing imports the demo
    ],
)
def test_the_layers_contract_catches_an_import_that_points_up(graph, importer, imported):
    contract = layers_contract()
    assert contract.check(copy.deepcopy(graph), verbose=False).kept
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported)
    assert not contract.check(broken, verbose=False).kept


def package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def is_entry_point(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 3 and any(
        part == name or part.startswith(f"{name}_") for part in parts[2:] for name in ENTRY_POINTS
    )


def test_no_package_imports_another_packages_views_or_api(graph):
    assert len([module for module in graph.modules if is_entry_point(module)]) > 15
    reaches = sorted(
        f"{importer} -> {imported}"
        for imported in graph.modules
        if is_entry_point(imported) and package_of(imported) not in TOOLKIT
        for importer in graph.find_modules_that_directly_import(imported)
        if importer not in COMPOSITION_ROOT and package_of(importer) != package_of(imported)
    )
    assert reaches == []


def private_names_imported_across_packages(path: Path) -> list[str]:
    package = path.relative_to(SRC).parts[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("civicgrid."):
            continue
        if package_of(node.module) == package:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}"
            for alias in node.names
            if alias.name.startswith("_")
        ]
    return found


def test_no_package_imports_another_packages_private_names():
    sources = [path for path in SRC.rglob("*.py") if "migrations" not in path.parts]
    assert len(sources) > 100
    found = [hit for path in sources for hit in private_names_imported_across_packages(path)]
    assert found == []
