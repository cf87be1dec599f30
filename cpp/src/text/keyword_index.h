// A BM25 keyword index over slots (Robertson & Zaragoza's Okapi BM25 with the
// non-negative idf log(1 + (N - df + 0.5) / (df + 0.5))), terms from
// tokenizer.h's KeywordTerms. In memory: a term dictionary, a posting list
// per term (slot, term frequency) in slot order, and each document's length.
// Each document's term list (what a delete must remove) is built from the
// postings on the first delete.
//
// Serialised (version 2) as sorted terms and delta/varint-coded posting
// lists. An index decoded from that form searches it in place ("frozen"):
// Decode checks the terms and the lists' bounds, each list's postings are
// checked when a search first reads it (a damaged list then counts as empty
// and TakeError reports it), and PrepareForWrites checks everything and thaws
// the form into the structures above before the first write. The 64k-package catalogue's keyword
// section is 6 MiB in this form against 22 MiB as version 1's per-document
// lists, which every open rebuilt into posting vectors (version 1 is still read).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
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
  // A decoded index needs PrepareForWrites first (they do nothing on a
  // damaged one).
  size_t Add(uint32_t slot, std::string_view text);
  void Remove(uint32_t slot);
  // Checks every posting list of a decoded index and turns it into the
  // writable structures (once; Ok at once afterwards). kCorrupt naming the
  // damage, the index unchanged, if a list is damaged.
  Status PrepareForWrites();
  // The first damaged posting list a search or score met since the last call
  // (Ok if none), cleared. Searches skip damaged lists, so their callers must
  // ask and fail instead of returning what is left.
  Status TakeError() const;
  bool Contains(uint32_t slot) const { return slot < length_.size() && length_[slot] != 0; }

  // Scores every document sharing a term with the query; calls accept(slot)
  // to filter; returns the k best (score descending, then slot ascending).
  // `also` (optional): slots whose scores are wanted as well, top k or not;
  // written to also_scores (one pass over the postings serves both).
  template <typename Accept>
  std::vector<KeywordHit> Search(std::string_view query, uint32_t k, const Accept& accept,
                                 const std::vector<uint32_t>* also = nullptr, float* also_scores = nullptr) const;
  std::vector<KeywordHit> Search(std::string_view query, uint32_t k) const {
    return Search(query, k, [](uint32_t) { return true; });
  }
  // BM25 of one document for a query (0 when nothing matches).
  float Score(std::string_view query, uint32_t slot) const;
  // BM25 of several documents for a query: out[i] for slots[i]. One pass over
  // each query term's postings, whatever the number of slots.
  void ScoreSlots(std::string_view query, const std::vector<uint32_t>& slots, float* out) const;

  uint64_t documents() const { return live_docs_; }
  uint64_t terms() const { return frozen_ ? frozen_->df.size() : dictionary_.size(); }
  bool frozen() const { return frozen_ != nullptr; }
  uint64_t postings() const { return posting_count_; }
  uint64_t MemoryBytes() const;
  const Bm25Params& params() const { return params_; }
  void set_params(const Bm25Params& p) { params_ = p; }

  // Serialised form (the "keyword index" section): see keyword_index.cc.
  std::string Encode() const;
  // Replaces this index with the encoded one (kCorrupt on bad bytes; the index is unchanged then).
  Status Decode(const uint8_t* data, size_t size);
  // The same, keeping `bytes` (a version 2 form is searched in place).
  Status Decode(std::string&& bytes);

 private:
  struct Posting {
    uint32_t slot;
    uint32_t tf;
  };
  using TermList = std::vector<std::pair<uint32_t, uint32_t>>;  // (term id, tf), by term id
  // The version 2 form searched in place; term ids are ranks in sorted order.
  struct Frozen {
    std::string bytes;
    const char* term_text = nullptr;  // into bytes: the sorted terms, back to back
    const uint8_t* postings = nullptr;
    std::vector<uint32_t> term_end;     // per term: end of its text in term_text
    std::vector<uint32_t> df;           // per term: documents
    std::vector<uint32_t> posting_end;  // per term: end of its list in postings
    // Per term: kListUnchecked until a search reads the list, then good or bad.
    std::unique_ptr<std::atomic<uint8_t>[]> list_state;
    std::mutex error_mutex;
    Status error;  // the first damaged list met since TakeError
    std::string_view Term(uint32_t t) const {
      const uint32_t begin = t ? term_end[t - 1] : 0;
      return std::string_view(term_text + begin, term_end[t] - begin);
    }
  };
  Status DecodeVersion1(const uint8_t* data, size_t size);
  Status DecodeVersion2(std::string&& bytes);
  static constexpr uint8_t kListUnchecked = 0, kListGood = 1, kListBad = 2;
  // Checks a frozen list's postings (slots increasing and documents, term
  // frequencies within each length, the bytes used exactly) and records the
  // result; false (and the error kept) when damaged.
  bool CheckList(uint32_t term) const;
  uint32_t TermId(const std::string& term);  // adds new terms
  uint32_t DocumentFrequency(uint32_t term) const {
    return frozen_ ? frozen_->df[term] : static_cast<uint32_t>(postings_[term].size());
  }
  // Calls f(slot, tf) for each posting of a term, in slot order.
  template <typename F>
  void ForEachPosting(uint32_t term, const F& f) const;
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
  uint64_t term_text_bytes_ = 0;  // sum of term_text_ sizes, so MemoryBytes() is O(1)
  std::vector<std::vector<Posting>> postings_;  // per term id, by slot
  std::vector<uint32_t> length_;                // per slot: terms with repeats (0: no document)
  std::vector<TermList> forward_;               // per slot, once EnsureForward ran
  bool forward_ready_ = false;
  std::unique_ptr<Frozen> frozen_;
  uint64_t live_docs_ = 0;
  uint64_t total_length_ = 0;
  uint64_t posting_count_ = 0;
  // Search scratch: scores per slot, reset through the touched list.
  mutable std::vector<float> scores_;
  mutable std::vector<uint32_t> touched_;
};

