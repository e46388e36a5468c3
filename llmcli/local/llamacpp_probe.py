"""The child process that tries llama.cpp before llmcli relies on it (see llamacpp_guard.py).

`python -m llmcli.local.llamacpp_probe MODEL.gguf` opens the model exactly as the engine does
and evaluates a two-token batch, the smallest input that reaches the matrix-multiply paths that
crash on some CPUs; it prints `ok` and exits 0 when llama.cpp survived.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m llmcli.local.llamacpp_probe MODEL.gguf", file=sys.stderr)
        return 2
    from llmcli.local.llamacpp_backend import LlamaCppModel

    model = LlamaCppModel(argv[0], n_ctx=64)
    ids = model.tokenize("Hello world", add_bos=True)[:2]
    ids += [ids[-1]] * (2 - len(ids))
    logits = model.new_session().feed(ids)
    if logits.shape != (model.n_vocab,):
        print(f"unexpected logits shape {logits.shape}", file=sys.stderr)
        return 1
    model.close()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
