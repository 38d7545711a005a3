// strata-host: the host service. Hosts the host partitions of distributed
// jobs; everything but the role is shared (services/partition/service_main.h).
#include "services/partition/service_main.h"

int main(int argc, char** argv) { return strata::partition::ServiceMain(argc, argv, strata::v1::HOST); }
