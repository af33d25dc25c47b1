"""A local stand-in for OpenAI's Chat Completions endpoint.

OpenAI cannot be reached from the test machines, so the evaluation code is
tested through the real ``openai`` client against this server. It answers
``POST /v1/chat/completions`` from a script: each request takes the next
scripted reply, which is either a message content (any string, so a test can
script malformed JSON or a schema-valid answer that quotes text the transcript
does not hold) or an HTTP error (429/500, to exercise the client's retries).

Like the real service, it rejects requests it could not serve: a missing
bearer token (401), streaming (not implemented here, 400), and a
``json_schema`` response format whose schema breaks the strict-mode rules
(400) — the last catches hand-written schemas that production would refuse.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from openai.types.chat import ChatCompletion

from tests.fakes.server import LocalAppServer


@dataclass(frozen=True)
class ChatReply:
    """A successful completion whose assistant message content is ``content``."""

    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ChatError:
    """An HTTP error answer, shaped like OpenAI's error bodies.

    ``retry_after_ms`` is sent as the ``retry-after-ms`` header, which the
    ``openai`` client honours, so retry tests need not wait out its default
    back-off; ``None`` omits the header.
    """

    status: int
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None
    retry_after_ms: int | None = 20


ScriptedAnswer = ChatReply | ChatError


@dataclass(frozen=True)
class RecordedChatRequest:
    """One request the fake received, and what it answered."""

    headers: Mapping[str, str]
    body: dict[str, Any]
    status: int
    answer: ScriptedAnswer | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat messages."""
        return list(self.body.get("messages", []))

    @property
    def json_schema(self) -> dict[str, Any] | None:
        """The ``json_schema`` block of ``response_format``, if the request asked for one."""
        fmt = self.body.get("response_format") or {}
        if fmt.get("type") != "json_schema":
            return None
        schema = fmt.get("json_schema")
        return dict(schema) if isinstance(schema, dict) else None


def _to_answer(item: str | ScriptedAnswer) -> ScriptedAnswer:
    return ChatReply(item) if isinstance(item, str) else item


def strict_schema_violations(schema: Any, path: str = "$") -> list[str]:
    """List where ``schema`` breaks OpenAI's strict structured-output rules.

    Strict mode requires every object to set ``additionalProperties: false`` and
    to list all its properties as required; OpenAI answers 400 otherwise.
    """
    problems: list[str] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object" or "properties" in schema:
            if schema.get("additionalProperties") is not False:
                problems.append(f"{path}: 'additionalProperties' must be false")
            props = schema.get("properties", {})
            missing = sorted(set(props) - set(schema.get("required", [])))
            if missing:
                problems.append(f"{path}: 'required' must list every property, missing {missing}")
        for key, value in schema.items():
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for name, sub in value.items():
                    problems.extend(strict_schema_violations(sub, f"{path}.{key}.{name}"))
            elif key in ("items", "not") and isinstance(value, dict):
                problems.extend(strict_schema_violations(value, f"{path}.{key}"))
            elif key in ("anyOf", "allOf", "oneOf", "prefixItems") and isinstance(value, list):
                for i, sub in enumerate(value):
                    problems.extend(strict_schema_violations(sub, f"{path}.{key}[{i}]"))
    return problems


def _error_body(message: str, type_: str, code: str | None, param: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def _rough_token_count(text: str) -> int:
    """A word count stands in for tokens: the client only reads usage, never checks it."""
    return max(1, len(text.split()))


class FakeChatServer(LocalAppServer):
    """Scripted ``/v1/chat/completions`` on 127.0.0.1.

    Use ``with FakeChatServer(responses=[...]) as server:`` (own thread; works
    with ``openai.OpenAI`` and ``openai.AsyncOpenAI``) or ``async with`` (the
    caller's loop; ``AsyncOpenAI`` only), then pass ``server.base_url`` as the
    client's ``base_url``.
    """

    def __init__(self, responses: Iterable[str | ScriptedAnswer] = ()) -> None:
        super().__init__()
        self._answers: deque[ScriptedAnswer] = deque(_to_answer(r) for r in responses)
        self.requests: list[RecordedChatRequest] = []

    def add_responses(self, *responses: str | ScriptedAnswer) -> None:
        """Append answers to the script."""
        self._answers.extend(_to_answer(r) for r in responses)

    @property
    def remaining(self) -> int:
        """How many scripted answers have not been served yet."""
        return len(self._answers)

    @property
    def completed_requests(self) -> list[RecordedChatRequest]:
        """The requests answered with a completion (status 200)."""
        return [r for r in self.requests if r.status == 200]

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle_completion)
        return app

    async def _handle_completion(self, request: web.Request) -> web.Response:
        headers = dict(request.headers)
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return self._reject(headers, {}, 400, "We could not parse the JSON body.")
        if not isinstance(body, dict):
            return self._reject(headers, {}, 400, "The body must be a JSON object.")
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._reject(
                headers, body, 401, "You didn't provide an API key.", code="invalid_api_key"
            )
        if body.get("stream"):
            return self._reject(headers, body, 400, "The fake chat server does not stream.")
        if not body.get("model") or not body.get("messages"):
            return self._reject(headers, body, 400, "'model' and 'messages' are required.")
        schema_block = RecordedChatRequest(headers, body, 0).json_schema
        if schema_block is not None and schema_block.get("strict"):
            problems = strict_schema_violations(schema_block.get("schema"))
            if problems:
                name = schema_block.get("name", "")
                message = f"Invalid schema for response_format '{name}': " + "; ".join(problems)
                return self._reject(headers, body, 400, message, param="response_format")
        if not self._answers:
            return self._reject(headers, body, 400, "The fake chat server's script is exhausted.")

        answer = self._answers.popleft()
        if isinstance(answer, ChatError):
            self.requests.append(RecordedChatRequest(headers, body, answer.status, answer))
            extra = {}
            if answer.retry_after_ms is not None:
                extra["retry-after-ms"] = str(answer.retry_after_ms)
            return web.Response(
                status=answer.status,
                text=_error_body(answer.message, answer.type, answer.code),
                content_type="application/json",
                headers=extra,
            )

        self.requests.append(RecordedChatRequest(headers, body, 200, answer))
        return web.json_response(self._completion(body, answer))

    def _reject(
        self,
        headers: dict[str, str],
        body: dict[str, Any],
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
    ) -> web.Response:
        self.requests.append(RecordedChatRequest(headers, body, status))
        return web.Response(
            status=status,
            text=_error_body(message, "invalid_request_error", code, param),
            content_type="application/json",
            headers={"x-should-retry": "false"},
        )

    @staticmethod
    def _completion(body: dict[str, Any], answer: ChatReply) -> dict[str, Any]:
        prompt_text = " ".join(
            m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
            for m in body["messages"]
        )
        prompt_tokens = _rough_token_count(prompt_text)
        completion_tokens = _rough_token_count(answer.content)
        completion = ChatCompletion.model_validate(
            {
                "id": f"chatcmpl-{secrets.token_hex(12)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": answer.content,
                            "refusal": None,
                        },
                        "finish_reason": answer.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )
        return completion.model_dump(mode="json", exclude_unset=True)
