"""Batch runs: many prompts through one or more models, streamed from a file or stdin.

inputs   reads JSONL, CSV or plain lines one record at a time (never the whole file)
build    turns an input record into chat messages (a prompt, or a template filled in)
outputs  writes one record per input per model, flushed as it is written; a reorder buffer
resume   reads what an earlier run already wrote, repairs a torn last line, compacts
runner   feeds the core Scheduler with bounded work, retries failed items, writes and logs
summary  counters, per-model means and the agreement of answers across models
"""
