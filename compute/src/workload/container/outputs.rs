//! A job's outputs: the files its container wrote under `/out` (a host directory of the job's
//! own, bind-mounted), as one canonical byte stream whose [`result_root`] the worker attests
//! and the developer downloads.
//!
//! The stream: for each regular file, in byte order of its path relative to `/out`,
//! `SCALE(path bytes) ‖ SCALE(length as u64) ‖ contents`. Two runs that wrote the same files
//! give the same bytes whatever the file systems' order or times. Links and special files are
//! skipped and never followed (a tenant's link to a host file must not leak it).

use codec::Encode;
use crucible_primitives::{
	audit::{opening_of, ResultOpening},
	marketplace::{result_leaf, result_root, RESULT_CHUNK},
};
use polkadot_sdk::sp_core::H256;
use std::{
	fs,
	io::{self, Read},
	path::{Path, PathBuf},
};

/// The regular files under `dir` with their paths relative to it, in byte order.
fn files(dir: &Path) -> io::Result<Vec<(Vec<u8>, PathBuf)>> {
	let mut out = Vec::new();
	let mut stack = vec![dir.to_path_buf()];
	while let Some(at) = stack.pop() {
		for entry in fs::read_dir(&at)? {
			let entry = entry?;
			let kind = entry.file_type()?;
			let path = entry.path();
			if kind.is_dir() {
				stack.push(path);
			} else if kind.is_file() {
				let relative = path.strip_prefix(dir).unwrap_or(&path);
				out.push((relative.as_os_str().as_encoded_bytes().to_vec(), path));
			}
		}
	}
	out.sort();
	Ok(out)
}

/// The bytes regular files under `dir` take (links not followed).
pub fn size(dir: &Path) -> u64 {
	files(dir)
		.map(|files| {
			files
				.iter()
				.filter_map(|(_, p)| fs::symlink_metadata(p).ok())
				.map(|m| m.len())
				.sum()
		})
		.unwrap_or(0)
}

/// The canonical stream of the outputs under `dir`, at most `limit` bytes of contents.
pub fn archive(dir: &Path, limit: u64) -> io::Result<Vec<u8>> {
	let mut out = Vec::new();
	let mut total = 0u64;
	for (name, path) in files(dir)? {
		let mut file = fs::File::open(&path)?;
		let mut contents = Vec::new();
		file.by_ref()
			.take(limit.saturating_sub(total).saturating_add(1))
			.read_to_end(&mut contents)?;
		total = total.saturating_add(contents.len() as u64);
		if total > limit {
			return Err(io::Error::other(format!("outputs above {limit} bytes")));
		}
		name.encode_to(&mut out);
		(contents.len() as u64).encode_to(&mut out);
		out.extend_from_slice(&contents);
	}
	Ok(out)
}

/// The result root of the outputs stream.
pub fn root(stream: &[u8]) -> H256 {
	result_root(stream)
}

/// The outputs stream's opening: its result root and the tree's frontier (what an audit
/// compares).
pub fn opening(stream: &[u8]) -> ResultOpening {
	let leaves: Vec<[u8; 32]> = stream.chunks(RESULT_CHUNK).map(result_leaf).collect();
	opening_of(&leaves)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_outputs_stream_is_canonical_and_skips_links() {
		let dir = std::env::temp_dir().join(format!("crucible-outputs-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		fs::create_dir_all(dir.join("sub")).unwrap();
		fs::write(dir.join("b.txt"), b"bee").unwrap();
		fs::write(dir.join("sub/a.txt"), b"ay").unwrap();
		std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).unwrap();
		let stream = archive(&dir, 1 << 20).unwrap();
		let mut expected = Vec::new();
		for (name, data) in [(&b"b.txt"[..], &b"bee"[..]), (b"sub/a.txt", b"ay")] {
			name.to_vec().encode_to(&mut expected);
			(data.len() as u64).encode_to(&mut expected);
			expected.extend_from_slice(data);
		}
		assert_eq!(stream, expected, "sorted by path, the link skipped");
		assert_eq!(size(&dir), 5);
		assert!(archive(&dir, 4).is_err(), "over the limit");
		// Another write order, the same stream and root.
		fs::remove_file(dir.join("b.txt")).unwrap();
		fs::write(dir.join("b.txt"), b"bee").unwrap();
		assert_eq!(root(&archive(&dir, 1 << 20).unwrap()), root(&expected));
		let _ = fs::remove_dir_all(&dir);
	}

	#[test]
	fn result_roots_point_at_the_chunks_that_differ() {
		use crucible_primitives::marketplace::{result_leaf, RESULT_CHUNK};
		let a = vec![7u8; 3 * RESULT_CHUNK + 10];
		let mut b = a.clone();
		b[RESULT_CHUNK + 5] ^= 1;
		assert_ne!(root(&a), root(&b));
		let leaves = |d: &[u8]| d.chunks(RESULT_CHUNK).map(result_leaf).collect::<Vec<_>>();
		let differing: Vec<usize> = leaves(&a)
			.iter()
			.zip(leaves(&b))
			.enumerate()
			.filter(|(_, (x, y))| *x != y)
			.map(|(i, _)| i)
			.collect();
		assert_eq!(differing, vec![1]);
		// One chunk: its leaf is the root; none: H(0x00).
		assert_eq!(root(&a[..10]).0, result_leaf(&a[..10]));
		assert_eq!(root(&[]).0, crucible_primitives::challenge::hash(&[0]));
	}
}
