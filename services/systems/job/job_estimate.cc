#include "services/systems/job/job_estimate.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/nand/flash/nand_die.h"
#include "services/host/model/model_catalog.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/job/job_spec.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"
#include "services/systems/ssd_offload/ssd_memory.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// Peak resident memory of `strata run` on a job without a NAND array
// (configs/opt-30b-in-memory.textproto, 2 decode tokens: VmHWM 15.3 MiB;
// scripts/admission_calibrate.sh): the binary, its libraries and the graph
// of a host-only job. Every job pays it.
constexpr double kProcessBaselineBytes = 15.3 * 1024 * 1024;

// Events per model layer per decode token, and the fixed events per layer
// (the prefill and any setup), by system and fidelity. Measured, not fitted:
// scripts/admission_calibrate.sh runs each configs/opt-30b-<system>.textproto
// (48 layers) with 2 and 6 decode tokens; per layer-token =
// (E(6) - E(2)) / 4 / 48, fixed = (E(2) - 2 x 48 x per layer-token) / 48.
// The fixed part is the host's prefill (30-32 events per layer) where the
// prefill runs on the host (in-memory, A800, NVLLM, SSD-ISC), a whole
// token's events on ssd_offload (its prefill faults in every weight too),
// and AiF's aif_post placement of every weight (7,776,576 events in both
// fidelities); the prefill on Cambricon-LLM's NPU (30.25).
//
// Where a fidelity's events come one per flash page (PAGE fidelity; and
// ssd_offload's page-cache faults and AiF's placement in both), the
// per-layer figure scales with the bytes of weights one layer reads,
// relative to OPT-30B's (INT8): `scales_with_bytes` (the job's
// (attention + active FFN) x bits / 8 / layers over OPT-30B's). STREAM draws
// a die's pages together, so there it scales with the layer count only.
struct EventRow {
  double page_per_layer_token;
  double stream_per_layer_token;
  double page_fixed_per_layer;
  double stream_fixed_per_layer;
  bool stream_scales_with_bytes = false;  // PAGE always scales (host-only systems: by 1)
  bool fixed_scales_with_bytes = false;
  // Of stream_per_layer_token, the part that scales with the weight bytes
  // (the rest with the planes); 0: all of it as stream_scales_with_bytes says.
  double stream_bytes_part = 0;
};
bool RowOf(const v1::SystemSpec& system, EventRow* row) {
  switch (system.kind_case()) {
    case v1::SystemSpec::kInMemory: *row = {30.25, 30.25, 30.25, 30.25, false, false}; return true;
    case v1::SystemSpec::kGpuOutOfCore: *row = {31.5625, 31.5625, 31.5625, 31.5625, false, false}; return true;
    case v1::SystemSpec::kNvllm: *row = {26111.2, 127.188, 30.25, 30.25, false, false}; return true;
    case v1::SystemSpec::kAif: *row = {48183.9, 635.188, 162012, 162012, false, true}; return true;
    case v1::SystemSpec::kSsdIsc: *row = {77090.2, 354.25, 30.25, 30.25, false, false}; return true;
    case v1::SystemSpec::kSsdOffload: *row = {338151, 204808, 338151, 204808, true, true}; return true;
    // Cambricon-LLM, configs/opt-30b-cambricon-llm as is (tiled) and with
    // tiling NO_TILING. NO_TILING's STREAM events are the cores' requests
    // (per die and op: they scale with the planes); tiled adds the NPU's
    // page reads, page-grained in STREAM too (a channel of several dies
    // runs reads at PAGE): the difference, 37,823.4 - 16,376.9, scales
    // with the weight bytes.
    case v1::SystemSpec::kCambriconLlm:
      if (system.cambricon_llm().tiling() == v1::NO_TILING) {
        *row = {76462.2, 16376.9, 30.25, 30.25, false, false};
      } else {
        *row = {105205, 37823.4, 30.25, 30.25, false, false, 37823.4 - 16376.9};
      }
      return true;
    default: return false;
  }
}

