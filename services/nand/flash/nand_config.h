// NAND flash configuration: geometry, array timing, channel bus, ECC and
// reliability of one SSD's flash back end. Plain structs for now; the proto
// schema (strata.v1) will mirror them field for field.
//
// AiF default (AifDefaultNandConfig): every number names its source. Where a
// source gives only a total, the phase split is derived and the derivation is
// written next to the field.
//
// Read-time model (AiF, ISCA'25, sec. 4.2; REFERENCE.md "AiF's published
// system"):
//   conventional tR = t_PRE + levels * t_SENSE + t_DISCH
//   cr-read      tR = t_RECY + levels * t_SENSE
// where `levels` is the number of read reference voltages the page type needs
// (t_EVAL in the paper = levels * t_SENSE).
//
// Derivation of the default phases from AiF's published totals:
//   (2,3,2) LSB 37 us = P + 2S + D,  CSB 46 us = P + 3S + D
//     => S = 46 - 37 = 9 us, P + D = 37 - 18 = 19 us.
//   Check be-enc (1,3,3): LSB = 19 + 9 = 28 us, CSB = MSB = 19 + 27 = 46 us,
//     exactly AiF's 28/46/46 us: the published numbers are consistent with a
//     per-level sense phase.
//   cr-read be-enc LSB 9.7 us = R + 1 * 9  => t_RECY = 0.7 us.
//   The split of P + D = 19 us into precharge and discharge is not published;
//   no published total depends on it (every latency uses the sum). We take
//   t_PRE = 14 us, t_DISCH = 5 us (precharge of the long 3D-NAND bitlines and
//   unselected wordlines dominates; assumption, replace when a source gives it).
#ifndef STRATA_NAND_FLASH_NAND_CONFIG_H_
#define STRATA_NAND_FLASH_NAND_CONFIG_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "strata/sim/time.h"

namespace strata::nand {

using sim::SimTime;

struct NandGeometry {
  uint32_t channels = 8;            // AiF: 8 channels
  uint32_t dies_per_channel = 2;    // AiF: 2 chips per channel (one die per chip)
  // Dies (ONFI LUNs) per chip (ONFI target: one chip enable, one I/O). Die d
  // of a channel is LUN d / chips of chip d % chips (chips = dies_per_channel
  // / dies_per_chip): the controller's channel-first striping fills the
  // chips before the second LUN of any, as MQSim's CWDP order does. What a
  // chip shares beyond the channel's bus is chip_interleave's choice.
  uint32_t dies_per_chip = 1;       // AiF: one die per chip
  uint32_t planes_per_die = 4;      // AiF: 4 planes per chip
  // Not published by AiF. 256 wordlines (e.g. 64 layers x 4 strings, a
  // typical 3D TLC block) and 1366 = ceil(2^40 B / (64 planes x 768 pages x
  // 16 KiB)) blocks give AiF's 1 TB (1 TiB) capacity.
  uint32_t blocks_per_plane = 1366;
  uint32_t wordlines_per_block = 256;
  uint32_t bits_per_cell = 3;       // AiF: TLC. 1 SLC, 2 MLC, 3 TLC, 4 QLC
  uint32_t page_bytes = 16384;      // AiF: 16 KiB page (user data; spare not modelled)

