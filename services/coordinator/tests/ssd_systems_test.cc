// Systems 4 (SSD offloading) and 6 (SSD-like in-storage compute): analytic
// bounds, page-cache behaviour, determinism, bad fields.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "tests/job_test_util.h"
#include "services/systems/ssd_offload/mmap_gemv_executor.h"

namespace strata::coordinator {
namespace {


using testing::ExpectFidelitiesAgreeOnTokensPerSecond;
using testing::Spec;

// A small dense model (4 layers, hidden 2048, FFN 8192, INT8): about
// 4 x (4 x 2048^2 + 3 x 2048 x 8192) + 2048 x 32000 = 334 MB of GEMV weights.
constexpr const char* kSmallModel =
    R"pb(model { custom { name: "small" layers: 4 hidden: 2048 ffn: 8192 heads: 16 vocab: 32000 } }
         workload { prompt_tokens: 8 decode_tokens: 3 })pb";
constexpr double kSmallGemvBytes = 4.0 * (4 * 2048.0 * 2048 + 3 * 2048.0 * 8192) + 2048.0 * 32000;

v1::JobSpec OffloadSpec(const std::string& system_fields) {
  return Spec(absl::StrCat(kSmallModel, " system { ssd_offload { ", system_fields, " } }"));
}

// PCIe 4.0 x4 per direction: 4 lanes x 16 GT/s x 128/130 / 8 bit, with
// 256 B payloads in TLPs of 26 B overhead (nvme/pcie_link.h).
constexpr double kPcieBytesPerS = 4 * 16e9 * 128 / 130 / 8 * 256 / (256 + 26);
// The SSD inside, at STREAM fidelity (chips on a channel take turns): 8
// channels x min(bus 2.0 GB/s, one chip's 4 planes x 16 KiB per mean TLC
// tR (37 + 46 + 37) / 3 = 40 us).
constexpr double kSsdInternalBytesPerS = 8 * std::min(2.0e9, 4 * 16384 / 40e-6);

struct OffloadRun {
  v1::JobResult result;
  uint64_t file_bytes = 0, file_chunks = 0, chunks_read = 0, decode_bytes_read = 0, bytes_read = 0;
};

OffloadRun RunOffload(const v1::JobSpec& raw) {
  OffloadRun out;
  auto spec = NormalizeJobSpec(raw);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return out;
  auto job = BuildJob(*spec);
  EXPECT_TRUE(job.ok()) << job.status();
  if (!job.ok()) return out;
  sim::RunOptions o;
  EXPECT_TRUE(sim::Run(*job->sim, o).ok());
  const auto& m = dynamic_cast<const systems::MmapGemvExecutor&>(*job->offload);
  out.file_bytes = m.file_bytes();
  out.file_chunks = m.file_chunks();
  out.chunks_read = m.chunks_read();
  out.decode_bytes_read = m.decode_bytes_read();
  out.bytes_read = m.bytes_read();
  auto r = RunJob(raw);
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok()) out.result = *r;
  return out;
}

TEST(SsdOffloadTest, WeightsFileHoldsEveryGemvWeightOnce) {
  const OffloadRun run = RunOffload(OffloadSpec("page_cache_gib: 1"));
  EXPECT_EQ(static_cast<double>(run.file_bytes), kSmallGemvBytes);
}

TEST(SsdOffloadTest, CacheHoldingTheModelReadsNothingFromTheSsdAfterWarmUp) {
  // 1 GiB of page cache > 334 MB of weights: prefill faults every chunk in
  // once; decoding hits every time.
  const OffloadRun run = RunOffload(OffloadSpec("page_cache_gib: 1 readahead_kib: 1024"));
  EXPECT_EQ(run.chunks_read, run.file_chunks);
  EXPECT_EQ(run.decode_bytes_read, 0u);
  // Decode then runs at DRAM speed: far faster than the SSD could feed it.
  EXPECT_GT(run.result.tokens_per_second(), 3 * kPcieBytesPerS / kSmallGemvBytes);
}

