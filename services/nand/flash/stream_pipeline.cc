#include "flash/stream_pipeline.h"

#include <algorithm>

namespace strata::nand {

using sim::SimTime;

namespace {

// The pipeline's resources, as the times they next become free.
struct PipelineState {
  SimTime array_start;
  SimTime cache_free;
  SimTime decoder_free;
  SimTime bus_free;
  std::vector<SimTime> unit_free;

  size_t width() const { return 3 + unit_free.size(); }
  // Each resource lifted to the array start, relative to it, into out[0,
  // width): equal offsets mean equal futures (see the header).
  void Offsets(int64_t* out) const {
    auto offset = [&](SimTime t) { *out++ = (std::max(t, array_start) - array_start).ps(); };
    offset(cache_free);
    offset(decoder_free);
    offset(bus_free);
    for (SimTime t : unit_free) offset(t);
  }
  void LiftAndShift(SimTime by) {
    auto lift = [&](SimTime& t) { t = std::max(t, array_start) + by; };
    lift(cache_free);
    lift(decoder_free);
    lift(bus_free);
    for (SimTime& t : unit_free) lift(t);
    array_start += by;
  }
};

void Step(const StreamPipelineShape& shape, SimTime step_time, PipelineState& st) {
  const SimTime move = std::max(st.array_start + step_time, st.cache_free);
  SimTime done = move;
  for (uint32_t unit : shape.unit_of_plane) {
    if (shape.gemv) {
      SimTime& free = st.unit_free[unit];
      free = std::max(free, move) + shape.compute;
      done = std::max(done, free);
    } else {
      SimTime ready = move;
      if (shape.ecclite) {
        st.decoder_free = std::max(st.decoder_free, move) + shape.decode;
        ready = st.decoder_free;
      }
      st.bus_free = std::max(st.bus_free, ready) + shape.xfer;
      done = std::max(done, st.bus_free);
    }
  }
  st.cache_free = done;
  st.array_start = shape.cache_read ? move : done;
}

}  // namespace

StreamTiming RunStreamPipeline(const StreamPipelineShape& shape, SimTime t0, const StreamSteps& steps,
                               bool skip_periods) {
  PipelineState st{t0, t0, t0, t0, std::vector<SimTime>(shape.units, t0)};
  StreamTiming out;
  const auto period = static_cast<uint32_t>(steps.periodic.size());
  // Offsets and array start at the last `period` step starts, by s % period.
  const size_t width = st.width();
  std::vector<int64_t> seen(period * width), offsets(width);
  std::vector<SimTime> seen_start(period);
  bool jumped = !skip_periods || period == 0;
  for (uint32_t s = 0; s < steps.count; ++s) {
    if (!jumped && s >= 1) {
      st.Offsets(offsets.data());
      const uint32_t slot = s % period;
      int64_t* seen_slot = seen.data() + slot * width;
      if (s >= 1 + period && std::equal(offsets.begin(), offsets.end(), seen_slot)) {
        const uint32_t periods = (steps.count - s) / period;
        st.LiftAndShift((st.array_start - seen_start[slot]) * periods);
        s += periods * period;
        jumped = true;
        if (s == steps.count) break;
      } else {
        std::copy(offsets.begin(), offsets.end(), seen_slot);
        seen_start[slot] = st.array_start;
      }
    }
    Step(shape, s == 0 ? steps.first : steps.periodic[s % period], st);
    ++out.steps_simulated;
  }
  out.end = st.cache_free;
  return out;
}

}  // namespace strata::nand
