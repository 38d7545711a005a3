#include "job/job_runner.h"

#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "aif/aif_ssd.h"
#include "compute/flash_gemv_executor.h"
#include "systems/aif_executor.h"
#include "systems/isc_executor.h"
#include "systems/mmap_gemv_executor.h"
#include "systems/ssd_io_job.h"
#include "isc/controller_gemv_engine.h"
#include "job/spec_admission.h"
#include "nvme/nvme_host_mux.h"
#include "nvme/nvme_interface.h"
#include "ssd/ssd_controller.h"
#include "compute/pcie_link.h"
#include "flash/nand_channel.h"
#include "compute/roofline_executor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "strata/sim/digest.h"

namespace strata::coordinator {

absl::Status Invalid(std::string_view field, double value, std::string_view allowed) {
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(field.data(), field.size()), " = ", value,
                                                 "; allowed: ", absl::string_view(allowed.data(), allowed.size())));
}

namespace {

using host::ModelShape;
using sim::SimTime;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Collects text-format parse errors with their line and column.
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

// Field `name` of `msg` (at `path` in the job): set to `fallback` when unset
// (0), then checked against [min, max]. Works for double, int32 and uint64
// fields through protobuf reflection, so each default is one line.
absl::Status DefaultAndRange(google::protobuf::Message* msg, std::string_view path, const char* name,
                             double fallback, double min, double max) {
  const google::protobuf::FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName(name);
  const google::protobuf::Reflection* r = msg->GetReflection();
  using Cpp = google::protobuf::FieldDescriptor::CppType;
  double value = 0;
  switch (f->cpp_type()) {
    case Cpp::CPPTYPE_DOUBLE: value = r->GetDouble(*msg, f); break;
    case Cpp::CPPTYPE_INT32: value = r->GetInt32(*msg, f); break;
    case Cpp::CPPTYPE_UINT64: value = static_cast<double>(r->GetUInt64(*msg, f)); break;
    default: return absl::InternalError(absl::StrCat("field ", name, " has an unsupported type"));
  }
  if (value == 0) {
    value = fallback;
    switch (f->cpp_type()) {
      case Cpp::CPPTYPE_DOUBLE: r->SetDouble(msg, f, value); break;
      case Cpp::CPPTYPE_INT32: r->SetInt32(msg, f, static_cast<int32_t>(value)); break;
      default: r->SetUInt64(msg, f, static_cast<uint64_t>(value)); break;
    }
  }
  const std::string field = path.empty() ? std::string(name) : absl::StrCat(absl::string_view(path.data(), path.size()), ".", name);
  if (!(value >= min && value <= max)) return Invalid(field, value, absl::StrCat(min, " to ", max));
  return absl::OkStatus();
}

absl::StatusOr<ModelShape> ShapeOf(const v1::ModelSpec& m) {
  if (m.source_case() == v1::ModelSpec::kCatalogName) {
    auto shape = host::FindModel(m.catalog_name());
    if (!shape.ok()) return absl::InvalidArgumentError(absl::StrCat("model.catalog_name: ", shape.status().message()));
    return *shape;
  }
  if (m.source_case() != v1::ModelSpec::kCustom) {
    return absl::InvalidArgumentError("model: set model.catalog_name (e.g. \"llama-2-70b\") or model.custom");
  }
  const v1::CustomShape& c = m.custom();
  ModelShape s;
  s.name = c.name().empty() ? "custom" : c.name();
  s.layers = c.layers();
  s.hidden = c.hidden();
  s.ffn = c.ffn();
  s.heads = c.heads();
  s.kv_heads = c.kv_heads() == 0 ? c.heads() : c.kv_heads();
  s.vocab = c.vocab();
  s.ffn_kind = c.ffn_kind() == v1::FC ? host::FfnKind::kFc : host::FfnKind::kSwiGlu;
  s.parallel_attention_ffn = c.parallel_attention_ffn();
  s.experts = c.experts() == 0 ? 1 : c.experts();
  s.experts_per_token = c.experts_per_token() == 0 ? 1 : c.experts_per_token();
  s.linear_biases = c.linear_biases();
  s.layer_norm_bias = c.layer_norm_bias();
  s.norms_per_layer = c.norms_per_layer() == 0 ? 2 : c.norms_per_layer();
  s.tied_embeddings = c.tied_embeddings();
  s.learned_positions = c.learned_positions();
  if (absl::Status st = host::ValidateShape(s); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("model.custom: ", st.message()));
  }
  return s;
}

host::WeightType WeightTypeOf(v1::WeightType t) {
  switch (t) {
    case v1::INT4: return host::WeightType::kInt4;
    case v1::FP16: return host::WeightType::kFp16;
    default: return host::WeightType::kInt8;
  }
}

int64_t ModelWeightBytes(const ModelShape& s, host::WeightType t) {
  return host::CountParameters(s).total() * host::WeightBits(t) / 8;
}

int64_t KvCacheBytes(const ModelShape& s, const v1::WorkloadSpec& w) {
  return host::KvBytesPerToken(s) * (w.prompt_tokens() + w.decode_tokens()) * w.batch_size();
}

