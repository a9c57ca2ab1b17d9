//! Each block format on a block built by hand, against values worked out by hand from the
//! layout in ggml-common.h (not by re-running the formula under test).

use super::*;

const ONE_HALF: [u8; 2] = [0x00, 0x38]; // f16 0.5
const ONE: [u8; 2] = [0x00, 0x3C]; // f16 1.0
const TWO: [u8; 2] = [0x00, 0x40]; // f16 2.0
const QUARTER: [u8; 2] = [0x00, 0x34]; // f16 0.25
const MINUS_ONE: [u8; 2] = [0x00, 0xBC]; // f16 -1.0

fn run(ty: GgmlType, block: &[u8]) -> Vec<f32> {
    assert_eq!(block.len(), ty.type_size(), "{ty:?} block size");
    dequantize(ty, block, ty.block_size()).unwrap()
}

#[test]
fn float_formats_convert_exactly() {
    let f32s: Vec<u8> = [1.5f32, -0.125]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(
        dequantize(GgmlType::F32, &f32s, 2).unwrap(),
        vec![1.5, -0.125]
    );
    // f16 0x3C00 = 1, 0xC000 = -2; bf16 0x3F80 = 1, 0xC040 = -3.
    assert_eq!(
        dequantize(GgmlType::F16, &[0x00, 0x3C, 0x00, 0xC0], 2).unwrap(),
        vec![1.0, -2.0]
    );
    assert_eq!(
        dequantize(GgmlType::BF16, &[0x80, 0x3F, 0x40, 0xC0], 2).unwrap(),
        vec![1.0, -3.0]
    );
}

#[test]
fn q4_0_is_d_times_nibble_minus_8() {
    let mut block = vec![0x88; 18]; // every nibble 8 → 0
    block[..2].copy_from_slice(&TWO);
    block[2] = 0x1F; // value 0: 15 → 2·7 = 14; value 16: 1 → 2·(−7) = −14
    block[3] = 0x80; // value 1: 0 → −16; value 17: 8 → 0
    let mut expected = vec![0.0; 32];
    expected[0] = 14.0;
    expected[16] = -14.0;
    expected[1] = -16.0;
    assert_eq!(run(GgmlType::Q4_0, &block), expected);
}

#[test]
fn q4_1_is_d_times_nibble_plus_m() {
    let mut block = vec![0x21; 20]; // low 1 → 0.25 − 1 = −0.75; high 2 → 0.5 − 1 = −0.5
    block[..2].copy_from_slice(&QUARTER);
    block[2..4].copy_from_slice(&MINUS_ONE);
    block[4] = 0xF0; // value 0: 0 → −1; value 16: 15 → 3.75 − 1 = 2.75
    let mut expected = [vec![-0.75; 16], vec![-0.5; 16]].concat();
    expected[0] = -1.0;
    expected[16] = 2.75;
    assert_eq!(run(GgmlType::Q4_1, &block), expected);
}

#[test]
fn q5_0_takes_its_fifth_bits_from_qh() {
    let mut block = vec![0u8; 22];
    block[..2].copy_from_slice(&ONE);
    block[2..6].copy_from_slice(&0x0002_0001u32.to_le_bytes()); // bits 0 and 17
    block[7] = 0x0F; // value 1: 15 → −1
    // value 0: 0 | 16 → 0; value 17: 0 | 16 → 0; every other value 0 → −16.
    let mut expected = vec![-16.0; 32];
    expected[0] = 0.0;
    expected[1] = -1.0;
    expected[17] = 0.0;
    assert_eq!(run(GgmlType::Q5_0, &block), expected);
}

