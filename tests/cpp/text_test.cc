// The text layer (cpp/src/text, neurovec/text_index.h): tokenizer and hashing
// pinned to fixed values (this file also runs compiled to wasm, so the two
// builds agree byte for byte), BM25 against a computation written here, the
// encoder's weights format, the trainer's gradient against finite
// differences, and TextIndex's search modes, feedback and file round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "neurovec/text_index.h"
#include "persistence/index_file.h"
#include "util/byte_io.h"
#include "index_file_edit.h"
#include "no_view_storage.h"
#include "test_util.h"
#include "text/encoder_trainer.h"
#include "text/keyword_index.h"
#include "text/text_encoder.h"
#include "text/text_features.h"
#include "text/tokenizer.h"

namespace {

using neurovec::ItemKey;
using neurovec::StatusCode;
using neurovec::TextIndex;
using neurovec::TextIndexConfig;
using neurovec::TextSearchMode;
using neurovec::TextSearchOptions;
using namespace neurovec::text;

TEST(Tokenizer, WordsAreLowercasedRunsOfLettersDigitsAndUtf8) {
  EXPECT_EQ(Words("Play MUSIC, from the-terminal! 3d"),
            (std::vector<std::string>{"play", "music", "from", "the", "terminal", "3d"}));
  EXPECT_EQ(Words("Café déjà-vu"), (std::vector<std::string>{"café", "déjà", "vu"}));
  EXPECT_TRUE(Words("  ,;!? ").empty());
  EXPECT_TRUE(Words("").empty());
  // A long word is cut to kMaxWordBytes, never inside a UTF-8 sequence.
  std::string longword(39, 'a');
  longword += "éééé";
  const auto w = Words(longword);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], std::string(39, 'a'));
}

TEST(Tokenizer, StemmerAndStopwords) {
  EXPECT_EQ(StemEnglish("plays"), "play");
  EXPECT_EQ(StemEnglish("playing"), "play");
  EXPECT_EQ(StemEnglish("running"), "run");
  EXPECT_EQ(StemEnglish("libraries"), "library");
  EXPECT_EQ(StemEnglish("classes"), "class");
  EXPECT_EQ(StemEnglish("scanned"), "scan");
  EXPECT_EQ(StemEnglish("status"), "status");
  EXPECT_EQ(StemEnglish("bus"), "bus");
  EXPECT_EQ(StemEnglish("caf\xc3\xa9s"), "caf\xc3\xa9s");
  EXPECT_TRUE(IsStopword("the"));
  EXPECT_TRUE(IsStopword("with"));
  EXPECT_FALSE(IsStopword("music"));
  EXPECT_EQ(KeywordTerms("Playing the music files"), (std::vector<std::string>{"play", "music", "file"}));
}

TEST(TextFeatures, HashingIsPinned) {
  // Fixed values: any change to the hashing breaks every trained encoder.
  EXPECT_EQ(FeatureBucket('w', "music", 17), 61269u);
  EXPECT_EQ(FeatureBucket('b', "play music", 17), 128520u);
  EXPECT_EQ(FeatureBucket('c', "<mu", 20), 37773u);
  EXPECT_EQ(FeatureBucket('w', "caf\xc3\xa9", 10), 195u);
  FeatureConfig c;
  std::vector<uint32_t> b;
  TextFeatures(c, "Play MUSIC", &b);
  const std::vector<uint32_t> expected = {126289, 128520, 114027, 31793, 28325, 71670, 112798, 58901,
                                          122148, 54307,  70826,  61269, 4721,  115766, 24819, 66854,
                                          104941, 85621,  28518,  126662, 13045, 41002, 11927, 61331};
  EXPECT_EQ(b, expected);
}

