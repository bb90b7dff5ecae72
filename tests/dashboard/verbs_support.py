"""A merchant's and a tester's hands for the dashboard tests: signed API calls (the provider's own
client_request), simulate verbs, the clock, and the simulate panel a hosted page is filled with,
parsed into what it offers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Offer:
    """One button (a preset) or one form (a verb's free fields) of a simulate panel."""
    verb: str
    label: str | None          # None: the verb's form
    body: dict
    note: str | None = None
    fields: list[str] = field(default_factory=list)


class _Panel(HTMLParser):
    def __init__(self):
        super().__init__()
        self.offers: list[Offer] = []
        self._button: Offer | None = None
        self._form: Offer | None = None
        self._note: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "button" and "data-post" in a:
            self._button = Offer(a["data-post"].rsplit("/", 1)[1], "", json.loads(a["data-body"]))
        elif tag == "form" and "data-post" in a:
            self._form = Offer(a["data-post"].rsplit("/", 1)[1], None, json.loads(a["data-body"]))
        elif tag in ("input", "select") and self._form is not None:
            self._form.fields.append(a["name"])
        elif tag == "span" and a.get("class") == "note":
            self._note = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.label += data
        if self._note is not None:
            self._note.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.offers.append(self._button)
            self._button = None
        elif tag == "form" and self._form is not None:
            self.offers.append(self._form)
            self._form = None
        elif tag == "span" and self._note is not None:
            self.offers[-1].note = "".join(self._note)
            self._note = None


def parse_panel(html: str) -> list[Offer]:
    parser = _Panel()
    parser.feed(html)
    return parser.offers


def relative(provider, path: str) -> str:
    """A provider path as client_request wants it: relative to api_base (else to the prefix)."""
    for base in (provider.api_base, provider.prefix):
        base = base.rstrip("/")
        if base and path.startswith(base + "/"):
            return path[len(base):]
    return path


class Hands:
    def __init__(self, client, world):
        self.client, self.world = client, world

    async def call(self, provider: str, method: str, path: str, body=None, headers=None) -> dict:
        """A signed API call as the merchant's client makes it; answers the JSON, asserting 2xx."""
        p = self.world.providers[provider]
        signed, raw = p.client_request(self.world.backend(provider).merchants[0], method, relative(p, path), body)
        resp = await self.client.request(method, path, headers={**signed, **(headers or {})},
                                         data=raw if body is not None else None)
        text = await resp.text()
        assert 200 <= resp.status < 300, (path, resp.status, text)
        return json.loads(text)

    async def post(self, provider: str, verb: str, body: dict) -> tuple[int, dict]:
        resp = await self.client.post(f"/_sandbox/simulate/{provider}/{verb}", json=body)
        return resp.status, await resp.json()

    async def sim(self, provider: str, verb: str, **params) -> dict:
        status, answer = await self.post(provider, verb, params)
        assert 200 <= status < 300, (verb, params, status, answer)
        return answer

    async def advance(self, by: str) -> None:
        resp = await self.client.post("/_sandbox/clock/advance", json={"by": by})
        assert resp.status == 200, await resp.text()

    async def panel(self, provider: str, kind: str, object_id: str) -> list[Offer]:
        resp = await self.client.get(f"/_sandbox/ui/panel/{provider}/{kind}/{object_id}")
        assert resp.status == 200, await resp.text()
        return parse_panel(await resp.text())

    def view(self, provider: str, kind: str, object_id: str) -> dict:
        return self.world.providers[provider].object_view(self.world.backend(provider), kind, object_id)
