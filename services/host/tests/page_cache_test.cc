// PageCache: the LRU policy by hand on a 3-chunk cache; Linux's two lists
// on cyclic scans (invariants only).
#include "memory/page_cache.h"

#include <gtest/gtest.h>

namespace strata::host {
namespace {

// Fill with 1, 2, 3; touch 1 (now the most recently used); inserting 4 must
// evict 2, the least recently used (a FIFO would evict 1, the oldest).
TEST(PageCacheTest, AHitMakesAChunkTheMostRecentlyUsedSoTheLeastRecentIsEvicted) {
  PageCache cache(3, PageCachePolicy::kLru);
  for (uint64_t c : {1, 2, 3}) cache.Insert(c);
  EXPECT_TRUE(cache.Touch(1));
  cache.Insert(4);
  EXPECT_TRUE(cache.Contains(1));
  EXPECT_FALSE(cache.Contains(2));
  EXPECT_TRUE(cache.Contains(3));
  EXPECT_TRUE(cache.Contains(4));
  // Re-inserting a cached chunk refreshes it too: 3 survives the next
  // eviction, 1 (least recent now) goes.
  cache.Insert(3);
  cache.Insert(5);
  EXPECT_FALSE(cache.Contains(1));
  EXPECT_TRUE(cache.Contains(3));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 0u);
  EXPECT_EQ(cache.inserts(), 5u);  // 1, 2, 3, 4, 5: the re-insert of 3 only moved it
  EXPECT_EQ(cache.evictions(), 2u);
  EXPECT_FALSE(cache.Touch(2));
  EXPECT_EQ(cache.misses(), 1u);
}

// A cyclic scan of 4 chunks through a 3-chunk LRU never hits (each chunk is
// evicted just before its next use), the header's argument for plain LRU.
TEST(PageCacheTest, ACyclicScanLargerThanTheCacheNeverHitsUnderLru) {
  PageCache cache(3, PageCachePolicy::kLru);
  for (int pass = 0; pass < 5; ++pass) {
    for (uint64_t c = 0; c < 4; ++c) {
      if (!cache.Touch(c)) cache.Insert(c);
    }
  }
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 20u);
  // A scan that fits hits every time after the first pass.
  PageCache fits(4, PageCachePolicy::kLru);
  for (int pass = 0; pass < 5; ++pass) {
    for (uint64_t c = 0; c < 4; ++c) {
      if (!fits.Touch(c)) fits.Insert(c);
    }
  }
  EXPECT_EQ(fits.hits(), 16u);
}

// Hit rate of a cyclic scan over `file` chunks (what decode does to the
// weights file), after a first cold pass: the CPU touches each chunk; a
// miss reads it and maps it at once (accessed).
double CyclicHitRate(uint64_t file, uint64_t cache_chunks, PageCachePolicy policy, uint32_t ratio = 1,
                     uint64_t anon = 0) {
  PageCache cache(cache_chunks, policy, ratio, anon);
  const int passes = 12;
  for (int pass = 0; pass < passes; ++pass) {
    for (uint64_t c = 0; c < file; ++c) {
      if (!cache.Touch(c)) cache.Insert(c, true);
    }
  }
  const uint64_t warm = file * (passes - 1);
  const uint64_t warm_hits = cache.hits();  // the cold pass cannot hit
  EXPECT_LE(cache.size(), cache_chunks);
  return static_cast<double>(warm_hits) / static_cast<double>(warm);
}

// Linux's two lists keep part of a file a little larger than the cache
// only through refault activation: with anonymous memory in the workingset
// (swap on) refaults whose distance fits are activated and hit on the next
// pass; without it the cyclic scan misses everything, as under one LRU list.
TEST(PageCacheTest, TwoListsKeepPartOfAFileALittleLargerThanTheCache) {
  EXPECT_EQ(CyclicHitRate(110, 100, PageCachePolicy::kLru), 0.0);
  EXPECT_EQ(CyclicHitRate(110, 100, PageCachePolicy::kLinuxTwoList, 1, 0), 0.0);
  const double two = CyclicHitRate(110, 100, PageCachePolicy::kLinuxTwoList, 1, 40);
  EXPECT_GT(two, 0.0);
  EXPECT_LT(two, 100.0 / 110.0 + 1e-9);  // never more than the cache can hold
  // A file that fits hits on every warm pass under both.
  EXPECT_EQ(CyclicHitRate(90, 100, PageCachePolicy::kLinuxTwoList, 2), 1.0);
  EXPECT_EQ(CyclicHitRate(90, 100, PageCachePolicy::kLru), 1.0);
}

// The invariants the Memory+SSD baseline rests on: the hit rate rises with
// the cache size and falls with the file (model) size.
TEST(PageCacheTest, HitRateRisesWithCacheSizeAndFallsWithFileSize) {
  for (uint32_t ratio : {1u, 2u, 8u}) {
   for (uint64_t anon : {0u, 20u, 40u}) {
    double previous = -1;
    for (uint64_t cache : {20, 40, 60, 80, 100, 120, 140, 160, 180, 200}) {
      const double h = CyclicHitRate(200, cache, PageCachePolicy::kLinuxTwoList, ratio, anon);
      EXPECT_GE(h, previous) << "ratio " << ratio << " cache " << cache;
      previous = h;
    }
    EXPECT_EQ(previous, 1.0);  // the file fits the largest cache
    previous = 2;
    for (uint64_t file : {50, 100, 110, 120, 150, 200, 300, 400, 800}) {
      const double h = CyclicHitRate(file, 100, PageCachePolicy::kLinuxTwoList, ratio, anon);
      EXPECT_LE(h, previous) << "ratio " << ratio << " file " << file;
      previous = h;
    }
   }
  }
}

TEST(PageCacheTest, InactiveRatioIsLinuxsIntSqrtOfTenTimesGiB) {
  EXPECT_EQ(PageCache::InactiveRatio(512ull << 20), 1u);
  EXPECT_EQ(PageCache::InactiveRatio(1ull << 30), 3u);   // int_sqrt(10)
  EXPECT_EQ(PageCache::InactiveRatio(7ull << 30), 8u);   // int_sqrt(70)
  EXPECT_EQ(PageCache::InactiveRatio(10ull << 30), 10u);
}

}  // namespace
}  // namespace strata::host
