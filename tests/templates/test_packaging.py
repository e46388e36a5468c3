"""The top-level prompts/ folder ships inside the package as llmcli/prompts/, and template
commands keep start-up light (no jinja2 or yaml for --help)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def test_build_py_puts_prompts_inside_the_package(tmp_path):
    # Offline: the same build_py step a wheel build runs, on a copy of the sources.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "llmcli", src / "llmcli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "prompts", src / "prompts")
    readme = ROOT / "README.md"
    (src / "README.md").write_text(readme.read_text(encoding="utf-8") if readme.exists() else "x",
                                   encoding="utf-8")
    out = tmp_path / "build"
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(out)],
                          cwd=src, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shipped = sorted(p.name for p in (out / "llmcli" / "prompts").glob("*.yaml"))
    assert shipped == sorted(p.name for p in (ROOT / "prompts").glob("*.yaml"))
    assert len(shipped) == 12
    # In the built package the loader finds them next to the code.
    probe = ("import sys; sys.path.insert(0, sys.argv[1]);"
             "from llmcli.templates.loader import builtin_dir; print(builtin_dir())")
    where = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True,
                           cwd=tmp_path)
    assert where.stdout.strip() == str(out / "llmcli" / "prompts")


def test_editable_install_finds_the_repo_prompts():
    from llmcli.templates.loader import builtin_dir

    assert builtin_dir() == ROOT / "prompts"


PROBE = """
import io, json, sys
from llmcli.cli.app import run
from llmcli.environment import Environment
env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                  stdin_isatty=True, stdout_isatty=False, stderr_isatty=False)
code = run(sys.argv[1:], env)
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_help_does_not_import_jinja_or_yaml():
    for args in (["--help"], ["templates", "--help"], ["prompt", "--help"]):
        out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                             check=True)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        assert data["code"] == 0
        assert not {"jinja2", "yaml", "llmcli.templates.render"} & set(data["modules"]), args

