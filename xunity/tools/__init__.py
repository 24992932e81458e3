"""Command-line tools: `xunity-opt` and `xunity`."""
