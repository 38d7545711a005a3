// Fidelity knob: STREAM runs a die's uncontended run of pages as one event;
// PAGE issues every array read, decode, compute and transfer as events. The
// two must agree: timing exactly (response times and every statistic but
// the bit-error draws), and bit errors in distribution (STREAM draws them
// per run, PAGE per page), with reliability on so errors are plentiful.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "flash/nand_channel.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using sim::SimTime;
using testing::MakeBench;
using testing::ModelDigest;
using testing::TestRequester;

const SimTime kLink = SimTime::Nanoseconds(10);
SimTime Us(double us) { return SimTime::FromMicroseconds(us); }

NandConfig FidelityConfig(uint32_t channels, uint32_t dies) {
  NandConfig c = AifDefaultNandConfig();
  c.geometry.channels = channels;
  c.geometry.dies_per_channel = dies;
  c.geometry.blocks_per_plane = 8;
  c.reliability.initial_pe_cycles = 3000;  // worn: bit errors and some ECCLITE failures
  c.reliability.initial_retention_years = 0.5;
  return c;
}

NandRequest Req(NandOp op, uint64_t id, uint32_t block, uint32_t page, uint16_t count, uint8_t stride, uint8_t planes,
                uint8_t die = 0) {
  NandRequest r;
  r.id = id;
  r.op = op;
  r.block = block;
  r.page = page;
  r.page_count = count;
  r.page_stride = stride;
  r.plane_count = planes;
  r.die = die;
  if (op == NandOp::kGemv) {
    r.vector_dim = 1024;
    r.output_rows = 16u * count * planes;  // 16 x 1024 weights per page
  }
  return r;
}

struct Outcome {
  uint64_t timing_digest = 0;  // everything but the bit-error draws
  uint64_t bit_errors = 0;
  uint64_t ecclite_corrected = 0;
  uint64_t model_digest = 0;
  uint64_t events = 0;
  uint64_t stream_runs = 0;
  std::vector<SimTime> times;
};

// Bit errors from two independent draws of the same law: both plentiful and
// close (the runs see ~1e5 bit errors in thousands of codewords: one
// standard deviation is well under 1% of the bits and ~2% of the codewords).
void ExpectSameErrorLaw(const Outcome& page, const Outcome& stream) {
  EXPECT_GT(page.bit_errors, 1000u);
  EXPECT_NEAR(static_cast<double>(stream.bit_errors) / static_cast<double>(page.bit_errors), 1.0, 0.05);
  if (page.ecclite_corrected > 0) {
    EXPECT_NEAR(static_cast<double>(stream.ecclite_corrected) / static_cast<double>(page.ecclite_corrected), 1.0,
                0.08);
  }
}

Outcome RunAt(NandConfig c, Fidelity f, const std::vector<TestRequester::Scripted>& script, int partitions = 1,
              sim::SyncAlgorithm sync = sim::SyncAlgorithm::kWindow) {
  c.fidelity = f;
  auto b = MakeBench(c, script, kLink);
  Outcome o;
  if (b == nullptr) return o;
  // be-enc on block 1 of every plane of every die (AiF's weight blocks).
  for (auto& ch : b->array.dies) {
    for (NandDie* d : ch) {
      for (uint32_t p = 0; p < c.geometry.planes_per_die; ++p) d->SetBlockCoding(p, 1, BlockCoding::kBiasErrorEncoding);
    }
  }
  sim::RunOptions opt;
  opt.partitions = partitions;
  opt.sync = sync;
  auto r = sim::Run(b->sim, opt);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return o;
  o.model_digest = ModelDigest(*b);
  sim::DigestBuilder timing;
  for (size_t ch = 0; ch < b->array.channels.size(); ++ch) {
    const NandChannel::Stats& cs = b->array.channels[ch]->stats();
    timing.Add(cs.commands).Add(cs.bytes_out).Add(cs.bytes_in).Add(cs.partial_sum_bytes).Add(cs.bus_busy);
    for (const NandDie* d : b->array.dies[ch]) {
      const NandDie::Stats& s = d->stats();
      timing.Add(s.commands).Add(s.pages_read).Add(s.cr_reads).Add(s.retry_reads).Add(s.bytes_out).Add(s.busy);
      timing.Add(s.array_busy).Add(s.pages_computed).Add(s.macs).Add(s.partial_sum_bytes).Add(s.pe_busy);
      o.bit_errors += s.bit_errors;
      o.ecclite_corrected += s.ecclite_corrected_codewords;
    }
  }
  o.timing_digest = timing.value();
  o.events = r->committed_events;
  for (auto& ch : b->array.dies) {
    for (NandDie* d : ch) o.stream_runs += d->stats().stream_runs;
  }
  for (const auto& s : script) {
    const auto* got = b->requester->Find(s.request.id);
    o.times.push_back(got ? got->time : SimTime::Infinite());
  }
  return o;
}

