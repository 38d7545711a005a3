// The main() of every partition service binary: strata-nand,
// strata-controller and strata-host differ only in their role, which
// decides which partitions the coordinator places on them.
#ifndef STRATA_PARTITION_SERVICE_MAIN_H_
#define STRATA_PARTITION_SERVICE_MAIN_H_

#include "strata/v1/partition_service.pb.h"

namespace strata::partition {

// Flags: --listen, --coordinator (register there, and again every
// heartbeat), --advertise (the address the coordinator should dial),
// --metrics_address. Serves until SIGTERM or SIGINT, then shuts down
// gracefully and returns 0.
int ServiceMain(int argc, char** argv, v1::ServiceRole role);

}  // namespace strata::partition

#endif  // STRATA_PARTITION_SERVICE_MAIN_H_
