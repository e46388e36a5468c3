import pytest

from llmcli.core.errors import InvalidInput
from llmcli.core.options import Options, parse_pairs, validate_options


def test_pairs_are_validated_and_typed():
    opts = validate_options(
        parse_pairs(["temperature=0.2", "max_tokens=5", "stop=###", "stop=END"])
    )
    assert opts.temperature == 0.2
    assert opts.max_tokens == 5
    assert opts.stop == ["###", "END"]
    assert opts.set_values() == {"temperature": 0.2, "max_tokens": 5, "stop": ["###", "END"]}


@pytest.mark.parametrize(
    ("pair", "fragment"),
    [
        ("temperature=3", "temperature"),
        ("temperature=-0.1", "temperature"),
        ("top_p=0", "top_p"),
        ("top_k=0", "top_k"),
        ("max_tokens=abc", "max_tokens"),
        ("bogus=1", "unknown option 'bogus'"),
    ],
)
def test_bad_options_are_one_line_errors(pair, fragment):
    with pytest.raises(InvalidInput) as err:
        validate_options(parse_pairs([pair]))
    assert fragment in err.value.one_line()
    assert "\n" not in err.value.one_line()
    assert err.value.exit_code == 2


def test_pair_without_equals_is_refused():
    with pytest.raises(InvalidInput, match="not key=value"):
        parse_pairs(["temperature"])


def test_dash_names_are_accepted():
    assert validate_options(parse_pairs(["max-tokens=3"])).max_tokens == 3


def test_subclass_options_forbid_extras_too():
    class Local(Options):
        min_p: float | None = None

    assert validate_options({"min_p": "0.1"}, Local).min_p == 0.1
    with pytest.raises(InvalidInput) as err:
        validate_options({"nope": 1}, Local)
    assert "known options:" in err.value.one_line() and "min_p" in err.value.one_line()
