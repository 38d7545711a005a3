// What the heap really holds per element of the standard containers, on the
// one toolchain strata is built with (Debian 12: glibc's malloc and
// libstdc++, 64-bit). The admission estimate (docs/admission.md) adds these
// up from a job's spec, so a model component can state what its tables cost
// next to the tables themselves, without running.
#ifndef STRATA_SIM_HEAP_BYTES_H_
#define STRATA_SIM_HEAP_BYTES_H_

#include <cstddef>

namespace strata::sim {

// glibc malloc (malloc/malloc.c, request2size): a chunk is the request plus
// one size word (SIZE_SZ), rounded up to MALLOC_ALIGNMENT (2 x SIZE_SZ =
// 16 B), and at least MINSIZE (32 B).
constexpr size_t HeapChunkBytes(size_t request) {
  constexpr size_t kSizeWord = sizeof(size_t);
  constexpr size_t kAlign = 2 * sizeof(size_t);
  const size_t chunk = (request + kSizeWord + kAlign - 1) / kAlign * kAlign;
  return chunk < 4 * kSizeWord ? 4 * kSizeWord : chunk;
}

// One element of std::set / std::map with value type V: libstdc++'s
// _Rb_tree_node is _Rb_tree_node_base (the colour, padded to a word, and the
// parent, left and right links) followed by the value.
template <class V>
constexpr size_t TreeNodeBytes() {
  return HeapChunkBytes(4 * sizeof(void*) + sizeof(V));
}

// One element of std::list<V>: _List_node_base (next, prev) and the value.
template <class V>
constexpr size_t ListNodeBytes() {
  return HeapChunkBytes(2 * sizeof(void*) + sizeof(V));
}

// One element of std::unordered_map / unordered_set with value type V and
// an integer key (std::hash of an integer is "fast", so libstdc++ caches no
// hash code in the node): the next link and the value, plus the element's
// bucket pointer (max_load_factor 1 keeps at least one bucket per element).
template <class V>
constexpr size_t HashNodeBytes() {
  return HeapChunkBytes(sizeof(void*) + sizeof(V)) + sizeof(void*);
}

}  // namespace strata::sim

#endif  // STRATA_SIM_HEAP_BYTES_H_
