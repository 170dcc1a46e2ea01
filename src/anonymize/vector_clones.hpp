// Marks a plain loop function to be built twice, for AVX2 and for baseline x86-64, the better one
// picked when the library loads (GCC's target_clones; the package itself targets baseline
// x86-64). Elsewhere (clang, other CPUs) the function is built once, as written.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LA3D_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LA3D_VECTOR_CLONES
#endif
