"""Fixtures for the retrieval tests: a bag-of-words embedder (in process, and behind the OpenAI
stub) whose similarities follow shared words, so rankings can be asserted exactly."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from pathlib import Path

import pytest

DIMS = 64
_WORD = re.compile(r"\w+")


def bow_vector(text: str, dims: int = DIMS) -> list[float]:
    """Counts of hashed lower-cased words: texts sharing words point the same way."""
    vec = [0.0] * dims
    for word in _WORD.findall(text.lower()):
        if len(word) > 2:  # short words (de, a, o) would make everything alike
            vec[zlib.crc32(word.encode("utf-8")) % dims] += 1.0
    if not any(vec):
        vec[0] = 1.0
    return vec


class CountingEmbedder:
    """An in-process embedder that records every text it is asked for."""

    def __init__(self, dims: int = DIMS):
        self.dims = dims
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [bow_vector(t, self.dims) for t in texts]

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def embed_server(openai_server):
    """The OpenAI stub answering /embeddings with bag-of-words vectors (as the SDK asks:
    base64 float32 or plain floats)."""
    from tests.stubs.base import Recorded, Reply

    def embeddings(req: Recorded) -> Reply:
        body = req.body or {}
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        as_b64 = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            vec = bow_vector(str(text))
            emb = (base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
                   if as_b64 else vec)
            data.append({"object": "embedding", "index": i, "embedding": emb})
        return Reply(200, {"object": "list", "model": body.get("model"), "data": data,
                           "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    openai_server.embeddings = embeddings
    return openai_server


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """A small folder of Portuguese notes: Markdown recipes, a CSV table, a text plan, and
    files that must be skipped."""
    root = tmp_path / "notas"
    (root / "sub").mkdir(parents=True)
    (root / "receitas.md").write_text(
        "# Receitas\n\n## Frango grelhado\n\nTempere o peito de frango com alho e limão. "
        "Grelhe por seis minutos de cada lado.\n\n## Omelete de claras\n\nBata quatro claras "
        "com espinafre e cozinhe em fogo baixo.\n", encoding="utf-8")
    (root / "tabela.csv").write_text(
        "Alimento,Proteínas (g),Calorias (kcal)\nPeito de frango,32,159\nBatata-doce,0.6,77\n"
        "Abacate,1.2,96\n", encoding="utf-8")
    (root / "sub" / "treino.txt").write_text(
        "Hidratação: beba 35 ml de água por quilo de peso por dia.\n\n"
        "Sono: durma de sete a nove horas por noite.\n", encoding="utf-8")
    (root / "foto.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (root / "dados.bin2").write_bytes(b"abc\x00\x01\x02def")
    (root / "latin1.txt").write_bytes("café com açúcar".encode("latin-1"))
    (root / ".oculto.md").write_text("# segredo\n\nnão indexar\n", encoding="utf-8")
    return root


@pytest.fixture
def three_notes(tmp_path: Path) -> Path:
    """Three short Portuguese notes as a new user keeps them: a menu and a nutrition table that
    both name batata-doce, and a router manual (issue #14's case)."""
    root = tmp_path / "anotacoes"
    root.mkdir()
    (root / "cardapio.md").write_text(
        "# Cardápio da semana\n\nSegunda: frango grelhado com purê de batata-doce.\n"
        "Terça: tilápia com arroz integral e salada.\nQuarta: omelete de claras com batata-doce "
        "assada.\nQuinta: carne moída com abóbora.\nSexta: sopa de lentilha.\n", encoding="utf-8")
    (root / "tabela_nutricional.csv").write_text(
        "Alimento,Porção,Calorias (kcal),Proteínas (g)\nBatata-doce cozida,100 g,77,0.6\n"
        "Arroz integral,100 g,124,2.6\nPeito de frango,100 g,159,32\nOvo cozido,50 g,78,6.3\n",
        encoding="utf-8")
    (root / "manual_roteador.txt").write_text(
        "Manual do roteador\n\nPara reiniciar, segure o botão RESET por dez segundos. A senha do "
        "Wi-Fi está na etiqueta embaixo do aparelho. Acesse 192.168.0.1 para configurar.\n",
        encoding="utf-8")
    return root