// Plain I/O jobs (ssd_io) on system.ssd_offload's drive: events per command
// by direction and the fixed events of a run (the drive's setup), measured
// by scripts/admission_calibrate.sh from 10,000 and 30,000 commands of
// configs/ssd-io-randread-4k (reads: one page each) and
// configs/ssd-io-randwrite-16k (writes: one page each, on a full drive,
// so GC's page copies are in the figure); per command =
// (E(30000) - E(10000)) / 20000, fixed = E(10000) - 10000 x per command.
// A command over several pages is taken as that many one-page commands
// (first order: the NVMe and host events are per command, the flash's per
// page).
constexpr double kEventsPerReadCommand = 13.1;
constexpr double kEventsPerWriteCommand = 13;
constexpr double kFixedIoEvents = 0;

void EstimateIoEvents(const v1::JobSpec& spec, JobEstimate* e) {
  const v1::SsdIoSpec& io = spec.ssd_io();
  if (io.commands() <= 0) return;  // bounded by duration only: unknown
  const double page_bytes = SsdOffloadNandConfig(spec.system().ssd_offload(), spec.simulation()).geometry.page_bytes;
  const double pages = std::max(1.0, std::ceil(io.block_kib() * 1024.0 / page_bytes));
  e->io_commands = static_cast<double>(io.commands());
  e->events_per_command =
      pages * ((1 - io.write_fraction()) * kEventsPerReadCommand + io.write_fraction() * kEventsPerWriteCommand);
  e->fixed_io_events = kFixedIoEvents;
  e->events = e->io_commands * e->events_per_command + e->fixed_io_events;
  e->events_calibrated = true;
}

// Host-only systems read no flash: their events are per op, not per page.
bool ReadsFlash(v1::SystemSpec::KindCase kind) {
  return kind != v1::SystemSpec::kInMemory && kind != v1::SystemSpec::kGpuOutOfCore;
}

// Bytes of weights one decode token reads per layer.
double LayerWeightBytes(const host::ModelShape& shape, host::WeightType type) {
  const host::ParameterCount c = host::CountParameters(shape);
  return static_cast<double>(c.attention + c.ffn_active) * host::WeightBits(type) / 8 / shape.layers;
}

int64_t IntField(const google::protobuf::Message& m, const char* name) {
  const google::protobuf::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT32) return -1;
  return m.GetReflection()->GetInt32(m, f);
}

// Blocks of the NAND array a system message describes: the first message
// inside it with a blocks_per_plane field (NVLLM's and SSD-ISC's flash,
// a DriveSpec), found by reflection so every system is read the same way.
// 0 when the system has no NAND array or leaves its drive unset (then the
// system's default drive is built; see docs/admission.md).
struct ArraySize {
  double blocks = 0;
  double planes = 0;
};
ArraySize NandArrayOf(const google::protobuf::Message& m) {
  if (const int64_t blocks = IntField(m, "blocks_per_plane"); blocks > 0) {
    const int64_t channels = IntField(m, "channels");
    int64_t dies = IntField(m, "dies_per_channel");
    if (dies < 0) dies = IntField(m, "chips_per_channel") * std::max<int64_t>(1, IntField(m, "dies_per_chip"));
    const int64_t planes = IntField(m, "planes_per_die");
    if (channels > 0 && dies > 0 && planes > 0) {
      const double all_planes = static_cast<double>(channels) * static_cast<double>(dies) * static_cast<double>(planes);
      return {all_planes * static_cast<double>(blocks), all_planes};
    }
  }
  const google::protobuf::Reflection* r = m.GetReflection();
  for (int i = 0; i < m.GetDescriptor()->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = m.GetDescriptor()->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    if (!r->HasField(m, f)) continue;
    if (const ArraySize a = NandArrayOf(r->GetMessage(m, f)); a.blocks > 0) return a;
  }
  return {};
}

// The array of the calibration job: configs/opt-30b-<system>.textproto
// leaves the system's message empty, so its defaults.
absl::StatusOr<ArraySize> CalibrationArrayOf(const v1::SystemSpec& system) {
  v1::JobSpec reference;
  reference.mutable_model()->set_catalog_name("opt-30b");
  reference.mutable_model()->set_weight_type(v1::INT8);
  reference.mutable_workload()->set_prompt_tokens(128);
  reference.mutable_workload()->set_decode_tokens(2);
  const google::protobuf::FieldDescriptor* kind =
      system.GetReflection()->GetOneofFieldDescriptor(system, v1::SystemSpec::descriptor()->oneof_decl(0));
  if (kind == nullptr) return ArraySize{};
  reference.mutable_system()->GetReflection()->MutableMessage(reference.mutable_system(), kind);
  ASSIGN_OR_RETURN(const v1::JobSpec normalized, NormalizeJobSpec(reference));
  return NandArrayOf(normalized.system());
}

}  // namespace