// BM25 written out for a toy corpus, compared with the index's scores.
TEST(KeywordIndex, Bm25MatchesAReferenceComputation) {
  const std::vector<std::string> docs = {"audio player plays music", "music notation editor", "terminal music player",
                                         "image viewer", "network audio server audio"};
  KeywordIndex index;
  for (uint32_t i = 0; i < docs.size(); ++i) index.Add(i, docs[i]);
  const double k1 = 1.2, b = 0.75;
  std::vector<std::vector<std::string>> terms;
  double total = 0;
  for (const auto& d : docs) {
    terms.push_back(KeywordTerms(d));
    total += terms.back().size();
  }
  const double avg = total / docs.size();
  for (const std::string query : {"music player", "audio", "terminal music", "viewer of images"}) {
    std::set<std::string> q;
    for (const auto& t : KeywordTerms(query)) q.insert(t);
    std::map<uint32_t, double> expected;
    for (uint32_t i = 0; i < docs.size(); ++i) {
      double s = 0;
      for (const auto& t : q) {
        double df = 0;
        for (const auto& d : terms) df += std::count(d.begin(), d.end(), t) > 0;
        const double tf = std::count(terms[i].begin(), terms[i].end(), t);
        if (tf == 0) continue;
        const double idf = std::log(1 + (docs.size() - df + 0.5) / (df + 0.5));
        s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * terms[i].size() / avg));
      }
      if (s > 0) expected[i] = s;
    }
    const auto hits = index.Search(query, 10);
    ASSERT_EQ(hits.size(), expected.size()) << query;
    for (size_t r = 0; r < hits.size(); ++r) {
      EXPECT_NEAR(hits[r].score, expected[hits[r].slot], 1e-5) << query;
      EXPECT_NEAR(index.Score(query, hits[r].slot), expected[hits[r].slot], 1e-5) << query;
      if (r > 0) {
        EXPECT_GE(hits[r - 1].score, hits[r].score);
      }
    }
  }
}

TEST(KeywordIndex, RemoveAndRoundTripAndDamage) {
  KeywordIndex index;
  index.Add(0, "audio player");
  index.Add(3, "music player");
  index.Add(5, "video player");
  index.Remove(3);
  EXPECT_EQ(index.documents(), 2u);
  for (const auto& h : index.Search("music player", 10)) EXPECT_NE(h.slot, 3u);
  const std::string bytes = index.Encode();
  KeywordIndex copy;
  ASSERT_TRUE(copy.Decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  EXPECT_EQ(copy.Encode(), bytes);
  EXPECT_EQ(copy.documents(), 2u);
  EXPECT_NEAR(copy.Score("player", 5), index.Score("player", 5), 1e-6);
  // Every truncation is refused, and the index keeps what it had.
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto s = copy.Decode(reinterpret_cast<const uint8_t*>(bytes.data()), n);
    EXPECT_EQ(s.code(), StatusCode::kCorrupt) << n;
  }
  EXPECT_EQ(copy.documents(), 2u);
}

// An opened index builds each document's term list only when a delete needs
// it: deletes and re-adds after a decode must leave what a fresh index has.
TEST(KeywordIndex, DeletesAfterDecodeMatchAFreshIndex) {
  const std::vector<std::string> docs = {"audio player", "music player plays music", "video player", "image viewer",
                                         "music notation"};
  KeywordIndex a;
  for (uint32_t i = 0; i < docs.size(); ++i) a.Add(i, docs[i]);
  const std::string bytes = a.Encode();
  KeywordIndex b;
  ASSERT_TRUE(b.Decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok());
  for (KeywordIndex* x : {&a, &b}) {
    x->Remove(1);
    x->Add(1, "a music box");
    x->Remove(3);
    x->Add(7, "music streaming player");
  }
  EXPECT_EQ(a.Encode(), b.Encode());
  // MemoryBytes keeps a running count of term text: a new term adds its bytes, in both forms.
  for (KeywordIndex* x : {&a, &b}) {
    const uint64_t before = x->MemoryBytes();
    x->Add(9, "zyzzyvas");
    EXPECT_GE(x->MemoryBytes(), before + 8 + 48);
    x->Remove(9);
  }
  for (const std::string q : {"music", "player", "image", "box"}) {
    const auto ha = a.Search(q, 10), hb = b.Search(q, 10);
    ASSERT_EQ(ha.size(), hb.size()) << q;
    for (size_t i = 0; i < ha.size(); ++i) {
      EXPECT_EQ(ha[i].slot, hb[i].slot);
      EXPECT_FLOAT_EQ(ha[i].score, hb[i].score);
      EXPECT_FLOAT_EQ(b.Score(q, hb[i].slot), hb[i].score);
    }
  }
}

