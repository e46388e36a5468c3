"""`llmcli eval`: prompts (or templates) x models x test cases, graded by assertions, with
Wilson intervals and McNemar's exact test; runs stored, diffed and resumed."""