TEST(SsdOffloadTest, CacheSmallerThanTheModelRereadsEveryChunkEveryToken) {
  // 128 MiB < 334 MB: LRU under a cyclic scan evicts each chunk before its
  // next use, so each of the 1 + 3 passes (prefill, 3 tokens) reads them all.
  const OffloadRun run =
      RunOffload(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024 page_cache_policy: SINGLE_LRU"));
  EXPECT_EQ(run.chunks_read, 4 * run.file_chunks);
  EXPECT_GE(run.decode_bytes_read, 3 * run.file_bytes * 9 / 10);
}

// Linux's two lists on the same scan: never more reads than one LRU list,
// and at least the part of the file the cache cannot hold, every token.
TEST(SsdOffloadTest, TwoListsReadNoMoreThanLruAndAtLeastWhatDoesNotFit) {
  const OffloadRun lru =
      RunOffload(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024 page_cache_policy: SINGLE_LRU"));
  const OffloadRun two = RunOffload(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024"));
  EXPECT_LE(two.decode_bytes_read, lru.decode_bytes_read);
  EXPECT_GE(static_cast<double>(two.decode_bytes_read), 3 * (static_cast<double>(two.file_bytes) - 0.125 * (1 << 30)));
  EXPECT_GE(two.result.page_cache().hit_rate(), 0.0);
  EXPECT_LT(two.result.page_cache().hit_rate(), 0.125 * (1 << 30) / static_cast<double>(two.file_bytes));
  EXPECT_GT(two.result.page_cache().effective_read_gbps(), 0.0);
}

TEST(SsdOffloadTest, SsdBoundDecodeIsWithinTenPercentOfTheLinkBoundOverBytesMissed) {
  // Four 1 MiB windows in flight keep the link busy (Linux's two reach less).
  const OffloadRun run = RunOffload(
      OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024 readahead_windows: 4 page_cache_policy: SINGLE_LRU"));
  const double bound = std::min(kPcieBytesPerS, kSsdInternalBytesPerS) / kSmallGemvBytes;
  EXPECT_LE(run.result.tokens_per_second(), bound);
  EXPECT_GE(run.result.tokens_per_second(), 0.9 * bound);
}

TEST(SsdOffloadTest, SynchronousFaultsAreSlowerThanReadahead) {
  const OffloadRun sync = RunOffload(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024 readahead_windows: 1"));
  const OffloadRun ahead = RunOffload(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 1024 readahead_windows: 4"));
  // One window at a time serialises flash and DMA of each command.
  EXPECT_LT(sync.result.tokens_per_second(), 0.8 * ahead.result.tokens_per_second());
}

TEST(SsdOffloadTest, PageAndStreamFidelitiesAgreeOnTokensPerSecond) {
  // At 4 MiB readahead, 4 windows, the link bounds both; STREAM's chips
  // taking turns on a channel would show with small windows (1 MiB: 3%).
  ExpectFidelitiesAgreeOnTokensPerSecond(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 4096 readahead_windows: 4"));
}

// Runs `spec` on 1, 2 and 4 partitions x both sync algorithms; one digest.
void ExpectSameDigestEverywhere(const v1::JobSpec& spec, const std::string& label) {
  EXPECT_FALSE(testing::ExpectSameDigestEverywhere(spec, {1, 2, 4}, label).empty());
}

TEST(SsdOffloadTest, DigestsAgreeAcrossPartitionsAndSync) {
  ExpectSameDigestEverywhere(OffloadSpec("page_cache_gib: 0.125 readahead_kib: 2048"), "ssd_offload");
}

// The controller's priority scheduler with suspension and the channels'
// command-first arbitration, set through the job spec.
TEST(SsdOffloadTest, SchedulingOptionsKeepDigestsAcrossPartitionsAndSync) {
  ExpectSameDigestEverywhere(
      OffloadSpec("page_cache_gib: 0.125 readahead_kib: 2048 scheduling { die_scheduler: DIE_SCHEDULER_PRIORITY "
                  "suspend_for_reads: true channel_arbitration: CHANNEL_ARBITRATION_COMMAND_FIRST }"),
      "ssd_offload scheduling");
}

v1::JobSpec IscSpec(const std::string& model, const std::string& system_fields) {
  return Spec(absl::StrCat(model, " system { ssd_isc { ", system_fields, " } }"));
}

TEST(SsdIscTest, DecodeIsBoundedByAggregateChannelBandwidthOverFfnBytes) {
  auto r = RunJob(IscSpec(R"pb(model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 16 decode_tokens: 2 })pb",
                          ""));
  ASSERT_TRUE(r.ok()) << r.status();
  // Every FFN weight crosses one of 8 ONFI channels at 2400 MT/s x 8 bit.
  const double channels_bytes_per_s = 8 * 2.4e9;
  const double ffn_bytes = 32.0 * 3 * 4096 * 11008;
  EXPECT_LE(r->tokens_per_second(), channels_bytes_per_s / ffn_bytes);
  const double bus_us = r->time_per_token_breakdown().flash_bus_us();
  EXPECT_GE(bus_us, 1e6 * ffn_bytes / channels_bytes_per_s);
  // The channels are what bound it: within 10% of the ideal stream.
  EXPECT_LE(bus_us, 1.10e6 * ffn_bytes / channels_bytes_per_s);
}

TEST(SsdIscTest, HalfTheChannelRateDoublesTheFfnTime) {
  const std::string model =
      R"pb(model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 16 decode_tokens: 2 })pb";
  auto fast = RunJob(IscSpec(model, "flash { timing { channel_mts: 2400 } }"));
  auto slow = RunJob(IscSpec(model, "flash { timing { channel_mts: 1200 } }"));
  ASSERT_TRUE(fast.ok() && slow.ok());
  EXPECT_NEAR(slow->time_per_token_breakdown().flash_bus_us() / fast->time_per_token_breakdown().flash_bus_us(), 2.0,
              0.1);
}

TEST(SsdIscTest, NvllmWithTheSameDiesIsFaster) {
  const std::string model =
      R"pb(model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 16 decode_tokens: 2 })pb";
  auto isc = RunJob(IscSpec(model, ""));
  auto nvllm = RunJob(Spec(absl::StrCat(model, " system { nvllm {} }")));
  ASSERT_TRUE(isc.ok() && nvllm.ok());
  EXPECT_GT(nvllm->tokens_per_second(), isc->tokens_per_second());
}

TEST(SsdIscTest, DigestsAgreeAcrossPartitionsAndSync) {
  ExpectSameDigestEverywhere(IscSpec(kSmallModel, "flash { planes_per_die: 8 }"), "ssd_isc");
}

TEST(SsdSystemsTest, BadFieldsNameTheFieldAndTheAllowedRange) {
  struct Case {
    std::string spec;
    const char* message;
  } cases[] = {
      {absl::StrCat(kSmallModel, " system { ssd_offload { readahead_kib: 6 } }"),
       "system.ssd_offload.readahead_kib = 6; allowed: a multiple of 4"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { readahead_windows: 100 } }"),
       "system.ssd_offload.readahead_windows = 100; allowed: 1 to 64"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { scheduling { suspend_for_reads: true } } }"),
       "system.ssd_offload.scheduling.suspend_for_reads = true; allowed: only with "
       "system.ssd_offload.scheduling.die_scheduler = DIE_SCHEDULER_PRIORITY"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { scheduling { die_scheduler: 7 } } }"),
       "system.ssd_offload.scheduling.die_scheduler = 7; allowed: one of DIE_SCHEDULER_UNSPECIFIED, DIE_SCHEDULER_FIFO, "
      "DIE_SCHEDULER_PRIORITY"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { scheduling { channel_arbitration: 9 } } }"),
       "system.ssd_offload.scheduling.channel_arbitration = 9; allowed: one of CHANNEL_ARBITRATION_UNSPECIFIED, "
      "CHANNEL_ARBITRATION_FIFO, CHANNEL_ARBITRATION_COMMAND_FIRST"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { page_cache_gib: 9 } }"),
       "system.ssd_offload.page_cache_gib = 9; allowed:"},
      {absl::StrCat(kSmallModel, " system { ssd_offload { page_cache_gib: -1 } }"),
       "system.ssd_offload.page_cache_gib = -1; allowed:"},
      {absl::StrCat(kSmallModel, " system { ssd_isc { flash { channels: 100 } } }"),
       "system.ssd_isc.flash.channels = 100; allowed: 1 to 64"},
      {absl::StrCat(kSmallModel, " system { ssd_isc { flash { timing { channel_mts: -20 } } } }"),
       "system.ssd_isc.flash.timing.channel_mts = -20; allowed: 1 to 100000"},
      {absl::StrCat(kSmallModel, " system { ssd_isc { flash { pe_macs_per_cycle: 8 } } }"),
       "system.ssd_isc.flash.pe_macs_per_cycle = 8; allowed: 0 (no compute in the dies)"},
      {absl::StrCat(kSmallModel, " system { ssd_isc { compute_macs_per_cycle: -2 } }"),
       "system.ssd_isc.compute_macs_per_cycle = -2; allowed: 1 to 65536"},
  };
  for (const Case& c : cases) testing::ExpectRejected(c.spec, c.message);
}

}  // namespace
}  // namespace strata::coordinator
