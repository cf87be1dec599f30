// The strict JSON reader used for metadata and filters.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "metadata/json.h"

namespace {

using neurovec::JsonValue;
using neurovec::ParseJson;
using Type = JsonValue::Type;

JsonValue Parse(const std::string& text) {
  auto r = ParseJson(text);
  EXPECT_TRUE(r.ok()) << "rejected valid JSON " << text << ": " << r.status().message();
  return r.ok() ? r.value() : JsonValue{};
}

void ExpectInvalid(const std::string& text, const std::string& mention = "") {
  auto r = ParseJson(text);
  EXPECT_FALSE(r.ok()) << "accepted invalid JSON: " << text;
  if (r.ok()) return;
  EXPECT_EQ(r.status().code(), neurovec::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("invalid JSON"), std::string::npos) << r.status().message();
  if (!mention.empty()) {
    EXPECT_NE(r.status().message().find(mention), std::string::npos)
        << "message for " << text << " should mention '" << mention << "': " << r.status().message();
  }
}

std::string Nested(int depth, const std::string& inner = "") {
  return std::string(static_cast<size_t>(depth), '[') + inner + std::string(static_cast<size_t>(depth), ']');
}

TEST(Json, Scalars) {
  EXPECT_EQ(Parse("null").type, Type::kNull);
  JsonValue t = Parse("true");
  EXPECT_EQ(t.type, Type::kBool);
  EXPECT_TRUE(t.boolean);
  JsonValue f = Parse(" false ");
  EXPECT_EQ(f.type, Type::kBool);
  EXPECT_FALSE(f.boolean);
  struct {
    const char* text;
    double value;
  } numbers[] = {{"0", 0},          {"-0", 0},         {"7", 7},          {"-12", -12},
                 {"3.25", 3.25},    {"-0.5", -0.5},    {"1e3", 1000},     {"1E3", 1000},
                 {"2.5e-3", 0.0025}, {"1e+2", 100},    {"123456789012", 123456789012.0},
                 {"1.7976931348623157e308", 1.7976931348623157e308}};
  for (const auto& n : numbers) {
    JsonValue v = Parse(n.text);
    EXPECT_EQ(v.type, Type::kNumber) << n.text;
    EXPECT_DOUBLE_EQ(v.number, n.value) << n.text;
  }
  JsonValue s = Parse("\"hello\"");
  EXPECT_EQ(s.type, Type::kString);
  EXPECT_EQ(s.string, "hello");
  EXPECT_EQ(Parse("\"\"").string, "");
}

TEST(Json, ObjectsAndArrays) {
  JsonValue v = Parse(R"( { "a" : [1, "two", true, null, {"b": []}], "c": {}, "d": -1.5 } )");
  ASSERT_EQ(v.type, Type::kObject);
  ASSERT_EQ(v.object.size(), 3u);
  // Document order is kept.
  EXPECT_EQ(v.object[0].first, "a");
  EXPECT_EQ(v.object[1].first, "c");
  EXPECT_EQ(v.object[2].first, "d");
  const JsonValue* a = v.Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->type, Type::kArray);
  ASSERT_EQ(a->array.size(), 5u);
  EXPECT_EQ(a->array[0].number, 1);
  EXPECT_EQ(a->array[1].string, "two");
  EXPECT_TRUE(a->array[2].boolean);
  EXPECT_EQ(a->array[3].type, Type::kNull);
  ASSERT_EQ(a->array[4].type, Type::kObject);
  ASSERT_NE(a->array[4].Find("b"), nullptr);
  EXPECT_EQ(a->array[4].Find("b")->type, Type::kArray);
  EXPECT_EQ(v.Find("c")->type, Type::kObject);
  EXPECT_TRUE(v.Find("c")->object.empty());
  EXPECT_EQ(v.Find("d")->number, -1.5);
  EXPECT_EQ(v.Find("zzz"), nullptr);
  // All four whitespace characters.
  JsonValue w = Parse("\t\r\n [ 1 ,\n2\t]\r\n");
  ASSERT_EQ(w.array.size(), 2u);
  EXPECT_EQ(w.array[1].number, 2);
  EXPECT_EQ(Parse("[]").array.size(), 0u);
}

