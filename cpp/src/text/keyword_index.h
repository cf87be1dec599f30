// A BM25 keyword index over slots (Robertson & Zaragoza's Okapi BM25 with the
// non-negative idf log(1 + (N - df + 0.5) / (df + 0.5))), terms from
// tokenizer.h's KeywordTerms. In memory: a term dictionary, a posting list
// per term (slot, term frequency) and each document's terms, so a delete
// removes exactly its postings. Serialised as the per-document term lists
// plus the dictionary; the postings are rebuilt on load.
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
  bool Contains(uint32_t slot) const { return slot < docs_.size() && docs_[slot].present; }

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
  struct Document {
    bool present = false;
    uint32_t length = 0;                                 // terms, with repeats
    std::vector<std::pair<uint32_t, uint32_t>> terms;    // (term id, tf), by term id
  };
  uint32_t TermId(const std::string& term);  // adds new terms
  // Term ids of a query (unknown terms dropped), with repeats removed.
  std::vector<uint32_t> QueryTerms(std::string_view query) const;
  float Idf(uint32_t term) const;
  float Weight(uint32_t tf, uint32_t length) const;

  Bm25Params params_;
  std::unordered_map<std::string, uint32_t> dictionary_;
  std::vector<std::string> term_text_;
  std::vector<std::vector<Posting>> postings_;  // per term id
  std::vector<Document> docs_;                  // per slot
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
  if (scores_.size() < docs_.size()) scores_.resize(docs_.size(), 0.0f);
  for (uint32_t t : terms) {
    const float idf = Idf(t);
    for (const Posting& p : postings_[t]) {
      if (scores_[p.slot] == 0.0f) touched_.push_back(p.slot);
      scores_[p.slot] += idf * Weight(p.tf, docs_[p.slot].length);
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
