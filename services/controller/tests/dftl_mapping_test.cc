// DFTL (ftl/dftl_mapping.h): the cached mapping table's LRU and dirty
// bookkeeping, the translation-page traffic of sequential and random
// workloads against counts worked out by hand, translation-block GC, and a
// cache of the whole table behaving exactly as the table in DRAM.
#include "ftl/dftl_mapping.h"

#include <gtest/gtest.h>

#include <vector>

#include "ftl/cached_mapping_table.h"
#include "ftl/page_ftl.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

constexpr uint32_t kBlocks = 128;

FtlConfig SmallFtl() {
  FtlConfig c;
  c.planes = 4;
  c.blocks_per_plane = kBlocks;
  c.pages_per_block = 64;
  c.bits_per_cell = 1;
  c.over_provisioning = 0.07;
  return c;
}

// 1 KiB translation pages' worth of 4-byte entries: small enough that a
// small drive has tens of translation pages.
constexpr uint32_t kEntries = 256;

std::unique_ptr<DftlMapping> MakeDftl(uint64_t cache_entries) {
  DftlConfig d;
  d.cache_entries = cache_entries;
  d.entries_per_page = kEntries;
  d.lookup_read_bytes = 1024;
  auto m = DftlMapping::Create(SmallFtl(), d);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : nullptr;
}

TEST(CachedMappingTableTest, EvictsTheLeastRecentlyUsedAndCleansAPageTogether) {
  CachedMappingTable t(/*capacity=*/3, /*entries_per_page=*/4);
  EXPECT_FALSE(t.Insert(0, true).has_value());
  EXPECT_FALSE(t.Insert(1, true).has_value());
  EXPECT_FALSE(t.Insert(5, false).has_value());
  EXPECT_TRUE(t.Touch(0));  // order now 0, 5, 1 (most recent first)
  auto out = t.Insert(9, false);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->lpn, 1u);
  EXPECT_TRUE(out->dirty);
  EXPECT_EQ(t.dirty(), 1u);
  t.MarkDirty(5);
  EXPECT_EQ(t.CleanPage(0), 1u);  // entry 0 (page 0 = LPNs 0..3)
  EXPECT_EQ(t.CleanPage(1), 1u);  // entry 5
  EXPECT_EQ(t.dirty(), 0u);
  EXPECT_FALSE(t.IsDirty(0));
  out = t.Insert(2, false);  // evicts 5, now clean
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->lpn, 5u);
  EXPECT_FALSE(out->dirty);
}

// A fresh drive written in order with a cache of one translation page's
// entries: every write misses (a new entry), the pages' entries are evicted
// dirty in LPN order, and the first eviction of each page writes all of it
// back (batch update): k pages written give k - 1 translation writes (the
// last stays cached) and no translation read (nothing was on flash). A
// write-back per dirty entry would give (k - 1) x 256.
TEST(DftlMappingTest, SequentialWritesWriteEachTranslationPageBackOnce) {
  auto dftl = MakeDftl(kEntries);
  ASSERT_NE(dftl, nullptr);
  constexpr uint64_t k = 20;
  std::vector<FlashOp> ops;
  for (uint64_t lpn = 0; lpn < k * kEntries; ++lpn) ASSERT_TRUE(dftl->Write(lpn, &ops).ok());
  const FtlStats& s = dftl->stats();
  EXPECT_EQ(s.mapping_lookups, k * kEntries);
  EXPECT_EQ(s.mapping_hits, 0u);
  EXPECT_EQ(s.translation_writes, k - 1);
  EXPECT_EQ(s.translation_reads, 0u);
  uint64_t programs = 0;
  for (const FlashOp& op : ops) programs += op.cause == OpCause::kMapping && op.kind == FlashOpKind::kProgram;
  EXPECT_EQ(programs, k - 1);

  // Reading them back in order floods the LRU: every lookup misses and
  // reads its translation page (one codeword), and the last page's dirty
  // entries are written back once when they are evicted.
  ops.clear();
  for (uint64_t lpn = 0; lpn < k * kEntries; ++lpn) ASSERT_TRUE(dftl->Read(lpn, &ops).ok());
  EXPECT_EQ(dftl->stats().mapping_hits, 0u);
  EXPECT_EQ(dftl->stats().translation_reads, k * kEntries);
  EXPECT_EQ(dftl->stats().translation_writes, k);
  for (const FlashOp& op : ops) {
    if (op.cause == OpCause::kMapping && op.kind == FlashOpKind::kRead) {
      EXPECT_EQ(op.read_bytes, 1024u);
    }
  }
  // A span that fits the cache hits on its second pass.
  const FtlStats before = dftl->stats();
  for (int pass = 0; pass < 2; ++pass) {
    for (uint64_t lpn = 0; lpn < kEntries / 2; ++lpn) ASSERT_TRUE(dftl->Read(lpn, &ops).ok());
  }
  EXPECT_EQ(dftl->stats().mapping_hits - before.mapping_hits, kEntries / 2);
}

