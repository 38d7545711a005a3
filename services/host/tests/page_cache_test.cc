// PageCache as the LRU its header promises, by hand on a 3-chunk cache.
#include "memory/page_cache.h"

#include <gtest/gtest.h>

namespace strata::host {
namespace {

// Fill with 1, 2, 3; touch 1 (now the most recently used); inserting 4 must
// evict 2, the least recently used (a FIFO would evict 1, the oldest).
TEST(PageCacheTest, AHitMakesAChunkTheMostRecentlyUsedSoTheLeastRecentIsEvicted) {
  PageCache cache(3);
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
TEST(PageCacheTest, ACyclicScanLargerThanTheCacheNeverHits) {
  PageCache cache(3);
  for (int pass = 0; pass < 5; ++pass) {
    for (uint64_t c = 0; c < 4; ++c) {
      if (!cache.Touch(c)) cache.Insert(c);
    }
  }
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 20u);
  // A scan that fits hits every time after the first pass.
  PageCache fits(4);
  for (int pass = 0; pass < 5; ++pass) {
    for (uint64_t c = 0; c < 4; ++c) {
      if (!fits.Touch(c)) fits.Insert(c);
    }
  }
  EXPECT_EQ(fits.hits(), 16u);
}

}  // namespace
}  // namespace strata::host
