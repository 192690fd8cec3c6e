"""The CloudEvents 1.0 envelope (structured JSON mode) every domain event travels in.

https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md and the JSON format spec. Extension
attributes sit beside the context attributes, lower-case alphanumerics only; `traceparent` / `tracestate` (the
Distributed Tracing extension) are added from the span current when the event is created.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from libs.telemetry.tracing import trace_extensions

SPECVERSION = "1.0"
_REQUIRED = ("specversion", "id", "source", "type")
_CONTEXT = frozenset({*_REQUIRED, "subject", "time", "datacontenttype", "dataschema", "data"})
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")


class InvalidEvent(ValueError):
    """The bytes are not a CloudEvents 1.0 JSON event we can handle."""


@dataclass(frozen=True, slots=True)
class CloudEvent:
    id: str
    source: str
    type: str
    data: dict[str, Any]
    subject: str | None = None
    time: str = ""
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    extensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, type: str, source: str, subject: str | None, data: dict[str, Any], id: str | None = None,
            *, extensions: dict[str, str] | None = None) -> CloudEvent:
        for name in extensions or {}:
            if not _EXTENSION_NAME.match(name) or name in _CONTEXT:
                raise InvalidEvent(f"invalid extension attribute name {name!r}")
        # The span this event is created under (the CloudEvents Distributed Tracing extension): consumers'
        # spans become its children. Given extensions win (a relayed event keeps its origin).
        traced = trace_extensions()
        if traced:
            extensions = {**traced, **(extensions or {})}
        return cls(
            id=id or str(uuid.uuid4()), source=source, type=type, subject=subject, data=data,
            time=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            extensions=dict(extensions or {}),
        )

    @property
    def timestamp(self) -> datetime | None:
        if not self.time:
            return None
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"specversion": self.specversion, "id": self.id, "source": self.source,
                               "type": self.type}
        if self.subject is not None:
            out["subject"] = self.subject
        if self.time:
            out["time"] = self.time
        out["datacontenttype"] = self.datacontenttype
        if self.dataschema is not None:
            out["dataschema"] = self.dataschema
        out.update(self.extensions)
        out["data"] = self.data
        return out

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict()).decode()

    @classmethod
    def from_dict(cls, raw: Any) -> CloudEvent:
        if not isinstance(raw, dict):
            raise InvalidEvent("an event must be a JSON object")
        missing = [k for k in _REQUIRED if not isinstance(raw.get(k), str) or not raw[k]]
        if missing:
            raise InvalidEvent(f"missing required attribute(s): {', '.join(missing)}")
        if raw["specversion"] != SPECVERSION:
            raise InvalidEvent(f"unsupported specversion {raw['specversion']!r}")
        data = raw.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidEvent("data must be a JSON object")
        return cls(
            id=raw["id"], source=raw["source"], type=raw["type"], data=data,
            subject=raw.get("subject"), time=raw.get("time") or "",
            datacontenttype=raw.get("datacontenttype") or "application/json",
            dataschema=raw.get("dataschema"),
            extensions={k: str(v) for k, v in raw.items() if k not in _CONTEXT},
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CloudEvent:
        try:
            raw = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise InvalidEvent(f"not JSON: {e}") from e
        return cls.from_dict(raw)
