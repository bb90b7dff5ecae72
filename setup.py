"""Ships the top-level contracts/ and scenarios/ inside the wheel, as mockserver/_data/<folder>.

They stay at the top of the repository (the layout every provider follows); an installed sandbox
finds them through mockserver.core.basics.bundled. Everything else is in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("contracts", "scenarios")


class build_py_with_data(build_py):
    def run(self):
        super().run()
        # an editable install reads the checkout's folders in place; only a real build copies them
        if getattr(self, "editable_mode", False):
            return
        for folder in SHIPPED:
            source = HERE / folder
            if not source.is_dir():
                raise SystemExit(f"cannot build: {source} is missing (the distribution must carry it)")
            target = Path(self.build_lib) / "mockserver" / "_data" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": build_py_with_data})