// Uniform random reads over S logical pages with C cached entries: an LRU
// cache under independent uniform references holds C of the S pages, so
// the hit ratio is C / S; every miss reads one translation page.
TEST(DftlMappingTest, RandomReadsHitTheCachedShareOfTheSpan) {
  constexpr uint64_t kCache = 1024;
  auto dftl = MakeDftl(kCache);
  ASSERT_NE(dftl, nullptr);
  const uint64_t span = dftl->logical_pages();
  ASSERT_TRUE(FillSequential(*dftl, 0, span).ok());
  sim::RandomStream rng(7, 1);
  std::vector<FlashOp> ops;
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(dftl->Read(rng.UniformInt(span), &ops).ok());  // warm-up
  const FtlStats before = dftl->stats();
  constexpr uint64_t n = 40000;
  uint64_t lookup_reads = 0;  // translation-page reads in the ops, before each data read
  for (uint64_t i = 0; i < n; ++i) {
    ops.clear();
    ASSERT_TRUE(dftl->Read(rng.UniformInt(span), &ops).ok());
    ASSERT_FALSE(ops.empty());
    ASSERT_EQ(ops.back().cause, OpCause::kHost);
    for (const FlashOp& op : ops) lookup_reads += op.cause == OpCause::kMapping && op.kind == FlashOpKind::kRead;
  }
  const FtlStats& s = dftl->stats();
  const double hit = static_cast<double>(s.mapping_hits - before.mapping_hits) / n;
  EXPECT_NEAR(hit, static_cast<double>(kCache) / static_cast<double>(span), 0.005) << "span " << span;
  // Reads dirty nothing: no write-backs once the fill's dirty entries left.
  EXPECT_EQ(s.translation_writes, before.translation_writes);
  EXPECT_EQ(s.translation_reads - before.translation_reads, n - (s.mapping_hits - before.mapping_hits));
  EXPECT_EQ(lookup_reads, s.translation_reads - before.translation_reads);
}

// Random overwrites with a small cache: dirty evictions write translation
// pages back (a read-modify-write each, the page being on flash after the
// fill), the translation blocks fill and are collected, and every
// translation-page op stays in the translation blocks (after the data
// blocks), each page valid exactly once on its unit.
TEST(DftlMappingTest, DirtyEvictionsWriteBackAndTranslationBlocksAreCollected) {
  auto dftl = MakeDftl(512);
  ASSERT_NE(dftl, nullptr);
  const uint64_t span = dftl->logical_pages();
  ASSERT_TRUE(FillSequential(*dftl, 0, span).ok());
  sim::RandomStream rng(11, 2);
  // Warm-up: the fill's last entries, still cached dirty, get evicted and
  // their translation pages written, so every page is on flash after it.
  ASSERT_TRUE(UniformWrites(*dftl, rng, 0, span, 5000).ok());
  for (uint64_t tp = 0; tp < dftl->area().translation_pages(); ++tp) ASSERT_TRUE(dftl->area().OnFlash(tp));
  const FtlStats before = dftl->stats();
  std::vector<FlashOp> ops;
  const uint32_t t = dftl->area().blocks_per_plane();
  for (int i = 0; i < 30000; ++i) {
    ops.clear();
    ASSERT_TRUE(dftl->Write(rng.UniformInt(span), &ops).ok());
    for (const FlashOp& op : ops) {
      if (op.cause != OpCause::kMapping) {
        ASSERT_LT(op.addr.block, kBlocks);
        continue;
      }
      ASSERT_GE(op.addr.block, kBlocks);
      ASSERT_LT(op.addr.block, kBlocks + t);
    }
  }
  const FtlStats& s = dftl->stats();
  const uint64_t writes = s.translation_writes - before.translation_writes;
  EXPECT_GT(writes, 1000u);
  // Each write-back of a page already on flash reads it first; misses read too.
  const uint64_t misses = (s.mapping_lookups - before.mapping_lookups) - (s.mapping_hits - before.mapping_hits);
  EXPECT_EQ(s.translation_reads - before.translation_reads, misses + writes);
  EXPECT_GT(s.translation_erases, 0u);
  EXPECT_GT(s.gc_page_copies, 0u);  // data GC ran too (its moved entries are written back)
  const uint64_t tpages = dftl->area().translation_pages();
  for (uint32_t plane = 0; plane < 4; ++plane) {
    uint64_t on_flash = 0;
    for (uint64_t tp = plane; tp < tpages; tp += 4) on_flash += dftl->area().OnFlash(tp);
    EXPECT_EQ(dftl->area().ValidPages(plane), on_flash) << "unit " << plane;
  }
}