// Defaults for the in-memory system: the AiF paper's "In-Memory" machine
// (REFERENCE.md): 128 GB DDR5 at 86.4 GB/s, Intel i9-14900KS.
absl::Status NormalizeInMemory(v1::InMemorySystem* m) {
  v1::HostCpu* cpu = m->mutable_cpu();
  v1::Dram* dram = m->mutable_dram();
  const std::string_view kCpu = "system.in_memory.cpu", kDram = "system.in_memory.dram";
  // i9-14900KS: ~10 TOPS INT8 peak over 8 P + 16 E cores with AVX-VNNI
  // (Intel ARK: 8P at up to 6.2 GHz with two 256-bit VNNI ports). Assumed
  // sustained for llama.cpp-style int8 matmul: 2 TOPS (*typical*, an
  // assumption; decode GEMV is bandwidth-bound and barely depends on it).
  for (absl::Status s : {DefaultAndRange(cpu, kCpu, "peak_tflops", 2.0, 1e-3, 1e4),
                         // Element-wise ops: 0.2 TFLOP/s sustained (*typical* assumption, AVX2 fp32 on 24 cores).
                         DefaultAndRange(cpu, kCpu, "vector_gflops", 200.0, 1e-3, 1e6),
                         // Thread-pool fork/join per op in llama.cpp: a few us (*typical* assumption).
                         DefaultAndRange(cpu, kCpu, "per_op_overhead_us", 2.0, 0.0, 1e6),
                         DefaultAndRange(dram, kDram, "bandwidth_gbps", 86.4, 1e-3, 1e5),
                         DefaultAndRange(dram, kDram, "capacity_gib", 128.0, 1e-3, 1e6)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Defaults for GPU out-of-core: an NVIDIA A800 80GB PCIe (1,935 GB/s HBM2e;
// 624 TOPS dense INT8 as the A100 it derives from, NVIDIA A100 datasheet)
// on PCIe 4.0 x16 (31.5 GB/s raw; 24.8 GB/s measured host-to-device, so
// efficiency 0.787; REFERENCE.md).
absl::Status NormalizeGpu(v1::GpuOutOfCoreSystem* g) {
  v1::Gpu* gpu = g->mutable_gpu();
  v1::PcieLink* pcie = g->mutable_pcie();
  const std::string_view kGpu = "system.gpu_out_of_core.gpu", kPcie = "system.gpu_out_of_core.pcie",
                         kDram = "system.gpu_out_of_core.host_dram";
  for (absl::Status s : {DefaultAndRange(gpu, kGpu, "peak_tflops", 624.0, 1e-3, 1e5),
                         DefaultAndRange(gpu, kGpu, "hbm_bandwidth_gbps", 1935.0, 1e-3, 1e5),
                         DefaultAndRange(gpu, kGpu, "hbm_capacity_gib", 80.0, 1e-3, 1e4),
                         // CUDA kernel launch: ~5 us (*typical*).
                         DefaultAndRange(gpu, kGpu, "per_kernel_overhead_us", 5.0, 0.0, 1e6),
                         DefaultAndRange(pcie, kPcie, "generation", 4, 3, 5),
                         DefaultAndRange(pcie, kPcie, "lanes", 16, 1, 16),
                         // 24.8 GB/s measured host-to-device of 31.5 GB/s raw (REFERENCE.md).
                         DefaultAndRange(pcie, kPcie, "efficiency", 24.8 / 31.5, 1e-3, 1.0),
                         // DMA setup + doorbell per transfer: ~10 us (*typical*).
                         DefaultAndRange(pcie, kPcie, "latency_us", 10.0, 0.0, 1e6),
                         DefaultAndRange(g->mutable_host_dram(), kDram, "bandwidth_gbps", 86.4, 1e-3, 1e5),
                         DefaultAndRange(g->mutable_host_dram(), kDram, "capacity_gib", 256.0, 1e-3, 1e6)}) {
    if (!s.ok()) return s;
  }
  if (g->ssd_read_gbps() < 0 || g->ssd_read_gbps() > 1e4) {
    return Invalid("system.gpu_out_of_core.ssd_read_gbps", g->ssd_read_gbps(), "0 (weights in host DRAM) to 10000");
  }
  if (g->weight_budget_gib() < 0 || g->weight_budget_gib() > gpu->hbm_capacity_gib()) {
    return Invalid("system.gpu_out_of_core.weight_budget_gib", g->weight_budget_gib(),
                   absl::StrCat("0 (all HBM less the KV cache) to hbm_capacity_gib = ", gpu->hbm_capacity_gib()));
  }
  return absl::OkStatus();
}

// NAND read phases and channel rate: the defaults are services/nand's (each
// cited in nand_config.h), so a spec that leaves them unset runs exactly the
// model the NAND tests check.
absl::Status NormalizeNandTiming(v1::NandTimingSpec* t, std::string_view path) {
  const nand::NandConfig d = nand::AifDefaultNandConfig();
  auto us = [](sim::SimTime x) { return x.ToSeconds() * 1e6; };
  for (absl::Status s : {DefaultAndRange(t, path, "precharge_us", us(d.timing.precharge), 1e-3, 1e4),
                         DefaultAndRange(t, path, "sense_per_level_us", us(d.timing.sense_per_level), 1e-3, 1e4),
                         DefaultAndRange(t, path, "discharge_us", us(d.timing.discharge), 1e-3, 1e4),
                         DefaultAndRange(t, path, "recycle_us", us(d.timing.recycle), 1e-3, 1e4),
                         DefaultAndRange(t, path, "channel_mts", d.bus.mega_transfers_per_s, 1, 100000)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void ApplyNandTiming(const v1::NandTimingSpec& t, nand::NandConfig* c) {
  c->timing.precharge = SimTime::FromMicroseconds(t.precharge_us());
  c->timing.sense_per_level = SimTime::FromMicroseconds(t.sense_per_level_us());
  c->timing.discharge = SimTime::FromMicroseconds(t.discharge_us());
  c->timing.recycle = SimTime::FromMicroseconds(t.recycle_us());
  c->bus.mega_transfers_per_s = static_cast<uint32_t>(t.channel_mts());
}

// Defaults for NVLLM. Public detail is thin (REFERENCE.md): every flash
// number not from AiF's measured TLC timing is an assumption, named here.
absl::Status NormalizeNvllm(v1::NvllmSystem* n) {
  const std::string_view kLogic = "system.nvllm.attention_logic", kDram = "system.nvllm.dram",
                         kFlash = "system.nvllm.flash";
  v1::FlashArraySpec* f = n->mutable_flash();
  for (absl::Status s : {
           // CMOS attention logic beside the arrays (28 nm, NVLLM): assumed
           // 4 TOPS matrix, 0.5 TFLOP/s vector, 0.1 us per op (hardware
           // sequencer, no software dispatch). *Assumptions.*
           DefaultAndRange(n->mutable_attention_logic(), kLogic, "peak_tflops", 4.0, 1e-3, 1e4),
           DefaultAndRange(n->mutable_attention_logic(), kLogic, "vector_gflops", 500.0, 1e-3, 1e6),
           DefaultAndRange(n->mutable_attention_logic(), kLogic, "per_op_overhead_us", 0.1, 0.0, 1e6),
           // Edge LPDDR5, 64-bit at 6400 MT/s = 51.2 GB/s (REFERENCE.md, *typical*).
           DefaultAndRange(n->mutable_dram(), kDram, "bandwidth_gbps", 51.2, 1e-3, 1e5),
           DefaultAndRange(n->mutable_dram(), kDram, "capacity_gib", 32.0, 1e-3, 1e6),
           DefaultAndRange(f, kFlash, "channels", 8, 1, 64),
           DefaultAndRange(f, kFlash, "dies_per_channel", 1, 1, 16),
           // NVLLM: 32 planes in 8 clusters, "16C" variant 64 planes in 16.
           DefaultAndRange(f, kFlash, "planes_per_die", 64, 1, 128),
           DefaultAndRange(f, kFlash, "blocks_per_plane", 1366, 1, 100000),
           DefaultAndRange(f, kFlash, "pe_clock_mhz", 200.0, 1.0, 10000.0),
           DefaultAndRange(f, kFlash, "pe_macs_per_cycle", 32, 1, 65536)}) {
    if (!s.ok()) return s;
  }
  // The KV-cache-aware scheduler with prefetch is part of NVLLM's design
  // (REFERENCE.md, NVLLM parts), so it is on unless the spec says otherwise.
  if (n->kv_scheduling() == v1::KV_SCHEDULING_UNSPECIFIED) n->set_kv_scheduling(v1::PREFETCH_NEXT_LAYER);
  // 4 MiB on-chip KV buffer: *typical* assumption (NVLLM's buffer layers are unsized).
  if (!n->has_kv_buffer_kib()) n->set_kv_buffer_kib(4096);
  if (!(n->kv_buffer_kib() >= 0 && n->kv_buffer_kib() <= 1 << 20)) {
    return Invalid("system.nvllm.kv_buffer_kib", n->kv_buffer_kib(), "0 to 1048576 (1 GiB)");
  }
  return NormalizeNandTiming(f->mutable_timing(), "system.nvllm.flash.timing");
}

host::KvSchedulerConfig NvllmKvScheduler(const v1::NvllmSystem& n) {
  host::KvSchedulerConfig k;
  k.policy = n.kv_scheduling() == v1::NO_PREFETCH ? host::KvPolicy::kNone : host::KvPolicy::kPrefetchNextLayer;
  k.buffer_bytes = static_cast<int64_t>(n.kv_buffer_kib() * 1024);
  return k;
}

nand::NandConfig NvllmNandConfig(const v1::NvllmSystem& n, const v1::SimulationSpec& sim) {
  nand::NandConfig c = nand::AifDefaultNandConfig();  // AiF's measured TLC phases, ECCLITE on die
  c.fidelity = sim.fidelity() == v1::PAGE ? nand::Fidelity::kPage : nand::Fidelity::kStream;
  c.geometry.channels = static_cast<uint32_t>(n.flash().channels());
  c.geometry.dies_per_channel = static_cast<uint32_t>(n.flash().dies_per_channel());
  c.geometry.planes_per_die = static_cast<uint32_t>(n.flash().planes_per_die());
  c.geometry.blocks_per_plane = static_cast<uint32_t>(n.flash().blocks_per_plane());
  c.pe.placement = nand::PePlacement::kPerPlane;  // NVLLM: PE arrays read NAND directly, per plane
  c.pe.clock_hz = static_cast<uint64_t>(n.flash().pe_clock_mhz() * 1e6);
  c.pe.macs_per_cycle = static_cast<uint32_t>(n.flash().pe_macs_per_cycle());
  c.pe.dedicated_output_path = true;  // wafer-level integration: no channel for partial sums
  ApplyNandTiming(n.flash().timing(), &c);
  return c;
}

// Defaults for AiF: the paper's host (i9-14900KS, as the in-memory system)
// with 8 GB of DRAM (REFERENCE.md: "AiF: 8 GB DRAM + AiF SSD").
absl::Status NormalizeAif(v1::AifSystem* a) {
  const std::string_view kCpu = "system.aif.cpu", kDram = "system.aif.dram";
  for (absl::Status s : {DefaultAndRange(a->mutable_cpu(), kCpu, "peak_tflops", 2.0, 1e-3, 1e4),
                         DefaultAndRange(a->mutable_cpu(), kCpu, "vector_gflops", 200.0, 1e-3, 1e6),
                         DefaultAndRange(a->mutable_cpu(), kCpu, "per_op_overhead_us", 2.0, 0.0, 1e6),
                         DefaultAndRange(a->mutable_dram(), kDram, "bandwidth_gbps", 86.4, 1e-3, 1e5),
                         DefaultAndRange(a->mutable_dram(), kDram, "capacity_gib", 8.0, 1e-3, 1e6),
                         DefaultAndRange(a, "system.aif", "channels", 8, 1, 64),
                         // services/nand's limit: 16 dies share a channel.
                         DefaultAndRange(a, "system.aif", "chips_per_channel", 2, 1, 16)}) {
    if (!s.ok()) return s;
  }
  if (a->execution() == v1::AIF_EXECUTION_UNSPECIFIED) a->set_execution(v1::SERIAL);
  if (a->execution() == v1::SERIAL && a->host_share() != 0) {
    return Invalid("system.aif.host_share", a->host_share(), "0 under execution SERIAL (set execution: PARALLEL)");
  }
  if (!(a->host_share() >= 0 && a->host_share() < 1)) {
    return Invalid("system.aif.host_share", a->host_share(), "0 (auto) to below 1");
  }
  return NormalizeNandTiming(a->mutable_timing(), "system.aif.timing");
}

controller::AifSsdConfig AifConfig(const v1::AifSystem& a, const v1::SimulationSpec& sim) {
  controller::AifSsdConfig c;  // AifDefaultNandConfig: the paper's SSD, ECCLITE on die, PE per chip
  c.nand.fidelity = sim.fidelity() == v1::PAGE ? nand::Fidelity::kPage : nand::Fidelity::kStream;
  c.nand.geometry.channels = static_cast<uint32_t>(a.channels());
  c.nand.geometry.dies_per_channel = static_cast<uint32_t>(a.chips_per_channel());
  ApplyNandTiming(a.timing(), &c.nand);
  c.nand.timing.cr_read = !a.without_cr_read_and_be_enc();
  c.be_enc = !a.without_cr_read_and_be_enc();
  c.record_commands = false;  // a long job would keep every command's record
  return c;
}

// The AiF SSD's internal GEMV bandwidth as its configuration gives it:
// every chip streams its planes' pages at one tR each (cr-read on be-enc
// LSB pages: t_RECY + t_EVAL; be-enc without cr-read: the LSB's precharge +
// one sense + discharge; AiF--: the mean tR of the (2,3,2) page types),
// bounded by the chip's ECCLITE and its INT8 PEs (one byte per weight).
// Defaults: 16 chips x min(4 x 16 KiB / 9.7 us, 6.4, 6.4 GB/s) = 102.4 GB/s,
// the paper's figure (REFERENCE.md).
double AifInternalBytesPerSecond(const controller::AifSsdConfig& c) {
  const nand::NandTiming& t = c.nand.timing;
  const nand::NandGeometry& g = c.nand.geometry;
  double tr_s;
  if (c.be_enc) {
    tr_s = (t.cr_read ? t.recycle + t.sense_per_level : t.precharge + t.sense_per_level + t.discharge).ToSeconds();
  } else {
    tr_s = (t.precharge + t.discharge).ToSeconds() +
           t.sense_per_level.ToSeconds() * ((1 << g.bits_per_cell) - 1.0) / g.bits_per_cell;
  }
  double chip = static_cast<double>(g.planes_per_die) * g.page_bytes / tr_s;
  chip = std::min(chip, static_cast<double>(c.nand.pe.clock_hz) * c.nand.pe.macs_per_cycle);
  if (c.nand.ecc.kind == nand::EccKind::kEccLite) chip = std::min(chip, static_cast<double>(c.nand.ecc.ecclite_bytes_per_s));
  return chip * g.dies();
}

// Parallel AiF: checks an explicit host share against the host DRAM, or
// picks the auto share (0): s = B_dram / (B_dram + B_ssd) balances the host's
// s x W bytes at B_dram against the SSD's (1 - s) x W at B_ssd (both sides
// stream their weights once per token; per-command and per-op overheads are
// left out of the estimate), capped so the host's rows fit in DRAM beside
// the KV cache.
absl::Status ChooseAifHostShare(const ModelShape& shape, int64_t kv_bytes, const v1::SimulationSpec& sim,
                                v1::AifSystem* a) {
  if (a->execution() != v1::PARALLEL) return absl::OkStatus();
  const double capacity = a->dram().capacity_gib() * kGiB - static_cast<double>(kv_bytes);
  auto fits = [&](double s) { return static_cast<double>(AifExecutor::HostResidentBytes(shape, s)) <= capacity; };
  if (a->host_share() > 0) {
    if (fits(a->host_share())) return absl::OkStatus();
    return Invalid("system.aif.host_share", a->host_share(),
                   absl::StrCat("0 (auto) to ", absl::StrFormat("%.4f", capacity / AifExecutor::HostResidentBytes(shape, 1.0)),
                                ": the host's rows of every matrix (",
                                absl::StrFormat("%.1f", AifExecutor::HostResidentBytes(shape, a->host_share()) / kGiB),
                                " GiB at this share) and the KV cache must fit system.aif.dram.capacity_gib = ",
                                a->dram().capacity_gib()));
  }
  const double dram = a->dram().bandwidth_gbps() * 1e9;
  const double ssd = AifInternalBytesPerSecond(AifConfig(*a, sim));
  double share = std::min(dram / (dram + ssd), capacity / static_cast<double>(AifExecutor::HostResidentBytes(shape, 1.0)));
  while (share > 0 && !fits(share)) share *= 0.999;  // per-matrix rounding of the rows
  if (!(share > 0) || AifExecutor::HostResidentBytes(shape, share) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("system.aif.dram.capacity_gib = ", a->dram().capacity_gib(),
                                                   " leaves no room beside the KV cache for the host's share of "
                                                   "parallel execution; allowed: more, or execution: SERIAL"));
  }
  a->set_host_share(share);
  return absl::OkStatus();
}

// An SSD's flash scheduling (job.proto SsdSchedulingSpec): enum values in
// range; suspension only under the priority scheduler.
absl::Status ValidateScheduling(const v1::SsdSchedulingSpec& s, absl::string_view path) {
  if (!v1::DieScheduler_IsValid(s.die_scheduler())) {
    return Invalid(absl::StrCat(path, ".die_scheduler"), s.die_scheduler(),
                   "0 to 2 (DIE_SCHEDULER_FIFO, DIE_SCHEDULER_PRIORITY)");
  }
  if (!v1::ChannelArbitration_IsValid(s.channel_arbitration())) {
    return Invalid(absl::StrCat(path, ".channel_arbitration"), s.channel_arbitration(),
                   "0 to 2 (CHANNEL_ARBITRATION_FIFO, CHANNEL_ARBITRATION_COMMAND_FIRST)");
  }
  if (s.suspend_for_reads() && s.die_scheduler() != v1::DIE_SCHEDULER_PRIORITY) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".suspend_for_reads = true; allowed: only with ", path,
                                                   ".die_scheduler = DIE_SCHEDULER_PRIORITY"));
  }
  return absl::OkStatus();
}

// The drive's FTL mapping (job.proto FtlMappingKind) and its log blocks.
absl::Status ValidateFtlMapping(const v1::SsdOffloadSystem& o) {
  if (!v1::FtlMappingKind_IsValid(o.ftl_mapping())) {
    return Invalid("system.ssd_offload.ftl_mapping", o.ftl_mapping(),
                   "0 to 3 (FTL_MAPPING_PAGE, FTL_MAPPING_BLOCK, FTL_MAPPING_HYBRID)");
  }
  if (o.hybrid_log_blocks_per_plane() < 0 || o.hybrid_log_blocks_per_plane() > 64) {
    return Invalid("system.ssd_offload.hybrid_log_blocks_per_plane", o.hybrid_log_blocks_per_plane(), "0 to 64");
  }
  return absl::OkStatus();
}

// Defaults for SSD offloading: the AiF paper's Memory+SSD system
// (REFERENCE.md): the i9-14900KS host with 8 GB of DDR5 at 86.4 GB/s and a
// 1 TB TLC SSD on PCIe 4.0 x4 (AiF's SSD without its in-chip logic).
absl::Status NormalizeSsdOffload(v1::SsdOffloadSystem* o) {
  const std::string_view kCpu = "system.ssd_offload.cpu", kDram = "system.ssd_offload.dram",
                         kSys = "system.ssd_offload";
  for (absl::Status s : {DefaultAndRange(o->mutable_cpu(), kCpu, "peak_tflops", 2.0, 1e-3, 1e4),
                         DefaultAndRange(o->mutable_cpu(), kCpu, "vector_gflops", 200.0, 1e-3, 1e6),
                         DefaultAndRange(o->mutable_cpu(), kCpu, "per_op_overhead_us", 2.0, 0.0, 1e6),
                         DefaultAndRange(o->mutable_dram(), kDram, "bandwidth_gbps", 86.4, 1e-3, 1e5),
                         DefaultAndRange(o->mutable_dram(), kDram, "capacity_gib", 8.0, 1e-3, 1e6),
                         // 4 MiB windows: readahead raised for streaming (assumption,
                         // `blockdev --setra 8192`); Linux's default is 128 KiB.
                         DefaultAndRange(o, kSys, "readahead_kib", 4096, 4, 1 << 20),
                         // 4 windows in flight (assumption): Linux keeps the synchronous window
                         // and one asynchronous window ahead (mm/readahead.c), and the block
                         // layer splits each into commands of at most max_sectors_kb that the
                         // drive serves in parallel; the NVMe model stores and forwards a whole
                         // command (flash, then DMA), so 4 whole windows stand for that overlap.
                         DefaultAndRange(o, kSys, "readahead_windows", 4, 1, 64)}) {
    if (!s.ok()) return s;
  }
  if (o->readahead_kib() % 4 != 0) {
    return Invalid("system.ssd_offload.readahead_kib", o->readahead_kib(), "a multiple of 4 (the SSD's 4 KiB LBA)");
  }
  if (absl::Status s = ValidateFtlMapping(*o); !s.ok()) return s;
  return ValidateScheduling(o->scheduling(), "system.ssd_offload.scheduling");
}

nand::NandConfig SsdOffloadNandConfig(const v1::SsdOffloadSystem& o, const v1::SimulationSpec& sim) {
  nand::NandConfig c = nand::AifDefaultNandConfig();  // AiF's SSD: 8 ch x 2 chips x 4 planes, (2,3,2) TLC, ONFI 2.0 GB/s
  c.fidelity = sim.fidelity() == v1::PAGE ? nand::Fidelity::kPage : nand::Fidelity::kStream;
  c.pe.placement = nand::PePlacement::kNone;  // a plain SSD: no in-chip compute
  // The two chips of a channel take turns at STREAM fidelity (nand_config.h):
  // this SSD is PCIe-bound (7.9 GB/s link vs 13-16 GB/s of channels).
  c.stream_serialises_dies = true;
  c.channel_arbitration = o.scheduling().channel_arbitration() == v1::CHANNEL_ARBITRATION_COMMAND_FIRST
                              ? nand::ChannelArbitration::kCommandFirst
                              : nand::ChannelArbitration::kFifo;
  return c;
}

// Defaults for SSD-like in-storage compute: NVLLM's attention side and
// flash dies (NormalizeNvllm), with the weights crossing ONFI channels.
absl::Status NormalizeSsdIsc(v1::SsdIscSystem* i) {
  const std::string_view kLogic = "system.ssd_isc.attention_logic", kDram = "system.ssd_isc.dram",
                         kFlash = "system.ssd_isc.flash", kSys = "system.ssd_isc";
  v1::FlashArraySpec* f = i->mutable_flash();
  if (f->pe_clock_mhz() != 0) return Invalid("system.ssd_isc.flash.pe_clock_mhz", f->pe_clock_mhz(), "0 (no compute in the dies)");
  if (f->pe_macs_per_cycle() != 0) {
    return Invalid("system.ssd_isc.flash.pe_macs_per_cycle", f->pe_macs_per_cycle(), "0 (no compute in the dies)");
  }
  // ONFI 5.0: 2400 MT/s, the top of REFERENCE.md's ONFI 4.x/5.x range.
  if (f->timing().channel_mts() == 0) f->mutable_timing()->set_channel_mts(2400);
  for (absl::Status s : {
           DefaultAndRange(i->mutable_attention_logic(), kLogic, "peak_tflops", 4.0, 1e-3, 1e4),
           DefaultAndRange(i->mutable_attention_logic(), kLogic, "vector_gflops", 500.0, 1e-3, 1e6),
           DefaultAndRange(i->mutable_attention_logic(), kLogic, "per_op_overhead_us", 0.1, 0.0, 1e6),
           DefaultAndRange(i->mutable_dram(), kDram, "bandwidth_gbps", 51.2, 1e-3, 1e5),
           DefaultAndRange(i->mutable_dram(), kDram, "capacity_gib", 32.0, 1e-3, 1e6),
           DefaultAndRange(f, kFlash, "channels", 8, 1, 64),
           DefaultAndRange(f, kFlash, "dies_per_channel", 1, 1, 16),
           DefaultAndRange(f, kFlash, "planes_per_die", 64, 1, 128),
           DefaultAndRange(f, kFlash, "blocks_per_plane", 1366, 1, 100000),
           DefaultAndRange(i, kSys, "compute_units", f->channels(), 1, 1024),
           // 1 GHz x 32 INT8 MACs per unit: 32 GB/s of weights per unit,
           // ~13x a channel, so the channels bound the GEMV (assumption).
           DefaultAndRange(i, kSys, "compute_clock_mhz", 1000.0, 1.0, 10000.0),
           DefaultAndRange(i, kSys, "compute_macs_per_cycle", 32, 1, 65536)}) {
    if (!s.ok()) return s;
  }
  return NormalizeNandTiming(f->mutable_timing(), "system.ssd_isc.flash.timing");
}

controller::ControllerGemvConfig SsdIscConfig(const v1::SsdIscSystem& i, host::WeightType type,
                                              const v1::SimulationSpec& sim) {
  controller::ControllerGemvConfig c;
  c.nand = nand::AifDefaultNandConfig();  // AiF's measured TLC phases and on-die ECCLITE, as NVLLM's dies
  c.nand.fidelity = sim.fidelity() == v1::PAGE ? nand::Fidelity::kPage : nand::Fidelity::kStream;
  c.nand.geometry.channels = static_cast<uint32_t>(i.flash().channels());
  c.nand.geometry.dies_per_channel = static_cast<uint32_t>(i.flash().dies_per_channel());
  c.nand.geometry.planes_per_die = static_cast<uint32_t>(i.flash().planes_per_die());
  c.nand.geometry.blocks_per_plane = static_cast<uint32_t>(i.flash().blocks_per_plane());
  ApplyNandTiming(i.flash().timing(), &c.nand);
  c.nand.pe.placement = nand::PePlacement::kNone;
  c.compute_units = static_cast<uint32_t>(i.compute_units());
  c.clock_hz = static_cast<uint64_t>(i.compute_clock_mhz() * 1e6);
  c.macs_per_cycle = static_cast<uint32_t>(i.compute_macs_per_cycle());
  c.weight_bits = static_cast<uint32_t>(host::WeightBits(type));
  return c;
}

// Which stage bounds a die's multi-plane cache-read stream: the arrays
// (planes x page per mean tR, per channel's dies) or the channel bus.
host::Category StreamBound(const nand::NandConfig& n) {
  const nand::NandTiming& t = n.timing;
  const double levels = ((1 << n.geometry.bits_per_cell) - 1.0) / n.geometry.bits_per_cell;
  const double mean_tr_s = (t.precharge + t.discharge).ToSeconds() + t.sense_per_level.ToSeconds() * levels;
  const double array_rate = static_cast<double>(n.geometry.planes_per_die) * n.geometry.page_bytes / mean_tr_s *
                            n.geometry.dies_per_channel;
  return array_rate > static_cast<double>(n.bus.bytes_per_second()) ? host::Category::kFlashBus
                                                                    : host::Category::kFlashArray;
}

// The weight budget in bytes and, per layer, the bytes streamed every token.
struct Residency {
  int64_t budget = 0;
  std::vector<int64_t> streamed_layer_bytes;
  int64_t resident_bytes = 0;
};

Residency PlanResidency(const ModelShape& s, host::WeightType t, const v1::GpuOutOfCoreSystem& g, int64_t kv_bytes) {
  Residency r;
  r.budget = g.weight_budget_gib() > 0 ? static_cast<int64_t>(g.weight_budget_gib() * kGiB)
                                       : static_cast<int64_t>(g.gpu().hbm_capacity_gib() * kGiB) - kv_bytes;
  const host::ParameterCount c = host::CountParameters(s);
  const int bits = host::WeightBits(t);
  // Embeddings and LM head stay resident (read every token, small).
  int64_t used = c.embeddings * bits / 8;
  const int64_t layer_bytes = (c.attention + c.ffn) / s.layers * bits / 8;
  r.streamed_layer_bytes.assign(s.layers, 0);
  for (int l = 0; l < s.layers; ++l) {
    if (used + layer_bytes <= r.budget) {
      used += layer_bytes;
    } else {
      r.streamed_layer_bytes[l] = layer_bytes;
    }
  }
  r.resident_bytes = used;
  return r;
}

// Driver <-> executor: a queue push across cores, ~10 ns. Executor <-> link:
// ~1 ns on-board. Both are also the lookahead when they cross partitions;
// the breakdown counts them as synchronisation.
constexpr SimTime kDispatchLatency = SimTime::Nanoseconds(10);
constexpr SimTime kBoardLatency = SimTime::Nanoseconds(1);


host::RooflineConfig HostRoofline(std::string name, const v1::HostCpu& cpu, const v1::Dram& dram) {
  host::RooflineConfig rc;
  rc.name = std::move(name);
  rc.peak_flops = cpu.peak_tflops() * 1e12;
  rc.vector_flops = cpu.vector_gflops() * 1e9;
  rc.memory_bytes_per_second = dram.bandwidth_gbps() * 1e9;
  rc.per_op_overhead = SimTime::FromMicroseconds(cpu.per_op_overhead_us());
  return rc;
}

// Controller SoC bus between the NVMe front end and the FTL core, and
// controller to channel sequencer (ssd_system.h's *typical* values).
constexpr SimTime kFrontendLink = SimTime::Nanoseconds(20);
constexpr SimTime kChannelLink = SimTime::Nanoseconds(10);

// The flash channels' mean bus utilisation and the bytes they moved out.
BuiltJob::Resource FlashChannelsResource(std::vector<nand::NandChannel*> channels) {
  return {"flash_channels",
          [channels] {
            SimTime busy;
            for (auto* c : channels) busy += c->stats().bus_busy;
            return busy;
          },
          [channels] {
            int64_t bytes = 0;
            for (auto* c : channels) bytes += static_cast<int64_t>(c->stats().bytes_out);
            return bytes;
          },
          static_cast<int64_t>(channels.size())};
}

// System 4: host CPU over an mmapped weights file on a plain NVMe SSD.
absl::StatusOr<BuiltJob> BuildSsdOffload(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob job) {
  job.system = "ssd_offload";
  sim::Simulation& sim = *job.sim;
  const auto& o = spec.system().ssd_offload();
  auto* cpu = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("cpu", o.cpu(), o.dram()));
  if (auto s = sim.Connect(job.driver->id(), "host", cpu->id(), "driver", kDispatchLatency); !s.ok()) return s;
  MmapConfig mc;
  mc.cpu = HostRoofline("cpu", o.cpu(), o.dram());
  mc.chunk_bytes = static_cast<uint64_t>(o.readahead_kib()) * 1024;
  mc.cache_chunks = static_cast<uint64_t>(o.page_cache_gib() * kGiB) / mc.chunk_bytes;
  mc.readahead_windows = static_cast<uint32_t>(o.readahead_windows());
  controller::NvmeConfig nvme;  // PCIe 4.0 x4, Linux's 1024-entry queue, interrupts (nvme_interface.h)
  mc.lba_bytes = nvme.lba_bytes;
  auto* mmap = sim.Emplace<MmapGemvExecutor>("host", mc, dc);
  if (auto s = sim.Connect(job.driver->id(), "offload", mmap->id(), "driver", kDispatchLatency); !s.ok()) return s;

  const nand::NandConfig nc = SsdOffloadNandConfig(o, spec.simulation());
  controller::SsdControllerConfig cc;
  cc.lba_bytes = nvme.lba_bytes;
  cc.coalesce_reads = true;  // sequential readahead: multi-plane cache reads
  ApplyScheduling(o.scheduling(), &cc);
  ApplyFtlMapping(o, &cc);
  // The FTL manages only the blocks the weights file needs (plus spare and
  // GC reserve): the drive's other contents are not modelled, and a 1 TB
  // mapping table would cost gigabytes of simulator memory.
  const uint32_t page = nc.geometry.page_bytes;
  const uint64_t file_pages = (mmap->file_bytes() + page - 1) / page;
  // User I/O beside the model (ssd_io): its span follows the weights file.
  const v1::SsdIoSpec* io = spec.has_ssd_io() ? &spec.ssd_io() : nullptr;
  const uint64_t io_block = io ? static_cast<uint64_t>(io->block_kib()) * 1024 : 1;
  const uint64_t io_offset = (file_pages * page + io_block - 1) / io_block * io_block;
  const uint64_t io_request = io ? static_cast<uint64_t>(io->span_gib() * kGiB) : 0;
  auto blocks = FtlBlocksPerPlane(
      (io_offset + io_request + page - 1) / page, nc, cc,
      absl::StrCat("model: ", absl::StrFormat("%.1f", mmap->file_bytes() / kGiB), " GiB of weights in system.ssd_offload"));
  if (!blocks.ok()) return blocks.status();
  cc.ftl_blocks_per_plane = *blocks;
  auto ctrl = controller::SsdController::Create("ssd_controller", nc, cc);
  if (!ctrl.ok()) return ctrl.status();
  // The weights file was written before the run (the model download).
  if (auto s = (*ctrl)->Precondition(0, file_pages); !s.ok()) return s;
  controller::SsdController* controller = ctrl->get();
  sim.Add(*std::move(ctrl), "controller");
  auto* nvme_if = sim.Emplace<controller::NvmeInterface>("nvme", "nvme", nvme);
  if (io == nullptr) {
    // The NVMe interface holds the host driver's queues: a 1 ns call from the executor.
    if (auto s = sim.Connect(mmap->id(), "nvme", nvme_if->id(), "host", kBoardLatency); !s.ok()) return s;
  } else {
    // The span: what was asked for, or (0) every logical page the FTL
    // manages beyond the weights file; written before the run when asked.
    const uint64_t managed = controller->logical_lbas() * nvme.lba_bytes;
    if (io_offset + io_block > managed) {
      return absl::InvalidArgumentError("ssd_io: no room beside the weights file on system.ssd_offload's SSD");
    }
    const uint64_t room = (managed - io_offset) / io_block * io_block;
    const uint64_t span = io_request == 0 ? room : std::min(room, io_request / io_block * io_block);
    if (io->precondition()) {
      const uint64_t first = io_offset / page, pages = (span + page - 1) / page;
      if (auto s = controller->Precondition(first, pages); !s.ok()) return s;
      if (auto s = AgeDrive(*io, spec.simulation().seed(), first, pages, controller); !s.ok()) return s;
    }
    job.io_ftl_before = controller->ftl().stats();
    auto* user = sim.Emplace<controller::SsdWorkload>("host", "user_io",
                                                      IoWorkloadConfig(*io, nvme.lba_bytes, io_offset, span));
    // Page faults and the user's I/O share the driver's queue pair.
    auto* mux = sim.Emplace<controller::NvmeHostMux>("host", "nvme_mux", 2);
    if (auto s = sim.Connect(mmap->id(), "nvme", mux->id(), "in0", kBoardLatency); !s.ok()) return s;
    if (auto s = sim.Connect(user->id(), "nvme", mux->id(), "in1", kBoardLatency); !s.ok()) return s;
    if (auto s = sim.Connect(mux->id(), "nvme", nvme_if->id(), "host", SimTime::Zero()); !s.ok()) return s;
    job.io = user;
    job.ssd = controller;
  }
  if (auto s = sim.Connect(nvme_if->id(), "backend", controller->id(), "frontend", kFrontendLink); !s.ok()) return s;
  auto array = nand::BuildNandArray(nc, &sim, "nand");
  if (!array.ok()) return array.status();
  for (uint32_t c = 0; c < nc.geometry.channels; ++c) {
    if (auto s = sim.Connect(controller->id(), absl::StrCat("ch", c), array->channels[c]->id(), "host", kChannelLink);
        !s.ok()) {
      return s;
    }
  }
  job.resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
  job.resources.push_back({"pcie",
                           [nvme_if] { return nvme_if->stats().pcie_busy[1]; },
                           [nvme_if] { return static_cast<int64_t>(nvme_if->stats().read.bytes); }});
  job.resources.push_back(FlashChannelsResource(array->channels));
  job.mmap = mmap;
  return job;
}

// System 6: FFN GEMVs in the SSD controller's compute units, weights over
// the flash channels; attention on CMOS logic with DRAM (as NVLLM).
absl::StatusOr<BuiltJob> BuildSsdIsc(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob job) {
  job.system = "ssd_isc";
  sim::Simulation& sim = *job.sim;
  const auto& i = spec.system().ssd_isc();
  auto* logic = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("attention_logic", i.attention_logic(), i.dram()));
  if (auto s = sim.Connect(job.driver->id(), "host", logic->id(), "driver", kDispatchLatency); !s.ok()) return s;
  const controller::ControllerGemvConfig config = SsdIscConfig(i, dc.weight_type, spec.simulation());
  auto* host = sim.Emplace<IscExecutor>("controller", StreamBound(config.nand));
  auto* engine = sim.Emplace<controller::ControllerGemvEngine>("controller", "isc_engine", config);
  if (auto s = sim.Connect(job.driver->id(), "offload", host->id(), "driver", kDispatchLatency); !s.ok()) return s;
  if (auto s = sim.Connect(host->id(), "engine", engine->id(), "host", kBoardLatency); !s.ok()) return s;
  auto array = nand::BuildNandArray(config.nand, &sim, "nand");
  if (!array.ok()) return array.status();
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
    if (auto s = sim.Connect(engine->id(), absl::StrCat("ch", c), array->channels[c]->id(), "host", kChannelLink);
        !s.ok()) {
      return s;
    }
  }
  job.resources.push_back({"dram", [logic] { return logic->busy_time(); }, [logic] { return logic->memory_bytes(); }});
  job.resources.push_back(FlashChannelsResource(array->channels));
  job.isc = engine;
  return job;
}

}  // namespace

