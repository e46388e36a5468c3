"""Special tokens: which tokens llama.cpp treats as control tokens, and cutting text at them.

llama.cpp cuts special tokens out of the text before tokenizing the rest: every user-defined
token, and the control tokens when asked (`parse_special`). It tries them longest first, each
over every remaining piece of raw text, left to right. `partition_reference` is that algorithm
as written; `scan_is_exact` tells when a single leftmost-longest regex scan (`trie_regex`, much
faster on large texts) cuts exactly the same way, which holds for Gemma 3's vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# From llama.cpp's llama-vocab.cpp (as vendored by llama-cpp-python 0.3.36): texts that end
# generation, and further texts that are control tokens whatever their type.
EOG_TEXTS = frozenset([
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~[",
])  # fmt: skip
CONTROL_TEXTS = EOG_TEXTS | frozenset([
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
    "<|code_prefix|>", "<|prefix|>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
    "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>", "<|fim_middle|>",
    "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>",
    "<|middle|>", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>",
    "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
])  # fmt: skip

# User-defined tokens that mark where an image, audio or video goes in a multimodal prompt
# (Gemma 3: `<start_of_image>`, `<end_of_image>`, `[multimodal]`). llama.cpp parses them from
# text like any user-defined token, so encoding is unchanged; but they are not text, so a
# reply (decoded without specials) never shows them. HTML tags and whitespace runs, the
# other user-defined tokens, are text.
MEDIA_MARKER = re.compile(r"<[a-z_]*(image|audio|video|media|vision)[a-z_]*>|\[multimodal\]")


def scan_is_exact(specials: list[str]) -> bool:
    """True when a leftmost-longest scan cuts exactly as llama.cpp's longest-first passes.

    That holds unless one special ends with what another begins with (they could overlap and
    the order of passes would decide); runs of one repeated character are the exception, since
    both methods cut a run into the same longest-first pieces.
    """

    def is_run(p: str) -> bool:
        return len(set(p)) == 1

    # For each proper prefix of a special: is it the start of a special that is not a run?
    starts_other: dict[str, bool] = {}
    for p in specials:
        for k in range(1, len(p)):
            starts_other[p[:k]] = starts_other.get(p[:k], False) or not is_run(p)
    for p in specials:
        for k in range(1, len(p)):
            owner_not_run = starts_other.get(p[k:])
            if owner_not_run is None:
                continue
            # A run's tail that starts only other runs of the same character is harmless.
            if owner_not_run or not is_run(p):
                return False
        # A special inside another (not at its start) is fine: the longer one wins either way.
    return True


def trie_regex(words: list[str]) -> str:
    """A regex matching the longest of `words` at each position (a trie, longer paths first)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for c in w:
            node = node.setdefault(c, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Stopping here (when a word ends here) is tried only after every longer one failed.
        return f"(?:{body})?" if end else body

    return build(trie)


def partition_reference(text: str, specials: list[str], ids: Mapping[str, int]) -> list[str | int]:
    """llama.cpp's tokenizer_st_partition as written: each special, longest first, splits every
    raw fragment at its non-overlapping occurrences, left to right."""
    parts: list[str | int] = [text] if text else []
    for special in specials:
        tid = ids[special]
        new: list[str | int] = []
        for part in parts:
            if isinstance(part, int) or special not in part:
                new.append(part)
                continue
            pieces = part.split(special)
            for k, piece in enumerate(pieces):
                if k:
                    new.append(tid)
                if piece:
                    new.append(piece)
        parts = new
    return parts
