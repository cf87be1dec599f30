#include "text/keyword_index.h"

#include <algorithm>
#include <cmath>
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
  if (docs_.size() <= slot) docs_.resize(slot + 1);
  Document& d = docs_[slot];
  d.present = true;
  d.length = static_cast<uint32_t>(length);
  d.terms.assign(tf.begin(), tf.end());
  for (const auto& [term, count] : d.terms) {
    std::vector<Posting>& list = postings_[term];
    // Slots mostly arrive in increasing order: keep lists sorted by slot.
    auto pos = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    list.insert(pos, Posting{slot, count});
  }
  ++live_docs_;
  total_length_ += length;
  posting_count_ += d.terms.size();
  return length;
}

void KeywordIndex::Remove(uint32_t slot) {
  if (!Contains(slot)) return;
  Document& d = docs_[slot];
  for (const auto& [term, count] : d.terms) {
    std::vector<Posting>& list = postings_[term];
    auto pos = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    if (pos != list.end() && pos->slot == slot) list.erase(pos);
  }
  --live_docs_;
  total_length_ -= d.length;
  posting_count_ -= d.terms.size();
  d = Document();
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
  const Document& d = docs_[slot];
  float score = 0;
  for (uint32_t t : QueryTerms(query)) {
    auto it = std::lower_bound(d.terms.begin(), d.terms.end(), t,
                               [](const std::pair<uint32_t, uint32_t>& e, uint32_t x) { return e.first < x; });
    if (it != d.terms.end() && it->first == t) score += Idf(t) * Weight(it->second, d.length);
  }
  return score;
}

uint64_t KeywordIndex::MemoryBytes() const {
  uint64_t bytes = posting_count_ * sizeof(Posting) * 2;  // postings and each document's term list
  for (const std::string& t : term_text_) bytes += t.size() + 48;  // text, dictionary node
  bytes += docs_.size() * sizeof(Document) + postings_.size() * sizeof(std::vector<Posting>);
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
  w.U32(static_cast<uint32_t>(docs_.size()));
  for (const Document& d : docs_) {
    if (!d.present) {
      w.U32(kNoDocument);
      continue;
    }
    w.U32(static_cast<uint32_t>(d.terms.size()));
    for (const auto& [term, count] : d.terms) {
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
  next.docs_.resize(slot_count);
  for (uint32_t s = 0; s < slot_count; ++s) {
    uint32_t n = 0;
    if (!r.U32(n)) return corrupt("slot " + std::to_string(s) + " is cut short");
    if (n == kNoDocument) continue;
    if (n == 0 || n > r.remaining() / 8) return corrupt("slot " + std::to_string(s) + " has a bad term count");
    Document& d = next.docs_[s];
    d.present = true;
    d.terms.resize(n);
    uint64_t length = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t term = 0, tf = 0;
      r.U32(term);
      r.U32(tf);
      if (term >= term_count || tf == 0 || (i > 0 && term <= d.terms[i - 1].first)) {
        return corrupt("slot " + std::to_string(s) + " has a bad term entry");
      }
      d.terms[i] = {term, tf};
      length += tf;
    }
    if (length > 0xFFFFFFFFu) return corrupt("slot " + std::to_string(s) + " is too long");
    d.length = static_cast<uint32_t>(length);
    ++next.live_docs_;
    next.total_length_ += length;
    next.posting_count_ += n;
  }
  if (r.remaining() != 0) return corrupt("trailing bytes");
  // Posting lists in slot order, each allocated once at its final size.
  std::vector<uint32_t> df(term_count, 0);
  for (const Document& d : next.docs_) {
    for (const auto& [term, tf] : d.terms) ++df[term];
  }
  for (uint32_t t = 0; t < term_count; ++t) next.postings_[t].reserve(df[t]);
  for (uint32_t s = 0; s < slot_count; ++s) {
    for (const auto& [term, tf] : next.docs_[s].terms) next.postings_[term].push_back(Posting{s, tf});
  }
  *this = std::move(next);
  return Status::Ok();
}

}  // namespace neurovec::text
