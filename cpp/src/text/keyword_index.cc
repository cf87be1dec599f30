#include "text/keyword_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "util/byte_io.h"
#include "text/tokenizer.h"

namespace neurovec::text {
namespace {
// Version 1: u32 version | f32 k1 | f32 b | u32 terms | per term: u32 length
// + bytes | u32 slots | per slot: u32 term count (0xFFFFFFFF: no document) +
// (u32 term id, u32 tf) pairs. Read, no longer written.
//
// Version 2: u32 version | f32 k1 | f32 b | u32 terms T | u32 slots S | u32
// term_end[T] | u32 df[T] | u32 posting_end[T] | u32 length[S] (0: no
// document) | the terms' bytes, in strictly increasing byte order, back to
// back | per term, df postings of varint(slot - previous slot, the first
// counted from -1) and varint(tf). Varints are LEB128, at most 5 bytes.
constexpr uint32_t kVersion1 = 1;
constexpr uint32_t kVersion2 = 2;
constexpr uint32_t kNoDocument = 0xFFFFFFFFu;

void WriteVarint(std::string& out, uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A checked read of one varint within [p, end).
bool ReadCheckedVarint(const uint8_t*& p, const uint8_t* end, uint32_t& v) {
  v = 0;
  for (int i = 0; i < 5; ++i) {
    if (p == end) return false;
    const uint8_t b = *p++;
    if (i == 4 && b > 0x0F) return false;  // beyond 32 bits
    v |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) return true;
  }
  return false;
}
}  // namespace

uint32_t KeywordIndex::TermId(const std::string& term) {
  auto it = dictionary_.find(term);
  if (it != dictionary_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(term_text_.size());
  dictionary_.emplace(term, id);
  term_text_.push_back(term);
  term_text_bytes_ += term.size();
  postings_.emplace_back();
  return id;
}

bool KeywordIndex::CheckList(uint32_t term) const {
  Frozen& f = *frozen_;
  const uint32_t slots = static_cast<uint32_t>(length_.size());
  const uint8_t* p = f.postings + (term ? f.posting_end[term - 1] : 0);
  const uint8_t* list_end = f.postings + f.posting_end[term];
  int64_t slot = -1;
  bool good = true;
  for (uint32_t i = 0; i < f.df[term] && good; ++i) {
    uint32_t gap = 0, tf = 0;
    good = ReadCheckedVarint(p, list_end, gap) && ReadCheckedVarint(p, list_end, tf) && gap != 0 && tf != 0;
    slot += gap;  // gap >= 1: increasing
    good = good && slot < slots && tf <= length_[slot];
  }
  good = good && p == list_end;
  f.list_state[term].store(good ? kListGood : kListBad, std::memory_order_release);
  if (!good) {
    std::lock_guard<std::mutex> lock(f.error_mutex);
    if (f.error.ok()) {
      f.error = Status::Corrupt("keyword index: the posting list of term " + std::to_string(term) + " (\"" +
                                std::string(f.Term(term)) + "\") is damaged");
    }
  }
  return good;
}

Status KeywordIndex::TakeError() const {
  if (!frozen_) return Status::Ok();
  std::lock_guard<std::mutex> lock(frozen_->error_mutex);
  Status s = std::move(frozen_->error);
  frozen_->error = Status::Ok();
  return s;
}

Status KeywordIndex::PrepareForWrites() {
  if (!frozen_) return Status::Ok();
  const Frozen& f = *frozen_;
  const uint32_t terms = static_cast<uint32_t>(f.df.size());
  // Every list, then what no single list shows: each document's term
  // frequencies sum to its length.
  std::vector<uint32_t> sum(length_.size(), 0);
  for (uint32_t t = 0; t < terms; ++t) {
    if (!CheckList(t)) return TakeError();
    ForEachPosting(t, [&](uint32_t slot, uint32_t tf) { sum[slot] += tf; });
  }
  for (uint32_t s = 0; s < sum.size(); ++s) {
    if (sum[s] != length_[s]) return Status::Corrupt("keyword index: slot " + std::to_string(s) + " has a bad length");
  }
  dictionary_.reserve(terms);
  term_text_.reserve(terms);
  postings_.assign(terms, {});
  for (uint32_t t = 0; t < terms; ++t) {
    term_text_.emplace_back(f.Term(t));
    term_text_bytes_ += term_text_.back().size();
    dictionary_.emplace(term_text_.back(), t);
    std::vector<Posting>& list = postings_[t];
    list.reserve(f.df[t]);
    ForEachPosting(t, [&](uint32_t slot, uint32_t tf) { list.push_back(Posting{slot, tf}); });
  }
  frozen_.reset();
  return Status::Ok();
}

size_t KeywordIndex::Add(uint32_t slot, std::string_view text) {
  if (!PrepareForWrites().ok()) return 0;  // damaged: callers call PrepareForWrites first and see why
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
  if (!Contains(slot) || !PrepareForWrites().ok()) return;
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
    if (frozen_) {
      // Binary search of the sorted terms.
      uint32_t lo = 0, hi = static_cast<uint32_t>(frozen_->df.size());
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (frozen_->Term(mid) < term) lo = mid + 1;
        else hi = mid;
      }
      if (lo < frozen_->df.size() && frozen_->Term(lo) == term) ids.push_back(lo);
      continue;
    }
    auto it = dictionary_.find(term);
    if (it != dictionary_.end()) ids.push_back(it->second);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

float KeywordIndex::Idf(uint32_t term) const {
  const double n = static_cast<double>(live_docs_);
  const double df = static_cast<double>(DocumentFrequency(term));
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

float KeywordIndex::Weight(uint32_t tf, uint32_t length) const {
  const double avg = live_docs_ ? static_cast<double>(total_length_) / live_docs_ : 1.0;
  const double t = tf;
  return static_cast<float>(t * (params_.k1 + 1) / (t + params_.k1 * (1 - params_.b + params_.b * length / avg)));
}

float KeywordIndex::Score(std::string_view query, uint32_t slot) const {
  float score = 0;
  ScoreSlots(query, {slot}, &score);
  return score;
}

void KeywordIndex::ScoreSlots(std::string_view query, const std::vector<uint32_t>& slots, float* out) const {
  std::fill(out, out + slots.size(), 0.0f);
  if (slots.empty()) return;
  // Slots in order, to walk each posting list once beside them.
  std::vector<uint32_t> order(slots.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return slots[a] < slots[b]; });
  for (uint32_t t : QueryTerms(query)) {
    const float idf = Idf(t);
    if (!frozen_) {
      const std::vector<Posting>& list = postings_[t];
      for (uint32_t i = 0; i < slots.size(); ++i) {
        const uint32_t slot = slots[i];
        if (!Contains(slot)) continue;
        auto it = std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
        if (it != list.end() && it->slot == slot) out[i] += idf * Weight(it->tf, length_[slot]);
      }
      continue;
    }
    size_t next = 0;
    ForEachPosting(t, [&](uint32_t slot, uint32_t tf) {
      while (next < order.size() && slots[order[next]] < slot) ++next;
      for (size_t j = next; j < order.size() && slots[order[j]] == slot; ++j) out[order[j]] += idf * Weight(tf, length_[slot]);
    });
  }
}

uint64_t KeywordIndex::MemoryBytes() const {
  uint64_t bytes = length_.size() * sizeof(uint32_t);
  if (frozen_) return bytes + frozen_->bytes.size() + frozen_->df.size() * 3 * sizeof(uint32_t);
  bytes += posting_count_ * sizeof(Posting);
  if (forward_ready_) bytes += posting_count_ * sizeof(TermList::value_type) + forward_.size() * sizeof(TermList);
  bytes += term_text_bytes_ + term_text_.size() * 48;  // text, dictionary node
  bytes += postings_.size() * sizeof(std::vector<Posting>);
  return bytes;
}

std::string KeywordIndex::Encode() const {
  if (frozen_) {
    // Unchanged since it was decoded (a write thaws it), but for the parameters.
    std::string out = frozen_->bytes;
    std::string head;
    ByteWriter w(head);
    w.F32(params_.k1);
    w.F32(params_.b);
    out.replace(4, 8, head);
    return out;
  }
  // Only terms that still have postings, in byte order.
  std::vector<uint32_t> kept;
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (!postings_[t].empty()) kept.push_back(t);
  }
  std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) { return term_text_[a] < term_text_[b]; });
  std::string text, lists;
  std::vector<uint32_t> term_end, posting_end;
  for (uint32_t t : kept) {
    text += term_text_[t];
    term_end.push_back(static_cast<uint32_t>(text.size()));
    uint32_t previous = 0xFFFFFFFFu;
    for (const Posting& p : postings_[t]) {
      WriteVarint(lists, p.slot - previous);
      WriteVarint(lists, p.tf);
      previous = p.slot;
    }
    posting_end.push_back(static_cast<uint32_t>(lists.size()));
  }
  std::string out;
  ByteWriter w(out);
  w.U32(kVersion2);
  w.F32(params_.k1);
  w.F32(params_.b);
  w.U32(static_cast<uint32_t>(kept.size()));
  w.U32(static_cast<uint32_t>(length_.size()));
  for (uint32_t e : term_end) w.U32(e);
  for (uint32_t t : kept) w.U32(static_cast<uint32_t>(postings_[t].size()));
  for (uint32_t e : posting_end) w.U32(e);
  for (uint32_t l : length_) w.U32(l);
  w.Bytes(text.data(), text.size());
  w.Bytes(lists.data(), lists.size());
  return out;
}

