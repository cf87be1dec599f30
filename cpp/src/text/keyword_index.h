// A BM25 keyword index over slots (Robertson & Zaragoza's Okapi BM25 with the
// non-negative idf log(1 + (N - df + 0.5) / (df + 0.5))), terms from
// tokenizer.h's KeywordTerms. In memory: a term dictionary, a posting list
// per term (slot, term frequency) in slot order, and each document's length.
// Each document's term list (what a delete must remove) is built from the
// postings on the first delete, not at open: opening reads only what search
// needs. Serialised as the per-document term lists plus the dictionary; the
// postings are rebuilt on load.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::text {

struct Bm25Params {
  float k1 = 1.2f;
  float b = 0.75f;
};

struct KeywordHit {
  uint32_t slot;
  float score;  // BM25, larger is better
};

class KeywordIndex {
 public:
  // Indexes `text` under `slot` (replacing what the slot held). Returns the
  // number of terms (0: nothing to index; the slot then holds no document).
  size_t Add(uint32_t slot, std::string_view text);
  void Remove(uint32_t slot);
  bool Contains(uint32_t slot) const { return slot < length_.size() && length_[slot] != 0; }

  // Scores every document sharing a term with the query; calls accept(slot)
  // to filter; returns the k best (score descending, then slot ascending).
  template <typename Accept>
  std::vector<KeywordHit> Search(std::string_view query, uint32_t k, const Accept& accept) const;
  std::vector<KeywordHit> Search(std::string_view query, uint32_t k) const {
    return Search(query, k, [](uint32_t) { return true; });
  }
  // BM25 of one document for a query (0 when nothing matches).
  float Score(std::string_view query, uint32_t slot) const;

  uint64_t documents() const { return live_docs_; }
  uint64_t terms() const { return dictionary_.size(); }
  uint64_t postings() const { return posting_count_; }
  uint64_t MemoryBytes() const;
  const Bm25Params& params() const { return params_; }
  void set_params(const Bm25Params& p) { params_ = p; }

  // Serialised form (the "keyword index" section): see keyword_index.cc.
  std::string Encode() const;
  // Replaces this index with the encoded one (kCorrupt on bad bytes; the index is unchanged then).
  Status Decode(const uint8_t* data, size_t size);

 private:
  struct Posting {
    uint32_t slot;
    uint32_t tf;
  };
  using TermList = std::vector<std::pair<uint32_t, uint32_t>>;  // (term id, tf), by term id
  uint32_t TermId(const std::string& term);  // adds new terms
  void EnsureForward();                      // builds forward_ from the postings
  // Each slot's (term, tf) list: forward_ when built, else from the postings.
  std::vector<TermList> TermLists() const;
  // Term ids of a query (unknown terms dropped), with repeats removed.
  std::vector<uint32_t> QueryTerms(std::string_view query) const;
  float Idf(uint32_t term) const;
  float Weight(uint32_t tf, uint32_t length) const;

  Bm25Params params_;
  std::unordered_map<std::string, uint32_t> dictionary_;
  std::vector<std::string> term_text_;
  std::vector<std::vector<Posting>> postings_;  // per term id, by slot
  std::vector<uint32_t> length_;                // per slot: terms with repeats (0: no document)
  std::vector<TermList> forward_;               // per slot, once EnsureForward ran
  bool forward_ready_ = false;
  uint64_t live_docs_ = 0;
  uint64_t total_length_ = 0;
  uint64_t posting_count_ = 0;
  // Search scratch: scores per slot, reset through the touched list.
  mutable std::vector<float> scores_;
  mutable std::vector<uint32_t> touched_;
};

template <typename Accept>
std::vector<KeywordHit> KeywordIndex::Search(std::string_view query, uint32_t k, const Accept& accept) const {
  std::vector<KeywordHit> hits;
  if (k == 0 || live_docs_ == 0) return hits;
  const std::vector<uint32_t> terms = QueryTerms(query);
  if (scores_.size() < length_.size()) scores_.resize(length_.size(), 0.0f);
  for (uint32_t t : terms) {
    const float idf = Idf(t);
    for (const Posting& p : postings_[t]) {
      if (scores_[p.slot] == 0.0f) touched_.push_back(p.slot);
      scores_[p.slot] += idf * Weight(p.tf, length_[p.slot]);
    }
  }
  for (uint32_t s : touched_) {
    if (accept(s)) hits.push_back({s, scores_[s]});
    scores_[s] = 0.0f;
  }
  touched_.clear();
  auto better = [](const KeywordHit& a, const KeywordHit& b) { return a.score > b.score || (a.score == b.score && a.slot < b.slot); };
  if (hits.size() > k) {
    std::partial_sort(hits.begin(), hits.begin() + k, hits.end(), better);
    hits.resize(k);
  } else {
    std::sort(hits.begin(), hits.end(), better);
  }
  return hits;
}

}  // namespace neurovec::text
