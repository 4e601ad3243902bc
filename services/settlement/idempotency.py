"""How the HIS tells a replayed answer from the first: the same status and body, and this header.
A HIS that retries after a lost answer must not have to treat 200 and 201 differently."""

from typing import Any

REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED = {REPLAYED_HEADER: "true"}
REPLAYABLE: dict[str, Any] = {"headers": {REPLAYED_HEADER: {
    "description": "true: 同一请求此前已处理，原样返回 (a replay of the first answer to the same request)",
    "schema": {"type": "string", "enum": ["true"]},
}}}
