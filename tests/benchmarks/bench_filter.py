"""Benchmark: filtering 50,000 model entries while typing, our list model against a QSortFilterProxyModel.

Run: .venv/bin/python tests/benchmarks/bench_filter.py [--entries N] [--repeat K]

The steps are what a person does: type a 6-character query one key at a time ("qwen 4"), then toggle two
filters in the dialog (4-bit, then "at least 32K context"). Each step ends with the Qt model told about
the new rows, so the time is what the GUI thread spends before the view can repaint.

  (a) ours:      the app's own `ModelListModel` (set_entries once, then `set_text_filter` / `set_filter_state`
                 per step): FilterIndex, the rows put in the "name" sort order, pending rows, and the row
                 signals or reset the view gets. Also printed: the same in the Hub's arrival order, and
                 FilterIndex.apply + a minimal model that only resets (what the model adds on top)
  (b) reference: a plain QSortFilterProxyModel whose Python `filterAcceptsRow` runs `matches(state, entry)`
                 and the same text test, over a source list model of the entries (`invalidateFilter()`
                 per step)
  (c) fairer reference: the same proxy, but with the compiled filter, facets and search keys precomputed,
                 so only Qt's one-Python-call-per-row remains (printed for context, not the headline)

Prints `BENCH filter_keystroke_ms` (mean per step, ours), `BENCH filter_ratio` (b / a) and a few more.
`minimal()` keeps the old `make_model` seam: any object with `set_rows(rows: list[int])` that resets a model.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (  # noqa: E402
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.characteristics import ModelCharacteristics  # noqa: E402
from app.core.filter_index import FilterIndex, search_key  # noqa: E402
from app.core.filters import FilterState, Match, compile_filter, evaluate, facets, matches  # noqa: E402
from app.core.model_entry import ConfigStatus, ModelEntry, Source  # noqa: E402
from app.ui.model_list import ModelListModel  # noqa: E402

Index = QModelIndex | QPersistentModelIndex
Step = tuple[FilterState, str]

FAMILIES = [("Qwen", "qwen2", 14), ("Llama", "llama", 12), ("Mistral", "mistral", 8), ("Gemma", "gemma3", 8),
            ("Phi", "phi3", 5), ("DeepSeek", "deepseek_v3", 5), ("GLM", "glm4", 3), ("Granite", "granite", 3),
            ("SmolLM", "llama", 3), ("OLMo", "olmo2", 2), ("Falcon", "falcon", 2), ("InternLM", "internlm2", 2),
            ("Cohere", "cohere2", 2), ("MiniCPM", "minicpm", 2), ("GPT-OSS", "gpt_oss", 2), ("Kimi", "kimi_k2", 1),
            ("Exaone", "exaone", 1), ("Jamba", "jamba", 1), ("Mamba", "mamba2", 1), ("StableLM", "stablelm", 1)]
AUTHORS = ["mlx-community", "lmstudio-community", "unsloth", "bartowski", "someone", "org-ai", "TheBloke"]
QUANTS: list[tuple[float | None, str | None, str | None]] = [
    (4, "affine", None), (4, "affine", None), (8, "affine", None), (3, "affine", None), (6, "affine", None),
    (2, "affine", None), (5, "affine", None), (4, "mxfp4", None), (4, "nvfp4", None), (4, "gptq", None),
    (4, "awq", None), (None, None, "bfloat16"), (None, None, "float16"), (None, None, "float32"),
]
SIZES = [0.5, 1.5, 3, 4, 7, 8, 9, 14, 24, 32, 70, 72, 123, 235, 405, 671]
CONTEXTS = [2048, 4096, 8192, 32768, 40960, 131072, 262144]


def synthetic_entries(n: int, seed: int = 7) -> list[ModelEntry]:
    """Varied families, quantizations, sizes and contexts; a fifth are Hub entries whose config is pending
    (only name-tier guesses: family and quantization, nothing about context, modality or MoE)."""
    rng = random.Random(seed)
    families = [f for f in FAMILIES for _ in range(f[2])]
    entries = []
    for i in range(n):
        family, model_type, _ = rng.choice(families)
        bits, mode, dtype = rng.choice(QUANTS)
        size = rng.choice(SIZES)
        multimodal = rng.random() < 0.15
        moe = rng.random() < 0.1
        quant = f"{bits:g}bit" if bits and mode == "affine" else (mode or dtype or "").upper()
        repo = f"{rng.choice(AUTHORS)}/{family}{rng.randint(1, 4)}-{size:g}B-{'VL-' if multimodal else ''}" \
               f"Instruct-{quant}-{i}"
        pending = rng.random() < 0.2
        if pending:
            c = ModelCharacteristics(architecture_family=family, quantization_bits=bits, quantization_mode=mode)
            entries.append(ModelEntry(id=repo, source=Source.HUB, characteristics=c,
                                      config_status=ConfigStatus.PENDING, gated="auto" if i % 17 == 0 else None))
            continue
        c = ModelCharacteristics(
            model_type=model_type, architecture_family=family, quantization_bits=bits, quantization_mode=mode,
            torch_dtype=dtype or "bfloat16", parameter_count_estimate=int(size * 1e9),
            max_position_embeddings=rng.choice(CONTEXTS), is_multimodal=multimodal,
            multimodal_type=("vision" if rng.random() < 0.8 else "vision-audio") if multimodal else None,
            is_moe=moe, num_experts=64 if moe else None)
        source = Source.LOCAL if i % 5 == 0 else Source.HUB
        entries.append(ModelEntry(id=repo, source=source, characteristics=c, config_status=ConfigStatus.OK))
    return entries


def default_steps() -> list[Step]:
    steps: list[Step] = []
    query = "qwen 4"
    for k in range(1, len(query) + 1):
        steps.append((FilterState(), query[:k]))
    four_bit = FilterState(quantization=frozenset({"4"}))
    steps.append((four_bit, query))
    steps.append((FilterState(quantization=frozenset({"4"}), min_context=32 * 1024), query))
    return steps


def text_ok(words: Sequence[str], key: str) -> bool:
    return all(w in key for w in words)


# --- (a) ours ------------------------------------------------------------------------------------


class RowsModel(QAbstractListModel):
    """The least a list model does with FilterIndex rows: expose them, reset when they change."""

    def __init__(self, entries: Sequence[ModelEntry]) -> None:
        super().__init__()
        self._entries = entries
        self._rows: list[int] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and 0 <= index.row() < len(self._rows):
            return self._entries[self._rows[index.row()]].id
        return None

    def set_rows(self, rows: list[int]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()


class RowsSink(Protocol):
    def set_rows(self, rows: list[int]) -> None: ...

    def rowCount(self) -> int: ...


def ours(entries: Sequence[ModelEntry], steps: Sequence[Step], sort: str = "name") -> tuple[list[float], list[int]]:
    """Seconds per step and rows shown per step, through the app's list model (built once, not timed)."""
    model = ModelListModel()
    model.set_sort(sort)
    model.set_entries(entries)
    times, counts = [], []
    for state, text in steps:
        start = time.perf_counter()
        model.set_filter_state(state)
        model.set_text_filter(text)
        shown = model.rowCount()
        times.append(time.perf_counter() - start)
        counts.append(shown)
    return times, counts


