"""Embeddings: storage buckets (files through the control API), embedding tasks and similarity
search, embedding of web pages, text clusters, and the OpenAI-compatible embeddings endpoint."""

from emulator.families.embeddings import buckets, clusters, control, implicit, openai_compat, rules
from emulator.families.embeddings.bucket_store import BucketStore
from emulator.families.embeddings.clusters import ClusterStore
from emulator.families.embeddings.store import EmbeddingStore
from emulator.runtime.family import Family

FAMILY = Family(
    name="embeddings",
    handler_modules=(buckets, openai_compat, clusters),
    control=control.CONTROL,
    lifecycle_kinds=("embedding_task", "cluster"),
    stores=(BucketStore, EmbeddingStore, ClusterStore),
    id_kinds=implicit.ID_KINDS,
    business_rules=rules.RULES,
    paths=("/ai/embeddings", "/ai/openai/embeddings", "/ai/clusters"),
)
