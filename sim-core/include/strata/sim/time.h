// SimTime: simulated time as an integer count of picoseconds.
//
// Why integers: event ordering must be exact and identical on every engine,
// partition count and machine. A double cannot represent 9.7 us + 1 ps, and
// rounding differences would reorder events. int64 picoseconds cover
// +/- 106 days of simulated time, far beyond any inference run.
#ifndef STRATA_SIM_TIME_H_
#define STRATA_SIM_TIME_H_

#include <cstdint>
#include <limits>
#include <string>

namespace strata::sim {

class SimTime {
 public:
  constexpr SimTime() = default;

  static constexpr SimTime Picoseconds(int64_t ps) { return SimTime(ps); }
  static constexpr SimTime Nanoseconds(int64_t ns) { return SimTime(ns * 1'000); }
  static constexpr SimTime Microseconds(int64_t us) { return SimTime(us * 1'000'000); }
  static constexpr SimTime Milliseconds(int64_t ms) { return SimTime(ms * 1'000'000'000); }
  static constexpr SimTime Seconds(int64_t s) { return SimTime(s * 1'000'000'000'000); }
  // Converts a configured duration (e.g. tR = 9.7 us from a paper) to the
  // nearest picosecond. For configuration only: never used on event times.
  static SimTime FromMicroseconds(double us);
  static SimTime FromNanoseconds(double ns);
  static SimTime FromSeconds(double s);
  // The time of an event that never happens; also "run until no events".
  static constexpr SimTime Infinite() { return SimTime(std::numeric_limits<int64_t>::max()); }
  static constexpr SimTime Zero() { return SimTime(0); }

  constexpr int64_t ps() const { return ps_; }
  constexpr bool IsInfinite() const { return ps_ == std::numeric_limits<int64_t>::max(); }
  // For reporting only (tables, rates); never feed the result back into time.
  double ToSeconds() const { return static_cast<double>(ps_) * 1e-12; }
  double ToMicroseconds() const { return static_cast<double>(ps_) * 1e-6; }
  double ToNanoseconds() const { return static_cast<double>(ps_) * 1e-3; }

  // "12.5 us", "3.2 ms", "inf": the largest unit that keeps the integer part > 0.
  std::string ToString() const;

  constexpr SimTime operator+(SimTime o) const { return SimTime(ps_ + o.ps_); }
  constexpr SimTime operator-(SimTime o) const { return SimTime(ps_ - o.ps_); }
  constexpr SimTime& operator+=(SimTime o) { ps_ += o.ps_; return *this; }
  constexpr SimTime& operator-=(SimTime o) { ps_ -= o.ps_; return *this; }
  constexpr SimTime operator*(int64_t k) const { return SimTime(ps_ * k); }
  constexpr SimTime operator/(int64_t k) const { return SimTime(ps_ / k); }
  constexpr auto operator<=>(const SimTime&) const = default;

 private:
  constexpr explicit SimTime(int64_t ps) : ps_(ps) {}
  int64_t ps_ = 0;
};

// a + b, but Infinite() absorbs and overflow saturates to Infinite().
constexpr SimTime SaturatingAdd(SimTime a, SimTime b) {
  if (a.IsInfinite() || b.IsInfinite()) return SimTime::Infinite();
  if (b.ps() > 0 && a.ps() > std::numeric_limits<int64_t>::max() - b.ps()) return SimTime::Infinite();
  return a + b;
}

// Time to move `bytes` at `bytes_per_second`, rounded up to a whole
// picosecond, computed exactly in 128-bit integers so that a stream of pages
// summed as one transfer equals the sum of per-page transfers only when the
// arithmetic says so (no accumulated floating-point drift).
SimTime TransferTime(uint64_t bytes, uint64_t bytes_per_second);

// Cycles at a clock, rounded up to a whole picosecond.
SimTime CyclesAt(uint64_t cycles, uint64_t hertz);

}  // namespace strata::sim

#endif  // STRATA_SIM_TIME_H_
