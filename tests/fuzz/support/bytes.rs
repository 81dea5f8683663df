//! Byte-level mutations: flip, set, insert, delete, truncate, splice in part of another
//! seed, repeat, and dictionary tokens such as invalid UTF-8.
#![allow(dead_code, unreachable_pub)]

use super::runner::Seed;
use proptest::prelude::*;
use proptest::sample::Index;

/// Tokens a byte mutation may insert; the targets add their own.
pub const BYTE_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\u0000",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x92",
    b"\r\n",
    b"\n",
    b" ",
    b"\t",
    b"=",
    b"%",
    b"$",
    b"${",
];

/// One byte-level edit. Positions are [`Index`]es, scaled to the buffer's length.
#[derive(Debug, Clone)]
pub enum ByteOp {
    /// Flip one bit.
    FlipBit(Index, u8),
    /// Overwrite one byte.
    SetByte(Index, u8),
    /// Insert random bytes.
    Insert(Index, Vec<u8>),
    /// Insert a dictionary token.
    Token(Index, Index),
    /// Delete up to 32 bytes.
    Delete(Index, u8),
    /// Cut the rest.
    Truncate(Index),
    /// Insert a slice of another seed (seed, start, length, position).
    Splice(Index, Index, u16, Index),
    /// Repeat a slice (start, length, times): long and deep inputs.
    Repeat(Index, u8, u16),
}

/// Inputs never grow past this (the API reads bodies up to 1 MiB).
const MAX_LEN: usize = 3 << 20;

fn at(index: &Index, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        index.index(len)
    }
}

/// Any [`ByteOp`].
pub fn byte_op() -> BoxedStrategy<ByteOp> {
    prop_oneof![
        3 => (any::<Index>(), 0..8u8).prop_map(|(i, b)| ByteOp::FlipBit(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteOp::SetByte(i, b)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| ByteOp::Insert(i, b)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| ByteOp::Token(i, t)),
        3 => (any::<Index>(), 1..32u8).prop_map(|(i, n)| ByteOp::Delete(i, n)),
        1 => any::<Index>().prop_map(ByteOp::Truncate),
        2 => (any::<Index>(), any::<Index>(), 1..512u16, any::<Index>())
            .prop_map(|(s, f, n, i)| ByteOp::Splice(s, f, n, i)),
        1 => (any::<Index>(), 1..64u8, prop_oneof![4 => 2..8u16, 4 => 100..5000u16, 1 => 20_000..40_000u16])
            .prop_map(|(s, n, t)| ByteOp::Repeat(s, n, t)),
    ]
    .boxed()
}

/// Applies `ops` to `data`; `seeds` feed splices, `tokens` the token inserts.
pub fn apply_bytes(data: &mut Vec<u8>, ops: &[ByteOp], seeds: &[Seed], tokens: &[&[u8]]) {
    for op in ops {
        let len = data.len();
        match op {
            ByteOp::FlipBit(i, bit) if len > 0 => data[at(i, len)] ^= 1 << (bit % 8),
            ByteOp::SetByte(i, byte) if len > 0 => data[at(i, len)] = *byte,
            ByteOp::FlipBit(..) | ByteOp::SetByte(..) => {}
            ByteOp::Insert(i, bytes) => {
                let pos = at(i, len + 1);
                data.splice(pos..pos, bytes.iter().copied());
            }
            ByteOp::Token(i, t) => {
                let token = t.get(tokens);
                let pos = at(i, len + 1);
                data.splice(pos..pos, token.iter().copied());
            }
            ByteOp::Delete(i, n) => {
                let pos = at(i, len);
                let end = (pos + usize::from(*n)).min(len);
                data.drain(pos..end);
            }
            ByteOp::Truncate(i) => data.truncate(at(i, len)),
            ByteOp::Splice(s, from, n, i) => {
                let other = &s.get(seeds).bytes;
                let start = at(from, other.len());
                let end = (start + usize::from(*n)).min(other.len());
                let pos = at(i, len + 1);
                data.splice(pos..pos, other[start..end].iter().copied());
            }
            ByteOp::Repeat(s, n, times) if len > 0 => {
                let start = at(s, len);
                let end = (start + usize::from(*n)).min(len);
                let piece = data[start..end].to_vec();
                let total = piece.len() * usize::from(*times);
                if len + total <= MAX_LEN {
                    let repeated: Vec<u8> = piece.iter().copied().cycle().take(total).collect();
                    data.splice(end..end, repeated);
                }
            }
            ByteOp::Repeat(..) => {}
        }
        data.truncate(MAX_LEN);
    }
}
