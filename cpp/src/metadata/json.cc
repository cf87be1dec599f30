#include "metadata/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace neurovec {

const JsonValue* JsonValue::Find(const std::string& key) const {
  for (const auto& kv : object)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  Result<JsonValue> ParseDocument() {
    JsonValue value;
    NV_RETURN_IF_ERROR(ParseValue(value, 0));
    SkipSpace();
    if (pos_ != s_.size()) return Fail("unexpected text after the JSON value");
    return value;
  }

 private:
  Status Fail(const std::string& what) const {
    return Status::InvalidArgument("invalid JSON at offset " + std::to_string(pos_) + ": " + what);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool Consume(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  Status ParseValue(JsonValue& out, int depth) {
    if (depth > kMaxJsonDepth) return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    SkipSpace();
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    char c = s_[pos_];
    // At most kMaxJsonDepth nested arrays/objects, whatever is innermost.
    if ((c == '{' || c == '[') && depth >= kMaxJsonDepth) {
      return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
    }
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out.type = JsonValue::Type::kString;
      return ParseString(out.string);
    }
    if (Consume("true")) {
      out.type = JsonValue::Type::kBool;
      out.boolean = true;
      return Status::Ok();
    }
    if (Consume("false")) {
      out.type = JsonValue::Type::kBool;
      out.boolean = false;
      return Status::Ok();
    }
    if (Consume("null")) {
      out.type = JsonValue::Type::kNull;
      return Status::Ok();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
    return Fail(std::string("unexpected character '") + c + "'");
  }

  Status ParseNumber(JsonValue& out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    // RFC 8259: an integer part is "0" or starts with 1-9.
    if (pos_ + 1 < s_.size() && s_[pos_] == '0' && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9') {
      return Fail("leading zeros are not allowed");
    }
    auto digits = [&] {
      size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > b;
    };
    if (!digits()) return Fail("expected digits");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Fail("expected digits after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return Fail("expected exponent digits");
    }
    std::string text = s_.substr(start, pos_ - start);
    out.type = JsonValue::Type::kNumber;
    out.number = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(out.number)) return Fail("number out of range");
    return Status::Ok();
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Status ParseHex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) return Fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= h - '0';
      else if (h >= 'a' && h <= 'f') out |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') out |= h - 'A' + 10;
      else return Fail("bad hex digit in \\u escape");
    }
    return Status::Ok();
  }

  Status ParseString(std::string& out) {
    ++pos_;  // opening quote
    out.clear();
    while (pos_ < s_.size()) {
      // Plain characters are appended a run at a time (metadata of large
      // indexes is parsed at every open).
      size_t run = pos_;
      while (run < s_.size()) {
        const unsigned char r = static_cast<unsigned char>(s_[run]);
        if (r == '"' || r == '\\' || r < 0x20) break;
        ++run;
      }
      out.append(s_, pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) break;
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return Status::Ok();
      if (c < 0x20) return Fail("control character in string");
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          NV_RETURN_IF_ERROR(ParseHex4(cp));
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (!Consume("\\u")) return Fail("unpaired surrogate");
            NV_RETURN_IF_ERROR(ParseHex4(low));
            if (low < 0xDC00 || low >= 0xE000) return Fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Fail("unpaired surrogate");
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail(std::string("bad escape '\\") + e + "'");
      }
    }
    return Fail("unterminated string");
  }

  Status ParseArray(JsonValue& out, int depth) {
    ++pos_;
    out.type = JsonValue::Type::kArray;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      out.array.emplace_back();
      NV_RETURN_IF_ERROR(ParseValue(out.array.back(), depth + 1));
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated array");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == ']') { ++pos_; return Status::Ok(); }
      return Fail("expected ',' or ']'");
    }
  }

  Status ParseObject(JsonValue& out, int depth) {
    ++pos_;
    out.type = JsonValue::Type::kObject;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected a string key");
      std::string key;
      NV_RETURN_IF_ERROR(ParseString(key));
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      out.object.emplace_back(std::move(key), JsonValue());
      NV_RETURN_IF_ERROR(ParseValue(out.object.back().second, depth + 1));
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated object");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == '}') { ++pos_; return Status::Ok(); }
      return Fail("expected ',' or '}'");
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

Result<JsonValue> ParseJson(const std::string& text) { return Parser(text).ParseDocument(); }

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace neurovec
