#include "services/systems/core/drive_spec.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/systems/core/spec_fields.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

namespace {

using sim::SimTime;

double Us(SimTime t) { return t.ToSeconds() * 1e6; }

uint32_t BitsOf(v1::CellType cell) {
  switch (cell) {
    case v1::CELL_SLC: return 1;
    case v1::CELL_MLC: return 2;
    case v1::CELL_QLC: return 4;
    default: return 3;  // CELL_TLC, and unset: AiF's TLC
  }
}

absl::Status CheckPerPageType(std::string_view path, const char* name,
                              const google::protobuf::RepeatedField<double>& times, uint32_t bits) {
  if (times.empty()) return absl::OkStatus();
  const std::string field = absl::StrCat(std::string(path), ".", name);
  if (static_cast<uint32_t>(times.size()) != bits) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has ", times.size(), " entries; allowed: none, or ", bits,
                                                   " (one per page type of the cell, LSB first)"));
  }
  for (int i = 0; i < times.size(); ++i) {
    if (!(times[i] >= 1e-3 && times[i] <= 1e5)) {
      return Invalid(absl::StrCat(field, "[", i, "]"), times[i], "1e-3 to 1e5 us");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Parameter> DriveParameters(std::string_view prefix_name) {
  const std::string p = std::string(prefix_name) + ".";
  const nand::NandConfig n = nand::AifDefaultNandConfig();
  const controller::NvmeConfig nvme;
  const controller::SsdControllerConfig ctrl;
  const controller::FtlConfig ftl;
  return {
      {p + "channels", "", static_cast<double>(n.geometry.channels), 1, 64, "AiF: 8 channels (REFERENCE.md)"},
      {p + "chips_per_channel", "", static_cast<double>(n.geometry.dies_per_channel), 1, 16,
       "AiF: 2 chips per channel (REFERENCE.md)"},
      {p + "dies_per_chip", "", 1, 1, 16,
       "AiF: one die per chip; chips_per_channel x dies_per_chip share the channel's bus and are at most 16"},
      Parameter::Rule(p + "chip_die_interleave", "", "CHIP_DIE_INTERLEAVE_MULTI_LUN, CHIP_DIE_INTERLEAVE_CHIP_SERIAL",
                      "CHIP_DIE_INTERLEAVE_MULTI_LUN",
                      "MULTI_LUN: ONFI 4.x multi-LUN operation (a command to one LUN while another is busy, READ "
                      "STATUS ENHANCED 78h); CHIP_SERIAL: MQSim's TSU_OutOfOrder issues to a chip only when it is "
                      "IDLE, i.e. no die busy through its data-out (nand_config.h ChipInterleave)"),
      {p + "planes_per_die", "", static_cast<double>(n.geometry.planes_per_die), 1, 16,
       "AiF: 4 planes per chip (REFERENCE.md)"},
      {p + "blocks_per_plane", "", static_cast<double>(n.geometry.blocks_per_plane), 1, 1e6,
       "assumption: 1366 blocks give AiF's 1 TB (nand_config.h)"},
      Parameter::Rule(p + "pages_per_block", "", "1 to 16384, a multiple of the cell's bits",
                      absl::StrCat(n.geometry.pages_per_block()),
                      "assumption: 256 wordlines (64 layers x 4 strings) x 3 bits, a typical 3D TLC block "
                      "(nand_config.h)"),
      Parameter::Rule(p + "page_kib", "KiB", "4 to 64, a multiple of 4 (the 4 KiB LBA)",
                      absl::StrCat(n.geometry.page_bytes / 1024), "AiF: 16 KiB pages (REFERENCE.md)"),
      Parameter::Rule(p + "cell_type", "", "CELL_SLC, CELL_MLC, CELL_TLC, CELL_QLC", "CELL_TLC",
                      "AiF: TLC (REFERENCE.md)"),
      Parameter::Rule(p + "read_us", "us",
                      "empty, or one time per page type of the cell (LSB first), each 1e-3 to 1e5",
                      "empty: the phase model (AiF's TLC: 37, 46, 37 us)",
                      "a datasheet's tR per page type; AiF's measured phases otherwise (nand_config.h)"),
      Parameter::Rule(p + "program_us", "us", "empty, or one time per page type of the cell, each 1e-3 to 1e5",
                      absl::StrCat("empty: ", Us(n.timing.program), " each"),
                      "REFERENCE.md 3D NAND: typical TLC tPROG 300-700 us (midpoint)"),
      {p + "erase_us", "us", Us(n.timing.erase), 1e-3, 1e5,
       "REFERENCE.md 3D NAND: typical TLC tBERS 3-5 ms (midpoint)"},
      {p + "program_suspend_us", "us", Us(n.timing.program_suspend), 1e-3, 1e4,
       "*typical* assumption: vendor TLC parts list suspend latencies of tens of us (nand_config.h)"},
      {p + "erase_suspend_us", "us", Us(n.timing.erase_suspend), 1e-3, 1e4,
       "*typical* assumption, as program_suspend_us (nand_config.h)"},
      {p + "suspend_resume_us", "us", Us(n.timing.suspend_resume), 1e-3, 1e4,
       "*typical* assumption (nand_config.h)"},
      {p + "channel_mts", "MT/s", static_cast<double>(n.bus.mega_transfers_per_s), 1, 100000,
       "AiF: ONFI 2.0 GB/s on an 8-bit bus"},
      Parameter::Rule(p + "channel_width_bits", "bits", "8 or 16", "8",
                      "ONFI / Toggle: 8-bit DQ bus (x16 parts exist)"),
      Parameter::Rule(p + "ecc", "", "DRIVE_ECC_ON_DIE, DRIVE_ECC_LDPC, DRIVE_ECC_NONE", "DRIVE_ECC_ON_DIE",
                      "AiF: ECCLITE on every chip, 1 KiB codewords, 6.4 GB/s (nand_config.h)"),
      {p + "pcie_generation", "", static_cast<double>(nvme.pcie.generation), 1, 5, "AiF: PCIe 4.0 x4 (pcie_link.h)"},
      Parameter::Rule(p + "pcie_lanes", "", "1, 2, 4, 8, 16", absl::StrCat(nvme.pcie.lanes),
                      "AiF: PCIe 4.0 x4 (pcie_link.h)"),
      Parameter::Rule(p + "pcie_max_payload_bytes", "B", "a power of two, 128 to 4096",
                      absl::StrCat(nvme.pcie.max_payload_bytes),
                      "*typical*: the MPS host BIOSes set; with 26 B per TLP, 91% of the raw rate (pcie_link.h)"),
      Parameter::Rule(p + "nvme_queues", "", "1 to 256; nvme_queues x nvme_queue_depth at most 262144", "1",
                      "one host thread submits the job's I/O, as fio with one job does; Linux creates one pair per "
                      "CPU (commands go to them round robin here, nvme_interface.h)"),
      {p + "nvme_queue_depth", "", static_cast<double>(nvme.sq_depth), 2, 65536,
       "Linux nvme driver: io_queue_depth = 1024 (per queue)"},
      Parameter::Rule(p + "nvme_arbitration_burst", "", "a power of two, 1 to 128 (queues > 1)", "1",
                      "NVMe 1.4 §4.13.1 round-robin arbitration, Arbitration feature AB (2^AB commands a turn); "
                      "the reset value is implementation specific: assumption 1 (plain round robin)"),
      {p + "host_submit_us", "us", Us(nvme.host_submit), 1e-3, 1e4,
       "*typical*: Yang et al., FAST'12, several us of OS overhead per I/O (nvme_interface.h)"},
      Parameter::Rule(p + "completion", "", "HOST_COMPLETION_INTERRUPT, HOST_COMPLETION_POLLING",
                      "HOST_COMPLETION_INTERRUPT", "Linux's default completion path"),
      {p + "interrupt_us", "us", Us(nvme.interrupt_handling), 1e-3, 1e4,
       "*typical*: IRQ, ISR and wake-up, a few us on Linux (Yang et al., FAST'12)"},
      {p + "poll_detect_us", "us", Us(nvme.poll_detect), 1e-3, 1e4, "*typical* assumption (nvme_interface.h)"},
      {p + "firmware_per_command_us", "us", Us(ctrl.ftl_per_command), 1e-3, 1e4,
       "*typical* assumption: FTL translation per command (ssd_controller.h)"},
      {p + "over_provisioning", "", ftl.over_provisioning, 1e-3, 0.5,
       "the \"7%\" class of client SSDs (spare as a fraction of physical pages)"},
      Parameter::Rule(p + "gc_policy", "", "GC_POLICY_GREEDY, GC_POLICY_COST_BENEFIT", "GC_POLICY_GREEDY",
                      "greedy: the usual page-mapped FTL's victim choice (ftl_config.h)"),
      {p + "gc_free_blocks", "", static_cast<double>(ftl.gc_free_block_threshold), 1, 1000,
       "assumption: PageFtl's default threshold (ftl_config.h)"},
      Parameter::Rule(p + "precondition", "",
                      "DRIVE_PRECONDITION_NONE, DRIVE_PRECONDITION_SEQUENTIAL, "
                      "DRIVE_PRECONDITION_RANDOM_STEADY_STATE (ssd_io jobs)",
                      "unspecified: ssd_io.precondition and random_prewrites decide (default: sequential)",
                      "SNIA SSS PTS v2.0.2: workload-independent (sequential) preconditioning and its steady-state "
                      "rule (5 rounds within 20% excursion and 10% slope, at most 25 rounds)"),
      {p + "mapping_cache_entries", "entries", 0, 0, 2e9,
       "0: the whole table in DRAM (today's drive). > 0: DFTL (Gupta et al., ASPLOS 2009); MQSim's equivalent "
       "is CMT_Capacity bytes / its CMT entry size (ceil((2 log2 pages + sectors per page) / 8) B)"},
      Parameter::Rule(p + "plane_allocation", "", "PLANE_ALLOCATION_<order>, order a permutation of C, W, D, P",
                      "PLANE_ALLOCATION_CWDP (channel first: today's striping)",
                      "MQSim's Plane_Allocation_Scheme (its 24 orders; default CWDP); the first letter varies "
                      "fastest"),
  };
}

absl::Status NormalizeDrive(std::string_view path, v1::DriveSpec* d) {
  // ApplyParameters takes the fields below the message it is given.
  std::vector<Parameter> own = DriveParameters("x");
  for (Parameter& p : own) p.field = p.field.substr(2);
  RETURN_IF_ERROR(ApplyParameters(own, path, d));
  const nand::NandConfig n = nand::AifDefaultNandConfig();
  const controller::NvmeConfig nvme;
  if (d->cell_type() == v1::CELL_TYPE_UNSPECIFIED) d->set_cell_type(v1::CELL_TLC);
  const uint32_t bits = BitsOf(d->cell_type());
  if (d->pages_per_block() == 0) d->set_pages_per_block(static_cast<int32_t>(n.geometry.pages_per_block()));
  if (d->page_kib() == 0) d->set_page_kib(static_cast<int32_t>(n.geometry.page_bytes / 1024));
  if (d->channel_width_bits() == 0) d->set_channel_width_bits(8);
  if (d->ecc() == v1::DRIVE_ECC_UNSPECIFIED) d->set_ecc(v1::DRIVE_ECC_ON_DIE);
  if (d->pcie_lanes() == 0) d->set_pcie_lanes(static_cast<int32_t>(nvme.pcie.lanes));
  if (d->pcie_max_payload_bytes() == 0) d->set_pcie_max_payload_bytes(static_cast<int32_t>(nvme.pcie.max_payload_bytes));
  if (d->nvme_queues() == 0) d->set_nvme_queues(1);
  if (d->completion() == v1::HOST_COMPLETION_UNSPECIFIED) d->set_completion(v1::HOST_COMPLETION_INTERRUPT);
  if (d->gc_policy() == v1::GC_POLICY_UNSPECIFIED) d->set_gc_policy(v1::GC_POLICY_GREEDY);
  const std::string at(path);
  if (!v1::ChipDieInterleave_IsValid(d->chip_die_interleave())) {
    return Invalid(at + ".chip_die_interleave", d->chip_die_interleave(),
                   "CHIP_DIE_INTERLEAVE_MULTI_LUN, CHIP_DIE_INTERLEAVE_CHIP_SERIAL");
  }
  if (d->chips_per_channel() * d->dies_per_chip() > 16) {
    return absl::InvalidArgumentError(absl::StrCat(at, ".chips_per_channel x dies_per_chip = ",
                                                   d->chips_per_channel() * d->dies_per_chip(),
                                                   "; allowed: at most 16 dies on a channel"));
  }
  if (d->pages_per_block() < 1 || d->pages_per_block() > 16384 || d->pages_per_block() % bits != 0) {
    return Invalid(at + ".pages_per_block", d->pages_per_block(),
                   absl::StrCat("1 to 16384, a multiple of ", bits, " (the cell's bits)"));
  }
  if (d->page_kib() < 4 || d->page_kib() > 64 || d->page_kib() % 4 != 0) {
    return Invalid(at + ".page_kib", d->page_kib(), "4 to 64, a multiple of 4 (the 4 KiB LBA)");
  }
  RETURN_IF_ERROR(CheckPerPageType(at, "read_us", d->read_us(), bits));
  RETURN_IF_ERROR(CheckPerPageType(at, "program_us", d->program_us(), bits));
  if (d->channel_width_bits() != 8 && d->channel_width_bits() != 16) {
    return Invalid(at + ".channel_width_bits", d->channel_width_bits(), "8 or 16");
  }
  const int lanes = d->pcie_lanes();
  if (lanes != 1 && lanes != 2 && lanes != 4 && lanes != 8 && lanes != 16) {
    return Invalid(at + ".pcie_lanes", lanes, "1, 2, 4, 8, 16");
  }
  const int mps = d->pcie_max_payload_bytes();
  if (mps < 128 || mps > 4096 || (mps & (mps - 1)) != 0) {
    return Invalid(at + ".pcie_max_payload_bytes", mps, "a power of two, 128 to 4096");
  }
  if (d->nvme_queues() < 1 || d->nvme_queues() > 256) {
    return Invalid(at + ".nvme_queues", d->nvme_queues(), "1 to 256");
  }
  if (d->nvme_queue_depth() > 0 && int64_t{d->nvme_queues()} * d->nvme_queue_depth() > (1 << 18)) {
    return absl::InvalidArgumentError(absl::StrCat(at, ".nvme_queues x nvme_queue_depth = ",
                                                   int64_t{d->nvme_queues()} * d->nvme_queue_depth(),
                                                   "; allowed: at most 262144 entries in all"));
  }
  if (d->nvme_arbitration_burst() == 0) d->set_nvme_arbitration_burst(1);
  const int burst = d->nvme_arbitration_burst();
  if (burst < 1 || burst > 128 || (burst & (burst - 1)) != 0) {
    return Invalid(at + ".nvme_arbitration_burst", burst, "a power of two, 1 to 128");
  }
  return absl::OkStatus();
}

std::vector<Parameter> DriveParametersFor(std::string_view prefix, const std::vector<std::string>& applicable,
                                          std::string_view system) {
  std::vector<Parameter> out;
  const size_t skip = prefix.size() + 1;
  for (const Parameter& p : DriveParameters(prefix)) {
    const std::string name = p.field.substr(skip);
    const bool applies = std::find(applicable.begin(), applicable.end(), name) != applicable.end();
    out.push_back(Parameter::Rule(
        p.field, p.unit, applies ? p.AllowedText() : absl::StrCat("unset: does not apply to ", std::string(system)),
        applies ? absl::StrCat("0: ", std::string(system), "'s own value") : "unset", p.source));
  }
  return out;
}

absl::Status CheckDriveFor(std::string_view path, const v1::DriveSpec& drive,
                           const std::vector<std::string>& applicable, std::string_view system) {
  std::vector<const google::protobuf::FieldDescriptor*> set;
  drive.GetReflection()->ListFields(drive, &set);
  std::vector<std::string> refused;
  for (const google::protobuf::FieldDescriptor* f : set) {
    if (std::find(applicable.begin(), applicable.end(), f->name()) == applicable.end()) refused.push_back(f->name());
  }
  if (!refused.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(path), ".", absl::StrJoin(refused, ", "), (refused.size() > 1 ? " are" : " is"),
        " set; allowed: unset (", refused.size() > 1 ? "they do" : "it does", " not apply to ", std::string(system),
        "; it takes ",
        absl::StrJoin(applicable, ", "), ")"));
  }
  v1::DriveSpec checked = drive;  // the ranges and rules, on a copy: `drive` keeps its unset fields
  return NormalizeDrive(path, &checked);
}

