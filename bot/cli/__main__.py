"""`python -m bot.cli` runs the `pathways` command."""

from bot.cli import main

main()