// A decoded (version 2) index searches its encoded form in place; the first
// write thaws it. Both must score exactly as the index that wrote it.
TEST(KeywordIndex, FrozenFormSearchesLikeTheIndexThatWroteIt) {
  const std::vector<std::string> words = {"audio", "music", "player", "video", "image", "viewer", "editor",
                                          "terminal", "mail", "backup", "scanner", "photo", "stream", "box"};
  nvtest::Rng rng(5);
  KeywordIndex a;
  for (uint32_t slot = 0; slot < 400; ++slot) {
    if (slot % 7 == 3) continue;  // gaps: slots without a document
    std::string doc;
    const int n = 1 + static_cast<int>(rng.Uniform(0, 9));
    for (int i = 0; i < n; ++i) doc += words[static_cast<size_t>(rng.Uniform(0, words.size() - 0.001))] + " ";
    a.Add(slot, doc);
  }
  a.Remove(10);
  const std::string bytes = a.Encode();
  KeywordIndex b;
  ASSERT_TRUE(b.Decode(std::string(bytes)).ok());
  EXPECT_TRUE(b.frozen());
  EXPECT_EQ(b.Encode(), bytes);
  EXPECT_EQ(b.documents(), a.documents());
  EXPECT_EQ(b.postings(), a.postings());
  auto same = [&](const std::string& context) {
    for (const std::string q : {"music player", "terminal mail mail", "photo editor backup", "box", "unknownword"}) {
      const auto ha = a.Search(q, 20), hb = b.Search(q, 20);
      ASSERT_EQ(ha.size(), hb.size()) << context << " " << q;
      for (size_t i = 0; i < ha.size(); ++i) {
        EXPECT_EQ(ha[i].slot, hb[i].slot) << context << " " << q;
        EXPECT_FLOAT_EQ(ha[i].score, hb[i].score) << context << " " << q;
      }
      const std::vector<uint32_t> slots = {399, 0, 10, 3, 57, 57, 200, 1000};
      std::vector<float> sa(slots.size()), sb(slots.size());
      a.ScoreSlots(q, slots, sa.data());
      b.ScoreSlots(q, slots, sb.data());
      // The scores a search hands back beside its top k (hybrid search's
      // semantic candidates) are the same numbers.
      std::vector<float> also(slots.size());
      b.Search(q, 3, [](uint32_t) { return true; }, &slots, also.data());
      for (size_t i = 0; i < slots.size(); ++i) {
        EXPECT_FLOAT_EQ(sa[i], sb[i]) << context << " " << q << " slot " << slots[i];
        EXPECT_FLOAT_EQ(sb[i], b.Score(q, slots[i])) << context << " " << q;
        EXPECT_EQ(also[i], sb[i]) << context << " " << q << " slot " << slots[i];
      }
    }
  };
  same("frozen");
  for (KeywordIndex* x : {&a, &b}) {
    x->Add(401, "music music box");
    x->Remove(0);
  }
  EXPECT_FALSE(b.frozen());
  same("thawed");
  EXPECT_EQ(a.Encode(), b.Encode());
}

// Files written before the version 2 form still open (version 1: per-slot
// lists of (term id, tf)); they are written back in the new form.
TEST(KeywordIndex, ReadsVersion1) {
  std::string v1;
  neurovec::ByteWriter w(v1);
  w.U32(1);
  w.F32(1.2f);
  w.F32(0.75f);
  w.U32(2);  // terms
  for (const std::string t : {"player", "audio"}) {
    w.U32(static_cast<uint32_t>(t.size()));
    w.Bytes(t.data(), t.size());
  }
  w.U32(3);  // slots
  w.U32(2), w.U32(0), w.U32(2), w.U32(1), w.U32(1);  // slot 0: player x2, audio
  w.U32(0xFFFFFFFFu);                                // slot 1: no document
  w.U32(1), w.U32(0), w.U32(1);                      // slot 2: player
  KeywordIndex index;
  ASSERT_TRUE(index.Decode(reinterpret_cast<const uint8_t*>(v1.data()), v1.size()).ok());
  EXPECT_FALSE(index.frozen());
  EXPECT_EQ(index.documents(), 2u);
  const auto hits = index.Search("audio player", 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].slot, 0u);
  KeywordIndex fresh;
  fresh.Add(0, "player player audio");
  fresh.Add(2, "player");
  EXPECT_EQ(index.Encode(), fresh.Encode());
}

