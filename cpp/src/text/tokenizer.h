// Text to tokens, the same bytes natively and in wasm: the one tokenizer the
// keyword index and the encoder's features share.
//
// - Words are maximal runs of ASCII letters and digits and of non-ASCII bytes
//   (UTF-8 sequences are kept whole, not case-folded); everything else separates.
// - ASCII letters are lower-cased; a word is cut to kMaxWordBytes.
// - Keyword terms additionally drop English stopwords and are stemmed
//   (StemEnglish: plural, -ing and -ed endings), so "playing" finds "plays".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace neurovec::text {

constexpr size_t kMaxWordBytes = 40;

// Lower-cased words of `text`, in order.
std::vector<std::string> Words(std::string_view text);

// A light English suffix stemmer (s/es/ies, ing, ed, with the doubled final
// consonant undone). Words of 3 bytes or fewer, and words with non-ASCII
// bytes, are returned unchanged.
std::string StemEnglish(std::string_view word);

bool IsStopword(std::string_view word);

// The terms the keyword index stores and matches: Words, minus stopwords, stemmed.
std::vector<std::string> KeywordTerms(std::string_view text);

}  // namespace neurovec::text
