"""The LLM judge: chat models, prompts, structured verdicts, quote verification."""
