"""How "will it run, will it fit" reads: two badges, a few spec rows, and their tooltips."""

from __future__ import annotations

from app.core import formatting
from app.core.describe import CardBadge, SpecItem
from app.core.memory import FITS, TIGHT, TOO_LARGE, Fit, MemoryReport
from app.core.mlx_support import REMAPPED, SUPPORTED, TEXT_ONLY, UNKNOWN, MlxStatus
from app.core.runtime import RuntimeFacts

# Badge kinds (colours are the painter's business): runs / runs-not; fits / tight / too-large.
FIT_KINDS = {FITS: "fits", TIGHT: "tight", TOO_LARGE: "too-large"}
FIT_WORDS = {FITS: "Fits", TIGHT: "Tight", TOO_LARGE: "Too large"}
SOURCE = "mlx-lm"  # the spec rows' source word


def status_words(s: MlxStatus) -> str:
    """One line: "✓ supported (qwen2)", "✗ mlx-lm 0.32.2 has no 'whisper' architecture"."""
    if s.status == SUPPORTED:
        return f"✓ supported ({s.module})"
    if s.status == REMAPPED:
        return f"✓ supported as {s.module}"
    if s.status == TEXT_ONLY:
        return f"✓ text only ({s.module})"
    return f"✗ {s.reason or s.status}"


def mlx_badge(s: MlxStatus) -> CardBadge:
    version = f"mlx-lm {s.version}" if s.version else "mlx-lm"
    if s.status == UNKNOWN:
        return CardBadge("runs-not", "mlx-lm ?", f"Cannot tell whether {version} runs it: {s.reason}")
    if s.runs:
        words = f"Runs with {version}"
        if s.module:
            words += f" (its '{s.module}' model code)"
        if s.reason:
            words += f": {s.reason}"
        return CardBadge("runs", "mlx-lm ✓", words)
    return CardBadge("runs-not", "mlx-lm ✗", f"Does not run with {version} as is: {s.reason or s.status}")


def fit_at_words(report: MemoryReport, fit: Fit) -> str:
    return f"{FIT_WORDS.get(fit.verdict, 'Unknown')}: {report.arithmetic(fit)}"


def fit_tooltip(report: MemoryReport) -> str:
    lines = [fit_at_words(report, report.at_default)]
    if report.at_full.tokens and report.at_full.tokens != report.at_default.tokens:
        lines.append(f"At the full context ({formatting.context(report.at_full.tokens)}): "
                     f"{fit_at_words(report, report.at_full)}")
    lines.append(max_context_words(report))
    lines.append(f"Budget: {report.budget.source}")
    if report.weights.source == "estimate":
        lines.append("Weights estimated from the parameters and bits per weight (scales and biases included)")
    if report.kv.unknown_reason:
        lines.append(f"KV cache unknown: {report.kv.unknown_reason}")
    return "\n".join(lines)


def max_context_words(report: MemoryReport) -> str:
    tokens = report.max_context_that_fits
    if tokens is None:
        return "Largest context that fits: unknown"
    if tokens == 0:
        return "Largest context that fits: none (the weights alone are too large)"
    if report.at_full.tokens and tokens >= report.at_full.tokens:
        return f"The full context ({tokens:,} tokens) fits"
    return f"Largest context that fits: {tokens:,} tokens ({formatting.context(tokens)})"


def fit_badge(report: MemoryReport) -> CardBadge | None:
    fit = report.at_default
    kind = FIT_KINDS.get(fit.verdict)
    if kind is None:
        return None  # "unknown" is said in the specs, not shouted on every card
    return CardBadge(kind, FIT_WORDS[fit.verdict], fit_tooltip(report), guess=report.weights.source == "estimate")


def with_exact_parameters(badges: list[CardBadge], rt: RuntimeFacts | None) -> list[CardBadge]:
    """The parameters badge shows the exact count once mlx-lm has built the model (the estimate stays the
    fallback): measured beats estimated."""
    if rt is None or not rt.exact_parameters:
        return badges
    exact = rt.exact_parameters
    text = formatting.params(exact) or f"{exact:,}"
    words = f"{exact:,} parameters, exact: counted on mlx-lm {rt.mlx.version}'s own model, built from the config"
    return [CardBadge("params", text, words) if b.kind == "params" else b for b in badges]


def runtime_badges(rt: RuntimeFacts | None) -> list[CardBadge]:
    if rt is None:
        return []
    result = [mlx_badge(rt.mlx)]
    if rt.memory is not None:
        badge = fit_badge(rt.memory)
        if badge is not None:
            result.append(badge)
    return result


def short_fit(report: MemoryReport, fit: Fit) -> str:
    """ "Fits · 5.9 of 21.3 GB" """
    word = FIT_WORDS.get(fit.verdict, "Unknown")
    if fit.bytes is None:
        return word
    return f"{word} · {fit.bytes / 1e9:.1f} of {report.budget.bytes / 1e9:.1f} GB"


def runtime_rows(rt: RuntimeFacts) -> list[tuple[str, str, str]]:
    """(label, short value, the whole sentence) rows, for specs and `inspect`."""
    rows = [("mlx-lm", status_words(rt.mlx), mlx_badge(rt.mlx).tooltip)]
    if rt.exact_parameters:
        rows.append(("Exact params", f"{rt.exact_parameters:,}",
                     f"{rt.exact_parameters:,} parameters, exact: counted on mlx-lm {rt.mlx.version}'s own "
                     "model, built from the config without weights"))
    report = rt.memory
    if report is not None:
        at = formatting.context(report.at_default.tokens) or "?"
        rows.append((f"Memory at {at}", short_fit(report, report.at_default),
                     fit_at_words(report, report.at_default)))
        full = report.at_full
        if full.tokens and full.tokens != report.at_default.tokens:
            rows.append((f"Memory at {formatting.context(full.tokens)}", short_fit(report, full),
                         fit_at_words(report, full)))
        words = max_context_words(report)
        tokens = report.max_context_that_fits
        short = "unknown" if tokens is None else "none" if tokens == 0 else (
            "full context" if full.tokens and tokens >= full.tokens else f"{tokens:,} tokens")
        rows.append(("Fits up to", short, f"{words}. Budget: {report.budget.source}"))
    return rows


def runtime_spec_items(rt: RuntimeFacts | None) -> list[SpecItem]:
    if rt is None:
        return []
    # The source word: the mlx-lm version that answered, "exact" for its count, "derived" for the arithmetic.
    sources = {"mlx-lm": rt.mlx.version or SOURCE, "Exact params": "exact"}
    return [SpecItem(label, value, sources.get(label, "derived"), note) for label, value, note in runtime_rows(rt)]
