#include "ftl/cached_mapping_table.h"

namespace strata::controller {

CachedMappingTable::CachedMappingTable(uint64_t capacity, uint64_t entries_per_page)
    : capacity_(capacity), entries_per_page_(entries_per_page) {}

void CachedMappingTable::Unlink(uint32_t n) {
  Node& x = nodes_[n];
  (x.prev == kNil ? head_ : nodes_[x.prev].next) = x.next;
  (x.next == kNil ? tail_ : nodes_[x.next].prev) = x.prev;
  x.prev = x.next = kNil;
}

void CachedMappingTable::PushFront(uint32_t n) {
  Node& x = nodes_[n];
  x.prev = kNil;
  x.next = head_;
  if (head_ != kNil) nodes_[head_].prev = n;
  head_ = n;
  if (tail_ == kNil) tail_ = n;
}

void CachedMappingTable::SetDirty(uint32_t n) {
  Node& x = nodes_[n];
  if (x.dirty) return;
  x.dirty = true;
  ++dirty_count_;
  auto [it, inserted] = dirty_heads_.try_emplace(x.lpn / entries_per_page_, n);
  x.dprev = kNil;
  x.dnext = inserted ? kNil : it->second;
  if (!inserted) {
    nodes_[it->second].dprev = n;
    it->second = n;
  }
}

void CachedMappingTable::ClearDirty(uint32_t n) {
  Node& x = nodes_[n];
  if (!x.dirty) return;
  x.dirty = false;
  --dirty_count_;
  if (x.dnext != kNil) nodes_[x.dnext].dprev = x.dprev;
  if (x.dprev != kNil) {
    nodes_[x.dprev].dnext = x.dnext;
  } else if (x.dnext != kNil) {
    dirty_heads_[x.lpn / entries_per_page_] = x.dnext;
  } else {
    dirty_heads_.erase(x.lpn / entries_per_page_);
  }
  x.dprev = x.dnext = kNil;
}

bool CachedMappingTable::Touch(uint64_t lpn) {
  auto it = index_.find(lpn);
  if (it == index_.end()) return false;
  if (it->second != head_) {
    Unlink(it->second);
    PushFront(it->second);
  }
  return true;
}

bool CachedMappingTable::IsDirty(uint64_t lpn) const {
  auto it = index_.find(lpn);
  return it != index_.end() && nodes_[it->second].dirty;
}

std::optional<CachedMappingTable::Evicted> CachedMappingTable::Insert(uint64_t lpn, bool dirty) {
  std::optional<Evicted> evicted;
  uint32_t n;
  if (index_.size() >= capacity_) {
    n = tail_;
    Node& victim = nodes_[n];
    evicted = Evicted{victim.lpn, victim.dirty};
    ClearDirty(n);
    Unlink(n);
    index_.erase(victim.lpn);
  } else {
    n = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[n] = Node{};
  nodes_[n].lpn = lpn;
  index_[lpn] = n;
  PushFront(n);
  if (dirty) SetDirty(n);
  return evicted;
}

void CachedMappingTable::MarkDirty(uint64_t lpn) {
  auto it = index_.find(lpn);
  if (it != index_.end()) SetDirty(it->second);
}

uint64_t CachedMappingTable::CleanPage(uint64_t tpage) {
  auto it = dirty_heads_.find(tpage);
  if (it == dirty_heads_.end()) return 0;
  uint64_t cleaned = 0;
  uint32_t n = it->second;
  dirty_heads_.erase(it);
  while (n != kNil) {
    Node& x = nodes_[n];
    const uint32_t next = x.dnext;
    x.dirty = false;
    x.dprev = x.dnext = kNil;
    --dirty_count_;
    ++cleaned;
    n = next;
  }
  return cleaned;
}

}  // namespace strata::controller
