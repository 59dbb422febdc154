// Crucible's proof-of-compute challenge on NVIDIA GPUs: generation of A and B, leaf hashing and
// the reduction of tiles to their roots. The products themselves are cuBLAS's (int8 inputs,
// int32 accumulation). Compiled at run time with NVRTC (no CUDA toolkit at build time).
//
// Everything must be bit-identical to crucible_primitives::challenge (Rust). The device
// functions below also compile as plain C: crucible-compute's tests compile them with the host's
// C compiler and compare them with the Rust reference on the known-answer challenge.

#ifdef __CUDACC_RTC__
#define CRU_FN __device__ __forceinline__
#define CRU_CONST __constant__
typedef unsigned long long u64;
typedef unsigned int u32;
typedef int i32;
typedef signed char i8;
typedef unsigned char u8;
#else
#include <stdint.h>
#define CRU_FN static inline
#define CRU_CONST static const
typedef uint64_t u64;
typedef uint32_t u32;
typedef int32_t i32;
typedef int8_t i8;
typedef uint8_t u8;
#endif

#define CRU_GOLDEN 0x9E3779B97F4A7C15ULL
#define CRU_B_STREAM (1ULL << 63)

// SplitMix64 as a counter-based generator (challenge::splitmix64).
CRU_FN u64 cru_splitmix64(u64 key, u64 counter) {
	u64 z = key + (counter + 1ULL) * CRU_GOLDEN;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

// Word `word` of row `row` of A_batch (challenge::a_word).
CRU_FN u64 cru_a_word(u64 key, u32 rows, u32 words, u32 batch, u32 row, u32 word) {
	u64 base = ((u64)batch * rows + row) * (u64)words;
	return cru_splitmix64(key, base + word);
}

// Word `word` of column `col` of B_batch (challenge::b_word).
CRU_FN u64 cru_b_word(u64 key, u32 cols, u32 words, u32 batch, u32 col, u32 word) {
	u64 base = ((u64)batch * cols + col) * (u64)words;
	return cru_splitmix64(key, (base + word) | CRU_B_STREAM);
}

CRU_CONST u64 CRU_IV[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

CRU_CONST u8 CRU_SIGMA[12][16] = {
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

CRU_FN u64 cru_rotr(u64 x, u32 n) {
	return (x >> n) | (x << (64 - n));
}

#define CRU_G(a, b, c, d, x, y)              \
	do {                                     \
		v[a] = v[a] + v[b] + (x);            \
		v[d] = cru_rotr(v[d] ^ v[a], 32);    \
		v[c] = v[c] + v[d];                  \
		v[b] = cru_rotr(v[b] ^ v[c], 24);    \
		v[a] = v[a] + v[b] + (y);            \
		v[d] = cru_rotr(v[d] ^ v[a], 16);    \
		v[c] = v[c] + v[d];                  \
		v[b] = cru_rotr(v[b] ^ v[c], 63);    \
	} while (0)

// The BLAKE2b compression function (RFC 7693), for inputs below 2^64 bytes.
CRU_FN void cru_compress(u64 h[8], const u8 *block, u64 t, int last) {
	u64 m[16];
	u64 v[16];
	for (int i = 0; i < 16; i++) {
		u64 w = 0;
		for (int j = 7; j >= 0; j--) w = (w << 8) | block[8 * i + j];
		m[i] = w;
	}
	for (int i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = CRU_IV[i];
	}
	v[12] ^= t;
	if (last) v[14] = ~v[14];
	for (int r = 0; r < 12; r++) {
		const u8 *s = CRU_SIGMA[r];
		CRU_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
		CRU_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
		CRU_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
		CRU_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
		CRU_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
		CRU_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
		CRU_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
		CRU_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
	for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

// blake2b-256 (no key) of `len` bytes, len <= 256 (challenge::hash).
CRU_FN void cru_blake2b_256(const u8 *in, u32 len, u8 out[32]) {
	u64 h[8];
	u8 block[128];
	u32 done = 0;
	for (int i = 0; i < 8; i++) h[i] = CRU_IV[i];
	h[0] ^= 0x01010000ULL ^ 32ULL;
	while (len - done > 128) {
		cru_compress(h, in + done, (u64)done + 128, 0);
		done += 128;
	}
	for (u32 i = 0; i < 128; i++) block[i] = (done + i < len) ? in[done + i] : 0;
	cru_compress(h, block, (u64)len, 1);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++) out[8 * i + j] = (u8)(h[i] >> (8 * j));
}

// Inner node: blake2b-256(0x01 ‖ left ‖ right) (challenge::node_hash).
CRU_FN void cru_node(const u8 *left, const u8 *right, u8 out[32]) {
	u8 buf[65];
	buf[0] = 1;
	for (int i = 0; i < 32; i++) {
		buf[1 + i] = left[i];
		buf[33 + i] = right[i];
	}
	cru_blake2b_256(buf, 65, out);
}

// Leaf `j` of one product, numbered tile-major (tile, then leaf within the tile), hashed from
// the product's output `c` (rows × cols int32, row-major): blake2b-256 of its `leaf` entries,
// little-endian (challenge::leaf_hash, Shape::locate).
CRU_FN void cru_leaf(const i32 *c, u32 cols, u32 tile_rows, u32 tile_cols, u32 across, u32 leaf,
                     u64 j, u8 out[32]) {
	u64 per_tile = (u64)tile_rows * tile_cols / leaf;
	u64 tile = j / per_tile;
	u64 in_tile = j % per_tile;
	u32 per_row = tile_cols / leaf;
	u32 row = (u32)(tile / across) * tile_rows + (u32)(in_tile / per_row);
	u32 col = (u32)(tile % across) * tile_cols + (u32)(in_tile % per_row) * leaf;
	const i32 *src = c + (u64)row * cols + col;
	u8 buf[256];
	for (u32 i = 0; i < leaf; i++) {
		u32 v = (u32)src[i];
		buf[4 * i] = (u8)v;
		buf[4 * i + 1] = (u8)(v >> 8);
		buf[4 * i + 2] = (u8)(v >> 16);
		buf[4 * i + 3] = (u8)(v >> 24);
	}
	cru_blake2b_256(buf, 4 * leaf, out);
}

#ifdef __CUDACC_RTC__

// Rows first_row .. first_row + count of A_batch, as generator words (8 int8 each, LE).
extern "C" __global__ void cru_gen_a(u64 *out, u64 key, u32 rows, u32 words, u32 batch,
                                     u32 first_row, u32 count) {
	u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (u64)count * words) return;
	out[i] = cru_a_word(key, rows, words, batch, first_row + (u32)(i / words), (u32)(i % words));
}

// Columns first_col .. first_col + count of B_batch (each `inner` int8 down the column).
extern "C" __global__ void cru_gen_b(u64 *out, u64 key, u32 cols, u32 words, u32 batch,
                                     u32 first_col, u32 count) {
	u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (u64)count * words) return;
	out[i] = cru_b_word(key, cols, words, batch, first_col + (u32)(i / words), (u32)(i % words));
}

// Every leaf hash of one product, in tile-major order.
extern "C" __global__ void cru_leaves(const i32 *c, u8 *out, u32 cols, u32 tile_rows,
                                      u32 tile_cols, u32 across, u32 leaf, u64 n) {
	u64 j = (u64)blockIdx.x * blockDim.x + threadIdx.x;
	if (j >= n) return;
	cru_leaf(c, cols, tile_rows, tile_cols, across, leaf, j, out + 32 * j);
}

// One level up: node i from children 2i and 2i + 1. Tiles are consecutive power-of-two runs of
// leaves, so reducing whole levels yields every tile's root after log2(leaves per tile) levels.
extern "C" __global__ void cru_reduce(const u8 *in, u8 *out, u64 n) {
	u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n) return;
	cru_node(in + 64 * i, in + 64 * i + 32, out + 32 * i);
}

#endif
