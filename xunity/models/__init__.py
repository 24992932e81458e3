"""Real models written with the Python builder (`xunity.frontends.builder`).

`minilm`: all-MiniLM-L6-v2, the sentence encoder behind `xunity embed`.
"""
