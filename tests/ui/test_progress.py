import io

from llmcli.environment import Environment
from llmcli.ui.progress import ConversionProgress


def env(tty: bool) -> Environment:
    return Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                       stdin_isatty=False, stdout_isatty=False, stderr_isatty=tty, width=80)


def test_piped_stderr_gets_one_line_per_stage():
    e = env(False)
    hook = ConversionProgress(e)
    for stage, f in [("reading GGUF", 0.0), ("reading GGUF", 0.1), ("converting weights", 0.2),
                     ("converting weights", 0.9), ("done", 1.0)]:
        hook(stage, f)
    assert e.stderr.getvalue().splitlines() == [
        "llmcli: first use of this model file: reading GGUF…",
        "llmcli: first use of this model file: converting weights…",
    ]
    assert e.stdout.getvalue() == ""


def test_terminal_gets_a_bar_that_goes_away():
    e = env(True)
    hook = ConversionProgress(e)
    hook("converting weights", 0.5)
    assert hook._progress is not None
    hook("done", 1.0)
    assert hook._progress is None
    assert "local model" in e.stderr.getvalue()