absl::Status TakeDriveValue(std::string_view own_path, int32_t* own, std::string_view drive_path,
                            int32_t drive_value) {
  if (drive_value <= 0) return absl::OkStatus();
  if (*own > 0 && *own != drive_value) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(own_path), " = ", *own, " differs from ", std::string(drive_path), " = ",
                                                   drive_value, "; allowed: set one of them, or both to the same value"));
  }
  *own = drive_value;
  return absl::OkStatus();
}

void ApplyDriveToNand(const v1::DriveSpec& d, nand::NandConfig* c) {
  nand::NandGeometry& g = c->geometry;
  if (d.channels() > 0) g.channels = static_cast<uint32_t>(d.channels());
  if (d.chips_per_channel() > 0 || d.dies_per_chip() > 0) {
    const uint32_t chips = d.chips_per_channel() > 0 ? static_cast<uint32_t>(d.chips_per_channel()) : g.chips_per_channel();
    g.dies_per_chip = d.dies_per_chip() > 0 ? static_cast<uint32_t>(d.dies_per_chip()) : g.dies_per_chip;
    g.dies_per_channel = chips * g.dies_per_chip;
  }
  if (d.chip_die_interleave() == v1::CHIP_DIE_INTERLEAVE_CHIP_SERIAL) {
    c->chip_interleave = nand::ChipInterleave::kChipSerial;
  } else if (d.chip_die_interleave() == v1::CHIP_DIE_INTERLEAVE_MULTI_LUN) {
    c->chip_interleave = nand::ChipInterleave::kMultiLun;
  }
  if (d.planes_per_die() > 0) g.planes_per_die = static_cast<uint32_t>(d.planes_per_die());
  if (d.blocks_per_plane() > 0) g.blocks_per_plane = static_cast<uint32_t>(d.blocks_per_plane());
  if (d.cell_type() != v1::CELL_TYPE_UNSPECIFIED) {
    const uint32_t pages = g.pages_per_block();
    g.bits_per_cell = BitsOf(d.cell_type());
    g.wordlines_per_block = pages / g.bits_per_cell;
  }
  if (d.pages_per_block() > 0) g.wordlines_per_block = static_cast<uint32_t>(d.pages_per_block()) / g.bits_per_cell;
  if (d.page_kib() > 0) g.page_bytes = static_cast<uint32_t>(d.page_kib()) * 1024;
  nand::NandTiming& t = c->timing;
  for (int i = 0; i < d.read_us_size() && i < 4; ++i) t.read_by_page_type[i] = SimTime::FromMicroseconds(d.read_us(i));
  for (int i = 0; i < d.program_us_size() && i < 4; ++i) {
    t.program_by_page_type[i] = SimTime::FromMicroseconds(d.program_us(i));
  }
  if (d.erase_us() > 0) t.erase = SimTime::FromMicroseconds(d.erase_us());
  if (d.program_suspend_us() > 0) t.program_suspend = SimTime::FromMicroseconds(d.program_suspend_us());
  if (d.erase_suspend_us() > 0) t.erase_suspend = SimTime::FromMicroseconds(d.erase_suspend_us());
  if (d.suspend_resume_us() > 0) t.suspend_resume = SimTime::FromMicroseconds(d.suspend_resume_us());
  if (d.channel_mts() > 0) c->bus.mega_transfers_per_s = static_cast<uint32_t>(d.channel_mts());
  if (d.channel_width_bits() > 0) c->bus.bus_width_bytes = static_cast<uint32_t>(d.channel_width_bits()) / 8;
  switch (d.ecc()) {
    case v1::DRIVE_ECC_ON_DIE: c->ecc.kind = nand::EccKind::kEccLite; break;
    case v1::DRIVE_ECC_LDPC: c->ecc.kind = nand::EccKind::kLdpc; break;
    case v1::DRIVE_ECC_NONE: c->ecc.kind = nand::EccKind::kNone; break;
    default: break;
  }
}