std::vector<TestRequester::Scripted> Mixed(NandOp op, uint8_t planes, uint8_t die = 0) {
  return {{0, Req(op, 1, 1, 0, 200, 3, planes, die)},               // be-enc LSB pages (cr-read chain)
          {0, Req(op, 2, 0, 5, 300, 1, planes, die), Us(50)},       // default coding, every page type
          {0, Req(op, 3, 1, 600, 40, 3, planes, die), Us(20'000)},  // later, after idling
          {0, Req(op, 4, 2, 0, 1, 1, planes, die), Us(20'000)}};
}

TEST(NandFidelityTest, StreamReadAgreesWithPageWhenUncontended) {
  for (bool cache_read : {true, false}) {
    for (bool cr : {true, false}) {
      for (uint8_t planes : {1, 4}) {
        NandConfig c = FidelityConfig(1, 1);
        c.timing.cache_read = cache_read;
        c.timing.cr_read = cr;
        const Outcome page = RunAt(c, Fidelity::kPage, Mixed(NandOp::kRead, planes));
        const Outcome stream = RunAt(c, Fidelity::kStream, Mixed(NandOp::kRead, planes));
        SCOPED_TRACE(::testing::Message() << "cache_read " << cache_read << " cr " << cr << " planes " << int{planes});
        EXPECT_EQ(stream.times, page.times);
        EXPECT_EQ(stream.timing_digest, page.timing_digest);
        ExpectSameErrorLaw(page, stream);
        EXPECT_EQ(page.stream_runs, 0u);
        EXPECT_EQ(stream.stream_runs, 4u);
        EXPECT_LT(stream.events * 20, page.events);
      }
    }
  }
}

TEST(NandFidelityTest, StreamGemvAgreesWithPage) {
  for (PePlacement place : {PePlacement::kPerDie, PePlacement::kPerPlane}) {
    for (bool dedicated : {false, true}) {
      for (EccKind ecc : {EccKind::kEccLite, EccKind::kNone}) {
        NandConfig c = FidelityConfig(1, 1);
        c.timing.cr_read = true;
        c.pe.placement = place;
        c.pe.dedicated_output_path = dedicated;
        c.ecc.kind = ecc;
        const Outcome page = RunAt(c, Fidelity::kPage, Mixed(NandOp::kGemv, 4));
        const Outcome stream = RunAt(c, Fidelity::kStream, Mixed(NandOp::kGemv, 4));
        SCOPED_TRACE(::testing::Message() << "placement " << int(place) << " dedicated " << dedicated);
        EXPECT_EQ(stream.times, page.times);
        EXPECT_EQ(stream.timing_digest, page.timing_digest);
        ExpectSameErrorLaw(page, stream);
        EXPECT_EQ(stream.stream_runs, 4u);
        EXPECT_LT(stream.events * 20, page.events);
      }
    }
  }
}

// Two dies share each channel and run at once: reads contend for the bus,
// so STREAM keeps them at PAGE fidelity (no read streams); GEMVs stream
// (their pages never touch the bus) and their partial sums queue on the bus
// with the other die's data-outs as at PAGE fidelity. Timing still agrees.
TEST(NandFidelityTest, StreamFallsBackToPageUnderChannelContention) {
  NandConfig c = FidelityConfig(2, 2);
  c.timing.cr_read = true;
  std::vector<TestRequester::Scripted> script;
  uint64_t id = 100;
  for (uint32_t ch = 0; ch < 2; ++ch) {
    for (auto s : Mixed(NandOp::kGemv, 4, 0)) {
      s.channel = ch;
      s.request.id = ++id;
      script.push_back(s);
    }
    for (auto s : Mixed(NandOp::kRead, 2, 1)) {  // die 1 reads while die 0 computes
      s.channel = ch;
      s.request.id = ++id;
      script.push_back(s);
    }
    // A read on die 0 between GEMVs, contending with die 1's reads.
    script.push_back({ch, Req(NandOp::kRead, ++id, 3, 0, 50, 1, 4, 0), Us(100)});
  }
  const Outcome page = RunAt(c, Fidelity::kPage, script);
  const Outcome stream = RunAt(c, Fidelity::kStream, script);
  EXPECT_EQ(stream.times, page.times);
  EXPECT_EQ(stream.timing_digest, page.timing_digest);
  ExpectSameErrorLaw(page, stream);
  EXPECT_EQ(stream.stream_runs, 2u * 4);  // the GEMVs only
  EXPECT_LT(stream.events, page.events);
  for (SimTime t : page.times) EXPECT_NE(t, SimTime::Infinite());

  // The determinism contract holds at STREAM fidelity too: the same results
  // on 3 partitions (two channels and the requester) under both sync
  // algorithms.
  for (sim::SyncAlgorithm sync : {sim::SyncAlgorithm::kWindow, sim::SyncAlgorithm::kNullMessage}) {
    const Outcome parallel = RunAt(c, Fidelity::kStream, script, 3, sync);
    EXPECT_EQ(parallel.times, page.times);
    EXPECT_EQ(parallel.model_digest, stream.model_digest);
  }
}

}  // namespace
}  // namespace strata::nand
