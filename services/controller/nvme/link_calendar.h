// LinkCalendar: the busy stretches of one direction of a link, for
// components that reserve transfers ahead of the simulated clock.
//
// Why: the NVMe path computes a command's chain of control-plane steps
// (doorbell, SQE fetch, DMA, CQE, MSI-X) in one go instead of one event per
// step (issue 18: events per I/O). Its TLPs are then reserved when the chain
// is computed, up to a few microseconds before they are sent. A plain
// busy-until time would make a TLP reserved early block every TLP reserved
// after it even when the later one is ready first; the calendar instead
// puts each transfer in the first idle stretch at or after its ready time
// that is long enough. Reservations made in ready-time order (the only case
// with one event per step) get exactly the busy-until FIFO's starts; out of
// order, a TLP already reserved keeps its place (the arbiter's commitment)
// and a later-reserved one fills a gap before it only if it fits whole.
#ifndef STRATA_CONTROLLER_NVME_LINK_CALENDAR_H_
#define STRATA_CONTROLLER_NVME_LINK_CALENDAR_H_

#include <cstddef>
#include <vector>

#include "strata/sim/time.h"

namespace strata::controller {

class LinkCalendar {
 public:
  // Reserves `busy` of the link at the first idle stretch at or after
  // `ready`; returns its start. Stretches that ended by `now` are dropped
  // (nothing is ever reserved before now).
  sim::SimTime Reserve(sim::SimTime now, sim::SimTime ready, sim::SimTime busy);
  // Busy stretches still held (tests).
  size_t held() const { return busy_.size() - head_; }

 private:
  struct Stretch {
    sim::SimTime start;
    sim::SimTime end;
  };
  std::vector<Stretch> busy_;  // sorted, disjoint; [head_, size) are live
  size_t head_ = 0;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_NVME_LINK_CALENDAR_H_
