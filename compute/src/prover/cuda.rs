//! The CUDA backend: generation, int8 products (cuBLAS `GemmEx`, int8 inputs, int32 compute)
//! and leaf hashing with tile reduction, all on the GPU; only tile roots come back to the host.
//!
//! Every CUDA library is loaded at run time (cudarc's dynamic loading): the node builds without
//! a CUDA toolkit, and a host without a driver starts and says why the backend is unavailable.
//! A host needs the NVIDIA driver (`libcuda.so`) and, from the CUDA 12 toolkit or its
//! redistributable packages, cuBLAS (`libcublas.so.12`, `libcublasLt.so.12`) and NVRTC
//! (`libnvrtc.so.12`), which compiles `kernels/crucible.cu` at start.
//!
//! cudarc panics when a library is missing, so each is probed first; every call into CUDA
//! happens on the compute service's blocking threads, where a panic is caught.

// cuBLAS calls and kernel launches are `unsafe` in cudarc: each passes buffers this module
// allocated with the sizes the launch reads and writes.
#![allow(unsafe_code)]

use super::{Backend, Error, Lie, Timings};
use crucible_primitives::challenge::{Hash, Keys, Shape};
use cudarc::{
	cublas::{sys as cublas_sys, CudaBlas},
	driver::{
		CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr, DevicePtrMut, LaunchConfig,
		PushKernelArg,
	},
	nvrtc::{compile_ptx_with_opts, CompileOptions},
};
use std::{
	ffi::c_void,
	sync::{Arc, Mutex},
	time::Instant,
};

/// The kernels' source.
pub const KERNELS: &str = include_str!("../../kernels/crucible.cu");

/// Threads per block of the element-wise kernels.
const THREADS: u32 = 256;

/// Why the CUDA backend cannot run here, in words for the operator; `None` if it can.
pub fn unavailable() -> Option<String> {
	// SAFETY: probing loads the libraries with `dlopen` and drops them; nothing is called.
	let (driver, blas, nvrtc) = unsafe {
		(
			cudarc::driver::sys::is_culib_present(),
			cudarc::cublas::sys::is_culib_present(),
			cudarc::nvrtc::sys::is_culib_present(),
		)
	};
	if !driver {
		return Some(
			"no NVIDIA driver: libcuda.so was not found (install the NVIDIA driver)".into(),
		);
	}
	if !blas {
		return Some(
			"cuBLAS (libcublas.so.12, libcublasLt.so.12) was not found: install the CUDA 12 \
			 toolkit or its cuBLAS redistributable, and put it on LD_LIBRARY_PATH"
				.into(),
		);
	}
	if !nvrtc {
		return Some(
			"NVRTC (libnvrtc.so.12) was not found: install the CUDA 12 toolkit's NVRTC, and put \
			 it on LD_LIBRARY_PATH"
				.into(),
		);
	}
	match CudaContext::device_count() {
		Ok(n) if n > 0 => None,
		Ok(_) => Some("the NVIDIA driver sees no GPU".into()),
		Err(e) => Some(format!("the NVIDIA driver failed: {e}")),
	}
}

/// The tile roots of some products, each with its product's index.
type ProductRoots = Vec<(u32, Vec<Hash>)>;

/// One GPU: its context, stream, cuBLAS handle and kernels.
struct Device {
	stream: Arc<CudaStream>,
	blas: CudaBlas,
	gen_a: CudaFunction,
	gen_b: CudaFunction,
	leaves: CudaFunction,
	reduce: CudaFunction,
	name: String,
}

