"""The formatters: pure functions from what the engine wrote to documents and payloads."""
