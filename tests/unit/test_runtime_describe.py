"""How "will it run, will it fit" reads on a card: badge words, tooltips with the arithmetic, spec rows."""

from __future__ import annotations

from app.core.characteristics import ModelCharacteristics
from app.core.memory import Budget, Weights, kv_layout, memory_report
from app.core.mlx_support import MlxStatus
from app.core.runtime import RuntimeFacts
from app.core.runtime_describe import runtime_badges, runtime_rows, runtime_spec_items

LLAMA = ModelCharacteristics(model_type="llama", num_hidden_layers=32, num_attention_heads=32,
                             num_key_value_heads=8, head_dim=128, max_position_embeddings=131072)
SUPPORTED = MlxStatus("supported", "llama", "0.32.2", None)


def facts(weights: Weights, budget: int, status: MlxStatus = SUPPORTED, exact: int | None = None) -> RuntimeFacts:
    return RuntimeFacts(status, exact, memory_report(LLAMA, weights, kv_layout(LLAMA), Budget(budget, "test")))


def test_fit_badge_shows_the_arithmetic_of_the_issue() -> None:
    mlx, fit = runtime_badges(facts(Weights(4_500_000_000, "files"), 21_300_000_000))
    assert (mlx.text, mlx.kind) == ("mlx-lm ✓", "runs")
    assert (fit.text, fit.kind, fit.guess) == ("Fits", "fits", False)
    first = fit.tooltip.splitlines()[0]
    assert first == "Fits: weights 4.5 GB + KV cache at 8K 1.1 GB + 0.3 GB = 5.9 GB of 21.3 GB"
    assert "At the full context (128K): Too large" in fit.tooltip
    assert "Largest context that fits: " in fit.tooltip


def test_tight_and_too_large_and_estimated_weights_are_drawn_as_guesses() -> None:
    (_, tight) = runtime_badges(facts(Weights(5_500_000_000, "estimate"), 7_000_000_000))
    assert (tight.text, tight.kind, tight.guess) == ("Tight", "tight", True)
    assert "≈ 5.5 GB" in tight.tooltip and "Weights estimated" in tight.tooltip
    (_, too_large) = runtime_badges(facts(Weights(8_000_000_000, "files"), 7_000_000_000))
    assert (too_large.text, too_large.kind) == ("Too large", "too-large")
    assert "none (the weights alone are too large)" in too_large.tooltip


def test_not_supported_is_a_muted_cross_with_the_reason() -> None:
    status = MlxStatus("unsupported", None, "0.32.2", "mlx-lm 0.32.2 has no 'whisper' architecture")
    mlx, _ = runtime_badges(facts(Weights(10**9, "files"), 10**10, status))
    assert (mlx.text, mlx.kind) == ("mlx-lm ✗", "runs-not")
    assert mlx.tooltip.endswith("mlx-lm 0.32.2 has no 'whisper' architecture")


def test_unknown_kv_gives_no_fit_badge_but_the_specs_say_why() -> None:
    mla = ModelCharacteristics(model_type="deepseek_v3", num_hidden_layers=61)
    rt = RuntimeFacts(SUPPORTED, None, memory_report(mla, Weights(10**9, "files"), kv_layout(mla),
                                                     Budget(10**10, "test")))
    assert [b.text for b in runtime_badges(rt)] == ["mlx-lm ✓"]
    rows = {label: value for label, value, _ in runtime_rows(rt)}
    assert rows["Memory at 8K"] == "Unknown" and rows["Fits up to"] == "unknown"


def test_spec_rows_mark_the_exact_count_exact() -> None:
    items = {i.label: i for i in runtime_spec_items(facts(Weights(10**9, "files"), 10**10, exact=8_030_261_248))}
    assert (items["Exact params"].value, items["Exact params"].source) == ("8,030,261,248", "exact")
    assert (items["mlx-lm"].value, items["mlx-lm"].source) == ("✓ supported (llama)", "0.32.2")
    assert items["Memory at 8K"].value.startswith("Fits · ")
    assert runtime_spec_items(None) == [] and runtime_badges(None) == []


def test_the_parameters_badge_shows_the_exact_count_once_known() -> None:
    from app.core.describe import CardBadge
    from app.core.runtime_describe import with_exact_parameters

    badges = [CardBadge("family", "Llama", ""), CardBadge("params", "8B", "About 8B parameters")]
    exact = with_exact_parameters(badges, facts(Weights(10**9, "files"), 10**10, exact=8_030_261_248))
    assert [b.text for b in exact] == ["Llama", "8B"] and exact[1].tooltip.startswith("8,030,261,248 parameters, exact")
    assert with_exact_parameters(badges, facts(Weights(10**9, "files"), 10**10)) == badges
