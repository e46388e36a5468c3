import io

from rich.console import Console

from llmcli.ui.stream import MarkdownWriter


def render(pieces, width=60):
    buf = io.StringIO()
    writer = MarkdownWriter(Console(file=buf, force_terminal=True, width=width, color_system=None))
    writer.min_interval = 0.0  # refresh on every piece: the worst case for block commits
    writer.start()
    for p in pieces:
        writer.write(p)
    writer.finish()
    return writer, buf.getvalue()


def test_blank_lines_inside_a_code_fence_are_not_cut():
    text = "Intro.\n\n```python\ndef f():\n\n    return 1\n```\n\nAfter."
    writer, out = render(list(text))
    assert writer.committed == len("Intro.\n\n```python\ndef f():\n\n    return 1\n```\n\n")
    assert "return 1" in out and "After." in out and "```" not in out


def test_every_paragraph_of_a_long_reply_is_printed_once():
    pieces = [f"Paragraph {i} has text.\n\n" for i in range(120)]
    _, out = render(pieces)
    for i in (0, 60, 119):
        assert out.count(f"Paragraph {i} has text.") == 1


def test_long_open_paragraph_throttles_refreshes():
    buf = io.StringIO()
    writer = MarkdownWriter(Console(file=buf, force_terminal=True, width=80))
    writer.start()
    refreshes = 0
    original = writer._refresh

    def counted():
        nonlocal refreshes
        refreshes += 1
        original()

    writer._refresh = counted
    for i in range(20000):
        writer.write(f"w{i} ")
    writer.finish()
    assert refreshes < 200  # spaced by time, not once per piece
    assert writer.text.endswith("w19999 ")
