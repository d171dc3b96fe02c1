"""The network server (`pathways serve`): one aiohttp application hosting every channel."""
