"""The served process's collector settings (core/http/runtime.py), in a process of its own: the test
process's collector is not ours to change."""
import subprocess
import sys


def test_serving_collects_young_objects_less_often_and_freezes_start_up():
    code = ("import gc; from mockserver.app import build_app; from mockserver.config import SandboxConfig; "
            "build_app(SandboxConfig()); before = gc.get_freeze_count(); "
            "from mockserver.core.http.runtime import tune_collector; tune_collector(); "
            "assert gc.get_threshold() == (10000, 2, 50), gc.get_threshold(); "
            "assert gc.get_freeze_count() > before + 10000, gc.get_freeze_count(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr

