"""The local lakehouse's command-line tools: one entry point, `lakehouse`, with subcommands."""
