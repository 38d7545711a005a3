// DFTL on plain I/O jobs (system.ssd_offload.drive.mapping_cache_entries):
// a lookup that misses the cached mapping table reads its translation page
// through the same dies and channels as data (one array read and one
// codeword more per miss), a cache of the whole table is the table in DRAM
// to the digest, the run is the same on any partitioning, and the field's
// errors name it.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "tests/job_test_util.h"

namespace strata::coordinator {
namespace {

v1::JobResult RunIo(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return {};
  auto r = RunJob(*spec);
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << text;
  return r.ok() ? *r : v1::JobResult{};
}

// QD 1 random 4 KiB reads over 8 GiB (524,288 16 KiB pages, 128 translation
// pages of 4096 entries) with 1024 cached entries: the hit ratio is C / S =
// 0.2%, so nearly every read first reads its translation page. Nothing
// contends at QD 1, so the mean latency rises by the miss ratio times one
// lookup read: command cycles, tR of the translation page (AiF's TLC: 37,
// 46 or 37 us by page type), one 1 KiB codeword out (0.51 us at 2000 MT/s)
// and its decode (0.16 us).
TEST(DftlJobTest, RandomReadsThatMissAddOneTranslationReadEach) {
  const std::string io = "ssd_io { block_kib: 4 queue_depth: 1 commands: 2000 span_gib: 8 } ";
  const v1::JobResult dram = RunIo(io + "system { ssd_offload {} }");
  const v1::JobResult dftl = RunIo(io + "system { ssd_offload { drive { mapping_cache_entries: 1024 } } }");
  const auto& d = dftl.ssd_io();
  EXPECT_EQ(d.commands(), 2000u);
  EXPECT_EQ(d.errors(), 0u);
  EXPECT_EQ(d.mapping_lookups(), 2000u);
  EXPECT_LT(d.mapping_cache_hit_ratio(), 0.01);
  const double misses = static_cast<double>(d.mapping_lookups()) * (1 - d.mapping_cache_hit_ratio());
  // Reads dirty nothing; the fill's last entries, still dirty, leave the
  // cache once, in one write-back (a read-modify-write).
  EXPECT_LE(d.translation_page_writes(), 1u);
  EXPECT_EQ(d.translation_page_reads(), static_cast<uint64_t>(misses + 0.5) + d.translation_page_writes());
  const double per_miss = (d.read().mean_us() - dram.ssd_io().read().mean_us()) * 2000 / misses;
  std::printf("DFTL QD1: mean %.2f us vs %.2f us in DRAM; hit ratio %.4f; %.2f us per miss\n", d.read().mean_us(),
              dram.ssd_io().read().mean_us(), d.mapping_cache_hit_ratio(), per_miss);
  EXPECT_GT(per_miss, 37 + 0.14 + 0.51);
  EXPECT_LT(per_miss, 46 + 0.14 + 0.51 + 0.16 + 0.5);
  // The in-DRAM run reports no DFTL figures.
  EXPECT_EQ(dram.ssd_io().mapping_lookups(), 0u);
}

// A cache of the whole table (more entries than the FTL's logical pages)
// never misses after an entry's first use, and the fill's misses find no
// translation page on flash: no translation-page operation, so the same
// run as the table in DRAM, to the digest, with reads, writes and GC.
TEST(DftlJobTest, ACacheOfTheWholeTableIsTheTableInDram) {
  const std::string io =
      "ssd_io { block_kib: 16 queue_depth: 8 write_fraction: 0.5 commands: 3000 span_gib: 0 random_prewrites: 200000 } ";
  const v1::JobResult dram = RunIo(io + "system { ssd_offload {} }");
  const v1::JobResult dftl = RunIo(io + "system { ssd_offload { drive { mapping_cache_entries: 100000000 } } }");
  EXPECT_GT(dram.ssd_io().gc_page_copies(), 0u);
  EXPECT_EQ(dftl.ssd_io().mapping_cache_hit_ratio(), 1.0);
  EXPECT_EQ(dftl.ssd_io().translation_page_reads() + dftl.ssd_io().translation_page_writes(), 0u);
  EXPECT_EQ(dftl.digest(), dram.digest());
  EXPECT_EQ(dftl.ssd_io().all().mean_us(), dram.ssd_io().all().mean_us());
}

// Random reads and writes with a small cache: lookups, write-backs and
// translation GC on 1 and 2 partitions x both sync algorithms give one
// digest, and it differs from the table in DRAM.
TEST(DftlJobTest, DftlRunsKeepTheirDigestAcrossPartitions) {
  const std::string io = "ssd_io { block_kib: 16 queue_depth: 16 write_fraction: 0.5 commands: 400 span_gib: 0.25 }";
  auto spec = ParseJobSpecText(io + " system { ssd_offload { drive { mapping_cache_entries: 256 } } }");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::string reference = testing::ExpectSameDigestEverywhere(*spec, {1, 2}, "ssd_io dftl");
  ASSERT_FALSE(reference.empty());
  const v1::JobResult dftl = RunIo(io + " system { ssd_offload { drive { mapping_cache_entries: 256 } } }");
  EXPECT_GT(dftl.ssd_io().translation_page_writes(), 0u);  // dirty evictions were written back
  EXPECT_GT(dftl.ssd_io().translation_page_reads(), 0u);
  const v1::JobResult dram = RunIo(io + " system { ssd_offload {} }");
  EXPECT_NE(dram.digest(), reference);
}

// Plane allocation order (drive.plane_allocation): sequential 16 KiB reads,
// one page per command, QD 4 on AiF's 8 channels x 2 dies x 4 planes.
// Channel first (CWDP, the default), the 4 pages in flight are on 4
// channels and overlap; plane first (PWDC), 4 consecutive pages are the 4
// planes of one die, so the window of 4 spans at most 2 dies, whose
// single-plane reads of separate commands take turns (multi-plane reads
// form only within a command): measured 1.75x fewer IOPS (65.1 k against
// 37.3 k). At QD 1 the orders do the same.
TEST(DftlJobTest, PlaneAllocationDecidesWhichDiesASequentialStreamUses) {
  auto run = [](int qd, const std::string& order) {
    return RunIo(absl::StrCat("ssd_io { pattern: SEQUENTIAL block_kib: 16 queue_depth: ", qd,
                              " commands: 2000 span_gib: 1 } system { ssd_offload { drive { ", order, " } } }"));
  };
  const v1::JobResult cwdp = run(4, "");
  const v1::JobResult pwdc = run(4, "plane_allocation: PLANE_ALLOCATION_PWDC");
  const double ratio = cwdp.ssd_io().iops() / pwdc.ssd_io().iops();
  std::printf("QD 4 sequential 16 KiB reads: CWDP %.0f IOPS, PWDC %.0f IOPS (x%.2f)\n", cwdp.ssd_io().iops(),
              pwdc.ssd_io().iops(), ratio);
  EXPECT_GT(ratio, 1.4);
  const v1::JobResult cwdp1 = run(1, "");
  const v1::JobResult pwdc1 = run(1, "plane_allocation: PLANE_ALLOCATION_PWDC");
  EXPECT_NEAR(pwdc1.ssd_io().iops() / cwdp1.ssd_io().iops(), 1.0, 0.05);
  // Naming the default order is the default run.
  EXPECT_EQ(run(4, "plane_allocation: PLANE_ALLOCATION_CWDP").digest(), cwdp.digest());
}

TEST(DftlJobTest, FieldErrorsNameTheField) {
  const std::string io = "ssd_io { commands: 10 span_gib: 1 } ";
  for (const auto& [system, message] : std::vector<std::pair<std::string, std::string>>{
           {"system { ssd_offload { drive { mapping_cache_entries: -1 } } }",
            "system.ssd_offload.drive.mapping_cache_entries = -1"},
           {"system { ssd_offload { ftl_mapping: FTL_MAPPING_BLOCK drive { mapping_cache_entries: 10 } } }",
            "system.ssd_offload.drive.mapping_cache_entries = 10"},
       }) {
    auto spec = ParseJobSpecText(io + system);
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto r = RunJob(*spec);
    ASSERT_FALSE(r.ok()) << system;
    EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr(message));
  }
}

}  // namespace
}  // namespace strata::coordinator
