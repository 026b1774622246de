"""briefbot's read path and its surfaces: retrieval, answers, summaries, the CLI and the Slack app."""