TEST(Json, StringEscapes) {
  EXPECT_EQ(Parse(R"("a\"b\\c\/d")").string, "a\"b\\c/d");
  EXPECT_EQ(Parse(R"("\b\f\n\r\t")").string, "\b\f\n\r\t");
  EXPECT_EQ(Parse(R"("\u0041\u00e9\u20AC")").string, "A\xC3\xA9\xE2\x82\xAC");  // A, é (2 bytes), € (3 bytes)
  EXPECT_EQ(Parse(R"("\u0000")").string, std::string(1, '\0'));
  EXPECT_EQ(Parse(R"("\u07ff\u0800\uffff")").string, "\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
  // Surrogate pairs: U+1F600 and U+10FFFF (4 bytes each).
  EXPECT_EQ(Parse(R"("\ud83d\ude00")").string, "\xF0\x9F\x98\x80");
  EXPECT_EQ(Parse(R"("\uD83D\uDE00x")").string, "\xF0\x9F\x98\x80x");
  EXPECT_EQ(Parse(R"("\udbff\udfff")").string, "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(Parse(R"("\ud800\udc00")").string, "\xF0\x90\x80\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(Parse("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"").string, "h\xC3\xA9llo \xF0\x9F\x98\x80");
  // Keys are decoded too.
  JsonValue o = Parse(R"({"k\u00e9y\n": 1})");
  ASSERT_EQ(o.object.size(), 1u);
  EXPECT_EQ(o.object[0].first, "k\xC3\xA9y\n");
}

TEST(Json, BadStrings) {
  ExpectInvalid(R"("\ud800")", "surrogate");         // lone high surrogate
  ExpectInvalid(R"("\ud800x")", "surrogate");
  ExpectInvalid(R"("\udc00")", "surrogate");         // lone low surrogate
  ExpectInvalid(R"("\ud800\u0041")", "surrogate");   // high + non-low
  ExpectInvalid(R"("\ud800\ud800")", "surrogate");   // high + high
  ExpectInvalid(R"("\u12G4")", "hex");
  ExpectInvalid(R"("\u12")");
  ExpectInvalid(R"("\x41")", "escape");
  ExpectInvalid(R"("\a")", "escape");
  ExpectInvalid(R"("\')", "");
  ExpectInvalid("\"abc", "unterminated");
  ExpectInvalid("\"abc\\", "");
  ExpectInvalid("'abc'");
  // Raw control characters are not allowed inside strings.
  for (int c = 0; c < 0x20; ++c) {
    std::string text = "\"a" + std::string(1, static_cast<char>(c)) + "b\"";
    ExpectInvalid(text, "control character");
  }
  ExpectInvalid("{\"a\tb\": 1}", "control character");  // in keys too
  // DEL and bytes >= 0x80 are fine.
  EXPECT_EQ(Parse("\"\x7F\"").string, "\x7F");
}

TEST(Json, BadNumbersAndLiterals) {
  for (const char* text : {"-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "--1", "0x10", "NaN", "Infinity", "-Infinity",
                           "1e400", "-1e400", "tru", "True", "nul", "falsey", "undefined"}) {
    ExpectInvalid(text);
  }
}

// RFC 8259: "leading zeros are not allowed" (int = zero / ( digit1-9 *DIGIT )).
TEST(Json, LeadingZerosAreRejected) {
  for (const char* text : {"01", "-01", "00", "007", "[01]", R"({"a": 012})"}) ExpectInvalid(text);
  EXPECT_EQ(Parse("0.01").number, 0.01);
  EXPECT_EQ(Parse("-0.5").number, -0.5);
  EXPECT_EQ(Parse("0e5").number, 0);
}

TEST(Json, TrailingTextIsRejected) {
  for (const char* text : {"{} x", "{}}", "[1] [2]", "1 2", "true false", "\"a\" \"b\"", "{},", "null null", "[]]",
                           "1x", "{\"a\": 1}\x01"}) {
    ExpectInvalid(text, "after");
  }
  // Trailing whitespace is fine.
  EXPECT_EQ(Parse("{}   \n").type, Type::kObject);
}

TEST(Json, StructuralErrors) {
  for (const char* text : {"", "   ", "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\" 1}", "{\"a\":}",
                           "{\"a\":1,}", "{,}", "{a: 1}", "{1: 1}", "{\"a\":1 \"b\":2}", "[1,,2]", ":", ","}) {
    ExpectInvalid(text);
  }
  // The message says where.
  auto r = ParseJson("[1, 2, oops]");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 7"), std::string::npos) << r.status().message();
}

TEST(Json, DepthIsBounded) {
  // Up to 64 levels of nesting are fine, with or without a value inside.
  EXPECT_EQ(ParseJson(Nested(64)).ok(), true);
  EXPECT_EQ(ParseJson(Nested(64, "1")).ok(), true);
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"a\":";
  objects += "1";
  for (int i = 0; i < 64; ++i) objects += "}";
  EXPECT_TRUE(ParseJson(objects).ok());
  // Deeper is refused (and does not overflow the stack, however deep).
  for (int depth : {66, 100, 1000, 200000}) {
    auto r = ParseJson(Nested(depth));
    ASSERT_FALSE(r.ok()) << depth;
    EXPECT_NE(r.status().message().find("64"), std::string::npos) << r.status().message();
  }
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  EXPECT_FALSE(ParseJson(deep_objects).ok());
}

// 65 levels: the limit is "nesting deeper than 64", whatever is innermost.
TEST(Json, DepthLimitIsExact) {
  EXPECT_FALSE(ParseJson(Nested(65, "1")).ok()) << "65 levels with a value inside";
  EXPECT_FALSE(ParseJson(Nested(65)).ok()) << "65 levels, innermost empty";
}

TEST(Json, QuoteRoundTrips) {
  for (std::string s : {std::string(""), std::string("plain"), std::string("q\"uo\\te"),
                        std::string("ctl\x01\x1f\n\t"), std::string("nul\0byte", 8), std::string("h\xC3\xA9 \xE2\x82\xAC")}) {
    std::string quoted = neurovec::JsonQuote(s);
    auto r = ParseJson(quoted);
    ASSERT_TRUE(r.ok()) << quoted << ": " << r.status().message();
    EXPECT_EQ(r.value().type, Type::kString);
    EXPECT_EQ(r.value().string, s) << quoted;
  }
}

}  // namespace