void ApplyDriveToNvme(const v1::DriveSpec& d, controller::NvmeConfig* c) {
  if (d.pcie_generation() > 0) c->pcie.generation = static_cast<uint32_t>(d.pcie_generation());
  if (d.pcie_lanes() > 0) c->pcie.lanes = static_cast<uint32_t>(d.pcie_lanes());
  if (d.pcie_max_payload_bytes() > 0) c->pcie.max_payload_bytes = static_cast<uint32_t>(d.pcie_max_payload_bytes());
  if (d.nvme_queue_depth() > 0) c->sq_depth = static_cast<uint32_t>(d.nvme_queue_depth());
  if (d.nvme_queues() > 0) c->queues = static_cast<uint32_t>(d.nvme_queues());
  if (d.nvme_arbitration_burst() > 0) c->arbitration_burst = static_cast<uint32_t>(d.nvme_arbitration_burst());
  if (d.host_submit_us() > 0) c->host_submit = SimTime::FromMicroseconds(d.host_submit_us());
  if (d.completion() == v1::HOST_COMPLETION_POLLING) c->completion = controller::CompletionMode::kPolling;
  if (d.completion() == v1::HOST_COMPLETION_INTERRUPT) c->completion = controller::CompletionMode::kInterrupt;
  if (d.interrupt_us() > 0) c->interrupt_handling = SimTime::FromMicroseconds(d.interrupt_us());
  if (d.poll_detect_us() > 0) c->poll_detect = SimTime::FromMicroseconds(d.poll_detect_us());
}

