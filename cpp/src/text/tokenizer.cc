#include "text/tokenizer.h"

#include <algorithm>
#include <array>

namespace neurovec::text {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

bool HasVowel(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return IsVowel(c) || c == 'y'; });
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// After -ing/-ed: "runn" -> "run", but "fall" and "pass" keep their pair.
std::string UndoDoubling(std::string stem) {
  const size_t n = stem.size();
  if (n >= 3 && stem[n - 1] == stem[n - 2] && !IsVowel(stem[n - 1]) && stem[n - 1] != 'l' && stem[n - 1] != 's' &&
      stem[n - 1] != 'z') {
    stem.pop_back();
  }
  return stem;
}

// Sorted, for binary search; common English function words (not content words
// such as "play" or "file").
constexpr std::array<std::string_view, 58> kStopwords = {
    "a",    "about", "after", "all",   "also", "an",    "and",  "any",  "are",   "as",   "at",   "be",
    "been", "but",   "by",    "can",   "do",   "does",  "for",  "from", "has",   "have", "he",   "her",
    "his",  "how",   "i",     "if",    "in",   "into",  "is",   "it",   "its",   "may",  "more", "most",
    "no",   "not",   "of",    "on",    "one",  "only",  "or",   "other","so",    "some", "such", "than",
    "that", "the",   "their", "then",  "there","these", "they", "this", "to",    "was"};
constexpr std::array<std::string_view, 14> kStopwordsTail = {"we",   "were", "what", "when", "which", "who", "will",
                                                             "with", "would", "you", "your", "very", "via", "using"};

}  // namespace

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < n && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) continue;
    size_t len = std::min(i - start, kMaxWordBytes);
    // Do not cut a UTF-8 sequence in half.
    while (len > 0 && len < i - start && (static_cast<unsigned char>(text[start + len]) & 0xC0) == 0x80) --len;
    if (len == 0) continue;
    std::string w(text.substr(start, len));
    for (char& c : w) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    words.push_back(std::move(w));
  }
  return words;
}

std::string StemEnglish(std::string_view word) {
  if (word.size() <= 3) return std::string(word);
  for (char c : word) {
    if (static_cast<unsigned char>(c) >= 0x80) return std::string(word);
  }
  std::string w(word);
  if (EndsWith(w, "ies") && w.size() > 4) return w.substr(0, w.size() - 3) + "y";
  if (EndsWith(w, "sses")) return w.substr(0, w.size() - 2);
  if (EndsWith(w, "xes") || EndsWith(w, "ches") || EndsWith(w, "shes")) return w.substr(0, w.size() - 2);
  if (EndsWith(w, "s") && !EndsWith(w, "ss") && !EndsWith(w, "us") && !EndsWith(w, "is")) {
    return w.substr(0, w.size() - 1);
  }
  if (EndsWith(w, "ing") && w.size() >= 6 && HasVowel(std::string_view(w).substr(0, w.size() - 3))) {
    return UndoDoubling(w.substr(0, w.size() - 3));
  }
  if (EndsWith(w, "ed") && w.size() >= 5 && !EndsWith(w, "eed") && HasVowel(std::string_view(w).substr(0, w.size() - 2))) {
    return UndoDoubling(w.substr(0, w.size() - 2));
  }
  return w;
}

bool IsStopword(std::string_view word) {
  if (std::binary_search(kStopwords.begin(), kStopwords.end(), word)) return true;
  return std::find(kStopwordsTail.begin(), kStopwordsTail.end(), word) != kStopwordsTail.end();
}

std::vector<std::string> KeywordTerms(std::string_view text) {
  std::vector<std::string> terms;
  for (std::string& w : Words(text)) {
    if (IsStopword(w)) continue;
    terms.push_back(StemEnglish(w));
  }
  return terms;
}

}  // namespace neurovec::text
