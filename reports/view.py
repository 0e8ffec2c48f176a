"""Small helpers both templates use to show the facts (numbers, check rows, group lookups)."""
from __future__ import annotations

import math

__all__ = ["fmt_num", "fmt_pct", "epoch_num", "check_label", "check_blocks", "check_table", "table_methods",
           "block_parts", "best_record", "accuracy_keys", "eq_label", "VIEW_GLOBALS"]

#: Keys of a check result that describe what was checked, in the order they are shown.
_CHECK_KEYS = ("architecture", "sizes", "activation", "cost", "regularization", "reg")


def fmt_num(x, digits: int = 2) -> str:
    """A relative error or tolerance, always in one format (a column of them lines up):
    ``3.2e-09``, ``1.0e-06``; zero as ``0``; non-numbers as they are."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return "—" if x is None else str(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits - 1}e}"


def epoch_num(key: str, x) -> str:
    """A number of the per-epoch table in its column's one format: seconds with 2 decimals, costs
    with 4."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:.2f}" if key.endswith("seconds") else f"{x:.4f}"


def fmt_pct(x, digits: int = 2) -> str:
    """A fraction as a percentage: 0.9542 -> ``95.42%``."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return "—"
    return f"{100 * x:.{digits}f}%"


def check_label(r: dict) -> str:
    """What a numeric check was about: its architecture, activation, cost (else its id)."""
    parts = []
    for k in _CHECK_KEYS:
        v = r.get(k)
        if v is None or v == "":
            continue
        if isinstance(v, (list, tuple)):
            v = "-".join(map(str, v))
        parts.append(f"{k} {v}" if k in ("regularization", "reg") else str(v))
    return ", ".join(parts)


def check_blocks(r: dict) -> list[tuple[str, object]]:
    """The per-parameter-block errors of a check as (block, max relative error) pairs."""
    blocks = r.get("blocks")
    if not blocks:
        return []
    if isinstance(blocks, dict):
        out = []
        for name, v in blocks.items():
            if isinstance(v, dict):
                v = v.get("max_rel_error", v.get("rel_error", v.get("error")))
            out.append((str(name), v))
        return out
    out = []
    for i, b in enumerate(blocks):
        if isinstance(b, dict):
            name = b.get("name", b.get("block", f"#{i}"))
            out.append((str(name), b.get("max_rel_error", b.get("rel_error", b.get("error")))))
        else:
            out.append((f"#{i}", b))
    return out


def eq_label(equation: str | None) -> str:
    """The book's equation label: ``(2)`` -> ``eq. (2)``; a formula stays as it is."""
    if not equation:
        return ""
    e = str(equation).strip()
    return f"eq. {e}" if e.startswith("(") and e.endswith(")") else e


#: The numeric methods, in the order the tables show them.
METHOD_ORDER = ("complex_step", "central_difference", "central")
METHOD_NAMES = {"complex_step": "complex step", "central_difference": "central difference",
                "central": "central difference"}


def check_table(results: list[dict]) -> list[dict]:
    """Pivot check results to one row per thing checked (architecture, activation, cost, reg).

    Each row: ``sizes``, ``label``, ``methods`` (method -> the result dict), ``blocks`` (block ->
    {method -> max relative error}), ``passed`` (all methods passed).  Rows keep the order of
    first appearance; results without those keys each get a row of their own.
    """
    rows: dict[tuple, dict] = {}
    for i, r in enumerate(results):
        sizes = r.get("sizes") or r.get("architecture")
        sizes_text = "-".join(map(str, sizes)) if isinstance(sizes, (list, tuple)) else (sizes or "")
        what = tuple(r.get(k) for k in ("activation", "cost", "reg"))
        key = (sizes_text, *what) if any(what) or sizes_text else ("#", i)
        row = rows.setdefault(key, {"sizes": sizes_text, "label": " / ".join(
            str(v) for v in what if v not in (None, "")) or str(r.get("id", "")),
            "methods": {}, "blocks": {}, "passed": True, "ids": []})
        m = r.get("method", "?")
        row["methods"][m] = r
        row["ids"].append(r.get("id"))
        row["passed"] = row["passed"] and bool(r.get("passed"))
        for name, v in check_blocks(r):
            row["blocks"].setdefault(name, {})[m] = v
    return list(rows.values())


def table_methods(results: list[dict]) -> list[str]:
    """The methods present in ``results``, in :data:`METHOD_ORDER`."""
    present = list(dict.fromkeys(r.get("method", "?") for r in results))
    return sorted(present, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99)


def block_parts(name: str) -> tuple[str, str]:
    """``"w^2"`` -> ``("w", "2")``; a name without ``^`` -> ``(name, "")``."""
    base, _, sup = str(name).partition("^")
    return base, sup


def best_record(training: dict) -> dict | None:
    """The epoch record of the best epoch (``training["best"]["epoch"]``), or None."""
    best = training.get("best") or {}
    for e in training.get("epochs") or []:
        if e.get("epoch") == best.get("epoch"):
            return e
    return None


def accuracy_keys(training: dict) -> list[str]:
    """The ``<split>_accuracy`` keys of the epoch records, in their order."""
    epochs = training.get("epochs") or []
    return [k for k in (epochs[0] if epochs else {}) if k.endswith("_accuracy")]


#: Keys of a training config that are about the book or bookkeeping, not the run's settings.
_NOT_SETTINGS = ("name", "must_reach", "target", "monitor")


def config_items(config: dict | None) -> list[tuple[str, object]]:
    """The settings of a training run, without the book's figure and bookkeeping keys."""
    return [(k, v) for k, v in (config or {}).items()
            if k not in _NOT_SETTINGS and not k.startswith("book_")]


def by_id(identities: list[dict]) -> dict[str, dict]:
    return {d["id"]: d for d in identities}


VIEW_GLOBALS = {
    "check_table": check_table, "table_methods": table_methods, "block_parts": block_parts,
    "METHOD_NAMES": METHOD_NAMES, "eq_label": eq_label, "best_record": best_record,
    "accuracy_keys": accuracy_keys, "check_label": check_label, "check_blocks": check_blocks,
    "by_id": by_id, "config_items": config_items, "fmt_num": fmt_num, "fmt_pct": fmt_pct,
    "epoch_num": epoch_num,
}
