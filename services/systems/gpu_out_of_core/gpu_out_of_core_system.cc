#include "services/systems/gpu_out_of_core/gpu_out_of_core_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/host/compute/pcie_link.h"
#include "services/host/compute/roofline_executor.h"
#include "services/systems/core/energy_activity.h"
#include "services/systems/core/links.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/core/sustained_bandwidth.h"
#include "services/systems/gpu_out_of_core/weight_staging.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// The weight budget in bytes and, per layer, the bytes streamed every token.
struct Residency {
  int64_t budget = 0;
  std::vector<int64_t> streamed_layer_bytes;
  int64_t resident_bytes = 0;
};

Residency PlanResidency(const host::ModelShape& s, host::WeightType t, const v1::GpuOutOfCoreSystem& g,
                        int64_t kv_bytes) {
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

}  // namespace

std::vector<host::Category> GpuOutOfCoreSystem::breakdown_parts() const {
  return {host::Category::kHostAttention, host::Category::kHostGemv, host::Category::kHostOther,
          host::Category::kPcieNvme, host::Category::kSynchronization};
}

std::vector<Parameter> GpuOutOfCoreSystem::parameters() const {
  std::vector<Parameter> p = {
      {"gpu.peak_tflops", "TOPS", 624.0, 1e-3, 1e5, "NVIDIA A100 datasheet: 624 TOPS dense INT8 (the A800 derives from it)"},
      {"gpu.hbm_bandwidth_gbps", "GB/s", 1935.0, 1e-3, 1e5, "NVIDIA A800 80GB PCIe: 1,935 GB/s HBM2e"},
      {"gpu.hbm_capacity_gib", "GiB", 80.0, 1e-3, 1e4, "NVIDIA A800 80GB PCIe"},
      {"gpu.per_kernel_overhead_us", "us", 5.0, 0.0, 1e6, "assumption: a CUDA kernel launch (typical)"},
      {"gpu.hbm_sustained_fraction", "", kHbm2eSustainedFraction, 1e-3, 1.0, kHbm2eSustainedSource},
      {"pcie.generation", "", 4, 3, 5, "A800 PCIe: PCIe 4.0"},
      {"pcie.lanes", "", 16, 1, 16, "A800 PCIe: x16"},
      {"pcie.efficiency", "", 24.8 / 31.5, 1e-3, 1.0, "REFERENCE.md: 24.8 GB/s measured host-to-device of 31.5 GB/s raw"},
      {"pcie.latency_us", "us", 10.0, 0.0, 1e6, "assumption: DMA setup + doorbell per transfer (typical)"},
      {"host_dram.bandwidth_gbps", "GB/s", 86.4, 1e-3, 1e5, "assumption: the AiF paper's DDR5 host"},
      {"host_dram.capacity_gib", "GiB", 256.0, 1e-3, 1e6, "assumption: a GPU server's host DRAM"},
      {"host_dram.sustained_fraction", "", kDdr5SustainedFraction, 1e-3, 1.0, kDdr5SustainedSource},
  };
  p.push_back(Parameter::Rule("weight_budget_gib", "GiB", "0 to gpu.hbm_capacity_gib", "0: all HBM less the KV cache", "the GPU's HBM"));
  p.push_back({"copy_threads", "", 4, 1, 64, "FlexGen v0.1 pytorch_backend.py: TorchDisk(num_copy_threads=4), each worker relays one tensor through its pinned buffer"});
  p.push_back(Parameter::Rule("gpudirect_storage", "", "true or false", "false: FlexGen's staging through pinned host memory", "NVIDIA GPUDirect Storage: SSD to GPU DMA, one hop"));
  p.push_back(Parameter::Rule("ssd_read_gbps", "GB/s", "0 (weights in host DRAM) to 10000", "0: weights stream from host DRAM", "NVLLM's baseline streams from an NVMe SSD (7 GB/s)"));
  return p;
}

