"""Inspection: what a model sees and does, as plain data (no rich, no typer).

tokens      tokenizer views across models, counts, streaming of large input
embeddings  cosine similarity, nearest neighbours with a cache, token-embedding neighbours
nexttoken   next-token distributions through each sampling transform
attention   attention maps from the local model's trace
layers      per-layer norms, contributions and the logit lens

Every result has a `to_json()` giving the shape the CLI prints with --json.
"""