absl::StatusOr<JobEstimate> EstimateJob(const v1::JobSpec& spec) {
  JobEstimate e;
  const ArraySize array = NandArrayOf(spec.system());
  e.nand_blocks = array.blocks;
  e.block_state_bytes = static_cast<double>(nand::NandDie::BlockStateBytes());
  ASSIGN_OR_RETURN(const SsdModelMemory ssd, EstimateSsdModelMemory(spec));
  e.ftl_bytes = ssd.ftl_bytes;
  e.page_cache_bytes = ssd.page_cache_bytes;
  e.io_record_bytes = ssd.io_record_bytes;
  e.memory_bytes = kProcessBaselineBytes + e.nand_blocks * e.block_state_bytes + ssd.total();
  if (IsSsdIoJob(spec)) {
    EstimateIoEvents(spec, &e);
    return e;
  }
  ASSIGN_OR_RETURN(const host::ModelShape shape, ShapeOf(spec.model()));
  e.layers = shape.layers;
  EventRow row{};
  e.events_calibrated = RowOf(spec.system(), &row);
  if (e.events_calibrated) {
    const bool page = spec.simulation().fidelity() == v1::PAGE;
    e.bytes_scale = 1;
    if (ReadsFlash(spec.system().kind_case())) {
      v1::ModelSpec reference;
      reference.set_catalog_name("opt-30b");
      ASSIGN_OR_RETURN(const host::ModelShape opt30b, ShapeOf(reference));
      e.bytes_scale = LayerWeightBytes(shape, WeightTypeOf(spec.model().weight_type())) /
                      LayerWeightBytes(opt30b, host::WeightType::kInt8);
    }
    // STREAM draws each plane's pages together: its events scale with the
    // array's planes (relative to the calibration job's array) instead.
    if (!page && !row.stream_scales_with_bytes && array.planes > 0) {
      ASSIGN_OR_RETURN(const ArraySize calibration, CalibrationArrayOf(spec.system()));
      if (calibration.planes > 0) e.planes_scale = array.planes / calibration.planes;
    }
    const bool per_token_scales = page || row.stream_scales_with_bytes;
    const bool fixed_scales = row.fixed_scales_with_bytes;
    e.events_per_layer_token =
        (page ? row.page_per_layer_token : row.stream_per_layer_token) * (per_token_scales ? e.bytes_scale : 1) *
        e.planes_scale;
    if (!page && row.stream_bytes_part > 0) {
      e.events_per_layer_token = (row.stream_per_layer_token - row.stream_bytes_part) * e.planes_scale +
                                 row.stream_bytes_part * e.bytes_scale;
    }
    e.fixed_events_per_layer =
        (page ? row.page_fixed_per_layer : row.stream_fixed_per_layer) * (fixed_scales ? e.bytes_scale : 1);
    e.events = shape.layers * (spec.workload().decode_tokens() * e.events_per_layer_token + e.fixed_events_per_layer);
  }
  return e;
}

absl::Status CheckAdmission(const JobEstimate& e, const AdmissionLimits& limits) {
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  if (limits.max_job_memory_gib > 0 && e.memory_bytes > limits.max_job_memory_gib * kGiB) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "estimated peak memory %.3g GiB (%.4g NAND blocks, %.3g GiB of FTL tables) is over --max_job_memory_gib = "
        "%g; allowed: at most %g GiB (docs/admission.md)",
        e.memory_bytes / kGiB, e.nand_blocks, e.ftl_bytes / kGiB, limits.max_job_memory_gib,
        limits.max_job_memory_gib));
  }
  if (limits.max_job_events > 0 && e.events > limits.max_job_events) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "estimated %.4g events is over --max_job_events = %.4g; allowed: at most %.4g events (docs/admission.md)",
        e.events, limits.max_job_events, limits.max_job_events));
  }
  return absl::OkStatus();
}

}  // namespace strata::systems
