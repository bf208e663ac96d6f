//! The piecewise SHA-256 of a byte stream: the SHA-256 of each 512 KiB piece, folded in order
//! into one SHA-256. It is as strong a proof that two streams are one as their plain SHA-256,
//! and unlike it can be worked out by several cores at once: one pass over a big file costs
//! the manager's downtime a fraction of a plain hash's.
//!
//! An entry's contents are worked out by helper threads and the reading one in turn
//! (`Hasher::of_stream`).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::mpsc;
use std::thread;

use sha2::{Digest, Sha256};

/// The size of a piece: small enough that the pieces in hand (two a thread) cost little memory,
/// large enough that handing them round costs little: each hand-over wakes a thread, and in
/// pieces of 256 KiB a 2 GiB stream out of a pipe took a tenth longer; 1 MiB was no faster.
const PIECE: usize = 1 << 19;

pub(crate) type Digest32 = [u8; 32];

/// Works out piecewise SHA-256s, one stream after another, in a first piece's buffer it keeps:
/// most entries of /share are far smaller than a piece, and a fresh 512 KiB buffer zeroed for
/// each of them cost 13 µs, a quarter of a second at 20,000 files.
#[derive(Default)]
pub(crate) struct Hasher {
    first: Vec<u8>,
}

impl Hasher {
    /// The piecewise SHA-256 of what `read` yields to its end, and how many bytes that was.
    /// Past the first piece, the pieces go round a helper per core but one (one to three) and
    /// this thread, which reads them all: on two cores, a helper hashes every other piece while
    /// this thread reads and hashes the next (measured faster than a reading thread and two
    /// helpers).
    pub(crate) fn of_stream(&mut self, read: &mut impl Read) -> io::Result<(Digest32, u64)> {
        if self.first.is_empty() {
            self.first = vec![0; PIECE];
        }
        let len = fill(read, &mut self.first)?;
        if len < PIECE {
            let mut outer = Sha256::new();
            if len > 0 {
                outer.update(Sha256::digest(&self.first[..len]));
            }
            return Ok((outer.finalize().into(), len as u64));
        }
        // A stream of many pieces hands its buffers round; the next call makes a first anew.
        of_pieces(read, std::mem::take(&mut self.first))
    }
}

/// The piecewise SHA-256 of a stream whose first piece, full, is in `buf`, and what follows in
/// `read`.
fn of_pieces(read: &mut impl Read, mut buf: Vec<u8>) -> io::Result<(Digest32, u64)> {
    let mut outer = Sha256::new();
    let mut len = buf.len();
    let helpers = threads().saturating_sub(1).max(1);
    thread::scope(|scope| {
        let (mut work, mut done) = (Vec::new(), Vec::new());
        for _ in 0..helpers {
            let (to_helper, pieces) = mpsc::sync_channel::<(Vec<u8>, usize)>(1);
            let (hashed, from_helper) = mpsc::sync_channel::<(Digest32, Vec<u8>)>(1);
            scope.spawn(move || {
                for (piece, len) in pieces {
                    if hashed.send((Sha256::digest(&piece[..len]).into(), piece)).is_err() {
                        return;
                    }
                }
            });
            work.push(to_helper);
            done.push(from_helper);
        }
        let lost = || io::Error::other("a thread hashing the stream stopped");
        // Each piece's digest, or the helper working it out, in the order they are folded.
        let mut slots = VecDeque::new();
        // Folds digests in order up to the oldest piece a helper has: its buffer comes back.
        let mut fold_to_a_buffer = |slots: &mut VecDeque<Slot>| -> io::Result<Vec<u8>> {
            while let Some(slot) = slots.pop_front() {
                match slot {
                    Slot::Ready(digest) => outer.update(digest),
                    Slot::Helper(helper) => {
                        let (digest, buf) = done[helper].recv().map_err(|_| lost())?;
                        outer.update(digest);
                        return Ok(buf);
                    }
                }
            }
            Ok(vec![0; PIECE])
        };
        // One buffer in each helper's hands and one in this thread's at most: flat in the size.
        let (mut total, mut piece, mut buffers) = (len as u64, 0, 1);
        loop {
            let turn = piece % (helpers + 1);
            piece += 1;
            let last = len < PIECE;
            if turn == helpers {
                slots.push_back(Slot::Ready(Sha256::digest(&buf[..len]).into()));
            } else {
                work[turn].send((std::mem::take(&mut buf), len)).map_err(|_| lost())?;
                slots.push_back(Slot::Helper(turn));
            }
            if last {
                break;
            }
            if buf.is_empty() {
                buf = if buffers <= helpers {
                    buffers += 1;
                    vec![0; PIECE]
                } else {
                    fold_to_a_buffer(&mut slots)?
                };
            }
            len = fill(read, &mut buf)?;
            total += len as u64;
            if len == 0 {
                break;
            }
        }
        while !slots.is_empty() {
            fold_to_a_buffer(&mut slots)?;
        }
        Ok((outer.finalize().into(), total))
    })
}

/// A piece's place in the fold: its digest, or the helper that works it out.
enum Slot {
    Ready(Digest32),
    Helper(usize),
}

/// How many threads hash a file or a stream at once: one a core, four at most.
fn threads() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4)
}

/// Reads into `buf` until it is full or the stream ends; how much was read.
fn fill(read: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest as its definition says, one piece after the other.
    fn by_definition(bytes: &[u8]) -> Digest32 {
        let mut outer = Sha256::new();
        bytes.chunks(PIECE).for_each(|piece| outer.update(Sha256::digest(piece)));
        outer.finalize().into()
    }

    #[test]
    fn every_way_of_working_it_out_agrees_at_every_length() {
        for len in [0, 1, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE, 3 * PIECE, 4 * PIECE, 5 * PIECE + 7] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let expected = by_definition(&bytes);
            assert_eq!(
                Hasher::default().of_stream(&mut &bytes[..]).unwrap(),
                (expected, len as u64),
                "{len} as a stream"
            );
            let mut trickle = Trickle(&bytes[..]);
            assert_eq!(
                Hasher::default().of_stream(&mut trickle).unwrap(),
                (expected, len as u64),
                "{len} trickling"
            );
        }
    }

    /// A pipe's way: a few bytes a read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(65_537);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stream_that_fails_is_an_error_whichever_piece_it_fails_in() {
        for good in [10, PIECE, 3 * PIECE + 5] {
            let bytes = vec![7u8; good];
            let mut failing = (&bytes[..]).chain(Failing);
            assert!(Hasher::default().of_stream(&mut failing).is_err(), "after {good} bytes");
        }
    }

    struct Failing;

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("gone"))
        }
    }

    #[test]
    fn a_byte_changed_in_any_piece_changes_the_digest() {
        let bytes = vec![0u8; 3 * PIECE];
        let whole = by_definition(&bytes);
        for at in [0, PIECE, 3 * PIECE - 1] {
            let mut changed = bytes.clone();
            changed[at] = 1;
            assert_ne!(Hasher::default().of_stream(&mut &changed[..]).unwrap().0, whole, "byte {at}");
        }
    }
}
