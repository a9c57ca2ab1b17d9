//! The container reader on files written by `testing`: every value type, alignment, and each
//! kind of corruption (with every truncation of a valid file) as an error that names the file.

use std::path::Path;

use super::testing::{TestTensor, gguf_bytes, strings};
use super::*;

fn every_value_type() -> Vec<(&'static str, Value)> {
    vec![
        ("a.u8", Value::U8(200)),
        ("a.i8", Value::I8(-5)),
        ("a.u16", Value::U16(60000)),
        ("a.i16", Value::I16(-3000)),
        ("a.u32", Value::U32(4_000_000_000)),
        ("a.i32", Value::I32(-7)),
        ("a.f32", Value::F32(1e-5)),
        ("a.bool", Value::Bool(true)),
        ("a.string", Value::String("héllo".into())),
        ("a.u64", Value::U64(1 << 40)),
        ("a.i64", Value::I64(-(1 << 40))),
        ("a.f64", Value::F64(0.1)),
        ("a.strings", strings(&["x", "Ġy", ""])),
        ("a.ints", Value::Array(vec![Value::I32(3), Value::I32(-1)])),
        (
            "a.nested",
            Value::Array(vec![Value::Array(vec![Value::U8(1)])]),
        ),
    ]
}

fn two_tensors() -> Vec<TestTensor> {
    vec![
        TestTensor::f32("a", &[3], &[1.0, 2.0, 3.0]),
        TestTensor::f32("b", &[2, 2], &[4.0, 5.0, 6.0, 7.0]),
    ]
}

fn parse(bytes: Vec<u8>) -> Result<GgufFile> {
    GgufFile::parse(Path::new("test.gguf"), bytes)
}

#[test]
fn reads_every_value_type_and_the_tensors() {
    let metadata = every_value_type();
    let file = parse(gguf_bytes(&metadata, &two_tensors(), 32)).unwrap();
    assert_eq!(file.version, 3);
    for (key, value) in &metadata {
        assert_eq!(file.metadata.get(*key), Some(value), "{key}");
    }
    assert_eq!(file.alignment, 32);
    assert_eq!(file.data_offset % 32, 0);
    let b = file.tensor("b").unwrap();
    assert_eq!(b.torch_shape(), vec![2, 2]);
    assert_eq!(b.offset, 32, "a's 12 bytes padded to the alignment");
    assert_eq!(file.dequantize(b).unwrap(), vec![4.0, 5.0, 6.0, 7.0]);
    assert_eq!(
        file.dequantize(file.tensor("a").unwrap()).unwrap(),
        vec![1.0, 2.0, 3.0]
    );
    assert_eq!(file.u64("a.u16").unwrap(), 60000);
    assert!(file.u64("a.i8").is_err(), "a negative value is not a u64");
    assert_eq!(file.optional_f64("a.i32").unwrap(), Some(-7.0));
}

#[test]
fn general_alignment_moves_the_data() {
    let metadata = [("general.alignment", Value::U32(64))];
    let file = parse(gguf_bytes(&metadata, &two_tensors(), 64)).unwrap();
    assert_eq!(file.alignment, 64);
    assert_eq!(file.data_offset % 64, 0);
    assert_eq!(file.tensor("b").unwrap().offset, 64);
    assert_eq!(file.dequantize(file.tensor("b").unwrap()).unwrap()[3], 7.0);
    let bad = [("general.alignment", Value::U32(48))];
    let error = parse(gguf_bytes(&bad, &[], 32)).err().unwrap();
    assert!(format!("{error:#}").contains("power of two"), "{error:#}");
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = gguf_bytes(&every_value_type(), &two_tensors(), 32);
    for len in 0..bytes.len() {
        // The last tensor's data ends the file; any shorter file misses part of something.
        assert!(
            parse(bytes[..len].to_vec()).is_err(),
            "truncated to {len} bytes"
        );
    }
    assert!(parse(bytes).is_ok());
}

#[test]
fn corrupt_headers_say_what_is_wrong() {
    let good = gguf_bytes(&every_value_type(), &two_tensors(), 32);
    let error_of = |bytes: Vec<u8>| format!("{:#}", parse(bytes).err().unwrap());

    let mut magic = good.clone();
    magic[..4].copy_from_slice(b"GGML");
    assert!(error_of(magic).contains("not the GGUF magic"));
    let mut v1 = good.clone();
    v1[4..8].copy_from_slice(&1u32.to_le_bytes());
    assert!(error_of(v1).contains("version 1"));
    let mut big_endian = good.clone();
    big_endian[4..8].copy_from_slice(&3u32.to_be_bytes());
    assert!(error_of(big_endian).contains("big-endian"));
    let mut huge_count = good.clone();
    huge_count[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(error_of(huge_count).contains("cannot fit"));
    // The first key's type tag sits after its 8-byte length and 4 bytes of "a.u8".
    let mut bad_type = good.clone();
    bad_type[24 + 8 + 4..24 + 8 + 4 + 4].copy_from_slice(&99u32.to_le_bytes());
    let message = error_of(bad_type);
    assert!(
        message.contains("a.u8") && message.contains("unknown value type 99"),
        "{message}"
    );
    let mut bad_bool = gguf_bytes(&[("k", Value::Bool(true))], &[], 32);
    bad_bool[24 + 8 + 1 + 4] = 2;
    assert!(error_of(bad_bool).contains("bool must be 0 or 1"));
    let mut bad_utf8 = gguf_bytes(&[("k", Value::String("ab".into()))], &[], 32);
    bad_utf8[24 + 8 + 1 + 4 + 8] = 0xFF;
    assert!(error_of(bad_utf8).contains("not UTF-8"));
}

#[test]
fn bad_tensor_infos_are_named() {
    let error_of = |tensors: &[TestTensor]| {
        format!("{:#}", parse(gguf_bytes(&[], tensors, 32)).err().unwrap())
    };
    let mut unknown = TestTensor::f32("w", &[2], &[1.0, 2.0]);
    unknown.type_id = 11;
    let message = error_of(&[unknown]);
    assert!(
        message.contains("`w`") && message.contains("Q3_K"),
        "{message}"
    );
    let mut partial = TestTensor::f32("q", &[48], &[0.0; 48]);
    partial.type_id = 2; // Q4_0 rows must be multiples of 32
    assert!(error_of(&[partial]).contains("do not split into Q4_0 blocks"));
    let dup = [
        TestTensor::f32("x", &[1], &[1.0]),
        TestTensor::f32("x", &[1], &[1.0]),
    ];
    assert!(error_of(&dup).contains("appears twice"));
    let mut short = TestTensor::f32("s", &[4], &[1.0; 4]);
    short.data.truncate(8);
    assert!(error_of(&[short]).contains("truncated"));
    let mut five = TestTensor::f32("d", &[1, 1, 1, 1, 1], &[1.0]);
    five.dims.push(1);
    assert!(error_of(&[five]).contains("dimensions"));
}

#[test]
fn open_names_the_file() {
    let dir = std::env::temp_dir().join(format!("repro-gguf-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.gguf");
    std::fs::write(&path, b"GGUF\x03\x00").unwrap();
    let message = format!("{:#}", GgufFile::open(&path).err().unwrap());
    assert!(
        message.contains("broken.gguf") && message.contains("end of file"),
        "{message}"
    );
    let missing = format!(
        "{:#}",
        GgufFile::open(&dir.join("none.gguf")).err().unwrap()
    );
    assert!(missing.contains("none.gguf"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}
