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


def test_one_display_at_a_time_and_no_bar_stuck_at_zero():
    """First use on a terminal: the spinner waiting for the first token steps aside while the
    conversion bar runs (they never take turns on the line), and comes back after it; a stage
    that reports no fraction until it ends pulses instead of showing 0%."""
    import re

    from llmcli.ui.status import Spinner

    e = env(True)
    spinner = Spinner(e, "local:gemma-3-270m …")
    spinner.start()
    assert spinner.running
    hook = ConversionProgress(e)
    hook("reading GGUF", 0.0)
    assert not spinner.running  # paused: the bar has the line
    mark = len(e.stderr.getvalue())
    task = hook._progress.tasks[0]
    assert task.total is None  # indeterminate, not 0 %
    hook._progress.refresh()
    frame = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", e.stderr.getvalue()[mark:])
    assert "reading GGUF" in frame and "0%" not in frame
    hook("reading GGUF", 1.0)
    hook("converting weights", 0.0)
    hook("converting weights", 0.5)
    assert hook._progress.tasks[0].total == 1.0 and not spinner.running
    hook._progress.refresh()
    assert "50%" in e.stderr.getvalue()
    during = e.stderr.getvalue()[mark:]
    hook("done", 1.0)
    assert "local:gemma-3-270m" not in during  # the spinner drew nothing while the bar ran
    assert spinner.running  # back to waiting for the first token
    spinner.stop()


def test_held_while_the_chat_prompt_owns_the_terminal():
    """The chat warms the model up while the user types: the bar waits (nothing drawn over
    the prompt) and shows the current stage once released."""
    from llmcli.ui import progress

    e = env(True)
    hook = ConversionProgress(e)
    progress.hold(True)
    try:
        hook("reading GGUF", 0.0)
        hook("converting weights", 0.4)
        assert e.stderr.getvalue() == "" and hook._progress is None
    finally:
        progress.hold(False)
    assert hook._progress is not None  # drawn on release, at the latest stage
    assert hook._progress.tasks[0].description == "converting weights"
    hook("done", 1.0)
    assert hook._progress is None
    progress.hold(True)
    hook2 = ConversionProgress(e)
    hook2("reading GGUF", 0.0)
    progress.hold(False, show=False)  # leaving the chat: nothing drawn
    assert hook2._progress is None
