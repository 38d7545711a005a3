#include "ftl/lazy_page_table.h"

#include <algorithm>

namespace strata::controller {

std::unique_ptr<uint32_t[]> LazyPageTable::NewChunk() {
  auto chunk = std::make_unique_for_overwrite<uint32_t[]>(kChunkEntries);
  std::fill_n(chunk.get(), kChunkEntries, kNone);
  return chunk;
}

LazyPageTable::LazyPageTable(const LazyPageTable& other) : size_(other.size_), chunks_(other.chunks_.size()) {
  for (size_t c = 0; c < chunks_.size(); ++c) {
    if (other.chunks_[c] == nullptr) continue;
    chunks_[c] = std::make_unique_for_overwrite<uint32_t[]>(kChunkEntries);
    std::copy_n(other.chunks_[c].get(), kChunkEntries, chunks_[c].get());
  }
}

LazyPageTable& LazyPageTable::operator=(const LazyPageTable& other) {
  if (this != &other) *this = LazyPageTable(other);
  return *this;
}

uint64_t LazyPageTable::AllocatedBytes() const {
  const uint64_t allocated =
      static_cast<uint64_t>(std::count_if(chunks_.begin(), chunks_.end(), [](const auto& c) { return c != nullptr; }));
  return chunks_.size() * sizeof(chunks_[0]) + allocated * kChunkEntries * sizeof(uint32_t);
}

uint64_t LazyPageTable::FullBytes(uint64_t size) {
  const uint64_t chunks = (size + kChunkEntries - 1) >> kChunkBits;
  return chunks * (sizeof(std::unique_ptr<uint32_t[]>) + kChunkEntries * sizeof(uint32_t));
}

}  // namespace strata::controller