absl::Status ParseTextFormat(const std::string& text, google::protobuf::Message* out, std::string_view what) {
  google::protobuf::TextFormat::Parser parser;
  ParseErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(absl::string_view(what.data(), what.size()), " (text format): ", errors.Joined()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", absl::string_view(what.data(), what.size()), " '", path, "'"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<v1::JobSpec> ParseJobSpecText(const std::string& text) {
  v1::JobSpec spec;
  if (absl::Status s = ParseTextFormat(text, &spec, "job spec"); !s.ok()) return s;
  return spec;
}

absl::StatusOr<v1::JobSpec> ParseJobSpecJson(const std::string& json) {
  v1::JobSpec spec;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &spec);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat("job spec (JSON): ", status.ToString()));
  return spec;
}

absl::StatusOr<v1::JobSpec> LoadJobSpec(const std::string& path) {
  auto text = ReadTextFile(path, "job spec");
  if (!text.ok()) return text.status();
  if (absl::EndsWith(path, ".json")) return ParseJobSpecJson(*text);
  return ParseJobSpecText(*text);
}

namespace {
absl::Status NormalizeSimulation(v1::SimulationSpec* sim) {
  for (absl::Status s : {DefaultAndRange(sim, "simulation", "seed", 1, 1, 1.8e19),
                         DefaultAndRange(sim, "simulation", "partitions", 1, 1, sim::kMaxPartitions)}) {
    if (!s.ok()) return s;
  }
  if (sim->sync() == v1::SYNC_ALGORITHM_UNSPECIFIED) sim->set_sync(v1::WINDOW);
  if (sim->fidelity() == v1::FIDELITY_UNSPECIFIED) sim->set_fidelity(v1::STREAM);
  if (sim->wire() == v1::DISTRIBUTED_WIRE_UNSPECIFIED) sim->set_wire(v1::WIRE_AUTO);
  // Binary and JSON specs can carry numbers no enum value names.
  if (!v1::SyncAlgorithm_IsValid(sim->sync())) {
    return Invalid("simulation.sync", sim->sync(), "WINDOW (1) or NULL_MESSAGE (2)");
  }
  if (!v1::Fidelity_IsValid(sim->fidelity())) return Invalid("simulation.fidelity", sim->fidelity(), "PAGE (1) or STREAM (2)");
  if (!v1::DistributedWire_IsValid(sim->wire())) {
    return Invalid("simulation.wire", sim->wire(), "WIRE_AUTO (1), WIRE_HUB (2), WIRE_PEER (3) or WIRE_STAR (4)");
  }
  if ((sim->wire() == v1::WIRE_PEER || sim->wire() == v1::WIRE_STAR) && sim->sync() == v1::NULL_MESSAGE) {
    return absl::InvalidArgumentError(absl::StrCat("simulation.wire = ", v1::DistributedWire_Name(sim->wire()),
                                                   " needs simulation.sync = WINDOW; null-message sync always "
                                                   "uses WIRE_HUB (its stuck detection needs the coordinator)"));
  }
  return absl::OkStatus();
}
}  // namespace

