"""The built-in receiver answers as scripted, attempt by attempt, and records what it got."""
import aiohttp
import pytest

from mockserver.scenarios.receiver import Receiver


async def test_scripted_replies_in_order_last_repeats():
    receiver = Receiver([503, {"status": 200, "body": {"ok": True}, "slow": "20ms",
                               "headers": {"X-Merchant": "1"}}])
    url = await receiver.start("/hook")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=b'{"n":1}') as resp:
                assert resp.status == 503
            for n in (2, 3):
                async with session.post(url, data=b'{"n":%d}' % n, headers={"Signature": "abc"}) as resp:
                    assert resp.status == 200 and await resp.json() == {"ok": True}
                    assert resp.headers["X-Merchant"] == "1"
    finally:
        await receiver.close()
    assert [r.reply for r in receiver.received] == ["503", "200 after 0.02s", "200 after 0.02s"]
    assert receiver.received[2].headers["Signature"] == "abc" and receiver.received[2].path == "/hook"
    assert receiver.find(b'{"n":2}').number == 2 and receiver.find(b"nope") is None


async def test_timeout_and_reset():
    receiver = Receiver(["timeout", "reset", 200])
    url = await receiver.start()
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(TimeoutError):
                async with session.post(url, data=b"{}", timeout=aiohttp.ClientTimeout(total=0.1)):
                    pass
            with pytest.raises(aiohttp.ServerDisconnectedError):
                async with session.post(url, data=b"{}"):
                    pass
            async with session.post(url, data=b"{}") as resp:
                assert resp.status == 200
    finally:
        await receiver.close()  # releases the held request at once
    assert [r.reply for r in receiver.received] == ["timeout", "reset", "200"]


async def test_verify_mode_acts_as_a_correct_merchant():
    receiver = Receiver([500], verifier=lambda headers, body: body == b"good")
    url = await receiver.start()
    try:
        async with aiohttp.ClientSession() as session:
            for body, status in ((b"good", 200), (b"forged", 400), (b"good", 200)):
                async with session.post(url, data=body) as resp:
                    assert resp.status == status
    finally:
        await receiver.close()