// Damage that passes a checksum (or a hostile file): every single-byte change
// of a version 2 form is refused as CORRUPT or decodes to an index whose
// searches stay in bounds.
TEST(KeywordIndex, DamagedVersion2IsRefusedOrSafe) {
  KeywordIndex a;
  a.Add(0, "audio player");
  a.Add(2, "music player plays music");
  a.Add(5, "video editor");
  const std::string bytes = a.Encode();
  size_t refused = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ flip);
      KeywordIndex b;
      neurovec::Status s = b.Decode(std::move(damaged));
      if (!s.ok()) {
        EXPECT_EQ(s.code(), StatusCode::kCorrupt);
        ++refused;
        continue;
      }
      // Lists are checked when read: a search that met a damaged one says
      // so, and the full check before writes finds at least as much.
      bool search_found_damage = false;
      for (const std::string q : {"music player plays", "video", "audio editor"}) {
        for (const auto& h : b.Search(q, 10)) EXPECT_LE(h.slot, 5u);
        EXPECT_GE(b.Score(q, 2), 0.0f);
        const neurovec::Status e = b.TakeError();
        if (!e.ok()) EXPECT_EQ(e.code(), StatusCode::kCorrupt);
        search_found_damage |= !e.ok();
      }
      const neurovec::Status w = b.PrepareForWrites();
      if (search_found_damage) EXPECT_EQ(w.code(), StatusCode::kCorrupt) << i;
      if (!w.ok()) {
        EXPECT_EQ(w.code(), StatusCode::kCorrupt);
        EXPECT_TRUE(b.frozen());
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, bytes.size());  // most damage is caught
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(KeywordIndex().Decode(std::string(bytes, 0, n)).code(), StatusCode::kCorrupt) << n;
  }
}

// A decoded index checks each posting list when a search first reads it: a
// damaged list counts as empty and TakeError names it; lists of other terms
// still serve; the first write finds the damage and changes nothing.
TEST(KeywordIndex, DamagedListIsFoundWhenReadAndBeforeWrites) {
  KeywordIndex a;
  a.Add(0, "audio player");
  a.Add(2, "music player plays music");
  a.Add(5, "video editor");
  std::string bytes = a.Encode();
  // The last term ("video") has the last list: one posting, slot 5 (gap 6), tf 1.
  ASSERT_EQ(bytes[bytes.size() - 2], 6);
  bytes[bytes.size() - 2] = 9;  // slot 8: past the slots the index holds
  KeywordIndex b;
  ASSERT_TRUE(b.Decode(std::string(bytes)).ok());  // list contents are not read at decode
  EXPECT_TRUE(b.TakeError().ok());
  const auto music = b.Search("music", 10);
  ASSERT_EQ(music.size(), 1u);
  EXPECT_EQ(music[0].slot, 2u);
  EXPECT_TRUE(b.TakeError().ok());
  EXPECT_TRUE(b.Search("video", 10).empty());
  const neurovec::Status e = b.TakeError();
  EXPECT_EQ(e.code(), StatusCode::kCorrupt);
  EXPECT_NE(e.message().find("\"video\""), std::string::npos) << e.message();
  EXPECT_TRUE(b.TakeError().ok());  // taken
  EXPECT_EQ(b.Score("video", 5), 0.0f);
  EXPECT_EQ(b.TakeError().code(), StatusCode::kCorrupt);  // met again, reported again
  EXPECT_EQ(b.PrepareForWrites().code(), StatusCode::kCorrupt);
  EXPECT_EQ(b.Add(7, "new document"), 0u);
  EXPECT_TRUE(b.frozen());
  EXPECT_EQ(b.documents(), 3u);
  EXPECT_EQ(b.Encode(), bytes);
  // Sound lists whose term frequencies do not add up to a document's length:
  // no single list shows it, the check before writes does.
  KeywordIndex c;
  c.Add(0, "audio audio");
  std::string sums = c.Encode();
  ASSERT_EQ(sums[sums.size() - 1], 2);  // "audio": slot 0 (gap 1), tf 2
  sums[sums.size() - 1] = 1;
  KeywordIndex d;
  ASSERT_TRUE(d.Decode(std::move(sums)).ok());
  EXPECT_EQ(d.Search("audio", 10).size(), 1u);
  EXPECT_TRUE(d.TakeError().ok());
  EXPECT_EQ(d.PrepareForWrites().code(), StatusCode::kCorrupt);
}

std::vector<float> RandomRows(uint32_t log2, uint32_t dim, uint64_t seed) {
  nvtest::Rng rng(seed);
  std::vector<float> rows((size_t{1} << log2) * dim);
  for (float& v : rows) v = static_cast<float>(rng.Uniform(-1, 1));
  return rows;
}

TEST(TextEncoder, WeightsRoundTripAndDamageIsCorrupt) {
  FeatureConfig f;
  f.log2_buckets = 10;
  const auto rows = RandomRows(10, 16, 1);
  auto e = TextEncoder::FromFloatRows(f, 16, rows.data());
  ASSERT_TRUE(e.ok());
  const std::string bytes = e.value().ToBytes();
  auto back = TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().ToBytes(), bytes);
  std::vector<float> v(16), w(16);
  ASSERT_TRUE(back.value().Encode("a text to encode", v.data()));
  double norm = 0;
  for (float x : v) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  // int8 rows stay close to the f32 ones.
  back.value().Row(7, w.data());
  for (uint32_t j = 0; j < 16; ++j) EXPECT_NEAR(w[j], rows[7 * 16 + j], 1.0 / 127 + 1e-6);
  EXPECT_FALSE(back.value().Encode("?!", v.data()));
  for (size_t pos : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[pos] ^= 0x10;
    auto r = TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    EXPECT_FALSE(r.ok()) << pos;
  }
  EXPECT_FALSE(TextEncoder::FromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size() - 1).ok());
}