  uint32_t pages_per_block() const { return wordlines_per_block * bits_per_cell; }
  uint32_t dies() const { return channels * dies_per_channel; }
  uint32_t chips_per_channel() const { return dies_per_channel / dies_per_chip; }
  uint32_t ChipOf(uint32_t die_on_channel) const { return die_on_channel % chips_per_channel(); }
};

struct NandTiming {
  // Read phases (derivation in the file comment).
  SimTime precharge = SimTime::Microseconds(14);        // t_PRE, assumption (P + D = 19 us from AiF)
  SimTime sense_per_level = SimTime::Microseconds(9);   // t_SENSE, from AiF CSB - LSB = 46 - 37 us
  SimTime discharge = SimTime::Microseconds(5);         // t_DISCH, assumption (P + D = 19 us from AiF)
  SimTime recycle = SimTime::Nanoseconds(700);          // t_RECY, from AiF cr-read LSB 9.7 us - 9 us
  // REFERENCE.md 3D NAND table (typical TLC tPROG 300-700 us, tBERS 3-5 ms):
  // midpoints; replace with a datasheet value when one is chosen.
  SimTime program = SimTime::Microseconds(500);         // tPROG per (multi-plane) page program
  SimTime erase = SimTime::Microseconds(3500);          // tBERS per (multi-plane) block erase
  // ONFI command/address cycles are latched at SDR timing; ONFI 4.x SDR
  // timing mode 5 tWC = 20 ns.
  SimTime cmd_addr_cycle = SimTime::Nanoseconds(20);
  // ONFI: READ = 00h + 5 address + 30h; PROGRAM = 80h + 5 address + 10h;
  // ERASE = 60h + 3 row address + D0h. Multi-plane: one such group per plane.
  uint32_t read_cmd_addr_cycles = 7;
  uint32_t program_cmd_addr_cycles = 7;
  uint32_t erase_cmd_addr_cycles = 5;
  // Cache read (ONFI 31h): array read of page n+1 overlaps data-out of page n.
  bool cache_read = true;
  // cr-read (AiF): skip precharge/discharge for the next wordline of the same
  // block read back to back on a plane.
  bool cr_read = false;
  // Program / erase suspend (ONFI's optional suspend commands; used only for
  // a read flagged kFlagSuspend). The die stops the array operation, which
  // takes the suspend latency, serves the read, then resumes: the resume
  // overhead plus the time the operation still had left. ONFI gives no
  // values and AiF publishes none; vendor TLC parts list suspend latencies
  // of tens of microseconds. *typical* (assumption): 20 us to suspend a
  // program or an erase, 5 us to resume. (MQSim's defaults are more
  // pessimistic: 100 us for a program, 700 us for an erase.)
  SimTime program_suspend = SimTime::Microseconds(20);
  SimTime erase_suspend = SimTime::Microseconds(20);
  SimTime suspend_resume = SimTime::Microseconds(5);
  // A datasheet's times per page type (index 0 = LSB, then CSB, MSB, TSB),
  // for drives described by their datasheet rather than their read phases.
  // A read time > 0 replaces the phase model for a default-coded block read
  // without cr-read (be-enc blocks and charge-recycled reads keep the phase
  // model: a datasheet does not give them); a program time > 0 replaces
  // `program` for that page type. Zero (the default): the models above.
  std::array<SimTime, 4> read_by_page_type{};
  std::array<SimTime, 4> program_by_page_type{};
};

struct ChannelBus {
  uint32_t mega_transfers_per_s = 2000;  // AiF: ONFI 2.0 GB/s = 2000 MT/s x 8-bit bus
  uint32_t bus_width_bytes = 1;          // ONFI/Toggle: 8-bit DQ bus
  uint64_t bytes_per_second() const { return uint64_t{mega_transfers_per_s} * 1'000'000 * bus_width_bytes; }
};

enum class EccKind : uint8_t {
  kNone = 0,     // no decode stage; bit errors still counted
  kEccLite = 1,  // AiF's on-die BCH: fixed latency, t bits per codeword, failures counted
  kLdpc = 2,     // controller-side LDPC in the channel: latency grows with errors, read-retry
};

struct EccConfig {
  EccKind kind = EccKind::kEccLite;   // AiF: ECCLITE on every chip
  uint32_t codeword_bytes = 1024;     // AiF: 1 KiB codewords
  uint32_t ecclite_t = 10;            // AiF: corrects 10 bits per 1 KiB
  uint64_t ecclite_bytes_per_s = 6'400'000'000;  // AiF: 6.4 GB/s per chip
  // LDPC-like decoder. Assumptions (no single source; typical of published
  // SSD LDPC engines, replace when a source is chosen): corrects up to 72
  // bit errors per 1 KiB codeword (RBER ~ 0.9%), one iteration per 8 errors
  // in the worst codeword, 1 us setup + 0.25 us per iteration.
  uint32_t ldpc_t = 72;
  uint32_t ldpc_errors_per_iteration = 8;
  SimTime ldpc_base_latency = SimTime::Microseconds(1);
  SimTime ldpc_iteration_latency = SimTime::Nanoseconds(250);
  // Read-retry: each retry re-reads the page with shifted read references;
  // the RBER of retry r is rber * retry_rber_factor^r (assumption: halving).
  uint32_t max_read_retries = 4;
  double retry_rber_factor = 0.5;
};

// Raw bit error rate. Form of the fit (wear and retention power laws):
//   shape(N, t, R) = eps + alpha N^k + beta N^m t^n + gamma N^k R
// N = P/E cycles in thousands, t = retention in years, R = reads of the block
// since it was programmed (read disturb). The form is that of Liu, Yang & Wu,
// "Optimizing NAND flash-based SSDs via retention relaxation", FAST'12
// (eps + alpha N^k + beta N^m t^n); the read-disturb term is linear in R as
// measured by Cai et al., "Read disturb errors in MLC NAND flash memory",
// DSN'15. The exponents and coefficients below are assumptions within the
// range such fits report, NOT the constants of either paper; the absolute
// level is calibrated to AiF's measurement (the only 3D-TLC anchor we have):
// at 4K P/E cycles and 1-year retention the maximum bit errors per 1 KiB on
// LSB pages are 49 with (2,3,2) coding and 9 with be-enc (1,3,3). We read a
// "maximum observed" as the count exceeded with probability
// anchor_tail_probability per codeword.
struct ReliabilityConfig {
  bool enabled = true;
  double eps = 0.01;
  double alpha = 1.0;
  double k = 2.0;
  double beta = 0.5;
  double m = 2.0;
  double n = 0.5;
  double gamma = 1e-6;
  double anchor_pe_kilocycles = 4.0;        // AiF: 4K P/E
  double anchor_retention_years = 1.0;      // AiF: 1 year
  uint32_t anchor_max_errors_default_lsb = 49;  // AiF: (2,3,2) LSB, per 1 KiB
  uint32_t anchor_max_errors_be_enc_lsb = 9;    // AiF: be-enc LSB, per 1 KiB
  double anchor_tail_probability = 1e-3;    // assumption (see above)
  // Wear state of every block at time zero (a drive's age).
  uint32_t initial_pe_cycles = 0;
  double initial_retention_years = 0;
};

// In-array GEMV compute (processing in flash): where the PE arrays sit, how
// fast they multiply, and where partial sums leave the die.
//
// AiF (ISCA'25; REFERENCE.md "AiF's published system"): one PE block per chip
// of 45 nm logic at 200 MHz, INT8 multipliers + adder tree, fed by ECCLITE
// (6.4 GB/s per chip) from the page buffers; partial sums go to an output
// FIFO the controller polls over the flash channel. AiF sizes the logic so
// compute keeps up with the chip's internal bandwidth with cr-read + be-enc,
// 6.4 GB/s (1.6 -> 6.4 GB/s per chip). At 200 MHz that is 6.4e9 B/s /
// 200e6 cycles/s = 32 INT8 weights per cycle: 32 MACs per cycle (derived).
//
// NVLLM (arXiv 2604.25699): PE arrays per plane cluster read NAND directly
// over a wafer-level (hybrid-bonded) path; ECC checks run in parallel with
// compute. Its PE widths and output path are not public: use
// PePlacement::kPerPlane and dedicated_output_path = true with an assumed
// output_path_bytes_per_s.
enum class PePlacement : uint8_t {
  kNone = 0,      // no in-flash compute: GEMV requests are invalid
  kPerDie = 1,    // one PE array per die/chip (AiF); planes share it, FIFO
  // One PE array per plane (NVLLM), each with its own ECC checker at
  // ecc.ecclite_bytes_per_s (assumption: NVLLM's per-cluster ECC rate is not
  // public; one checker per PE array keeps ECC in parallel with compute).
  kPerPlane = 2,
};

enum class PeOperand : uint8_t { kInt8 = 0, kInt4 = 1, kFp16 = 2 };
inline uint32_t OperandBits(PeOperand o) { return o == PeOperand::kInt4 ? 4 : o == PeOperand::kFp16 ? 16 : 8; }

struct PeConfig {
  PePlacement placement = PePlacement::kPerDie;  // AiF: in-chip logic, one per chip
  uint64_t clock_hz = 200'000'000;               // AiF: 200 MHz
  uint32_t macs_per_cycle = 32;                  // derived: 6.4 GB/s / 200 MHz / 1 B per INT8 weight
  PeOperand operand = PeOperand::kInt8;          // AiF: all models INT8
  // Accumulator width of a partial sum: INT8 x INT8 products summed over a
  // 16 Ki-element page need > 16 bits; 32-bit accumulators (assumption, the
  // usual INT8 GEMV accumulator; AiF does not publish its width).
  uint32_t accumulator_bytes = 4;
  // Partial sums leave over a dedicated die-to-logic path instead of the
  // channel (NVLLM's wafer-level integration). Its rate is not public:
  // assumption 16 GB/s (a 128-bit hybrid-bonded bus at 1 GHz), replace when a
  // source gives it.
  bool dedicated_output_path = false;
  uint64_t output_path_bytes_per_s = 16'000'000'000;
};

// Fidelity knob (ARCHITECTURE.md "The models"): kPage issues every page's
// array read, ECC decode, PE compute and bus transfer as events; kStream
// lets a die process an uncontended run of pages as one event whose time is
// computed exactly by the same pipeline rules.
enum class Fidelity : uint8_t { kPage = 0, kStream = 1 };

// Order in which a channel's bus serves what is queued for it. kFifo: first
// come first served. kCommandFirst: queued command/address cycles (a few
// hundred ns) go before queued page transfers (8 us for 16 KiB at 2 GB/s),
// so an idle die starts its array read sooner; a transfer in progress is
// never interrupted. What flash controllers' channel sequencers do to keep
// dies busy (MQSim's TSU issues commands to idle dies first, too).
// kReadComputeFirst: as kCommandFirst, and GEMV partial sums also go
// before queued page transfers: in-flash compute's traffic is never queued
// behind normal reads, which fill the gaps (Cambricon-LLM's Slice Control,
// §IV-C, at page grain: a page transfer in progress is not cut into slices).
enum class ChannelArbitration : uint8_t { kFifo = 0, kCommandFirst = 1, kReadComputeFirst = 2 };

// What the dies (LUNs) of one chip may do at once.
// kMultiLun (default): ONFI multi-LUN operation. The LUNs of a target run
//   array operations independently: the host may issue a command to LUN 1
//   while LUN 0 is busy in tR / tPROG / tBERS, and tells them apart with
//   READ STATUS ENHANCED (78h), which addresses one LUN (ONFI 4.x, "Multiple
//   LUN Operation" and "Read Status Enhanced"). The chip adds no timing:
//   its dies share only the channel's bus, which is already modelled.
// kChipSerial: the rule MQSim's transaction scheduler applies
//   (TSU_OutOfOrder::service_read_transaction / _write_ / _erase_ issue to
//   a chip only when its status is IDLE; NVM_PHY_ONFI_NVDDR2 sets the chip
//   IDLE only when no die is active and no read of it waits for its
//   data-out). A chip takes a new command only when none of its dies has a
//   request in progress (command, array time, data-out, decode); the
//   waiting die whose request arrived first goes next. MQSim's exception, a
//   multi-die command issued to several idle dies together, never arises
//   here: the controller forms multi-plane, not multi-die, requests (and
//   MQSim's TSU_Base::issue_command_to_chip returns after the first die it
//   serves, so its runs issue one die's command per chip at a time too). A
//   suspending read (kFlagSuspend) may still go to the die whose program /
//   erase holds the chip. Channels with one die per chip are unaffected.
enum class ChipInterleave : uint8_t { kMultiLun = 0, kChipSerial = 1 };

struct NandConfig {
  Fidelity fidelity = Fidelity::kPage;
  ChipInterleave chip_interleave = ChipInterleave::kMultiLun;
  // STREAM fidelity on channels with several dies (opt-in; off, such reads
  // stay at PAGE fidelity): a read streams as one event when no other die of
  // its channel is busy, and the channel holds the other dies' requests until
  // the stream ends. The dies of a channel then take turns instead of
  // interleaving their data-outs, so a channel moves at most one die's rate
  // (planes x page / tR) rather than min(dies x that, bus rate): a faster
  // but different model, for systems the flash does not bound (SSD
  // offloading is PCIe-bound). Tests compare it with PAGE fidelity.
  bool stream_serialises_dies = false;
  ChannelArbitration channel_arbitration = ChannelArbitration::kFifo;
  NandGeometry geometry;
  NandTiming timing;
  ChannelBus bus;
  EccConfig ecc;
  ReliabilityConfig reliability;
  PeConfig pe;
};

// The AiF SSD (ISCA'25) without cr-read and with ECCLITE: see each field.
NandConfig AifDefaultNandConfig();

// Blocks in one array: each keeps ~24 bytes of wear state in its die, so
// 2^25 blocks is ~0.8 GiB. The largest array any config or experiment
// uses (NVLLM's 8 x 64 planes x 1,366 blocks) has 0.7 M.
inline constexpr uint64_t kMaxArrayBlocks = uint64_t{1} << 25;

// INVALID_ARGUMENT naming the field ("geometry.planes_per_die"), its value
// and the allowed range; also for an array of more than kMaxArrayBlocks.
absl::Status ValidateNandConfig(const NandConfig& config);

// The mean array read time (tR) over a cell's page types, without cr-read,
// in seconds: precharge + discharge + sense_per_level x (2^bits - 1) / bits
// (every read level is sensed once across the bits' pages; (2,3,2) TLC:
// (37 + 46 + 37) / 3 = 40 us). The one home of this figure: the GEMV
// executors' bottleneck, the ISC stream bound and AiF--'s bandwidth use it.
double MeanReadSeconds(const NandConfig& config);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_NAND_CONFIG_H_
