"""The list model: qtmodeltester, exact dataChanged roles, filtering, sorting, fetching more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.core.characteristics import extract_characteristics
from app.core.filter_index import search_key
from app.core.filters import FilterState, Match, matches
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, ModelEntry
from app.ui.model_list import PENDING_TOOLTIP, SORT_KEYS, ModelListModel
from app.ui.roles import CHARACTERISTICS_ROLE, ENTRY_ROLE, EXPANDED_ROLE, PENDING_ROLE, STATS_ROLE, STATUS_ROLE
from tests.ui.cardsamples import NOW, QWEN_CONFIG, hub, local, many, samples, variety


class Recorder:
    """Collects (signal, args) of a model so tests can assert exactly what a view was told."""

    def __init__(self, model: ModelListModel) -> None:
        self.events: list[tuple[str, tuple[object, ...]]] = []
        model.dataChanged.connect(lambda a, b, roles: self.events.append(
            ("changed", (a.row(), b.row(), sorted(int(r) for r in roles)))))
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("inserted", (a, b))))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("removed", (a, b))))
        model.modelReset.connect(lambda: self.events.append(("reset", ())))
        model.layoutChanged.connect(lambda *_: self.events.append(("layout", ())))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


def ids(model: ModelListModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_model_passes_qtmodeltester_through_every_change(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ModelListModel()
    qtmodeltester.check(model)
    model.set_entries(many(40))
    qtmodeltester.check(model)
    model.set_text_filter("qwen")
    qtmodeltester.check(model)
    model.append_entries(many(60)[40:])
    qtmodeltester.check(model)
    first = model.entry_at(0)
    assert first is not None
    model.update_entry(first.with_changes(size_on_disk=1))
    model.set_sort("size")
    model.remove_ids([first.id])
    model.set_text_filter("")
    qtmodeltester.check(model)


def test_data_answers_entry_id_tooltip_and_never_raises() -> None:
    model = ModelListModel()
    model.set_entries(samples())
    index = model.index(0, 0)
    entry = index.data(ENTRY_ROLE)
    assert isinstance(entry, ModelEntry)
    assert index.data(Qt.ItemDataRole.DisplayRole) == entry.id
    assert entry.id in index.data(Qt.ItemDataRole.ToolTipRole)
    assert model.data(QModelIndex(), ENTRY_ROLE) is None
    assert model.data(model.createIndex(99, 0), ENTRY_ROLE) is None
    assert model.entry_at(-1) is None and model.entry_at(99) is None


def test_config_landing_changes_only_the_characteristics_and_status_roles() -> None:
    guess = hub("mlx-community/Qwen2.5-7B-Instruct-4bit")
    other = hub("mlx-community/other-model-8bit")
    model = ModelListModel()
    model.set_entries([guess, other])
    recorder = Recorder(model)
    model.update_entry(with_config(guess, extract_characteristics(QWEN_CONFIG)))
    row = model.row_of(guess.id)
    assert recorder.events == [("changed", (row, row, sorted(int(r) for r in (
        ENTRY_ROLE, CHARACTERISTICS_ROLE, STATUS_ROLE, Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole))))]


def test_size_landing_changes_only_the_stats_roles_and_an_equal_entry_changes_nothing() -> None:
    entry = local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG, size=None)
    model = ModelListModel()
    model.set_entries([entry])
    recorder = Recorder(model)
    model.update_entry(entry.with_changes())  # equal: nothing to repaint
    assert recorder.events == []
    model.update_entry(entry.with_changes(size_on_disk=4_300_000_000))
    (kind, (first, last, roles)), = recorder.events
    assert (kind, first, last) == ("changed", 0, 0)
    assert STATS_ROLE in roles and ENTRY_ROLE in roles
    assert CHARACTERISTICS_ROLE not in roles and STATUS_ROLE not in roles


def test_update_entries_coalesces_consecutive_rows_into_one_signal() -> None:
    entries = many(20)
    model = ModelListModel()
    model.set_entries(entries)
    model.set_sort("downloads")  # server order: rows follow the list
    recorder = Recorder(model)
    model.update_entries([e.with_changes(likes=7) for e in entries[:10]] + [entries[15].with_changes(likes=7)])
    changed = [args for kind, args in recorder.events if kind == "changed"]
    assert [(a, b) for a, b, _ in changed] == [(0, 9), (15, 15)]


def test_unknown_ids_are_ignored_by_updates_and_removals() -> None:
    model = ModelListModel()
    model.set_entries(samples())
    recorder = Recorder(model)
    model.update_entry(hub("nobody/unknown-1B"))
    model.remove_ids(["nobody/unknown-1B"])
    assert recorder.events == []
    assert model.total_count() == len(samples())


def test_append_inserts_one_batch_at_the_end_and_updates_known_ids() -> None:
    first_page = [hub(f"org/model-{i}") for i in range(5)]
    model = ModelListModel()
    model.set_sort("trending")
    model.set_entries(first_page)
    recorder = Recorder(model)
    counts: list[tuple[int, int]] = []
    model.count_changed.connect(lambda shown, total: counts.append((shown, total)))
    second = [hub(f"org/model-{i}") for i in range(5, 9)] + [first_page[0].with_changes(likes=1)]
    model.append_entries(second)
    inserted = [args for kind, args in recorder.events if kind == "inserted"]
    assert inserted == [(5, 8)]
    assert ids(model)[5:] == [f"org/model-{i}" for i in range(5, 9)]
    entry = model.entry_at(0)
    assert entry is not None and entry.likes == 1
    assert counts == [(9, 9)]


def test_text_filter_matches_id_substrings_and_family_or_quant_words() -> None:
    llama = local("acme/house-model", {"model_type": "llama", "quantization": {"bits": 4, "group_size": 64}})
    qwen = local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)
    plain = local("acme/plain-fp16", {"model_type": "mistral"})
    model = ModelListModel()
    model.set_entries([llama, qwen, plain])
    counts: list[tuple[int, int]] = []
    model.count_changed.connect(lambda shown, total: counts.append((shown, total)))
    model.set_text_filter("QWEN2.5")  # case-insensitive id substring
    assert ids(model) == [qwen.id]
    model.set_text_filter("llama 4bit")  # family word + quant word, neither in the id
    assert ids(model) == [llama.id]
    model.set_text_filter("4-bit")
    assert set(ids(model)) == {llama.id, qwen.id}
    model.set_text_filter("")
    assert model.rowCount() == 3
    assert counts == [(1, 3), (2, 3), (3, 3)]


def test_an_update_that_no_longer_matches_the_filter_removes_the_row() -> None:
    entry = hub("org/mystery")
    model = ModelListModel()
    model.set_entries([entry, hub("org/other")])
    model.set_text_filter("gemma")
    assert model.rowCount() == 0
    # The config lands and says it is a Gemma: the card appears.
    model.update_entry(with_config(entry, extract_characteristics({"model_type": "gemma3_text"})))
    assert ids(model) == ["org/mystery"]


def test_local_sort_keys_reorder_and_the_selection_follows_its_entry() -> None:
    small = local("b/small", QWEN_CONFIG, size=1_000, used_days=1)
    big = local("c/big", QWEN_CONFIG, size=9_000, used_days=30)
    unknown = local("a/unknown", QWEN_CONFIG, size=None, used_days=None)
    model = ModelListModel()
    model.set_entries([small, big, unknown])
    assert ids(model) == ["c/big", "b/small", "a/unknown"]  # by name (the part after the publisher)
    held = QPersistentModelIndex(model.index(0, 0))  # c/big, as a selection would hold it
    model.set_sort("last_used")
    assert ids(model) == ["b/small", "c/big", "a/unknown"]
    assert held.data() == "c/big"
    model.set_sort("size")
    assert ids(model) == ["c/big", "b/small", "a/unknown"]  # biggest first, unknown sizes last
    assert held.data() == "c/big"


def test_hub_sort_keys_keep_the_server_order() -> None:
    page = [hub("z/last"), hub("a/first"), hub("m/middle")]
    model = ModelListModel()
    model.set_sort("downloads")
    model.set_entries(page)
    assert ids(model) == ["z/last", "a/first", "m/middle"]
    assert model.sort_key == "downloads"
    with pytest.raises(ValueError):
        model.set_sort("random")
    assert set(SORT_KEYS) >= {"name", "size", "last_used", "downloads", "likes", "trending", "updated", "created"}


def test_sizes_landing_under_the_size_sort_move_the_rows() -> None:
    a = local("o/a", QWEN_CONFIG, size=None)
    b = local("o/b", QWEN_CONFIG, size=5)
    model = ModelListModel()
    model.set_entries([a, b])
    model.set_sort("size")
    assert ids(model) == ["o/b", "o/a"]
    model.update_entries([a.with_changes(size_on_disk=50)])
    assert ids(model) == ["o/a", "o/b"]


def test_fetch_more_asks_once_until_the_next_page_lands(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ModelListModel()
    model.set_entries([hub("o/one")])
    assert not model.canFetchMore(QModelIndex())
    model.set_can_fetch_more(True)
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.more_requested, timeout=1000):
        model.fetchMore(QModelIndex())
    asked: list[bool] = []
    model.more_requested.connect(lambda: asked.append(True))
    model.fetchMore(QModelIndex())  # already asked: nothing more
    assert asked == [] and not model.canFetchMore(QModelIndex())
    model.append_entries([hub("o/two")])
    model.fetchMore(QModelIndex())
    assert asked == [True]


def test_remove_ids_removes_rows_in_runs_and_reports_counts() -> None:
    entries = many(10)
    model = ModelListModel()
    model.set_sort("downloads")
    model.set_entries(entries)
    recorder = Recorder(model)
    counts: list[tuple[int, int]] = []
    model.count_changed.connect(lambda shown, total: counts.append((shown, total)))
    model.remove_ids([entries[2].id, entries[3].id, entries[7].id])
    assert [args for kind, args in recorder.events if kind == "removed"] == [(7, 7), (2, 3)]
    assert counts == [(7, 7)]
    assert entries[2].id not in ids(model)
    assert model.row_of(entries[8].id) == 5


def test_expanding_emits_only_the_expanded_role() -> None:
    model = ModelListModel()
    model.set_entries(samples())
    recorder = Recorder(model)
    entry = model.entry_at(2)
    assert entry is not None
    model.toggle_expanded(2)
    assert model.is_expanded(entry.id)
    assert model.index(2, 0).data(EXPANDED_ROLE) is True
    model.set_expanded(entry.id, True)  # already open: no signal
    model.set_expanded(entry.id, False)
    assert recorder.events == [("changed", (2, 2, [int(EXPANDED_ROLE)])), ("changed", (2, 2, [int(EXPANDED_ROLE)]))]


def test_visible_ids_and_lookups() -> None:
    entries = many(8)
    model = ModelListModel()
    model.set_sort("likes")
    model.set_entries(entries)
    assert model.visible_ids(2, 4) == [e.id for e in entries[2:5]]
    assert model.visible_ids(6, 100) == [e.id for e in entries[6:]]
    assert model.visible_ids(5, 3) == []
    assert model.row_of(entries[3].id) == 3 and model.row_of("x/none") is None
    assert [e.id for e in model.all_entries()] == [e.id for e in entries]
    assert model.total_count() == 8


def test_last_used_sort_puts_recent_first() -> None:
    old = local("o/old", QWEN_CONFIG).with_changes(last_accessed=NOW - timedelta(days=90))
    new = local("o/new", QWEN_CONFIG).with_changes(last_accessed=NOW)
    model = ModelListModel()
    model.set_sort("last_used")
    model.set_entries([old, new])
    assert ids(model) == ["o/new", "o/old"]


_POOL = many(24)
_WORDS = ["", "qwen", "4bit", "broken", "gemma vision", "mlx", "llama gated", "-0001"]
_op = st.one_of(
    st.tuples(st.just("set"), st.lists(st.integers(0, 23), max_size=12)),
    st.tuples(st.just("append"), st.lists(st.integers(0, 23), max_size=6)),
    st.tuples(st.just("update"), st.lists(st.tuples(st.integers(0, 23), st.integers(0, 10**10)), max_size=6)),
    st.tuples(st.just("remove"), st.lists(st.integers(0, 23), max_size=4)),
    st.tuples(st.just("filter"), st.sampled_from(_WORDS)),
    st.tuples(st.just("sort"), st.tuples(st.sampled_from(SORT_KEYS), st.booleans())),
    st.tuples(st.just("state"), st.sampled_from([
        FilterState(), FilterState(families=frozenset({"Qwen"})), FilterState(quantization=frozenset({"4"})),
        FilterState(min_context=32 * 1024), FilterState(hide_gated=True, capability="multimodal")])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, max_size=12))
def test_rows_always_match_a_plain_filter_and_sort_of_the_entries(qtmodeltester, ops) -> None:  # type: ignore[no-untyped-def]
    from app.core.sorting import sort_entries

    model = ModelListModel()
    qtmodeltester.check(model)  # stays attached: every signal below is checked as it happens
    arrival: dict[str, ModelEntry] = {}
    for kind, arg in ops:
        if kind == "set":
            arrival = {_POOL[i].id: _POOL[i] for i in arg}
            model.set_entries([_POOL[i] for i in arg])
        elif kind == "append":
            for i in arg:
                arrival[_POOL[i].id] = _POOL[i]
            model.append_entries([_POOL[i] for i in arg])
        elif kind == "update":
            changed = [_POOL[i].with_changes(size_on_disk=size) for i, size in arg]
            for entry in changed:
                if entry.id in arrival:
                    arrival[entry.id] = entry
            model.update_entries(changed)
        elif kind == "remove":
            for i in arg:
                arrival.pop(_POOL[i].id, None)
            model.remove_ids([_POOL[i].id for i in arg])
        elif kind == "filter":
            model.set_text_filter(arg)
        elif kind == "state":
            model.set_filter_state(arg)
        else:
            key, reverse = arg
            model.set_sort(key, reverse=reverse)
        order = [arrival[i] for i in sort_entries(list(arrival), arrival, model.sort_key,
                                                   reverse=model.sort_reversed)]
        words = model.text_filter.lower().split()
        expected = [e.id for e in order if all(w in search_key(e) for w in words)
                    and matches(model.filter_state, e) is not Match.NO]
        assert ids(model) == expected
        assert model.total_count() == len(arrival)
        pending = {e.id for e in arrival.values() if matches(model.filter_state, e) is Match.PENDING}
        assert model.pending_ids() == pending & set(expected)


def test_typing_a_filter_keeps_the_selected_entry_selected() -> None:
    model = ModelListModel()
    model.set_entries(many(30))
    target = model.entry_at(5)
    assert target is not None
    held = QPersistentModelIndex(model.index(5, 0))
    model.set_text_filter(target.name[:8])
    assert held.isValid() and held.data() == target.id
    model.set_text_filter("")
    assert held.isValid() and held.data() == target.id


def test_a_huge_filter_change_resets_once_and_still_filters(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ModelListModel()
    model.RESET_ABOVE = 10
    model.set_entries(many(40))
    qtmodeltester.check(model)
    recorder = Recorder(model)
    model.set_text_filter("broken")
    assert recorder.kinds() == ["reset"]
    assert ids(model) and all("broken" in i for i in ids(model))


# --- the filter state ---------------------------------------------------------------------------------


def test_filter_state_and_text_combine_and_clearing_restores_every_row() -> None:
    # Decided entries only: an undecided Hub card is shown dimmed whatever its name says (tested below).
    entries = [e for e in samples() + variety() if e.config_status is not ConfigStatus.PENDING]
    model = ModelListModel()
    model.set_entries(entries)
    counts: list[tuple[int, int]] = []
    model.count_changed.connect(lambda shown, total: counts.append((shown, total)))
    qwen = FilterState(families=frozenset({"Qwen"}))
    model.set_filter_state(qwen)
    assert model.filter_state == qwen
    assert sorted(ids(model)) == sorted(e.id for e in entries if e.characteristics is not None
                                        and e.characteristics.architecture_family == "Qwen")
    assert len(ids(model)) == 3
    model.set_text_filter("vl")  # the words narrow the family filter further
    assert ids(model) == ["mlx-community/Qwen2-VL-7B-Instruct-4bit"]
    model.set_filter_state(FilterState(quantization=frozenset({"8"})))  # no 8-bit VL model
    assert ids(model) == []
    model.set_text_filter("")
    assert ids(model) == ["mlx-community/gemma-3-4b-it-8bit"]
    model.set_filter_state(FilterState())
    n = len({e.id for e in entries})
    assert model.rowCount() == n
    assert counts == [(3, n), (1, n), (0, n), (1, n), (n, n)]
    assert dict(model.family_counts())["Qwen"] == 3
    assert model.match_count(qwen) == 3


def test_rows_follow_the_sort_order_under_a_filter() -> None:
    small = local("b/small-qwen", QWEN_CONFIG, size=1_000)
    big = local("c/big-qwen", QWEN_CONFIG, size=9_000)
    other = local("a/other", {"model_type": "llama"}, size=5_000)
    mid = local("d/mid-qwen", QWEN_CONFIG, size=5_000)
    model = ModelListModel()
    model.set_entries([small, big, other, mid])
    model.set_filter_state(FilterState(families=frozenset({"Qwen"})))
    assert ids(model) == ["c/big-qwen", "d/mid-qwen", "b/small-qwen"]  # by name
    model.set_sort("size")
    assert ids(model) == ["c/big-qwen", "d/mid-qwen", "b/small-qwen"]
    model.update_entries([small.with_changes(size_on_disk=99_000)])
    assert ids(model) == ["b/small-qwen", "c/big-qwen", "d/mid-qwen"]


def test_undecided_hub_entries_are_shown_pending_then_kept_or_dropped_when_the_config_lands() -> None:
    # Minimum context is only known from config.json: Hub entries without it cannot be decided yet.
    keep = hub("mlx-community/Qwen2.5-7B-Instruct-4bit")
    drop = hub("mlx-community/old-model-4bit")
    known = local("mlx-community/Qwen3-local", QWEN_CONFIG)  # 32K context: a plain match
    model = ModelListModel()
    model.set_sort("downloads")
    model.set_entries([keep, drop, known])
    recorder = Recorder(model)
    model.set_filter_state(FilterState(min_context=32 * 1024))
    assert ids(model) == [keep.id, drop.id, known.id]
    assert model.pending_ids() == {keep.id, drop.id}
    pending_row = model.index(model.row_of(keep.id), 0)
    assert pending_row.data(PENDING_ROLE) is True
    assert PENDING_TOOLTIP in pending_row.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(model.row_of(known.id), 0).data(PENDING_ROLE) is False
    assert PENDING_TOOLTIP not in model.index(model.row_of(known.id), 0).data(Qt.ItemDataRole.ToolTipRole)
    dimmed = [(a, b) for kind, (a, b, roles) in recorder.events if kind == "changed" and int(PENDING_ROLE) in roles]
    assert {r for a, b in dimmed for r in range(a, b + 1)} == {0, 1}  # the view was told to dim them

    model.update_entry(with_config(keep, extract_characteristics(QWEN_CONFIG)))  # 32,768 tokens: stays
    assert ids(model) == [keep.id, drop.id, known.id]
    assert model.pending_ids() == {drop.id}
    assert model.index(0, 0).data(PENDING_ROLE) is False
    held = QPersistentModelIndex(model.index(2, 0))
    model.update_entry(with_config(drop, extract_characteristics({**QWEN_CONFIG, "max_position_embeddings": 4096})))
    assert ids(model) == [keep.id, known.id]  # too short: the row goes
    assert model.pending_ids() == set()
    assert held.data() == known.id  # the rows around it are untouched
    assert ("removed", (1, 1)) in recorder.events


def test_a_failed_config_settles_a_pending_entry_as_a_miss() -> None:
    entry = hub("mlx-community/mystery")
    model = ModelListModel()
    model.set_entries([entry])
    model.set_filter_state(FilterState(moe_only=True))
    assert model.pending_ids() == {entry.id}
    model.update_entry(entry.with_changes(config_status=ConfigStatus.UNAVAILABLE, config_error="404"))
    assert ids(model) == [] and model.pending_ids() == set()


def test_a_big_filter_state_change_resets_once(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ModelListModel()
    model.RESET_ABOVE = 10
    model.set_entries(many(40))
    qtmodeltester.check(model)
    recorder = Recorder(model)
    model.set_filter_state(FilterState(quantization=frozenset({"8"})))
    assert recorder.kinds() == ["reset"]
    decided = [model.entry_at(r) for r in range(model.rowCount()) if not model.is_pending(ids(model)[r])]
    assert decided and all(e.characteristics.quantization_bits == 8 for e in decided)  # type: ignore[union-attr]


def test_a_name_guess_never_hides_an_undecided_hub_card() -> None:
    """'Llama-…-4bit' under a Qwen filter stays on screen, dimmed, until its config says what it is
    (a hidden card is never on screen, so its config would never be fetched)."""
    guessed_llama = hub("someone/Llama-3.2-1B-Instruct-4bit")
    assert guessed_llama.characteristics is not None
    assert guessed_llama.characteristics.architecture_family == "Llama"  # the name's guess
    model = ModelListModel()
    model.set_entries([guessed_llama, local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG)])
    model.set_filter_state(FilterState(families=frozenset({"Qwen"})))
    assert guessed_llama.id in ids(model) and model.is_pending(guessed_llama.id)
    tooltip = model.index(ids(model).index(guessed_llama.id), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "waiting for this model's details" in tooltip
    # Its config says Qwen after all (a fine-tune named after its base): it stays, no longer dimmed.
    model.update_entry(with_config(guessed_llama, extract_characteristics(QWEN_CONFIG)))
    assert guessed_llama.id in ids(model) and not model.is_pending(guessed_llama.id)
    # A config that says Llama decides it out.
    model.update_entry(with_config(guessed_llama, extract_characteristics({"model_type": "llama"})))
    assert guessed_llama.id not in ids(model)


def test_names_sort_as_finder_does_and_any_local_order_reverses_with_unknowns_last() -> None:
    names = ["org/model-v1093", "org/model-v109", "org/model-v1085", "org/Model-v2"]
    model = ModelListModel()
    model.set_entries([local(n, QWEN_CONFIG) for n in names])
    assert ids(model) == ["org/Model-v2", "org/model-v109", "org/model-v1085", "org/model-v1093"]
    model.set_sort("name", reverse=True)
    assert ids(model) == ["org/model-v1093", "org/model-v1085", "org/model-v109", "org/Model-v2"]
    sized = [local("a/small", QWEN_CONFIG, size=1), local("b/big", QWEN_CONFIG, size=9),
             local("c/unknown", QWEN_CONFIG, size=None)]
    model.set_entries(sized)
    model.set_sort("size")
    assert ids(model) == ["b/big", "a/small", "c/unknown"]
    model.set_sort("size", reverse=True)
    assert ids(model) == ["a/small", "b/big", "c/unknown"]  # reversed, the unknown size still last


def test_hub_results_sort_by_parameters_and_context_among_those_loaded() -> None:
    small = hub("o/small", config={**QWEN_CONFIG, "max_position_embeddings": 4096})
    large = hub("o/large", config={**QWEN_CONFIG, "hidden_size": 8192, "max_position_embeddings": 131072})
    guessed = hub("o/unknown-model")
    model = ModelListModel()
    model.set_sort("downloads")
    model.set_entries([small, guessed, large])
    assert ids(model) == ["o/small", "o/unknown-model", "o/large"]  # the Hub's order
    model.set_sort("parameters")
    assert ids(model) == ["o/large", "o/small", "o/unknown-model"]
    model.set_sort("context", reverse=True)
    assert ids(model) == ["o/small", "o/large", "o/unknown-model"]
    model.set_sort("likes", reverse=True)  # the Hub's own orders are not reversed here
    assert not model.sort_reversed and ids(model) == ["o/small", "o/unknown-model", "o/large"]


def test_natural_order_takes_any_name() -> None:
    from app.core.sorting import natural

    # Superscripts count as text, other scripts' digits as numbers: no name can break a sort.
    assert natural("x²") == ((1, "x²"),)
    assert natural("v١٠") < natural("v١١")  # Arabic-Indic digits, compared as numbers
    assert natural("v9") < natural("v10")