#[test]
fn q5_1_is_d_times_five_bits_plus_m() {
    let mut block = vec![0u8; 24];
    block[..2].copy_from_slice(&ONE_HALF);
    block[2..4].copy_from_slice(&ONE);
    block[4..8].copy_from_slice(&0x8000_0000u32.to_le_bytes()); // bit 31: value 31
    block[8 + 15] = 0xF0; // value 15: 0 → 1; value 31: 15 | 16 = 31 → 15.5 + 1 = 16.5
    let mut expected = vec![1.0; 32];
    expected[31] = 16.5;
    assert_eq!(run(GgmlType::Q5_1, &block), expected);
}

#[test]
fn q8_0_is_signed_bytes_times_d() {
    let mut block = vec![0u8; 34];
    block[..2].copy_from_slice(&ONE_HALF);
    block[2] = 0x80; // −128 → −64
    block[3] = 0x7F; // 127 → 63.5
    block[4] = 3; // → 1.5
    let mut expected = vec![0.0; 32];
    expected[..3].copy_from_slice(&[-64.0, 63.5, 1.5]);
    assert_eq!(run(GgmlType::Q8_0, &block), expected);
}

/// Packed 6-bit scales/mins of Q4_K and Q5_K: sub-block 0 has scale 3, min 2 (bytes 0 and 4);
/// sub-block 1 scale 1, min 0; sub-block 4 scale 1 | 3<<4 = 49 (byte 8 low nibble, top bits of
/// byte 0), min 2 | 1<<4 = 18 (byte 8 high nibble, top bits of byte 4); the rest 0.
fn k_scales() -> [u8; 12] {
    let mut scales = [0u8; 12];
    scales[0] = 0b11_000011;
    scales[1] = 1;
    scales[4] = 0b01_000010;
    scales[8] = 0x21;
    scales
}

#[test]
fn k_scale_unpacking_reaches_the_high_bits() {
    let scales = k_scales();
    assert_eq!(scale_min_k4(0, &scales), (3, 2));
    assert_eq!(scale_min_k4(1, &scales), (1, 0));
    assert_eq!(scale_min_k4(4, &scales), (49, 18));
    assert_eq!(scale_min_k4(5, &scales), (0, 0));
}

/// Q4_K values for `k_scales`, d = 1, dmin = 0.5: sub-block 0 (low nibbles of qs[0..32]) is
/// 3q − 1, sub-block 1 (their high nibbles) q, sub-block 4 (low nibbles of qs[64..96]) 49q − 9.
fn q4_k_block() -> (Vec<u8>, Vec<f32>) {
    let mut block = vec![0u8; 144];
    block[..2].copy_from_slice(&ONE);
    block[2..4].copy_from_slice(&ONE_HALF);
    block[4..16].copy_from_slice(&k_scales());
    let qs = 16;
    block[qs] = 0x05; // value 0: 3·5 − 1 = 14; value 32: 0
    block[qs + 2] = 0x30; // value 2: −1; value 34: 3
    block[qs + 64] = 0x07; // value 128: 49·7 − 9 = 334
    let mut expected = vec![0.0; 256];
    expected[..32].fill(-1.0);
    expected[128..160].fill(-9.0);
    expected[0] = 14.0;
    expected[34] = 3.0;
    expected[128] = 334.0;
    (block, expected)
}

#[test]
fn q4_k_uses_the_scale_and_min_of_each_sub_block() {
    let (block, expected) = q4_k_block();
    assert_eq!(run(GgmlType::Q4K, &block), expected);
}

#[test]
fn q5_k_adds_a_fifth_bit_per_sub_block() {
    let (q4, mut expected) = q4_k_block();
    let mut block = vec![0u8; 176];
    block[..16].copy_from_slice(&q4[..16]);
    block[48..176].copy_from_slice(&q4[16..144]);
    block[16] = 0b0001_0001; // qh[0]: bit 0 → value 0 (+16), bit 4 → value 128 (+16)
    block[17] = 0b0000_0010; // qh[1]: bit 1 → value 33 (sub-block 1, +16)
    expected[0] = 3.0 * 21.0 - 1.0;
    expected[128] = 49.0 * 23.0 - 9.0;
    expected[33] = 16.0;
    assert_eq!(run(GgmlType::Q5K, &block), expected);
}

