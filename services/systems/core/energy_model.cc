#include "services/systems/core/energy_model.h"

#include "absl/strings/str_cat.h"

namespace strata::systems {
namespace {

using P = EnergyPart;
using U = EnergyUnit;

// AiF's in-chip logic (ISCA '25; REFERENCE.md): 51.68 mW per chip at the
// chip's 6.4 GB/s stream rate, i.e. 51.68e-3 / (6.4e9 x 8) = 1.009 pJ per
// bit streamed through ECCLITE and the PE MACs together. The MACs' share
// is kMacPj / 8 per bit (one INT8 weight per byte), the rest is ECCLITE's.
constexpr double kAifLogicPjPerBit = 51.68e-3 / (6.4e9 * 8) * 1e12;
// Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm): 8-bit
// multiply 0.2 pJ + 8-bit add 0.03 pJ.
constexpr double kMacPj = 0.2 + 0.03;
// AiF (ISCA '25; REFERENCE.md "energy figures"): a conventional read costs
// 18.278 pJ/bit, a cr-read 5.098. A conventional read is precharge + sense
// (evaluate) + discharge; cr-read is recycle + evaluate: it reuses the
// bitline charge the previous wordline's read left instead of drawing it
// from the supply again, and the discharge returns to ground the charge the
// precharge drew (no supply energy of its own). So the precharge share is
// the difference and sense is what a cr-read still pays.
constexpr double kConventionalReadPj = 18.278;
constexpr double kCrReadPj = 5.098;
// A800 SXM board power 400 W (NVIDIA A800 datasheet) includes its HBM2e;
// the HBM's share at the 2,039 GB/s peak (REFERENCE.md) at 3.9 pJ/bit is
// counted by traffic instead, and the idle power is static: the SMs'
// dynamic power while busy is what remains.
constexpr double kA800BoardW = 400;
constexpr double kA800IdleW = 50;
constexpr double kHbmPjPerBit = 3.9;
constexpr double kA800HbmW = 2039e9 * 8 * kHbmPjPerBit * 1e-12;

const std::vector<EnergyCoefficient>* MakeTable() {
  return new std::vector<EnergyCoefficient>{
      // ---- NAND array ----
      {"nand_read_precharge_bits", P::kFlashArray, U::kPicojoulesPerCount, kConventionalReadPj - kCrReadPj,
       "bit read with a bitline precharge (conventional read; cr-read skips it)",
       "derived: AiF (ISCA '25) read 18.278 pJ/bit minus cr-read 5.098 pJ/bit; the discharge phase returns this "
       "charge and draws no supply energy of its own"},
      {"nand_read_sense_bits", P::kFlashArray, U::kPicojoulesPerCount, kCrReadPj,
       "bit sensed (every read, cr-read or not; read retries are reads)",
       "AiF (ISCA '25): cr-read (recycle + evaluate) 5.098 pJ/bit"},
      {"nand_program_ps", P::kFlashProgram, U::kWattsWhileBusy, 3.3 * 0.025, "picosecond of tPROG per page programmed",
       "typical ONFI NAND datasheet ICC2 25 mA at VCC 3.3 V (e.g. Micron MT29F TLC parts) over the die's tPROG"},
      {"nand_erase_ps", P::kFlashProgram, U::kWattsWhileBusy, 3.3 * 0.025, "picosecond of tBERS per block erased",
       "typical ONFI NAND datasheet ICC3 25 mA at VCC 3.3 V over the die's tBERS"},
      // ---- ECC ----
      {"ecclite_bits", P::kEcc, U::kPicojoulesPerCount, kAifLogicPjPerBit - kMacPj / 8,
       "bit decoded by on-die ECCLITE (BCH)",
       "derived: AiF in-chip logic 51.68 mW at 6.4 GB/s = 1.009 pJ/bit, less the INT8 MAC share (0.23 pJ / 8 bits)"},
      {"ldpc_bits", P::kEcc, U::kPicojoulesPerCount, 62, "bit of a page decoded by the controller's LDPC",
       "a 9 Gb/s LDPC decoder ASIC in 22FDX at 62 pJ/b (short-blocklength; an upper bound for SSD decoders)"},
      // ---- data movement ----
      {"onfi_io_bits", P::kFlashBus, U::kPicojoulesPerCount, 5.8, "bit over an ONFI flash channel",
       "AiF (ISCA '25): flash channel 5.8 pJ/bit"},
      {"pcie_bits", P::kPcieNvme, U::kPicojoulesPerCount, 7.5, "bit over PCIe", "AiF (ISCA '25): PCIe 7.5 pJ/bit"},
      {"lpddr5_bits", P::kDram, U::kPicojoulesPerCount, 7, "bit read or written in LPDDR5",
       "AiF (ISCA '25): LPDDR5 7 pJ/bit"},
      {"ddr5_bits", P::kDram, U::kPicojoulesPerCount, 20, "bit read or written in DDR5",
       "typical: Horowitz ISSCC 2014, off-chip DRAM 1.3-2.6 nJ per 64-bit access (20-40 pJ/bit), lower end"},
      {"hbm2e_bits", P::kDram, U::kPicojoulesPerCount, kHbmPjPerBit, "bit read or written in HBM2e",
       "O'Connor et al., Fine-Grained DRAM, MICRO 2017: HBM2 3.9 pJ/bit"},
      // ---- compute ----
      {"flash_pe_macs", P::kPeCompute, U::kPicojoulesPerCount, kMacPj, "INT8 MAC in a flash PE array",
       "Horowitz ISSCC 2014 (45 nm): 8-bit multiply 0.2 pJ + add 0.03 pJ"},
      {"controller_macs", P::kPeCompute, U::kPicojoulesPerCount, kMacPj, "INT8 MAC in the SSD controller's units",
       "Horowitz ISSCC 2014 (45 nm): 8-bit multiply 0.2 pJ + add 0.03 pJ"},
      {"logic_macs", P::kHostCompute, U::kPicojoulesPerCount, kMacPj,
       "MAC (two flops) the attention logic ran",
       "Horowitz ISSCC 2014 (45 nm): 8-bit multiply 0.2 pJ + add 0.03 pJ"},
      {"desktop_cpu_busy_ps", P::kHostCompute, U::kWattsWhileBusy, 150 - 15, "picosecond the host CPU is busy",
       "Intel i9-14900KS processor base power 150 W (Intel ARK) above its idle power (static)"},
      {"a800_gpu_busy_ps", P::kHostCompute, U::kWattsWhileBusy, kA800BoardW - kA800IdleW - kA800HbmW,
       "picosecond the GPU is busy",
       "derived: A800 SXM 400 W board power (NVIDIA datasheet) less 50 W idle (static) less its HBM2e at "
       "2,039 GB/s x 3.9 pJ/bit (counted by traffic)"},
      // ---- static power (per unit, over the whole run) ----
      {"nand_die_static", P::kStatic, U::kWattsPerUnit, 3.3 * 50e-6, "die",
       "typical ONFI NAND datasheet standby current ISB 50 uA (max) at VCC 3.3 V"},
      {"desktop_cpu_static", P::kStatic, U::kWattsPerUnit, 15, "CPU package",
       "typical: desktop CPU package idle power ~15 W (assumption; Intel publishes no idle figure)"},
      {"a800_gpu_static", P::kStatic, U::kWattsPerUnit, kA800IdleW, "GPU board (HBM refresh included)",
       "typical: A100/A800-class SXM idle board power ~50 W (nvidia-smi idle, assumption)"},
      {"ddr5_static", P::kStatic, U::kWattsPerUnit, 0.1, "GiB of DDR5 (background + refresh)",
       "typical: a 16 GiB DDR5 UDIMM idles near 1.5 W (assumption)"},
      {"lpddr5_static", P::kStatic, U::kWattsPerUnit, 0.02, "GiB of LPDDR5 (background + refresh)",
       "typical: LPDDR5 standby near a fifth of DDR5's per GiB (assumption)"},
  };
}

}  // namespace

std::string_view EnergyPartName(EnergyPart part) {
  switch (part) {
    case EnergyPart::kFlashArray: return "flash_array";
    case EnergyPart::kEcc: return "ecc";
    case EnergyPart::kFlashBus: return "flash_bus";
    case EnergyPart::kPeCompute: return "pe_compute";
    case EnergyPart::kHostCompute: return "host_compute";
    case EnergyPart::kDram: return "dram";
    case EnergyPart::kPcieNvme: return "pcie_nvme";
    case EnergyPart::kStatic: return "static";
    case EnergyPart::kFlashProgram: return "flash_program";
    case EnergyPart::kCount: break;
  }
  return "?";
}

const std::vector<EnergyCoefficient>& EnergyCoefficients() {
  static const std::vector<EnergyCoefficient>* table = MakeTable();
  return *table;
}

const EnergyCoefficient* FindEnergyCoefficient(std::string_view activity) {
  for (const EnergyCoefficient& c : EnergyCoefficients()) {
    if (c.activity == activity) return &c;
  }
  return nullptr;
}

absl::StatusOr<std::array<double, static_cast<size_t>(EnergyPart::kCount)>> JoulesByPart(
    const std::vector<ActivityCount>& dynamic, const std::vector<ActivityCount>& static_loads, double run_seconds) {
  std::array<double, static_cast<size_t>(EnergyPart::kCount)> joules{};
  auto add = [&](const ActivityCount& a, bool is_static) -> absl::Status {
    const EnergyCoefficient* c = FindEnergyCoefficient(a.name);
    if (c == nullptr || (c->unit == EnergyUnit::kWattsPerUnit) != is_static) {
      return absl::InternalError(absl::StrCat("energy: no ", is_static ? "static" : "activity",
                                              " coefficient named \"", a.name, "\""));
    }
    const double j = c->unit == EnergyUnit::kWattsPerUnit ? c->value * a.count * run_seconds
                                                          : c->value * a.count * 1e-12;
    joules[static_cast<size_t>(c->part)] += j;
    return absl::OkStatus();
  };
  for (const ActivityCount& a : dynamic) {
    if (absl::Status s = add(a, false); !s.ok()) return s;
  }
  for (const ActivityCount& a : static_loads) {
    if (absl::Status s = add(a, true); !s.ok()) return s;
  }
  return joules;
}

v1::EnergyBreakdown EnergyBreakdownOf(const std::array<double, static_cast<size_t>(EnergyPart::kCount)>& joules,
                                      double run_seconds, int64_t tokens, double tokens_per_second) {
  v1::EnergyBreakdown e;
  double total = 0;
  for (double j : joules) total += j;
  e.set_joules(total);
  const double per = tokens > 0 ? 1.0 / static_cast<double>(tokens) : 0;
  e.set_joules_per_token(total * per);
  e.set_average_watts(run_seconds > 0 ? total / run_seconds : 0);
  e.set_energy_delay_joule_seconds(tokens_per_second > 0 ? total * per / tokens_per_second : 0);
  auto part = [&](EnergyPart p) { return joules[static_cast<size_t>(p)] * per; };
  v1::EnergyParts* t = e.mutable_per_token();
  t->set_flash_array(part(EnergyPart::kFlashArray));
  t->set_ecc(part(EnergyPart::kEcc));
  t->set_flash_bus(part(EnergyPart::kFlashBus));
  t->set_pe_compute(part(EnergyPart::kPeCompute));
  t->set_host_compute(part(EnergyPart::kHostCompute));
  t->set_dram(part(EnergyPart::kDram));
  t->set_pcie_nvme(part(EnergyPart::kPcieNvme));
  t->set_static_power(part(EnergyPart::kStatic));
  t->set_flash_program(part(EnergyPart::kFlashProgram));
  e.set_data_movement_joules_per_token(part(EnergyPart::kFlashBus) + part(EnergyPart::kDram) +
                                       part(EnergyPart::kPcieNvme));
  return e;
}

}  // namespace strata::systems
