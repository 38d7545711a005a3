#include "services/systems/core/nand_spec.h"


namespace strata::systems {

void ApplyNandTiming(const v1::NandTimingSpec& t, nand::NandConfig* c) {
  c->timing.precharge = sim::SimTime::FromMicroseconds(t.precharge_us());
  c->timing.sense_per_level = sim::SimTime::FromMicroseconds(t.sense_per_level_us());
  c->timing.discharge = sim::SimTime::FromMicroseconds(t.discharge_us());
  c->timing.recycle = sim::SimTime::FromMicroseconds(t.recycle_us());
  c->bus.mega_transfers_per_s = static_cast<uint32_t>(t.channel_mts());
}

nand::Fidelity FidelityOf(v1::Fidelity fidelity) {
  return fidelity == v1::PAGE ? nand::Fidelity::kPage : nand::Fidelity::kStream;
}

nand::Fidelity FidelityOf(const v1::SimulationSpec& simulation) { return FidelityOf(simulation.fidelity()); }

BuiltJob::Resource FlashChannelsResource(std::vector<nand::NandChannel*> channels) {
  return {"flash_channels",
          [channels] {
            sim::SimTime busy;
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

BuiltJob::Resource FlashDiesResource(const nand::NandArray& array, uint32_t page_bytes) {
  std::vector<nand::NandDie*> dies;
  for (const auto& per_channel : array.dies) dies.insert(dies.end(), per_channel.begin(), per_channel.end());
  return {"flash_dies",
          [dies] {
            sim::SimTime busy;
            for (auto* d : dies) busy += d->stats().busy;
            return busy;
          },
          [dies, page_bytes] {
            int64_t pages = 0;
            for (auto* d : dies) pages += static_cast<int64_t>(d->stats().pages_computed);
            return pages * page_bytes;
          },
          static_cast<int64_t>(dies.size())};
}

}  // namespace strata::systems