#[test]
fn q6_k_combines_four_low_and_two_high_bits() {
    let mut block = vec![0u8; 210];
    let (ql, qh, sc) = (0, 128, 192);
    block[208..210].copy_from_slice(&ONE_HALF);
    for (i, s) in [(0, 2i8), (2, -1), (4, 3), (6, 1), (8, 4)] {
        block[sc + i] = s as u8;
    }
    block[ql] = 0x21; // value 0 low nibble 1, value 64 high nibble 2
    block[ql + 32] = 0x43; // value 32 low nibble 3, value 96 high nibble 4
    block[qh] = 0b11_10_01_00; // high bits: value 0 → 0, 32 → 1, 64 → 2, 96 → 3
    block[ql + 64] = 0x0A; // second half, value 128: low 10
    block[qh + 32] = 0x03; // value 128: high 3
    let mut expected = vec![0.0; 256];
    // d · scale · (q − 32) with every other q = 0 → −32.
    expected[..16].fill(0.5 * 2.0 * -32.0);
    expected[32..48].fill(0.5 * -1.0 * -32.0);
    expected[64..80].fill(0.5 * 3.0 * -32.0);
    expected[96..112].fill(0.5 * 1.0 * -32.0);
    expected[128..144].fill(0.5 * 4.0 * -32.0);
    expected[0] = -31.0; // 1 · (1 − 32)
    expected[32] = 6.5; // −0.5 · (19 − 32)
    expected[64] = 3.0; // 1.5 · (34 − 32)
    expected[96] = 10.0; // 0.5 · (52 − 32)
    expected[128] = 52.0; // 2 · (58 − 32)
    assert_eq!(run(GgmlType::Q6K, &block), expected);
}

#[test]
fn wrong_lengths_and_unknown_types_are_errors() {
    let error = dequantize(GgmlType::Q8_0, &[0; 33], 32)
        .unwrap_err()
        .to_string();
    assert!(error.contains("need 34 bytes, found 33"), "{error}");
    assert!(dequantize(GgmlType::Q4K, &[0; 144], 128).is_err());
    let error = GgmlType::from_id(11).unwrap_err().to_string();
    assert!(error.contains("11 (Q3_K) is not supported"), "{error}");
    assert!(GgmlType::Q4_0.byte_size(64, 48).is_err());
    assert_eq!(GgmlType::Q4_0.byte_size(64, 32).unwrap(), 36);
}

/// Random blocks of every type, against llama.cpp's `gguf` Python package
/// (`scripts/gguf_dequant_reference.py` → `tests/fixtures/gguf/dequant_blocks.json`): the
/// same f32 bits.
#[test]
fn random_blocks_match_the_gguf_python_package_bit_for_bit() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/gguf/dequant_blocks.json"
    ))
    .unwrap();
    let types = [
        ("F16", GgmlType::F16),
        ("BF16", GgmlType::BF16),
        ("Q4_0", GgmlType::Q4_0),
        ("Q4_1", GgmlType::Q4_1),
        ("Q5_0", GgmlType::Q5_0),
        ("Q5_1", GgmlType::Q5_1),
        ("Q8_0", GgmlType::Q8_0),
        ("Q4_K", GgmlType::Q4K),
        ("Q5_K", GgmlType::Q5K),
        ("Q6_K", GgmlType::Q6K),
    ];
    for (name, ty) in types {
        let case = &fixture[name];
        let hex = case["bytes"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let len = case["len"].as_u64().unwrap() as usize;
        let want: Vec<u32> = serde_json::from_value(case["f32_bits"].clone()).unwrap();
        let got: Vec<u32> = dequantize(ty, &bytes, len)
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got.len(), want.len(), "{name}");
        let first = got.iter().zip(&want).position(|(g, w)| g != w);
        assert_eq!(first, None, "{name}: first differing value");
    }
}
