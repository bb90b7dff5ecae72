"""The complete example in docs/scenarios.md runs green."""
from pathlib import Path

from mockserver.scenarios.loader import load_text
from mockserver.scenarios.runner import run_all

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


async def test_documented_example_passes(monkeypatch):
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## A complete example\n\n```yaml\n")
    block = text[start:].split("```yaml\n", 1)[1].split("```", 1)[0]
    [result] = await run_all(load_text(block, "docs/scenarios.md"))
    assert result.ok, result.text(verbose=True)
