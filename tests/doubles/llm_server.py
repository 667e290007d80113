"""A scripted LLM server for tests: a real HTTP server speaking three wire formats.

* OpenAI chat completions — ``POST /v1/chat/completions`` (OpenAI and OpenAI-compatible
  servers such as Ollama, vLLM, LiteLLM);
* Azure OpenAI — ``POST /openai/deployments/{deployment}/chat/completions?api-version=…`` with
  an ``api-key`` header (or an Entra ID bearer token);
* Anthropic Messages — ``POST /v1/messages`` with an API key (``x-api-key`` or a bearer token).

Every answer waits ``latency`` seconds; with ``jitter`` each wait is drawn uniformly from
``latency ± jitter`` instead (seeded by ``seed`` for repeatable runs), and the wait applied is
recorded with the request (``RecordedRequest.delay``). A reply's own ``latency`` is not jittered.

Answers follow the structured-output shape of the request: a tool call when the request offers
tools (OpenAI function calling, Anthropic ``tool_use``), JSON text otherwise (``response_format``
json_schema / json_object, or Anthropic JSON output). Usage fields are always filled.

Tests script answers per guideline: :meth:`LlmDouble.script` registers a substring that is
looked up in the request's text and the replies to give, in order (the last one repeats).
Faults: ``rate_limit`` (429 with ``Retry-After``), ``server_error`` (500), ``timeout`` (the
answer is held back until the client gives up), ``malformed`` (output that is not JSON) and
``truncated`` (JSON cut off, finish reason ``length`` / ``max_tokens``). Every request is
recorded with its body and counted.

This is a test double, never a product feature. ``python -m tests.doubles.llm_server`` runs one
in its own process (the benchmark uses that) and prints ``PORT <n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Fault = Literal["rate_limit", "server_error", "timeout", "malformed", "truncated"]
Api = Literal["openai", "azure", "anthropic"]

PASS_VERDICT: Mapping[str, Any] = {"status": "pass", "findings": []}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``verdict`` is the object the "model" returns (JSON)."""

    verdict: Mapping[str, Any] | None = None
    fault: Fault | None = None
    retry_after: float | None = None
    latency: float | None = None  # overrides the double's latency for this reply
    input_tokens: int = 120
    output_tokens: int = 30


@dataclass
class RecordedRequest:
    api: Api
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    matched: str | None
    fault: Fault | None
    delay: float = 0.0  # seconds the answer was held back (latency, jitter applied)

    @property
    def system_text(self) -> str:
        """All text sent with the system role (OpenAI system messages, Anthropic ``system``)."""
        if self.api == "anthropic":
            return _text_of(self.body.get("system", ""))
        return "\n".join(
            _text_of(m.get("content", ""))
            for m in self.body.get("messages", [])
            if m.get("role") in ("system", "developer")
        )

    @property
    def user_text(self) -> str:
        return "\n".join(
            _text_of(m.get("content", ""))
            for m in self.body.get("messages", [])
            if m.get("role") == "user"
        )


@dataclass
class _Script:
    match: str
    replies: tuple[Reply, ...]
    served: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


