import json
import stat


def test_set_list_remove_cycle_with_0600_file(cli, home):
    res = cli("keys", "set", "groq", input="gsk_supersecretvalue1234\n")
    assert res.exit_code == 0
    assert "gsk_supersecretvalue1234" not in res.stderr + res.stdout
    path = home / "config" / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == {"groq": "gsk_supersecretvalue1234"}

    listing = cli("keys", "list", "--json")
    assert listing.exit_code == 0
    assert "gsk_supersecretvalue1234" not in listing.stdout
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["groq"]["source"] == "keys file"
    assert rows["groq"]["stored"].endswith("1234")

    assert cli("keys", "remove", "groq").exit_code == 0
    assert json.loads(path.read_text(encoding="utf-8")) == {}
    again = cli("keys", "remove", "groq")
    assert again.exit_code == 2 and "no stored key" in again.stderr


def test_env_var_shows_as_source(cli):
    res = cli("keys", "list", "--json", env={"GROQ_API_KEY": "gsk_fromenv_abcdefgh"})
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["groq"]["source"] == "env GROQ_API_KEY"
    assert "gsk_fromenv_abcdefgh" not in res.stdout


def test_empty_key_refused(cli):
    res = cli("keys", "set", "openai", input="\n")
    assert res.exit_code == 2 and "empty key" in res.stderr


def test_path(cli, home):
    res = cli("keys", "path")
    assert res.stdout.strip() == str(home / "config" / "keys.json")


def test_set_for_an_unknown_provider_is_refused_with_the_closest_name(cli, home):
    res = cli("keys", "set", "grok", input="gsk_abcdefgh\n")
    assert res.exit_code == 2
    assert res.stderr == "llmcli: error: unknown provider 'grok' (did you mean 'groq'?)\n"
    assert not (home / "config" / "keys.json").exists()
    res = cli("keys", "set", "local", input="x\n")
    assert res.exit_code == 2 and "needs no API key" in res.stderr


def test_set_for_a_named_endpoint_is_accepted(cli, home):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        '[endpoints.ollama]\nbase_url = "http://127.0.0.1:9/v1"\n', encoding="utf-8")
    res = cli("keys", "set", "ollama", input="k_abcdefgh\n")
    assert res.exit_code == 0, res.stderr
