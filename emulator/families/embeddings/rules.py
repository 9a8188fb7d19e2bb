"""The embeddings family's business rules: what it checks beyond the document (``core/rules.py``).
None is stated by the published document; each names what the ``warn`` mode does instead."""

from __future__ import annotations

from emulator.core.rules import BusinessRule

BUCKET_NAME = BusinessRule(
    name="embeddings.bucket_name_not_blank",
    checks="bucket_name is blank (create an embedding task, embed a URL)",
    substitute="the blank name is used as given (a bucket with no files: its task fails)",
)
CHUNK_SIZES = BusinessRule(
    name="embeddings.chunk_sizes",
    checks="document_chunk_size is below 1, or document_chunk_overlap_size is negative or not smaller than the chunk size",
    substitute="a chunk size below 1 becomes 1024; an overlap out of range becomes half the chunk size",
)
NUM_OF_DOCS = BusinessRule(
    name="embeddings.num_of_docs_positive",
    checks="similarity search num_of_docs is below 1",
    substitute="the default, 3 documents",
)
URL_ABSOLUTE = BusinessRule(
    name="embeddings.url_absolute",
    checks="the URL to embed is not an absolute http(s) URL",
    substitute="https:// is put in front of it (a bare host or path becomes a page of that host)",
)
OPENAI_MODEL = BusinessRule(
    name="embeddings.openai_model_known",
    checks="the OpenAI-compatible embeddings model is not an embedding model the catalogue lists",
    substitute="thenlper/gte-large embeds the input",
    # The real endpoint can only answer with a model it hosts (GET /ai/models lists them); an
    # unknown name has no model behind it, so it is refused there too.
    real_api=True,
)
OPENAI_DIMENSIONS = BusinessRule(
    name="embeddings.openai_dimensions_range",
    checks="dimensions is outside 1 .. the model's native vector size",
    substitute="the model's native vector size",
)
OPENAI_INPUT = BusinessRule(
    name="embeddings.openai_input_not_empty",
    checks="input is an empty array, or holds a blank string",
    substitute="an empty array gives no vectors; a blank string is embedded as it is",
)
OPENAI_INPUT_COUNT = BusinessRule(
    name="embeddings.openai_input_count",
    checks="input holds more than 2048 strings (OpenAI's limit per request)",
    substitute="every input is embedded",
)
CLUSTER_ID = BusinessRule(
    name="clusters.cluster_id_known",
    checks="the graph's cluster_id names no cluster of the task",
    substitute="the chart of all the task's clusters",
)

RULES: tuple[BusinessRule, ...] = (
    BUCKET_NAME, CHUNK_SIZES, NUM_OF_DOCS, URL_ABSOLUTE, OPENAI_MODEL, OPENAI_DIMENSIONS, OPENAI_INPUT, OPENAI_INPUT_COUNT, CLUSTER_ID,
)
