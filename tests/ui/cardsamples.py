"""Sample entries for the card tests and the benchmark: local, Hub, guessed, gated, broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.characteristics import extract_characteristics
from app.core.listing import entry_from_listing, with_config
from app.core.model_entry import ConfigStatus, ModelEntry, Source, Tier

NOW = datetime.now(UTC)

QWEN_CONFIG = {
    "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 3584, "num_hidden_layers": 28,
    "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064, "intermediate_size": 18944,
    "max_position_embeddings": 32768, "torch_dtype": "bfloat16", "use_cache": True, "sliding_window": 131072,
    "use_sliding_window": False, "quantization": {"group_size": 64, "bits": 4},
}
VL_CONFIG = {**QWEN_CONFIG, "model_type": "qwen2_vl", "architectures": ["Qwen2VLForConditionalGeneration"],
             "vision_config": {"depth": 32, "embed_dim": 1280}}
MOE_CONFIG = {
    "model_type": "qwen3_moe", "architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 2048,
    "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
    "vocab_size": 151936, "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8,
    "max_position_embeddings": 40960, "torch_dtype": "bfloat16", "quantization": {"group_size": 64, "bits": 4},
    "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768},
}


def local(repo_id: str, config: dict[str, object] | None, *, size: int | None = 4_300_000_000,
          used_days: int | None = 2, problem: str | None = None, is_mlx: bool | None = True) -> ModelEntry:
    c = extract_characteristics(config) if config is not None else None
    provenance = tuple((k, Tier.CONFIG) for k, v in c.to_dict().items() if v is not None) if c else ()
    return ModelEntry(
        id=repo_id, source=Source.LOCAL, characteristics=c, provenance=provenance,
        config_status=ConfigStatus.OK if c else ConfigStatus.UNAVAILABLE,
        config_error=None if c else "config.json is not valid JSON (line 1)",
        size_on_disk=size, last_accessed=NOW - timedelta(days=used_days) if used_days is not None else None,
        is_mlx=is_mlx, problem=problem,
    )


def hub(repo_id: str, *, downloads: int = 18234, likes: int = 412, gated: bool | str = False,
        tags: list[str] | None = None, config: dict[str, object] | None = None) -> ModelEntry:
    item: dict[str, object] = {"id": repo_id, "downloads": downloads, "likes": likes, "gated": gated,
                               "lastModified": (NOW - timedelta(days=3)).isoformat(), "tags": tags or ["mlx"]}
    entry = entry_from_listing(item)
    assert entry is not None
    if config is not None:
        entry = with_config(entry, extract_characteristics(config))
    return entry


def samples() -> list[ModelEntry]:
    return [
        local("mlx-community/Qwen2.5-7B-Instruct-4bit", QWEN_CONFIG),
        local("mlx-community/Qwen2-VL-7B-Instruct-4bit", VL_CONFIG, size=4_700_000_000, used_days=21),
        local("mlx-community/Qwen3-30B-A3B-4bit", MOE_CONFIG, size=17_200_000_000, used_days=0),
        hub("mlx-community/Llama-3.3-70B-Instruct-4bit", gated="manual"),
        local("someone/broken-model", None, size=None, used_days=None, problem="refs/main points to a missing "
              "snapshot", is_mlx=None),
    ]


GEMMA_CONFIG = {
    "model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
    "text_config": {"hidden_size": 2560, "num_hidden_layers": 34, "num_attention_heads": 8,
                    "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 262208, "sliding_window": 1024,
                    "max_position_embeddings": 131072, "intermediate_size": 10240},
    "vision_config": {"hidden_size": 1152}, "torch_dtype": "bfloat16",
    "quantization": {"group_size": 64, "bits": 8},
}


def variety() -> list[ModelEntry]:
    """More kinds of card: a Hub model with its config read, a guessed one, an unquantized local one."""
    return [
        hub("mlx-community/gemma-3-4b-it-8bit", downloads=1_204_332, likes=88, config=GEMMA_CONFIG),
        hub("lmstudio-community/Mistral-Small-24B-Instruct-2501-MLX-6bit", downloads=912, likes=3,
            tags=["mlx", "mistral"]),
        local("google/gemma-3-4b-it", {**GEMMA_CONFIG, "quantization": None}, size=8_600_000_000, is_mlx=False),
    ]


def many(n: int) -> list[ModelEntry]:
    """`n` varied entries (distinct ids) for the benchmark and the model tests."""
    base = samples() + variety()
    out = []
    for i in range(n):
        e = base[i % len(base)]
        out.append(e.with_changes(id=f"{e.author}/{e.name}-{i:05d}",
                                  size_on_disk=None if e.size_on_disk is None else e.size_on_disk + i))
    return out


def make_view(entries: list[ModelEntry], width: int = 980, height: int = 900, palette: object = None):  # type: ignore[no-untyped-def]
    """A shown QListView with our model and delegate, laid out at `width` (returns view, model, delegate)."""
    from PySide6.QtWidgets import QApplication, QListView

    from app.ui.card_delegate import CardDelegate
    from app.ui.model_list import ModelListModel

    view = QListView()
    view.setUniformItemSizes(False)
    view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    if palette is not None:
        view.setPalette(palette)  # type: ignore[arg-type]
    model = ModelListModel(view)
    view.setModel(model)
    delegate = CardDelegate(view)
    view.setItemDelegate(delegate)
    model.set_entries(entries)
    view.resize(width, height)
    view.show()
    QApplication.processEvents()
    return view, model, delegate


def render_row(view, delegate, row: int, dpr: float = 1.0, width: int | None = None):  # type: ignore[no-untyped-def]
    """Paint one card into a QImage (ARGB32) on the window colour, as the view would, at `dpr`."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QImage, QPainter, QPalette
    from PySide6.QtWidgets import QStyleOptionViewItem

    index = view.model().index(row, 0)
    rect = view.visualRect(index)
    w = width or rect.width()
    h = delegate.sizeHint(QStyleOptionViewItem(), index).height()
    image = QImage(round(w * dpr), round(h * dpr), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(dpr)
    image.fill(view.palette().color(QPalette.ColorRole.Window))
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = QRect(0, 0, w, h)
    painter = QPainter(image)
    try:
        delegate.paint(painter, option, index)
    finally:
        painter.end()
    return image


def pixels(image, rect: tuple[int, int, int, int] | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    """The ARGB values of an ARGB32 image (device pixels), row by row, optionally inside a rect."""
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    values = memoryview(image.constBits()).cast("I")
    width = image.width()
    x, y, w, h = rect if rect is not None else (0, 0, width, image.height())
    out: list[int] = []
    for row in range(max(y, 0), min(y + h, image.height())):
        start = row * width
        out.extend(values[start + max(x, 0):start + min(x + w, width)])
    return out


def count_color(image, color, rect: tuple[int, int, int, int] | None = None, tolerance: int = 0) -> int:  # type: ignore[no-untyped-def]
    target = color.rgba() | 0xFF000000
    if tolerance == 0:
        return sum(1 for v in pixels(image, rect) if v == target)
    tr, tg, tb = (target >> 16) & 255, (target >> 8) & 255, target & 255
    return sum(1 for v in pixels(image, rect)
               if abs(((v >> 16) & 255) - tr) + abs(((v >> 8) & 255) - tg) + abs((v & 255) - tb) <= tolerance)
