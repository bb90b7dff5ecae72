"""The simulate buttons for a provider's hosted page (checkout_url, payUrl, widget...): the same
verbs, presets and fields as the dashboard's object page, as the HTML fragment the page's slot
(`Provider.sandbox_panel`) is filled with. Plain strings (no Jinja2), so a hosted page costs no
template engine."""
from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

from .data import object_verbs


def simulate_panel(provider, view: dict) -> str:
    """The buttons for what applies to the object now (`view`: Provider.object_view)."""
    link = "/_sandbox/ui/p/" + "/".join(quote(part, safe="") for part in (provider.name, view["kind"], view["id"]))
    parts = ['<p><strong>Sandbox</strong>: simulate what happens next (<a href="' + escape(link)
             + '">open in the dashboard</a>).</p>']
    verbs = object_verbs(provider, view)
    if not verbs:
        parts.append(f'<p class="none">Nothing to simulate: the {escape(view["kind"])} is '
                     f'{escape(str(view["status"]))}.</p>')
    for verb in verbs:
        url = escape(f"/_sandbox/simulate/{provider.name}/{verb['verb']}")
        for preset in verb["presets"]:
            parts.append(f'<button type="button" data-post="{url}" data-body="{escape(json.dumps(preset["body"]))}">'
                         f'{escape(preset["label"])}</button>')
            if preset["note"]:
                parts.append(f'<span class="note">{escape(preset["note"])}</span>')
        if verb["fields"]:
            parts.append(f'<form class="inline" data-post="{url}" data-body="{escape(json.dumps(verb["base"]))}">')
            for field in verb["fields"]:
                name = escape(field["name"])
                if field["choices"]:
                    options = "".join(f"<option>{escape(str(c))}</option>" for c in field["choices"])
                    parts.append(f'<label>{name} <select name="{name}"><option value="">(default)</option>'
                                 f'{options}</select></label>')
                else:
                    parts.append(f'<label>{name} <input name="{name}" size="10"></label>')
            parts.append(f'<button type="submit">{escape(verb["verb"])}</button></form>')
    parts.append('<div id="toast" role="status" aria-live="polite"></div>')
    return "\n".join(parts)
