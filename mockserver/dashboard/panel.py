"""The simulate buttons for a provider's hosted page (checkout_url, payUrl, widget...): the same
verbs, presets and fields as the dashboard's object page, as the HTML fragment the page's slot
(`Provider.sandbox_panel`) is filled with. Plain strings (no Jinja2), so a hosted page costs no
template engine."""
from __future__ import annotations

import json
from html import escape

from .data import object_verbs


def simulate_panel(provider, kind: str, object_id: str) -> str:
    parts = ['<p><strong>Sandbox</strong>: simulate what '
             'happens next (<a href="/_sandbox/ui/p/' + escape(provider.name) + "/" + escape(kind) + "/"
             + escape(object_id) + '">open in the dashboard</a>).</p>']
    for verb in object_verbs(provider, kind, object_id):
        url = escape(f"/_sandbox/simulate/{provider.name}/{verb['verb']}")
        for preset in verb["presets"]:
            parts.append(f'<button type="button" data-post="{url}" data-body="{escape(json.dumps(preset["body"]))}">'
                         f'{escape(preset["label"])}</button>')
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
