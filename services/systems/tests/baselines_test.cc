// Invariants of the baselines built from first principles (issue 19): never
// a published number. Sustained memory bandwidth never exceeds the peak;
// two-hop weight staging never beats either hop alone.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/systems/aif/aif_system.h"
#include "services/systems/core/host_spec.h"
#include "services/systems/core/sustained_bandwidth.h"
#include "services/systems/gpu_out_of_core/weight_staging.h"
#include "services/systems/job/build_job.h"
#include "services/systems/job/job_spec.h"
#include "strata/sim/engine.h"

namespace strata::systems {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<v1::JobSpec> Normalized(const std::string& system, const std::string& model = "llama-2-7b") {
  auto spec = ParseJobSpecText(absl::StrCat("model { catalog_name: \"", model, "\" weight_type: INT8 } workload { "
                                            "prompt_tokens: 8 decode_tokens: 2 } system { ", system, " }"));
  if (!spec.ok()) return spec.status();
  return NormalizeJobSpec(*spec);
}

// Decode tokens per second of a normalised job, run to the end; and the
// page cache result when it is a Memory+SSD job.
double TokensPerSecond(const v1::JobSpec& spec, v1::JobResult* page_cache = nullptr) {
  auto job = BuildJob(spec);
  EXPECT_TRUE(job.ok()) << job.status();
  if (!job.ok()) return 0;
  sim::RunOptions options;
  options.seed = 1;
  auto run = sim::Run(*job->sim, options);
  EXPECT_TRUE(run.ok()) << run.status();
  const v1::JobFigures f = ExtractFigures(*job, [](sim::ComponentId) { return true; });
  EXPECT_TRUE(f.driver_finished());
  const double seconds = static_cast<double>(f.last_token_end_ps() - f.prefill_end_ps()) * 1e-12;
  if (page_cache != nullptr && job->finish_result) job->finish_result(page_cache);
  return seconds > 0 ? f.tokens_decoded() / seconds : 0;
}

// Every host DRAM, LPDDR5 and HBM of the catalog's systems reads at most
// its peak, and strictly less by default (the measured rules are < 1).
TEST(SustainedBandwidthTest, EveryRooflineReadsAtMostItsPeak) {
  for (const std::string system : {"in_memory {}", "ssd_offload {}", "aif {}", "nvllm {}", "ssd_isc {}"}) {
    auto spec = Normalized(system);
    ASSERT_TRUE(spec.ok()) << system << ": " << spec.status();
    const v1::SystemSpec& s = spec->system();
    const v1::Dram& dram = s.has_in_memory()     ? s.in_memory().dram()
                           : s.has_ssd_offload() ? s.ssd_offload().dram()
                           : s.has_aif()         ? s.aif().dram()
                           : s.has_nvllm()       ? s.nvllm().dram()
                                                 : s.ssd_isc().dram();
    const double peak = dram.bandwidth_gbps() * 1e9;
    EXPECT_GT(dram.sustained_fraction(), 0) << system;
    EXPECT_LT(SustainedBytesPerSecond(dram), peak) << system;
    EXPECT_LT(HostRoofline("cpu", v1::HostCpu(), dram).memory_bytes_per_second, peak) << system;
  }
  auto gpu = Normalized("gpu_out_of_core { weight_budget_gib: 1 }");
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  EXPECT_LT(SustainedHbmBytesPerSecond(gpu->system().gpu_out_of_core().gpu()),
            gpu->system().gpu_out_of_core().gpu().hbm_bandwidth_gbps() * 1e9);
  EXPECT_LT(SustainedBytesPerSecond(gpu->system().gpu_out_of_core().host_dram()),
            gpu->system().gpu_out_of_core().host_dram().bandwidth_gbps() * 1e9);
  // A fraction above 1 (faster than the wires) is refused, naming the field.
  auto above = Normalized("in_memory { dram { sustained_fraction: 1.5 } }");
  ASSERT_FALSE(above.ok());
  EXPECT_THAT(above.status().message(), HasSubstr("system.in_memory.dram.sustained_fraction = 1.5; allowed: "));
}

// The roofline follows the sustained rate: in memory, where decode is
// bound by the weight stream, halving the fraction at least nearly halves
// tokens/s, and a fraction of 1 is the fastest.
TEST(SustainedBandwidthTest, InMemoryDecodeFollowsTheSustainedRate) {
  auto peak = Normalized("in_memory { dram { sustained_fraction: 1 } }");
  auto sustained = Normalized("in_memory {}");
  auto half = Normalized("in_memory { dram { sustained_fraction: 0.44 } }");
  ASSERT_TRUE(peak.ok() && sustained.ok() && half.ok());
  const double p = TokensPerSecond(*peak), s = TokensPerSecond(*sustained), h = TokensPerSecond(*half);
  EXPECT_GT(p, s);
  EXPECT_GT(s, h);
  EXPECT_GT(s / h, 1.8);
}

// Two hops in turn never beat either hop alone, whatever the rates and
// worker count; GPUDirect Storage (one hop) is never slower than staging;
// more workers never slow the stream.
TEST(WeightStagingTest, TwoHopStagingNeverBeatsEitherHopAlone) {
  for (double ssd : {1e9, 7e9, 14e9, 50e9}) {
    for (double link : {3e9, 24.8e9, 50e9}) {
      for (int threads : {1, 2, 4, 16}) {
        WeightStaging s;
        s.ssd_bytes_per_s = ssd;
        s.link_bytes_per_s = link;
        s.host_dram_bytes_per_s = 76e9;
        s.copy_threads = threads;
        const double staged = StagedWeightBytesPerSecond(s);
        EXPECT_LE(staged, ssd) << ssd << " " << link << " " << threads;
        EXPECT_LE(staged, link) << ssd << " " << link << " " << threads;
        EXPECT_GT(staged, 0);
        if (threads == 1) {  // one worker: its hops strictly in turn
          EXPECT_LT(staged, std::min(ssd, link));
          EXPECT_DOUBLE_EQ(staged, std::min(1 / (1 / ssd + 1 / link), 76e9 / 4));
        }
        WeightStaging more = s;
        more.copy_threads = threads * 2;
        EXPECT_GE(StagedWeightBytesPerSecond(more), staged);
        WeightStaging gds = s;
        gds.gpudirect_storage = true;
        EXPECT_GE(StagedWeightBytesPerSecond(gds), staged);
        EXPECT_DOUBLE_EQ(StagedWeightBytesPerSecond(gds), std::min(ssd, link));
      }
    }
  }
  // Host DRAM bounds the staged stream: every byte crosses it four times.
  WeightStaging slow_dram;
  slow_dram.ssd_bytes_per_s = 7e9;
  slow_dram.link_bytes_per_s = 24.8e9;
  slow_dram.host_dram_bytes_per_s = 8e9;
  EXPECT_DOUBLE_EQ(StagedWeightBytesPerSecond(slow_dram), 2e9);
}

// The out-of-core GPU job takes the staged rate: one worker (hops in turn)
// is slower than FlexGen's four, and GPUDirect Storage at least as fast.
TEST(WeightStagingTest, TheGpuJobStreamsAtTheStagedRate) {
  const std::string base = "gpu_out_of_core { weight_budget_gib: 1 ssd_read_gbps: 7 ";
  auto one = Normalized(base + "copy_threads: 1 }");
  auto flexgen = Normalized(base + "}");
  auto gds = Normalized(base + "gpudirect_storage: true }");
  ASSERT_TRUE(one.ok() && flexgen.ok() && gds.ok()) << one.status() << flexgen.status() << gds.status();
  EXPECT_EQ(flexgen->system().gpu_out_of_core().copy_threads(), 4);
  const double t1 = TokensPerSecond(*one), t4 = TokensPerSecond(*flexgen), tg = TokensPerSecond(*gds);
  EXPECT_LT(t1, t4);
  EXPECT_LE(t4, tg);
}

// AiF-- flash: only precharge + discharge enters a conventional read
// (tR = t_PRE + t_SENSE x levels + t_DISCH), so their split cannot move AiF
// or AiF--; their sum can.
TEST(AifFlashSplitTest, OnlyThePrechargePlusDischargeSumMatters) {
  for (const bool minus : {true, false}) {
    auto internal = [&](double p, double d) {
      v1::AifSystem a;
      a.set_without_cr_read_and_be_enc(minus);
      a.set_channels(8);
      a.set_chips_per_channel(2);
      a.mutable_timing()->set_precharge_us(p);
      a.mutable_timing()->set_discharge_us(d);
      a.mutable_timing()->set_sense_per_level_us(9);
      a.mutable_timing()->set_recycle_us(0.7);
      a.mutable_timing()->set_channel_mts(2000);
      return AifInternalBytesPerSecond(AifConfig(a, v1::SimulationSpec()));
    };
    EXPECT_DOUBLE_EQ(internal(14, 5), internal(5, 14)) << minus;
    EXPECT_DOUBLE_EQ(internal(14, 5), internal(9.5, 9.5)) << minus;
    if (minus) {
      EXPECT_GT(internal(7, 2.5), internal(14, 5));  // the sum does move AiF--
    }
  }
}

// Parallel execution never loses to serial, for AiF and for AiF-- (the
// same mode on both sides of the paper's AiF / AiF-- comparison).
TEST(AifParallelTest, ParallelIsNeverSlowerThanSerial) {
  for (const std::string minus : {"", "without_cr_read_and_be_enc: true "}) {
    auto serial = Normalized("aif { " + minus + "}");
    auto parallel = Normalized("aif { " + minus + "execution: PARALLEL }");
    ASSERT_TRUE(serial.ok() && parallel.ok()) << serial.status() << parallel.status();
    EXPECT_GT(parallel->system().aif().host_share(), 0);
    EXPECT_GE(TokensPerSecond(*parallel), TokensPerSecond(*serial)) << minus;
  }
}

// Memory+SSD as llama.cpp runs on Linux: the page cache's hit rate while
// decoding rises with the DRAM (cache) size and falls with the model size;
// the DRAM left for the cache is what the OS, llama.cpp's buffers and the
// KV cache leave.
TEST(MemorySsdTest, HitRateRisesWithCacheSizeAndFallsWithModelSize) {
  double previous = -1;
  double effective_at_smallest = 0;
  for (double dram : {4.0, 6.5, 8.0, 10.0}) {
    auto spec = Normalized(absl::StrCat("ssd_offload { dram { capacity_gib: ", dram, " } }"));
    ASSERT_TRUE(spec.ok()) << spec.status();
    const v1::SsdOffloadSystem& o = spec->system().ssd_offload();
    EXPECT_LT(o.page_cache_gib(), dram - o.os_reserved_gib() - o.runtime_buffers_gib() + 1e-9);
    v1::JobResult r;
    TokensPerSecond(*spec, &r);
    EXPECT_GE(r.page_cache().hit_rate(), previous) << dram;
    if (previous < 0) effective_at_smallest = r.page_cache().effective_read_gbps();
    previous = r.page_cache().hit_rate();
  }
  EXPECT_EQ(previous, 1.0);  // 10 GB holds LLaMA-2-7B's 6.3 GiB
  EXPECT_GT(effective_at_smallest, 0.5);  // a thrashing cache streams from the SSD
  EXPECT_LT(effective_at_smallest, 8.0);  // never above PCIe 4.0 x4
  auto small = Normalized("ssd_offload { dram { capacity_gib: 8 } }", "llama-2-7b");
  auto large = Normalized("ssd_offload { dram { capacity_gib: 8 } }", "llama-2-13b");
  ASSERT_TRUE(small.ok() && large.ok());
  v1::JobResult rs, rl;
  TokensPerSecond(*small, &rs);
  TokensPerSecond(*large, &rl);
  EXPECT_GT(rs.page_cache().hit_rate(), rl.page_cache().hit_rate());
}

}  // namespace
}  // namespace strata::systems
