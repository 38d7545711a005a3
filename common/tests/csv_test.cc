#include "strata/common/csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;

TEST(CsvTest, PlainFieldsAreWrittenAsTheyAre) {
  EXPECT_EQ(CsvLine({"llama-2-70b", "1.25", "", "a b"}), "llama-2-70b,1.25,,a b\n");
}

TEST(CsvTest, CommaQuoteAndLineBreakAreQuotedWithQuotesDoubled) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvLine({"job, with comma", "x"}), "\"job, with comma\",x\n");
}

TEST(CsvTest, ParseInvertsCsvLineForAwkwardFields) {
  const std::vector<std::string> fields = {"a,b", "q\"uote", "", "multi\nline", "plain"};
  auto records = ParseCsv(CsvLine({"h1", "h2", "h3", "h4", "h5"}) + CsvLine(fields));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1], fields);
}

TEST(CsvTest, ParseAcceptsCrlfAndAFinalLineWithoutEnd) {
  auto records = ParseCsv("a,b\r\n1,2");
  ASSERT_TRUE(records.ok());
  EXPECT_THAT(*records, ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
}

TEST(CsvTest, AnUnclosedQuoteIsAnError) { EXPECT_FALSE(ParseCsv("a,\"b\n").ok()); }

}  // namespace
}  // namespace strata
