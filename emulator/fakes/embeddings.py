"""Deterministic, *meaningful* text embeddings without a model download.

A vector is a signed feature-hashing of the text: normalised word stems (weight 1), word bigrams
(weight 0.5) and character trigrams of each word (weight 0.25), each feature hashed (BLAKE2b,
salted with the model id) to one coordinate and a sign, then L2-normalised. Texts that share
words or word fragments therefore have a higher cosine similarity than unrelated texts, which is
what RAG retrieval code and similarity-search tests rely on — and the same text always gives the
same bytes, in every process (no use of Python's randomised ``hash()``).

API for other families (similarity search, buckets): :func:`embed`, :func:`cosine`,
:func:`dimension_of`, :func:`to_base64`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
import struct
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from emulator.fakes import tokens
from emulator.fakes.catalogue import EMBEDDING_MODELS


class EmbeddingError(ValueError):
    """Base of the engine's input errors; ``field`` names the request field at fault."""

    field = "input"


class UnknownEmbeddingModel(EmbeddingError):
    field = "model"


class InvalidDimensions(EmbeddingError):
    field = "dimensions"


_WORD = re.compile(r"\w+", re.UNICODE)

# Function words carry little meaning; dropping them keeps "the cat" close to "a cat".
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those i you he she we they me him her us them my your his our their
    do does did have has had not no so than then there here what which who whom how when where
    why will would can could should shall may might must just also very into onto about over""".split()  # noqa: SIM905 - a long word list reads better as prose than as quoted literals
)

_SUFFIXES = ("ingly", "edly", "ness", "ment", "ing", "ies", "ied", "ed", "ly", "es", "s")


def stem(word: str) -> str:
    """A light suffix-stripping stemmer: good enough that "running"/"runs" share a stem."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiousl":
                base = base[:-1]  # "running" -> "runn" -> "run"
            return base
    return word


def normalise(text: str) -> list[str]:
    """Lower-cased, accent-folded content-word stems of ``text`` (stopwords removed)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [stem(w) for w in _WORD.findall(folded) if w not in STOPWORDS]


def features(text: str) -> dict[str, float]:
    """Weighted features of ``text``: stems, stem bigrams and character trigrams."""
    words = normalise(text)
    out: defaultdict[str, float] = defaultdict(float)
    for w in words:
        out["w:" + w] += 1.0
        padded = f"<{w}>"
        for i in range(len(padded) - 2):
            out["c:" + padded[i : i + 3]] += 0.25
    for a, b in itertools.pairwise(words):
        out[f"b:{a}|{b}"] += 0.5
    if not out:
        # Only stopwords/punctuation: fall back to the raw text so the vector is still defined.
        out["raw:" + text.strip().casefold()] = 1.0
    return out


@lru_cache(maxsize=65536)
def _slot(model: str, feature: str, dim: int) -> tuple[int, float]:
    """(coordinate, sign) of a feature — a pure function, cached for speed."""
    digest = hashlib.blake2b(f"{model}\x00{feature}".encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


def dimension_of(model: str) -> int:
    """The model's native vector size, or :class:`UnknownEmbeddingModel`."""
    try:
        return EMBEDDING_MODELS[model]
    except KeyError:
        known = ", ".join(sorted(EMBEDDING_MODELS))
        raise UnknownEmbeddingModel(f"The model {model!r} is not an embedding model; use one of: {known}") from None


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0.0:
        vector = vector[:]
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


def embed_one(text: str, model: str, dimensions: int | None = None) -> list[float]:
    dim = dimension_of(model)
    vector = [0.0] * dim
    for feature, weight in features(text).items():
        index, sign = _slot(model, feature, dim)
        # Sub-linear term frequency: repeating a word should not dominate the vector.
        vector[index] += sign * (1.0 + math.log(weight)) if weight >= 1 else sign * weight
    if dimensions is not None:
        # Like OpenAI's shortened embeddings: keep the leading coordinates, then renormalise.
        vector = vector[:dimensions]
    return _unit(vector)


def embed(texts: Sequence[str], model: str, dimensions: int | None = None) -> list[list[float]]:
    """Unit vectors for ``texts`` under ``model``; ``dimensions`` truncates and renormalises."""
    dim = dimension_of(model)
    if dimensions is not None and not 1 <= dimensions <= dim:
        raise InvalidDimensions(f"dimensions must be between 1 and {dim} for {model}, got {dimensions}")
    return [embed_one(text, model, dimensions) for text in texts]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (vectors from :func:`embed` are unit length, so a dot product)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))  # lengths may differ: score the common leading coordinates
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


def to_base64(vector: Sequence[float]) -> str:
    """Little-endian float32 bytes, base64 — OpenAI's ``encoding_format: base64``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def token_count(text: str) -> int:
    """Usage tokens for an input, consistent with the chat endpoints' counting."""
    return tokens.count(text)
