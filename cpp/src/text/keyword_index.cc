#include "text/keyword_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "util/byte_io.h"
#include "text/tokenizer.h"

namespace neurovec::text {
namespace {
// Encoded form: u32 version (1) | f32 k1 | f32 b | u32 terms | per term: u32
// length + bytes | u32 slots | per slot: u32 term count (0xFFFFFFFF: no
// document) + (u32 term id, u32 tf) pairs.
constexpr uint32_t kKeywordVersion = 1;
constexpr uint32_t kNoDocument = 0xFFFFFFFFu;
}  // namespace

uint32_t KeywordIndex::TermId(const std::string& term) {
  auto it = dictionary_.find(term);
  if (it != dictionary_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(term_text_.size());
  dictionary_.emplace(term, id);
  term_text_.push_back(term);
  postings_.emplace_back();
  return id;
}

size_t KeywordIndex::Add(uint32_t slot, std::string_view text) {
  Remove(slot);
  std::map<uint32_t, uint32_t> tf;
  size_t length = 0;
  for (const std::string& term : KeywordTerms(text)) {
    ++tf[TermId(term)];
    ++length;
  }
  if (length == 0) return 0;
  if (length_.size() <= slot) length_.resize(slot + 1, 0);
  length_[slot] = static_cast<uint32_t>(length);
  for (const auto& [term, count] : tf) {
    std::vector<Posting>& list = postings_[term];
    // Slots mostly arrive in increasing order: keep lists sorted by slot.
    auto pos = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    list.insert(pos, Posting{slot, count});
  }
  if (forward_ready_) {
    if (forward_.size() <= slot) forward_.resize(slot + 1);
    forward_[slot].assign(tf.begin(), tf.end());
  }
  ++live_docs_;
  total_length_ += length;
  posting_count_ += tf.size();
  return length;
}

void KeywordIndex::EnsureForward() {
  if (forward_ready_) return;
  forward_ = TermLists();
  forward_ready_ = true;
}

std::vector<KeywordIndex::TermList> KeywordIndex::TermLists() const {
  if (forward_ready_) return forward_;
  std::vector<TermList> lists(length_.size());
  for (uint32_t t = 0; t < postings_.size(); ++t) {
    for (const Posting& p : postings_[t]) lists[p.slot].emplace_back(t, p.tf);
  }
  return lists;
}

void KeywordIndex::Remove(uint32_t slot) {
  if (!Contains(slot)) return;
  EnsureForward();
  TermList& terms = forward_[slot];
  for (const auto& [term, count] : terms) {
    std::vector<Posting>& list = postings_[term];
    auto pos = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    if (pos != list.end() && pos->slot == slot) list.erase(pos);
  }
  --live_docs_;
  total_length_ -= length_[slot];
  posting_count_ -= terms.size();
  length_[slot] = 0;
  TermList().swap(terms);
}

std::vector<uint32_t> KeywordIndex::QueryTerms(std::string_view query) const {
  std::vector<uint32_t> ids;
  for (const std::string& term : KeywordTerms(query)) {
    auto it = dictionary_.find(term);
    if (it != dictionary_.end()) ids.push_back(it->second);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

float KeywordIndex::Idf(uint32_t term) const {
  const double n = static_cast<double>(live_docs_);
  const double df = static_cast<double>(postings_[term].size());
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

float KeywordIndex::Weight(uint32_t tf, uint32_t length) const {
  const double avg = live_docs_ ? static_cast<double>(total_length_) / live_docs_ : 1.0;
  const double t = tf;
  return static_cast<float>(t * (params_.k1 + 1) / (t + params_.k1 * (1 - params_.b + params_.b * length / avg)));
}

float KeywordIndex::Score(std::string_view query, uint32_t slot) const {
  if (!Contains(slot)) return 0.0f;
  float score = 0;
  for (uint32_t t : QueryTerms(query)) {
    const std::vector<Posting>& list = postings_[t];
    auto it = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    if (it != list.end() && it->slot == slot) score += Idf(t) * Weight(it->tf, length_[slot]);
  }
  return score;
}

uint64_t KeywordIndex::MemoryBytes() const {
  uint64_t bytes = posting_count_ * sizeof(Posting);
  if (forward_ready_) bytes += posting_count_ * sizeof(TermList::value_type) + forward_.size() * sizeof(TermList);
  for (const std::string& t : term_text_) bytes += t.size() + 48;  // text, dictionary node
  bytes += length_.size() * sizeof(uint32_t) + postings_.size() * sizeof(std::vector<Posting>);
  return bytes;
}

std::string KeywordIndex::Encode() const {
  std::string out;
  ByteWriter w(out);
  w.U32(kKeywordVersion);
  w.F32(params_.k1);
  w.F32(params_.b);
  // Only terms that still have postings, renumbered densely.
  std::vector<uint32_t> remap(term_text_.size(), kNoDocument);
  uint32_t kept = 0;
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (!postings_[t].empty()) remap[t] = kept++;
  }
  w.U32(kept);
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (remap[t] == kNoDocument) continue;
    w.U32(static_cast<uint32_t>(term_text_[t].size()));
    w.Bytes(term_text_[t].data(), term_text_[t].size());
  }
  const std::vector<TermList> lists = TermLists();
  w.U32(static_cast<uint32_t>(lists.size()));
  for (uint32_t slot = 0; slot < lists.size(); ++slot) {
    if (!Contains(slot)) {
      w.U32(kNoDocument);
      continue;
    }
    w.U32(static_cast<uint32_t>(lists[slot].size()));
    for (const auto& [term, count] : lists[slot]) {
      w.U32(remap[term]);
      w.U32(count);
    }
  }
  return out;
}

Status KeywordIndex::Decode(const uint8_t* data, size_t size) {
  auto corrupt = [](const std::string& what) { return Status::Corrupt("keyword index: " + what); };
  ByteReader r(data, size);
  uint32_t version = 0, term_count = 0, slot_count = 0;
  KeywordIndex next;
  if (!r.U32(version) || !r.F32(next.params_.k1) || !r.F32(next.params_.b) || !r.U32(term_count)) return corrupt("cut short");
  if (version != kKeywordVersion) return corrupt("unknown version " + std::to_string(version));
  if (!(next.params_.k1 >= 0 && next.params_.k1 <= 100) || !(next.params_.b >= 0 && next.params_.b <= 1)) {
    return corrupt("BM25 parameters out of range");
  }
  if (term_count > r.remaining() / 4) return corrupt("term count larger than the section");
  next.term_text_.reserve(term_count);
  next.dictionary_.reserve(term_count);
  next.postings_.resize(term_count);
  for (uint32_t t = 0; t < term_count; ++t) {
    uint32_t len = 0;
    const uint8_t* bytes = nullptr;
    if (!r.U32(len) || len == 0 || len > 4 * kMaxWordBytes || !r.Bytes(len, bytes)) return corrupt("term " + std::to_string(t) + " is cut short");
    std::string term(reinterpret_cast<const char*>(bytes), len);
    if (!next.dictionary_.emplace(term, t).second) return corrupt("term appears twice");
    next.term_text_.push_back(std::move(term));
  }
  if (!r.U32(slot_count) || slot_count > r.remaining() / 4) return corrupt("slot count larger than the section");
  // Pass 1: check every slot's list and count each term's documents. Pass 2
  // fills the posting lists, each allocated once at its final size; the
  // per-document lists are not kept (see EnsureForward).
  const size_t lists_at = r.position();
  next.length_.assign(slot_count, 0);
  std::vector<uint32_t> df(term_count, 0);
  for (uint32_t s = 0; s < slot_count; ++s) {
    uint32_t n = 0;
    if (!r.U32(n)) return corrupt("slot " + std::to_string(s) + " is cut short");
    if (n == kNoDocument) continue;
    if (n == 0 || n > r.remaining() / 8) return corrupt("slot " + std::to_string(s) + " has a bad term count");
    const uint8_t* pairs = nullptr;
    r.Bytes(static_cast<size_t>(n) * 8, pairs);
    uint64_t length = 0;
    uint32_t previous = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t term, tf;
      std::memcpy(&term, pairs + 8 * i, 4);  // little-endian hosts (x86-64, wasm32)
      std::memcpy(&tf, pairs + 8 * i + 4, 4);
      if (term >= term_count || tf == 0 || (i > 0 && term <= previous)) {
        return corrupt("slot " + std::to_string(s) + " has a bad term entry");
      }
      previous = term;
      ++df[term];
      length += tf;
    }
    if (length > 0xFFFFFFFFu) return corrupt("slot " + std::to_string(s) + " is too long");
    next.length_[s] = static_cast<uint32_t>(length);
    ++next.live_docs_;
    next.total_length_ += length;
    next.posting_count_ += n;
  }
  if (r.remaining() != 0) return corrupt("trailing bytes");
  for (uint32_t t = 0; t < term_count; ++t) next.postings_[t].reserve(df[t]);
  ByteReader again(data + lists_at, size - lists_at);
  for (uint32_t s = 0; s < slot_count; ++s) {
    uint32_t n = 0;
    again.U32(n);
    if (n == kNoDocument) continue;
    const uint8_t* pairs = nullptr;
    again.Bytes(static_cast<size_t>(n) * 8, pairs);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t term, tf;
      std::memcpy(&term, pairs + 8 * i, 4);
      std::memcpy(&tf, pairs + 8 * i + 4, 4);
      next.postings_[term].push_back(Posting{s, tf});
    }
  }
  *this = std::move(next);
  return Status::Ok();
}

}  // namespace neurovec::text