impl Device {
	fn open(ordinal: usize, ptx: &cudarc::nvrtc::Ptx) -> Result<Self, Error> {
		let ctx =
			CudaContext::new(ordinal).map_err(|e| Error::Backend(format!("GPU {ordinal}: {e}")))?;
		let name = ctx.name().unwrap_or_else(|_| format!("GPU {ordinal}"));
		let stream = ctx.default_stream();
		let blas = CudaBlas::new(stream.clone())
			.map_err(|e| Error::Backend(format!("cuBLAS on {name}: {e}")))?;
		let module = ctx
			.load_module(ptx.clone())
			.map_err(|e| Error::Backend(format!("loading the kernels on {name}: {e}")))?;
		let f = |n: &str| {
			module.load_function(n).map_err(|e| Error::Backend(format!("kernel {n}: {e}")))
		};
		Ok(Self {
			gen_a: f("cru_gen_a")?,
			gen_b: f("cru_gen_b")?,
			leaves: f("cru_leaves")?,
			reduce: f("cru_reduce")?,
			stream,
			blas,
			name,
		})
	}

	fn alloc<T: cudarc::driver::DeviceRepr + cudarc::driver::ValidAsZeroBits>(
		&self,
		len: usize,
	) -> Result<CudaSlice<T>, Error> {
		self.stream.alloc_zeros::<T>(len.max(1)).map_err(|e| {
			Error::Backend(format!("{}: cannot allocate {len} elements: {e}", self.name))
		})
	}

	fn launch_cfg(n: u64) -> Result<LaunchConfig, Error> {
		let blocks = n.div_ceil(u64::from(THREADS));
		let blocks = u32::try_from(blocks)
			.map_err(|_| Error::BadRequest(format!("{n} threads is too many for one launch")))?;
		Ok(LaunchConfig {
			grid_dim: (blocks.max(1), 1, 1),
			block_dim: (THREADS, 1, 1),
			shared_mem_bytes: 0,
		})
	}

	/// Generates `count` rows (or columns, for `B`) starting at `first` of product `batch`.
	#[allow(clippy::too_many_arguments)]
	fn generate(
		&self,
		a_side: bool,
		out: &mut CudaSlice<u64>,
		keys: &Keys,
		shape: &Shape,
		batch: u32,
		first: u32,
		count: u32,
	) -> Result<(), Error> {
		let words = shape.inner / 8;
		let extent = if a_side { shape.rows } else { shape.cols };
		let f = if a_side { &self.gen_a } else { &self.gen_b };
		let cfg = Self::launch_cfg(u64::from(count) * u64::from(words))?;
		let mut launch = self.stream.launch_builder(f);
		launch
			.arg(out)
			.arg(&keys.key)
			.arg(&extent)
			.arg(&words)
			.arg(&batch)
			.arg(&first)
			.arg(&count);
		// SAFETY: `out` holds at least `count · words` words (allocated by the caller for it);
		// the kernel writes exactly those.
		unsafe { launch.launch(cfg) }
			.map(|_| ())
			.map_err(|e| Error::Backend(format!("generate: {e}")))
	}

	/// `c (n × m, row-major) = a (n × k, row-major) · bᵀ` where `b` holds `m` columns of `k`
	/// int8: cuBLAS's column-major `Cᵀ = op(B) · op(A)` with `op(B) = Bᵀ` (TN), int32 compute.
	fn multiply(
		&mut self,
		a: &CudaSlice<u64>,
		b: &CudaSlice<u64>,
		c: &mut CudaSlice<i32>,
		n: u32,
		m: u32,
		k: u32,
	) -> Result<(), Error> {
		let (a_ptr, _ra) = a.device_ptr(&self.stream);
		let (b_ptr, _rb) = b.device_ptr(&self.stream);
		let (c_ptr, _rc) = c.device_ptr_mut(&self.stream);
		let (alpha, beta) = (1i32, 0i32);
		let int =
			|v: u32| i32::try_from(v).map_err(|_| Error::BadRequest("dimension too large".into()));
		// SAFETY: a holds n·k int8, b m·k int8, c n·m int32, each allocated for this product;
		// leading dimensions are the row lengths; alpha and beta are int32 as COMPUTE_32I wants.
		unsafe {
			cudarc::cublas::result::gemm_ex(
				*self.blas.handle(),
				cublas_sys::cublasOperation_t::CUBLAS_OP_T,
				cublas_sys::cublasOperation_t::CUBLAS_OP_N,
				int(m)?,
				int(n)?,
				int(k)?,
				&alpha as *const i32 as *const c_void,
				b_ptr as *const c_void,
				cublas_sys::cudaDataType::CUDA_R_8I,
				int(k)?,
				a_ptr as *const c_void,
				cublas_sys::cudaDataType::CUDA_R_8I,
				int(k)?,
				&beta as *const i32 as *const c_void,
				c_ptr as *mut c_void,
				cublas_sys::cudaDataType::CUDA_R_32I,
				int(m)?,
				cublas_sys::cublasComputeType_t::CUBLAS_COMPUTE_32I,
				cublas_sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
			)
		}
		.map_err(|e| Error::Backend(format!("cuBLAS GemmEx on {}: {e}", self.name)))
	}