Status KeywordIndex::Decode(const uint8_t* data, size_t size) {
  return Decode(std::string(reinterpret_cast<const char*>(data), size));
}

Status KeywordIndex::Decode(std::string&& bytes) {
  uint32_t version = 0;
  ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!r.U32(version)) return Status::Corrupt("keyword index: cut short");
  if (version == kVersion1) return DecodeVersion1(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (version == kVersion2) return DecodeVersion2(std::move(bytes));
  return Status::Corrupt("keyword index: unknown version " + std::to_string(version));
}

Status KeywordIndex::DecodeVersion2(std::string&& bytes) {
  auto corrupt = [](const std::string& what) { return Status::Corrupt("keyword index: " + what); };
  KeywordIndex next;
  auto f = std::make_unique<Frozen>();
  f->bytes = std::move(bytes);
  const uint8_t* data = reinterpret_cast<const uint8_t*>(f->bytes.data());
  const size_t size = f->bytes.size();
  ByteReader r(data, size);
  uint32_t version = 0, terms = 0, slots = 0;
  if (!r.U32(version) || !r.F32(next.params_.k1) || !r.F32(next.params_.b) || !r.U32(terms) || !r.U32(slots)) {
    return corrupt("cut short");
  }
  if (!(next.params_.k1 >= 0 && next.params_.k1 <= 100) || !(next.params_.b >= 0 && next.params_.b <= 1)) {
    return corrupt("BM25 parameters out of range");
  }
  if (terms > r.remaining() / 12 || slots > (r.remaining() - 12ull * terms) / 4) return corrupt("counts larger than the section");
  auto read_u32s = [&](std::vector<uint32_t>& v, uint32_t n) {
    v.resize(n);
    const uint8_t* at = nullptr;
    r.Bytes(4ull * n, at);
    if (n) std::memcpy(v.data(), at, 4ull * n);  // little-endian hosts (x86-64, wasm32)
  };
  read_u32s(f->term_end, terms);
  read_u32s(f->df, terms);
  read_u32s(f->posting_end, terms);
  read_u32s(next.length_, slots);
  const uint64_t text_bytes = terms ? f->term_end.back() : 0;
  if (text_bytes > r.remaining()) return corrupt("terms larger than the section");
  f->term_text = reinterpret_cast<const char*>(data + r.position());
  f->postings = data + r.position() + text_bytes;
  const uint64_t list_bytes = terms ? f->posting_end.back() : 0;
  if (list_bytes != r.remaining() - text_bytes) return corrupt("postings do not fill the section");
  // Terms: non-empty, bounded, strictly increasing. Lists: at least one
  // posting each, in order, each posting 2 to 10 bytes. What the postings
  // hold is checked per list when a search first reads it (CheckList), and
  // in full before the first write (PrepareForWrites): decoding 2 million
  // postings was the largest part of opening the catalogue index.
  for (uint32_t t = 0; t < terms; ++t) {
    const uint32_t begin = t ? f->term_end[t - 1] : 0;
    if (f->term_end[t] <= begin || f->term_end[t] - begin > 4 * kMaxWordBytes) return corrupt("term " + std::to_string(t) + " has a bad length");
    if (t > 0 && !(f->Term(t - 1) < f->Term(t))) return corrupt("terms are not in order");
    const uint32_t list_begin = t ? f->posting_end[t - 1] : 0;
    const uint64_t bytes_of_list = static_cast<uint64_t>(f->posting_end[t]) - list_begin;
    if (f->posting_end[t] < list_begin || f->df[t] == 0 || f->df[t] > slots || bytes_of_list < 2ull * f->df[t] ||
        bytes_of_list > 10ull * f->df[t]) {
      return corrupt("term " + std::to_string(t) + " has a bad list");
    }
    next.posting_count_ += f->df[t];
  }
  for (uint32_t s = 0; s < slots; ++s) {
    if (next.length_[s] == 0) continue;
    ++next.live_docs_;
    next.total_length_ += next.length_[s];
  }
  f->list_state = std::make_unique<std::atomic<uint8_t>[]>(terms);  // zeros: unchecked
  next.frozen_ = std::move(f);
  *this = std::move(next);
  return Status::Ok();
}

Status KeywordIndex::DecodeVersion1(const uint8_t* data, size_t size) {
  auto corrupt = [](const std::string& what) { return Status::Corrupt("keyword index: " + what); };
  ByteReader r(data, size);
  uint32_t version = 0, term_count = 0, slot_count = 0;
  KeywordIndex next;
  if (!r.U32(version) || !r.F32(next.params_.k1) || !r.F32(next.params_.b) || !r.U32(term_count)) return corrupt("cut short");
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
    next.term_text_bytes_ += term.size();
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
