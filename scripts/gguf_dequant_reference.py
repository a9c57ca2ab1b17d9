#!/usr/bin/env python3
"""Random ggml blocks of each type repro dequantizes, with the values llama.cpp's own `gguf`
package (`gguf.quants.dequantize`, the code transformers' GGUF loader calls) gives for them, for
the unit test in src/model/gguf/dequant_tests.rs.

    pip install gguf numpy && python scripts/gguf_dequant_reference.py

writes tests/fixtures/gguf/dequant_blocks.json: per type, the block bytes (hex) and the f32 bit
patterns of the values (exact comparison). Scale fields are set to finite f16 values so no
block decodes to NaN.
"""

import json
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as T
from gguf.quants import dequantize

# Byte offsets of the f16 scale fields of each block (ggml-common.h).
SCALES = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
BLOCKS = 2


def main() -> None:
    rng = np.random.default_rng(20240601)
    out = {}
    for qtype in [T.F16, T.BF16, *SCALES]:
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        if qtype in (T.F16, T.BF16):
            values = rng.normal(0, 2, 32).astype(np.float32)
            if qtype == T.F16:
                data = values.astype(np.float16).view(np.uint8)
            else:
                data = (values.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
            expected = dequantize(data, qtype)
        else:
            data = rng.integers(0, 256, BLOCKS * type_size, dtype=np.uint8)
            for block in range(BLOCKS):
                for offset in SCALES[qtype]:
                    scale = np.float16(rng.uniform(-0.1, 0.1)).reshape(1).view(np.uint8)
                    at = block * type_size + offset
                    data[at:at + 2] = scale
            expected = dequantize(data, qtype)
        expected = np.asarray(expected, dtype=np.float32).reshape(-1)
        assert np.isfinite(expected).all()
        out[qtype.name] = {
            "bytes": data.tobytes().hex(),
            "len": int(expected.size),
            "f32_bits": expected.view(np.uint32).tolist(),
        }
    path = Path(__file__).resolve().parent.parent / "tests/fixtures/gguf/dequant_blocks.json"
    path.write_text(json.dumps(out) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
