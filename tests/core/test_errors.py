from llmcli.core import errors


def test_known_secret_is_masked_everywhere():
    errors.register_secret("sk-test-abcdefghijklmnop")
    err = errors.AuthError(
        "bad key sk-test-abcdefghijklmnop rejected", debug={"body": "key=sk-test-abcdefghijklmnop"}
    )
    assert "sk-test-abcdefghijklmnop" not in err.one_line()
    assert "sk-test-abcdefghijklmnop" not in err.debug["body"]


def test_key_shaped_strings_are_redacted():
    text = errors.redact(
        "Authorization: Bearer gsk_live_1234567890abcdef and AIzaSyA1234567890abcdefghijklmnop"
    )
    assert "1234567890abcdef" not in text
    assert "AIzaSyA1234567890" not in text


def test_messages_are_one_line():
    err = errors.ProviderError("first line\nsecond line with details")
    assert err.one_line() == "first line"


def test_exit_codes_are_distinct():
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.LlmcliError)
    ]
    # A refinement (RetiredModel is an UnknownModel) keeps its parent's code on purpose.
    codes = [c.exit_code for c in classes if errors.LlmcliError in c.__bases__]
    assert len(codes) == len(set(codes))
    assert errors.RetiredModel.exit_code == errors.UnknownModel.exit_code == 5
    assert errors.Interrupted.exit_code == 130


def test_retryable_classification():
    assert errors.is_retryable(errors.RateLimited("slow down"))
    assert errors.is_retryable(errors.ProviderError("boom", status=503, retryable=True))
    assert not errors.is_retryable(errors.ProviderError("bad", status=400))
    assert not errors.is_retryable(errors.AuthError("no"))
