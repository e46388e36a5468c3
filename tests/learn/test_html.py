"""The tour's HTML page in headless Chromium (the Debian package, driven by its chromedriver
through selenium): it renders (screenshot), the attention view answers a hover with the
trace's weights, the temperature slider redraws softmax(logits / T) over the whole vocabulary,
and the page makes no network request."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.learn.conftest import SENTENCE

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (scripts/test installs them)")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from tests.conftest import run_in_process

    path = tmp_path_factory.mktemp("html") / "tour.html"
    r = run_in_process(["learn", SENTENCE, "--lang", "pt", "--html", str(path)])
    assert r.exit_code == 0, r.stderr
    assert f"saved {path}" in r.stderr and r.stdout == ""
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,1600",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    yield driver
    driver.quit()


def requests(driver) -> list[tuple[str, str]]:
    """(url, url of the document that asked) of every request the browser logged since the
    last call (chromedriver's performance log: the DevTools Network events)."""
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            out.append((params["request"]["url"], params.get("documentURL", "")))
    return out


def test_page_is_one_offline_file(page):
    html = page.read_text(encoding="utf-8")
    assert html.count("<script") == 2 and "<link" not in html
    assert "src=" not in html and "http://" not in html and "https://" not in html
    assert "Codificação posicional" in html and "Positional encoding" in html  # both languages
    assert page.stat().st_size < 400_000


def test_page_in_chromium(page, browser, tour, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    run, _ = tour
    driver = browser
    requests(driver)  # drain what the browser's own start page did
    driver.get(page.as_uri())
    assert driver.find_element(By.CSS_SELECTOR, "#step-tokens h2").text == "1. Tokens e ids"

    # Hover a token: the readout and the chips show the trace's weights for that row.
    Select(driver.find_element(By.ID, "attn-layer")).select_by_value("5")
    Select(driver.find_element(By.ID, "attn-head")).select_by_value("2")
    chips = driver.find_elements(By.CSS_SELECTOR, "#attn-tokens .tok")
    assert [c.text.split("\n")[0] for c in chips] == run.pieces
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chips[2])
    ActionChains(driver).move_to_element(chips[2]).perform()
    readout = driver.find_element(By.ID, "attn-readout")
    assert readout.get_attribute("data-pos") == "2"
    weights = run.trace.attention[5][2, 2]
    shown = [c.find_element(By.TAG_NAME, "small").text for c in chips]
    assert shown[:3] == [f"{100 * w:.2f}%" for w in weights[:3]]
    assert shown[3:] == ["·"] * (len(chips) - 3)  # the causal mask
    assert readout.text.startswith("▁gato → <bos> ")
    assert "rgba(31, 111, 235" in chips[0].value_of_css_property("background-color")

    # The temperature slider: softmax(logits / T) over all 262,144 logits.
    slider = driver.find_element(By.ID, "temp")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)

    def bars() -> list[tuple[str, float]]:
        return [(b.get_attribute("data-piece"), float(b.get_attribute("data-p")))
                for b in driver.find_elements(By.CSS_SELECTOR, "#temp-bars .bar")]

    def expected(temperature: float) -> np.ndarray:
        z = run.trace.logits.astype(np.float64) / temperature
        e = np.exp(z - z.max())
        return e / e.sum()

    top = np.argsort(-run.trace.logits)[:12]
    assert slider.get_attribute("value") == "0.8"
    np.testing.assert_allclose([p for _, p in bars()], expected(0.8)[top], atol=2e-4)
    slider.click()  # the middle of the track: about T = 1
    slider.send_keys(*[Keys.ARROW_LEFT] * 40)  # down to the minimum, 0.05 per key
    slider.send_keys(*[Keys.ARROW_RIGHT] * 9)  # 0.05 + 9 * 0.05 = 0.5
    temperature = float(driver.find_element(By.ID, "temp-readout").get_attribute("data-t"))
    assert temperature == pytest.approx(0.5)
    cold = bars()
    np.testing.assert_allclose([p for _, p in cold], expected(0.5)[top], atol=2e-4)
    assert [piece for piece, _ in cold] == [run.piece(int(i)) for i in top]
    slider.send_keys(*[Keys.ARROW_RIGHT] * 20)  # T = 1.5: flatter
    hot = bars()
    np.testing.assert_allclose([p for _, p in hot], expected(1.5)[top], atol=2e-4)
    assert hot[0][1] < cold[0][1] / 2

    # The language toggle shows the English text.
    english = driver.find_element(By.CSS_SELECTOR, "#step-tokens [lang=en] h2")
    portuguese = driver.find_element(By.CSS_SELECTOR, "#step-tokens [lang=pt] h2")
    assert portuguese.is_displayed() and not english.is_displayed()
    driver.find_element(By.CSS_SELECTOR, "button[data-lang=en]").click()
    assert english.text == "1. Tokens and ids" and not portuguese.is_displayed()

    # A screenshot of the page with the attention view in use.
    chips = driver.find_elements(By.CSS_SELECTOR, "#attn-tokens .tok")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})",
                          driver.find_element(By.ID, "attn-widget"))
    ActionChains(driver).move_to_element(chips[-1]).perform()
    shot = tmp_path / "tour.png"
    assert driver.save_screenshot(str(shot))
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape[1] >= 1000 and pixels.std() > 10  # drawn, not blank
    if os.environ.get("LEARN_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["LEARN_SCREENSHOTS"]) / "learn-tour.png")

    # Nothing but the file itself was requested.
    seen = requests(driver)
    ours = [url for url, document in seen if document == page.as_uri()]
    assert page.as_uri() in ours  # the log does record the page's requests
    assert [u for u in ours if not u.startswith(("file:", "data:"))] == []
    network = ("http:", "https:", "ws:", "wss:", "ftp:")
    assert [u for u, _ in seen if u.startswith(network)] == []  # nor did anything else
