"""The merchant's own id for an object (CryptoPayment order_id, ALT 5 Pay ref_id, Alchemy Pay
merchantOrderNo, AlfaBit Pay comment, ALPPAY invoice): every provider's list shows it and the
list's filter finds the object by it, case-insensitively; the object page names it with the
provider's own field name. Objects made through each provider's API, as a merchant's client does."""
from __future__ import annotations

import re

import pytest

from objects_support import Hands, alchemy, alfabit, alppay, alt5, cp

MAKERS = {
    "cryptopayment": [cp(), cp(withdrawal=20)],
    "alt5pay": [alt5("invoice"), alt5("address")],
    "alchemypay": [alchemy("BUY"), alchemy("SELL")],
    "alfabit": [alfabit("invoice"), alfabit("open invoice"), alfabit("withdrawal")],
    "alppay": [alppay("payment"), alppay("withdrawal")],
}
ROW = re.compile(r"<tr>\s*<td>(?P<kind>[^<]+)</td>\s*<td><a [^>]+>(?P<id>[^<]+)</a></td>\s*<td>(?P<ref>.*?)</td>", re.S)


@pytest.mark.parametrize("name", sorted(MAKERS))
async def test_the_list_shows_and_finds_the_merchants_own_id(client, world, name):
    hands = Hands(client, world)
    made = [await make(hands) for make in MAKERS[name]]
    summaries = {(s["kind"], s["id"]): s for s in world.providers[name].objects(world.backend(name))}
    for kind, ref in made:
        view = hands.view(name, kind, ref)
        field = view["reference_field"]
        if field is None:      # a CryptoPayment withdrawal carries no merchant id
            assert view["reference"] is None and summaries[kind, ref]["reference"] is None
            continue
        sent = view["api"][field]
        assert sent and view["reference"] == sent == summaries[kind, ref]["reference"], (kind, field, view)
        html = await (await client.get(f"/_sandbox/ui/p/{name}", params={"q": sent.lower()})).text()
        rows = [m.groupdict() for m in ROW.finditer(html)]
        assert {"kind": kind, "id": ref, "ref": f"<code>{sent}</code>"} in rows, html
        assert all(sent in r["ref"] or sent.lower() in r["id"].lower() for r in rows)
        page = await (await client.get(f"/_sandbox/ui/p/{name}/{kind}/{ref}")).text()
        assert f'<dt>{field}</dt><dd id="reference"><code>{sent}</code>' in page
    none = await (await client.get(f"/_sandbox/ui/p/{name}", params={"q": "no-such-order"})).text()
    assert "No object matches id or order id containing “no-such-order”" in none
    assert "Nothing yet" not in none and "0 objects matching" in none


async def test_an_empty_list_still_says_how_to_make_one_and_counts_in_words(client, world):
    empty = await (await client.get("/_sandbox/ui/p/cryptopayment", params={"q": "x"})).text()
    assert "Nothing yet: create one through the provider's API" in empty
    await cp()(Hands(client, world))
    one = await (await client.get("/_sandbox/ui/p/cryptopayment")).text()
    assert "<caption>1 object</caption>" in one