void ApplyDriveToController(const v1::DriveSpec& d, controller::SsdControllerConfig* c) {
  if (d.firmware_per_command_us() > 0) c->ftl_per_command = SimTime::FromMicroseconds(d.firmware_per_command_us());
  if (d.over_provisioning() > 0) c->ftl.over_provisioning = d.over_provisioning();
  if (d.gc_policy() == v1::GC_POLICY_COST_BENEFIT) c->ftl.gc_policy = controller::GcPolicy::kCostBenefit;
  if (d.gc_policy() == v1::GC_POLICY_GREEDY) c->ftl.gc_policy = controller::GcPolicy::kGreedy;
  if (d.gc_free_blocks() > 0) c->ftl.gc_free_block_threshold = static_cast<uint32_t>(d.gc_free_blocks());
  if (d.mapping_cache_entries() > 0) c->mapping_cache_entries = static_cast<uint64_t>(d.mapping_cache_entries());
  if (d.plane_allocation() != v1::PLANE_ALLOCATION_UNSPECIFIED) {
    // "PLANE_ALLOCATION_CWDP" -> "CWDP".
    c->plane_allocation = v1::PlaneAllocation_Name(d.plane_allocation()).substr(std::string("PLANE_ALLOCATION_").size());
    c->dies_per_chip = static_cast<uint32_t>(std::max(d.dies_per_chip(), 1));
  }
}

}  // namespace strata::systems