absl::Status GpuOutOfCoreSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::GpuOutOfCoreSystem* g = spec->mutable_system()->mutable_gpu_out_of_core();
  v1::Gpu* gpu = g->mutable_gpu();
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.gpu_out_of_core", g));
  if (g->ssd_read_gbps() < 0 || g->ssd_read_gbps() > 1e4) {
    return Invalid("system.gpu_out_of_core.ssd_read_gbps", g->ssd_read_gbps(), "0 (weights in host DRAM) to 10000");
  }
  if (g->weight_budget_gib() < 0 || g->weight_budget_gib() > gpu->hbm_capacity_gib()) {
    return Invalid("system.gpu_out_of_core.weight_budget_gib", g->weight_budget_gib(),
                   absl::StrCat("0 (all HBM less the KV cache) to hbm_capacity_gib = ", gpu->hbm_capacity_gib()));
  }
  if (static_cast<double>(model.kv_bytes) > gpu->hbm_capacity_gib() * kGiB) {
    return absl::InvalidArgumentError(absl::StrCat("system.gpu_out_of_core.gpu.hbm_capacity_gib = ",
                                                   gpu->hbm_capacity_gib(), " cannot hold the KV cache (",
                                                   absl::StrFormat("%.1f", model.kv_bytes / kGiB), " GiB)"));
  }
  return absl::OkStatus();
}

absl::Status GpuOutOfCoreSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob* job) const {
  job->system = "gpu_out_of_core";
  sim::Simulation& sim = *job->sim;
  const auto& g = spec.system().gpu_out_of_core();
  const Residency residency = PlanResidency(job->shape, dc.weight_type, g, KvCacheBytes(job->shape, spec.workload()));
  host::RooflineConfig rc;
  rc.name = "gpu";
  rc.peak_flops = g.gpu().peak_tflops() * 1e12;
  rc.vector_flops = g.gpu().peak_tflops() * 1e12 / 16;  // element-wise: CUDA cores, ~1/16 of tensor peak
  rc.memory_bytes_per_second = SustainedHbmBytesPerSecond(g.gpu());
  rc.per_op_overhead = sim::SimTime::FromMicroseconds(g.gpu().per_kernel_overhead_us());
  bool any_streamed = false;
  for (int64_t b : residency.streamed_layer_bytes) any_streamed |= b > 0;
  if (any_streamed) {
    rc.streamed_layer_bytes = residency.streamed_layer_bytes;
    rc.tokens = static_cast<uint32_t>(1 + dc.decode_tokens);
  }
  auto* gpu = sim.Emplace<host::RooflineExecutor>("gpu", rc);
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", gpu->id(), "driver", kDispatchLatency));
  job->resources.push_back({"hbm", [gpu] { return gpu->busy_time(); }, [gpu] { return gpu->memory_bytes(); }});
  AddGpuEnergyActivity(gpu, job);
  job->static_loads.push_back({"ddr5_static", g.host_dram().capacity_gib()});  // the host's DRAM
  if (any_streamed) {
    ASSIGN_OR_RETURN(const uint64_t raw, host::PcieRawBytesPerSecond(g.pcie().generation(), g.pcie().lanes()));
    // Weights come from host DRAM, or from an SSD staged through pinned
    // host buffers as FlexGen does (weight_staging.h).
    WeightStaging staging;
    staging.ssd_bytes_per_s = g.ssd_read_gbps() * 1e9;
    staging.link_bytes_per_s = static_cast<double>(raw) * g.pcie().efficiency();
    staging.host_dram_bytes_per_s = SustainedBytesPerSecond(g.host_dram());
    staging.copy_threads = g.copy_threads();
    staging.gpudirect_storage = g.gpudirect_storage();
    const double rate = StagedWeightBytesPerSecond(staging);
    auto* pcie = sim.Emplace<host::PcieLink>("pcie", "pcie", static_cast<uint64_t>(rate),
                                             sim::SimTime::FromMicroseconds(g.pcie().latency_us()));
    RETURN_IF_ERROR(sim.Connect(gpu->id(), "pcie", pcie->id(), "client", kBoardLatency));
    job->resources.push_back({"pcie", [pcie] { return pcie->busy_time(); }, [pcie] { return pcie->bytes(); }});
    // The streamed weights leave host DRAM and cross PCIe.
    AddPcieTraffic([pcie] { return pcie->bytes(); }, job);
    AddMemoryTraffic(MemoryKind::kDdr5, [pcie] { return pcie->bytes(); }, job);
  }
  return absl::OkStatus();
}

}  // namespace strata::systems