// NVLLM's in-flash PEs multiply INT8 weights; 4-bit weights would need
// two per byte unpacked in the PE, which the flash GEMV path does not
// model (its requests for INT4 pages fail mid-run). Refused up front.
absl::Status RefuseInt4OnNvllm(const v1::ModelSpec& model) {
  if (model.weight_type() != v1::INT4) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "model.weight_type = INT4 is not simulated on system.nvllm (its in-flash PEs are INT8); allowed: INT8 or FP16");
}

absl::StatusOr<v1::JobSpec> NormalizeJobSpec(v1::JobSpec spec) {
  if (absl::Status s = CheckSpecAdmission(spec); !s.ok()) return s;  // enums, finiteness, sizes, UTF-8
  if (absl::Status s = NormalizeSimulation(spec.mutable_simulation()); !s.ok()) return s;
  if (IsSsdIoJob(spec)) {
    if (absl::Status s = NormalizeSsdIo(&spec); !s.ok()) return s;
    if (absl::Status s = ValidateScheduling(spec.system().ssd_offload().scheduling(), "system.ssd_offload.scheduling");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateFtlMapping(spec.system().ssd_offload()); !s.ok()) return s;
    if (absl::Status s = nand::ValidateNandConfig(SsdOffloadNandConfig(spec.system().ssd_offload(), spec.simulation()));
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("system.ssd_offload: ", s.message()));
    }
    return spec;
  }
  if (spec.has_ssd_io()) {  // user I/O beside the LLM job, on the same SSD
    if (absl::Status s = NormalizeSsdIo(&spec); !s.ok()) return s;
  }
  auto shape = ShapeOf(spec.model());
  if (!shape.ok()) return shape.status();
  if (spec.model().weight_type() == v1::WEIGHT_TYPE_UNSPECIFIED) spec.mutable_model()->set_weight_type(v1::INT8);
  v1::WorkloadSpec* w = spec.mutable_workload();
  for (absl::Status s : {DefaultAndRange(w, "workload", "batch_size", 1, 1, 1024),
                         DefaultAndRange(w, "workload", "prompt_tokens", 128, 1, 131072),
                         DefaultAndRange(w, "workload", "decode_tokens", 32, 1, 100000)}) {
    if (!s.ok()) return s;
  }
  if (!(w->moe_routing_skew() >= 0 && w->moe_routing_skew() <= 10)) {
    return Invalid("workload.moe_routing_skew", w->moe_routing_skew(), "0 to 10");
  }
  const host::WeightType type = WeightTypeOf(spec.model().weight_type());
  const int64_t weights = ModelWeightBytes(*shape, type);
  const int64_t kv = KvCacheBytes(*shape, *w);
  switch (spec.system().kind_case()) {
    case v1::SystemSpec::kInMemory: {
      if (absl::Status s = NormalizeInMemory(spec.mutable_system()->mutable_in_memory()); !s.ok()) return s;
      const double capacity = spec.system().in_memory().dram().capacity_gib();
      if (static_cast<double>(weights + kv) > capacity * kGiB) {
        return absl::InvalidArgumentError(absl::StrCat(
            "system.in_memory.dram.capacity_gib = ", capacity, " cannot hold ", shape->name, "'s ",
            absl::StrFormat("%.1f", weights / kGiB), " GiB of weights plus ", absl::StrFormat("%.1f", kv / kGiB),
            " GiB of KV cache; allowed: >= ", absl::StrFormat("%.1f", (weights + kv) / kGiB)));
      }
      break;
    }
    case v1::SystemSpec::kGpuOutOfCore: {
      if (absl::Status s = NormalizeGpu(spec.mutable_system()->mutable_gpu_out_of_core()); !s.ok()) return s;
      const auto& g = spec.system().gpu_out_of_core();
      if (static_cast<double>(kv) > g.gpu().hbm_capacity_gib() * kGiB) {
        return absl::InvalidArgumentError(absl::StrCat("system.gpu_out_of_core.gpu.hbm_capacity_gib = ",
                                                       g.gpu().hbm_capacity_gib(), " cannot hold the KV cache (",
                                                       absl::StrFormat("%.1f", kv / kGiB), " GiB)"));
      }
      break;
    }
    case v1::SystemSpec::kNvllm: {
      if (absl::Status s = NormalizeNvllm(spec.mutable_system()->mutable_nvllm()); !s.ok()) return s;
      if (absl::Status s = RefuseInt4OnNvllm(spec.model()); !s.ok()) return s;  // issue 17: before it fails mid-run
      if (absl::Status s = nand::ValidateNandConfig(NvllmNandConfig(spec.system().nvllm(), spec.simulation()));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("system.nvllm.flash: ", s.message()));
      }
      // DRAM holds the attention weights, embeddings and the KV cache.
      const host::ParameterCount c = host::CountParameters(*shape);
      const double dram_bytes = static_cast<double>((c.attention + c.embeddings) * host::WeightBits(type) / 8 + kv);
      const double capacity = spec.system().nvllm().dram().capacity_gib();
      if (dram_bytes > capacity * kGiB) {
        return absl::InvalidArgumentError(absl::StrCat("system.nvllm.dram.capacity_gib = ", capacity, " cannot hold ",
                                                       absl::StrFormat("%.1f", dram_bytes / kGiB),
                                                       " GiB of attention weights, embeddings and KV cache"));
      }
      break;
    }
    case v1::SystemSpec::kAif: {
      if (absl::Status s = NormalizeAif(spec.mutable_system()->mutable_aif()); !s.ok()) return s;
      if (spec.model().weight_type() != v1::INT8) {
        return absl::InvalidArgumentError("model.weight_type: AiF's in-chip PEs multiply INT8; allowed: INT8");
      }
      if (absl::Status s = controller::ValidateAifSsdConfig(AifConfig(spec.system().aif(), spec.simulation()));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("system.aif: ", s.message()));
      }
      const double capacity = spec.system().aif().dram().capacity_gib();
      if (static_cast<double>(kv) > capacity * kGiB) {
        return absl::InvalidArgumentError(absl::StrCat("system.aif.dram.capacity_gib = ", capacity,
                                                       " cannot hold the KV cache (",
                                                       absl::StrFormat("%.1f", kv / kGiB), " GiB)"));
      }
      if (absl::Status s = ChooseAifHostShare(*shape, kv, spec.simulation(), spec.mutable_system()->mutable_aif());
          !s.ok()) {
        return s;
      }
      break;
    }
    case v1::SystemSpec::kSsdOffload: {
      v1::SsdOffloadSystem* o = spec.mutable_system()->mutable_ssd_offload();
      if (absl::Status s = NormalizeSsdOffload(o); !s.ok()) return s;
      const double dram = o->dram().capacity_gib() * kGiB;
      if (static_cast<double>(kv) >= dram) {
        return absl::InvalidArgumentError(absl::StrCat("system.ssd_offload.dram.capacity_gib = ",
                                                       o->dram().capacity_gib(), " cannot hold the KV cache (",
                                                       absl::StrFormat("%.1f", kv / kGiB), " GiB)"));
      }
      // The page cache: DRAM less the KV cache unless set.
      if (o->page_cache_gib() == 0) o->set_page_cache_gib((dram - static_cast<double>(kv)) / kGiB);
      const double window_gib = o->readahead_kib() / (1024.0 * 1024.0);
      const double min_cache = window_gib * (o->readahead_windows() + 1);
      if (!(o->page_cache_gib() >= min_cache && o->page_cache_gib() <= o->dram().capacity_gib())) {
        return Invalid("system.ssd_offload.page_cache_gib", o->page_cache_gib(),
                       absl::StrCat(min_cache, " ((readahead_windows + 1) x readahead_kib) to dram.capacity_gib = ",
                                    o->dram().capacity_gib()));
      }
      if (absl::Status s = nand::ValidateNandConfig(SsdOffloadNandConfig(*o, spec.simulation())); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("system.ssd_offload: ", s.message()));
      }
      break;
    }
    case v1::SystemSpec::kSsdIsc: {
      v1::SsdIscSystem* i = spec.mutable_system()->mutable_ssd_isc();
      if (absl::Status s = NormalizeSsdIsc(i); !s.ok()) return s;
      if (absl::Status s = controller::ValidateControllerGemvConfig(SsdIscConfig(*i, type, spec.simulation()));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("system.ssd_isc: ", s.message()));
      }
      const host::ParameterCount c = host::CountParameters(*shape);
      const double dram_bytes = static_cast<double>((c.attention + c.embeddings) * host::WeightBits(type) / 8 + kv);
      if (dram_bytes > i->dram().capacity_gib() * kGiB) {
        return absl::InvalidArgumentError(absl::StrCat("system.ssd_isc.dram.capacity_gib = ", i->dram().capacity_gib(),
                                                       " cannot hold ", absl::StrFormat("%.1f", dram_bytes / kGiB),
                                                       " GiB of attention weights, embeddings and KV cache"));
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(
          "system: set one of system.nvllm, system.aif, system.ssd_offload, system.ssd_isc, system.in_memory, "
          "system.gpu_out_of_core");
  }
  return spec;
}

