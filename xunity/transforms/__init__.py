"""xunity's passes: one module per pass, named after the pass in snake_case."""
