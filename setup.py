"""Packaging hook: ship the top-level prompts/ folder inside the wheel as llmcli/prompts/.

Everything else about the package is in pyproject.toml. The built-in templates live at the
root of the repository (they are content, not code), so build_py is told to copy
prompts/*.yaml into the llmcli package it builds; sdists pick them up the same way. An editable
install needs nothing: llmcli.templates.loader.builtin_dir() falls back to the repo's prompts/.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithPrompts(build_py):
    """build_py that also lists prompts/*.yaml as data files of the llmcli package."""

    def _get_data_files(self):
        files = list(super()._get_data_files())
        src = Path("prompts")
        names = sorted(p.name for p in src.glob("*.yaml"))
        if names:
            build_dir = str(Path(self.build_lib, "llmcli", "prompts"))
            files.append(("llmcli", str(src), build_dir, names))
        return files


setup(cmdclass={"build_py": BuildPyWithPrompts})
