#include "nvme/link_calendar.h"

#include <algorithm>

namespace strata::controller {

using sim::SimTime;

SimTime LinkCalendar::Reserve(SimTime now, SimTime ready, SimTime busy) {
  while (head_ < busy_.size() && busy_[head_].end <= now) ++head_;
  if (head_ > 64 && head_ * 2 > busy_.size()) {
    busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  // The first stretch that ends after `ready`: every one before it is over
  // by then and cannot delay this transfer.
  auto it = std::upper_bound(busy_.begin() + static_cast<std::ptrdiff_t>(head_), busy_.end(), ready,
                             [](SimTime t, const Stretch& s) { return t < s.end; });
  SimTime start = ready;
  while (it != busy_.end() && it->start < start + busy) {
    start = std::max(start, it->end);
    ++it;
  }
  if (busy.ps() == 0) return start;
  const SimTime end = start + busy;
  // Join touching neighbours so back-to-back TLPs stay one stretch.
  const bool joins_before = it != busy_.begin() + static_cast<std::ptrdiff_t>(head_) && (it - 1)->end == start;
  const bool joins_after = it != busy_.end() && it->start == end;
  if (joins_before && joins_after) {
    (it - 1)->end = it->end;
    busy_.erase(it);
  } else if (joins_before) {
    (it - 1)->end = end;
  } else if (joins_after) {
    it->start = start;
  } else {
    busy_.insert(it, Stretch{start, end});
  }
  return start;
}

}  // namespace strata::controller