@dataclass
class LlmDouble:
    """The server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    latency: float = 0.0
    jitter: float = 0.0  # each default wait is drawn from latency ± jitter
    seed: int | None = None
    hang_seconds: float = 30.0
    host: str = "127.0.0.1"
    port: int = 0
    _scripts: list[_Script] = field(default_factory=list)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _answered: list[str | None] = field(default_factory=list)
    _in_flight: int = 0  # requests of the current epoch (since the last reset) held open
    _epoch: int = 0
    _max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: asyncio.Event | None = None
    _release: asyncio.Event | None = None
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if self.jitter < 0:
            raise ValueError(f"jitter must be >= 0 seconds, got {self.jitter}")
        if self.jitter > self.latency:
            raise ValueError(
                f"jitter ({self.jitter} s) must not exceed latency ({self.latency} s): "
                "a wait cannot be negative"
            )
        self._random = random.Random(self.seed)

    # -- scripting and inspection ------------------------------------------------------------

    def script(self, match: str, *replies: Reply) -> None:
        """Answer requests whose text contains ``match`` with ``replies`` in turn.

        A later script for the same ``match`` replaces the earlier one; the first script
        (in registration order) that matches a request answers it.
        """
        if not replies:
            raise ValueError("a script needs at least one reply")
        with self._lock:
            self._scripts = [s for s in self._scripts if s.match != match]
            self._scripts.append(_Script(match, tuple(replies)))

    def reset(self) -> None:
        """Forget scripts, recorded requests and counters, and let held answers go at once
        (so a request left hanging by one test does not count in the next). Latency is kept."""
        self.release_held()
        with self._lock:
            self._scripts.clear()
            self._requests.clear()
            self._answered.clear()
            self._epoch += 1
            self._in_flight = 0
            self._max_in_flight = 0

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._answered.clear()
            self._epoch += 1
            self._in_flight = 0
            self._max_in_flight = 0

    def release_held(self) -> None:
        """End every pause in progress now (their answers are sent, to whoever still listens)."""
        loop, event = self._loop, self._release
        if loop is None or event is None:
            return

        def swap() -> None:
            event.set()
            self._release = asyncio.Event()

        loop.call_soon_threadsafe(swap)

    @property
    def max_in_flight(self) -> int:
        """The most requests held open at once since the last reset."""
        with self._lock:
            return self._max_in_flight

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, match: str | None = None) -> int:
        """Requests received (faulted ones included), optionally only those matching."""
        with self._lock:
            return sum(1 for r in self._requests if match is None or r.matched == match)

    def answered(self, match: str | None = None) -> int:
        """Requests that got a successful (HTTP 200) answer."""
        with self._lock:
            return sum(1 for m in self._answered if match is None or m == match)

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> LlmDouble:
        config = uvicorn.Config(
            self.app(),
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=4096,
            limit_concurrency=None,
        )
        self._server = uvicorn.Server(config)
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), daemon=True, name="llm-double"
        )
        self._thread.start()
        if not ready.wait(10) or not self._server.started:
            raise RuntimeError("the LLM test double did not start")
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._server.should_exit = True
        self._thread.join(10)
        self._server = None

    def __enter__(self) -> LlmDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        async def main() -> None:
            assert self._server is not None
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            self._release = asyncio.Event()
            task = asyncio.create_task(self._server.serve())
            while not self._server.started and not task.done():
                await asyncio.sleep(0.005)
            ready.set()
            await task

        asyncio.run(main())

    # -- HTTP --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route(
                    "/openai/deployments/{deployment}/chat/completions",
                    self._azure,
                    methods=["POST"],
                ),
                Route("/v1/messages", self._anthropic, methods=["POST"]),
            ]
        )

    async def _openai(self, request: Request) -> Response:
        return await self._handle(request, "openai")

    async def _azure(self, request: Request) -> Response:
        if "api-version" not in request.query_params:
            return JSONResponse(
                {"error": {"message": "api-version is required", "code": "missing_api_version"}},
                status_code=400,
            )
        if not (request.headers.get("api-key") or request.headers.get("authorization")):
            return JSONResponse(
                {"error": {"message": "no credentials", "code": "401"}}, status_code=401
            )
        return await self._handle(request, "azure")

    async def _anthropic(self, request: Request) -> Response:
        if not (request.headers.get("x-api-key") or request.headers.get("authorization")):
            return _anthropic_error(401, "authentication_error", "an API key is required")
        return await self._handle(request, "anthropic")

    async def _handle(self, request: Request, api: Api) -> Response:
        body = json.loads(await request.body())
        text = _request_text(body)
        with self._lock:
            script = next((s for s in self._scripts if s.match in text), None)
            reply = script.next_reply() if script else Reply()
            delay = self._delay_for(reply)
            self._requests.append(
                RecordedRequest(
                    api=api,
                    path=request.url.path,
                    query=dict(request.query_params),
                    headers=dict(request.headers),
                    body=body,
                    matched=script.match if script else None,
                    fault=reply.fault,
                    delay=delay,
                )
            )
            ident = next(self._ids)
            epoch = self._epoch
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            if delay > 0:
                await self._pause(delay)
        finally:
            with self._lock:
                if epoch == self._epoch:
                    self._in_flight -= 1
        if reply.fault in ("rate_limit", "server_error"):
            return _fault_response(api, reply)
        with self._lock:
            self._answered.append(script.match if script else None)
        payload = _output_text(reply)
        if api == "anthropic":
            return JSONResponse(_anthropic_message(body, reply, payload, ident))
        return JSONResponse(_openai_completion(body, reply, payload, ident))

    def _delay_for(self, reply: Reply) -> float:
        """Seconds to hold this answer back; called with the lock held (the generator)."""
        if reply.fault == "timeout":
            return self.hang_seconds
        if reply.latency is not None:
            return reply.latency
        if self.jitter:
            return self._random.uniform(self.latency - self.jitter, self.latency + self.jitter)
        return self.latency

    async def _pause(self, seconds: float) -> None:
        # Held answers end early when the double stops or is reset, so neither shutdown nor
        # the next test waits on them.
        assert self._stopping is not None
        assert self._release is not None
        waits = [
            asyncio.ensure_future(self._stopping.wait()),
            asyncio.ensure_future(self._release.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            _text_of(part.get("text", "")) if isinstance(part, dict) else str(part)
            for part in content
        )
    return ""


def _request_text(body: Mapping[str, Any]) -> str:
    parts = [_text_of(body.get("system", ""))]
    parts.extend(_text_of(m.get("content", "")) for m in body.get("messages", []))
    return "\n".join(parts)


def _output_text(reply: Reply) -> str:
    text = json.dumps(dict(reply.verdict if reply.verdict is not None else PASS_VERDICT))
    if reply.fault == "malformed":
        return "Sure! Here is my verdict: {status: pass, findings: none"
    if reply.fault == "truncated":
        return text[: max(1, len(text) // 2)]
    return text


def _fault_response(api: Api, reply: Reply) -> Response:
    headers = {}
    if reply.fault == "rate_limit":
        headers["retry-after"] = f"{reply.retry_after if reply.retry_after is not None else 1:g}"
        status, kind, message = 429, "rate_limit_error", "Rate limit reached; retry later."
    else:
        status, kind, message = 500, "api_error", "The server had an error."
    if api == "anthropic":
        response = _anthropic_error(status, kind, message)
    else:
        response = JSONResponse(
            {"error": {"message": message, "type": kind, "code": None}}, status_code=status
        )
    response.headers.update(headers)
    return response


def _anthropic_error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )


def _openai_completion(
    body: Mapping[str, Any], reply: Reply, payload: str, ident: int
) -> dict[str, Any]:
    tools = body.get("tools") or []
    finish = "length" if reply.fault == "truncated" else "stop"
    message: dict[str, Any] = {"role": "assistant", "content": payload, "refusal": None}
    if tools:
        name = tools[0]["function"]["name"]
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name", name)
        message = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": f"call_{ident}",
                    "type": "function",
                    "function": {"name": name, "arguments": payload},
                }
            ],
        }
        finish = "length" if reply.fault == "truncated" else "tool_calls"
    return {
        "id": f"chatcmpl-{ident}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or "double",
        "system_fingerprint": "double",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        },
    }


def _anthropic_message(
    body: Mapping[str, Any], reply: Reply, payload: str, ident: int
) -> dict[str, Any]:
    tools = body.get("tools") or []
    stop = "max_tokens" if reply.fault == "truncated" else "end_turn"
    content: list[dict[str, Any]] = [{"type": "text", "text": payload}]
    if tools and reply.fault != "truncated":
        name = tools[0]["name"]
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("name"):
            name = choice["name"]
        try:
            arguments = json.loads(payload)
        except json.JSONDecodeError:
            # A tool_use input is always an object; a confused model puts prose in it.
            arguments = {"answer": payload}
        content = [{"type": "tool_use", "id": f"toolu_{ident}", "name": name, "input": arguments}]
        stop = "tool_use"
    return {
        "id": f"msg_{ident}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model") or "double",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the LLM test double in its own process.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument(
        "--jitter", type=float, default=0.0, help="each wait drawn from latency ± jitter"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the jitter")
    args = parser.parse_args()
    try:
        double = LlmDouble(
            latency=args.latency, jitter=args.jitter, seed=args.seed, port=args.port
        ).start()
    except ValueError as exc:
        parser.error(str(exc))
    print(f"PORT {double.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        double.stop()


if __name__ == "__main__":
    main()
