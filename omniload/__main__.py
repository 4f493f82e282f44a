"""The `omniload` command (`python -m omniload`, and the script pyproject.toml installs): the process's allocators
are set first, before the CLI's imports bring in Arrow, which reads its allocator's variable when imported
(omniload/memory.py); `import omniload` alone never sets them."""

from __future__ import annotations


def main() -> None:
    from omniload.memory import configure_allocators

    configure_allocators()
    from omniload.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
