"""The KV cache's arrays and bookkeeping (xunity/llm/kv_cache.py)."""

import numpy as np
import pytest

from xunity.llm.kv_cache import ContextFullError, KVCache, zeroed_array


def test_zeroed_array_is_writable_float32_zeros() -> None:
    array = zeroed_array((3, 2, 5))
    assert array.shape == (3, 2, 5) and array.dtype == np.float32
    assert not array.any()
    array[1, 1, 4] = 2.5
    assert array.sum() == 2.5
    assert zeroed_array((0, 4)).shape == (0, 4)


def test_cache_views_slots_and_limits() -> None:
    cache = KVCache(4, layers=2, kv_heads=1, head_dim=3)
    assert cache.capacity == 4 and cache.keys.shape == (4, 2, 1, 3)
    keys, values = cache.slots(3)
    keys[...] = 1.0
    values[...] = 2.0
    cache.advance(3)
    past_keys, past_values = cache.past()
    assert past_keys.shape == (3, 2, 1, 3) and (past_keys == 1.0).all()
    assert (past_values == 2.0).all() and not cache.keys[3].any()
    with pytest.raises(ContextFullError, match="context of 4 tokens"):
        cache.slots(2)
    cache.truncate(1)
    assert cache.length == 1 and cache.slots(3)[0].shape[0] == 3