def model_build_seconds(entries: Sequence[ModelEntry]) -> float:
    start = time.perf_counter()
    ModelListModel().set_entries(entries)
    return time.perf_counter() - start


def minimal(entries: Sequence[ModelEntry], steps: Sequence[Step],
            make_model: Callable[[FilterIndex], RowsSink] | None = None) -> tuple[list[float], list[int]]:
    """FilterIndex alone: seconds and rows per step. `make_model` builds what receives the rows (default
    `RowsModel`, which only resets)."""
    index = FilterIndex(entries)
    model = make_model(index) if make_model else RowsModel(index.entries)
    times, counts = [], []
    for state, text in steps:
        start = time.perf_counter()
        result = index.apply(state, text)
        model.set_rows(result.rows)
        shown = model.rowCount()
        times.append(time.perf_counter() - start)
        counts.append(shown)
    return times, counts


# --- (b) and (c): QSortFilterProxyModel -----------------------------------------------------------


class SourceModel(QAbstractListModel):
    def __init__(self, entries: Sequence[ModelEntry]) -> None:
        super().__init__()
        self.entries = entries

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and 0 <= index.row() < len(self.entries):
            return self.entries[index.row()].id
        return None


class PlainProxy(QSortFilterProxyModel):
    """What one writes first: the predicate per row, straight from the entry."""

    def __init__(self, source: SourceModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.entries = source.entries
        self.state = FilterState()
        self.words: list[str] = []

    def set_filter(self, state: FilterState, text: str) -> None:
        self.state, self.words = state, text.lower().split()
        with warnings.catch_warnings():
            # Deprecated in Qt 6.10 for begin/endFilterChange; it is still what most proxies call.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        entry = self.entries[row]
        return matches(self.state, entry) is not Match.NO and text_ok(self.words, search_key(entry))


class TunedProxy(PlainProxy):
    """The proxy with everything precomputed: compiled filter, facets and search keys."""

    def __init__(self, source: SourceModel) -> None:
        super().__init__(source)
        self.facets = [facets(e) for e in self.entries]
        self.keys = [search_key(e, x) for e, x in zip(self.entries, self.facets, strict=True)]
        self.compiled = compile_filter(self.state)

    def set_filter(self, state: FilterState, text: str) -> None:
        self.compiled = compile_filter(state)
        super().set_filter(state, text)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        return evaluate(self.compiled, self.facets[row]) is not Match.NO and text_ok(self.words, self.keys[row])


def proxy(entries: Sequence[ModelEntry], steps: Sequence[Step],
          kind: type[PlainProxy] = PlainProxy) -> tuple[list[float], list[int]]:
    source = SourceModel(entries)
    model = kind(source)
    model.rowCount()  # the proxy maps lazily: build the mapping before timing, as a shown view would
    times, counts = [], []
    for state, text in steps:
        start = time.perf_counter()
        model.set_filter(state, text)
        shown = model.rowCount()
        times.append(time.perf_counter() - start)
        counts.append(shown)
    return times, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of our steps (the best mean is reported)")
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])

    entries = synthetic_entries(args.entries)
    steps = default_steps()
    build_start = time.perf_counter()
    FilterIndex(entries)
    build_ms = (time.perf_counter() - build_start) * 1000

    model_build_ms = model_build_seconds(entries) * 1000

    def best(run: Callable[[], tuple[list[float], list[int]]]) -> tuple[list[float], list[int]]:
        runs = [run() for _ in range(args.repeat)]
        return min((r[0] for r in runs), key=statistics.fmean), runs[0][1]

    our_times, our_counts = best(lambda: ours(entries, steps))
    hub_times, hub_counts = best(lambda: ours(entries, steps, sort="downloads"))
    min_times, min_counts = best(lambda: minimal(entries, steps))
    plain_times, plain_counts = proxy(entries, steps, PlainProxy)
    tuned_times, tuned_counts = proxy(entries, steps, TunedProxy)
    if not (our_counts == hub_counts == min_counts == plain_counts == tuned_counts):
        raise SystemExit(f"results differ: ours {our_counts}, hub order {hub_counts}, index alone {min_counts}, "
                         f"proxy {plain_counts}, tuned proxy {tuned_counts}")

    print(f"{len(entries):,} entries, {len(steps)} steps: " + ", ".join(
        f"{text!r}{'+' + ','.join(k for k, _ in state.chips()) if state.chips() else ''} -> {n}"
        for (state, text), n in zip(steps, our_counts, strict=True)))
    for name, times in (("ours", our_times), ("ours, hub order", hub_times), ("index alone", min_times),
                        ("proxy", plain_times), ("tuned proxy", tuned_times)):
        per_step = " ".join(f"{t * 1000:.1f}" for t in times)
        print(f"  {name:16} mean {statistics.fmean(times) * 1000:8.2f} ms/step   [{per_step}]")
    mean_ours = statistics.fmean(our_times)
    print(f"BENCH filter_index_build_ms {build_ms:.1f}")
    print(f"BENCH filter_model_build_ms {model_build_ms:.1f}")
    print(f"BENCH filter_keystroke_hub_order_ms {statistics.fmean(hub_times) * 1000:.2f}")
    print(f"BENCH filter_keystroke_index_alone_ms {statistics.fmean(min_times) * 1000:.2f}")
    print(f"BENCH filter_keystroke_ms {mean_ours * 1000:.2f}")
    print(f"BENCH filter_keystroke_max_ms {max(our_times) * 1000:.2f}")
    print(f"BENCH filter_proxy_keystroke_ms {statistics.fmean(plain_times) * 1000:.2f}")
    print(f"BENCH filter_ratio {statistics.fmean(plain_times) / mean_ours:.1f}")
    print(f"BENCH filter_ratio_tuned_proxy {statistics.fmean(tuned_times) / mean_ours:.1f}")


if __name__ == "__main__":
    main()
