"""ARCHITECTURE.md stays true: every module it names exists, every service function it
names is defined there, and its contract table lists every import-linter contract."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def test_every_module_the_document_names_exists() -> None:
    named = set(re.findall(r"\b((?:[a-z_]+/)*[a-z_]+\.py)\b", DOC))
    assert len(named) > 20
    for name in sorted(named):
        candidates = [ROOT / "leadtui" / name, ROOT / name, ROOT / "tests" / "unit" / name,
                      *(ROOT / "leadtui").glob(f"*/{name}"),
                      *(ROOT / "leadtui").glob(f"*/*/{name}")]  # fmt: skip
        assert any(path.is_file() for path in candidates), name


def test_the_use_case_table_names_real_functions() -> None:
    rows = re.findall(r"`service/([a-z_]+)\.py`: ([^|]+)\|", DOC)
    assert len(rows) >= 10
    for module, names in rows:
        tree = ast.parse((ROOT / "leadtui" / "service" / f"{module}.py").read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        defined |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip
        for name in re.findall(r"`([A-Za-z_]+)`", names):
            assert name in defined, (module, name)


def test_the_contract_table_lists_every_import_linter_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    for name in contracts:
        assert f"| {name} |" in DOC, name


def test_the_document_lists_exactly_the_store_writes_the_layer_test_guards() -> None:
    layers = (ROOT / "tests" / "unit" / "test_layers.py").read_text(encoding="utf-8")
    guarded = re.search(r"STORE_WRITES = frozenset\(\{([^}]*)\}", layers)
    assert guarded is not None
    store_writes = re.findall(r'"([a-z_]+)"', guarded.group(1))
    listed = re.search(r"nothing calls a `LeadStore` write method\s*\(([^)]*)\)", DOC)
    assert listed is not None
    assert set(re.findall(r"`([a-z_]+)`", listed.group(1))) == set(store_writes)
