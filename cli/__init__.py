"""Headless subcommands of main.py. Each module defines NAME, HELP,
add_arguments(parser) and main(args) -> exit code; main.py discovers them."""
