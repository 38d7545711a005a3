#include "strata/common/version.h"

#include "absl/strings/str_cat.h"
#include "strata/common/git_revision.h"  // generated at build time by cmake/git_revision.cmake

namespace strata {

std::string_view ProjectVersion() { return STRATA_PROJECT_VERSION; }
std::string_view GitRevision() { return STRATA_GIT_REVISION; }

std::string VersionLine(std::string_view program) {
  return absl::StrCat(absl::string_view(program.data(), program.size()), " ", STRATA_PROJECT_VERSION, " (git ",
                      STRATA_GIT_REVISION, ")");
}

}  // namespace strata