	fn sync(&self) -> Result<(), Error> {
		self.stream
			.synchronize()
			.map_err(|e| Error::Backend(format!("{}: {e}", self.name)))
	}

	/// The tile roots of products `products` (in order), with timings.
	fn product_roots(
		&mut self,
		keys: &Keys,
		shape: &Shape,
		leaf: u32,
		products: impl Iterator<Item = u32>,
		progress: &(dyn Fn(u64) + Sync),
	) -> Result<(ProductRoots, Timings), Error> {
		let words = (shape.inner / 8) as usize;
		let (down, across) = shape.tile_grid();
		let per_product = u64::from(down) * u64::from(across);
		let leaves = per_product * shape.leaves_per_tile(leaf);
		let mut a = self.alloc::<u64>(shape.rows as usize * words)?;
		let mut b = self.alloc::<u64>(shape.cols as usize * words)?;
		let mut c = self.alloc::<i32>(shape.rows as usize * shape.cols as usize)?;
		let mut level = self.alloc::<u8>(leaves as usize * 32)?;
		let mut up = self.alloc::<u8>((leaves as usize / 2).max(1) * 32)?;
		let mut out = Vec::new();
		let mut timings = Timings::default();
		for batch in products {
			let start = Instant::now();
			self.generate(true, &mut a, keys, shape, batch, 0, shape.rows)?;
			self.generate(false, &mut b, keys, shape, batch, 0, shape.cols)?;
			self.sync()?;
			timings.generate += start.elapsed();

			let start = Instant::now();
			self.multiply(&a, &b, &mut c, shape.rows, shape.cols, shape.inner)?;
			self.sync()?;
			timings.multiply += start.elapsed();

			let start = Instant::now();
			{
				let cfg = Self::launch_cfg(leaves)?;
				let (cols, tr, tc) = (shape.cols, shape.tile_rows(), shape.tile_cols());
				let mut launch = self.stream.launch_builder(&self.leaves);
				launch
					.arg(&c)
					.arg(&mut level)
					.arg(&cols)
					.arg(&tr)
					.arg(&tc)
					.arg(&across)
					.arg(&leaf)
					.arg(&leaves);
				// SAFETY: `c` is the product (rows × cols int32), `level` holds 32 bytes per leaf.
				unsafe { launch.launch(cfg) }
					.map_err(|e| Error::Backend(format!("leaves: {e}")))?;
			}
			let mut n = leaves;
			let mut in_level = true;
			for _ in 0..shape.tile_depth(leaf) {
				n /= 2;
				let cfg = Self::launch_cfg(n)?;
				let (src, dst) = if in_level { (&level, &mut up) } else { (&up, &mut level) };
				let mut launch = self.stream.launch_builder(&self.reduce);
				launch.arg(src).arg(dst).arg(&n);
				// SAFETY: `src` holds 2n hashes, `dst` room for n (`up` is half of `level`).
				unsafe { launch.launch(cfg) }
					.map_err(|e| Error::Backend(format!("reduce: {e}")))?;
				in_level = !in_level;
			}
			let roots_buf = if in_level { &level } else { &up };
			let bytes = self
				.stream
				.clone_dtoh(&roots_buf.slice(0..per_product as usize * 32))
				.map_err(|e| Error::Backend(format!("copying tile roots: {e}")))?;
			timings.hash += start.elapsed();
			let roots = bytes
				.chunks_exact(32)
				.map(|h| {
					let mut root = [0u8; 32];
					root.copy_from_slice(h);
					root
				})
				.collect();
			out.push((batch, roots));
			progress(out.len() as u64);
		}
		Ok((out, timings))
	}

