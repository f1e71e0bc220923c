"""The console blueprint on a real Sanic server on 127.0.0.1, with its authentication hook."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sanic import Request, Sanic

from bot.outreach.http import outreach_blueprint
from bot.settings import load_settings
from tests.conftest import free_port

from .conftest import add_subscribers

TOKEN = "staff-session-token"


async def authenticate(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {TOKEN}"


@pytest.fixture
async def client(engine) -> AsyncIterator[httpx.AsyncClient]:
    Sanic.test_mode = True  # several apps in one process: keeps Sanic's start-up rewrites repeatable
    app = Sanic(f"outreach_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(outreach_blueprint(authenticate, engine=engine, settings=load_settings(_env_file=None)))
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.after_start()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}/api/outreach",
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ) as http:
        yield http
    await server.before_stop()
    await server.close()
    await server.after_stop()


async def test_requests_without_login_get_401(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/campaigns"), ("POST", "/campaigns"), ("POST", "/kill-switch")):
        answer = await client.request(method, path, headers={"authorization": "Bearer wrong"}, json={})
        assert answer.status_code == 401
        assert answer.json() == {"error": "unauthorized"}


async def test_campaign_lifecycle_over_http(client: httpx.AsyncClient, engine) -> None:
    add_subscribers(engine, ["1", "2"], province="Hà Nội", commune="Phường Ba Đình")
    add_subscribers(engine, ["3"], channel="zalo")

    bad = await client.post("/campaigns", json={"name": "x", "text": "Chào {ten}"})
    assert bad.status_code == 400
    assert "unknown placeholder {ten}" in bad.json()["error"]

    created = await client.post(
        "/campaigns",
        json={
            "name": "VNeID mức 2",
            "text": "Bà con {commune}: kích hoạt VNeID mức 2!",
            "segment": {"channels": ["telegram"]},
            "buttons": [{"text": "Hướng dẫn", "url": "https://dichvucong.gov.vn/"}],
        },
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]

    dry = (await client.post(f"/campaigns/{campaign_id}/dry-run")).json()
    assert dry["by_channel"] == {"telegram": 2}
    assert dry["sample"] == "Bà con Phường Ba Đình: kích hoạt VNeID mức 2!"

    assert (await client.post(f"/campaigns/{campaign_id}/send", json={})).json()["state"] == "scheduled"
    assert (await client.post(f"/campaigns/{campaign_id}/pause")).json()["state"] == "paused"
    assert (await client.post(f"/campaigns/{campaign_id}/resume")).json()["state"] == "scheduled"
    refused = await client.post(f"/campaigns/{campaign_id}/send", json={})
    assert refused.status_code == 400
    assert (await client.post(f"/campaigns/{campaign_id}/cancel")).json()["state"] == "cancelled"
    assert (await client.get("/campaigns/404")).status_code == 404

    listed = (await client.get("/campaigns")).json()
    assert [c["name"] for c in listed] == ["VNeID mức 2"]
    shown = (await client.get(f"/campaigns/{campaign_id}")).json()
    assert shown["progress"] == {}
    report = (await client.get("/report")).json()
    assert report["total"] == 0
    chart = await client.get("/report/chart.png")
    assert chart.content.startswith(b"\x89PNG")


async def test_kill_switch_and_import_over_http(client: httpx.AsyncClient) -> None:
    assert (await client.get("/kill-switch")).json() == {"on": False, "setting": False}
    assert (await client.post("/kill-switch", json={"on": True})).json()["on"] is True
    assert (await client.post("/kill-switch", json={"on": "yes"})).status_code == 400

    csv_text = "channel,chat_id,province,commune,topics\ntelegram,1,,,dich_vu_moi\ntelegram,x,,,dich_vu_moi\n"
    refused = await client.post("/subscribers/import", content=csv_text.encode())
    assert refused.status_code == 422
    assert refused.json()["bad_rows"] == [{"line": 3, "reason": "chat_id must be a number for telegram"}]
    done = await client.post("/subscribers/import?skip_invalid=1", content=csv_text.encode())
    assert done.status_code == 200
    assert done.json()["created"] == 1
    topics = (await client.get("/topics")).json()
    assert {"id": "ky_nang_so", "label": "Mẹo kỹ năng số"} in topics
