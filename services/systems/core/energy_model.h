// Energy accounting: the activity the models already count (bits read from
// the NAND array by read phase, program and erase time, bits over ONFI,
// PCIe and DRAM, bits decoded by ECC, MACs, busy time of host processors)
// times one sourced coefficient each, plus every device's static power over
// the run. All coefficients live in one table (EnergyCoefficients) with
// their unit and source; systems only name what they count
// (energy_activity.h), so no model carries energy itself.
#ifndef STRATA_SYSTEMS_CORE_ENERGY_MODEL_H_
#define STRATA_SYSTEMS_CORE_ENERGY_MODEL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// Where an activity's joules land (v1::EnergyParts, same order).
enum class EnergyPart : uint8_t {
  kFlashArray, kEcc, kFlashBus, kPeCompute, kHostCompute, kDram, kPcieNvme, kStatic, kFlashProgram, kCount
};
std::string_view EnergyPartName(EnergyPart part);

// What an activity's count is, and so how its coefficient applies.
enum class EnergyUnit : uint8_t {
  kPicojoulesPerCount,  // count is bits, MACs, ...: joules = count x value x 1e-12
  kWattsWhileBusy,      // count is busy picoseconds: joules = value x count x 1e-12
  kWattsPerUnit,        // a static load: count is units (dies, GiB, chips) for the whole run
};

struct EnergyCoefficient {
  std::string_view activity;  // the name systems count it under
  EnergyPart part;
  EnergyUnit unit;
  double value;               // pJ per count, or W
  std::string_view counts;    // what one count is ("bit read from the array")
  std::string_view source;
};

// Every coefficient strata uses, each with its source.
const std::vector<EnergyCoefficient>& EnergyCoefficients();
// The coefficient of `activity`, or nullptr.
const EnergyCoefficient* FindEnergyCoefficient(std::string_view activity);

// A run's counted activity and static loads, as the result sees them.
struct ActivityCount {
  std::string name;
  double count = 0;  // int64 counts (bits, ps) and static units (GiB) alike
};

// Joules by part for a run of `run_seconds`: dynamic activity plus static
// loads (units x watts x run time). INTERNAL names an activity with no
// coefficient (a system counting something the table does not price).
absl::StatusOr<std::array<double, static_cast<size_t>(EnergyPart::kCount)>> JoulesByPart(
    const std::vector<ActivityCount>& dynamic, const std::vector<ActivityCount>& static_loads, double run_seconds);

// The result's EnergyBreakdown from joules by part: per token (decode tokens
// x batch), average power over the run, energy-delay product.
v1::EnergyBreakdown EnergyBreakdownOf(const std::array<double, static_cast<size_t>(EnergyPart::kCount)>& joules,
                                      double run_seconds, int64_t tokens, double tokens_per_second);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_ENERGY_MODEL_H_