	/// The entries of one tile (row-major), recomputed on the GPU.
	fn tile(&mut self, keys: &Keys, shape: &Shape, tile: u64) -> Result<Vec<i32>, Error> {
		let origin = shape.tile_origin(tile);
		let (tr, tc) = (shape.tile_rows(), shape.tile_cols());
		let words = (shape.inner / 8) as usize;
		let mut a = self.alloc::<u64>(tr as usize * words)?;
		let mut b = self.alloc::<u64>(tc as usize * words)?;
		let mut c = self.alloc::<i32>(tr as usize * tc as usize)?;
		self.generate(true, &mut a, keys, shape, origin.batch, origin.row, tr)?;
		self.generate(false, &mut b, keys, shape, origin.batch, origin.col, tc)?;
		self.multiply(&a, &b, &mut c, tr, tc, shape.inner)?;
		self.stream
			.clone_dtoh(&c)
			.map_err(|e| Error::Backend(format!("copying a tile: {e}")))
	}
}

/// The CUDA backend over every GPU of the host.
pub struct CudaBackend {
	devices: Vec<Mutex<Device>>,
}

impl CudaBackend {
	/// Opens every GPU and compiles the kernels; explains what is missing if it cannot.
	pub fn new() -> Result<Self, Error> {
		if let Some(why) = unavailable() {
			return Err(Error::Backend(why));
		}
		let count = CudaContext::device_count()
			.map_err(|e| Error::Backend(format!("counting GPUs: {e}")))?;
		let opts = CompileOptions { name: Some("crucible.cu".into()), ..Default::default() };
		let ptx = compile_ptx_with_opts(KERNELS, opts)
			.map_err(|e| Error::Backend(format!("NVRTC could not compile the kernels: {e}")))?;
		let devices = (0..count.max(0) as usize)
			.map(|i| Device::open(i, &ptx).map(Mutex::new))
			.collect::<Result<Vec<_>, _>>()?;
		Ok(Self { devices })
	}

	/// The names of the GPUs.
	pub fn device_names(&self) -> Vec<String> {
		self.devices
			.iter()
			.filter_map(|d| d.lock().ok().map(|d| d.name.clone()))
			.collect()
	}
}

