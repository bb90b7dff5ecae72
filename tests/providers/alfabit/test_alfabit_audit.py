"""Every row of the AlfaBit Pay audit, measured against the sandbox as the audit measured it (HTTP
calls, compared with the docs page or the public client behind the row): no row differs or is
missing, and docs/providers/alfabit.md's table "documented -> sandbox -> source" gives each row
the verdict measured here. The same checks run against any sandbox:
`python tests/providers/alfabit/audit_rows.py --server http://127.0.0.1:8080`."""
from __future__ import annotations

import io
from collections import Counter

import pytest
from aiohttp.test_utils import TestServer

from audit_rows import docs_verdicts, measure


@pytest.mark.slow(reason="105 rows, each on a reset sandbox with real callback receivers")
async def test_every_audit_row_is_exact_or_labelled(app):
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        out = io.StringIO()
        results = await measure(str(server.make_url("")), out=out)
    finally:
        await server.close()
    report = out.getvalue()
    assert sorted(results) == list(range(1, 106)), report
    assert not [n for n, v in results.items() if v in ("differs", "missing")], report
    counts = Counter(results.values())
    assert (counts["exact"], counts["labelled"]) == (64, 41), report
    assert sorted(docs_verdicts()) == list(range(1, 106))       # every row on the docs page, none unlabelled
