"""-a read: the type from the bytes (filetype), the size cap, stdin once."""

from __future__ import annotations

import io

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.fragments.attach import read_attachment, read_attachments
from llmcli.fragments.limits import Limits
from llmcli.fragments.load import Loader
from tests import samples


@pytest.mark.parametrize("make,mime,kind", [
    (samples.png, "image/png", "image"), (samples.jpeg, "image/jpeg", "image"),
    (samples.gif, "image/gif", "image"), (samples.pdf, "application/pdf", "pdf"),
    (samples.mp3, "audio/mpeg", "audio"), (samples.wav, "audio/x-wav", "audio"),
])
def test_the_type_is_sniffed_whatever_the_name(tmp_path, make, mime, kind):
    f = tmp_path / "no-extension"
    f.write_bytes(make())
    att = read_attachment(str(f), Loader())
    assert (att.mime, att.kind, att.data) == (mime, kind, make())


def test_a_known_type_no_provider_takes_is_named(tmp_path):
    f = tmp_path / "a.zip"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InvalidInput, match="it looks like application/zip"):
        read_attachment(str(f), Loader())


def test_an_attachment_over_the_cap_is_refused_before_reading(tmp_path):
    f = tmp_path / "big.png"
    f.write_bytes(samples.png() + b"\x00" * 5000)
    with pytest.raises(InvalidInput, match="is more than the 4 KB an attachment may be"):
        read_attachment(str(f), Loader(), Limits(attachment_bytes=4096))


def test_stdin_feeds_one_dash_only(tmp_path):
    loader = Loader(stdin=io.BytesIO(samples.png()))
    assert read_attachment("-", loader).source == "stdin"
    with pytest.raises(InvalidInput, match="stdin was already read"):
        loader.load(["-"])


def test_the_same_bytes_twice_are_sent_once(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(samples.png())
    b.write_bytes(samples.png())
    assert [x.source for x in read_attachments([str(a), str(b)], Loader())] == [str(a)]
