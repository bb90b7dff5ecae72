"""The built-in receiver as a merchant that allow-lists a provider's callback source addresses."""
import aiohttp

from mockserver.scenarios.loader import load_file
from mockserver.scenarios.receiver import Receiver


async def _post(url: str, source: str, headers: dict | None = None) -> int:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(url, data=b"{}", headers=headers or {}) as resp:
            return resp.status


async def test_requests_from_other_sources_get_403_before_the_script():
    receiver = Receiver([201], allow_sources=["127.0.0.2"])
    url = await receiver.start()
    try:
        assert await _post(url, "127.0.0.2") == 201
        assert await _post(url, "127.0.0.1") == 403
        assert await _post(url, "127.0.0.3") == 403
    finally:
        await receiver.close()
    assert [(r.source, r.reply) for r in receiver.received] == [
        ("127.0.0.2", "201"), ("127.0.0.1", "403"), ("127.0.0.3", "403")]


async def test_behind_a_proxy_the_source_comes_from_a_header():
    receiver = Receiver(allow_sources=["18.194.211.115"], source_header="X-Forwarded-For")
    url = await receiver.start()
    try:
        assert await _post(url, "127.0.0.1", {"X-Forwarded-For": "18.194.211.115, 10.0.0.1"}) == 200
        assert await _post(url, "127.0.0.1", {"X-Forwarded-For": "6.6.6.6"}) == 403
        assert await _post(url, "127.0.0.1") == 403      # no header: the peer itself is not allowed
    finally:
        await receiver.close()


def test_the_scenario_schema_accepts_the_options(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("scenario: x\nprovider: alfabit\nreceiver: {allow_sources: [127.0.0.2], "
                    "source_header: X-Forwarded-For}\nsteps:\n  - advance: 1s\n")
    [scenario] = load_file(path)
    assert scenario.receiver == {"allow_sources": ["127.0.0.2"], "source_header": "X-Forwarded-For"}
