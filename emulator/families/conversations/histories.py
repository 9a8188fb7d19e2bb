"""``GET /ai/conversation_histories``: semantic search over the tenant's conversations.

Each conversation's transcript is split into chunks of about 800 characters (a record per chunk,
``record_id`` = the conversation id); ``score`` is the cosine similarity of the query and the
chunk under the embedding engine, clamped to [0, 1]. Results are best first, filtered by
``min_score``, ``filter[record_id]``, ``filter[region][in]`` and the created-at window.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.fakes.embeddings import cosine, embed
from emulator.families.conversations.service import conversations
from emulator.families.embeddings.buckets import user_id
from emulator.families.embeddings.documents import chunk_text
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

MODEL = "thenlper/gte-large"
REGION = "USA"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@operation("SearchConversationHistories")
async def search(ctx: RequestContext) -> Any:
    q = ctx.query
    store = conversations(ctx)
    query_vector = embed([str(q["q"])], MODEL)[0]
    regions = {r.strip() for r in str(q.get("filter[region][in]") or REGION).split(",")}
    if q.get("region"):
        regions &= {q["region"]}
    low = _at(q["filter[record_created_at][gte]"]) if q.get("filter[record_created_at][gte]") else None
    high = _at(q["filter[record_created_at][lte]"]) if q.get("filter[record_created_at][lte]") else None
    org = str(uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx-emulator-org:{ctx.api_key}"))
    rows: list[dict[str, Any]] = []
    if REGION in regions:
        for conv in store.list():
            if q.get("filter[record_id]") and conv["id"] != q["filter[record_id]"]:
                continue
            created = _at(conv["created_at"])
            if (low and created < low) or (high and created > high):
                continue
            chunks = chunk_text(store.transcript(conv["id"]), 800, 100)
            for i, (text, vector) in enumerate(zip(chunks, embed(chunks, MODEL) if chunks else [], strict=True)):  # one vector per chunk
                score = round(max(0.0, min(1.0, cosine(query_vector, vector))), 6)
                if score < float(q.get("min_score") or 0.0):
                    continue
                rows.append({"id": f"{conv['id']}_chunk_{i}", "record_id": conv["id"], "chunk_index": i, "chunk_total": len(chunks),
                             "text": text, "score": score, "region": REGION, "user_id": user_id(ctx.api_key), "organization_id": org,
                             "record_created_at": conv["created_at"], "ingested_at": conv["last_message_at"], "metadata": dict(conv["metadata"])})
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    number, size = int(q.get("page[number]") or 1), int(q.get("page[size]") or 20)
    return {"data": rows[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}