absl::StatusOr<BuiltJob> BuildJob(const v1::JobSpec& spec) {
  auto shape = ShapeOf(spec.model());
  if (!shape.ok()) return shape.status();
  BuiltJob job;
  job.shape = *shape;
  job.sim = std::make_unique<sim::Simulation>();
  host::DriverConfig dc;
  dc.shape = *shape;
  dc.weight_type = WeightTypeOf(spec.model().weight_type());
  dc.batch = spec.workload().batch_size();
  dc.prompt_tokens = spec.workload().prompt_tokens();
  dc.decode_tokens = spec.workload().decode_tokens();
  dc.moe_routing_skew = spec.workload().moe_routing_skew();
  if (spec.system().has_nvllm()) {
    dc.offload = host::DriverConfig::Offload::kFfn;
    dc.kv = NvllmKvScheduler(spec.system().nvllm());
  }
  if (spec.system().has_aif()) {
    dc.offload = host::DriverConfig::Offload::kAllGemv;  // AiF offloads every decode GEMV
    dc.wait_for_offload_ready = true;                    // after aif_post has placed the weights
    if (spec.system().aif().execution() == v1::PARALLEL) dc.offload_host_share = spec.system().aif().host_share();
  }
  if (spec.system().has_ssd_isc()) dc.offload = host::DriverConfig::Offload::kFfn;  // as NVLLM
  if (spec.system().has_ssd_offload()) {
    dc.offload = host::DriverConfig::Offload::kAllGemv;  // every GEMV reads mmapped weights
    dc.offload_prefill = true;                           // prefill faults them in first
  }
  job.driver = job.sim->Emplace<host::DecodeDriver>("host", dc);
  sim::Simulation& sim = *job.sim;

  if (spec.system().has_in_memory()) {
    job.system = "in_memory";
    const auto& m = spec.system().in_memory();
    host::RooflineConfig rc;
    rc.name = "cpu";
    rc.peak_flops = m.cpu().peak_tflops() * 1e12;
    rc.vector_flops = m.cpu().vector_gflops() * 1e9;
    rc.memory_bytes_per_second = m.dram().bandwidth_gbps() * 1e9;
    rc.per_op_overhead = SimTime::FromMicroseconds(m.cpu().per_op_overhead_us());
    auto* cpu = sim.Emplace<host::RooflineExecutor>("cpu", rc);
    if (auto s = sim.Connect(job.driver->id(), "host", cpu->id(), "driver", kDispatchLatency); !s.ok()) return s;
    job.resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
    return job;
  }
  if (spec.system().has_nvllm()) {
    job.system = "nvllm";
    const auto& n = spec.system().nvllm();
    host::RooflineConfig rc;
    rc.name = "attention_logic";
    rc.peak_flops = n.attention_logic().peak_tflops() * 1e12;
    rc.vector_flops = n.attention_logic().vector_gflops() * 1e9;
    rc.memory_bytes_per_second = n.dram().bandwidth_gbps() * 1e9;
    rc.per_op_overhead = SimTime::FromMicroseconds(n.attention_logic().per_op_overhead_us());
    auto* logic = sim.Emplace<host::RooflineExecutor>("host", rc);
    if (auto s = sim.Connect(job.driver->id(), "host", logic->id(), "driver", kDispatchLatency); !s.ok()) return s;
    const nand::NandConfig nc = NvllmNandConfig(n, spec.simulation());
    auto* flash = sim.Emplace<host::FlashGemvExecutor>("flash", nc, *shape, dc.weight_type);
    if (auto s = sim.Connect(job.driver->id(), "offload", flash->id(), "driver", kDispatchLatency); !s.ok()) return s;
    auto array = nand::BuildNandArray(nc, &sim, "nand");
    if (!array.ok()) return array.status();
    for (uint32_t c = 0; c < nc.geometry.channels; ++c) {
      // The dies' sequencer sits on the same wafer: 1 ns on-die wire.
      if (auto s = sim.Connect(flash->id(), absl::StrCat("ch", c), array->channels[c]->id(), "host", kBoardLatency);
          !s.ok()) {
        return s;
      }
    }
    job.resources.push_back({"dram", [logic] { return logic->busy_time(); }, [logic] { return logic->memory_bytes(); }});
    std::vector<nand::NandDie*> dies;
    for (auto& per_channel : array->dies) dies.insert(dies.end(), per_channel.begin(), per_channel.end());
    job.resources.push_back({"flash_dies",
                             [dies] {
                               SimTime busy;
                               for (auto* d : dies) busy += d->stats().busy;
                               return busy;
                             },
                             [dies, page = nc.geometry.page_bytes] {
                               int64_t pages = 0;
                               for (auto* d : dies) pages += static_cast<int64_t>(d->stats().pages_computed);
                               return pages * page;
                             },
                             static_cast<int64_t>(dies.size())});
    job.flash = flash;
    return job;
  }
  if (spec.system().has_aif()) {
    job.system = spec.system().aif().without_cr_read_and_be_enc() ? "aif--" : "aif";
    const auto& a = spec.system().aif();
    host::RooflineConfig rc;
    rc.name = "cpu";
    rc.peak_flops = a.cpu().peak_tflops() * 1e12;
    rc.vector_flops = a.cpu().vector_gflops() * 1e9;
    rc.memory_bytes_per_second = a.dram().bandwidth_gbps() * 1e9;
    rc.per_op_overhead = SimTime::FromMicroseconds(a.cpu().per_op_overhead_us());
    auto* cpu = sim.Emplace<host::RooflineExecutor>("host", rc);
    if (auto s = sim.Connect(job.driver->id(), "host", cpu->id(), "driver", kDispatchLatency); !s.ok()) return s;
    const controller::AifSsdConfig config = AifConfig(a, spec.simulation());
    auto* host = sim.Emplace<AifExecutor>("aif", *shape, dc.offload_host_share);
    auto* ssd = sim.Emplace<controller::AifSsd>("aif", "aif_ssd", config);
    if (auto s = sim.Connect(job.driver->id(), "offload", host->id(), "driver", kDispatchLatency); !s.ok()) return s;
    // The NVMe link's latencies are inside AifSsd; this 1 ns hop is the driver call.
    if (auto s = sim.Connect(host->id(), "ssd", ssd->id(), "host", kBoardLatency); !s.ok()) return s;
    auto array = nand::BuildNandArray(config.nand, &sim, "nand");
    if (!array.ok()) return array.status();
    for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
      if (auto s = sim.Connect(ssd->id(), absl::StrCat("ch", c), array->channels[c]->id(), "host",
                               config.channel_link);
          !s.ok()) {
        return s;
      }
    }
    job.resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
    job.aif = host;
    return job;
  }
  if (spec.system().has_ssd_offload()) return BuildSsdOffload(spec, dc, std::move(job));
  if (spec.system().has_ssd_isc()) return BuildSsdIsc(spec, dc, std::move(job));
  if (spec.system().has_gpu_out_of_core()) {
    job.system = "gpu_out_of_core";
    const auto& g = spec.system().gpu_out_of_core();
    const Residency residency = PlanResidency(*shape, dc.weight_type, g, KvCacheBytes(*shape, spec.workload()));
    host::RooflineConfig rc;
    rc.name = "gpu";
    rc.peak_flops = g.gpu().peak_tflops() * 1e12;
    rc.vector_flops = g.gpu().peak_tflops() * 1e12 / 16;  // element-wise: CUDA cores, ~1/16 of tensor peak
    rc.memory_bytes_per_second = g.gpu().hbm_bandwidth_gbps() * 1e9;
    rc.per_op_overhead = SimTime::FromMicroseconds(g.gpu().per_kernel_overhead_us());
    bool any_streamed = false;
    for (int64_t b : residency.streamed_layer_bytes) any_streamed |= b > 0;
    if (any_streamed) {
      rc.streamed_layer_bytes = residency.streamed_layer_bytes;
      rc.tokens = static_cast<uint32_t>(1 + dc.decode_tokens);
    }
    auto* gpu = sim.Emplace<host::RooflineExecutor>("gpu", rc);
    if (auto s = sim.Connect(job.driver->id(), "host", gpu->id(), "driver", kDispatchLatency); !s.ok()) return s;
    job.resources.push_back({"hbm", [gpu] { return gpu->busy_time(); }, [gpu] { return gpu->memory_bytes(); }});
    if (any_streamed) {
      auto raw = host::PcieRawBytesPerSecond(g.pcie().generation(), g.pcie().lanes());
      if (!raw.ok()) return raw.status();
      // Weights come from host DRAM, or from an SSD through a host bounce
      // buffer, pipelined: the stream runs at the slowest hop.
      const double source = g.ssd_read_gbps() > 0 ? std::min(g.ssd_read_gbps(), g.host_dram().bandwidth_gbps())
                                                  : g.host_dram().bandwidth_gbps();
      const double rate = std::min(static_cast<double>(*raw) * g.pcie().efficiency(), source * 1e9);
      auto* pcie = sim.Emplace<host::PcieLink>("pcie", "pcie", static_cast<uint64_t>(rate),
                                               SimTime::FromMicroseconds(g.pcie().latency_us()));
      if (auto s = sim.Connect(gpu->id(), "pcie", pcie->id(), "client", kBoardLatency); !s.ok()) return s;
      job.resources.push_back({"pcie", [pcie] { return pcie->busy_time(); }, [pcie] { return pcie->bytes(); }});
    }
    return job;
  }
  return absl::InvalidArgumentError("system: no system set (normalise the spec first)");
}

