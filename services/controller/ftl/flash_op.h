// FlashOp: one flash operation the FTL asks for, with its physical address.
//
// The FTL core is event-free: it decides placement and garbage collection and
// appends the reads, programs and erases those decisions need, in the order
// they must happen, to a caller-owned vector. A controller component turns
// them into timed commands on NAND dies; the FTL never sees time.
#ifndef STRATA_CONTROLLER_FTL_FLASH_OP_H_
#define STRATA_CONTROLLER_FTL_FLASH_OP_H_

#include <cstdint>
#include <string_view>

namespace strata::controller {

struct FlashAddr {
  uint32_t plane = 0;  // flattened allocation unit (die * planes_per_die + plane)
  uint32_t block = 0;  // block within the plane
  uint32_t page = 0;   // page within the block (wordline * bits_per_cell + page type)
  friend bool operator==(const FlashAddr&, const FlashAddr&) = default;
};

enum class FlashOpKind : uint8_t { kRead, kProgram, kErase };

// Why the FTL issued the operation: host I/O, GC migration, static wear
// levelling, IFP weight placement (aif_post), or DFTL's translation pages
// (a mapping lookup's read, a write-back's read-modify-write, their GC).
enum class OpCause : uint8_t { kHost, kGc, kWearLevel, kIfp, kMapping };
inline constexpr int kOpCauses = 5;

struct FlashOp {
  FlashOpKind kind = FlashOpKind::kRead;
  OpCause cause = OpCause::kHost;
  FlashAddr addr;        // page is 0 for erases
  bool be_enc = false;   // the page holds be-enc coded IFP (LLM weight) data
  // Reads: the bytes the channel moves (whole ECC codewords), 0 for what the
  // controller decides (the whole page, or a host read's asked bytes). A
  // DFTL lookup reads the one codeword holding its 4-byte entry.
  uint32_t read_bytes = 0;
  friend bool operator==(const FlashOp&, const FlashOp&) = default;
};

// Scheduling class of an operation, highest priority first: what the
// controller's priority scheduler serves first on a die. Inference (IFP)
// reads feed a running LLM; host reads block a user; host writes (and IFP
// weight placement) complete a command; GC and wear-levelling copies and
// erases are background work.
enum class OpClass : uint8_t { kInferenceRead, kHostRead, kHostWrite, kBackground };
inline constexpr int kOpClasses = 4;

inline OpClass ClassOf(const FlashOp& op) {
  if (op.cause == OpCause::kGc || op.cause == OpCause::kWearLevel) return OpClass::kBackground;
  if (op.kind != FlashOpKind::kRead) return OpClass::kHostWrite;
  return op.cause == OpCause::kIfp ? OpClass::kInferenceRead : OpClass::kHostRead;
}

std::string_view FlashOpKindName(FlashOpKind kind);
std::string_view OpCauseName(OpCause cause);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_FLASH_OP_H_