impl Backend for CudaBackend {
	fn name(&self) -> &'static str {
		"cuda"
	}

	fn max_entries(&self) -> u64 {
		// Far beyond any class's challenge; memory is checked per product.
		1 << 48
	}

	fn tile_roots(
		&self,
		keys: &Keys,
		shape: &Shape,
		leaf_size: u32,
		lie: Option<&Lie>,
		progress: &(dyn Fn(u64) + Sync),
	) -> Result<(Vec<Hash>, Timings), Error> {
		if lie.is_some() {
			return Err(Error::BadRequest("the lying test mode is the cpu backend's only".into()));
		}
		let n = self.devices.len() as u32;
		let done = std::sync::atomic::AtomicU64::new(0);
		let report = |_: u64| progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
		// Products are dealt to the GPUs round-robin, one thread per GPU.
		let results: Vec<Result<(ProductRoots, Timings), Error>> = std::thread::scope(|s| {
			let handles: Vec<_> = self
				.devices
				.iter()
				.enumerate()
				.map(|(i, device)| {
					let report = &report;
					s.spawn(move || {
						let mut device = device
							.lock()
							.map_err(|_| Error::Backend("GPU lock poisoned".into()))?;
						let mine = (i as u32..shape.batch).step_by(n.max(1) as usize);
						device.product_roots(keys, shape, leaf_size, mine, report)
					})
				})
				.collect();
			handles
				.into_iter()
				.map(|h| {
					h.join().unwrap_or_else(|_| Err(Error::Backend("a GPU thread panicked".into())))
				})
				.collect()
		});
		let mut products: ProductRoots = Vec::new();
		let mut timings = Timings::default();
		for result in results {
			let (part, t) = result?;
			products.extend(part);
			// GPUs run side by side: the wall time is the slowest one's.
			timings.generate = timings.generate.max(t.generate);
			timings.multiply = timings.multiply.max(t.multiply);
			timings.hash = timings.hash.max(t.hash);
		}
		products.sort_by_key(|(batch, _)| *batch);
		Ok((products.into_iter().flat_map(|(_, roots)| roots).collect(), timings))
	}

	fn tile(
		&self,
		keys: &Keys,
		shape: &Shape,
		tile: u64,
		lie: Option<&Lie>,
	) -> Result<Vec<i32>, Error> {
		if lie.is_some() {
			return Err(Error::BadRequest("the lying test mode is the cpu backend's only".into()));
		}
		let device = self.devices.first().ok_or_else(|| Error::Backend("no GPU".into()))?;
		let mut device = device.lock().map_err(|_| Error::Backend("GPU lock poisoned".into()))?;
		device.tile(keys, shape, tile)
	}
}

