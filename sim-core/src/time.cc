#include "strata/sim/time.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace strata::sim {

SimTime SimTime::FromMicroseconds(double us) { return Picoseconds(std::llround(us * 1e6)); }
SimTime SimTime::FromNanoseconds(double ns) { return Picoseconds(std::llround(ns * 1e3)); }
SimTime SimTime::FromSeconds(double s) { return Picoseconds(std::llround(s * 1e12)); }

std::string SimTime::ToString() const {
  if (IsInfinite()) return "inf";
  const int64_t a = ps_ < 0 ? -ps_ : ps_;
  struct Unit { int64_t scale; const char* name; };
  static constexpr Unit kUnits[] = {{1'000'000'000'000, "s"}, {1'000'000'000, "ms"}, {1'000'000, "us"},
                                    {1'000, "ns"}};
  for (const Unit& u : kUnits) {
    if (a >= u.scale) return absl::StrFormat("%.6g %s", static_cast<double>(ps_) / u.scale, u.name);
  }
  return absl::StrFormat("%d ps", ps_);
}

SimTime TransferTime(uint64_t bytes, uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return SimTime::Infinite();
  const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ULL;
  return SimTime::Picoseconds(static_cast<int64_t>((num + bytes_per_second - 1) / bytes_per_second));
}

SimTime CyclesAt(uint64_t cycles, uint64_t hertz) { return TransferTime(cycles, hertz); }

}  // namespace strata::sim