sim::SyncAlgorithm SyncOf(const v1::JobSpec& normalized) {
  return normalized.simulation().sync() == v1::NULL_MESSAGE ? sim::SyncAlgorithm::kNullMessage
                                                            : sim::SyncAlgorithm::kWindow;
}

v1::JobFigures ExtractFigures(const BuiltJob& job, const std::function<bool(sim::ComponentId)>& ran_here) {
  v1::JobFigures f;
  if (ran_here(job.driver->id())) {
    const host::DecodeDriver& d = *job.driver;
    f.set_has_driver(true);
    f.set_driver_finished(d.finished());
    f.set_tokens_decoded(static_cast<uint32_t>(d.token_ends().size()));
    f.set_start_ps(d.start_time().ps());
    f.set_prefill_end_ps(d.prefill_end().ps());
    if (!d.token_ends().empty()) f.set_last_token_end_ps(d.token_ends().back().ps());
    for (int64_t ps : d.decode_breakdown_ps()) f.add_decode_breakdown_ps(ps);
    f.set_decode_weight_bytes(d.decode_weight_bytes());
  }
  if (job.aif != nullptr && ran_here(job.aif->id())) {
    f.set_has_setup(true);
    f.set_setup_ps(job.aif->placement_time().ps());
  }
  for (const auto& res : job.resources) {
    v1::JobFigures::Resource* r = f.add_resources();
    r->set_name(res.name);
    r->set_busy_ps(res.busy().ps());
    r->set_bytes(res.bytes());
    r->set_units(res.units);
  }
  return f;
}