/// The CUDA backend failing cleanly on a host without a driver (and matching the cpu bit for
/// bit on one with a GPU), and its kernels' arithmetic compiled as C against the Rust reference.
#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		test_support::{cpu_engine, hex, known_request},
		Engine,
	};
	use crucible_primitives::{
		challenge::{known_answer, prover},
		proof_of_compute::service::ComputeRequest,
	};

	#[test]
	fn the_cuda_backend_fails_cleanly_without_a_driver_and_matches_the_cpu_with_one() {
		match unavailable() {
			Some(why) => {
				// No driver here: a clear reason, and no panic.
				assert!(
					why.contains("NVIDIA") || why.contains("cuBLAS") || why.contains("NVRTC"),
					"{why}"
				);
				match CudaBackend::new() {
					Err(Error::Backend(e)) => assert_eq!(e, why),
					Err(other) => panic!("unexpected error {other:?}"),
					Ok(_) => panic!("a CUDA backend without CUDA"),
				}
			},
			None => {
				// A GPU host: the CUDA backend's root is the CPU backend's, bit for bit.
				let gpu = Engine::new(Arc::new(CudaBackend::new().expect("CUDA backend")), None);
				assert_eq!(hex(&gpu.commit(&known_request()).unwrap().root), known_answer::ROOT);
				let request = ComputeRequest {
					seed: [8u8; 32],
					shape: Shape { batch: 3, rows: 512, inner: 1024, cols: 512 },
					leaf_size: 32,
				};
				assert_eq!(
					gpu.commit(&request).unwrap().root,
					cpu_engine(None).commit(&request).unwrap().root
				);
			},
		}
	}

	/// The CUDA kernels' device functions compiled as C with the host compiler, run over the known
	/// challenge: generator words, every leaf hash and every tile root must be the Rust
	/// reference's. (The kernels' launch geometry and cuBLAS run only on a GPU host.)
	#[test]
	fn the_cuda_kernels_arithmetic_matches_the_reference() {
		kernel_harness(known_answer::SEED, known_answer::SHAPE, known_answer::LEAF_SIZE);
		// Two tiles across, two rows each: the tile-major leaf numbering.
		kernel_harness([11u8; 32], Shape { batch: 1, rows: 2, inner: 64, cols: 512 }, 16);
	}

	fn kernel_harness(seed: Hash, shape: Shape, leaf: u32) {
		let keys = Keys::from_seed(&seed);
		// Product 0's output, row-major, as cuBLAS would leave it.
		let product: Vec<i32> = (0..shape.rows)
			.flat_map(|r| {
				(0..shape.cols).map(move |c| {
					crucible_primitives::challenge::entry(
						&keys,
						&shape,
						&crucible_primitives::challenge::Position { batch: 0, row: r, col: c },
					)
				})
			})
			.collect();
		let values: Vec<String> = product.iter().map(|v| format!("{v}")).collect();
		let (_, across) = shape.tile_grid();
		let leaves = shape.leaves_per_tile(leaf) * u64::from(across);
		let harness = format!(
			r#"{kernels}
	#include <stdio.h>
	static const i32 C[] = {{ {values} }};
	int main(void) {{
		u64 key = {key}ULL;
		printf("a %016llx\n", (unsigned long long)cru_a_word(key, {rows}, {words}, 1, 2, 3));
		printf("b %016llx\n", (unsigned long long)cru_b_word(key, {cols}, {words}, 1, 5, 7));
		u8 hashes[{leaves}][32];
		for (u64 j = 0; j < {leaves}; j++) cru_leaf(C, {cols}, {tr}, {tc}, {across}, {leaf}, j, hashes[j]);
		u64 n = {leaves};
		for (u32 level = 0; level < {depth}; level++) {{
			for (u64 i = 0; i < n / 2; i++) cru_node(hashes[2 * i], hashes[2 * i + 1], hashes[i]);
			n /= 2;
		}}
		for (u64 t = 0; t < n; t++) {{
			printf("root ");
			for (int i = 0; i < 32; i++) printf("%02x", hashes[t][i]);
			printf("\n");
		}}
		return 0;
	}}
	"#,
			kernels = KERNELS,
			values = values.join(", "),
			key = keys.key,
			rows = shape.rows,
			cols = shape.cols,
			words = shape.inner / 8,
			leaves = leaves,
			tr = shape.tile_rows(),
			tc = shape.tile_cols(),
			across = across,
			leaf = leaf,
			depth = shape.tile_depth(leaf),
		);
		let dir = std::env::temp_dir().join(format!("crucible-kernel-test-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let source = dir.join("harness.c");
		let binary = dir.join("harness");
		std::fs::write(&source, harness).unwrap();
		let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
		let built = std::process::Command::new(&cc)
			.args(["-std=c99", "-O1", "-Wall", "-Werror", "-o"])
			.arg(&binary)
			.arg(&source)
			.output()
			.unwrap_or_else(|e| {
				panic!("a C compiler ({cc}) is needed for this test (scripts/setup.sh installs one): {e}")
			});
		assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
		let run = std::process::Command::new(&binary).output().unwrap();
		assert!(run.status.success());
		let out = String::from_utf8(run.stdout).unwrap();
		let _ = std::fs::remove_dir_all(&dir);

		let mut lines = out.lines();
		let a = crucible_primitives::challenge::a_word(&keys, &shape, 1, 2, 3);
		let b = crucible_primitives::challenge::b_word(&keys, &shape, 1, 5, 7);
		assert_eq!(lines.next(), Some(format!("a {a:016x}").as_str()));
		assert_eq!(lines.next(), Some(format!("b {b:016x}").as_str()));
		let expected: Vec<String> = (0..u64::from(across))
			.map(|t| {
				let tile = prover::reference_tile(&keys, &shape, t);
				format!("root {}", hex(&prover::tile_root(&shape, leaf, &tile)))
			})
			.collect();
		let got: Vec<String> = lines.map(String::from).collect();
		assert_eq!(got, expected);
	}
}