// Data GC moves pages whose entries are not cached: their translation
// pages are rewritten (DFTL's batch update of GC). With a one-entry cache
// under random overwrites every write misses and evicts the previous,
// dirty entry: misses - 1 write-backs; the rest are GC's.
TEST(DftlMappingTest, DataGcRewritesTheTranslationPagesOfMovedPages) {
  auto dftl = MakeDftl(1);
  ASSERT_NE(dftl, nullptr);
  const uint64_t span = dftl->logical_pages();
  ASSERT_TRUE(FillSequential(*dftl, 0, span).ok());
  const FtlStats before = dftl->stats();
  sim::RandomStream rng(5, 4);
  ASSERT_TRUE(UniformWrites(*dftl, rng, 0, span, 20000).ok());
  const FtlStats& s = dftl->stats();
  const uint64_t misses = (s.mapping_lookups - before.mapping_lookups) - (s.mapping_hits - before.mapping_hits);
  const uint64_t evictions = misses;  // each miss evicts the entry before it, dirty (written)
  ASSERT_GT(s.gc_page_copies - before.gc_page_copies, 0u);
  EXPECT_GT(s.translation_writes - before.translation_writes, evictions);
}

// A cache of the whole table never misses after an entry's first use, and a
// fresh drive's translation pages are never on flash, so DFTL issues no
// translation op: the same flash ops as PageFtl, op for op, and the same
// digest.
TEST(DftlMappingTest, ACacheOfTheWholeTableIsThePageFtl) {
  auto page = PageFtl::Create(SmallFtl());
  ASSERT_TRUE(page.ok());
  auto dftl = MakeDftl(uint64_t{SmallFtl().planes} * kBlocks * 64);
  ASSERT_NE(dftl, nullptr);
  const uint64_t span = dftl->logical_pages();
  ASSERT_EQ(span, page->logical_pages());
  sim::RandomStream rng(3, 3);
  std::vector<FlashOp> a, b;
  for (uint64_t i = 0; i < 3 * span; ++i) {
    a.clear();
    b.clear();
    const uint64_t lpn = i < span ? i : rng.UniformInt(span);
    const bool read = i >= span && rng.Uniform01() < 0.3;
    ASSERT_TRUE((read ? page->Read(lpn, &a) : page->Write(lpn, &a)).ok());
    ASSERT_TRUE((read ? dftl->Read(lpn, &b) : dftl->Write(lpn, &b)).ok());
    ASSERT_EQ(a, b) << "call " << i;
  }
  EXPECT_GT(page->stats().gc_page_copies, 0u);
  EXPECT_EQ(dftl->stats().translation_reads + dftl->stats().translation_writes, 0u);
  EXPECT_EQ(dftl->Digest(), page->Digest());
}

TEST(DftlMappingTest, ConfigErrorsNameTheField) {
  DftlConfig d;
  d.cache_entries = 0;
  auto m = DftlMapping::Create(SmallFtl(), d);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("dftl.cache_entries = 0"), std::string::npos) << m.status();
}

}  // namespace
}  // namespace strata::controller