void MergeFigures(const v1::JobFigures& part, v1::JobFigures* total) {
  if (part.has_driver()) {
    total->set_has_driver(true);
    total->set_driver_finished(part.driver_finished());
    total->set_tokens_decoded(part.tokens_decoded());
    total->set_start_ps(part.start_ps());
    total->set_prefill_end_ps(part.prefill_end_ps());
    total->set_last_token_end_ps(part.last_token_end_ps());
    *total->mutable_decode_breakdown_ps() = part.decode_breakdown_ps();
    total->set_decode_weight_bytes(part.decode_weight_bytes());
  }
  if (part.has_setup()) {
    total->set_has_setup(true);
    total->set_setup_ps(part.setup_ps());
  }
  if (total->resources_size() == 0) {
    *total->mutable_resources() = part.resources();
    return;
  }
  for (int i = 0; i < total->resources_size() && i < part.resources_size(); ++i) {
    v1::JobFigures::Resource* r = total->mutable_resources(i);
    r->set_busy_ps(r->busy_ps() + part.resources(i).busy_ps());
    r->set_bytes(r->bytes() + part.resources(i).bytes());
  }
}

void SetRunFields(const RunSummary& run, v1::JobResult* r) {
  r->set_simulated_seconds(run.final_time.ToSeconds());
  r->set_events(run.committed_events);
  r->set_wall_seconds(run.wall_seconds);
  r->set_digest(run.digest_hex);
  r->set_partitions(run.partitions);
  r->set_sync(std::string(sim::SyncAlgorithmName(run.sync)));
  if (run.partition_stats.size() < 2) return;  // one partition synchronises with nobody
  r->set_wire(run.wire);
  const sim::SyncCost cost = sim::SyncCostOf(run.partition_stats);
  r->set_windows(cost.windows);
  r->set_null_messages(cost.null_messages);
  r->set_blocked_fraction(cost.blocked_fraction);
}

