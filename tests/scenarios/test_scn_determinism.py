"""Same scenario, same seed -> byte-identical journal export; a golden file holds one of them.

Regenerate after an intended change: UPDATE_GOLDEN=1 pytest tests/scenarios/test_scn_determinism.py
"""
import os
from pathlib import Path

from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.loader import load_file
from mockserver.scenarios.runner import InProcessSandbox, client_session, run_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "cryptopayment" / "receiver_down_then_up.yaml"
GOLDEN = Path(__file__).parent / "golden" / "receiver_down_then_up.journal.ndjson"


async def _exports(runs: int) -> list[tuple]:
    """Each run in a fresh sandbox (new port, new receiver port), plus one more after a reset."""
    [scenario] = load_file(SCENARIO)
    exports = []
    async with client_session() as session:
        for _ in range(runs):
            sandbox = InProcessSandbox()
            client = SandboxClient(await sandbox.start(), session)
            try:
                for _again in range(2):
                    result = await run_scenario(scenario, client)
                    assert result.ok, result.text(verbose=True)
                    bodies = [d["body"] for d in await client.deliveries("cryptopayment")]
                    exports.append((await client.journal_export(), tuple(bodies)))
            finally:
                await sandbox.close()
    return exports


async def test_same_seed_same_journal_bytes():
    exports = await _exports(2)
    assert len(set(exports)) == 1  # journal and webhook bodies (ids, addresses, txids, signatures)
    export, bodies = exports[0]
    assert len(bodies) == 2 and '"txid":"' in bodies[1]
    assert "latency_ms" not in export and "127.0.0.1" not in export
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(export, encoding="utf-8")
    assert export == GOLDEN.read_text(encoding="utf-8")


async def test_other_seed_other_journal():
    [scenario] = load_file(SCENARIO)
    scenario.seed += 1
    async with client_session() as session:
        sandbox = InProcessSandbox()
        client = SandboxClient(await sandbox.start(), session)
        try:
            assert (await run_scenario(scenario, client)).ok
            export = await client.journal_export()
        finally:
            await sandbox.close()
    assert export != GOLDEN.read_text(encoding="utf-8")
