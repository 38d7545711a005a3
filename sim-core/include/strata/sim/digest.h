// DigestBuilder: folds a component's final state into a 64-bit hash.
//
// The run digest proves the determinism contract: the same job and seed give
// the same digest whatever the partitions, threads, transport or sync
// algorithm. Components add every statistic and state word that a result
// depends on; doubles are added by their bit pattern.
#ifndef STRATA_SIM_DIGEST_H_
#define STRATA_SIM_DIGEST_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "strata/sim/random.h"
#include "strata/sim/time.h"

namespace strata::sim {

class DigestBuilder {
 public:
  DigestBuilder& Add(uint64_t v) { h_ = Mix64(h_ ^ Mix64(v + ++n_)); return *this; }
  DigestBuilder& Add(int64_t v) { return Add(static_cast<uint64_t>(v)); }
  DigestBuilder& Add(uint32_t v) { return Add(static_cast<uint64_t>(v)); }
  DigestBuilder& Add(int v) { return Add(static_cast<uint64_t>(static_cast<int64_t>(v))); }
  DigestBuilder& Add(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return Add(bits);
  }
  DigestBuilder& Add(SimTime t) { return Add(t.ps()); }
  DigestBuilder& Add(std::string_view s) {
    Add(static_cast<uint64_t>(s.size()));
    for (char c : s) Add(static_cast<uint64_t>(static_cast<unsigned char>(c)));
    return *this;
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x5354524154410001ULL;  // "STRATA" + version
  uint64_t n_ = 0;
};

std::string DigestToHex(uint64_t digest);

}  // namespace strata::sim

#endif  // STRATA_SIM_DIGEST_H_