// Reads one LEB128 varint of at most 5 bytes. Only on lists CheckList passed.
inline uint32_t ReadVarint(const uint8_t*& p) {
  uint32_t v = *p & 0x7F;
  for (int shift = 7; *p++ & 0x80; shift += 7) v |= static_cast<uint32_t>(*p & 0x7F) << shift;
  return v;
}

template <typename F>
void KeywordIndex::ForEachPosting(uint32_t term, const F& f) const {
  if (!frozen_) {
    for (const Posting& p : postings_[term]) f(p.slot, p.tf);
    return;
  }
  // A damaged list counts as empty; checking it again records the error for
  // this caller's TakeError.
  if (frozen_->list_state[term].load(std::memory_order_acquire) != kListGood && !CheckList(term)) return;
  const uint8_t* p = frozen_->postings + (term ? frozen_->posting_end[term - 1] : 0);
  uint32_t slot = 0xFFFFFFFFu;  // the first gap is slot + 1
  for (uint32_t i = frozen_->df[term]; i > 0; --i) {
    slot += ReadVarint(p);
    const uint32_t tf = ReadVarint(p);
    f(slot, tf);
  }
}

template <typename Accept>
std::vector<KeywordHit> KeywordIndex::Search(std::string_view query, uint32_t k, const Accept& accept,
                                             const std::vector<uint32_t>* also, float* also_scores) const {
  std::vector<KeywordHit> hits;
  if (also) std::fill(also_scores, also_scores + also->size(), 0.0f);
  if (k == 0 || live_docs_ == 0) return hits;
  const std::vector<uint32_t> terms = QueryTerms(query);
  if (scores_.size() < length_.size()) scores_.resize(length_.size(), 0.0f);
  for (uint32_t t : terms) {
    const float idf = Idf(t);
    ForEachPosting(t, [&](uint32_t slot, uint32_t tf) {
      if (scores_[slot] == 0.0f) touched_.push_back(slot);
      scores_[slot] += idf * Weight(tf, length_[slot]);
    });
  }
  if (also) {
    for (size_t i = 0; i < also->size(); ++i) {
      if ((*also)[i] < scores_.size()) also_scores[i] = scores_[(*also)[i]];
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
