"""The local lakehouse's command-line tools: one entry point, `lakehouse`, with subcommands."""


def log(message: str) -> None:
    """A progress line of the `lakehouse` command, on stdout."""
    print(f"lakehouse: {message}", flush=True)