absl::StatusOr<v1::JobResult> ResultFromFigures(const v1::JobSpec& spec, const BuiltJob& job,
                                                const v1::JobFigures& f, const RunSummary& run) {
  const int tokens = spec.workload().decode_tokens();
  if (!f.driver_finished()) {
    return absl::InternalError(absl::StrCat("the run ended after ", f.tokens_decoded(), " of ", tokens,
                                            " decode tokens"));
  }
  v1::JobResult r;
  r.set_job_name(spec.name());
  r.set_model(job.shape.name);
  r.set_system(job.system);
  const SimTime decode = SimTime::Picoseconds(f.last_token_end_ps() - f.prefill_end_ps());
  r.set_tokens_per_second(static_cast<double>(tokens) * spec.workload().batch_size() / decode.ToSeconds());
  r.set_time_per_token_us(decode.ToMicroseconds() / tokens);
  auto us = [&](host::Category c) {
    const int i = static_cast<int>(c);
    return i < f.decode_breakdown_ps_size() ? static_cast<double>(f.decode_breakdown_ps(i)) * 1e-6 / tokens : 0.0;
  };
  v1::TimeBreakdown* b = r.mutable_time_per_token_breakdown();
  b->set_flash_array_us(us(host::Category::kFlashArray));
  b->set_ecc_us(us(host::Category::kEcc));
  b->set_flash_bus_us(us(host::Category::kFlashBus));
  b->set_pe_compute_us(us(host::Category::kPeCompute));
  b->set_host_attention_us(us(host::Category::kHostAttention));
  b->set_host_gemv_us(us(host::Category::kHostGemv));
  b->set_host_other_us(us(host::Category::kHostOther));
  b->set_pcie_nvme_us(us(host::Category::kPcieNvme));
  b->set_synchronization_us(us(host::Category::kSynchronization));
  r.set_prefill_seconds(SimTime::Picoseconds(f.prefill_end_ps() - f.start_ps()).ToSeconds());
  if (f.has_setup()) r.set_setup_seconds(SimTime::Picoseconds(f.setup_ps()).ToSeconds());
  SetRunFields(run, &r);
  r.set_weight_bytes_per_token(f.decode_weight_bytes() / tokens);
  for (const auto& res : f.resources()) {
    v1::ResourceUtilization* u = r.add_utilization();
    u->set_resource(res.name());
    const double t = run.final_time.ToSeconds();
    // Integer division as the busy time of one average unit, in picoseconds.
    const SimTime busy = SimTime::Picoseconds(res.busy_ps() / std::max<int64_t>(1, res.units()));
    u->set_utilization(t > 0 ? busy.ToSeconds() / t : 0);
    u->set_bytes_per_second(t > 0 ? static_cast<double>(res.bytes()) / t : 0);
  }
  return r;
}

absl::StatusOr<v1::JobResult> RunJob(const v1::JobSpec& raw, std::function<void(const JobProgress&)> on_progress,
                                     const std::atomic<bool>* cancel,
                                     std::function<void(const ModelFigures&)> on_model) {
  auto spec = NormalizeJobSpec(raw);
  if (!spec.ok()) return spec.status();
  if (IsSsdIoJob(*spec)) {
    return RunSsdIoJob(*spec, SsdOffloadNandConfig(spec->system().ssd_offload(), spec->simulation()), cancel,
                       on_model);
  }
  auto job = BuildJob(*spec);
  if (!job.ok()) return job.status();
  sim::RunOptions options;
  options.seed = spec->simulation().seed();
  options.partitions = spec->simulation().partitions();
  options.cancel = cancel;
  options.sync = SyncOf(*spec);
  if (on_progress) {
    const host::DecodeDriver* driver = job->driver;
    const auto total = static_cast<uint32_t>(spec->workload().decode_tokens());
    options.on_progress = [driver, total, on_progress](const sim::ProgressSnapshot& s) {
      on_progress(JobProgress{s, driver->tokens_done_live(), total});
    };
  }
  if (on_model) options.on_sample = ModelSampler(*job->sim, std::move(on_model));
  auto run = sim::Run(*job->sim, options);
  if (!run.ok()) return run.status();
  const RunSummary summary{run->final_time, run->committed_events, run->wall_seconds, run->digest_hex(),
                           options.partitions, options.sync, run->partitions};
  auto result = ResultFromFigures(*spec, *job, ExtractFigures(*job, [](sim::ComponentId) { return true; }), summary);
  if (result.ok() && job->io != nullptr) {
    FillIoResult(*job->io, job->io_ftl_before, job->ssd->ftl().stats(), result->mutable_ssd_io());
  }
  return result;
}

std::vector<absl::StatusOr<v1::JobResult>> RunJobsConcurrently(const std::vector<v1::JobSpec>& jobs, int parallel,
                                                              std::function<void(size_t, size_t)> on_done) {
  std::vector<absl::StatusOr<v1::JobResult>> results(jobs.size(), absl::UnknownError("not run"));
  std::atomic<size_t> next{0};
  size_t done = 0;
  std::mutex done_mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(parallel, 1); ++w) {
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < jobs.size();) {
        results[i] = RunJob(jobs[i]);
        std::lock_guard<std::mutex> lock(done_mu);
        ++done;
        if (on_done) on_done(done, jobs.size());
      }
    });
  }
  for (auto& t : workers) t.join();
  return results;
}

}  // namespace strata::coordinator
