"""The plugin in a merchant's own project: no asyncio settings, unrelated YAML beside the scenarios."""
import pytest

pytest_plugins = ["pytester"]

SCENARIO = """\
scenario: never paid
provider: cryptopayment
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 5}
    save: {invoice: invoice.id}
  - advance: 31m
  - call: GET /invoices/{invoice}
    expect: {json: {invoice: {status: expired}}}
"""

# a load-test config that happens to live under scenarios/: not YAML the runner could load
LOCUST = """\
locustfile: shop.py
users: 50
\tspawn-rate: 5
"""

ASYNC_TEST = """\
import json

import aiohttp


async def test_async_checkout(sandbox):
    creds = sandbox.merchant("cryptopayment")
    headers = {"Authorization": f"Bearer {creds['api_key']}:{creds['api_secret']}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(sandbox.url("cryptopayment") + "/invoices", headers=headers,
                                json={"network": "trc20", "amount_usd": 50}) as resp:
            assert resp.status == 201
            invoice = (await resp.json())["invoice"]
    await sandbox.aio.pay("cryptopayment", invoice=invoice["id"])
    await sandbox.aio.advance("5m")
    assert [d["event"] for d in await sandbox.aio.deliveries("cryptopayment")] == [
        "payment.detected", "payment.confirmed"]


def test_sync_still_works(sandbox):
    assert sandbox.now() == "2024-01-15T10:00:00+00:00"
"""


@pytest.fixture
def project(pytester):
    """A merchant's checkout: pytest.ini with no asyncio setting at all."""
    pytester.makeini("[pytest]\n")
    pytester.makefile(".yaml", **{"scenarios/never_paid": SCENARIO, "scenarios/load/locust": LOCUST})
    pytester.makefile(".yml", **{"scenarios/load/ci": "stages: [build]\n"})
    return pytester


def test_only_scenario_files_are_collected(project):
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    assert "never paid" in result.stdout.str()
    assert "locust" not in result.stdout.str() and "ci.yml" not in result.stdout.str()
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_async_tests_need_no_asyncio_mode(project):
    project.makepyfile(test_shop=ASYNC_TEST)
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "test_shop.py")
    result.assert_outcomes(passed=2)


def test_async_tests_run_without_pytest_asyncio_too(project):
    project.makepyfile(test_shop=ASYNC_TEST)
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:aiohttp",
                                         "test_shop.py")
    result.assert_outcomes(passed=2)


def test_a_users_own_asyncio_marker_wins(project):
    project.makepyfile(test_shop="""
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_first(sandbox):
    import asyncio
    pytest.first_loop = asyncio.get_running_loop()


async def test_second(sandbox):
    import asyncio
    assert asyncio.get_running_loop() is pytest.first_loop
""")
    project.runpytest_inprocess("-p", "no:cacheprovider", "test_shop.py").assert_outcomes(passed=2)


def test_switched_off_with_p_no(project):
    project.makepyfile(test_shop="def test_needs_sandbox(sandbox):\n    pass\n")
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:provider_sandbox")
    result.assert_outcomes(errors=1)  # no scenario collected, and no `sandbox` fixture
    result.stdout.fnmatch_lines(["*fixture 'sandbox' not found*"])


@pytest.mark.slow(reason="a whole pytest process in a fresh project, as a merchant runs it")
def test_a_fresh_project_gets_no_warning_from_the_plugins_setup(project):
    """pytest-asyncio (brought by the [pytest] extra) warned on every run of a project that never
    set asyncio_default_fixture_loop_scope; a whole process, as a merchant runs it."""
    project.makepyfile(test_shop=ASYNC_TEST)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "test_shop.py")
    result.assert_outcomes(passed=2)
    output = result.stdout.str() + result.stderr.str()
    assert "Warning" not in output and "warnings summary" not in output, output


@pytest.mark.slow(reason="a whole pytest process in a fresh project, as a merchant runs it")
def test_a_project_that_chose_a_loop_scope_keeps_it(project):
    project.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    project.makepyfile(test_shop=ASYNC_TEST)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "test_shop.py")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*asyncio_default_fixture_loop_scope=function*"])
