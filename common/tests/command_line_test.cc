#include "strata/common/command_line.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strata/common/version.h"

ABSL_FLAG(int, test_count, 3, "a test flag: how many");
ABSL_FLAG(bool, test_switch, false, "a test switch");

namespace strata {
namespace {

using ::testing::ExitedWithCode;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs ParseCommandLineOrExit on these arguments (argv[0] added).
std::vector<std::string> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "command_line_test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::vector<std::string> positional;
  for (char* p : ParseCommandLineOrExit(static_cast<int>(argv.size()), argv.data(), "prog", "prog [flags]")) {
    positional.emplace_back(p);
  }
  return positional;
}

TEST(CommandLineTest, HelpListsTheBinarysOwnFlagsNotAbseils) {
  const std::string help = OwnFlagsHelp("prog [flags]");
  EXPECT_THAT(help, HasSubstr("usage: prog [flags]"));
  EXPECT_THAT(help, HasSubstr("--test_count=3\n      a test flag: how many"));
  EXPECT_THAT(help, HasSubstr("--test_switch=false"));
  EXPECT_THAT(help, Not(HasSubstr("--flagfile=")));
  EXPECT_THAT(help, Not(HasSubstr("--tryfromenv=")));
}

TEST(CommandLineTest, FlagsAndPositionalArgumentsParse) {
  EXPECT_EQ(Parse({"run", "--test_count=7", "job.textproto", "--test_switch"}),
            (std::vector<std::string>{"command_line_test", "run", "job.textproto"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 7);
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
  Parse({"--test_count", "9", "--notest_switch"});
  EXPECT_EQ(absl::GetFlag(FLAGS_test_count), 9);
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_switch));
}

TEST(CommandLineDeathTest, HelpAndVersionExitZero) {
  EXPECT_EXIT(Parse({"--help"}), ExitedWithCode(0), "");
  EXPECT_EXIT(Parse({"-h"}), ExitedWithCode(0), "");
  EXPECT_EXIT(Parse({"--version"}), ExitedWithCode(0), "");
  EXPECT_EXIT(Parse({"--helpfull"}), ExitedWithCode(0), "");
}

TEST(CommandLineDeathTest, UnknownFlagExitsTwoNamingIt) {
  EXPECT_EXIT(Parse({"--no_such_flag=1"}), ExitedWithCode(kExitBadInput), "unknown flag --no_such_flag=1");
  EXPECT_EXIT(Parse({"-x"}), ExitedWithCode(kExitBadInput), "unknown flag -x");
}

TEST(CommandLineDeathTest, ValueThatDoesNotParseExitsTwoNamingTheFlag) {
  EXPECT_EXIT(Parse({"--test_count=many"}), ExitedWithCode(kExitBadInput), "--test_count = 'many'");
  EXPECT_EXIT(Parse({"--test_count"}), ExitedWithCode(kExitBadInput), "--test_count needs a value");
}

TEST(VersionTest, LineHasProgramVersionAndRevision) {
  EXPECT_FALSE(ProjectVersion().empty());
  EXPECT_FALSE(GitRevision().empty());
  EXPECT_EQ(VersionLine("prog"),
            "prog " + std::string(ProjectVersion()) + " (git " + std::string(GitRevision()) + ")");
}

}  // namespace
}  // namespace strata
