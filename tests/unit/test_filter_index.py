"""FilterIndex: the same rows as the plain predicate, however the answer was reached (cached, narrowed,
patched after an update or an append)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.characteristics import ModelCharacteristics
from app.core.filter_index import FilterIndex, FilterResult, search_key
from app.core.filters import PARAM_BUCKETS, QUANT_OPTIONS, FilterState, Match, matches
from app.core.model_entry import ConfigStatus, ModelEntry, Source


def make(repo_id: str, c: ModelCharacteristics | None, *, source: Source = Source.LOCAL,
         status: ConfigStatus = ConfigStatus.OK, gated: str | None = None) -> ModelEntry:
    return ModelEntry(id=repo_id, source=source, characteristics=c, config_status=status, gated=gated)


QWEN_4 = ModelCharacteristics(architecture_family="Qwen", model_type="qwen2", quantization_bits=4,
                              quantization_mode="affine", parameter_count_estimate=7_600_000_000,
                              max_position_embeddings=32768, is_multimodal=False, is_moe=False)
QWEN_8 = ModelCharacteristics(architecture_family="Qwen", model_type="qwen3", quantization_bits=8,
                              quantization_mode="affine", parameter_count_estimate=30_500_000_000,
                              max_position_embeddings=40960, is_multimodal=False, is_moe=True)
LLAMA_BF16 = ModelCharacteristics(architecture_family="Llama", model_type="llama", torch_dtype="bfloat16",
                                  parameter_count_estimate=70_000_000_000, max_position_embeddings=131072,
                                  is_multimodal=False, is_moe=False)
GEMMA_VL = ModelCharacteristics(architecture_family="Gemma", model_type="gemma3", quantization_bits=4,
                                quantization_mode="affine", parameter_count_estimate=12_000_000_000,
                                max_position_embeddings=131072, is_multimodal=True, multimodal_type="vision",
                                is_moe=False)

SAMPLE = [
    make("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_4),
    make("mlx-community/Qwen3-30B-A3B-8bit", QWEN_8),
    make("meta-llama/Llama-3.3-70B-Instruct", LLAMA_BF16, gated="manual"),
    make("mlx-community/gemma-3-12b-it-4bit", GEMMA_VL),
    # A Hub entry guessed from its name: family known, context not yet.
    make("someone/Qwen2-finetune", ModelCharacteristics(architecture_family="Qwen"), source=Source.HUB,
         status=ConfigStatus.PENDING),
]


def ids(index: FilterIndex, result: FilterResult) -> list[str]:
    return [index.entries[r].id for r in result.rows]


def expected(items: list[ModelEntry], state: FilterState, text: str) -> FilterResult:
    """The reference: the plain predicate and word test, entry by entry."""
    words = text.lower().split()
    rows, pending = [], set()
    for r, e in enumerate(items):
        verdict = matches(state, e)
        key = search_key(e)
        if verdict is not Match.NO and all(w in key for w in words):
            rows.append(r)
            if verdict is Match.PENDING:
                pending.add(r)
    return FilterResult(rows, frozenset(pending))


# --- examples --------------------------------------------------------------------------------------


def test_empty_filter_and_no_text_shows_everything_in_order() -> None:
    index = FilterIndex(SAMPLE)
    result = index.apply(FilterState(), "")
    assert ids(index, result) == [e.id for e in SAMPLE]
    assert result.pending == frozenset()


def test_typed_words_match_id_family_and_quantization_words() -> None:
    index = FilterIndex(SAMPLE)
    assert ids(index, index.apply(FilterState(), "qwen 4-bit")) == ["mlx-community/Qwen2.5-7B-Instruct-4bit"]
    # Words in any order, any case; "4bit" and "4-bit" both work.
    assert ids(index, index.apply(FilterState(), "4BIT gemma")) == ["mlx-community/gemma-3-12b-it-4bit"]
    assert ids(index, index.apply(FilterState(), "unquantized")) == ["meta-llama/Llama-3.3-70B-Instruct"]
    assert ids(index, index.apply(FilterState(), "8-bit")) == ["mlx-community/Qwen3-30B-A3B-8bit"]
    assert index.apply(FilterState(), "nothing-like-this").rows == []


def test_pending_rows_are_shown_and_listed_so_the_view_can_dim_them() -> None:
    index = FilterIndex(SAMPLE)
    result = index.apply(FilterState(families=frozenset({"Qwen"}), min_context=32 * 1024), "")
    assert ids(index, result) == ["mlx-community/Qwen2.5-7B-Instruct-4bit", "mlx-community/Qwen3-30B-A3B-8bit",
                                  "someone/Qwen2-finetune"]
    assert result.pending == frozenset({4})
    # Its config lands with a short context: it drops out, and is no longer pending.
    landed = SAMPLE[4].with_changes(characteristics=QWEN_4.__class__(architecture_family="Qwen",
                                                                      max_position_embeddings=4096),
                                    config_status=ConfigStatus.OK)
    index.update(landed)
    result = index.apply(FilterState(families=frozenset({"Qwen"}), min_context=32 * 1024), "")
    assert ids(index, result) == ["mlx-community/Qwen2.5-7B-Instruct-4bit", "mlx-community/Qwen3-30B-A3B-8bit"]
    assert result.pending == frozenset()


def test_family_counts_most_common_first_and_kept_up_to_date() -> None:
    index = FilterIndex(SAMPLE)
    assert index.family_counts() == [("Qwen", 3), ("Gemma", 1), ("Llama", 1)]
    index.remove(["meta-llama/Llama-3.3-70B-Instruct"])
    index.update(SAMPLE[3].with_changes(characteristics=QWEN_4))
    assert index.family_counts() == [("Qwen", 4)]
    index.append([make("x/new-llama", LLAMA_BF16), make("y/other-llama", LLAMA_BF16)])
    assert index.family_counts() == [("Qwen", 4), ("Llama", 2)]


def test_faceted_family_counts_are_given_the_other_sections_and_the_text() -> None:
    index = FilterIndex(SAMPLE)
    four_bit = FilterState(quantization=frozenset({"4"}))
    # The pending Hub entry's quantization is not known yet: it is shown (dimmed), so it counts.
    assert index.faceted_family_counts(four_bit) == {"Qwen": 2, "Gemma": 1}
    # Families ticked in the state do not narrow their own counts.
    assert index.faceted_family_counts(FilterState(families=frozenset({"Llama"}))) == {
        "Qwen": 3, "Gemma": 1, "Llama": 1}
    assert index.faceted_family_counts(FilterState(), "instruct") == {"Qwen": 1, "Llama": 1}
    # Each count is what the list would show with that family alone ticked.
    state = FilterState(min_context=128 * 1024, families=frozenset({"Qwen"}))
    for family, n in index.faceted_family_counts(state).items():
        assert len(index.apply(FilterState(families=frozenset({family}), min_context=128 * 1024)).rows) == n


def test_faceted_counts_leave_the_cached_answer_alone() -> None:
    index = FilterIndex(SAMPLE)
    state = FilterState(families=frozenset({"Qwen"}))
    shown = index.apply(state, "qwen")
    index.faceted_family_counts(FilterState(moe_only=True), "")
    assert index.apply(state, "qwen") is shown


def test_append_of_a_known_id_updates_it_instead_of_duplicating() -> None:
    index = FilterIndex(SAMPLE)
    index.append([SAMPLE[0].with_changes(characteristics=LLAMA_BF16)])
    assert len(index) == len(SAMPLE)
    assert index.entries[0].characteristics == LLAMA_BF16
    assert index.row_of(SAMPLE[0].id) == 0


def test_update_of_an_unknown_id_and_removing_unknown_ids_change_nothing() -> None:
    index = FilterIndex(SAMPLE)
    before = index.apply(FilterState(), "qwen")
    index.update(make("not/here", QWEN_4))
    index.remove(["not/here", "nor/this"])
    assert index.apply(FilterState(), "qwen") == before
    assert len(index) == len(SAMPLE)


def test_results_already_handed_out_do_not_change_under_the_caller() -> None:
    index = FilterIndex(SAMPLE)
    first = index.apply(FilterState(), "qwen")
    rows_before = list(first.rows)
    index.update(SAMPLE[3].with_changes(characteristics=QWEN_4))  # gemma becomes a Qwen: now matches
    index.append([make("z/qwen-more", QWEN_4)])
    assert first.rows == rows_before
    assert ids(index, index.apply(FilterState(), "qwen"))[-3:] == [
        "mlx-community/gemma-3-12b-it-4bit", "someone/Qwen2-finetune", "z/qwen-more"]


# --- properties ------------------------------------------------------------------------------------

FAMILIES = ["Qwen", "Llama", "Gemma", "Mistral"]
NAME_WORDS = ["qwen", "llama", "gemma", "4bit", "8bit", "instruct", "vl", "mlx"]


def _pool(size: int = 80) -> list[ModelCharacteristics | None]:
    """Varied characteristics drawn once (cheap for Hypothesis to pick from; it shrinks towards the first)."""
    rng = random.Random(3)

    def pick(*values: object) -> object:
        return rng.choice(values)

    pool: list[ModelCharacteristics | None] = [None, ModelCharacteristics()]
    for _ in range(size):
        pool.append(ModelCharacteristics(
            architecture_family=pick(*FAMILIES, None), model_type=pick(None, "qwen2", "llama", "gemma3"),
            quantization_bits=pick(None, 2, 3, 4, 8), quantization_mode=pick(None, "affine", "mxfp4", "gptq"),
            parameter_count_estimate=pick(None, 5 * 10**8, 7 * 10**9, 3 * 10**10, 2 * 10**11),
            max_position_embeddings=pick(None, 4096, 32768, 131072),
            is_multimodal=pick(None, True, False), multimodal_type=pick(None, "vision", "vision-audio"),
            is_moe=pick(None, True, False), torch_dtype=pick(None, "bfloat16"),
        ))  # type: ignore[arg-type]
    return pool


POOL = _pool()
characteristics = st.sampled_from(POOL)
kinds = st.sampled_from([(source, status, gated) for source in Source for status in ConfigStatus
                         for gated in (None, "auto")])
names = st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=3).map("-".join)


def entry_lists(max_size: int = 25) -> st.SearchStrategy[list[ModelEntry]]:
    def build(rows: list[tuple[str, ModelCharacteristics | None, tuple[Source, ConfigStatus, str | None]]]
              ) -> list[ModelEntry]:
        return [make(f"org{n % 3}/{name}-{n}", c, source=kind[0], status=kind[1], gated=kind[2])
                for n, (name, c, kind) in enumerate(rows)]

    return st.lists(st.tuples(names, characteristics, kinds), max_size=max_size).map(build)


states = st.builds(
    FilterState,
    families=st.frozensets(st.sampled_from(FAMILIES), max_size=2),
    capability=st.sampled_from(["any", "text", "multimodal"]),
    vision=st.booleans(), audio=st.booleans(),
    quantization=st.frozensets(st.sampled_from(QUANT_OPTIONS), max_size=3),
    parameters=st.frozensets(st.sampled_from([label for label, _, _ in PARAM_BUCKETS]), max_size=3),
    min_context=st.sampled_from([None, 8192, 32768, 131072]),
    moe_only=st.booleans(), hide_gated=st.booleans(),
) | st.just(FilterState())
texts = st.lists(st.sampled_from([*NAME_WORDS, "q", "4", "-bit", "4-bit", "org1", "unquantized", "mxfp4"]),
                 max_size=3).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(entry_lists(), states, texts)
def test_apply_equals_the_plain_predicate(items: list[ModelEntry], state: FilterState, text: str) -> None:
    assert FilterIndex(items).apply(state, text) == expected(items, state, text)


@settings(max_examples=60, deadline=None)
@given(entry_lists(), states, texts, st.randoms(use_true_random=False))
def test_order_independent(items: list[ModelEntry], state: FilterState, text: str, rnd: random.Random) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a, b = FilterIndex(items), FilterIndex(shuffled)
    shown_a, shown_b = a.apply(state, text), b.apply(state, text)
    assert sorted(ids(a, shown_a)) == sorted(ids(b, shown_b))
    assert {a.entries[r].id for r in shown_a.pending} == {b.entries[r].id for r in shown_b.pending}
    assert ids(b, shown_b) == [e.id for e in shuffled if e.id in set(ids(a, shown_a))]  # display order kept


@settings(max_examples=60, deadline=None)
@given(entry_lists(), states, texts)
def test_clearing_restores_the_full_set(items: list[ModelEntry], state: FilterState, text: str) -> None:
    index = FilterIndex(items)
    index.apply(state, text)
    cleared = state
    for key, _ in state.chips():
        cleared = cleared.without(key)
    result = index.apply(cleared, "")
    assert result.rows == list(range(len(items)))
    assert result.pending == frozenset()


@settings(max_examples=60, deadline=None)
@given(entry_lists(), states, texts, texts)
def test_typing_one_key_at_a_time_equals_filtering_from_scratch(
        items: list[ModelEntry], state: FilterState, start: str, more: str) -> None:
    final = f"{start} {more}".strip()
    index = FilterIndex(items)
    for k in range(len(final) + 1):
        assert index.apply(state, final[:k]) == expected(items, state, final[:k])
    # And backspacing all the way (widening) too.
    for k in range(len(final), -1, -1):
        assert index.apply(state, final[:k]) == expected(items, state, final[:k])


@settings(max_examples=60, deadline=None)
@given(entry_lists(max_size=15), states, states, texts, st.data())
def test_toggling_filters_while_text_stays(items: list[ModelEntry], a: FilterState, b: FilterState, text: str,
                                           data: st.DataObject) -> None:
    index = FilterIndex(items)
    for state in (a, b, FilterState(), a):
        assert index.apply(state, text) == expected(items, state, text)


@settings(max_examples=80, deadline=None)
@given(entry_lists(), states, texts, st.data())
def test_update_of_one_entry_equals_rebuilding(items: list[ModelEntry], state: FilterState, text: str,
                                               data: st.DataObject) -> None:
    if not items:
        return
    index = FilterIndex(items)
    other = data.draw(states)
    index.apply(other, "")  # a cached text-free answer for some state
    index.apply(state, text)  # and the answer the update must patch
    row = data.draw(st.integers(0, len(items) - 1))
    new = items[row].with_changes(characteristics=data.draw(st.one_of(st.none(), characteristics)),
                                  config_status=data.draw(st.sampled_from(list(ConfigStatus))))
    index.update(new)
    changed = [*items[:row], new, *items[row + 1:]]
    rebuilt = FilterIndex(changed)
    for s, t in ((state, text), (other, ""), (other, text), (state, "")):
        assert index.apply(s, t) == rebuilt.apply(s, t) == expected(changed, s, t)
    assert index.family_counts() == rebuilt.family_counts()


@settings(max_examples=60, deadline=None)
@given(entry_lists(), entry_lists(max_size=8), states, texts, st.data())
def test_append_and_remove_equal_rebuilding(items: list[ModelEntry], page: list[ModelEntry], state: FilterState,
                                            text: str, data: st.DataObject) -> None:
    page = [e.with_changes(id=f"page/{e.id}") for e in page]
    index = FilterIndex(items)
    index.apply(FilterState(), text)
    index.apply(state, text)
    index.append(page)
    assert index.apply(state, text) == expected(items + page, state, text)
    everything = items + page
    gone = data.draw(st.sets(st.sampled_from([e.id for e in everything]))) if everything else set()
    index.remove(gone)
    left = [e for e in everything if e.id not in gone]
    assert [e.id for e in index.entries] == [e.id for e in left]
    assert index.apply(state, text) == expected(left, state, text)
    assert index.family_counts() == FilterIndex(left).family_counts()
