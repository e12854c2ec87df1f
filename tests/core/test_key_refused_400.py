"""A key refused with a 400 (issue 18 §7): an authentication error, and an ``api_key_command`` fetches a fresh key
on it as on a 401 (Google's "API key not valid", a LiteLLM proxy without a database: "No connected db")."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from llmconsole.core.errors import AuthenticationError
from llmconsole.core.events import Completed
from llmconsole.core.proxy.auth import key_refused
from llmconsole.core.proxy.client import ProxyClient
from llmconsole.core.proxy.endpoints import LearnedEndpoints
from llmconsole.core.proxy.http_errors import error_from_response
from llmconsole.core.proxy.params import LearnedParams

from .fakes import ChunkStream, settings, text_stream
from .test_requests_per_send import numbered_keys, send

pytestmark = pytest.mark.anyio

GOOGLE = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
    }
}
NO_DB = {
    "error": {"message": "Authentication Error, No connected db.", "type": "auth_error", "param": "None", "code": "400"}
}
FIELD = {"error": {"message": "Unsupported parameter: 'store'.", "param": "store", "code": "unsupported_parameter"}}


@pytest.mark.parametrize("body", [GOOGLE, NO_DB])
def test_a_400_refusing_the_key_is_an_authentication_error(body: dict[str, object]) -> None:
    error = error_from_response(400, {}, json.dumps(body), model="m", secrets=[])
    assert isinstance(error, AuthenticationError) and error.status == 400
    assert key_refused(400, json.dumps(body).encode())


def test_other_400s_do_not_refuse_the_key() -> None:
    assert not key_refused(400, json.dumps(FIELD).encode())
    assert not key_refused(500, json.dumps(GOOGLE).encode())  # only 400/403 in words, and every 401
    assert key_refused(401, b"")


@pytest.mark.parametrize("body", [GOOGLE, NO_DB])
async def test_a_key_command_fetches_a_fresh_key_on_it(tmp_path: Path, body: dict[str, object]) -> None:
    command, runs = numbered_keys(tmp_path)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        seen.append(key)
        if key == "sk-key-1":
            return httpx.Response(400, json=body)
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    client = ProxyClient(
        settings(key_command=command),
        transport=httpx.MockTransport(handler),
        learned=LearnedParams(tmp_path / "params.json"),
        learned_endpoints=LearnedEndpoints(tmp_path / "endpoints.json"),
    )
    async with client:
        events = await send(client)
    assert isinstance(events[-1], Completed)
    assert seen == ["sk-key-1", "sk-key-2"] and runs.read_text() == "2"


async def test_a_field_400_does_not_rerun_the_key_command(tmp_path: Path) -> None:
    command, runs = numbered_keys(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        if "store" in json.loads(request.content):
            return httpx.Response(400, json=FIELD)
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    client = ProxyClient(
        settings(key_command=command),
        transport=httpx.MockTransport(handler),
        learned=LearnedParams(tmp_path / "params.json"),
        learned_endpoints=LearnedEndpoints(tmp_path / "endpoints.json"),
    )
    async with client:
        await send(client)
    assert runs.read_text() == "1"


# -- "Please use /v1/responses" (issue 18 §7): the other endpoint, learned as a 404 is -------------------


async def test_a_model_sent_to_responses_by_the_words_is_learned(tmp_path: Path) -> None:
    from llmconsole.core.chat.conversation import Conversation
    from llmconsole.core.errors import WrongEndpointError
    from llmconsole.core.proxy.models import ModelInfo

    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.endswith("/chat/completions"):
            message = (
                "The model `o1-pro` is not accessible via the /chat/completions endpoint. Please use /v1/responses"
            )
            return httpx.Response(400, json={"error": {"message": message, "type": "invalid_request_error"}})
        return httpx.Response(200, stream=ChunkStream([text_stream("fine")]))

    learned = LearnedEndpoints(tmp_path / "endpoints.json")
    client = ProxyClient(
        settings(),
        transport=httpx.MockTransport(handler),
        learned=LearnedParams(tmp_path / "p.json"),
        learned_endpoints=learned,
    )
    conv = Conversation()
    conv.add_user("hi")
    model = ModelInfo(id="o1-pro", max_output_tokens=100, endpoint="chat")
    async with client:
        events = [e async for e in client.stream_response(model, conv.to_request())]
    assert isinstance(events[-1], Completed)
    assert paths == ["/v1/chat/completions", "/v1/responses"]
    assert learned.lookup(client.proxy_key, "o1-pro") == "responses"
    error = error_from_response(
        400, {}, json.dumps({"error": {"message": "Please use /v1/responses"}}), model="m", secrets=[]
    )
    assert isinstance(error, WrongEndpointError) and error.use == "responses"