TEST(EncoderTrainer, GradientMatchesFiniteDifferences) {
  EncoderTrainOptions o;
  o.features.log2_buckets = 10;
  o.features.max_n = 3;
  o.dimensions = 6;
  o.temperature = 0.5f;
  o.init_scale = 0.5f;
  const std::vector<std::string> texts = {"play music", "audio player for music", "scan paper", "document scanner",
                                          "edit images", "image editor program"};
  std::vector<TextPair> pairs = {{0, 1}, {2, 3}, {4, 5}};
  auto t = EncoderTrainer::Create(o, texts, pairs);
  ASSERT_TRUE(t.ok());
  EncoderTrainer& trainer = t.value();
  std::vector<float> grad;
  trainer.LossAndGradient(pairs, &grad);
  // Check the coordinates with the largest gradients plus a few others.
  std::vector<size_t> order(grad.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::partial_sort(order.begin(), order.begin() + 12, order.end(),
                    [&](size_t a, size_t b) { return std::fabs(grad[a]) > std::fabs(grad[b]); });
  ASSERT_GT(std::fabs(grad[order[0]]), 1e-4);
  for (int i = 0; i < 12; ++i) {
    const size_t at = order[i];
    float& w = trainer.rows()[at];
    const float saved = w;
    const double h = 1e-3;
    w = static_cast<float>(saved + h);
    const double up = trainer.LossAndGradient(pairs, nullptr);
    w = static_cast<float>(saved - h);
    const double down = trainer.LossAndGradient(pairs, nullptr);
    w = saved;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(grad[at], numeric, 2e-3 + 0.02 * std::fabs(numeric)) << "coordinate " << at;
  }
}

TEST(EncoderTrainer, TrainingLowersTheLossAndIsSeeded) {
  EncoderTrainOptions o;
  o.features.log2_buckets = 12;
  o.dimensions = 16;
  o.epochs = 30;
  o.batch = 4;
  o.temperature = 0.1f;
  const std::vector<std::string> texts = {"play music",      "audio player for songs", "scan paper",   "document scanner",
                                          "edit photos",     "image editor",           "send email",   "mail client",
                                          "compile c code",  "compiler collection",    "chat online",  "instant messenger"};
  std::vector<TextPair> pairs;
  for (uint32_t i = 0; i < texts.size(); i += 2) pairs.push_back({i, i + 1});
  auto a = EncoderTrainer::Create(o, texts, pairs);
  auto b = EncoderTrainer::Create(o, texts, pairs);
  ASSERT_TRUE(a.ok() && b.ok());
  const double before = a.value().LossAndGradient(pairs, nullptr);
  ASSERT_TRUE(a.value().Train().ok());
  ASSERT_TRUE(b.value().Train().ok());
  const double after = a.value().LossAndGradient(pairs, nullptr);
  EXPECT_LT(after, 0.5 * before);
  EXPECT_EQ(a.value().rows(), b.value().rows());
  EXPECT_EQ(a.value().Encoder().value().ToBytes(), b.value().Encoder().value().ToBytes());
}

// A small trained encoder for TextIndex tests.
std::string TinyEncoder() {
  EncoderTrainOptions o;
  o.features.log2_buckets = 12;
  o.dimensions = 16;
  o.epochs = 20;
  o.batch = 4;
  const std::vector<std::string> texts = {"play music", "audio player", "scan paper", "document scanner",
                                          "edit photos", "image editor", "send email", "mail client"};
  std::vector<TextPair> pairs;
  for (uint32_t i = 0; i < texts.size(); i += 2) pairs.push_back({i, i + 1});
  auto t = EncoderTrainer::Create(o, texts, pairs);
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(t.value().Train().ok());
  return t.value().Encoder().value().ToBytes();
}

const std::vector<std::pair<std::string, std::string>> kDocs = {
    {"mpg123", "mpg123 console MPEG audio player for music files"},
    {"cmus", "cmus small terminal music player"},
    {"simple-scan", "simple-scan document scanner for paper"},
    {"gimp", "gimp image editor for photos"},
    {"mutt", "mutt text mode mail client"},
    {"sane", "sane scanner access, scan paper and documents"},
};

std::unique_ptr<TextIndex> MakeIndex() {
  neurovec::IndexConfig vc;
  auto t = TextIndex::Create(TextIndexConfig(), TinyEncoder(), vc);
  EXPECT_TRUE(t.ok()) << t.status().message();
  for (const auto& [id, text] : kDocs) {
    EXPECT_TRUE(t.value()->Add(ItemKey::String(id), text, "{\"len\": " + std::to_string(text.size()) + "}").ok());
  }
  return t.take();
}

std::vector<std::string> Ids(const TextIndex& t, const std::vector<neurovec::TextHit>& hits) {
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(t.vectors().KeyOf(h.slot).string());
  return ids;
}

TEST(TextIndex, ModesFindTheDocuments) {
  auto t = MakeIndex();
  TextSearchOptions o;
  o.k = 3;
  o.mode = TextSearchMode::kKeyword;
  auto kw = t->Search("terminal music", o);
  ASSERT_TRUE(kw.ok());
  EXPECT_EQ(Ids(*t, kw.value())[0], "cmus");
  o.mode = TextSearchMode::kSemantic;
  auto sem = t->Search("play music", o);
  ASSERT_TRUE(sem.ok());
  EXPECT_EQ(sem.value().size(), 3u);
  for (size_t i = 1; i < sem.value().size(); ++i) EXPECT_GE(sem.value()[i - 1].score, sem.value()[i].score);
  o.mode = TextSearchMode::kHybrid;
  auto hy = t->Search("scan paper documents", o);
  ASSERT_TRUE(hy.ok());
  const auto ids = Ids(*t, hy.value());
  EXPECT_TRUE(ids[0] == "sane" || ids[0] == "simple-scan");
  // A filter applies in every mode.
  o.filter = "{\"len\": {\"$lt\": 35}}";
  for (auto mode : {TextSearchMode::kKeyword, TextSearchMode::kSemantic, TextSearchMode::kHybrid}) {
    o.mode = mode;
    auto f = t->Search("music player", o);
    ASSERT_TRUE(f.ok());
    for (const auto& h : f.value()) EXPECT_LT(t->vectors().Metadata(h.slot).size(), 12u);
    for (const auto& id : Ids(*t, f.value())) EXPECT_NE(id, "mpg123");
  }
}

TEST(TextIndex, BadInputIsRefusedAndChangesNothing) {
  auto t = MakeIndex();
  EXPECT_EQ(t->Add(ItemKey::String("x"), "!!! ???").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t->Add(ItemKey::String("y"), std::string(TextIndexConfig::kMaxTextBytes + 1, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(t->Add(ItemKey::String("cmus"), "again").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(t->AddBatch({ItemKey::String("p"), ItemKey::String("q")}, {"good text", "..."}, {}, {}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(t->Contains(ItemKey::String("p")));
  EXPECT_EQ(t->Stats().documents, kDocs.size());
  TextSearchOptions o;
  EXPECT_EQ(t->Search("", o).status().code(), StatusCode::kInvalidArgument);
  o.k = 0;
  EXPECT_EQ(t->Search("music", o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t->Feedback("music", {ItemKey::String("nope")}, {}, {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(t->Feedback("music", {}, {}, {}).code(), StatusCode::kInvalidArgument);
}

TEST(TextIndex, FeedbackMovesClickedDocumentsForSimilarQueries) {
  auto t = MakeIndex();
  TextSearchOptions o;
  o.k = 6;
  auto before = t->Search("music player", o);
  ASSERT_TRUE(before.ok());
  const auto ids = Ids(*t, before.value());
  const std::string last = ids.back();
  auto rank = [](const std::vector<std::string>& list, const std::string& id) {
    return std::find(list.begin(), list.end(), id) - list.begin();
  };
  ASSERT_TRUE(t->Feedback("music player", {ItemKey::String(last)}, {ItemKey::String(ids[0])}, {}).ok());
  auto after = t->Search("music player", o);
  ASSERT_TRUE(after.ok());
  const auto moved = Ids(*t, after.value());
  EXPECT_LT(rank(moved, last), rank(ids, last));
  EXPECT_GT(rank(moved, ids[0]), 0);
  // Each event adds its boost: a second click puts the document first.
  ASSERT_TRUE(t->Feedback("music player", {ItemKey::String(last)}, {}, {}).ok());
  EXPECT_EQ(Ids(*t, t->Search("music player", o).value())[0], last);
  o.use_feedback = false;
  EXPECT_EQ(Ids(*t, t->Search("music player", o).value()), ids);
  t->ClearFeedback();
  o.use_feedback = true;
  EXPECT_EQ(Ids(*t, t->Search("music player", o).value()), ids);
}

TEST(TextIndex, FileRoundTripKeepsResultsAndFeedback) {
  auto t = MakeIndex();
  ASSERT_TRUE(t->Feedback("mail", {ItemKey::String("mutt")}, {}, {ItemKey::String("gimp")}).ok());
  ASSERT_TRUE(t->Remove(ItemKey::String("gimp")).value());
  const std::string bytes = t->vectors().SaveToBytes();
  auto loaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok());
  auto u = TextIndex::Attach(loaded.take());
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u.value()->Stats().documents, kDocs.size() - 1);
  EXPECT_EQ(u.value()->Stats().feedback_events, 1u);
  for (auto mode : {TextSearchMode::kKeyword, TextSearchMode::kSemantic, TextSearchMode::kHybrid}) {
    TextSearchOptions o;
    o.mode = mode;
    o.k = 5;
    auto a = t->Search("mail and music", o);
    auto b = u.value()->Search("mail and music", o);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(Ids(*t, a.value()), Ids(*u.value(), b.value()));
  }
  // Saved again: the same bytes.
  EXPECT_EQ(u.value()->vectors().SaveToBytes(), bytes);
  // A plain vector index file has no text layer.
  neurovec::IndexConfig plain_config;
  plain_config.dimensions = 4;
  auto plain = neurovec::VectorIndex::Create(plain_config);
  EXPECT_EQ(TextIndex::Attach(plain.take()).status().code(), StatusCode::kFailedPrecondition);
}

TEST(TextIndex, DamagedTextSectionsAreCorrupt) {
  auto t = MakeIndex();
  const std::string bytes = t->vectors().SaveToBytes();
  auto table = neurovec::index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(table.ok());
  int found = 0;
  for (const auto& e : table.value()) {
    if (e.kind < neurovec::index_file::kTextEncoder || e.kind > neurovec::index_file::kTextState) continue;
    ++found;
    std::string bad = bytes;
    bad[e.offset + e.length / 2] ^= 0x01;
    auto loaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    ASSERT_FALSE(loaded.ok()) << "section " << e.kind;
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorrupt);
  }
  EXPECT_EQ(found, 3);
}

// A keyword section damaged under a valid checksum (a hostile file) opens;
// the search that reads the damaged list and any write fail as CORRUPT, and
// the write changes nothing.
TEST(TextIndex, DamagedKeywordListFailsTheSearchThatReadsIt) {
  auto t = MakeIndex();
  std::string bytes = t->vectors().SaveToBytes();
  bool damaged = false;
  for (const nvtest::SectionRef& s : nvtest::Sections(bytes)) {
    if (s.kind != neurovec::index_file::kKeywordIndex) continue;
    // The section ends with the last term's list, whose last posting is
    // (gap, tf) in one byte each: the gap made to point past every slot.
    bytes[s.offset + s.length - 2] = 0x7F;
    nvtest::Reseal(bytes, s);
    damaged = true;
  }
  ASSERT_TRUE(damaged);
  auto loaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto u = TextIndex::Attach(loaded.take());
  ASSERT_TRUE(u.ok()) << u.status().message();
  TextSearchOptions o;
  o.mode = TextSearchMode::kKeyword;
  EXPECT_TRUE(u.value()->Search("music", o).ok());
  // Every term, so the damaged list is read whichever term it belongs to.
  std::string all;
  for (const auto& [id, text] : kDocs) all += text + " ";
  auto bad = u.value()->Search(all, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(bad.status().message().find("keyword index section"), std::string::npos) << bad.status().message();
  const uint64_t before = u.value()->vectors().Stats().size;
  EXPECT_EQ(u.value()->Add(ItemKey::String("new"), "a new music player").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(u.value()->Remove(ItemKey::String("cmus")).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(u.value()->vectors().Stats().size, before);
}

std::unique_ptr<TextIndex> OpenReadOnlyPaged(const std::string& bytes) {
  neurovec::OpenOptions options;
  options.read_only = true;
  options.page_cache_bytes = 1 << 20;
  auto opened = neurovec::VectorIndex::Open(std::make_unique<nvtest::NoViewStorage>(bytes), options);
  EXPECT_TRUE(opened.ok()) << opened.status().message();
  if (!opened.ok()) return nullptr;
  auto t = TextIndex::Attach(opened.take());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? t.take() : nullptr;
}

TEST(TextIndex, ReadOnlyPagedOpenReadsTheEncoderWhenFirstNeeded) {
  auto built = MakeIndex();
  const std::string bytes = built->vectors().SaveToBytes();
  auto t = OpenReadOnlyPaged(bytes);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->vectors().sections_left_in_file(),
            (std::vector<uint32_t>{neurovec::index_file::kTextEncoder, neurovec::index_file::kKeywordIndex,
                                   neurovec::index_file::kTextState}));
  EXPECT_FALSE(t->Stats().encoder_loaded);
  EXPECT_EQ(t->Stats().encoder_bytes, 0u);
  EXPECT_EQ(t->Stats().documents, built->Stats().documents);
  // Keywords answer without the encoder.
  TextSearchOptions o;
  o.k = 4;
  o.mode = TextSearchMode::kKeyword;
  auto kw = t->Search("terminal music", o);
  ASSERT_TRUE(kw.ok()) << kw.status().message();
  EXPECT_EQ(Ids(*t, kw.value()), Ids(*built, built->Search("terminal music", o).value()));
  EXPECT_FALSE(t->Stats().encoder_loaded);
  // A hybrid search reads it, and ranks as the index it was saved from.
  o.mode = TextSearchMode::kHybrid;
  auto hybrid = t->Search("terminal music", o);
  ASSERT_TRUE(hybrid.ok()) << hybrid.status().message();
  EXPECT_TRUE(t->Stats().encoder_loaded);
  EXPECT_EQ(t->Stats().encoder_bytes, built->Stats().encoder_bytes);
  EXPECT_EQ(Ids(*t, hybrid.value()), Ids(*built, built->Search("terminal music", o).value()));
  // An image of it (never having read the encoder) carries the encoder.
  auto fresh = OpenReadOnlyPaged(bytes);
  ASSERT_NE(fresh, nullptr);
  const std::string copy = fresh->vectors().SaveToBytes();
  auto reloaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(copy.data()), copy.size());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  auto again = TextIndex::Attach(reloaded.take());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(Ids(*again.value(), again.value()->Search("terminal music", o).value()), Ids(*t, hybrid.value()));
}

TEST(TextIndex, DamagedEncoderLeftInTheFileIsCorruptWhenRead) {
  auto built = MakeIndex();
  std::string bytes = built->vectors().SaveToBytes();
  auto table = neurovec::index_file::ReadSectionTable(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(table.ok());
  for (const auto& e : table.value()) {
    if (e.kind == neurovec::index_file::kTextEncoder) bytes[e.offset + e.length / 2] ^= 0x01;
  }
  auto t = OpenReadOnlyPaged(bytes);  // the encoder is not read yet
  ASSERT_NE(t, nullptr);
  TextSearchOptions o;
  o.mode = TextSearchMode::kKeyword;
  EXPECT_TRUE(t->Search("terminal music", o).ok());
  o.mode = TextSearchMode::kSemantic;
  auto s = t->Search("terminal music", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(t->LoadEncoder().code(), StatusCode::kCorrupt);
  std::vector<float> v(t->Stats().dimensions);
  EXPECT_EQ(t->Encode("music", v.data()).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(t->Feedback("music", {ItemKey::String(kDocs[0].first)}, {}, {}).code(), StatusCode::kCorrupt);
  // No image is written without the encoder.
  auto image = t->vectors().ToBytes();
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kCorrupt);
  EXPECT_FALSE(t->Stats().encoder_loaded);
}

TEST(TextIndex, ItemsTheTextLayerNeverSawAreHidden) {
  auto t = MakeIndex();
  const std::string bytes = t->vectors().SaveToBytes();
  auto loaded = neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(loaded.ok());
  // Written to the vector index behind the text layer's back (as a log replayed
  // past the last checkpoint would): an item the keyword index does not know.
  std::vector<float> v(16, 0.25f);
  ASSERT_TRUE(loaded.value()->Add(ItemKey::String("ghost"), v.data()).ok());
  auto u = TextIndex::Attach(loaded.take());
  ASSERT_TRUE(u.ok());
  TextSearchOptions o;
  o.k = 10;
  o.mode = TextSearchMode::kSemantic;
  auto hits = u.value()->Search("music", o);
  ASSERT_TRUE(hits.ok());
  for (const auto& id : Ids(*u.value(), hits.value())) EXPECT_NE(id, "ghost");
  EXPECT_EQ(hits.value().size(), kDocs.size());
}

}  // namespace
